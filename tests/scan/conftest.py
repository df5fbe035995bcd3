"""Fixtures of the scan tests: a fleet of real and embedded servers, and the inventories."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from mailcert.testing import MailEndpoint
from tests.probe.hostile import silence
from tests.scan.helpers import BackgroundServers, closed_port, create_database, postgres_cluster
from tests.servers.certs import CertFiles, FixturePKI
from tests.servers.dovecot import DovecotServer
from tests.servers.postfix import PostfixServer

NAME = "remote.contoso.com"


def endpoint_for(files: CertFiles) -> MailEndpoint:
    return MailEndpoint(files.pem, files.key_path.read_bytes(), hostname="mail.contoso.test").start()


@dataclass(frozen=True)
class Fleet:
    """Targets (one `TARGET NAME` line each) and the status each must get."""

    expected: dict[str, str]  # target -> status
    ca: Path

    def targets_file(self, path: Path, extra: tuple[str, ...] = ()) -> Path:
        lines = ["# the test fleet", *(f"{t} {NAME}" for t in self.expected), *extra]
        path.write_text("\n".join(lines) + "\n")
        return path


@pytest.fixture(scope="module")
def hostile() -> Iterator[BackgroundServers]:
    servers = BackgroundServers()
    try:
        yield servers
    finally:
        servers.close()


@pytest.fixture(scope="module")
def endpoints(server_pki: FixturePKI) -> Iterator[dict[str, MailEndpoint]]:
    made = {"ordered": endpoint_for(server_pki.ordered), "expired": endpoint_for(server_pki.expired)}
    try:
        yield made
    finally:
        for e in made.values():
            e.stop()


@pytest.fixture(scope="module")
def fleet(
    dovecot: DovecotServer,
    postfix: PostfixServer,
    endpoints: dict[str, MailEndpoint],
    hostile: BackgroundServers,
    server_pki: FixturePKI,
) -> Fleet:
    d, p = dovecot, postfix
    expected = {
        # real Dovecot and Postfix serving the SBS-shaped certificate: Outlook 2007 warns
        f"imap://127.0.0.1:{d.imap_port}": "WARNING",
        f"imaps://127.0.0.1:{d.imaps_port}": "WARNING",
        f"pop3://127.0.0.1:{d.pop3_port}": "WARNING",
        f"pop3s://127.0.0.1:{d.pop3s_port}": "WARNING",
        f"smtp://127.0.0.1:{p.smtp_port}": "WARNING",
        f"smtp://127.0.0.1:{p.submission_port}": "WARNING",
        f"smtps://127.0.0.1:{p.smtps_port}": "WARNING",
        # embedded endpoints: the name first (clean) and an expired certificate
        endpoints["ordered"].url("imaps"): "OK",
        endpoints["ordered"].url("smtp"): "OK",
        endpoints["ordered"].url("pop3"): "OK",
        endpoints["expired"].url("imap"): "CRITICAL",
        endpoints["expired"].url("smtps"): "CRITICAL",
        # nobody home, and a server that accepts and then says nothing at all
        f"imaps://127.0.0.1:{closed_port()}": "UNKNOWN",
        f"smtp://127.0.0.1:{closed_port()}": "UNKNOWN",
        f"imaps://127.0.0.1:{hostile.serve(silence)}": "UNKNOWN",
        f"imap://127.0.0.1:{hostile.serve(silence)}": "UNKNOWN",
    }
    return Fleet(expected, server_pki.ca.cert_path)


@pytest.fixture(scope="session")
def postgres_admin() -> Iterator[str]:
    with postgres_cluster() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty inventory of each kind."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'inventory.sqlite3'}"
    admin: str = request.getfixturevalue("postgres_admin")
    return create_database(admin, f"t_{uuid.uuid4().hex[:12]}")
