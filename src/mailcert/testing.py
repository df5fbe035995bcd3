"""An embedded TLS mail endpoint on loopback, for your own tests and for ``mailcert demo``.

::

    async with MailEndpoint(cert_pem, key_pem, chain_pem) as server:
        result = await probe(parse_target(server.url("imap")), sni="mail.example.com", options=ProbeOptions(timeout=5))

    server = MailEndpoint(cert_pem, key_pem).start()      # the same, in a background thread
    try: ...
    finally: server.stop()

It listens on 127.0.0.1, on ephemeral ports unless told which (``ports={"imaps": 10993}``), for IMAP (STARTTLS), IMAPS, POP3 (STLS), POP3S,
SMTP (STARTTLS) and SMTPS, and speaks just enough of each protocol to be a *correct* STARTTLS
peer: greeting, CAPABILITY/CAPA/EHLO, STARTTLS/STLS, NOOP, LOGOUT/QUIT; any other command gets
"not implemented".  It refuses a client that pipelines data behind its STARTTLS command (the
server-side CVE-2011-0411 rule), records the SNI each handshake asked for
(:attr:`MailEndpoint.server_names`), and starts in a few milliseconds.

It is not a mail server: no login, no mailbox, nothing is stored.
"""

from __future__ import annotations

import asyncio
import enum
import functools
import os
import ssl
import tempfile
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Final

from mailcert.errors import ProtocolError
from mailcert.model import Endpoint, parse_target
from mailcert.probe.starttls import LineReader
from mailcert.probe.stream import ByteStream

__all__ = ["MailEndpoint", "SCHEMES"]

SCHEMES: Final = ("imap", "imaps", "pop3", "pop3s", "smtp", "smtps")
"""The services an endpoint offers, by URL scheme (see :func:`mailcert.model.parse_target`)."""

_IDLE_TIMEOUT: Final = 30.0  # a test client that forgets its connection does not hold it forever


class _Next(enum.Enum):
    CONTINUE = "continue"
    START_TLS = "start-tls"
    CLOSE = "close"


@dataclass(frozen=True)
class _Answer:
    reply: str
    then: _Next = _Next.CONTINUE


# --- what each protocol answers: (line, in_tls, hostname) -> _Answer ------------------------


def _imap(line: str, tls: bool, hostname: str) -> _Answer:
    tag, _, rest = line.partition(" ")
    command = rest.split(" ", 1)[0].upper()
    if not tag or not command:
        return _Answer("* BAD expected: tag command")
    caps = "IMAP4rev1" + ("" if tls else " STARTTLS") + " LOGINDISABLED"
    if command == "CAPABILITY":
        return _Answer(f"* CAPABILITY {caps}\r\n{tag} OK CAPABILITY completed")
    if command == "STARTTLS":
        if tls:
            return _Answer(f"{tag} BAD TLS is already active")
        return _Answer(f"{tag} OK Begin TLS negotiation now", _Next.START_TLS)
    if command == "NOOP":
        return _Answer(f"{tag} OK NOOP completed")
    if command == "LOGOUT":
        return _Answer(f"* BYE {hostname} logging out\r\n{tag} OK LOGOUT completed", _Next.CLOSE)
    return _Answer(f"{tag} NO {command} not implemented (mailcert test endpoint)")


def _pop3(line: str, tls: bool, hostname: str) -> _Answer:
    command = line.split(" ", 1)[0].upper()
    if command == "CAPA":
        stls = "" if tls else "STLS\r\n"
        return _Answer(f"+OK capability list follows\r\n{stls}IMPLEMENTATION mailcert-test-endpoint\r\n.")
    if command == "STLS":
        if tls:
            return _Answer("-ERR TLS is already active")
        return _Answer("+OK Begin TLS negotiation now", _Next.START_TLS)
    if command == "NOOP":
        return _Answer("+OK")
    if command == "QUIT":
        return _Answer(f"+OK {hostname} signing off", _Next.CLOSE)
    return _Answer(f"-ERR {command or 'empty command'} not implemented (mailcert test endpoint)")


def _smtp(line: str, tls: bool, hostname: str) -> _Answer:
    command, _, argument = line.partition(" ")
    command = command.upper()
    if command == "EHLO":
        starttls = "" if tls else "\r\n250-STARTTLS"
        return _Answer(f"250-{hostname} greets {argument.strip() or 'you'}{starttls}\r\n250 8BITMIME")
    if command == "HELO":
        return _Answer(f"250 {hostname}")
    if command == "STARTTLS":
        if tls:
            return _Answer("503 5.5.1 TLS is already active")
        return _Answer("220 2.0.0 Ready to start TLS", _Next.START_TLS)
    if command in ("NOOP", "RSET"):
        return _Answer("250 2.0.0 OK")
    if command == "QUIT":
        return _Answer(f"221 2.0.0 {hostname} closing connection", _Next.CLOSE)
    return _Answer("502 5.5.2 command not implemented (mailcert test endpoint)")


