"""The only code in mailcert that touches sockets and ``ssl``: connect, talk, handshake, collect.

A probe gathers *facts* (the DER chain as the server sent it, the negotiated version and cipher,
the banner, the transcript) and judges nothing: verification is off because the verdicts are
made offline, per client profile, by pure code.

Design decisions and why:

* **asyncio only** (STYLE rule 9).  :func:`probe_sync` and :func:`probe_both_sync` are
  ``asyncio.run`` over the same coroutine, not a second implementation.
* **One deadline per probe** (``asyncio.timeout``) around everything from name resolution to
  the last byte, so a server that drips one byte a second cannot stretch it.
* **Our own socket and asyncio.Protocol** rather than streams: we connect the socket ourselves
  (precise error per address), own it (closed in ``finally``, never leaked), and see every
  byte that arrived before the TLS handshake (streams would hide bytes buffered after the
  STARTTLS reply, which must be refused, not fed to TLS).
* **Abort, don't close**: a probe never waits for a polite TLS or TCP shutdown.
* **Stapled OCSP through pyOpenSSL, only when asked.**  Python's ``ssl`` cannot send the
  status_request extension nor read the OCSP response a server staples (RFC 6066 §8), so a
  probe asked for it (``ocsp_stapling=True``) does its handshake with pyOpenSSL
  (``Connection.request_ocsp`` + ``Context.set_ocsp_client_callback``) over memory BIOs on the
  same socket, after the same STARTTLS dialogue, behind the same asyncio transport interface
  (:class:`_StaplingTls`), so everything before and after the handshake is one code path.
  Only then: importing pyOpenSSL costs ``check`` tens of milliseconds at every run, and every
  other probe's facts come from the stdlib as before.
* **Foreign exceptions stop here**: ``OSError``, ``ssl.SSLError``, ``TimeoutError``... become
  :mod:`mailcert.errors` with a one-line message an administrator can act on.
"""

from __future__ import annotations

import _ssl
import asyncio
import dataclasses
import functools
import ipaddress
import socket
import ssl
import time
import warnings
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any, Final, NamedTuple, cast

from mailcert.errors import (
    ConnectError,
    DeadlineError,
    HandshakeError,
    InputError,
    ProbeError,
    ProtocolError,
)
from mailcert.model import Endpoint, Protocol, TlsMode
from mailcert.probe.starttls import NEED_DATA, PAUSED, State, StartTlsDialogue
from mailcert.probe.stream import ByteStream

__all__ = ["ProbeOptions", "ProbeResult", "SniPair", "probe", "probe_both", "probe_sync", "probe_both_sync", "client_context"]

IMPLICIT_GREETING_GRACE: Final = 1.0
"""Seconds we wait, inside implicit TLS, for the greeting (the banner) once we have the chain.
The chain is what we came for; a mute server after the handshake costs at most this much."""

@dataclass(frozen=True)
class ProbeOptions:
    """How to probe, the same for every connection of a check or a scan.

    ``timeout`` bounds one whole probe, name resolution to last byte (seconds).
    ``connect_host``/``connect_port``: connect there instead of the endpoint's host and port
    (curl's ``--connect-to``; the endpoint's host is still the name judged).  ``ehlo_name`` is
    what SMTP's EHLO says (default: our address literal, e.g. ``[192.0.2.7]``).
    ``ocsp_stapling`` asks the server to staple its OCSP response (see the module notes;
    :func:`probe_both` asks on the SNI connection only, the one current clients make).

    Raises:
        InputError: a field is out of range (the message names the field).
    """

    timeout: float = 10.0
    connect_host: str | None = None
    connect_port: int | None = None
    ehlo_name: str | None = None
    ocsp_stapling: bool = False

    def __post_init__(self) -> None:
        if isinstance(self.timeout, bool) or not isinstance(self.timeout, (int, float)) or not self.timeout > 0:
            raise InputError(f"timeout must be a positive number of seconds, not {self.timeout!r}", field="timeout")
        if self.connect_port is not None and not 0 < self.connect_port < 65536:
            raise InputError(f"connect_port must be from 1 to 65535, not {self.connect_port!r}", field="connect_port")
        if self.connect_host is not None and not self.connect_host:
            raise InputError("connect_host must not be empty", field="connect_host")


