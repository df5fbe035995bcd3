"""Sans-I/O STARTTLS dialogues: IMAP (RFC 9051 §6.2.1), POP3 (RFC 2595 §4) and SMTP (RFC 3207).

Nothing here touches a socket or an event loop, in the manner of h11: the driver feeds what the
server sent with :meth:`StartTlsDialogue.receive_data`, asks :meth:`~StartTlsDialogue.next_event`
what that meant, and writes whatever :meth:`~StartTlsDialogue.data_to_send` returns.  That keeps
the protocol rules testable byte by byte, split at any point, without a server.

The three protocols differ only in how a reply is framed (IMAP tags, POP3 ``+OK`` and dot
terminated lists, SMTP ``250-`` continuation lines) and in the words they use.  So there is one
line reader, one dialogue (greeting -> capabilities -> STARTTLS -> ready for TLS) and a small
table of :class:`_Dialect` entries; the framing classes are the only per-protocol code.

Safety rules that the dialogue enforces, because the other end may be hostile:

* a line may hold at most :data:`MAX_LINE` bytes and the whole plaintext phase at most
  :data:`MAX_BYTES`, so a server cannot grow our memory;
* bytes that arrive after the final STARTTLS reply are an error (the CVE-2011-0411 class of
  injection): they are never handed to TLS as if the TLS peer had sent them;
* the client sends only ``CAPABILITY``/``CAPA``/``EHLO`` and ``STARTTLS``/``STLS``, never
  credentials;
* text kept for reports (banner, transcript) has control characters escaped, so a banner
  cannot paint the administrator's terminal.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable
from typing import Final, NamedTuple, NoReturn, Protocol as _TypingProtocol

from mailcert.errors import ConnectError, ProbeError, ProtocolError, StartTlsError
from mailcert.model import Protocol

__all__ = [
    "MAX_LINE",
    "MAX_BYTES",
    "State",
    "Greeting",
    "Capabilities",
    "ReadyForTls",
    "NEED_DATA",
    "PAUSED",
    "Event",
    "LineReader",
    "StartTlsDialogue",
    "printable",
]

MAX_LINE: Final = 8192
"""Longest line accepted, without its line end.  RFC 5321 allows 512 octets for SMTP replies;
IMAP capability lists of real servers stay far below this."""

MAX_BYTES: Final = 65536
"""Most bytes accepted from the server before TLS starts."""

TRANSCRIPT_LINES: Final = 64
TRANSCRIPT_WIDTH: Final = 240


class State(enum.Enum):
    """Where the dialogue stands; the driver only needs to know the final states."""

    GREETING = "greeting"
    CAPABILITIES = "capabilities"
    STARTTLS = "starttls"
    TLS_READY = "tls-ready"  # final: the next byte on the wire must be our ClientHello
    DONE = "done"  # final for greeting-only dialogues (implicit TLS)
    ERROR = "error"


# The events are NamedTuples (frozen, compared by value, cheap to define at every start of
# ``mailcert check``); tell them apart by type, as the driver does, not by truth or length.


class Greeting(NamedTuple):
    """The server's greeting; ``banner`` is its text without the status word (``* OK``, ``220``)."""

    banner: str


class Capabilities(NamedTuple):
    """What the server advertised in reply to CAPABILITY / CAPA / EHLO.

    ``items`` are the advertised lines or words in server order; ``ehlo_host`` is the host name
    an SMTP server names in the first line of its EHLO reply (``None`` for IMAP and POP3).
    """

    items: tuple[str, ...]
    starttls_offered: bool
    ehlo_host: str | None = None


class ReadyForTls(NamedTuple):
    """The server accepted STARTTLS and nothing else is buffered: start the TLS handshake now."""


class _Sentinel(enum.Enum):
    NEED_DATA = "NEED_DATA"
    PAUSED = "PAUSED"


NEED_DATA: Final = _Sentinel.NEED_DATA
"""``next_event()`` needs more bytes from the server."""

PAUSED: Final = _Sentinel.PAUSED
"""``next_event()`` has nothing more to say: the dialogue reached a final state."""

Event = Greeting | Capabilities | ReadyForTls


def printable(text: str, limit: int = TRANSCRIPT_WIDTH) -> str:
    """``text`` made safe for a terminal or a report: control characters escaped, length capped."""
    out = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)
    return out if len(out) <= limit else out[: limit - 1] + "…"


