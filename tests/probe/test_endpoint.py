"""The embedded endpoint (``mailcert.testing``) as real clients see it: the stdlib's own
imaplib, poplib and smtplib, verifying the chain against the test root."""

from __future__ import annotations

import asyncio
import imaplib
import poplib
import smtplib
import socket
import ssl
import time
from collections.abc import Iterator

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from mailcert.model import Protocol, TlsMode
from mailcert.probe import ProbeOptions, probe
from mailcert.testing import SCHEMES, MailEndpoint

from .conftest import CertChain


@pytest.fixture()
def verifying(chain_files: dict[str, str]) -> ssl.SSLContext:
    """A strict client context: the test root only, host name checked."""
    return ssl.create_default_context(cafile=chain_files["root"])


@pytest.fixture()
def fresh(chain: CertChain) -> Iterator[MailEndpoint]:
    with MailEndpoint(chain.leaf_pem, chain.key_pem, chain.intermediate_pem, hostname="mail.test") as server:
        yield server


def test_starts_quickly_on_six_distinct_ports(chain: CertChain) -> None:
    async def main() -> tuple[float, dict[str, int]]:
        started = time.perf_counter()
        async with MailEndpoint(chain.leaf_pem, chain.key_pem, chain.intermediate_pem) as server:
            elapsed = time.perf_counter() - started
            return elapsed, server.ports

    elapsed, ports = asyncio.run(main())
    assert sorted(ports) == sorted(SCHEMES) and len(set(ports.values())) == 6
    assert elapsed < 0.1


def test_urls_and_endpoints(fresh: MailEndpoint) -> None:
    assert fresh.url("smtps") == f"smtps://127.0.0.1:{fresh.ports['smtps']}"
    endpoint = fresh.endpoint("pop3")
    assert (endpoint.protocol, endpoint.mode, endpoint.port) == (Protocol.POP3, TlsMode.STARTTLS, fresh.ports["pop3"])
    with pytest.raises(KeyError, match="no 'ftp' service"):
        fresh.url("ftp")


def test_stopped_endpoint_has_no_ports(chain: CertChain) -> None:
    server = MailEndpoint(chain.leaf_pem, chain.key_pem).start()
    port = server.ports["imaps"]
    server.stop()
    assert server.ports == {}
    with socket.socket() as sock, pytest.raises(ConnectionRefusedError):
        sock.connect(("127.0.0.1", port))


def test_imap_starttls_with_imaplib(fresh: MailEndpoint, verifying: ssl.SSLContext) -> None:
    with imaplib.IMAP4("localhost", fresh.ports["imap"], timeout=5) as client:
        assert "STARTTLS" in client.capabilities
        client.starttls(ssl_context=verifying)
        assert "STARTTLS" not in client.capabilities  # re-read inside TLS
        with pytest.raises(imaplib.IMAP4.error, match="not implemented"):
            client.login("user", "password")
        assert client.logout()[0] == "BYE"


def test_imaps_with_imaplib(fresh: MailEndpoint, verifying: ssl.SSLContext) -> None:
    with imaplib.IMAP4_SSL("localhost", fresh.ports["imaps"], ssl_context=verifying, timeout=5) as client:
        assert client.welcome.startswith(b"* OK") and b"mail.test" in client.welcome
        client.noop()


def test_pop3_stls_with_poplib(fresh: MailEndpoint, verifying: ssl.SSLContext) -> None:
    client = poplib.POP3("localhost", fresh.ports["pop3"], timeout=5)
    try:
        assert "STLS" in client.capa()
        client.stls(context=verifying)
        assert "STLS" not in client.capa()
        with pytest.raises(poplib.error_proto, match="not implemented"):
            client.user("user")
    finally:
        assert client.quit().startswith(b"+OK")


def test_pop3s_with_poplib(fresh: MailEndpoint, verifying: ssl.SSLContext) -> None:
    client = poplib.POP3_SSL("localhost", fresh.ports["pop3s"], context=verifying, timeout=5)
    assert client.getwelcome().startswith(b"+OK mail.test")
    client.quit()