DEFAULT_OPTIONS: Final = ProbeOptions()


@dataclass(frozen=True)
class ProbeResult:
    """What one connection learned; plain data that pickles and serialises as is.

    ``chain`` is DER, leaf first, exactly as the server sent it (order, duplicates, strays and
    all: judging it is someone else's job).  ``chain_complete`` is ``False`` when this Python
    could only give us the leaf.  ``address`` is the (ip, port) actually connected to; ``sni``
    the name actually sent (``None``: no SNI extension at all).  ``starttls_offered`` is
    ``None`` for implicit TLS.  ``banner`` is the greeting text (read inside TLS for implicit
    mail ports, best effort); ``ehlo_host`` the name an SMTP server gives in its EHLO reply.
    ``ocsp_requested``: the handshake asked for a stapled OCSP response; ``ocsp_staple`` is
    the DER response the server stapled (``None``: none, or not asked).
    """

    endpoint: Endpoint
    address: tuple[str, int]
    sni: str | None
    chain: tuple[bytes, ...]
    chain_complete: bool
    tls_version: str
    cipher: str
    starttls_offered: bool | None
    banner: str | None
    ehlo_host: str | None
    capabilities: tuple[str, ...]
    transcript: tuple[str, ...]
    elapsed: float
    ocsp_requested: bool = False
    ocsp_staple: bytes | None = None

    @property
    def leaf(self) -> bytes:
        """The server's own certificate (DER)."""
        return self.chain[0]


class SniPair(NamedTuple):
    """The same endpoint probed twice: sending ``name`` as SNI, and sending no SNI at all.

    Servers with several certificates pick one by SNI; clients that send none (Outlook 2007 on
    Windows XP) get the default one.  Each side is a result or the error that ended it.
    (A NamedTuple, like the other records ``check`` defines at every start: a frozen dataclass
    costs several times as much to define.)
    """

    name: str
    with_sni: ProbeResult | ProbeError
    without_sni: ProbeResult | ProbeError


@functools.cache
def client_context() -> ssl.SSLContext:
    """The TLS client context of every probe: no verification, as old a protocol as allowed.

    We judge offline, so the handshake must succeed with whatever the server has: every
    version and cipher this OpenSSL still knows (``@SECLEVEL=0``), legacy renegotiation
    allowed, no ALPN.  Nothing secret ever crosses this connection.
    """
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    try:
        ctx.set_ciphers("ALL:@SECLEVEL=0")
    except ssl.SSLError:  # an OpenSSL without security levels
        ctx.set_ciphers("ALL")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        for version in (ssl.TLSVersion.SSLv3, ssl.TLSVersion.TLSv1):
            try:
                ctx.minimum_version = version
                break
            except (ValueError, ssl.SSLError):
                continue
    ctx.options |= getattr(ssl, "OP_LEGACY_SERVER_CONNECT", 0x4)
    return ctx


# --- public entry points -------------------------------------------------------------------


