"""Issue 13 cases 10 and 11: an inventory that is damaged, truncated or not an inventory is one
line naming the file; scans that start together on one new inventory (SQLite and a real
PostgreSQL) all keep their results."""

from __future__ import annotations

import multiprocessing
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from mailcert.errors import OperationError
from mailcert.scan.inventory import Inventory
from tests.scan.helpers import ENV, closed_port

STARTERS = 4


def _start(url: str, barrier: multiprocessing.synchronize.Barrier, queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    try:
        barrier.wait(timeout=30)
        with Inventory.open(url) as inv:
            scan = inv.begin_scan({"who": "racer"}, targets=0)
            inv.finish_scan(scan, "finished", targets=0)
        queue.put("ok")
    except BaseException as exc:  # noqa: BLE001 - reported to the parent
        queue.put(f"{type(exc).__name__}: {exc}")


@pytest.mark.parametrize("round_", range(5))
def test_scans_creating_one_new_inventory_at_once_all_land(db_url: str, round_: int) -> None:
    """Four processes released by one barrier each create the schema (or find it made) and
    record a scan: before the fix, "table scans already exists" or "database is locked"."""
    ctx = multiprocessing.get_context("fork")
    barrier = ctx.Barrier(STARTERS)
    queue = ctx.Queue()
    procs = [ctx.Process(target=_start, args=(db_url, barrier, queue)) for _ in range(STARTERS)]
    for p in procs:
        p.start()
    outcomes = [queue.get(timeout=60) for _ in procs]
    for p in procs:
        p.join(timeout=30)
    assert outcomes == ["ok"] * STARTERS, outcomes
    with Inventory.open(db_url) as inv:
        assert len(inv.scans()) == STARTERS


def test_concurrent_cli_scans_keep_every_result(db_url: str, tmp_path: Path) -> None:
    targets = tmp_path / "t"
    targets.write_text("".join(f"imaps://127.0.0.1:{closed_port()} mail.example.com\n" for _ in range(3)))
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "mailcert", "scan", str(targets), "--db", db_url, "--out", str(tmp_path / f"o{i}"), "--quiet"],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV,
        )
        for i in range(3)
    ]
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 3 and "error" not in err, err
    with Inventory.open(db_url) as inv:
        scans = inv.scans()
        assert len(scans) == 3
        assert [inv.count_results(s.id) for s in scans] == [3, 3, 3]


def _junk(path: Path) -> None:
    path.write_bytes(b"\x00\x01not a database at all" * 300)


def _text(path: Path) -> None:
    path.write_text("scan results, I promise\n")


def _truncated(path: Path) -> None:
    good = path.with_name("good.sqlite3")
    with Inventory.open(f"sqlite:///{good}") as inv:
        for _ in range(50):
            inv.finish_scan(inv.begin_scan({"x": "y" * 500}, targets=0), "finished", targets=0)
    path.write_bytes(good.read_bytes()[: 3 * 4096 + 100])


def _foreign(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, amount REAL)")


@pytest.mark.parametrize("make", [_junk, _text, _truncated, _foreign], ids=lambda f: f.__name__.strip("_"))
@pytest.mark.parametrize("command", ["scan", "report"])
def test_damaged_inventory_is_one_line_naming_the_file(make: object, command: str, tmp_path: Path) -> None:
    db = tmp_path / "inventory.sqlite3"
    make(db)  # type: ignore[operator]
    before = db.read_bytes()
    targets = tmp_path / "t"
    targets.write_text(f"imaps://127.0.0.1:{closed_port()}\n")
    argv = ["scan", str(targets), "--out", str(tmp_path / "o"), "--quiet"] if command == "scan" else ["report"]
    done = subprocess.run(
        [sys.executable, "-m", "mailcert", *argv, "--db", str(db)],
        capture_output=True, text=True, stdin=subprocess.DEVNULL, env=ENV, timeout=60,
    )
    assert done.returncode not in (0,), done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("mailcert: error: "), done.stderr
    assert str(db) in lines[0] and "internal error" not in lines[0] and "--db" in lines[0], lines[0]
    assert db.read_bytes() == before, "a damaged or foreign file is left exactly as it was"


def test_damaged_inventory_raises_operation_error(tmp_path: Path) -> None:
    db = tmp_path / "inventory.sqlite3"
    _junk(db)
    with pytest.raises(OperationError, match="damaged"):
        Inventory.open(f"sqlite:///{db}")
