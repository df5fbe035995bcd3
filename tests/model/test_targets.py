"""TARGET forms of PRODUCT.md, parsed into exact endpoints; bad ones are one-line InputErrors."""

from __future__ import annotations

import pytest

from mailcert.errors import InputError
from mailcert.model import Protocol, TlsMode, parse_connect, parse_target


@pytest.mark.parametrize(
    ("text", "host", "port", "protocol", "mode"),
    [
        ("mail.example.com", "mail.example.com", 993, Protocol.IMAP, TlsMode.IMPLICIT),
        ("mail.example.com:143", "mail.example.com", 143, Protocol.IMAP, TlsMode.STARTTLS),
        ("mail.example.com:25", "mail.example.com", 25, Protocol.SMTP, TlsMode.STARTTLS),
        ("mail.example.com:587", "mail.example.com", 587, Protocol.SMTP, TlsMode.STARTTLS),
        ("mail.example.com:465", "mail.example.com", 465, Protocol.SMTP, TlsMode.IMPLICIT),
        ("mail.example.com:995", "mail.example.com", 995, Protocol.POP3, TlsMode.IMPLICIT),
        ("mail.example.com:110", "mail.example.com", 110, Protocol.POP3, TlsMode.STARTTLS),
        ("imap://mail.example.com", "mail.example.com", 143, Protocol.IMAP, TlsMode.STARTTLS),
        ("IMAPS://mail.example.com:10993", "mail.example.com", 10993, Protocol.IMAP, TlsMode.IMPLICIT),
        ("pop3://h", "h", 110, Protocol.POP3, TlsMode.STARTTLS),
        ("pop3s://h", "h", 995, Protocol.POP3, TlsMode.IMPLICIT),
        ("smtp://h", "h", 587, Protocol.SMTP, TlsMode.STARTTLS),
        ("smtp://h:25", "h", 25, Protocol.SMTP, TlsMode.STARTTLS),
        ("smtps://h", "h", 465, Protocol.SMTP, TlsMode.IMPLICIT),
        ("https://webmail.example.com", "webmail.example.com", 443, Protocol.HTTPS, TlsMode.IMPLICIT),
        ("[2001:db8::1]:993", "2001:db8::1", 993, Protocol.IMAP, TlsMode.IMPLICIT),
        ("imaps://[::1]:10993", "::1", 10993, Protocol.IMAP, TlsMode.IMPLICIT),
        ("2001:db8::1", "2001:db8::1", 993, Protocol.IMAP, TlsMode.IMPLICIT),
    ],
)
def test_target_forms(text: str, host: str, port: int, protocol: Protocol, mode: TlsMode) -> None:
    e = parse_target(text)
    assert (e.host, e.port, e.protocol, e.mode) == (host, port, protocol, mode)
    assert parse_target(e.url) == e  # the canonical URL reads back to the same endpoint


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("", "empty target"),
        ("gopher://h", "unknown scheme"),
        ("h:10143", "not a standard mail port"),
        ("h:0", "port must be"),
        ("h:99999", "port must be"),
        ("imaps://user:pw@h", "credentials"),
        ("imaps://[::1", "target"),
        ("[::1", "brackets"),
        ("2001:db8::zz", "brackets"),
    ],
)
def test_bad_targets(text: str, needle: str) -> None:
    with pytest.raises(InputError, match=needle):
        parse_target(text)


def test_connect_option() -> None:
    assert parse_connect("127.0.0.1:10993") == ("127.0.0.1", 10993)
    assert parse_connect("[::1]") == ("::1", None)
