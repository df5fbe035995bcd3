"""A byte stream over an asyncio transport that survives ``loop.start_tls``.

asyncio's streams hide what matters for STARTTLS: bytes buffered after the upgrade reply are
invisible (so injected plaintext could not be refused), and in Python 3.11
``StreamWriter.start_tls`` leaves the writer without a transport when the peer goes away
during the handshake.  This protocol keeps the buffer in sight, lets its owner switch it to
the TLS transport, and bounds memory by pausing reads.  The probe driver and the embedded
test endpoint (:mod:`mailcert.testing`) both use it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Final, cast

from mailcert.probe.starttls import MAX_BYTES

__all__ = ["ByteStream"]

READ_BUDGET: Final = MAX_BYTES
"""Bytes buffered before the transport is asked to stop reading."""


class ByteStream(asyncio.Protocol):
    """Buffers what the peer sends until its owner asks; reading pauses above a budget.

    ``on_connect`` (for servers) is called with the stream and its transport once connected.
    """

    def __init__(self, on_connect: Callable[[ByteStream, asyncio.Transport], None] | None = None) -> None:
        self._on_connect = on_connect
        self.transport: asyncio.Transport | None = None
        self._buffer = bytearray()
        self._paused = False
        self._eof = False
        self._error: BaseException | None = None
        self._waiter: asyncio.Future[None] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # A cast, not an isinstance check: uvloop's transports are not asyncio.Transport
        # instances, yet a stream connection's transport has all of its methods on both loops.
        full = cast(asyncio.Transport, transport)
        self.transport = full
        if self._on_connect is not None:
            self._on_connect(self, full)

    def use(self, transport: asyncio.Transport) -> None:
        """Switch to the TLS transport (``start_tls`` does not call ``connection_made`` again)."""
        self.transport = transport
        self._paused = False

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        if len(self._buffer) >= READ_BUDGET and not self._paused and self.transport is not None:
            self.transport.pause_reading()
            self._paused = True
        self._wake()

    def eof_received(self) -> bool:
        self._eof = True
        self._wake()
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self._eof = True
        self._error = exc
        self._wake()

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    def take(self) -> bytes:
        """Everything buffered now, without waiting."""
        data = bytes(self._buffer)
        self._buffer.clear()
        if self._paused and self.transport is not None:
            self.transport.resume_reading()
            self._paused = False
        return data

    async def read(self) -> bytes:
        """The next bytes; ``b""`` at end of file; raises what the connection died of."""
        while not self._buffer and not self._eof:
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        if self._buffer:
            return self.take()
        if self._error is not None:
            raise self._error
        return b""
