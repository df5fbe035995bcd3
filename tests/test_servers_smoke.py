"""Smoke tests for the real-server fixtures (tests/servers): every Dovecot/Postfix port serves the
expected leaf over STARTTLS or implicit TLS, reloads pick up new certificates, Pebble's directory
and root are reachable, and nothing is left running after a stop.

Clients always connect to IP literals and pass the certificate name only as SNI/verification name:
no test name ever goes to the system resolver.
"""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography import x509

from tests.servers import DovecotServer, PebbleServer, PostfixServer, processes_using
from tests.servers.certs import SBS_NAMES, FixturePKI
from tests.servers.ports import read_line

pytestmark = pytest.mark.integration

NAME = "remote.contoso.com"  # what users type; the SECOND SAN of the sbs leaf


def _verifying(pki: FixturePKI) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(pki.ca.cert_path))


@pytest.mark.parametrize("name", ["imap", "imaps", "pop3", "pop3s"])
def test_dovecot_port_serves_sbs_leaf(dovecot: DovecotServer, server_pki: FixturePKI, name: str) -> None:
    (ep,) = [e for e in dovecot.endpoints() if e.name == name]
    with ep.connect(_verifying(server_pki), server_hostname=NAME) as tls:  # verifies chain + NAME
        der = tls.getpeercert(binary_form=True)
    assert der == server_pki.sbs.der
    san = x509.load_der_x509_certificate(der).extensions.get_extension_for_class(x509.SubjectAlternativeName)
    assert san.value.get_values_for_type(x509.DNSName) == list(SBS_NAMES)  # NAME is not the first SAN


@pytest.mark.parametrize("name", ["smtp", "submission", "smtps"])
def test_postfix_port_serves_sbs_leaf(postfix: PostfixServer, server_pki: FixturePKI, name: str) -> None:
    (ep,) = [e for e in postfix.endpoints() if e.name == name]
    with ep.connect(_verifying(server_pki), server_hostname=NAME) as tls:
        assert tls.getpeercert(binary_form=True) == server_pki.sbs.der


def test_postfix_submission_requires_starttls(postfix: PostfixServer) -> None:
    with socket.create_connection((postfix.host, postfix.submission_port), timeout=5) as s:
        assert read_line(s).startswith(b"220")
        s.sendall(b"EHLO client.test\r\n")
        while not read_line(s).startswith(b"250 "):
            pass
        s.sendall(b"MAIL FROM:<a@contoso.test>\r\n")
        assert read_line(s).startswith(b"530")


def test_dovecot_reload_after_swapping_cert_files(
    make_dovecot: Callable[..., DovecotServer], server_pki: FixturePKI, tmp_path: Path
) -> None:
    cert, key = tmp_path / "mail.crt", tmp_path / "mail.key"
    shutil.copy(server_pki.sbs.cert_path, cert)
    shutil.copy(server_pki.sbs.key_path, key)
    srv = make_dovecot(cert, key)
    assert all(ep.leaf_der() == server_pki.sbs.der for ep in srv.endpoints())
    shutil.copy(server_pki.ordered.cert_path, cert)  # same paths, new contents: what a deploy does
    shutil.copy(server_pki.ordered.key_path, key)
    srv.reload(expect_der=server_pki.ordered.der)
    for ep in srv.endpoints():
        with ep.connect(_verifying(server_pki), server_hostname=NAME) as tls:
            assert tls.getpeercert(binary_form=True) == server_pki.ordered.der


def test_dovecot_from_existing_config_dir_keeps_edited_ssl_lines(
    make_dovecot: Callable[..., DovecotServer], server_pki: FixturePKI
) -> None:
    first = make_dovecot(layout="debian")
    first.stop()
    text = first.ssl_config_path.read_text()  # conf.d/10-ssl.conf, as a deploy would edit it
    text = text.replace(str(server_pki.sbs.cert_path), str(server_pki.ordered.cert_path))
    text = text.replace(str(server_pki.sbs.key_path), str(server_pki.ordered.key_path))
    first.ssl_config_path.write_text(text)
    second = make_dovecot(config_dir=first.config_dir)
    assert second.config_path == first.config_path
    assert all(ep.leaf_der() == server_pki.ordered.der for ep in second.endpoints())


def test_postfix_reload_after_changing_chain_files(
    make_postfix: Callable[..., PostfixServer], server_pki: FixturePKI
) -> None:
    srv = make_postfix()
    srv.set_chain_files(server_pki.ordered.key_path, server_pki.ordered.cert_path)
    assert str(server_pki.ordered.cert_path) in srv.postconf("-h", "smtpd_tls_chain_files")
    srv.reload(expect_der=server_pki.ordered.der)
    assert all(ep.leaf_der() == server_pki.ordered.der for ep in srv.endpoints())


def test_stop_leaves_no_processes_and_closes_ports(
    make_dovecot: Callable[..., DovecotServer], make_postfix: Callable[..., PostfixServer],
    make_pebble: Callable[..., PebbleServer],
) -> None:
    servers: list[DovecotServer | PostfixServer | PebbleServer] = [make_dovecot(), make_postfix(), make_pebble()]
    for srv in servers:
        assert processes_using(srv.workdir), f"{srv!r} should have processes while running"
        srv.stop()
        assert processes_using(srv.workdir) == []
        # pgrep exits 1 when nothing matches
        assert subprocess.run(["pgrep", "-f", str(srv.workdir)], capture_output=True).returncode == 1
        for port in srv.ports.values():
            with pytest.raises(ConnectionRefusedError):
                socket.create_connection(("127.0.0.1", port), timeout=2).close()


def test_pebble_directory_and_root(pebble: PebbleServer) -> None:
    directory = pebble.directory()  # HTTPS verified against the listener CA we made
    assert {"newAccount", "newNonce", "newOrder"} <= directory.keys()
    assert directory["newAccount"].startswith(f"https://127.0.0.1:{pebble.acme_port}/")
    root = x509.load_pem_x509_certificate(pebble.root_pem().encode())
    assert root.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert pebble.root_pem_path.read_text() == pebble.root_pem()
    # without the listener CA the directory is not trusted: the CA really is what makes it work
    with pytest.raises(ssl.SSLCertVerificationError):
        with socket.create_connection(("127.0.0.1", pebble.acme_port), timeout=5) as s:
            ssl.create_default_context().wrap_socket(s, server_hostname="127.0.0.1")