_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]")


class LineReader:
    """Cuts a byte stream into lines within fixed budgets.

    The budgets are what stop a hostile server from growing our memory with an endless line or
    an endless stream: bytes past ``max_total`` are dropped on arrival, and the error is raised
    once the lines that did fit are used up, so it names the reply the budget ran out in
    however the stream was split.  Both ``CRLF`` and bare ``LF`` end a line (servers are
    sloppy; we only read).  ``receive(b"")`` means end of file, as in h11.
    """

    def __init__(self, *, max_line: int = MAX_LINE, max_total: int = MAX_BYTES) -> None:
        self._buf = bytearray()
        self._scanned = 0  # bytes of _buf known to hold no LF: a dripping server costs O(n)
        self._total = 0
        self._max_line = max_line
        self._max_total = max_total
        self.eof = False

    def receive(self, data: bytes) -> None:
        """Append ``data``; ``b""`` marks the end of the stream."""
        if not data:
            self.eof = True
            return
        room = self._max_total - self._total
        self._total += len(data)
        self._buf += data[: max(room, 0)]

    @property
    def overflowed(self) -> bool:
        """More than ``max_total`` bytes arrived."""
        return self._total > self._max_total

    def next_line(self) -> bytes | None:
        """The next complete line without its line end, or ``None`` until one has arrived."""
        end = self._buf.find(b"\n", self._scanned)
        if end < 0:
            self._scanned = len(self._buf)
            if len(self._buf) > self._max_line + 1:  # +1: room for the CR of a CRLF
                raise ProtocolError(f"server sent a line longer than {self._max_line} bytes")
            if self.overflowed:
                raise ProtocolError(f"server sent more than {self._max_total} bytes without finishing")
            return None
        line = bytes(self._buf[:end])
        del self._buf[: end + 1]
        self._scanned = 0
        if line.endswith(b"\r"):
            line = line[:-1]
        if len(line) > self._max_line:
            raise ProtocolError(f"server sent a line longer than {self._max_line} bytes")
        return line

    @property
    def buffered(self) -> bytes:
        """Bytes received (within the budget) but not yet returned as lines."""
        return bytes(self._buf)

    @property
    def total(self) -> int:
        """Bytes received so far, counting those past the budget."""
        return self._total


# --- reply framing: the only per-protocol parsing ----------------------------------------


class _Reply(NamedTuple):
    """One complete reply: ``lines`` as sent, ``texts`` with the status word stripped.

    Internal records are NamedTuples, not dataclasses: each dataclass costs ``mailcert check``
    half a millisecond of start-up to create."""

    ok: bool
    lines: tuple[str, ...]
    texts: tuple[str, ...]
    status: str


class _Unexpected(Exception):
    """A line that does not belong to the reply being read."""

    def __init__(self, line: str) -> None:
        super().__init__(line)
        self.line = line


class _Framing(_TypingProtocol):
    def feed(self, line: str) -> _Reply | None:
        """Take one line; return the reply once it is complete."""


class _ImapReply:
    """An IMAP reply: untagged ``*`` lines, then the tagged status line (RFC 9051 §7.1).

    Without a tag it reads the greeting, which is a single untagged OK, PREAUTH or BYE.
    """

    def __init__(self, tag: str | None) -> None:
        self._tag = tag
        self._lines: list[str] = []
        self._texts: list[str] = []

    def feed(self, line: str) -> _Reply | None:
        self._lines.append(line)
        if self._tag is None:
            status, text = _imap_status(line, "*")
            if status not in ("OK", "PREAUTH", "BYE"):
                raise _Unexpected(line)
            if status == "PREAUTH":
                raise StartTlsError(
                    f"server pre-authenticated the session ('{printable(line, 120)}');"
                    " STARTTLS is only allowed before login"
                )
            return _Reply(status == "OK", tuple(self._lines), (text,), status)
        if line.startswith("* "):
            self._texts.append(line[2:])
            return None
        status, text = _imap_status(line, self._tag)
        if status not in ("OK", "NO", "BAD"):
            raise _Unexpected(line)
        return _Reply(status == "OK", tuple(self._lines), tuple(self._texts), status)


def _imap_status(line: str, tag: str) -> tuple[str, str]:
    head, _, rest = line.partition(" ")
    if head != tag:
        return "", ""
    status, _, text = rest.partition(" ")
    return status.upper(), text


