"""The sans-I/O dialogues, fed whole, byte by byte, and split at every point."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailcert.errors import ConnectError, ProbeError, ProtocolError, StartTlsError
from mailcert.model import Protocol
from mailcert.probe.starttls import (
    MAX_BYTES,
    MAX_LINE,
    NEED_DATA,
    PAUSED,
    Capabilities,
    Greeting,
    LineReader,
    ReadyForTls,
    StartTlsDialogue,
    State,
    printable,
)

IMAP, POP3, SMTP = Protocol.IMAP, Protocol.POP3, Protocol.SMTP


@dataclass(frozen=True)
class Outcome:
    events: tuple[object, ...]
    sent: bytes
    error: tuple[type[ProbeError], str] | None
    state: State


def drive(protocol: Protocol, chunks: list[bytes], *, eof: bool = False, greeting_only: bool = False) -> Outcome:
    """Feed ``chunks`` one at a time, collecting every event and every byte the client sends."""
    dialogue = StartTlsDialogue(protocol, client_name="client.example", greeting_only=greeting_only)
    events: list[object] = []
    sent = bytearray()
    error = None
    try:
        # b"" means end of file to the dialogue, so an empty piece of a split is not sent
        for chunk in [*(c for c in chunks if c), *([b""] if eof else [])]:
            dialogue.receive_data(chunk)
            while (event := dialogue.next_event()) not in (NEED_DATA, PAUSED):
                events.append(event)
                sent += dialogue.data_to_send()
            sent += dialogue.data_to_send()
    except ProbeError as exc:
        error = (type(exc), str(exc))
        assert dialogue.state is State.ERROR
        with pytest.raises(type(exc)):  # the dialogue stays failed
            dialogue.next_event()
    return Outcome(tuple(events), bytes(sent), error, dialogue.state)


# --- correct servers -------------------------------------------------------------------------

GOOD = {
    "imap": (
        IMAP,
        b"* OK [CAPABILITY IMAP4rev1] Dovecot ready.\r\n"
        b"* CAPABILITY IMAP4rev1 SASL-IR STARTTLS LOGINDISABLED\r\n* OK extra untagged line\r\na1 OK Pre-login capabilities\r\n"
        b"a2 OK Begin TLS negotiation now.\r\n",
        b"a1 CAPABILITY\r\na2 STARTTLS\r\n",
        (
            Greeting("[CAPABILITY IMAP4rev1] Dovecot ready."),
            Capabilities(("IMAP4rev1", "SASL-IR", "STARTTLS", "LOGINDISABLED"), True),
            ReadyForTls(),
        ),
    ),
    "pop3": (
        POP3,
        b"+OK Dovecot ready.\r\n+OK\r\nCAPA\r\nTOP\r\n..dot-stuffed\r\nSTLS\r\nSASL PLAIN\r\n.\r\n+OK Begin TLS\r\n",
        b"CAPA\r\nSTLS\r\n",
        (
            Greeting("Dovecot ready."),
            Capabilities(("CAPA", "TOP", ".dot-stuffed", "STLS", "SASL PLAIN"), True),
            ReadyForTls(),
        ),
    ),
    "smtp": (
        SMTP,
        b"220-mail.contoso.com ESMTP Postfix\r\n220 no UCE\r\n"
        b"250-mail.contoso.com\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-starttls\r\n250 8BITMIME\r\n"
        b"220 2.0.0 Ready to start TLS\r\n",
        b"EHLO client.example\r\nSTARTTLS\r\n",
        (
            Greeting("mail.contoso.com ESMTP Postfix\nno UCE"),
            Capabilities(("PIPELINING", "SIZE 10240000", "starttls", "8BITMIME"), True, "mail.contoso.com"),
            ReadyForTls(),
        ),
    ),
    "smtp-lf-only-and-bare-code": (
        SMTP,
        b"220 mx ESMTP\n250-mx.example\n250 STARTTLS\n220\n",
        b"EHLO client.example\r\nSTARTTLS\r\n",
        (Greeting("mx ESMTP"), Capabilities(("STARTTLS",), True, "mx.example"), ReadyForTls()),
    ),
}


@pytest.mark.parametrize("case", GOOD)
def test_correct_server_whole(case: str) -> None:
    protocol, stream, sent, events = GOOD[case]
    outcome = drive(protocol, [stream])
    assert outcome == Outcome(events, sent, None, State.TLS_READY)


@pytest.mark.parametrize("case", GOOD)
def test_correct_server_byte_by_byte(case: str) -> None:
    protocol, stream, sent, events = GOOD[case]
    assert drive(protocol, [stream[i : i + 1] for i in range(len(stream))]) == Outcome(events, sent, None, State.TLS_READY)


@pytest.mark.parametrize("case", GOOD)
def test_correct_server_every_split_point(case: str) -> None:
    protocol, stream, sent, events = GOOD[case]
    for cut in range(len(stream) + 1):
        assert drive(protocol, [stream[:cut], stream[cut:]]) == Outcome(events, sent, None, State.TLS_READY), cut


@settings(max_examples=300, deadline=None)
@given(case=st.sampled_from(sorted(GOOD)), cuts=st.lists(st.integers(min_value=0, max_value=400), max_size=12))
def test_correct_server_any_splits(case: str, cuts: list[int]) -> None:
    protocol, stream, sent, events = GOOD[case]
    points = sorted({min(c, len(stream)) for c in cuts})
    chunks = [stream[a:b] for a, b in zip([0, *points], [*points, len(stream)])]
    assert drive(protocol, chunks) == Outcome(events, sent, None, State.TLS_READY)


def test_commands_are_sent_only_after_the_reply_they_depend_on() -> None:
    dialogue = StartTlsDialogue(IMAP)
    assert dialogue.next_event() is NEED_DATA and dialogue.data_to_send() == b""
    assert dialogue.waiting_for == "the IMAP greeting"
    dialogue.receive_data(b"* OK hi\r\n")
    assert dialogue.next_event() == Greeting("hi")
    assert dialogue.data_to_send() == b"a1 CAPABILITY\r\n"
    assert dialogue.data_to_send() == b""  # returned once
    assert dialogue.next_event() is NEED_DATA
    assert dialogue.waiting_for == "the reply to CAPABILITY"
    dialogue.receive_data(b"* CAPABILITY IMAP4rev1 STARTTLS\r\na1 OK\r\n")
    assert dialogue.next_event() == Capabilities(("IMAP4rev1", "STARTTLS"), True)
    assert dialogue.data_to_send() == b"a2 STARTTLS\r\n"
    assert dialogue.waiting_for == "the reply to STARTTLS"
    dialogue.receive_data(b"a2 OK go\r\n")
    assert dialogue.next_event() == ReadyForTls()
    assert dialogue.next_event() is PAUSED
    assert dialogue.starttls_offered is True
    assert dialogue.transcript == (
        "S: * OK hi",
        "C: a1 CAPABILITY",
        "S: * CAPABILITY IMAP4rev1 STARTTLS",
        "S: a1 OK",
        "C: a2 STARTTLS",
        "S: a2 OK go",
    )


@pytest.mark.parametrize("protocol", [IMAP, POP3, SMTP])
def test_greeting_only_stops_after_the_greeting(protocol: Protocol) -> None:
    greeting = {IMAP: b"* OK imaps\r\n", POP3: b"+OK pop3s\r\n", SMTP: b"220 smtps\r\n"}[protocol]
    outcome = drive(protocol, [greeting + b"anything after is ignored"], greeting_only=True)
    assert outcome.state is State.DONE and outcome.sent == b"" and len(outcome.events) == 1


# --- broken or hostile servers ---------------------------------------------------------------

BAD: dict[str, tuple[Protocol, bytes, type[ProbeError], str]] = {
    "imap-no-starttls": (
        IMAP,
        b"* OK hi\r\n* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\na1 OK\r\n",
        StartTlsError,
        "server did not offer STARTTLS (capabilities: IMAP4rev1 AUTH=PLAIN)",
    ),
    "pop3-no-stls": (POP3, b"+OK hi\r\n+OK\r\nUSER\r\nTOP\r\n.\r\n", StartTlsError, "server did not offer STLS (capabilities: USER TOP)"),
    "pop3-stls-as-argument-only": (POP3, b"+OK hi\r\n+OK\r\nSASL STLS\r\n.\r\n", StartTlsError, "did not offer STLS"),
    "smtp-no-starttls": (SMTP, b"220 hi\r\n250-mx\r\n250 SIZE 1000\r\n", StartTlsError, "server did not offer STARTTLS (capabilities: SIZE)"),
    "pop3-capa-refused": (POP3, b"+OK hi\r\n-ERR unknown command\r\n", StartTlsError, "it refused CAPA ('-ERR unknown command')"),
    "smtp-ehlo-refused": (SMTP, b"220 hi\r\n502 5.5.2 EHLO not implemented\r\n", StartTlsError, "it refused EHLO"),
    "imap-starttls-refused": (
        IMAP,
        b"* OK hi\r\n* CAPABILITY STARTTLS\r\na1 OK\r\na2 NO not today\r\n",
        StartTlsError,
        "server refused STARTTLS: 'a2 NO not today'",
    ),
    "pop3-stls-refused": (POP3, b"+OK hi\r\n+OK\r\nSTLS\r\n.\r\n-ERR no\r\n", StartTlsError, "server refused STLS: '-ERR no'"),
    "smtp-starttls-refused": (
        SMTP,
        b"220 hi\r\n250-mx\r\n250 STARTTLS\r\n454 4.7.0 TLS not available\r\n",
        StartTlsError,
        "server refused STARTTLS: '454 4.7.0 TLS not available'",
    ),
    "imap-injection": (
        IMAP,
        b"* OK hi\r\n* CAPABILITY STARTTLS\r\na1 OK\r\na2 OK go\r\n* injected\r\n",
        StartTlsError,
        "server sent 12 bytes after its STARTTLS reply ('* injected\\x0d\\x0a'): plaintext injected before TLS",
    ),
    "smtp-injection": (
        SMTP,
        b"220 hi\r\n250-mx\r\n250 STARTTLS\r\n220 go\r\n250 x",
        StartTlsError,
        "CVE-2011-0411",
    ),
    "imap-preauth": (IMAP, b"* PREAUTH welcome\r\n", StartTlsError, "server pre-authenticated the session"),
    "imap-bye": (IMAP, b"* BYE go away\r\n", ConnectError, "IMAP server turned us away in its greeting: '* BYE go away'"),
    "pop3-err": (POP3, b"-ERR too many connections\r\n", ConnectError, "turned us away"),
    "smtp-554": (SMTP, b"554 5.7.1 no service for you\r\n", ConnectError, "'554 5.7.1 no service for you'"),
    "imap-is-http": (IMAP, b"HTTP/1.1 400 Bad Request\r\n", ProtocolError, "not an IMAP server: its greeting was 'HTTP/1.1 400 Bad Request'"),
    "pop3-is-smtp": (POP3, b"220 mx ESMTP\r\n", ProtocolError, "not an POP3 server"),
    "smtp-is-imap": (SMTP, b"* OK imap\r\n", ProtocolError, "not an SMTP server"),
    "smtp-mixed-codes": (SMTP, b"220 hi\r\n250-mx\r\n251 STARTTLS\r\n", ProtocolError, "unexpected reply to EHLO: '251 STARTTLS'"),
    "imap-wrong-tag": (IMAP, b"* OK hi\r\nb7 OK\r\n", ProtocolError, "unexpected reply to CAPABILITY: 'b7 OK'"),
    "imap-continuation": (IMAP, b"* OK hi\r\n+ go on\r\n", ProtocolError, "unexpected reply to CAPABILITY"),
    "garbage": (IMAP, b"\x00\xff\x1b[31m\r\n", ProtocolError, "its greeting was '\\x00\\xff\\x1b[31m'"),
    "endless-line": (IMAP, b"* OK " + b"A" * (MAX_LINE + 10), ProtocolError, f"line longer than {MAX_LINE} bytes (waiting for the IMAP greeting)"),
    "too-much": (
        IMAP,
        b"* OK hi\r\n" + b"* CAPABILITY " + b"X " * 4000 + b"\r\n" + (b"* OK filler " + b"f" * 4000 + b"\r\n") * 16,
        ProtocolError,
        f"server sent more than {MAX_BYTES} bytes without finishing (waiting for the reply to CAPABILITY)",
    ),
}


@pytest.mark.parametrize("case", BAD)
def test_broken_server(case: str) -> None:
    protocol, stream, kind, message = BAD[case]
    outcome = drive(protocol, [stream])
    assert outcome.error is not None, outcome
    assert outcome.error[0] is kind
    assert message in outcome.error[1]
    assert "\n" not in outcome.error[1]
    assert outcome.state is State.ERROR


@pytest.mark.parametrize("case", BAD)
def test_broken_server_same_error_at_every_split(case: str) -> None:
    protocol, stream, kind, message = BAD[case]
    whole = drive(protocol, [stream]).error
    step = max(1, len(stream) // 300)  # the big cases: a sample of cuts, still each region
    for cut in range(0, len(stream) + 1, step):
        error = drive(protocol, [stream[:cut], stream[cut:]]).error
        if "injection" in case:  # how many injected bytes we saw depends on the split
            assert error is not None and error[0] is kind and "CVE-2011-0411" in error[1], cut
        else:
            assert error == whole, cut


def test_injection_in_a_later_packet_is_refused_too() -> None:
    outcome = drive(IMAP, [b"* OK hi\r\n* CAPABILITY STARTTLS\r\na1 OK\r\na2 OK go\r\n", b"x"])
    assert outcome.events[-1] == ReadyForTls()  # looked clean when the reply arrived...
    assert outcome.error is not None and outcome.error[0] is StartTlsError  # ...but nothing may follow it
    assert "1 bytes after its STARTTLS reply" in outcome.error[1]


@pytest.mark.parametrize(
    ("protocol", "stream", "waiting"),
    [
        (IMAP, b"", "the IMAP greeting"),
        (IMAP, b"* OK hi\r\n* CAPABILITY STARTTLS\r\n", "the reply to CAPABILITY"),
        (POP3, b"+OK hi\r\n+OK\r\nSTLS\r\n", "the reply to CAPA"),
        (SMTP, b"220 hi\r\n250-mx\r\n250 STARTTLS\r\n22", "the reply to STARTTLS; last bytes '22'"),
    ],
)
def test_eof_says_what_we_were_waiting_for(protocol: Protocol, stream: bytes, waiting: str) -> None:
    outcome = drive(protocol, [stream], eof=True)
    assert outcome.error == (ProtocolError, f"server closed the connection (waiting for {waiting})")


def test_starttls_not_offered_still_reports_the_capabilities_first() -> None:
    dialogue = StartTlsDialogue(SMTP)
    dialogue.receive_data(b"220 hi\r\n")
    assert isinstance(dialogue.next_event(), Greeting)
    dialogue.receive_data(b"250-mx.example\r\n250 SIZE 1\r\n")
    assert dialogue.next_event() == Capabilities(("SIZE 1",), False, "mx.example")
    assert dialogue.starttls_offered is False
    assert dialogue.data_to_send() == b"EHLO [127.0.0.1]\r\n"  # no STARTTLS goes out
    with pytest.raises(StartTlsError, match="did not offer STARTTLS"):
        dialogue.next_event()


def test_nothing_but_the_two_commands_is_ever_sent() -> None:
    """No LOGIN, USER, PASS or AUTH, whatever the server advertises."""
    for protocol, stream, sent, _ in GOOD.values():
        assert drive(protocol, [stream]).sent == sent
        for word in (b"LOGIN", b"USER", b"PASS", b"AUTH"):
            assert word not in sent


def test_transcript_is_escaped_and_capped() -> None:
    stream = b"* OK \x1b[2Jhi\r\n" + b"* OK spam\r\n" * 100 + b"* CAPABILITY STARTTLS\r\na1 OK " + b"w" * 500 + b"\r\n"
    dialogue = StartTlsDialogue(IMAP)
    dialogue.receive_data(stream)
    while dialogue.next_event() not in (NEED_DATA, PAUSED):
        pass
    transcript = dialogue.transcript
    assert transcript[0] == "S: * OK \\x1b[2Jhi"
    assert dialogue.banner == "\\x1b[2Jhi"
    assert len(transcript) == 65 and transcript[-1].startswith("… ") and transcript[-1].endswith("more lines")
    assert all(len(line) <= 250 for line in transcript)


def test_printable() -> None:
    assert printable("a\tb\r\n\x9b\x7f") == "a\tb\\x0d\\x0a\\x9b\\x7f"
    assert printable("x" * 10, 5) == "xxxx…"


def test_line_reader_budgets() -> None:
    reader = LineReader(max_line=4, max_total=20)
    reader.receive(b"abcd\r\nab")
    assert reader.next_line() == b"abcd"
    assert reader.next_line() is None
    assert reader.buffered == b"ab"
    reader.receive(b"cd\r")  # 4 bytes and a CR: still may become a line
    assert reader.next_line() is None
    reader.receive(b"e")
    with pytest.raises(ProtocolError, match="longer than 4 bytes"):
        reader.next_line()
    reader = LineReader(max_line=100, max_total=10)
    reader.receive(b"01234\n6789")
    reader.receive(b"x" * 1000)  # dropped on arrival: memory stays bounded
    assert reader.overflowed and reader.total == 1010 and reader.buffered == b"01234\n6789"
    assert reader.next_line() == b"01234"  # the lines that fit are still read...
    with pytest.raises(ProtocolError, match="more than 10 bytes"):  # ...then the budget speaks
        reader.next_line()


def test_bad_construction() -> None:
    with pytest.raises(ValueError, match="https"):
        StartTlsDialogue(Protocol.HTTPS)
    with pytest.raises(ValueError, match="one word"):
        StartTlsDialogue(SMTP, client_name="two words")
