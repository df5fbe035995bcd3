"""Frozen value types shared by every part of mailcert.

Targets are parsed forgivingly (``host``, ``host:port``, ``imaps://host``...) into an exact
:class:`Endpoint`; everything downstream works on that value and never re-parses strings.
"""

from __future__ import annotations

import enum
import ipaddress
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlsplit

from mailcert.errors import InputError

__all__ = ["Protocol", "TlsMode", "Endpoint", "Status", "parse_target", "parse_connect", "DEFAULT_PORTS"]


class Protocol(str, enum.Enum):
    """The application protocol spoken before (STARTTLS) or inside (implicit) TLS."""

    IMAP = "imap"
    POP3 = "pop3"
    SMTP = "smtp"
    HTTPS = "https"


class TlsMode(str, enum.Enum):
    """Implicit TLS from the first byte, or a plaintext dialogue upgraded with STARTTLS/STLS."""

    IMPLICIT = "implicit"
    STARTTLS = "starttls"


# scheme -> (protocol, mode, default port)
SCHEMES: dict[str, tuple[Protocol, TlsMode, int]] = {
    "imap": (Protocol.IMAP, TlsMode.STARTTLS, 143),
    "imaps": (Protocol.IMAP, TlsMode.IMPLICIT, 993),
    "pop3": (Protocol.POP3, TlsMode.STARTTLS, 110),
    "pop": (Protocol.POP3, TlsMode.STARTTLS, 110),
    "pop3s": (Protocol.POP3, TlsMode.IMPLICIT, 995),
    "pops": (Protocol.POP3, TlsMode.IMPLICIT, 995),
    "smtp": (Protocol.SMTP, TlsMode.STARTTLS, 587),
    "submission": (Protocol.SMTP, TlsMode.STARTTLS, 587),
    "smtps": (Protocol.SMTP, TlsMode.IMPLICIT, 465),
    "https": (Protocol.HTTPS, TlsMode.IMPLICIT, 443),
}

# well-known port -> (protocol, mode); used when the target has no scheme
DEFAULT_PORTS: dict[int, tuple[Protocol, TlsMode]] = {
    143: (Protocol.IMAP, TlsMode.STARTTLS),
    993: (Protocol.IMAP, TlsMode.IMPLICIT),
    110: (Protocol.POP3, TlsMode.STARTTLS),
    995: (Protocol.POP3, TlsMode.IMPLICIT),
    25: (Protocol.SMTP, TlsMode.STARTTLS),
    587: (Protocol.SMTP, TlsMode.STARTTLS),
    465: (Protocol.SMTP, TlsMode.IMPLICIT),
    443: (Protocol.HTTPS, TlsMode.IMPLICIT),
}


@dataclass(frozen=True)
class Endpoint:
    """Where to connect and how to speak: host, port, protocol, TLS mode."""

    host: str
    port: int
    protocol: Protocol
    mode: TlsMode

    @property
    def url(self) -> str:
        """The canonical URL form, e.g. ``imap://mail.example.com:143``."""
        return f"{_SCHEMES[self.protocol, self.mode]}://{_bracket(self.host)}:{self.port}"

    def connect_to(self, host: str, port: int | None = None) -> Endpoint:
        """The same protocol and mode at another address (curl's ``--connect-to``)."""
        return Endpoint(host, self.port if port is None else port, self.protocol, self.mode)


_SCHEMES: Final = {
    (Protocol.IMAP, TlsMode.STARTTLS): "imap",
    (Protocol.IMAP, TlsMode.IMPLICIT): "imaps",
    (Protocol.POP3, TlsMode.STARTTLS): "pop3",
    (Protocol.POP3, TlsMode.IMPLICIT): "pop3s",
    (Protocol.SMTP, TlsMode.STARTTLS): "smtp",
    (Protocol.SMTP, TlsMode.IMPLICIT): "smtps",
    (Protocol.HTTPS, TlsMode.IMPLICIT): "https",
}
"""Each (protocol, mode)'s URL scheme (:attr:`Endpoint.url`): one table, not one per call."""


def _bracket(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _split_host_port(text: str, field: str) -> tuple[str, int | None]:
    """Split ``host``, ``host:port``, ``[v6]``, ``[v6]:port``; a bare IPv6 has no port.
    ``field`` names the value in errors (``target``, ``connect``)."""
    if text.startswith("["):
        host, sep, rest = text[1:].partition("]")
        if not sep or (rest and not rest.startswith(":")):
            raise InputError(f"{field} {text!r}: unbalanced brackets; write [IPv6]:PORT", field=field)
        port_text = rest[1:] if rest else ""
    elif text.count(":") > 1:
        try:
            ipaddress.IPv6Address(text)
        except ValueError:
            raise InputError(f"{field} {text!r}: put an IPv6 address in brackets, e.g. [::1]:993", field=field) from None
        return text, None
    else:
        host, _, port_text = text.partition(":")
    if not host:
        raise InputError(f"{field} {text!r} has no host name", field=field)
    if not port_text:
        return host, None
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise InputError(f"{field} {text!r}: port must be a number from 1 to 65535", field=field)
    return host, int(port_text)


def parse_target(text: str) -> Endpoint:
    """Parse a TARGET as PRODUCT.md defines it.

    ``imaps://host[:port]`` and friends name the protocol; ``host:port`` is recognised for
    the well-known mail ports; a bare ``host`` means IMAPS on 993, the port a mail client
    tries first.
    """
    text = text.strip()
    if not text:
        raise InputError("empty target; give a host, host:port or e.g. imaps://mail.example.com")
    if "://" in text:
        scheme = text.split("://", 1)[0].lower()
        if scheme not in SCHEMES:
            known = ", ".join(sorted(SCHEMES))
            raise InputError(f"target {text!r}: unknown scheme {scheme!r}; use one of {known}")
        protocol, mode, default_port = SCHEMES[scheme]
        try:
            netloc = urlsplit(text).netloc
        except ValueError as exc:  # e.g. an unclosed IPv6 bracket
            raise InputError(f"target {text!r}: {exc}") from None
        if "@" in netloc:
            raise InputError(f"target {text!r}: leave credentials out; mailcert never logs in")
        host, port = _split_host_port(netloc, "target")
        return Endpoint(host, port or default_port, protocol, mode)
    host, port = _split_host_port(text, "target")
    if port is None:
        return Endpoint(host, 993, Protocol.IMAP, TlsMode.IMPLICIT)
    if port not in DEFAULT_PORTS:
        raise InputError(
            f"target {text!r}: port {port} is not a standard mail port, so say what it speaks,"
            f" e.g. imap://{_bracket(host)}:{port} or smtps://{_bracket(host)}:{port}"
        )
    protocol, mode = DEFAULT_PORTS[port]
    return Endpoint(host, port, protocol, mode)


def parse_connect(text: str) -> tuple[str, int | None]:
    """Parse the ``connect`` field, ``HOST[:PORT]``: where to connect instead of the target's host."""
    return _split_host_port(text.strip(), "connect")


class Status(enum.IntEnum):
    """Monitoring-plugin status; the value is the exit code (Nagios/Icinga convention)."""

    OK = 0
    WARNING = 1
    CRITICAL = 2
    UNKNOWN = 3
