"""Hostile mail servers on loopback: each misbehaves in exactly one way, on purpose.

A behaviour is ``async def (conn: Conn) -> None``; :func:`hostile_server` serves it on an
ephemeral 127.0.0.1 port and yields the port.  Every loop here is bounded in bytes and time,
and every connection is aborted when the context exits, so a test cannot leave a server behind.

The scripted part of the dialogue (greeting, capability reply, STARTTLS reply) is a small
per-protocol table, :data:`SCRIPTS`, so each misbehaviour is written once for IMAP, POP3 and SMTP.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import struct
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

from mailcert.model import Protocol

Behaviour = Callable[["Conn"], Awaitable[None]]

FOREVER = 60.0  # "never answers": far beyond every probe timeout in the tests, yet bounded


@dataclass(frozen=True)
class Script:
    """What a correct server of one protocol says, as functions of the client's line."""

    greeting: bytes
    capabilities: Callable[[str, bool], bytes]  # (client line, offer STARTTLS) -> reply
    starttls_ok: Callable[[str], bytes]
    starttls_no: Callable[[str], bytes]


def _tag(line: str) -> str:
    return line.split(" ", 1)[0]


SCRIPTS: dict[Protocol, Script] = {
    Protocol.IMAP: Script(
        greeting=b"* OK hostile IMAP ready\r\n",
        capabilities=lambda line, offer: (
            b"* CAPABILITY IMAP4rev1 " + (b"STARTTLS " if offer else b"") + b"AUTH=PLAIN\r\n"
            + _tag(line).encode() + b" OK CAPABILITY completed\r\n"
        ),
        starttls_ok=lambda line: _tag(line).encode() + b" OK Begin TLS negotiation now\r\n",
        starttls_no=lambda line: _tag(line).encode() + b" NO TLS is switched off today\r\n",
    ),
    Protocol.POP3: Script(
        greeting=b"+OK hostile POP3 ready\r\n",
        capabilities=lambda line, offer: b"+OK list follows\r\nUSER\r\n" + (b"STLS\r\n" if offer else b"") + b"TOP\r\n.\r\n",
        starttls_ok=lambda line: b"+OK Begin TLS negotiation now\r\n",
        starttls_no=lambda line: b"-ERR TLS is switched off today\r\n",
    ),
    Protocol.SMTP: Script(
        greeting=b"220-hostile.example ESMTP\r\n220 second greeting line\r\n",
        capabilities=lambda line, offer: (
            b"250-hostile.example greets you\r\n250-PIPELINING\r\n" + (b"250-STARTTLS\r\n" if offer else b"") + b"250 8BITMIME\r\n"
        ),
        starttls_ok=lambda line: b"220 2.0.0 Ready to start TLS\r\n",
        starttls_no=lambda line: b"454 4.7.0 TLS not available\r\n",
    ),
}


class Conn:
    """One accepted connection, with the moves a misbehaving server needs."""

    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, protocol: Protocol, stop: asyncio.Event
    ) -> None:
        self.reader = reader
        self.writer = writer
        self.protocol = protocol
        self.script = SCRIPTS.get(protocol)
        self._stop = stop

    async def send(self, data: bytes, *, chunk: int = 0, pause: float = 0.0) -> None:
        """Write ``data``; with ``chunk``, a few bytes per packet with a pause between them."""
        step = chunk or len(data) or 1
        for start in range(0, len(data), step):
            if start and pause:
                await asyncio.sleep(pause)
            self.writer.write(data[start : start + step])
            await self.writer.drain()

    async def line(self) -> str:
        raw = await self.reader.readline()
        if not raw:
            raise ConnectionResetError("client went away")
        return raw.decode("utf-8", "replace").rstrip("\r\n")

    async def dialogue(self, *, offer: bool = True, chunk: int = 0, pause: float = 0.0) -> None:
        """Greeting and capability reply, as a correct server would (optionally fragmented)."""
        assert self.script is not None
        await self.send(self.script.greeting, chunk=chunk, pause=pause)
        await self.send(self.script.capabilities(await self.line(), offer), chunk=chunk, pause=pause)

    async def accept_starttls(self, *, extra: bytes = b"", chunk: int = 0, pause: float = 0.0) -> None:
        """Greeting, capabilities, STARTTLS accepted; ``extra`` rides in the same packet as the OK."""
        assert self.script is not None
        await self.dialogue(chunk=chunk, pause=pause)
        await self.send(self.script.starttls_ok(await self.line()) + extra, chunk=chunk, pause=pause)

    async def client_hello(self) -> bytes:
        """The first TLS record the client sends (at least its 5-byte header)."""
        header = await self.reader.readexactly(5)
        (length,) = struct.unpack("!H", header[3:5])
        return header + await self.reader.readexactly(length)

    def reset(self) -> None:
        """Close with a TCP RST (SO_LINGER 0) instead of a FIN."""
        sock = self.writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.writer.transport.abort()

    async def tls_handshake(self, context: ssl.SSLContext) -> None:
        """Be a TLS server over memory BIOs, so that alerts are flushed to the client.

        asyncio's own server-side TLS aborts the connection on a handshake error without
        sending the alert OpenSSL produced; a real server sends it.
        """
        incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        tls = context.wrap_bio(incoming, outgoing, server_side=True)
        while True:
            try:
                tls.do_handshake()
                done = True
            except ssl.SSLWantReadError:
                done = False
            finally:
                await self.send(outgoing.read())
            if done:
                return
            data = await self.reader.read(65536)
            if not data:
                raise ConnectionResetError("client went away")
            incoming.write(data)

    async def forever(self) -> None:
        """Do nothing until the test is over (or :data:`FOREVER` passes)."""
        try:
            await asyncio.wait_for(self._stop.wait(), FOREVER)
        except TimeoutError:
            pass


