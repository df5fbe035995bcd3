"""``*.mailcert-bak-*`` backups do not pile up next to live files: the newest few of each
file are kept (5 by default, ``$MAILCERT_KEEP_BACKUPS`` otherwise, 0 keeps all)."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mailcert.fsutil import BACKUP_MARK, DEFAULT_KEEP_BACKUPS, prune_backups, write_atomic

T0 = dt.datetime(2026, 3, 1, 12, 0, 0, tzinfo=dt.timezone.utc)


def backups(path: Path) -> list[str]:
    return sorted(p.name for p in path.parent.iterdir() if p.name.startswith(path.name + BACKUP_MARK))


def test_default_keeps_the_newest_few(tmp_path: Path) -> None:
    target = tmp_path / "key.pem"
    for i in range(DEFAULT_KEEP_BACKUPS + 4):
        write_atomic(target, f"version {i}\n".encode(), mode=0o600, now=T0 + dt.timedelta(days=i))
    kept = backups(target)
    assert len(kept) == DEFAULT_KEEP_BACKUPS
    # the newest backups hold the versions just before the live one
    contents = [(tmp_path / name).read_text() for name in kept]
    assert contents == [f"version {i}\n" for i in range(3, 3 + DEFAULT_KEEP_BACKUPS)]
    assert target.read_text() == f"version {DEFAULT_KEEP_BACKUPS + 3}\n"


def test_same_second_counter_is_newer_and_foreign_names_are_left(tmp_path: Path) -> None:
    target = tmp_path / "fullchain.pem"
    target.write_text("live")
    names = ["20260101T000000", "20260101T000000-1", "20260101T000000-2", "20251231T235959"]
    for stamp in names:
        (tmp_path / f"fullchain.pem{BACKUP_MARK}{stamp}").write_text(stamp)
    (tmp_path / f"fullchain.pem{BACKUP_MARK}notes.txt").write_text("mine")  # not a backup name
    (tmp_path / f"other.pem{BACKUP_MARK}20200101T000000").write_text("another file's")
    removed = prune_backups(target, keep=2)
    assert sorted(p.name.rsplit("-bak-", 1)[1] for p in removed) == ["20251231T235959", "20260101T000000"]
    assert backups(target) == [f"fullchain.pem{BACKUP_MARK}{s}" for s in ("20260101T000000-1", "20260101T000000-2", "notes.txt")]
    assert (tmp_path / f"other.pem{BACKUP_MARK}20200101T000000").exists()


def test_a_backup_that_is_a_link_is_removed_not_its_target(tmp_path: Path) -> None:
    target = tmp_path / "c.pem"
    target.write_text("live")
    precious = tmp_path / "precious"
    precious.write_text("keep")
    (tmp_path / f"c.pem{BACKUP_MARK}20200101T000000").symlink_to(precious)
    (tmp_path / f"c.pem{BACKUP_MARK}20210101T000000").write_text("x")
    prune_backups(target, keep=1)
    assert precious.read_text() == "keep" and backups(target) == [f"c.pem{BACKUP_MARK}20210101T000000"]


@pytest.mark.parametrize(("setting", "kept"), [(None, 5), ("2", 2), ("0", 7)])
def test_the_administrator_sets_how_many_through_the_environment(tmp_path: Path, setting: str | None, kept: int) -> None:
    """What the administrator does: the same command, run again and again (here address set)."""
    config = tmp_path / "config.toml"
    env = {k: v for k, v in os.environ.items() if k != "MAILCERT_KEEP_BACKUPS"}
    if setting is not None:
        env["MAILCERT_KEEP_BACKUPS"] = setting
    for i in range(8):
        done = subprocess.run(
            [sys.executable, "-m", "mailcert", "address", "set", f"d{i}.example", "--config", str(config)],
            capture_output=True, text=True, timeout=60, env=env, stdin=subprocess.DEVNULL,
        )
        assert done.returncode == 0, done.stderr
    assert len(backups(config)) == kept


def test_a_bad_setting_is_one_line(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mailcert", "address", "set", "d.example", "--config", str(tmp_path / "c.toml")],
        capture_output=True, text=True, timeout=60, env={**os.environ, "MAILCERT_KEEP_BACKUPS": "many"}, stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 3 and done.stderr.count("\n") == 1 and "MAILCERT_KEEP_BACKUPS" in done.stderr
    assert not (tmp_path / "c.toml").exists()


def test_backups_made_in_one_second_keep_their_order_across_pruning(tmp_path: Path) -> None:
    """Many writes within one second (a script): every new backup is the newest by name, so
    pruning never removes the one just made (deploy's rollback reads it)."""
    import mailcert.fsutil as fsutil

    target = tmp_path / "k.pem"
    made = []
    for i in range(6):
        saved = fsutil.write_files([fsutil.PlannedFile(target, f"v{i}".encode(), 0o600)], now=T0)[0]
        if saved is not None:
            assert saved.exists() and saved.read_text() == f"v{i - 1}"
            made.append(saved.name)
        prune_backups(target, keep=2)
    assert backups(target) == sorted(made[-2:]) and len(set(made)) == len(made)