async def probe(endpoint: Endpoint, *, sni: str | None, options: ProbeOptions = DEFAULT_OPTIONS) -> ProbeResult:
    """Connect to ``endpoint`` (or where ``options`` says), upgrade, fetch the chain.

    ``sni=None`` sends no SNI extension at all; an IP address is never sent as SNI (RFC 6066
    §3), so the result then says ``sni=None`` too.

    Raises:
        ProbeError: a subclass whose message is one line (connect, protocol, handshake, deadline).
        InputError: ``sni`` is not a usable name, or the endpoint asks for HTTPS with STARTTLS.
    """
    sni_sent = _checked_sni(sni)
    if endpoint.protocol is Protocol.HTTPS and endpoint.mode is TlsMode.STARTTLS:
        raise InputError("HTTPS has no STARTTLS; use https:// (implicit TLS)")
    timeout = options.timeout
    conversation = _Conversation(
        endpoint,
        host=options.connect_host or endpoint.host,
        port=options.connect_port or endpoint.port,
        sni=sni_sent,
        ehlo_name=options.ehlo_name,
        ocsp_stapling=options.ocsp_stapling,
    )
    deadline = asyncio.timeout(timeout)
    try:
        async with deadline:
            return await conversation.run(deadline)
    except TimeoutError:
        if deadline.expired():
            raise DeadlineError(conversation.deadline_message(timeout)) from None
        raise
    finally:
        conversation.close()


async def probe_both(endpoint: Endpoint, name: str, options: ProbeOptions = DEFAULT_OPTIONS) -> SniPair:
    """Probe with SNI ``name`` and without SNI, concurrently; a failure of either is a value.

    Raises:
        InputError: bad input (as :func:`probe`); a probe's failure is not raised but kept.
    """
    without = dataclasses.replace(options, ocsp_stapling=False) if options.ocsp_stapling else options
    outcomes = await asyncio.gather(
        probe(endpoint, sni=name, options=options), probe(endpoint, sni=None, options=without), return_exceptions=True
    )
    for outcome in outcomes:
        if isinstance(outcome, BaseException) and not isinstance(outcome, ProbeError):
            raise outcome  # a bug or bad input is not a per-variant outcome
    with_sni, without_sni = outcomes
    assert isinstance(with_sni, (ProbeResult, ProbeError)) and isinstance(without_sni, (ProbeResult, ProbeError))
    return SniPair(name, with_sni, without_sni)


def probe_sync(endpoint: Endpoint, *, sni: str | None, options: ProbeOptions = DEFAULT_OPTIONS) -> ProbeResult:
    """:func:`probe` for callers without an event loop (runs one with ``asyncio.run``)."""
    _no_running_loop("probe_sync", "probe")
    return asyncio.run(probe(endpoint, sni=sni, options=options))


def probe_both_sync(endpoint: Endpoint, name: str, options: ProbeOptions = DEFAULT_OPTIONS) -> SniPair:
    """:func:`probe_both` for callers without an event loop."""
    _no_running_loop("probe_both_sync", "probe_both")
    return asyncio.run(probe_both(endpoint, name, options))


