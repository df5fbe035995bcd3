"""History: two real scans with a certificate fixed in between (Dovecot reloaded with the
ordered certificate), then ``mailcert report`` as JSON, CSV, text and an HTML page rendered by
a real headless Chromium; the same on SQLite and on PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from mailcert.names.profiles import DEFAULT_CLIENTS

from mailcert.testing import MailEndpoint
from tests.scan.conftest import NAME, endpoint_for
from tests.scan.helpers import closed_port, create_database, dump_dom, mailcert, screenshot
from tests.schemas import validate
from tests.servers.certs import FixturePKI
from tests.servers.dovecot import DovecotServer
from tests.servers.fixtures import DOVECOT_BINARIES, require_servers

pytestmark = pytest.mark.integration


@dataclass(frozen=True)
class History:
    dbs: dict[str, str]
    fixed: tuple[str, ...]  # Dovecot targets whose certificate was replaced
    same: str  # unchanged between the scans
    gone: str
    new: str
    work: Path


@pytest.fixture(scope="module")
def history(server_pki: FixturePKI, postgres_admin: str) -> Iterator[History]:
    require_servers(DOVECOT_BINARIES)
    work = Path(tempfile.mkdtemp(prefix="mc-rep-", dir="/tmp"))
    work.chmod(0o755)  # Dovecot's unprivileged users must reach their dirs inside
    dovecot = DovecotServer(work / "dc", server_pki.sbs.cert_path, server_pki.sbs.key_path)
    ordered = endpoint_for(server_pki.ordered)
    expired: MailEndpoint | None = None
    try:
        dovecot.start()
        expired = endpoint_for(server_pki.expired)
        fixed = (f"imaps://127.0.0.1:{dovecot.imaps_port}", f"pop3://127.0.0.1:{dovecot.pop3_port}")
        same, gone, new = ordered.url("imaps"), f"imaps://127.0.0.1:{closed_port()}", expired.url("smtps")
        dbs = {"sqlite": f"sqlite:///{work / 'inventory.sqlite3'}",
               "postgresql": create_database(postgres_admin, f"h_{uuid.uuid4().hex[:10]}")}
        ca = str(server_pki.ca.cert_path)

        def scan(targets: list[str]) -> None:
            text = "".join(f"{t} {NAME}\n" for t in targets)
            for db in dbs.values():
                run = mailcert("scan", "-", "--db", db, "--cafile", ca, "--timeout", "3", "--quiet", input=text)
                assert run.rc in (1, 2, 3) and len(run.lines) == len(targets), run.stderr

        scan([*fixed, same, gone])
        dovecot.set_ssl_files(server_pki.ordered.cert_path, server_pki.ordered.key_path)  # the administrator's fix
        dovecot.reload(expect_der=server_pki.ordered.der)
        scan([*fixed, same, new])
        yield History(dbs, fixed, same, gone, new, work)
    finally:
        ordered.stop()
        if expired is not None:
            expired.stop()
        dovecot.stop()
        shutil.rmtree(work, ignore_errors=True)


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_report_json_says_what_changed_and_what_expires(history: History, kind: str, tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    run = mailcert("report", "--db", history.dbs[kind], "--json", str(out))
    assert run.rc == 0 and run.stdout == "", run.stderr
    doc = validate(json.loads(out.read_text()), "report")
    assert doc["schema_version"] == 1 and doc["scan"]["state"] == "finished"
    assert doc["previous"]["id"] < doc["scan"]["id"]
    changes = {(c["target"], c["kind"]): c for c in doc["changes"]}
    for target in history.fixed:
        assert (changes[(target, "status")]["before"], changes[(target, "status")]["after"]) == ("WARNING", "OK")
        assert "CN=sbs.contoso.local" in changes[(target, "certificate")]["before"]
        assert "CN=remote.contoso.com" in changes[(target, "certificate")]["after"]
        assert "-first-san-not-name" in changes[(target, "findings")]["detail"]
    assert changes[(history.new, "new")]["after"] == "CRITICAL"
    assert changes[(history.gone, "gone")]["before"] == "UNKNOWN"
    assert not [c for c in doc["changes"] if c["target"] == history.same]
    assert doc["summary"] == {"OK": 3, "WARNING": 0, "CRITICAL": 1, "UNKNOWN": 0}
    expiries = doc["expiries"]
    assert [e["days_left"] < 0 for e in expiries] == [True, False]  # expired first, then the ordered certificate
    assert sorted(expiries[1]["servers"]) == sorted([*history.fixed, history.same])


def test_report_csv_and_text(history: History, tmp_path: Path) -> None:
    out = tmp_path / "report.csv"
    assert mailcert("report", "--db", history.dbs["sqlite"], "--csv", str(out)).rc == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    by = {r["target"]: r for r in rows}
    assert set(by) == {*history.fixed, history.same, history.new}
    assert by[history.fixed[0]]["changes"] == "status;certificate;findings"
    assert by[history.new]["status"] == "CRITICAL" and "expired" in by[history.new]["findings"].split(";")
    assert int(by[history.new]["days_left"]) < 0 and by[history.same]["trusted"] == "yes"
    text = mailcert("report", "--db", history.dbs["sqlite"])
    assert text.rc == 0 and "Changes since scan 1" in text.stdout and "EXPIRED" in text.stdout
    first = mailcert("report", "--db", history.dbs["sqlite"], "--scan", "1")
    assert "No earlier scan to compare with." in first.stdout and "1 WARNING" not in first.stdout


def test_report_html_renders_in_a_real_browser(history: History, tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    assert mailcert("report", "--db", history.dbs["sqlite"], "--html", str(page)).rc == 0
    source = page.read_text()
    # self-contained: nothing is fetched from anywhere
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", source) and "<script" not in source
    dom = dump_dom(page, tmp_path / "chromium-profile")
    matrix = dom[dom.index('id="matrix"'):dom.index("</table>", dom.index('id="matrix"'))]
    assert matrix.count("<tr>") == 1 + 4  # header + one row per server
    clients = len(DEFAULT_CLIENTS)  # scanned without --client: the default set
    assert matrix.count('class="v acc"') == 3 * clients  # three clean servers: every client accepts
    assert matrix.count('class="v ref"') == clients  # the expired certificate: every client refuses
    chart = dom[dom.index('id="expiry-chart"'):dom.index("</svg>")]
    counts = [int(n) for n in re.findall(r'data-count="(\d+)"', chart)]
    assert len(counts) == 26 and counts[0] == 1 and sum(counts) == 2  # expired + one month bar + 24 months + later
    assert 'id="finding-expired"' in dom and "mailcert" in dom
    png = tmp_path / "report.png"
    screenshot(page, png, tmp_path / "chromium-profile")
    assert png.stat().st_size > 20_000  # a rendered page, not a blank one
    keep = Path(tempfile.gettempdir()) / "mailcert-report-screenshot.png"
    shutil.copy(png, keep)  # for a person to look at after the run