def test_smtp_starttls_with_smtplib(fresh: MailEndpoint, verifying: ssl.SSLContext) -> None:
    with smtplib.SMTP("localhost", fresh.ports["smtp"], local_hostname="client.test", timeout=5) as client:
        client.ehlo()
        assert client.has_extn("starttls")
        assert client.starttls(context=verifying)[0] == 220
        client.ehlo()
        assert not client.has_extn("starttls")
        assert client.mail("a@b.test")[0] == 502
        assert client.noop()[0] == 250


def test_smtps_with_smtplib(fresh: MailEndpoint, verifying: ssl.SSLContext) -> None:
    with smtplib.SMTP_SSL("localhost", fresh.ports["smtps"], context=verifying, timeout=5) as client:
        code, text = client.ehlo("client.test")
        assert code == 250 and text.startswith(b"mail.test greets client.test")


@pytest.mark.parametrize(
    ("scheme", "starttls"),
    [("imap", b"a1 STARTTLS\r\n"), ("pop3", b"STLS\r\n"), ("smtp", b"STARTTLS\r\n")],
)
def test_refuses_commands_pipelined_behind_starttls(fresh: MailEndpoint, scheme: str, starttls: bytes) -> None:
    """The server side of CVE-2011-0411: plaintext sent with STARTTLS must not survive into TLS."""
    with socket.create_connection(("127.0.0.1", fresh.ports[scheme]), timeout=5) as sock:
        reader = sock.makefile("rb")
        reader.readline()  # greeting (SMTP's is one line here)
        sock.sendall(starttls + b"NOOP\r\n")
        assert reader.read() == b""  # hung up, no "go ahead"


def test_over_long_line_is_refused(fresh: MailEndpoint) -> None:
    with socket.create_connection(("127.0.0.1", fresh.ports["smtp"]), timeout=5) as sock:
        reader = sock.makefile("rb")
        reader.readline()
        sock.sendall(b"X" * 10000)
        assert reader.readline().startswith(b"500 ") and reader.read() == b""


def test_records_the_sni_of_each_handshake(fresh: MailEndpoint) -> None:
    async def main() -> None:
        await probe(fresh.endpoint("smtps"), sni="remote.contoso.com", options=ProbeOptions(timeout=5))
        await probe(fresh.endpoint("smtp"), sni=None, options=ProbeOptions(timeout=5))

    asyncio.run(main())
    assert fresh.server_names == ["remote.contoso.com", None]


def test_a_key_that_does_not_match_fails_at_construction(chain: CertChain) -> None:
    stranger = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with pytest.raises(ssl.SSLError, match="KEY_VALUES_MISMATCH"):
        MailEndpoint(chain.leaf_pem, stranger)


def test_fixed_ports_are_used_and_others_stay_ephemeral(chain: CertChain) -> None:
    """A test whose client is configured with a port in advance can give the endpoint that port."""
    from tests.servers.ports import pick_free_ports, release_ports

    imaps, smtp = pick_free_ports(2)
    try:
        with MailEndpoint(chain.leaf_pem, chain.key_pem, chain.intermediate_pem, ports={"imaps": imaps, "smtp": smtp}) as server:
            assert server.ports["imaps"] == imaps and server.ports["smtp"] == smtp
            assert server.url("imaps") == f"imaps://127.0.0.1:{imaps}"
            assert len(set(server.ports.values())) == len(SCHEMES)
            result = asyncio.run(probe(server.endpoint("imaps"), sni="mail.test", options=ProbeOptions(timeout=5)))
            assert result.chain
            # the same port again while it is taken: OSError, and nothing left listening
            with pytest.raises(OSError):
                MailEndpoint(chain.leaf_pem, chain.key_pem, ports={"smtp": smtp}).start()
    finally:
        release_ports([imaps, smtp])


@pytest.mark.parametrize("ports", [{"imap4": 1}, {"imaps": -1}, {"imaps": 70000}, {"imaps": "993"}])
def test_bad_ports_are_refused_up_front(chain: CertChain, ports: dict) -> None:  # type: ignore[type-arg]
    with pytest.raises(ValueError):
        MailEndpoint(chain.leaf_pem, chain.key_pem, ports=ports)
