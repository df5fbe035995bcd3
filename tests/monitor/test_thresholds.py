"""--critical-days and the Nagios plugin line of ``inspect`` and ``check`` (issue 14, monitoring).

The plugin line is read back by Icinga2's own perfdata parser (tests/monitor/icinga.py), so a
label or threshold Icinga would misread fails here; ``check`` runs against a real Dovecot.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID

from mailcert.assess import assess_certificate
from mailcert.certs.info import facts_from_certificate
from mailcert.cli import main
from mailcert.judgement import Judgement
from mailcert.report.nagios import certificate_line
from tests.factory import NOW, make_cert, pem
from tests.monitor.icinga import parse_plugin_output
from tests.servers.certs import FixturePKI
from tests.servers.dovecot import DovecotServer

AT = ["--at", NOW.isoformat()]


def _file(tmp_path: Path, *certs: x509.Certificate) -> str:
    p = tmp_path / "cert.pem"
    p.write_bytes(pem(*certs))
    return str(p)


@pytest.mark.parametrize(
    ("days", "extra", "rc", "code"),
    [
        (10, [], 1, "expiring-soon"),
        (10, ["--critical-days", "14"], 2, "expiring-critical"),
        (10, ["--critical-days", "10"], 2, "expiring-critical"),
        (10, ["--critical-days", "9"], 1, "expiring-soon"),
        (40, ["--critical-days", "14"], 0, None),
        (10, ["--warn-days", "5", "--critical-days", "5"], 0, None),
    ],
)
def test_inspect_critical_days(tmp_path: Path, capsys: pytest.CaptureFixture[str], days: int, extra: list[str], rc: int, code: str | None) -> None:
    f = _file(tmp_path, make_cert(days=(-300, days)))
    assert main(["inspect", f, "--format", "nagios", *AT, *extra]) == rc
    line = capsys.readouterr().out
    status = {0: "OK", 1: "WARNING", 2: "CRITICAL"}[rc]
    assert line.startswith(f"MAILCERT {status} - {f} CN=mail.example.com")
    if code:
        assert f"[{code}]" in line
    else:
        assert f"{days} days left" in line


def test_critical_window_inside_warning_window(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = _file(tmp_path, make_cert())
    for bad in (["--critical-days", "31"], ["--critical-days", "-1"], ["--warn-days", "-2"]):
        assert main(["inspect", f, *bad]) == 3
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("mailcert: error: --"), err


def test_inspect_nagios_perfdata_per_chain_element(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """One line; days_left with both thresholds; every chain element its own item, labelled
    safely even when the issuer's CN carries the perfdata syntax (quote, =, |, space)."""
    hostile_cn = "Evil 'CA' = R3 | x"
    ca = make_cert((), cn=(hostile_cn,), ca=True, eku=None, days=(-400, 20))
    root = make_cert((), cn=("Root CA",), ca=True, eku=None, days=(-400, 3000))
    leaf = make_cert(days=(-10, 50))
    f = _file(tmp_path, leaf, ca, root)
    assert main(["inspect", f, "--format", "nagios", "--critical-days", "7", "--warn-days", "60", *AT]) == 1
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    text, items = parse_plugin_output(out)
    assert text.startswith("MAILCERT WARNING - ") and "expiring-soon" in text
    assert [(i["label"], i["value"], i["warn"], i["crit"]) for i in items] == [
        ("days_left", 50, 60, 7),
        ("chain1_days_left Evil _CA_ _ R3 _ x", 20, None, None),
        ("chain2_days_left Root CA", 3000, None, None),
    ]


def test_hostile_subject_stays_on_one_line_before_the_bar(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cert = make_cert(cn=("mail.example.com | days_left=999;1;1\nOK",))
    f = _file(tmp_path, cert)
    main(["inspect", f, "--format", "nagios", *AT])
    out = capsys.readouterr().out
    text, items = parse_plugin_output(out)
    assert [i["label"] for i in items] == ["days_left"] and items[0]["value"] == 365
    assert "999" in text  # shown as text, not taken for performance data


def test_check_critical_days_against_real_dovecot(
    make_dovecot: Callable[..., DovecotServer], server_pki: FixturePKI
) -> None:
    """A real Dovecot serving leaf + CA: judged a few days before the leaf expires, the
    critical window makes it CRITICAL (exit 2) and each served certificate has its item."""
    server = make_dovecot(server_pki.ordered.chain_path, server_pki.ordered.key_path)
    leaf = server_pki.ordered.cert
    at = leaf.not_valid_after_utc - dt.timedelta(days=4, hours=12)
    cmd = [sys.executable, "-m", "mailcert", "check", f"imaps://127.0.0.1:{server.imaps_port}", "--name", "remote.contoso.com",
           "--cafile", str(server_pki.ca.cert_path), "--format", "nagios", "--at", at.isoformat()]
    env = {**os.environ, "NO_COLOR": "1"}
    runs = {}
    for crit in ("7", "3"):
        proc = subprocess.run([*cmd, "--critical-days", crit], capture_output=True, text=True, timeout=60, env=env, stdin=subprocess.DEVNULL)
        runs[crit] = proc
    crit7, crit3 = runs["7"], runs["3"]
    assert crit7.returncode == 2, crit7.stderr
    text, items = parse_plugin_output(crit7.stdout)
    assert text.startswith(f"MAILCERT CRITICAL - imaps://127.0.0.1:{server.imaps_port} ") and "expiring-critical" in text
    ca_cn = server_pki.ca.cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
    ca_days = int((server_pki.ca.cert.not_valid_after_utc - at).total_seconds() // 86400)
    assert [(i["label"], i["value"], i["warn"], i["crit"]) for i in items] == [
        ("days_left", 4, 30, 7), (f"chain1_days_left {ca_cn}", ca_days, None, None)
    ]
    assert crit3.returncode == 1 and crit3.stdout.startswith("MAILCERT WARNING - ") and "expiring-soon" in crit3.stdout


def test_the_plugin_line_reads_clock_and_thresholds_from_the_judgement() -> None:
    """The renderer takes the assessment alone: days left and thresholds are the ones it was
    judged with (its ``judged``), so a line cannot be drawn with another clock or threshold."""
    facts = facts_from_certificate(make_cert(["DNS:mail.example.com"], days=(-1, 40)))
    for now, warn, crit in ((NOW, 45, 20), (NOW + dt.timedelta(days=30), 12, 5)):
        assessment = assess_certificate(facts, ["mail.example.com"], Judgement(now=now, warn_days=warn, critical_days=crit))
        line = certificate_line(assessment, "cert.pem", ())
        text, items = parse_plugin_output(line)
        assert text.startswith("MAILCERT WARNING - cert.pem ")
        assert (items[0]["label"], items[0]["value"], items[0]["warn"], items[0]["crit"]) == (
            "days_left", facts.days_left(now), warn, crit)
    assert facts.days_left(NOW) - facts.days_left(NOW + dt.timedelta(days=30)) == 30