class _Pop3Reply:
    """A POP3 reply: ``+OK``/``-ERR``, and for multi-line replies a dot-terminated list (RFC 1939 §3)."""

    def __init__(self, multiline: bool) -> None:
        self._multiline = multiline
        self._lines: list[str] = []
        self._texts: list[str] = []

    def feed(self, line: str) -> _Reply | None:
        self._lines.append(line)
        if len(self._lines) == 1:
            status, _, text = line.partition(" ")
            status = status.upper()
            if status not in ("+OK", "-ERR"):
                raise _Unexpected(line)
            self._texts.append(text)
            if status == "+OK" and self._multiline:
                return None
            return _Reply(status == "+OK", tuple(self._lines), tuple(self._texts), status)
        if line == ".":
            return _Reply(True, tuple(self._lines), tuple(self._texts), "+OK")
        self._texts.append(line[1:] if line.startswith(".") else line)  # undo dot-stuffing
        return None


_SMTP_LINE = re.compile(r"([2-5][0-9][0-9])(?:([ -])(.*))?\Z", re.DOTALL)


class _SmtpReply:
    """An SMTP reply: ``NNN-`` lines continue, ``NNN `` (or bare ``NNN``) ends it (RFC 5321 §4.2.1)."""

    def __init__(self, expect: str) -> None:
        self._expect = expect
        self._code = ""
        self._lines: list[str] = []
        self._texts: list[str] = []

    def feed(self, line: str) -> _Reply | None:
        match = _SMTP_LINE.match(line)
        if match is None or (self._code and match.group(1) != self._code):
            raise _Unexpected(line)
        self._code = match.group(1)
        self._lines.append(line)
        self._texts.append(match.group(3) or "")
        if match.group(2) == "-":
            return None
        return _Reply(self._code == self._expect, tuple(self._lines), tuple(self._texts), self._code)


# --- the per-protocol table ----------------------------------------------------------------


class _Dialect(NamedTuple):
    """Everything that differs between IMAP, POP3 and SMTP, as data."""

    name: str
    keyword: str  # what the server advertises and the client sends to upgrade
    greeting: Callable[[], _Framing]
    capability_word: str  # the command, for messages
    capability_command: Callable[[str], str]  # client name -> command line
    capability_reply: Callable[[], _Framing]
    capabilities: Callable[[_Reply], tuple[str, ...]]
    starttls_command: str
    starttls_reply: Callable[[], _Framing]


def _imap_capabilities(reply: _Reply) -> tuple[str, ...]:
    words: list[str] = []
    for text in reply.texts:
        head, _, rest = text.partition(" ")
        if head.upper() == "CAPABILITY":
            words.extend(rest.split())
    return tuple(words)


_DIALECTS: Final[dict[Protocol, _Dialect]] = {
    Protocol.IMAP: _Dialect(
        name="IMAP",
        capability_word="CAPABILITY",
        keyword="STARTTLS",
        greeting=lambda: _ImapReply(None),
        capability_command=lambda _client: "a1 CAPABILITY",
        capability_reply=lambda: _ImapReply("a1"),
        capabilities=_imap_capabilities,
        starttls_command="a2 STARTTLS",
        starttls_reply=lambda: _ImapReply("a2"),
    ),
    Protocol.POP3: _Dialect(
        name="POP3",
        capability_word="CAPA",
        keyword="STLS",
        greeting=lambda: _Pop3Reply(multiline=False),
        capability_command=lambda _client: "CAPA",
        capability_reply=lambda: _Pop3Reply(multiline=True),
        capabilities=lambda reply: reply.texts[1:],
        starttls_command="STLS",
        starttls_reply=lambda: _Pop3Reply(multiline=False),
    ),
    Protocol.SMTP: _Dialect(
        name="SMTP",
        capability_word="EHLO",
        keyword="STARTTLS",
        greeting=lambda: _SmtpReply("220"),
        capability_command=lambda client: f"EHLO {client}",
        capability_reply=lambda: _SmtpReply("250"),
        capabilities=lambda reply: reply.texts[1:],
        starttls_command="STARTTLS",
        starttls_reply=lambda: _SmtpReply("220"),
    ),
}