@asynccontextmanager
async def hostile_server(
    behaviour: Behaviour, protocol: Protocol = Protocol.IMAP, *, ssl_context: ssl.SSLContext | None = None
) -> AsyncIterator[int]:
    """Serve ``behaviour`` on 127.0.0.1; yields the port.  ``ssl_context`` makes it implicit TLS."""
    tasks: set[asyncio.Task[None]] = set()
    writers: set[asyncio.StreamWriter] = set()
    stop = asyncio.Event()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        tasks.add(task)
        writers.add(writer)
        try:
            await behaviour(Conn(reader, writer, protocol, stop))
        except (OSError, ssl.SSLError, asyncio.IncompleteReadError):
            pass
        finally:
            tasks.discard(task)
            writers.discard(writer)
            writer.transport.abort()

    server = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=ssl_context)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        # end handlers by stopping and aborting them, not by cancelling: Python 3.11's
        # streams log a cancelled connection handler as an unhandled error
        server.close()
        stop.set()
        for writer in list(writers):
            writer.transport.abort()
        await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 5.0)
        await server.wait_closed()


# --- the misbehaviours -----------------------------------------------------------------------


async def silence(conn: Conn) -> None:
    """Accepts, then says nothing at all (what a STARTTLS client sees on an implicit-TLS port)."""
    await conn.forever()


async def garbage(conn: Conn) -> None:
    """Binary noise with line ends, and an ANSI escape that must not reach a terminal."""
    await conn.send(b"\x00\xff\xfe\x1b[31mHELLO\x07 \x80\x81\r\n\x16\x03\x01\x00\x05hello\r\n")
    await conn.forever()


async def endless_line(conn: Conn) -> None:
    """A greeting that never ends: 1 MiB without a newline (bounded), then silence."""
    await conn.send(b"* OK ")
    for _ in range(256):
        await conn.send(b"A" * 4096)
    await conn.forever()


async def drip(conn: Conn) -> None:
    """A correct greeting, one byte per second."""
    assert conn.script is not None
    await conn.send(conn.script.greeting * 4, chunk=1, pause=1.0)
    await conn.forever()


async def no_starttls(conn: Conn) -> None:
    """Correct, but STARTTLS is not among the capabilities."""
    await conn.dialogue(offer=False)
    await conn.forever()


async def refuse_starttls(conn: Conn) -> None:
    """Advertises STARTTLS, then refuses it."""
    assert conn.script is not None
    await conn.dialogue()
    await conn.send(conn.script.starttls_no(await conn.line()))
    await conn.forever()


async def starttls_then_plaintext(conn: Conn) -> None:
    """Accepts STARTTLS, then answers the ClientHello in plaintext."""
    await conn.accept_starttls()
    await conn.client_hello()
    await conn.send(b"* BYE this is not TLS\r\n")
    await conn.forever()


async def injection(conn: Conn) -> None:
    """Data after the STARTTLS reply, in the same packet (CVE-2011-0411)."""
    await conn.accept_starttls(extra=b"250 injected before TLS\r\n")
    await conn.forever()


async def close_after_greeting(conn: Conn) -> None:
    """Greets, then hangs up."""
    assert conn.script is not None
    await conn.send(conn.script.greeting)
    await conn.line()


TLS_ALERT_INTERNAL_ERROR = bytes([0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 80])  # fatal, internal_error(80)


async def tls_alert_after_starttls(conn: Conn) -> None:
    """Accepts STARTTLS, then answers the ClientHello with a fatal alert."""
    await conn.accept_starttls()
    await conn.client_hello()
    await conn.send(TLS_ALERT_INTERNAL_ERROR)
    await conn.forever()


def tls_server(context: ssl.SSLContext) -> Behaviour:
    """Implicit TLS with ``context`` (whose callbacks may refuse), alerts sent as a real server would."""

    async def behaviour(conn: Conn) -> None:
        await conn.tls_handshake(context)
        await conn.forever()

    return behaviour


async def tls_alert(conn: Conn) -> None:
    """Implicit TLS: the ClientHello is answered with a fatal alert."""
    await conn.client_hello()
    await conn.send(TLS_ALERT_INTERNAL_ERROR)
    await conn.forever()


async def stalled_handshake(conn: Conn) -> None:
    """Accepts STARTTLS, reads the ClientHello, never answers it."""
    await conn.accept_starttls()
    await conn.client_hello()
    await conn.forever()


async def reset_in_handshake(conn: Conn) -> None:
    """Accepts STARTTLS, reads the ClientHello, resets the connection (RST)."""
    await conn.accept_starttls()
    await conn.client_hello()
    conn.reset()


def fragmented(server_context: ssl.SSLContext, *, chunk: int = 3, pause: float = 0.002) -> Behaviour:
    """A CORRECT server whose replies arrive ``chunk`` bytes per packet, then real TLS."""

    async def behaviour(conn: Conn) -> None:
        await conn.accept_starttls(chunk=chunk, pause=pause)
        await conn.tls_handshake(server_context)
        await conn.forever()

    return behaviour