def _no_running_loop(name: str, instead: str) -> None:
    """Fail before a coroutine exists: inside a loop ``asyncio.run`` would leave it un-awaited."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return
    raise RuntimeError(f"{name}() cannot run inside an event loop; await {instead}() instead")


# --- the conversation ----------------------------------------------------------------------


class _Conversation:
    """One probe's connection and bookkeeping: what we wait for (for messages), what to close."""

    def __init__(
        self, endpoint: Endpoint, *, host: str, port: int, sni: str | None, ehlo_name: str | None, ocsp_stapling: bool = False
    ) -> None:
        self.endpoint = endpoint
        self.ocsp_stapling = ocsp_stapling
        self.host = host
        self.port = port
        self.sni = sni
        self.ehlo_name = ehlo_name
        self.waiting_for = f"connecting to {_hostport(host, port)}"
        self.dialogue: StartTlsDialogue | None = None
        self.sock: socket.socket | None = None
        self.transports: list[asyncio.Transport] = []

    # -- the steps

    async def run(self, deadline: asyncio.Timeout) -> ProbeResult:
        loop = asyncio.get_running_loop()
        started = time.monotonic()
        sock, address = await self._connect()
        starttls_offered: bool | None = None
        if self.endpoint.mode is TlsMode.IMPLICIT and not self.ocsp_stapling:
            # the handshake starts on the connected socket: one transport, as a bare client makes it
            stream = ByteStream()
            tls = await self._handshake(_tls_connection(sock, stream, self._tls_arguments(deadline)), stream)
            facts = _stdlib_facts(tls.get_extra_info("ssl_object"))
        else:
            transport, stream = await loop.create_connection(ByteStream, sock=sock)
            self.transports.append(transport)
            if self.endpoint.mode is TlsMode.STARTTLS:
                name = self.ehlo_name or _address_literal(sock.getsockname()[0])
                self.dialogue = StartTlsDialogue(self.endpoint.protocol, client_name=name)
                await self._converse(self.dialogue, transport, stream)
                starttls_offered = self.dialogue.starttls_offered
            if self.ocsp_stapling:
                tls, facts = await self._stapling_handshake(transport, stream)
            else:
                tls = await self._handshake(loop.start_tls(transport, stream, client_context(), **self._tls_arguments(deadline)), stream)
                facts = _stdlib_facts(tls.get_extra_info("ssl_object"))

        before = self.dialogue
        if self.endpoint.mode is TlsMode.IMPLICIT and self.endpoint.protocol is not Protocol.HTTPS:
            await self._implicit_greeting(tls, stream, deadline)
        dialogue = self.dialogue
        return ProbeResult(
            endpoint=self.endpoint,
            address=address,
            sni=self.sni,
            chain=facts.chain,
            chain_complete=facts.complete,
            tls_version=facts.version,
            cipher=facts.cipher,
            starttls_offered=starttls_offered,
            banner=dialogue.banner if dialogue else None,
            ehlo_host=before.ehlo_host if before else None,
            capabilities=before.capabilities if before else (),
            transcript=dialogue.transcript if dialogue else (),
            elapsed=time.monotonic() - started,
            ocsp_requested=self.ocsp_stapling,
            ocsp_staple=facts.staple,
        )

    async def _connect(self) -> tuple[socket.socket, tuple[str, int]]:
        loop = asyncio.get_running_loop()
        # the host is IDNA-encoded before any lookup, numeric or not: an empty label ("a..b") or
        # one over 63 characters raises UnicodeError there, which is the input's fault
        try:
            try:
                # numeric hosts resolve without DNS and without a thread hop
                infos = socket.getaddrinfo(self.host, self.port, type=socket.SOCK_STREAM, flags=socket.AI_NUMERICHOST)
            except socket.gaierror:
                self.waiting_for = f"resolving {self.host}"
                try:
                    infos = await loop.getaddrinfo(self.host, self.port, type=socket.SOCK_STREAM)
                except socket.gaierror as exc:
                    raise ConnectError(f"cannot resolve {self.host}: {exc.strerror}") from None
        except UnicodeError:
            raise InputError(f"host name {self.host!r} is not a valid (IDNA) name") from None
        failures: list[str] = []
        for family, kind, proto, _, sockaddr in infos:
            where = _hostport(str(sockaddr[0]), int(sockaddr[1]))
            self.waiting_for = f"connecting to {where}"
            sock = socket.socket(family, kind, proto)
            try:
                sock.setblocking(False)
                await loop.sock_connect(sock, sockaddr)
            except OSError as exc:
                sock.close()
                failures.append(_connect_failure(exc, where))
                continue
            except BaseException:
                sock.close()
                raise
            self.sock = sock
            return sock, (str(sockaddr[0]), int(sockaddr[1]))
        raise ConnectError("; ".join(dict.fromkeys(failures)) or f"no address for {self.host}")

    async def _converse(self, dialogue: StartTlsDialogue, transport: asyncio.WriteTransport, stream: ByteStream) -> None:
        """Run ``dialogue`` until its final state; bytes left over after the STARTTLS reply fail it."""
        while True:
            event = dialogue.next_event()
            outgoing = dialogue.data_to_send()
            # A server that hung up already: asyncio drops the write, uvloop raises RuntimeError
            # ("the handler is closed"); on both loops the read below then says what happened.
            if outgoing and not transport.is_closing():
                transport.write(outgoing)
            if event is PAUSED:
                break
            if event is not NEED_DATA:
                continue  # a Greeting / Capabilities event: facts the dialogue keeps for us
            self.waiting_for = dialogue.waiting_for
            try:
                data = await stream.read()
            except OSError as exc:
                raise ProtocolError(f"{_os_reason(exc)} (waiting for {dialogue.waiting_for})") from None
            dialogue.receive_data(data)
        if dialogue.state is State.TLS_READY:
            dialogue.receive_data(stream.take())  # raises if the server injected anything

    def _tls_arguments(self, deadline: asyncio.Timeout) -> dict[str, Any]:
        """How the stdlib handshake is made (besides :func:`client_context`): our SNI, the probe's deadline."""
        self.waiting_for = "the server's reply to our TLS ClientHello"
        return {
            "server_hostname": self.sni or "",  # "": no SNI (asyncio asks for a name with a bare socket)
            "ssl_handshake_timeout": _remaining(deadline) + 5.0,  # the probe's deadline fires first
        }

    async def _handshake(self, handshake: Awaitable[asyncio.BaseTransport | None], stream: ByteStream) -> asyncio.Transport:
        """Await ``handshake`` (``start_tls`` after STARTTLS, ``create_connection`` with TLS on
        an implicit port); each failure becomes a one-line :class:`HandshakeError`."""
        try:
            tls = await handshake
        except ssl.SSLError as exc:
            raise HandshakeError(self._handshake_message(exc.reason or str(exc))) from None
        except OSError as exc:
            raise HandshakeError(f"TLS handshake failed: {_os_reason(exc)}") from None
        if tls is None:  # the connection died while the handshake finished
            raise HandshakeError("TLS handshake failed: the server closed the connection")
        # Not an isinstance check: uvloop's transports have asyncio.Transport's methods but not its
        # class.  What the assert guaranteed (a full transport: write, abort, pause/resume_reading)
        # holds for every transport create_connection and start_tls return on either loop.
        tls = cast(asyncio.Transport, tls)
        self.transports.append(tls)
        stream.use(tls)
        return tls

    async def _stapling_handshake(self, transport: asyncio.Transport, stream: ByteStream) -> tuple[asyncio.Transport, _TlsFacts]:
        """The handshake through pyOpenSSL, asking for the stapled OCSP response (the probe's
        deadline bounds it, as it bounds the stdlib one)."""
        from OpenSSL import SSL  # lazy: pyOpenSSL only when a staple is asked for (check's start-up)

        self.waiting_for = "the server's reply to our TLS ClientHello"
        tls = _StaplingTls(transport, stream, self.sni)
        transport.set_protocol(tls)
        self.transports.append(tls)
        try:
            await tls.handshake()
        except SSL.Error as exc:
            raise HandshakeError(self._handshake_message(_openssl_reason(exc))) from None
        except OSError as exc:
            raise HandshakeError(f"TLS handshake failed: {_os_reason(exc)}") from None
        stream.use(tls)
        return tls, tls.facts()

    async def _implicit_greeting(self, tls: asyncio.Transport, stream: ByteStream, deadline: asyncio.Timeout) -> None:
        """Best effort: the greeting inside implicit TLS, for the banner.  Never fails the probe."""
        grace = min(IMPLICIT_GREETING_GRACE, _remaining(deadline) - 0.05)
        if grace <= 0:
            return
        self.dialogue = StartTlsDialogue(self.endpoint.protocol, greeting_only=True)
        try:
            async with asyncio.timeout(grace):
                await self._converse(self.dialogue, tls, stream)
        except (ProbeError, TimeoutError):
            pass

    # -- messages

    def deadline_message(self, timeout: float) -> str:
        got = self.dialogue.bytes_received if self.dialogue is not None else 0
        if self.waiting_for.startswith(("connecting", "resolving")):
            return f"no answer within {timeout:g} s ({self.waiting_for})"
        if got and self.dialogue is not None and self.dialogue.state is not State.TLS_READY:
            return f"server too slow: {timeout:g} s passed (waiting for {self.waiting_for}; {got} bytes so far)"
        hint = ""
        if self.dialogue is not None and got == 0 and self.dialogue.state is State.GREETING:
            hint = f"; if this port speaks implicit TLS, use {_other_scheme(self.endpoint)}"
        return f"no answer within {timeout:g} s (waiting for {self.waiting_for}{hint})"

    def _handshake_message(self, code: str) -> str:
        """The one line for OpenSSL's reason ``code`` (``WRONG_VERSION_NUMBER`` as ``ssl`` gives
        it, or ``wrong version number`` as pyOpenSSL does)."""
        code = code.upper().replace(" ", "_")
        reason = code.lower().replace("_", " ")
        if code == "WRONG_VERSION_NUMBER":
            if self.endpoint.mode is TlsMode.IMPLICIT and self.endpoint.protocol is not Protocol.HTTPS:
                return (
                    f"TLS handshake failed: the server did not answer in TLS ({reason});"
                    f" if this port speaks STARTTLS, use {_other_scheme(self.endpoint)}"
                )
            if self.endpoint.mode is TlsMode.STARTTLS:
                return f"TLS handshake failed: the server accepted STARTTLS but did not switch to TLS ({reason})"
        if code in ("UNSUPPORTED_PROTOCOL", "NO_PROTOCOLS_AVAILABLE", "TLSV1_ALERT_PROTOCOL_VERSION"):
            return f"TLS handshake failed: no TLS version in common with this machine's OpenSSL ({reason})"
        return f"TLS handshake failed: {reason}"

    # -- cleanup

    def close(self) -> None:
        """Abort every transport and close our socket now; no polite shutdown, no leak."""
        for transport in reversed(self.transports):
            transport.abort()
        if self.sock is not None:
            self.sock.close()


