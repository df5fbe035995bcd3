"""The driver against servers that misbehave on purpose (see ``hostile.py``).

Each misbehaviour must end in the right mailcert error, with one line of reason, within the
probe's timeout (plus one second of slack for a loaded CI machine).  Every case runs against
IMAP, POP3 and SMTP at once, so the slow ones (silence, drip, stall) cost their timeout once.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from mailcert.errors import DeadlineError, HandshakeError, ProbeError, ProtocolError, StartTlsError
from mailcert.model import Endpoint, Protocol, TlsMode
from mailcert.probe import ProbeOptions, ProbeResult, SniPair, probe, probe_both

from . import hostile
from .conftest import CertChain, Run
from .hostile import Behaviour, hostile_server

MAIL = (Protocol.IMAP, Protocol.POP3, Protocol.SMTP)
WORD = {Protocol.IMAP: "STARTTLS", Protocol.POP3: "STLS", Protocol.SMTP: "STARTTLS"}
CAPABILITY = {Protocol.IMAP: "CAPABILITY", Protocol.POP3: "CAPA", Protocol.SMTP: "EHLO"}


@dataclass(frozen=True)
class Case:
    behaviour: Behaviour
    timeout: float
    error: type[ProbeError]
    says: Callable[[Protocol, int], str]  # (protocol, port) -> a fragment of the message


CASES = {
    "silence": Case(
        hostile.silence,
        1.0,
        DeadlineError,
        lambda p, port: (
            f"no answer within 1 s (waiting for the {p.name} greeting; if this port speaks implicit TLS,"
            f" use {Endpoint('127.0.0.1', port, p, TlsMode.IMPLICIT).url})"
        ),
    ),
    "garbage": Case(hostile.garbage, 3.0, ProtocolError, lambda p, _: f"not an {p.name} server: its greeting was '\\x00"),
    "endless-line": Case(hostile.endless_line, 3.0, ProtocolError, lambda p, _: "line longer than 8192 bytes"),
    "drip": Case(hostile.drip, 2.5, DeadlineError, lambda p, _: f"server too slow: 2.5 s passed (waiting for the {p.name} greeting;"),
    "no-starttls": Case(hostile.no_starttls, 3.0, StartTlsError, lambda p, _: f"server did not offer {WORD[p]} (capabilities: "),
    "starttls-refused": Case(hostile.refuse_starttls, 3.0, StartTlsError, lambda p, _: f"server refused {WORD[p]}: "),
    "starttls-then-plaintext": Case(
        hostile.starttls_then_plaintext,
        3.0,
        HandshakeError,
        lambda p, _: "TLS handshake failed: the server accepted STARTTLS but did not switch to TLS (wrong version number)",
    ),
    "injection": Case(hostile.injection, 3.0, StartTlsError, lambda p, _: f"after its {WORD[p]} reply ('250 injected"),
    "close-after-greeting": Case(
        hostile.close_after_greeting,
        3.0,
        ProtocolError,
        lambda p, _: f"server closed the connection (waiting for the reply to {CAPABILITY[p]})",
    ),
    "tls-alert": Case(hostile.tls_alert_after_starttls, 3.0, HandshakeError, lambda p, _: "TLS handshake failed: tlsv1 alert internal error"),
    "stalled-handshake": Case(
        # 2 s, not 1: on a loaded machine the STARTTLS exchange before the stall can take most
        # of a second, and the deadline must find the probe waiting on the handshake
        hostile.stalled_handshake, 2.0, DeadlineError, lambda p, _: "no answer within 2 s (waiting for the server's reply to our TLS ClientHello)"
    ),
    "reset-in-handshake": Case(
        hostile.reset_in_handshake, 3.0, HandshakeError, lambda p, _: "TLS handshake failed: connection reset by the server"
    ),
}


async def _attempt(endpoint: Endpoint, timeout: float, sni: str | None = "remote.contoso.com") -> tuple[ProbeResult | ProbeError, float]:
    started = time.monotonic()
    try:
        outcome: ProbeResult | ProbeError = await probe(endpoint, sni=sni, options=ProbeOptions(timeout=timeout))
    except ProbeError as exc:
        outcome = exc
    return outcome, time.monotonic() - started


async def _against_all(case: Case) -> list[tuple[Protocol, int, ProbeResult | ProbeError, float]]:
    async def one(protocol: Protocol) -> tuple[Protocol, int, ProbeResult | ProbeError, float]:
        async with hostile_server(case.behaviour, protocol) as port:
            outcome, elapsed = await _attempt(Endpoint("127.0.0.1", port, protocol, TlsMode.STARTTLS), case.timeout)
            return protocol, port, outcome, elapsed

    return list(await asyncio.gather(*(one(p) for p in MAIL)))


@pytest.mark.parametrize("name", CASES)
def test_misbehaviour_ends_in_the_right_error_in_time(name: str, run: Run[Any]) -> None:
    case = CASES[name]
    for protocol, port, outcome, elapsed in run(_against_all(case)):
        assert isinstance(outcome, case.error), (protocol, outcome)
        message = str(outcome)
        assert case.says(protocol, port) in message, (protocol, message)
        assert "\n" not in message and "\r" not in message
        assert "\x1b" not in message and "\x00" not in message  # nothing that paints a terminal
        assert elapsed < case.timeout + 1.0, (protocol, elapsed)
        if case.error is not DeadlineError:
            assert elapsed < 1.0, (protocol, elapsed)  # a clear failure is reported at once


def test_implicit_tls_alert(run: Run[Any]) -> None:
    async def main() -> tuple[ProbeResult | ProbeError, float]:
        async with hostile_server(hostile.tls_alert, Protocol.IMAP) as port:
            return await _attempt(Endpoint("127.0.0.1", port, Protocol.IMAP, TlsMode.IMPLICIT), 3.0)

    outcome, elapsed = run(main())
    assert isinstance(outcome, HandshakeError)
    assert str(outcome) == "TLS handshake failed: tlsv1 alert internal error"
    assert elapsed < 1.0


@pytest.mark.parametrize("protocol", MAIL)
@pytest.mark.parametrize("chunk", [1, 3, 7])
def test_correct_fragmented_server_is_read_correctly(
    protocol: Protocol, chunk: int, server_context: ssl.SSLContext, chain: CertChain, run: Run[Any]) -> None:
    async def main() -> tuple[ProbeResult | ProbeError, float]:
        async with hostile_server(hostile.fragmented(server_context, chunk=chunk, pause=0.001), protocol) as port:
            return await _attempt(Endpoint("127.0.0.1", port, protocol, TlsMode.STARTTLS), 10.0)

    result, _ = run(main())
    assert isinstance(result, ProbeResult), result
    assert result.chain == (chain.leaf_der, chain.intermediate_der)
    assert result.chain_complete and result.starttls_offered is True
    assert result.banner is not None and result.banner.startswith({Protocol.IMAP: "hostile IMAP", Protocol.POP3: "hostile POP3", Protocol.SMTP: "hostile.example ESMTP\nsecond"}[protocol])
    assert WORD[protocol] in [c.split()[0] for c in result.capabilities]
    if protocol is Protocol.SMTP:
        assert result.ehlo_host == "hostile.example"


def test_probe_both_reports_each_variant_as_a_value(chain_files: dict[str, str], run: Run[Any]) -> None:
    """A server that refuses clients without SNI: one variant succeeds, the other is an error value."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(chain_files["fullchain"], chain_files["key"])

    def require_sni(_obj: object, name: str | None, _ctx: ssl.SSLContext) -> int | None:
        return None if name else ssl.ALERT_DESCRIPTION_UNRECOGNIZED_NAME

    ctx.sni_callback = require_sni

    async def main() -> SniPair:
        async with hostile_server(hostile.tls_server(ctx), Protocol.HTTPS) as port:
            return await probe_both(Endpoint("127.0.0.1", port, Protocol.HTTPS, TlsMode.IMPLICIT), "remote.contoso.com", ProbeOptions(timeout=3.0))

    pair = run(main())
    assert isinstance(pair.with_sni, ProbeResult) and pair.with_sni.sni == "remote.contoso.com"
    assert isinstance(pair.without_sni, HandshakeError)
    assert str(pair.without_sni) == "TLS handshake failed: tlsv1 unrecognized name"
