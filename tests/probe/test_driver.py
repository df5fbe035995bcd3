"""The driver against the embedded endpoint: chains, SNI, addresses, inputs, no leaked sockets."""

from __future__ import annotations

import asyncio
import dataclasses
import gc
import os
import pickle
import socket
import time
from typing import Any

import pytest

from mailcert.errors import ConnectError, DeadlineError, HandshakeError, InputError, ProtocolError, StartTlsError
from mailcert.model import Endpoint, Protocol, TlsMode
from mailcert.probe import ProbeOptions, ProbeResult, SniPair, probe, probe_both, probe_both_sync, probe_sync
from mailcert.probe.driver import _Conversation, _peer_chain
from mailcert.probe.starttls import StartTlsDialogue
from mailcert.probe.stream import ByteStream
from mailcert.testing import SCHEMES, MailEndpoint

from . import hostile
from .conftest import CertChain, Run
from .hostile import SCRIPTS, hostile_server


def _free_port() -> int:
    """A port nobody listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("sni", ["remote.contoso.com", None])
def test_endpoint_chain_is_fetched_complete(endpoint: MailEndpoint, chain: CertChain, scheme: str, sni: str | None, run: Run[Any]) -> None:
    before = len(endpoint.server_names)
    result = run(probe(endpoint.endpoint(scheme), sni=sni, options=ProbeOptions(timeout=5)))
    assert result.chain == (chain.leaf_der, chain.intermediate_der)
    assert result.chain_complete
    assert result.sni == sni
    assert endpoint.server_names[before:] == [sni]  # what the server saw, not what we think we sent
    assert result.address == ("127.0.0.1", endpoint.ports[scheme])
    assert result.tls_version.startswith("TLSv1")
    assert result.cipher
    assert 0 < result.elapsed < 5
    implicit = scheme.endswith("s")
    assert result.starttls_offered is (None if implicit else True)
    assert result.banner and "localhost" in result.banner
    assert result.transcript[0].startswith("S: ")
    if scheme == "smtp":
        assert result.ehlo_host == "localhost"
        assert "C: EHLO [127.0.0.1]" in result.transcript


def test_probe_both_against_the_endpoint(endpoint: MailEndpoint, chain: CertChain, run: Run[Any]) -> None:
    pair = run(probe_both(endpoint.endpoint("imap"), "remote.contoso.com", ProbeOptions(timeout=5)))
    assert isinstance(pair, SniPair) and pair.name == "remote.contoso.com"
    assert isinstance(pair.with_sni, ProbeResult) and isinstance(pair.without_sni, ProbeResult)
    assert (pair.with_sni.sni, pair.without_sni.sni) == ("remote.contoso.com", None)
    assert pair.with_sni.chain == pair.without_sni.chain == (chain.leaf_der, chain.intermediate_der)


def test_probe_both_failures_are_values(run: Run[Any]) -> None:
    pair = run(probe_both(Endpoint("127.0.0.1", _free_port(), Protocol.IMAP, TlsMode.IMPLICIT), "x.example", ProbeOptions(timeout=2)))
    assert isinstance(pair.with_sni, ConnectError) and isinstance(pair.without_sni, ConnectError)


def test_probe_both_still_raises_bad_input() -> None:
    with pytest.raises(InputError):
        probe_both_sync(Endpoint("127.0.0.1", 1, Protocol.IMAP, TlsMode.IMPLICIT), "x.example", ProbeOptions(timeout=0))


def test_https_is_implicit_tls_without_a_greeting(endpoint: MailEndpoint, chain: CertChain, run: Run[Any]) -> None:
    target = Endpoint("127.0.0.1", endpoint.ports["imaps"], Protocol.HTTPS, TlsMode.IMPLICIT)
    result = run(probe(target, sni="remote.contoso.com", options=ProbeOptions(timeout=5)))
    assert result.chain[0] == chain.leaf_der
    assert result.banner is None and result.transcript == () and result.starttls_offered is None


def test_connect_override_and_name_resolution(endpoint: MailEndpoint, run: Run[Any]) -> None:
    """``connect_host`` is where we go; the endpoint keeps naming the server the user typed."""
    target = Endpoint("mail.contoso.com", 143, Protocol.IMAP, TlsMode.STARTTLS)
    result = run(probe(target, sni="mail.contoso.com", options=ProbeOptions(5, "localhost", endpoint.ports["imap"])))
    assert result.endpoint == target
    assert result.address == ("127.0.0.1", endpoint.ports["imap"])  # localhost may try ::1 first; it is refused


def test_ip_address_is_never_sent_as_sni(endpoint: MailEndpoint, run: Run[Any]) -> None:
    before = len(endpoint.server_names)
    result = run(probe(endpoint.endpoint("pop3s"), sni="127.0.0.1", options=ProbeOptions(timeout=5)))
    assert result.sni is None and endpoint.server_names[before:] == [None]


def test_ehlo_name(endpoint: MailEndpoint, run: Run[Any]) -> None:
    result = run(probe(endpoint.endpoint("smtp"), sni=None, options=ProbeOptions(timeout=5, ehlo_name="probe.example")))
    assert "C: EHLO probe.example" in result.transcript


def test_connection_refused(run: Run[Any]) -> None:
    port = _free_port()
    started = time.monotonic()
    with pytest.raises(ConnectError) as caught:
        run(probe(Endpoint("127.0.0.1", port, Protocol.SMTP, TlsMode.IMPLICIT), sni=None, options=ProbeOptions(timeout=5)))
    assert str(caught.value) == f"connection refused by 127.0.0.1:{port}"
    assert time.monotonic() - started < 1


def test_implicit_tls_against_a_starttls_port_gives_a_hint(endpoint: MailEndpoint, run: Run[Any]) -> None:
    port = endpoint.ports["imap"]
    with pytest.raises(HandshakeError) as caught:
        run(probe(Endpoint("127.0.0.1", port, Protocol.IMAP, TlsMode.IMPLICIT), sni=None, options=ProbeOptions(timeout=5)))
    assert str(caught.value) == (
        "TLS handshake failed: the server did not answer in TLS (wrong version number);"
        f" if this port speaks STARTTLS, use imap://127.0.0.1:{port}"
    )


def test_starttls_against_an_implicit_port_gives_a_hint(endpoint: MailEndpoint, run: Run[Any]) -> None:
    port = endpoint.ports["pop3s"]
    with pytest.raises(DeadlineError) as caught:
        run(probe(Endpoint("127.0.0.1", port, Protocol.POP3, TlsMode.STARTTLS), sni=None, options=ProbeOptions(timeout=0.5)))
    assert str(caught.value) == (
        f"no answer within 0.5 s (waiting for the POP3 greeting; if this port speaks implicit TLS, use pop3s://127.0.0.1:{port})"
    )


@pytest.mark.parametrize(
    ("sni", "options", "message", "field"),
    [
        ("", {"timeout": 5}, "cannot be sent as SNI", None),
        ("two words", {"timeout": 5}, "cannot be sent as SNI", None),
        (None, {"timeout": 0}, "^timeout must be a positive number", "timeout"),
        (None, {"timeout": -1}, "^timeout must be a positive number", "timeout"),
        (None, {"timeout": True}, "^timeout must be a positive number", "timeout"),
        (None, {"connect_port": 0}, "^connect_port must be from 1 to 65535", "connect_port"),
        (None, {"connect_host": ""}, "^connect_host must not be empty", "connect_host"),
    ],
)
def test_bad_input(sni: str | None, options: dict[str, object], message: str, field: str | None) -> None:
    """Bad options are refused where they are made, naming the field (the CLI maps it to a flag)."""
    with pytest.raises(InputError, match=message) as caught:
        probe_sync(Endpoint("127.0.0.1", 1, Protocol.IMAP, TlsMode.IMPLICIT), sni=sni, options=ProbeOptions(**options))  # type: ignore[arg-type]
    assert caught.value.field == field


@pytest.mark.parametrize("host", ["a..b", "x" * 64 + ".example", ".example", "a" * 64])
@pytest.mark.parametrize("where", ["endpoint", "connect_host"])
def test_a_host_idna_cannot_encode_is_bad_input(host: str, where: str, run: Run[Any]) -> None:
    """An empty label or one over 63 characters fails IDNA before any lookup, numeric or by
    name: one line naming the host, not an internal error (scan) or a traceback (check)."""
    endpoint = Endpoint(host if where == "endpoint" else "127.0.0.1", 1, Protocol.IMAP, TlsMode.IMPLICIT)
    options = ProbeOptions(timeout=5, connect_host=host if where == "connect_host" else None)
    with pytest.raises(InputError) as caught:
        run(probe(endpoint, sni=None, options=options))
    assert str(caught.value) == f"host name {host!r} is not a valid (IDNA) name"


def test_https_has_no_starttls() -> None:
    with pytest.raises(InputError, match="HTTPS has no STARTTLS"):
        probe_sync(Endpoint("127.0.0.1", 1, Protocol.HTTPS, TlsMode.STARTTLS), sni=None, options=ProbeOptions(timeout=1))


def test_result_is_plain_data(endpoint: MailEndpoint, run: Run[Any]) -> None:
    result = run(probe(endpoint.endpoint("smtps"), sni="remote.contoso.com", options=ProbeOptions(timeout=5)))
    assert pickle.loads(pickle.dumps(result)) == result
    plain = dataclasses.asdict(result)
    assert plain["chain"] == result.chain and result.leaf == result.chain[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.sni = "other"  # type: ignore[misc]


class _LeafOnly:
    """An ``SSLObject`` stand-in from a Python that hides the chain."""

    def __init__(self, leaf: bytes) -> None:
        self._leaf = leaf

    def getpeercert(self, binary_form: bool = False) -> bytes:
        return self._leaf


def test_leaf_only_fallback_is_flagged() -> None:
    assert _peer_chain(_LeafOnly(b"DER")) == ((b"DER",), False)  # type: ignore[arg-type]
    with pytest.raises(HandshakeError, match="sent no certificate"):
        _peer_chain(_LeafOnly(b""))  # type: ignore[arg-type]


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc")
def test_no_descriptor_leaks_after_many_probes(endpoint: MailEndpoint, run: Run[Any]) -> None:
    """Successes, refusals, injections, resets and deadlines: every socket is closed.

    Counted inside the event loop with the garbage collector off, so that a transport the
    driver forgot (still registered with the loop) shows, instead of being swept up later.
    """

    async def many(rounds: int) -> tuple[int, int, list[type]]:
        # libuv (uvloop) opens one descriptor per loop at its first listen and keeps it until the
        # loop closes (/dev/null, kept in reserve for EMFILE): the listeners below are the test's
        listener = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
        listener.close()
        await listener.wait_closed()
        before = _open_fds()
        kinds: list[type] = []
        refused = Endpoint("127.0.0.1", _free_port(), Protocol.IMAP, TlsMode.IMPLICIT)
        async with (
            hostile_server(hostile.injection, Protocol.SMTP) as injecting,
            hostile_server(hostile.reset_in_handshake, Protocol.POP3) as resetting,
            hostile_server(hostile.silence, Protocol.IMAP) as silent,
            hostile_server(hostile.no_starttls, Protocol.IMAP) as plain,
        ):
            targets = [
                (endpoint.endpoint("imap"), 5.0),
                (endpoint.endpoint("smtps"), 5.0),
                (refused, 5.0),
                (Endpoint("127.0.0.1", injecting, Protocol.SMTP, TlsMode.STARTTLS), 5.0),
                (Endpoint("127.0.0.1", resetting, Protocol.POP3, TlsMode.STARTTLS), 5.0),
                (Endpoint("127.0.0.1", silent, Protocol.IMAP, TlsMode.STARTTLS), 0.05),
                (Endpoint("127.0.0.1", plain, Protocol.IMAP, TlsMode.STARTTLS), 5.0),
            ]
            for _ in range(rounds):
                outcomes = await asyncio.gather(
                    *(probe(target, sni="remote.contoso.com", options=ProbeOptions(timeout=timeout)) for target, timeout in targets),
                    return_exceptions=True,
                )
                kinds.extend(type(o) for o in outcomes)
        for _ in range(200):  # the endpoint thread closes its side once it reads our abort
            if _open_fds() <= before:
                break
            await asyncio.sleep(0.01)
        return before, _open_fds(), kinds

    run(many(1))  # warm-up: lazily created things (the TLS context, the resolver thread)
    gc.disable()
    try:
        before, after, kinds = run(many(15))
    finally:
        gc.enable()
    assert set(kinds) == {ProbeResult, ConnectError, StartTlsError, HandshakeError, DeadlineError}
    assert after <= before


def test_probe_sync_is_asyncio_run_over_probe() -> None:
    async def inside_a_loop() -> None:
        with pytest.raises(RuntimeError, match="await probe"):
            probe_sync(Endpoint("127.0.0.1", 1, Protocol.IMAP, TlsMode.IMPLICIT), sni=None, options=ProbeOptions(timeout=1))

    asyncio.run(inside_a_loop())


def test_probe_both_is_concurrent(chain: CertChain, run: Run[Any]) -> None:
    """Both variants share one deadline's worth of wall time, not two."""

    async def main() -> tuple[SniPair, float]:
        async with hostile_server(hostile.silence, Protocol.IMAP) as port:
            started = time.monotonic()
            pair = await probe_both(Endpoint("127.0.0.1", port, Protocol.IMAP, TlsMode.STARTTLS), "x.example", ProbeOptions(timeout=0.5))
            return pair, time.monotonic() - started

    pair, elapsed = run(main())
    assert isinstance(pair.with_sni, DeadlineError) and isinstance(pair.without_sni, DeadlineError)
    assert elapsed < 0.9


