"""Issue 13, cases 1-4 (and the scan/report side of 12): a hostile certificate served by a
real TLS endpoint (:class:`mailcert.testing.MailEndpoint`) or read from a file, through every
output format of ``check``, ``inspect``, ``scan`` and ``report``.

Every case puts the hostile text into the CN, O, issuer CN and a SAN dNSName at once, and
every output must (a) carry nothing a terminal would obey, (b) keep mailcert's own lines its
own (one real ``Status:`` line, one Nagios line with our performance data only), (c) keep the
exact value in JSON and (d) never start a CSV cell with a formula character.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from mailcert.cli import main
from mailcert.testing import MailEndpoint
from tests.hostile.hostile import (
    HOSTILE,
    NOW,
    all_hostile,
    assert_csv_safe,
    assert_json_exact,
    assert_nagios_line,
    assert_no_forged_status,
    assert_terminal_safe,
    key_pem,
)

AT = ["--at", NOW.isoformat()]
STATUS = {0: "OK", 1: "WARNING", 2: "CRITICAL", 3: "UNKNOWN"}
CASES = sorted(HOSTILE)


@pytest.fixture(scope="module", params=CASES)
def served(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, MailEndpoint, Path]]:
    """(case, a running endpoint serving the hostile certificate, the certificate's PEM file)."""
    cert = all_hostile(request.param)
    pem = cert.public_bytes(serialization.Encoding.PEM)
    path = tmp_path_factory.mktemp("hostile") / "hostile.pem"
    path.write_bytes(pem)
    with MailEndpoint(pem, key_pem()) as server:
        yield request.param, server, path


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    rc = main(list(argv))
    out = capsys.readouterr()
    return rc, out.out, out.err


def _check(capsys: pytest.CaptureFixture[str], server: MailEndpoint, cafile: Path, fmt: str) -> tuple[int, str]:
    rc, out, err = _run(capsys, "check", server.url("imaps"), "--name", "mail.example.com", "--cafile", str(cafile), "--format", fmt, *AT)
    assert err == "", err
    return rc, out


def test_check_text(served: tuple[str, MailEndpoint, Path], capsys: pytest.CaptureFixture[str]) -> None:
    case, server, cafile = served
    rc, out = _check(capsys, server, cafile, "text")
    assert rc in STATUS and rc != 3, out
    assert_terminal_safe(out)
    assert_no_forged_status(out, STATUS[rc])


def test_check_nagios(served: tuple[str, MailEndpoint, Path], capsys: pytest.CaptureFixture[str]) -> None:
    case, server, cafile = served
    rc, out = _check(capsys, server, cafile, "nagios")
    assert_nagios_line(out, STATUS[rc])


def test_check_json(served: tuple[str, MailEndpoint, Path], capsys: pytest.CaptureFixture[str]) -> None:
    case, server, cafile = served
    rc, out = _check(capsys, server, cafile, "json")
    doc = assert_json_exact(out, [HOSTILE[case]])
    assert doc["status"] == STATUS[rc]
    assert doc["certificate"]["common_names"] == [f"mail.example.com{HOSTILE[case]}"]


def test_inspect_text_json_nagios(served: tuple[str, MailEndpoint, Path], capsys: pytest.CaptureFixture[str]) -> None:
    case, _, path = served
    rc, out, err = _run(capsys, "inspect", str(path), *AT)
    assert err == ""
    assert_terminal_safe(out)
    assert_no_forged_status(out, STATUS[rc])
    rc2, out, err = _run(capsys, "inspect", str(path), "--format", "json", *AT)
    assert err == "" and rc2 == rc
    assert assert_json_exact(out, [HOSTILE[case]])["certificate"]["common_names"] == [f"mail.example.com{HOSTILE[case]}"]
    rc3, out, err = _run(capsys, "inspect", str(path), "--format", "nagios", *AT)
    assert err == "" and rc3 == rc
    assert_nagios_line(out, STATUS[rc])


def test_scan_and_every_report_format(served: tuple[str, MailEndpoint, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The scan's JSON lines, then ``report`` as text, CSV, JSON and HTML from the inventory.

    The target's NAME comes from the targets file (also outside text): it carries the
    hostile string too, as a name learnt from DNS would.
    """
    case, server, cafile = served
    text = HOSTILE[case]
    targets = tmp_path / "targets"
    targets.write_text(f"{server.url('imaps')} mail.example.com\n", encoding="utf-8")
    db = tmp_path / "inv.sqlite"
    out = tmp_path / "scan.jsonl"
    rc, stdout, err = _run(capsys, "scan", str(targets), "--db", str(db), "--out", str(out), "--cafile", str(cafile), "--quiet", *AT)
    assert rc in (0, 1, 2), err
    assert_terminal_safe(stdout + err)
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1
    assert_json_exact(lines[0], [text])

    files = {fmt: tmp_path / f"report.{fmt}" for fmt in ("csv", "json", "html")}
    rc, stdout, err = _run(capsys, "report", "--db", str(db), *AT, *[a for fmt, p in files.items() for a in (f"--{fmt}", str(p))])
    assert rc == 0, err
    assert_terminal_safe(stdout + err)
    rows = assert_csv_safe(files["csv"].read_text(encoding="utf-8"))
    header, row = rows[0], rows[1]
    assert row[header.index("target")] == server.url("imaps")
    assert_json_exact(files["json"].read_text(encoding="utf-8"), [text])
    page = files["html"].read_text(encoding="utf-8")
    assert_terminal_safe(page)
    assert "\x1b" not in page and "\u202e" not in page and "<script" not in page.lower()

    rc, stdout, err = _run(capsys, "report", "--db", str(db), *AT)
    assert rc == 0, err
    assert_terminal_safe(stdout + err)


@pytest.mark.parametrize("cell", ["=1+1", "+1", "-1+2", "@SUM(A1)", "\t=1", " =1", "\uff1d1+1", "-2+3+cmd|'/Ccalc'!A0"])
def test_csv_cells_never_formulas(cell: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A target that could not be reached still gets a row: its target and name cells come
    from the targets file as they are, so they are what a hostile list would poison."""
    targets = tmp_path / "targets"
    name = f"{cell}mail.example.com"
    targets.write_text(f"imaps://127.0.0.1:1 {name}\n{cell}imaps://127.0.0.1:1\n", encoding="utf-8")
    db = tmp_path / "inv.sqlite"
    rc, _, err = _run(capsys, "scan", str(targets), "--db", str(db), "--out", str(tmp_path / "o"), "--quiet", "--timeout", "2")
    assert rc == 3, err
    rc, _, err = _run(capsys, "report", "--db", str(db), "--csv", str(tmp_path / "r.csv"))
    assert rc == 0, err
    rows = assert_csv_safe((tmp_path / "r.csv").read_text(encoding="utf-8"))
    header = rows[0]
    assert len(rows) == 3 and any(r[header.index("name")].lstrip("'").endswith("mail.example.com") for r in rows[1:]), rows