# --- helpers -------------------------------------------------------------------------------


class _TlsFacts(NamedTuple):
    """What a finished handshake tells, whichever library did it."""

    chain: tuple[bytes, ...]
    complete: bool
    version: str
    cipher: str
    staple: bytes | None = None


async def _tls_connection(sock: socket.socket, stream: ByteStream, arguments: dict[str, Any]) -> asyncio.BaseTransport:
    """The TLS transport of a connected socket, ``stream`` its protocol."""
    transport, _ = await asyncio.get_running_loop().create_connection(lambda: stream, sock=sock, ssl=client_context(), **arguments)
    return transport


def _stdlib_facts(ssl_object: ssl.SSLObject) -> _TlsFacts:
    chain, complete = _peer_chain(ssl_object)
    cipher = ssl_object.cipher()
    return _TlsFacts(chain, complete, ssl_object.version() or "", cipher[0] if cipher else "")


@functools.cache
def _stapling_context() -> Any:
    """The pyOpenSSL twin of :func:`client_context` (same policy: verify nothing, accept every
    version and cipher this OpenSSL knows), whose callback keeps the stapled response."""
    from OpenSSL import SSL  # lazy: pyOpenSSL only when a staple is asked for (check's start-up)

    ctx = SSL.Context(SSL.TLS_CLIENT_METHOD)
    ctx.set_verify(SSL.VERIFY_NONE)
    try:
        ctx.set_cipher_list(b"ALL:@SECLEVEL=0")
    except SSL.Error:
        ctx.set_cipher_list(b"ALL")
    for version in (SSL.SSL3_VERSION, SSL.TLS1_VERSION):
        try:
            ctx.set_min_proto_version(version)
            break
        except SSL.Error:
            continue
    ctx.set_options(getattr(SSL, "OP_LEGACY_SERVER_CONNECT", 0x4))

    def keep_staple(conn: SSL.Connection, staple: bytes, _data: object) -> bool:
        conn.get_app_data().staple = staple or None
        return True  # judged offline like everything else: never fail the handshake over it

    ctx.set_ocsp_client_callback(keep_staple)
    return ctx


