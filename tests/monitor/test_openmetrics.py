"""``mailcert scan --openmetrics FILE``: a real Dovecot, a closed port and a target whose text
needs escaping, written as a node_exporter textfile and read back by prometheus_client's two
parsers (the strict OpenMetrics one and the Prometheus text one node_exporter's format is)."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import pytest
from prometheus_client.openmetrics.parser import text_string_to_metric_families as openmetrics_families
from prometheus_client.parser import text_string_to_metric_families as prometheus_families

from tests.scan.helpers import closed_port, mailcert, read_lines
from tests.schemas import validate
from tests.servers.certs import FixturePKI
from tests.servers.dovecot import DovecotServer

pytestmark = pytest.mark.integration
NAME = "remote.contoso.com"


def _samples(text: str, parse) -> dict[str, dict[tuple[tuple[str, str], ...], float]]:  # type: ignore[no-untyped-def]
    out: dict[str, dict[tuple[tuple[str, str], ...], float]] = {}
    for family in parse(text):
        assert family.type == "gauge", family.name
        for s in family.samples:
            out.setdefault(s.name, {})[tuple(sorted(s.labels.items()))] = s.value
    return out


def test_scan_writes_a_textfile_both_parsers_read(dovecot: DovecotServer, server_pki: FixturePKI, tmp_path: Path) -> None:
    live = f"imaps://127.0.0.1:{dovecot.imaps_port}"
    closed = f"imaps://127.0.0.1:{closed_port()}"
    odd = 'imaps://bad"host\\name:99'
    (tmp_path / "targets").write_text(f"{live} {NAME}\n{closed} {NAME}\n{odd} {NAME}\n")
    prom = tmp_path / "textfile" / "mailcert.prom"
    prom.parent.mkdir()
    prom.write_text("# old\n")
    before = prom.stat().st_ino
    at = server_pki.sbs.cert.not_valid_after_utc - dt.timedelta(days=12, hours=3)
    run = mailcert("scan", str(tmp_path / "targets"), "--openmetrics", str(prom), "--db", str(tmp_path / "inv.sqlite3"),
                   "--cafile", str(server_pki.ca.cert_path), "--at", at.isoformat(), "--timeout", "5", "--quiet",
                   "--out", str(tmp_path / "out.jsonl"))
    assert run.rc == 1, run.stderr  # WARNING (Outlook 2007) outranks UNKNOWN
    text = prom.read_text()
    assert prom.stat().st_ino != before and oct(prom.stat().st_mode & 0o777) == "0o644"
    assert sorted(os.listdir(prom.parent)) == ["mailcert.prom"]  # nothing half-written left behind
    assert text.endswith("# EOF\n")

    strict = _samples(text, openmetrics_families)
    assert strict == _samples(text, prometheus_families)  # the same numbers either way
    key = lambda target, **more: tuple(sorted({"target": target, "name": NAME, **more}.items()))  # noqa: E731
    assert strict["mailcert_target_status"] == {key(live): 1.0, key(closed): 3.0, key(odd): 3.0}
    assert strict["mailcert_certificate_days_left"] == {key(live): 12.0}
    assert strict["mailcert_certificate_expiry_timestamp_seconds"][key(live)] == round(server_pki.sbs.cert.not_valid_after_utc.timestamp())
    refused = strict["mailcert_client_refused"]
    assert refused[key(live, client="outlook2007")] == 1.0
    assert refused[key(live, client="thunderbird")] == 0.0 and len(refused) >= 12
    assert sum(refused.values()) == 1.0
    totals = strict["mailcert_scan_targets"]
    assert {dict(k)["status"]: v for k, v in totals.items()} == {"OK": 0, "WARNING": 1, "CRITICAL": 0, "UNKNOWN": 2}
    assert abs(strict["mailcert_scan_timestamp_seconds"][()] - dt.datetime.now(dt.timezone.utc).timestamp()) < 300

    # the same scan's JSON lines and report, against their published schemas
    lines = [validate(line, "scan-line") for line in read_lines(tmp_path / "out.jsonl")]
    assert sorted(line["status"] for line in lines) == ["UNKNOWN", "UNKNOWN", "WARNING"]
    report = mailcert("report", "--db", str(tmp_path / "inv.sqlite3"), "--json", str(tmp_path / "report.json"))
    assert report.rc == 0, report.stderr
    validate(json.loads((tmp_path / "report.json").read_text()), "report")


def test_openmetrics_needs_an_existing_directory(tmp_path: Path) -> None:
    (tmp_path / "targets").write_text("imaps://127.0.0.1:1\n")
    run = mailcert("scan", str(tmp_path / "targets"), "--openmetrics", str(tmp_path / "nope" / "m.prom"),
                   "--db", str(tmp_path / "inv.sqlite3"), "--quiet")
    assert run.rc == 3 and run.stderr.strip().count("\n") == 0 and "--openmetrics" in run.stderr
