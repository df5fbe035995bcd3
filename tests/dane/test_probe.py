"""The DANE/MTA-STS probe against hostile or broken servers on loopback: bounded time, one line."""

from __future__ import annotations

import asyncio
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from mailcert.certs.tlsa import DnsStatus
from mailcert.errors import InputError
from mailcert.names.mtasts import StsStatus
from mailcert.probe.dane import Resolver, fetch_policy, parse_resolver, query
from tests.servers.certs import make_ca


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    d = tmp_path_factory.mktemp("sts-pki")
    ca = make_ca(d)
    leaf = ca.issue(d, "web", common_name="mta-sts.mail.test", dns_names=("mta-sts.mail.test",))
    return ca.cert_path, leaf.cert_path, leaf.key_path


def _serve(handler) -> Iterator[int]:  # type: ignore[no-untyped-def]
    """A listener on a free loopback port; ``handler(conn)`` runs per connection in a thread."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    stop = threading.Event()

    def loop() -> None:
        srv.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = srv.accept()
            except OSError:
                continue
            threading.Thread(target=handler, args=(conn, stop), daemon=True).start()

    t = threading.Thread(target=loop, daemon=True)
    t.start()
    try:
        yield srv.getsockname()[1]
    finally:
        stop.set()
        t.join(2)
        srv.close()


def _https(pki, body_of):  # type: ignore[no-untyped-def]
    _, cert, key = pki
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)

    def handle(conn: socket.socket, stop: threading.Event) -> None:
        try:
            with ctx.wrap_socket(conn, server_side=True) as tls:
                tls.recv(4096)
                body_of(tls, stop)
        except OSError:
            pass

    return _serve(handle)


def test_policy_fetched_and_verified(pki) -> None:  # type: ignore[no-untyped-def]
    policy = b"version: STSv1\nmode: enforce\nmx: mx.mail.test\nmax_age: 600\n"

    def ok(tls: ssl.SSLSocket, stop: threading.Event) -> None:
        tls.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % len(policy) + policy)

    for port in _https(pki, ok):
        assert fetch_policy("mta-sts.mail.test", "127.0.0.1", port, timeout=5, cafile=str(pki[0])) == policy
        with pytest.raises(OSError, match="certificate not valid for the policy host"):
            fetch_policy("mta-sts.other.test", "127.0.0.1", port, timeout=5, cafile=str(pki[0]))


def test_a_10_mb_policy_is_not_read(pki) -> None:  # type: ignore[no-untyped-def]
    def huge(tls: ssl.SSLSocket, stop: threading.Event) -> None:
        tls.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 10485760\r\n\r\n")
        chunk = b"mx: a.mail.test\n" * 4096
        sent = 0
        while sent < 10 * 1024 * 1024 and not stop.is_set():
            tls.sendall(chunk)
            sent += len(chunk)

    for port in _https(pki, huge):
        t0 = time.monotonic()
        with pytest.raises(OSError, match="larger than 64 KB: not read further"):
            fetch_policy("mta-sts.mail.test", "127.0.0.1", port, timeout=10, cafile=str(pki[0]))
        assert time.monotonic() - t0 < 5


@pytest.mark.parametrize("after_headers", [False, True])
def test_a_server_that_never_answers_costs_the_deadline_only(pki, after_headers: bool) -> None:  # type: ignore[no-untyped-def]
    def silent(tls: ssl.SSLSocket, stop: threading.Event) -> None:
        if after_headers:  # headers, then a byte now and then: the whole-exchange deadline still holds
            tls.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")
            while not stop.wait(0.3):
                tls.sendall(b"#")
        stop.wait(30)

    for port in _https(pki, silent):
        t0 = time.monotonic()
        with pytest.raises(OSError) as exc:
            fetch_policy("mta-sts.mail.test", "127.0.0.1", port, timeout=1.5, cafile=str(pki[0]))
        assert time.monotonic() - t0 < 4
        assert "1.5 s" in str(exc.value) and "\n" not in str(exc.value)


def test_dns_query_to_a_silent_resolver_is_an_error_in_bounded_time() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as mute:
        mute.bind(("127.0.0.1", 0))
        r = Resolver("127.0.0.1", mute.getsockname()[1])
        t0 = time.monotonic()
        ans = asyncio.run(query(r, "_25._tcp.mx.mail.test.", "TLSA", timeout=1.0))
        assert ans.status is DnsStatus.ERROR and "no answer" in ans.detail
        assert time.monotonic() - t0 < 3


def test_sts_status_values_are_stable() -> None:
    assert [s.value for s in StsStatus] == ["none", "policy", "invalid", "unavailable"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("127.0.0.1", Resolver("127.0.0.1", 53)), ("127.0.0.1:35054", Resolver("127.0.0.1", 35054)),
     ("[::1]:5353", Resolver("::1", 5353)), ("::1", Resolver("::1", 53))],
)
def test_resolver_spec(text: str, expected: Resolver) -> None:
    assert parse_resolver(text) == expected


@pytest.mark.parametrize("bad", ["dns.example", "127.0.0.1:x", "127.0.0.1:70000", "[::1]x"])
def test_bad_resolver_spec(bad: str) -> None:
    with pytest.raises(InputError):
        parse_resolver(bad)