class _StaplingTls(asyncio.Protocol, asyncio.Transport):
    """pyOpenSSL over memory BIOs, between the TCP transport and the :class:`ByteStream`.

    To the TCP transport it is the protocol (ciphertext in); to the ByteStream it is the
    transport (plaintext out via :meth:`write`, flow control passed through), which is what
    asyncio's own SSL layer does for ``start_tls``.
    """

    def __init__(self, tcp: asyncio.Transport, app: ByteStream, sni: str | None) -> None:
        from OpenSSL import SSL  # lazy: pyOpenSSL only when a staple is asked for (check's start-up)

        super().__init__()
        self._ssl = SSL
        self._tcp = tcp
        self._app = app
        self.staple: bytes | None = None
        self._conn = SSL.Connection(_stapling_context(), None)
        self._conn.set_app_data(self)
        self._conn.set_connect_state()
        if sni is not None:
            self._conn.set_tlsext_host_name(sni.encode("idna"))
        self._conn.request_ocsp()
        self._done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    async def handshake(self) -> None:
        self._step()
        await self._done

    def facts(self) -> _TlsFacts:
        from cryptography.hazmat.primitives.serialization import Encoding  # lazy: as pyOpenSSL, only on this path

        chain = tuple(c.public_bytes(Encoding.DER) for c in (self._conn.get_peer_cert_chain(as_cryptography=True) or []))
        if not chain:
            raise HandshakeError("TLS handshake finished but the server sent no certificate")
        cipher = self._conn.get_cipher_name() or ""
        return _TlsFacts(chain, True, self._conn.get_protocol_version_name(), cipher, self.staple)

    # -- protocol side (TCP -> us)

    def data_received(self, data: bytes) -> None:
        self._conn.bio_write(data)
        self._step()

    def eof_received(self) -> bool:
        self._fail(ConnectionResetError("the server closed the connection"))
        self._app.eof_received()
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self._fail(exc or ConnectionResetError("the server closed the connection"))
        self._app.connection_lost(exc)

    def pause_writing(self) -> None:  # the probe writes a few lines; nothing to throttle
        pass

    def resume_writing(self) -> None:
        pass

    def _fail(self, exc: BaseException) -> None:
        if not self._done.done():
            self._done.set_exception(exc)

    def _step(self) -> None:
        SSL = self._ssl
        try:
            if not self._done.done():
                try:
                    self._conn.do_handshake()
                except SSL.WantReadError:
                    return
                self._done.set_result(None)
            while True:
                try:
                    plain = self._conn.recv(65536)
                except SSL.WantReadError:
                    break
                except SSL.ZeroReturnError:
                    self._app.eof_received()
                    break
                self._app.data_received(plain)
        except SSL.Error as exc:
            if self._done.done():
                self._app.connection_lost(ConnectionResetError(f"TLS error: {_openssl_reason(exc).lower()}"))
            else:
                self._done.set_exception(exc)
        finally:
            self._flush()

    def _flush(self) -> None:
        while True:
            try:
                out = self._conn.bio_read(65536)
            except self._ssl.WantReadError:
                return
            if not out:
                return
            self._tcp.write(out)

    # -- transport side (us -> ByteStream's owner)

    def write(self, data: bytes | bytearray | memoryview) -> None:
        try:
            self._conn.sendall(bytes(data))
        except self._ssl.Error as exc:  # the TLS session is over: as a dead connection, not a crash
            self._app.connection_lost(ConnectionResetError(f"TLS error: {_openssl_reason(exc).lower()}"))
            return
        self._flush()

    def abort(self) -> None:
        self._tcp.abort()

    def close(self) -> None:
        self._tcp.close()

    def is_closing(self) -> bool:
        return self._tcp.is_closing()

    def pause_reading(self) -> None:
        self._tcp.pause_reading()

    def resume_reading(self) -> None:
        self._tcp.resume_reading()

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self._tcp.get_extra_info(name, default)