@dataclass(frozen=True)
class _Service:
    scheme: str
    implicit: bool
    greeting: Callable[[str], str]
    answer: Callable[[str, bool, str], _Answer]
    bad_line: str  # the reply to a line over the length limit, before hanging up


_SERVICES: Final = tuple(
    _Service(scheme, implicit, greeting, answer, bad)
    for (scheme, implicit, greeting, answer, bad) in (
        ("imap", False, lambda h: f"* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] {h} ready", _imap, "* BYE line too long"),
        ("imaps", True, lambda h: f"* OK [CAPABILITY IMAP4rev1 LOGINDISABLED] {h} ready", _imap, "* BYE line too long"),
        ("pop3", False, lambda h: f"+OK {h} POP3 ready", _pop3, "-ERR line too long"),
        ("pop3s", True, lambda h: f"+OK {h} POP3 ready", _pop3, "-ERR line too long"),
        ("smtp", False, lambda h: f"220 {h} ESMTP mailcert test endpoint", _smtp, "500 5.5.2 line too long"),
        ("smtps", True, lambda h: f"220 {h} ESMTP mailcert test endpoint", _smtp, "500 5.5.2 line too long"),
    )
)


class MailEndpoint:
    """IMAP, IMAPS, POP3, POP3S, SMTP and SMTPS on 127.0.0.1, serving one certificate chain.

    ``cert_pem`` is the leaf, ``chain_pem`` the intermediates to send after it (in that order,
    as the server would), ``key_pem`` the leaf's private key (unencrypted PEM).  ``hostname`` is
    the name the endpoint uses in its greetings and EHLO reply.  ``ports`` fixes the port of
    some services (``{"imaps": 10993, "smtp": 10025}``), for a test whose client is configured
    with a port in advance (a mail client's account file, a firewall rule); the others get
    ephemeral ports.  A port already in use fails :meth:`start` with :class:`OSError`.
    """

    def __init__(
        self,
        cert_pem: bytes,
        key_pem: bytes,
        chain_pem: bytes = b"",
        *,
        hostname: str = "localhost",
        ports: Mapping[str, int] | None = None,
    ) -> None:
        wanted = dict(ports or {})
        unknown = sorted(set(wanted) - set(SCHEMES))
        if unknown:
            raise ValueError(f"no service {', '.join(unknown)} (schemes: {', '.join(SCHEMES)})")
        for scheme, port in wanted.items():
            if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
                raise ValueError(f"port for {scheme}: {port!r} is not a port number (0-65535)")
        self.hostname = hostname
        self._wanted_ports = wanted
        self.server_names: list[str | None] = []
        """The SNI of every TLS handshake, in order (``None``: the client sent none)."""
        self._context = _server_context(cert_pem, key_pem, chain_pem, self._record_sni)
        self._servers: list[asyncio.Server] = []
        self._ports: dict[str, int] = {}
        self._connections: set[asyncio.Task[None]] = set()  # the open connections' handlers
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopped: asyncio.Event | None = None

    # -- addresses

    @property
    def host(self) -> str:
        return "127.0.0.1"

    @property
    def ports(self) -> dict[str, int]:
        """Port per scheme (``{"imap": 41234, "imaps": ...}``); empty until started."""
        return dict(self._ports)

    def url(self, scheme: str) -> str:
        """``imaps://127.0.0.1:PORT`` and so on, for ``mailcert check`` or :func:`parse_target`."""
        if scheme not in self._ports:
            raise KeyError(f"no {scheme!r} service (started? schemes: {', '.join(SCHEMES)})")
        return f"{scheme}://{self.host}:{self._ports[scheme]}"

    def endpoint(self, scheme: str) -> Endpoint:
        """The :class:`~mailcert.model.Endpoint` of one service."""
        return parse_target(self.url(scheme))

    # -- async face

    async def __aenter__(self) -> MailEndpoint:
        await self._start()
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self._stop()

    async def _start(self) -> None:
        if self._servers:
            raise RuntimeError("MailEndpoint already started")
        loop = asyncio.get_running_loop()
        try:
            for service in _SERVICES:
                server = await loop.create_server(
                    functools.partial(ByteStream, functools.partial(self._accept, service)),
                    self.host,
                    self._wanted_ports.get(service.scheme, 0),
                    ssl=self._context if service.implicit else None,
                    ssl_handshake_timeout=_IDLE_TIMEOUT if service.implicit else None,
                )
                self._servers.append(server)
                self._ports[service.scheme] = server.sockets[0].getsockname()[1]
        except OSError:
            await self._stop()  # a fixed port in use: release the ports already taken
            raise

    async def _stop(self) -> None:
        for server in self._servers:
            server.close()
        for task in list(self._connections):
            task.cancel()
        await asyncio.gather(*self._connections, return_exceptions=True)
        for server in self._servers:
            await server.wait_closed()
        self._servers.clear()
        self._ports.clear()

    # -- sync face: the same servers on an event loop in a background thread

    def start(self) -> MailEndpoint:
        """Start in a daemon thread with its own event loop; returns once the ports listen."""
        if self._thread is not None:
            raise RuntimeError("MailEndpoint already started")
        ready = threading.Event()
        failure: list[BaseException] = []

        async def main() -> None:
            self._loop = asyncio.get_running_loop()
            self._stopped = asyncio.Event()
            try:
                await self._start()
            except BaseException as exc:
                failure.append(exc)
                raise
            finally:
                ready.set()
            try:
                await self._stopped.wait()
            finally:
                await self._stop()

        def thread_main() -> None:
            try:
                asyncio.run(main())
            except BaseException:  # noqa: BLE001 - reported through `failure`
                if not failure:
                    raise

        self._thread = threading.Thread(target=thread_main, name="mailcert-test-endpoint", daemon=True)
        self._thread.start()
        ready.wait(10)
        if failure:
            self._thread.join()
            self._thread = None
            raise failure[0]
        return self

    def stop(self) -> None:
        """Stop the background servers and wait for the thread to finish."""
        if self._thread is None:
            return
        loop, stopped = self._loop, self._stopped
        if loop is not None and stopped is not None:
            loop.call_soon_threadsafe(stopped.set)
        self._thread.join(10)
        self._thread = None

    def __enter__(self) -> MailEndpoint:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

    # -- one connection

    def _record_sni(self, sslobj: ssl.SSLSocket | ssl.SSLObject, name: str | None, context: ssl.SSLContext) -> None:
        self.server_names.append(name)

    def _accept(self, service: _Service, stream: ByteStream, transport: asyncio.Transport) -> None:
        task = asyncio.get_running_loop().create_task(self._serve(service, stream, transport))
        self._connections.add(task)
        task.add_done_callback(self._connections.discard)

    async def _serve(self, service: _Service, stream: ByteStream, transport: asyncio.Transport) -> None:
        """One connection, from greeting to hang-up; always aborted at the end, never left open."""
        try:
            async with asyncio.timeout(_IDLE_TIMEOUT):
                await self._converse(service, stream, transport)
        except (OSError, ssl.SSLError, TimeoutError):
            pass  # the client went away or dawdled; nothing to report to anyone
        finally:
            for end in (stream.transport, transport):
                if end is not None and not end.is_closing():
                    end.abort()

    async def _converse(self, service: _Service, stream: ByteStream, transport: asyncio.Transport) -> None:
        loop = asyncio.get_running_loop()
        tls = service.implicit
        lines = LineReader(max_total=1 << 20)
        transport.write(service.greeting(self.hostname).encode() + b"\r\n")
        while True:
            current = stream.transport
            assert current is not None
            try:
                raw = lines.next_line()
            except ProtocolError:
                current.write(service.bad_line.encode() + b"\r\n")
                current.close()
                return
            if raw is None:
                data = await stream.read()
                if not data:
                    return
                lines.receive(data)
                continue
            answer = service.answer(raw.decode("utf-8", "replace"), tls, self.hostname)
            if answer.then is _Next.START_TLS and (lines.buffered or stream.take()):
                return  # data pipelined behind STARTTLS: never treat it as sent inside TLS
            current.write(answer.reply.encode() + b"\r\n")
            if answer.then is _Next.CLOSE:
                current.close()  # a polite end: the reply is flushed first
                return
            if answer.then is _Next.START_TLS:
                upgraded = await loop.start_tls(
                    current, stream, self._context, server_side=True, ssl_handshake_timeout=_IDLE_TIMEOUT
                )
                if upgraded is None:
                    return  # the client left during the handshake
                stream.use(upgraded)
                tls = True
                lines = LineReader(max_total=1 << 20)


def _server_context(
    cert_pem: bytes,
    key_pem: bytes,
    chain_pem: bytes,
    on_sni: Callable[[ssl.SSLSocket | ssl.SSLObject, str | None, ssl.SSLContext], None],
) -> ssl.SSLContext:
    """A server context for the chain; ``load_cert_chain`` takes only paths, so via a private temp dir."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    with tempfile.TemporaryDirectory(prefix="mailcert-endpoint-") as tmp:
        cert_path = os.path.join(tmp, "chain.pem")
        key_path = os.path.join(tmp, "key.pem")
        with open(cert_path, "wb") as out:
            out.write(cert_pem.rstrip() + b"\n" + chain_pem)
        with open(os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as out:
            out.write(key_pem)
        ctx.load_cert_chain(cert_path, key_path)
    ctx.sni_callback = on_sni
    return ctx
