"""Free-port picking and "is the server really up / really gone" waits for the test servers.

Why not let the OS pick (bind to port 0)?  Port 0 hands out ports from the ephemeral range
(32768-60999 here), the same range the kernel uses for *client* source ports, so a port that was free at
probe time can be taken by any outgoing connection before the daemon binds it.  We pick random ports
from a range below the ephemeral range instead and bind-probe them, remembering what this process
handed out so two fixtures in one session never get the same port.  Between processes (e.g. parallel
pytest runs) the random choice makes clashes unlikely, and the server classes retry with new ports
when a daemon still reports "Address already in use".
"""

from __future__ import annotations

import errno
import random
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterable

#: Where we pick ports: high, unprivileged, below the Linux ephemeral range (see module docstring).
PORT_RANGE: tuple[int, int] = (20000, 32000)

_reserved: set[tuple[str, int]] = set()
_lock = threading.Lock()


class ServerNotReady(RuntimeError):
    """A server did not answer as expected before the deadline (the message says what was seen last)."""


def port_is_free(port: int, host: str = "127.0.0.1", *, udp: bool = False) -> bool:
    """Return True if ``host:port`` can be bound right now.

    No SO_REUSEADDR on purpose: a port still in TIME_WAIT counts as busy, which only makes us pick
    another one, never pick a port the daemon then fails to bind.
    """
    kind = socket.SOCK_DGRAM if udp else socket.SOCK_STREAM
    with socket.socket(socket.AF_INET, kind) as s:
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def pick_free_ports(
    count: int,
    hosts: Iterable[str] = ("127.0.0.1",),
    *,
    udp: bool = False,
    keep: Iterable[int] = (),
) -> list[int]:
    """Return ``count`` distinct ports that are free on every address in ``hosts``.

    ``keep``: ports the caller already used; they are returned first (in order) if still free, so a
    restarted server keeps its ports when it can.  Returned ports are reserved for this process until
    :func:`release_ports`.
    """
    hosts = tuple(hosts)
    chosen: list[int] = []
    with _lock:
        for port in keep:
            if 0 < port and len(chosen) < count and port not in chosen and all(port_is_free(port, h, udp=udp) for h in hosts):
                chosen.append(port)
        tries = 0
        while len(chosen) < count:
            tries += 1
            if tries > 5000:
                raise RuntimeError(f"no {count} free ports in {PORT_RANGE} on {hosts}")
            port = random.randint(*PORT_RANGE)
            if port in chosen or any((h, port) in _reserved for h in hosts):
                continue
            if all(port_is_free(port, h, udp=udp) for h in hosts):
                chosen.append(port)
        for p in chosen:
            for h in hosts:
                _reserved.add((h, p))
    return chosen


def release_ports(ports: Iterable[int], hosts: Iterable[str] = ("127.0.0.1",)) -> None:
    """Forget reservations made by :func:`pick_free_ports` (call after the server is stopped)."""
    hosts = tuple(hosts)
    with _lock:
        for p in ports:
            for h in hosts:
                _reserved.discard((h, p))


def _unverified_context() -> ssl.SSLContext:
    """TLS context for readiness probes only: we want "is it answering", not "is the cert right"."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def read_line(sock: socket.socket, limit: int = 8192) -> bytes:
    """Read one CRLF/LF-terminated line byte by byte.

    Byte by byte on purpose: a buffered reader could swallow bytes that belong to the TLS handshake
    after STARTTLS.  Lines here are short protocol lines, so the cost does not matter.
    """
    buf = bytearray()
    while len(buf) < limit:
        b = sock.recv(1)
        if not b:
            break
        buf += b
        if b == b"\n":
            break
    return bytes(buf)


def try_greeting(host: str, port: int, *, tls: bool = False, timeout: float = 2.0) -> bytes:
    """Connect once (optionally implicit TLS, unverified) and return the first line the server sends."""
    with socket.create_connection((host, port), timeout=timeout) as raw:
        if tls:
            with _unverified_context().wrap_socket(raw, server_hostname=None) as t:
                return read_line(t)
        return read_line(raw)


def wait_for_greeting(
    host: str,
    port: int,
    prefix: bytes,
    *,
    tls: bool = False,
    timeout: float = 20.0,
    alive: Callable[[], bool] | None = None,
) -> bytes:
    """Wait until ``host:port`` sends a first line starting with ``prefix``; return that line.

    An open port is not enough: Dovecot binds before its auth process is ready and drops early clients
    (LAB.md pitfall 4), and Postfix's master binds before an smtpd can answer.  ``alive`` lets the
    caller abort early when the daemon process already died (instead of waiting out the deadline).
    """
    deadline = time.monotonic() + timeout
    last: str = "nothing yet"
    while True:
        try:
            line = try_greeting(host, port, tls=tls, timeout=2.0)
            if line.startswith(prefix):
                return line
            last = f"greeting {line!r}"
        except (OSError, ssl.SSLError) as e:
            last = f"{type(e).__name__}: {e}"
        if alive is not None and not alive():
            raise ServerNotReady(f"{host}:{port}: server process exited (last: {last})")
        if time.monotonic() > deadline:
            raise ServerNotReady(f"{host}:{port}: no {prefix!r} greeting within {timeout}s (last: {last})")
        time.sleep(0.02)


def port_is_open(host: str, port: int, timeout: float = 1.0) -> bool:
    """True if a TCP connect to ``host:port`` succeeds (something is listening)."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except ConnectionRefusedError:
        return False
    except OSError as e:
        if e.errno in (errno.ECONNREFUSED, errno.ECONNRESET):
            return False
        return True  # timeouts etc.: treat as "still there" so we keep waiting


def wait_ports_open(host: str, ports: Iterable[int], timeout: float = 20.0,
                    alive: Callable[[], bool] | None = None) -> None:
    """Wait until every port accepts TCP connections (for servers without a greeting, e.g. HTTPS)."""
    deadline = time.monotonic() + timeout
    for port in ports:
        while not port_is_open(host, port, timeout=1.0):
            if alive is not None and not alive():
                raise ServerNotReady(f"{host}:{port}: server process exited before listening")
            if time.monotonic() > deadline:
                raise ServerNotReady(f"{host}:{port}: not listening within {timeout}s")
            time.sleep(0.02)


def wait_ports_closed(host: str, ports: Iterable[int], timeout: float = 20.0) -> None:
    """Wait until nothing listens on any of ``ports`` (connect refused).

    After a stop, exited daemon children can linger as zombies (LAB.md pitfall 8), so closed ports,
    not process counts, are the reliable "it is down" signal.
    """
    deadline = time.monotonic() + timeout
    for port in ports:
        while port_is_open(host, port, timeout=0.5):
            if time.monotonic() > deadline:
                raise ServerNotReady(f"{host}:{port}: still listening {timeout}s after stop")
            time.sleep(0.02)


class PortedServer:
    """What Dovecot and Postfix servers share: named loopback ports chosen at ``start()``."""

    _ports: dict[str, int]

    def _port(self, name: str) -> int:
        from .procs import ServerError

        if name not in self._ports:
            raise ServerError("ports are chosen at start(); the server has not been started")
        return self._ports[name]

    @property
    def ports(self) -> dict[str, int]:
        """Port by service name (``{"imap": .., "imaps": ..}``) of the current or last run."""
        return dict(self._ports)