def _openssl_reason(exc: Exception) -> str:
    """OpenSSL's reason from a pyOpenSSL error: ``[(lib, func, reason), ...]``, last is nearest."""
    errors = exc.args[0] if exc.args and isinstance(exc.args[0], list) else []
    for entry in reversed(errors):
        if isinstance(entry, tuple) and entry and entry[-1]:
            return str(entry[-1])
    return str(exc) or type(exc).__name__


def _peer_chain(ssl_object: ssl.SSLObject) -> tuple[tuple[bytes, ...], bool]:
    """The chain the server sent, DER, leaf first; ``(leaf,), False`` where Python hides it.

    Python 3.13 has ``SSLObject.get_unverified_chain()``; 3.10-3.12 have it only on the
    private ``_sslobj``, returning ``_ssl.Certificate`` objects.
    """
    getter = getattr(ssl_object, "get_unverified_chain", None)
    if getter is None:
        getter = getattr(getattr(ssl_object, "_sslobj", None), "get_unverified_chain", None)
    if getter is not None:
        certs = getter() or []
        chain = tuple(_der(cert) for cert in certs)
        if chain:
            return chain, True
    leaf = ssl_object.getpeercert(binary_form=True)
    if not leaf:
        raise HandshakeError("TLS handshake finished but the server sent no certificate")
    return (leaf,), False


