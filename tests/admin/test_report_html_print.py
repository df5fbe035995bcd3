"""The HTML report as an administrator reads it and prints it: every catalogue text filled
from the facts of the case (no ‹name›, ‹detail›, ‹days›, ‹presented› left), and every
server's exact remedy on paper (Chromium's own print to PDF, read back with pypdf)."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
from pathlib import Path

import pytest

from mailcert.certs.build import TestCA, cert_to_pem, key_to_pem, new_key, self_signed
from mailcert.testing import MailEndpoint
from tests.scan.helpers import chromium, chromium_args, mailcert, need

NAME = "remote.contoso.com"
NOW = dt.datetime.now(dt.timezone.utc)


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """A report of four servers with different problems; returns the page and target -> port."""
    work = tmp_path_factory.mktemp("html-report")
    ca = TestCA(now=NOW)
    sbs_key = new_key()
    certs = {
        "sbs": (cert_to_pem(self_signed(sbs_key, ["sbs.contoso.local", NAME], now=NOW)), key_to_pem(sbs_key)),
        "expiring": ca.issue_cert(NAME, not_before=NOW - dt.timedelta(days=80), not_after=NOW + dt.timedelta(days=9)),
        "other": ca.issue_cert("www.fabrikam.com"),
        "expiring2": ca.issue_cert(NAME, not_before=NOW - dt.timedelta(days=80), not_after=NOW + dt.timedelta(days=20)),
    }
    servers = []
    lines = []
    try:
        for label, made in certs.items():
            cert_pem, key_pem = made if isinstance(made, tuple) else (made.cert_pem, made.key_pem)
            server = MailEndpoint(cert_pem, key_pem).start()
            servers.append(server)
            lines.append(f"{server.url('imaps')} {NAME}")
        (work / "targets").write_text("\n".join(lines) + "\n")
        scan = mailcert("scan", str(work / "targets"), "--quiet", "--db", str(work / "inv.sqlite3"), "--out", str(work / "lines"))
        assert scan.rc in (1, 2), scan.stderr
    finally:
        for server in servers:
            server.stop()
    html_page = work / "report.html"
    assert mailcert("report", "--db", str(work / "inv.sqlite3"), "--html", str(html_page)).rc == 0
    return html_page, {label: line.split()[0] for label, line in zip(certs, lines)}


def test_no_raw_placeholders(page: tuple[Path, dict[str, str]]) -> None:
    source = page[0].read_text()
    assert "‹" not in source and "›" not in source
    assert not re.findall(r"\{[a-z_]+\}", source)
    # the shared explanation says what the servers share; each server's own facts are in its row
    assert len(set(re.findall(r"expires in (\d+) days \(\d{4}-", source))) == 2  # each server's own days
    assert "www.fabrikam.com" in source  # name-absent: the names the certificate presents


def test_printed_report_keeps_every_servers_remedy(page: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    binary = chromium()
    need(binary is not None, "chromium is not installed (scripts/deps/scan.sh installs it)")
    assert binary is not None
    pdf = tmp_path / "report.pdf"
    done = subprocess.run(
        [*chromium_args(binary, tmp_path / "profile"), "--no-pdf-header-footer", f"--print-to-pdf={pdf}", page[0].as_uri()],
        capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0 and pdf.exists(), done.stderr[-2000:]
    from pypdf import PdfReader

    text = " ".join((p.extract_text() or "") for p in PdfReader(str(pdf)).pages)
    flat = re.sub(r"\s+", "", text)
    sbs_url = page[1]["sbs"]
    # the KB958977 server's exact remedy, with its own address, is on paper
    assert re.sub(r"\s+", "", f"mailcert cert fix {sbs_url} --key KEY --first {NAME}") in flat
    for url in page[1].values():
        assert re.sub(r"\s+", "", url) in flat
    assert "Serversandtheirexactremedy" in flat
