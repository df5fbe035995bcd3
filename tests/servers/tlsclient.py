"""Minimal STARTTLS / implicit-TLS clients built on :mod:`ssl` only.

Why not imaplib/poplib/smtplib: they cannot connect to 127.0.0.1 while verifying another name
(LAB.md pitfall 11), and they hide the raw peer certificate.  These helpers always connect to an IP
and take ``server_hostname`` separately, so no test name is ever resolved (nothing leaves loopback).
"""

from __future__ import annotations

import socket
import ssl
import time
from typing import Literal

from .ports import read_line

Starttls = Literal["imap", "pop3", "smtp"]


class StarttlsError(RuntimeError):
    """The server did not accept STARTTLS/STLS the way the protocol says."""


def _expect(line: bytes, prefix: bytes, what: str) -> None:
    if not line.startswith(prefix):
        raise StarttlsError(f"{what}: expected {prefix!r}, got {line!r}")


def _smtp_reply(sock: socket.socket) -> bytes:
    """Read a (possibly multi-line) SMTP reply; return its last line."""
    while True:
        line = read_line(sock)
        if len(line) < 4 or line[3:4] != b"-":
            return line


def starttls_preamble(sock: socket.socket, protocol: Starttls) -> None:
    """Speak the plaintext part of the protocol up to the point where the TLS handshake starts."""
    if protocol == "imap":
        _expect(read_line(sock), b"* OK", "IMAP greeting")
        sock.sendall(b"a1 STARTTLS\r\n")
        while True:
            line = read_line(sock)
            if line.startswith(b"a1 "):
                _expect(line, b"a1 OK", "IMAP STARTTLS")
                return
            if not line:
                raise StarttlsError("IMAP: connection closed during STARTTLS")
    elif protocol == "pop3":
        _expect(read_line(sock), b"+OK", "POP3 greeting")
        sock.sendall(b"STLS\r\n")
        _expect(read_line(sock), b"+OK", "POP3 STLS")
    elif protocol == "smtp":
        _expect(_smtp_reply(sock), b"220", "SMTP greeting")
        sock.sendall(b"EHLO client.mailcert.test\r\n")
        _expect(_smtp_reply(sock), b"250", "SMTP EHLO")
        sock.sendall(b"STARTTLS\r\n")
        _expect(_smtp_reply(sock), b"220", "SMTP STARTTLS")
    else:  # pragma: no cover
        raise ValueError(protocol)


def unverified_context() -> ssl.SSLContext:
    """Client context that accepts any certificate: for "which leaf is served", not for trust tests."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def tls_connect(
    host: str,
    port: int,
    *,
    starttls: Starttls | None = None,
    context: ssl.SSLContext | None = None,
    server_hostname: str | None = None,
    timeout: float = 5.0,
) -> ssl.SSLSocket:
    """Open a TLS connection (implicit TLS if ``starttls`` is None) to ``host`` (an IP) and return it.

    ``server_hostname`` is sent as SNI and checked by ``context`` if it verifies; the caller closes
    the returned socket.
    """
    ctx = context or unverified_context()
    raw = socket.create_connection((host, port), timeout=timeout)
    try:
        if starttls is not None:
            starttls_preamble(raw, starttls)
        return ctx.wrap_socket(raw, server_hostname=server_hostname)
    except BaseException:
        raw.close()
        raise


def fetch_leaf_der(
    host: str,
    port: int,
    *,
    starttls: Starttls | None = None,
    server_hostname: str | None = None,
    timeout: float = 5.0,
) -> bytes:
    """DER of the leaf certificate served on ``host:port`` (no verification)."""
    with tls_connect(host, port, starttls=starttls, server_hostname=server_hostname, timeout=timeout) as t:
        der = t.getpeercert(binary_form=True)
    if der is None:  # pragma: no cover - a TLS server always sends one here
        raise StarttlsError(f"{host}:{port}: no peer certificate")
    return der


class Endpoint:
    """One TLS-capable listener of a test server: where it is and how TLS starts there."""

    __slots__ = ("name", "host", "port", "starttls")

    def __init__(self, name: str, host: str, port: int, starttls: Starttls | None) -> None:
        self.name = name          # e.g. "imap", "imaps", "submission"
        self.host = host          # always an IP literal
        self.port = port
        self.starttls = starttls  # None = implicit TLS

    def __repr__(self) -> str:
        mode = f"STARTTLS/{self.starttls}" if self.starttls else "implicit TLS"
        return f"Endpoint({self.name} {self.host}:{self.port} {mode})"

    def connect(self, context: ssl.SSLContext | None = None, server_hostname: str | None = None,
                timeout: float = 5.0) -> ssl.SSLSocket:
        """TLS connection to this endpoint; see :func:`tls_connect`."""
        return tls_connect(self.host, self.port, starttls=self.starttls, context=context,
                           server_hostname=server_hostname, timeout=timeout)

    def leaf_der(self, server_hostname: str | None = None, timeout: float = 5.0) -> bytes:
        """DER of the served leaf (unverified); see :func:`fetch_leaf_der`."""
        return fetch_leaf_der(self.host, self.port, starttls=self.starttls,
                              server_hostname=server_hostname, timeout=timeout)


def wait_for_leaf(endpoints: list[Endpoint], der: bytes, timeout: float = 15.0) -> None:
    """Wait until every endpoint serves the leaf ``der`` (after a reload, old worker processes can
    still answer for a moment; a test that asserts right after reload would be flaky)."""
    deadline = time.monotonic() + timeout
    for ep in endpoints:
        while True:
            try:
                if ep.leaf_der() == der:
                    break
                last = "old certificate"
            except (OSError, ssl.SSLError, StarttlsError) as e:
                last = f"{type(e).__name__}: {e}"
            if time.monotonic() > deadline:
                raise TimeoutError(f"{ep}: still not serving the expected leaf after {timeout}s ({last})")
            time.sleep(0.05)