def _der(cert: object) -> bytes:
    if isinstance(cert, bytes):
        return cert

    return bytes(cert.public_bytes(_ssl.ENCODING_DER))  # type: ignore[attr-defined]


@functools.lru_cache(maxsize=1024)
def _checked_sni(sni: str | None) -> str | None:
    """``sni`` as sent (None for no name or an address literal), remembered: a scan sends one
    name to many ports, and telling it from an address costs two parse attempts."""
    if sni is None:
        return None
    if not sni or sni.startswith(".") or any(c.isspace() for c in sni):
        raise InputError(f"server name {sni!r} cannot be sent as SNI")
    try:
        ipaddress.ip_address(sni.strip("[]"))
    except ValueError:
        pass
    else:
        return None  # RFC 6066 §3: literal addresses are not permitted in SNI
    try:
        sni.encode("idna")
    except UnicodeError:
        raise InputError(f"server name {sni!r} is not a valid (IDNA) host name") from None
    return sni


def _remaining(deadline: asyncio.Timeout) -> float:
    when = deadline.when()
    return 3600.0 if when is None else max(0.0, when - asyncio.get_running_loop().time())


def _hostport(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _address_literal(ip: str) -> str:
    """An SMTP address literal (RFC 5321 §4.1.3) for EHLO when we have no name of our own."""
    ip = ip.split("%", 1)[0]
    return f"[IPv6:{ip}]" if ":" in ip else f"[{ip}]"


def _other_scheme(endpoint: Endpoint) -> str:
    other = TlsMode.STARTTLS if endpoint.mode is TlsMode.IMPLICIT else TlsMode.IMPLICIT
    return Endpoint(endpoint.host, endpoint.port, endpoint.protocol, other).url


def _connect_failure(exc: OSError, where: str) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return f"connection refused by {where}"
    return f"cannot connect to {where}: {_os_reason(exc)}"


_OS_REASONS: Final[dict[type[BaseException], str]] = {
    ConnectionResetError: "connection reset by the server",
    ConnectionAbortedError: "connection aborted",
    BrokenPipeError: "the server closed the connection",
}


def _os_reason(exc: BaseException) -> str:
    for kind, text in _OS_REASONS.items():
        if isinstance(exc, kind):
            return text
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror[0].lower() + exc.strerror[1:]
    text = str(exc) or type(exc).__name__
    return text[0].lower() + text[1:]

