"""``scan`` and ``report`` where the default inventory cannot be made (HOME unwritable or
missing, as for a service account): one line naming the inventory file and ``--db``."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.scan.helpers import closed_port


def bare_env(home: str) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith("XDG_")}
    return {**keep, "HOME": home, "NO_COLOR": "1"}


def assert_names_place_and_option(done: subprocess.CompletedProcess[str], inventory: str) -> None:
    assert done.returncode == 3, done
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert "internal error" not in lines[0] and "Traceback" not in done.stderr
    assert inventory in lines[0] and "--db" in lines[0]


@pytest.mark.parametrize("command", [["scan", "-", "--quiet"], ["report"]])
def test_home_below_a_file(tmp_path: Path, command: list[str]) -> None:
    """A HOME that cannot exist (its parent is a file): fails for root too."""
    (tmp_path / "file").write_text("")
    home = str(tmp_path / "file" / "home")
    env = bare_env(home)
    done = subprocess.run(
        [sys.executable, "-m", "mailcert", *command], input=f"imaps://127.0.0.1:{closed_port()}\n",
        capture_output=True, text=True, timeout=60, env=env,
    )
    assert_names_place_and_option(done, f"{home}/.local/share/mailcert/inventory.sqlite3")


def without_privileges() -> list[str]:
    """Root minus its capabilities (no CAP_DAC_OVERRIDE): file permissions bind it as they
    bind an ordinary user, while it still reads this root-owned Python (a plain ``runuser -u
    nobody`` may not)."""
    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv") is None:
        pytest.skip("setpriv (util-linux) missing")
    return ["setpriv", "--bounding-set=-all", "--inh-caps=-all", "--"]


def other_users_dir(path: Path) -> Path:
    path.mkdir()
    if os.geteuid() == 0:
        shutil.chown(path, "nobody")
    else:
        path.chmod(0o555)
    return path


@pytest.mark.parametrize("command", [["scan", "-", "--quiet"], ["report"]])
def test_home_not_writable(tmp_path: Path, command: list[str]) -> None:
    """The issue's case: HOME exists but is not this user's to write (a service account's)."""
    home = other_users_dir(tmp_path / "home")
    done = subprocess.run(
        [*without_privileges(), sys.executable, "-m", "mailcert", *command],
        input=f"imaps://127.0.0.1:{closed_port()}\n", capture_output=True, text=True, timeout=60, env=bare_env(str(home)),
    )
    assert_names_place_and_option(done, f"{home}/.local/share/mailcert/inventory.sqlite3")


def test_db_in_a_directory_not_writable(tmp_path: Path) -> None:
    """An explicit --db where this user may not write: the same one line, naming that file."""
    place = other_users_dir(tmp_path / "theirs")
    db = place / "inv.sqlite3"
    done = subprocess.run(
        [*without_privileges(), sys.executable, "-m", "mailcert", "report", "--db", str(db)],
        capture_output=True, text=True, timeout=60, env=bare_env(str(tmp_path)), stdin=subprocess.DEVNULL,
    )
    assert_names_place_and_option(done, str(db))