def test_a_command_to_a_server_that_hung_up_reads_as_its_close(run: Run[Any]) -> None:
    """The server greets and closes, and the connection is gone before the dialogue answers the
    greeting (a busy scan's loop gets there late): on uvloop ``write`` raises RuntimeError on a
    closed transport, asyncio drops the bytes.  Both must end in the same one-line ProtocolError,
    not an internal error."""

    async def greet_and_close(conn: hostile.Conn) -> None:
        assert conn.script is not None
        await conn.send(conn.script.greeting)

    async def main() -> str:
        loop = asyncio.get_running_loop()
        async with hostile_server(greet_and_close, Protocol.IMAP) as port:
            endpoint = Endpoint("127.0.0.1", port, Protocol.IMAP, TlsMode.STARTTLS)
            conversation = _Conversation(endpoint, host="127.0.0.1", port=port, sni=None, ehlo_name=None)
            try:
                sock, _ = await conversation._connect()
                transport, stream = await loop.create_connection(ByteStream, sock=sock)
                conversation.transports.append(transport)
                while await stream.read():  # the greeting and the server's close have arrived
                    pass
                await asyncio.sleep(0.05)  # ... and the loop has delivered connection_lost
                dialogue = StartTlsDialogue(Protocol.IMAP)
                dialogue.receive_data(SCRIPTS[Protocol.IMAP].greeting)  # the greeting, read late
                with pytest.raises(ProtocolError) as caught:
                    await conversation._converse(dialogue, transport, stream)
                return str(caught.value)
            finally:
                conversation.close()

    assert run(main()) == "server closed the connection (waiting for the reply to CAPABILITY)"