def _first_word(item: str) -> str:
    words = item.split(None, 1)
    return words[0].upper() if words else ""


class _Transcript:
    """The conversation for reports: ``C: ``/``S: `` lines, escaped and capped in count and width."""

    def __init__(self) -> None:
        self._lines: list[str] = []
        self._dropped = 0

    def add(self, who: str, line: str) -> None:
        if len(self._lines) < TRANSCRIPT_LINES:
            self._lines.append(f"{who}: {printable(line)}")
        else:
            self._dropped += 1

    def snapshot(self) -> tuple[str, ...]:
        if self._dropped:
            return (*self._lines, f"… {self._dropped} more lines")
        return tuple(self._lines)


# --- the dialogue --------------------------------------------------------------------------


class StartTlsDialogue:
    """The client side of one STARTTLS upgrade, as a state machine.

    Typical driver loop::

        d = StartTlsDialogue(Protocol.SMTP, client_name="[192.0.2.1]")
        while (event := d.next_event()) is not PAUSED:
            send(d.data_to_send())
            if event is NEED_DATA:
                d.receive_data(recv())   # b"" at end of file
        send(d.data_to_send())           # nothing: the STARTTLS command went out earlier
        # d.state is State.TLS_READY: start TLS on the same socket

    ``greeting_only=True`` reads just the greeting and stops in :attr:`State.DONE`; the driver
    uses it inside implicit TLS to learn the banner.

    :meth:`receive_data` and :meth:`next_event` raise :class:`~mailcert.errors.ProtocolError`
    (the server broke the protocol or a budget), :class:`~mailcert.errors.StartTlsError`
    (STARTTLS not offered, refused, or data injected after its reply) or
    :class:`~mailcert.errors.ConnectError` (the greeting turned us away).  After an error the
    dialogue stays in :attr:`State.ERROR` and raises the same error again.
    """

    def __init__(self, protocol: Protocol, *, client_name: str = "[127.0.0.1]", greeting_only: bool = False) -> None:
        if protocol not in _DIALECTS:
            raise ValueError(f"{protocol.value} has no plaintext dialogue before TLS")
        if not client_name or any(c.isspace() for c in client_name):
            raise ValueError(f"client name {client_name!r} must be one word (a host name or [address])")
        self.protocol = protocol
        self._dialect = _DIALECTS[protocol]
        self._client_name = client_name
        self._greeting_only = greeting_only
        self._reader = LineReader()
        self._framing: _Framing = self._dialect.greeting()
        self._outgoing = bytearray()
        self._transcript = _Transcript()
        self._state = State.GREETING
        self._error: ProbeError | None = None
        self._deferred: ProbeError | None = None
        self.banner: str | None = None
        self.capabilities: tuple[str, ...] = ()
        self.starttls_offered: bool | None = None
        self.ehlo_host: str | None = None

    # -- inspection

    @property
    def state(self) -> State:
        return self._state

    @property
    def waiting_for(self) -> str:
        """What we are waiting for, in words for an error message ("the IMAP greeting")."""
        d = self._dialect
        return {
            State.GREETING: f"the {d.name} greeting",
            State.CAPABILITIES: f"the reply to {d.capability_word}",
            State.STARTTLS: f"the reply to {d.keyword}",
            State.TLS_READY: "the TLS handshake",
            State.DONE: "nothing",
            State.ERROR: "nothing",
        }[self._state]

    @property
    def transcript(self) -> tuple[str, ...]:
        """The conversation so far, ``C:`` and ``S:`` lines, for reports."""
        return self._transcript.snapshot()

    @property
    def bytes_received(self) -> int:
        return self._reader.total

    # -- the h11-style interface

    def receive_data(self, data: bytes) -> None:
        """Feed bytes from the server; ``b""`` means it closed the connection."""
        if self._state is State.ERROR:
            return
        if self._state is State.TLS_READY and data:
            self._fail(self._injected(data))
        if self._state is State.DONE:
            return
        self._reader.receive(data)

    def data_to_send(self) -> bytes:
        """Bytes the client must write now (and forget: they are returned once)."""
        out = bytes(self._outgoing)
        self._outgoing.clear()
        return out

    def next_event(self) -> Event | _Sentinel:
        """The next thing the server said, :data:`NEED_DATA`, or :data:`PAUSED` when finished."""
        if self._error is not None:
            raise self._error
        if self._deferred is not None:
            self._fail(self._deferred)
        if self._state in (State.TLS_READY, State.DONE):
            return PAUSED
        try:
            while True:
                try:
                    raw = self._reader.next_line()
                except ProtocolError as exc:  # a budget: say where it ran out
                    raise ProtocolError(f"{exc} (waiting for {self.waiting_for})") from None
                if raw is None:
                    if self._reader.eof:
                        raise self._closed()
                    return NEED_DATA
                line = raw.decode("utf-8", "backslashreplace")
                self._transcript.add("S", line)
                try:
                    reply = self._framing.feed(line)
                except _Unexpected as exc:
                    raise self._unexpected(exc.line) from None
                if reply is not None:
                    return self._advance(reply)
        except ProbeError as exc:
            self._fail(exc)

    # -- internals

    def _advance(self, reply: _Reply) -> Event:
        d = self._dialect
        if self._state is State.GREETING:
            if not reply.ok:
                raise ConnectError(f"{d.name} server turned us away in its greeting: '{printable(reply.lines[0], 160)}'")
            self.banner = "\n".join(printable(text, 500) for text in reply.texts)
            if self._greeting_only:
                self._state = State.DONE
            else:
                self._send(d.capability_command(self._client_name))
                self._framing = d.capability_reply()
                self._state = State.CAPABILITIES
            return Greeting(self.banner)

        if self._state is State.CAPABILITIES:
            items = tuple(printable(i) for i in d.capabilities(reply)) if reply.ok else ()
            offered = any(_first_word(item) == d.keyword for item in items)
            if d.name == "SMTP" and reply.ok:
                self.ehlo_host = printable(_first_word_raw(reply.texts[0]), 255) or None
            self.capabilities, self.starttls_offered = items, offered
            if offered:
                self._send(d.starttls_command)
                self._framing = d.starttls_reply()
                self._state = State.STARTTLS
            elif reply.ok:
                listed = printable(" ".join(_first_word_raw(i) for i in items), 200) or "none"
                self._deferred = StartTlsError(f"server did not offer {d.keyword} (capabilities: {listed})")
            else:
                self._deferred = StartTlsError(
                    f"server did not offer {d.keyword}: it refused {d.capability_word}"
                    f" ('{printable(reply.lines[-1], 160)}')"
                )
            return Capabilities(items, offered, self.ehlo_host)

        # State.STARTTLS
        if not reply.ok:
            raise StartTlsError(f"server refused {d.keyword}: '{printable(reply.lines[-1], 160)}'")
        leftover = self._reader.buffered
        if leftover or self._reader.overflowed:
            raise self._injected(leftover, truncated=self._reader.overflowed)
        self._state = State.TLS_READY
        return ReadyForTls()

    def _send(self, line: str) -> None:
        self._transcript.add("C", line)
        self._outgoing += line.encode("ascii") + b"\r\n"

    def _fail(self, exc: ProbeError) -> NoReturn:
        self._state = State.ERROR
        self._error = exc
        raise exc

    def _closed(self) -> ProtocolError:
        tail = self._reader.buffered
        seen = f"; last bytes '{printable(tail.decode('utf-8', 'backslashreplace'), 80)}'" if tail else ""
        return ProtocolError(f"server closed the connection (waiting for {self.waiting_for}{seen})")

    def _unexpected(self, line: str) -> ProtocolError:
        d = self._dialect
        shown = printable(line, 80)
        if self._state is State.GREETING:
            return ProtocolError(f"not an {d.name} server: its greeting was '{shown}'")
        return ProtocolError(f"unexpected reply to {self._pending_command()}: '{shown}'")

    def _pending_command(self) -> str:
        return self._dialect.capability_word if self._state is State.CAPABILITIES else self._dialect.keyword

    def _injected(self, data: bytes, *, truncated: bool = False) -> StartTlsError:
        shown = printable(data[:60].decode("utf-8", "backslashreplace"), 80)
        count = f"at least {len(data)}" if truncated else str(len(data))
        return StartTlsError(
            f"server sent {count} bytes after its {self._dialect.keyword} reply ('{shown}'):"
            " plaintext injected before TLS (the CVE-2011-0411 class); refusing to continue"
        )


def _first_word_raw(text: str) -> str:
    words = text.split(None, 1)
    return words[0] if words else ""
