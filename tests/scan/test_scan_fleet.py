"""``mailcert scan`` over a real mixed fleet: Dovecot and Postfix (real), embedded endpoints,
closed ports and a silent server.  Run as a user runs it (subprocess, no terminal)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mailcert.scan.inventory import Inventory
from tests.scan.conftest import NAME, Fleet
from tests.scan.helpers import mailcert, read_lines
from tests.schemas import validate

pytestmark = pytest.mark.integration


def _by_target(lines: list[dict]) -> dict[str, dict]:  # type: ignore[type-arg]
    out: dict[str, dict] = {}  # type: ignore[type-arg]
    for line in lines:
        assert line["target"] not in out, f"two lines for {line['target']}"
        out[line["target"]] = line
    return out


def test_every_target_gets_exactly_one_line_with_the_right_status(fleet: Fleet, tmp_path: Path) -> None:
    targets = fleet.targets_file(tmp_path / "targets.txt", extra=("bogus:99", "imaps://[::1 x"))
    out, db = tmp_path / "out.jsonl", tmp_path / "inv.sqlite3"
    run = mailcert("scan", str(targets), "--out", str(out), "--db", str(db), "--cafile", str(fleet.ca),
                   "--timeout", "2", "--concurrency", "8", "--per-host", "8")
    assert run.rc == 2, run.stderr  # the worst target is CRITICAL (expired)
    assert "Traceback" not in run.stderr
    lines = _by_target([validate(line, "scan-line") for line in read_lines(out)])
    assert len(lines) == len(fleet.expected) + 2
    for target, status in fleet.expected.items():
        line = lines[target]
        assert line["status"] == status, (target, line.get("error"), [f["code"] for f in line.get("findings", [])])
        assert line["name"] == NAME and line["schema_version"] == 1
    # the bad lines of the file still get their line, saying what is wrong and where
    assert lines["bogus:99"]["status"] == "UNKNOWN" and "targets.txt:" in lines["bogus:99"]["error"]
    assert lines["imaps://[::1"]["status"] == "UNKNOWN"
    # a verdict line is the check document: certificate, per-client results, findings
    warn = next(line for t, line in lines.items() if fleet.expected.get(t) == "WARNING")
    assert [f["code"] for f in warn["findings"] if f["severity"] != "info"] == ["first-san-not-name"]
    assert {r["client"] for r in warn["results"] if not r["accepted"]} == {"outlook2007"}
    assert warn["certificate"]["san"][0] == ["DNS", "sbs.contoso.local"]
    assert warn["connections"]["with_sni"]["ok"] is True and warn["connections"]["without_sni"] is None
    # UNKNOWN lines say why
    reasons = {t: lines[t]["error"] for t, s in fleet.expected.items() if s == "UNKNOWN"}
    assert sum("connection refused" in r for r in reasons.values()) == 2, reasons
    assert sum("no answer within 2 s" in r for r in reasons.values()) == 2, reasons
    # and the inventory holds the same
    with Inventory.open(f"sqlite:///{db}") as inv:
        (scan,) = inv.scans()
        assert (scan.state, scan.done, scan.targets) == ("finished", len(lines), len(lines))
        stored = {r.target: r.status for r in inv.results(scan.id)}
    assert stored == {t: line["status"] for t, line in lines.items()}


def test_stdin_to_stdout_and_sni_both(fleet: Fleet, tmp_path: Path) -> None:
    live = [t for t, s in fleet.expected.items() if s != "UNKNOWN"][:4]
    run = mailcert("scan", "-", "--db", str(tmp_path / "inv.sqlite3"), "--cafile", str(fleet.ca), "--sni", "both",
                   "--quiet", input="".join(f"{t} {NAME}\n" for t in live))
    assert run.rc in (1, 2), run.stderr
    assert run.stderr == ""  # --quiet: not even the summary
    lines = _by_target(run.lines)
    assert set(lines) == set(live)
    for line in lines.values():
        assert line["connections"]["without_sni"]["ok"] is True
        assert line["connections"]["without_sni"]["sni"] is None


def test_a_scan_line_is_the_check_document_plus_target_and_name(fleet: Fleet, tmp_path: Path) -> None:
    target = next(t for t, s in fleet.expected.items() if s == "WARNING")
    at = "2027-01-15T00:00:00"
    check = mailcert("check", target, "--name", NAME, "--cafile", str(fleet.ca), "--format", "json", "--at", at)
    doc = json.loads(check.stdout)
    scan = mailcert("scan", "-", "--db", str(tmp_path / "i.sqlite3"), "--cafile", str(fleet.ca), "--sni", "both",
                    "--at", at, input=f"{target} {NAME}\n")
    (line,) = scan.lines
    assert (line.pop("target"), line.pop("name"), line.pop("url")) == (target, NAME, doc.pop("target"))

    def stable(d: dict) -> dict:  # type: ignore[type-arg]
        for side in ("with_sni", "without_sni"):
            d["connections"][side].pop("elapsed_ms")
        return d

    assert stable(line) == stable(doc)
    assert check.rc == scan.rc == 1


def test_nothing_to_scan_is_one_line_of_error(tmp_path: Path) -> None:
    run = mailcert("scan", str(tmp_path / "missing.txt"), "--db", str(tmp_path / "i.sqlite3"))
    assert run.rc == 3 and run.stderr.startswith("mailcert: error: targets file") and run.stderr.count("\n") == 1
    run = mailcert("scan", "-", "--db", "mysql://x/y", input="")
    assert run.rc == 3 and "only SQLite and PostgreSQL" in run.stderr


def test_progress_bar_on_a_terminal_and_exit_status_ranking(fleet: Fleet, tmp_path: Path) -> None:
    import os
    import pty
    import subprocess
    import sys

    from mailcert.commands.scan import exit_status
    from tests.scan.helpers import ENV

    live = [t for t, s in fleet.expected.items() if s == "OK"]
    targets = tmp_path / "t.txt"
    targets.write_text("".join(f"{t} {NAME}\n" for t in live))
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "mailcert", "scan", str(targets), "--out", str(tmp_path / "o.jsonl"),
         "--db", str(tmp_path / "i.sqlite3"), "--cafile", str(fleet.ca)],
        stdin=slave, stdout=slave, stderr=slave, env={**ENV, "COLUMNS": "120"},
    )
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the terminal's other side is gone
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    assert proc.wait(60) == 0
    screen = b"".join(chunks).decode(errors="replace")
    assert f"{len(live)}/{len(live)}" in screen and "OK 3" in screen  # rich's bar: done/total and counts
    assert "scanned 3 targets: 3 OK" in screen
    assert len(read_lines(tmp_path / "o.jsonl")) == len(live)
    # the fleet's exit status: CRITICAL > WARNING > UNKNOWN > OK
    assert exit_status({"OK": 5}) == 0 and exit_status({}) == 0
    assert exit_status({"OK": 5, "UNKNOWN": 1}) == 3
    assert exit_status({"UNKNOWN": 1, "WARNING": 1}) == 1
    assert exit_status({"WARNING": 1, "CRITICAL": 1, "UNKNOWN": 4}) == 2
