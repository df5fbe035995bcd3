"""The wire corpus: certificates served by a real Dovecot and Postfix, and the names typed.

Each case is one certificate (issued by the differential corpus's test CA, so only its names
can make a client refuse it) and one name a user types into the client.  Every certificate is
served on its own loopback address (127.0.3.N): one Dovecot and one Postfix serve them all at
once, and each client resolves the typed name to that address through a private /etc/hosts
seen only by its own process (tests/wire/clients.py), so nothing on the machine changes.

Names live under ``mailcert.test`` (``.test`` is reserved: RFC 2606), except the cases that
are about the TLD (``*.test``) or an IP address (the case's own 127.0.3.N).  The cases are
chosen so that every rule in which the mail clients differ is exercised in both directions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from tests.differential.corpus import Dns, GeneralName, Ip, RawDns, RawIp, issue, with_printable_cns

__all__ = ["WireCase", "CASES", "address_of", "IP_NAME"]

D = "mailcert.test"
#: placeholder for "this case's own loopback address", in SAN entries and typed names
IP_NAME = "{ip}"


@dataclass(frozen=True)
class WireCase:
    """One certificate (SAN entries, CNs) and the name typed for it."""

    id: str
    san: tuple[GeneralName, ...] | None
    cns: tuple[str, ...]
    name: str
    printable_cn: bool = False

    def typed(self, address: str) -> str:
        return self.name.replace(IP_NAME, address)

    def der(self, address: str) -> bytes:
        san = None if self.san is None else tuple(_resolve(g, address) for g in self.san)
        der = issue(f"wire-{self.id}", san=san, cns=tuple(c.replace(IP_NAME, address) for c in self.cns))
        return with_printable_cns(der) if self.printable_cn else der


def _resolve(g: GeneralName, address: str) -> GeneralName:
    if isinstance(g, Dns):
        return Dns(g.value.replace(IP_NAME, address))
    if isinstance(g, Ip):
        return Ip(g.value.replace(IP_NAME, address))
    return g


def _case(case_id: str, san: Sequence[GeneralName] | None, cns: Sequence[str], name: str, *, printable_cn: bool = False) -> WireCase:
    return WireCase(case_id, None if san is None else tuple(san), tuple(cns), name, printable_cn)


CASES: tuple[WireCase, ...] = (
    # the baseline: the name in the SAN and the CN; another name
    _case("plain", [Dns(f"mail.{D}")], [f"mail.{D}"], f"mail.{D}"),
    _case("other-name", [Dns(f"mail.{D}")], [f"mail.{D}"], f"imap.{D}"),
    _case("second-san", [Dns(f"sbs.{D}"), Dns(f"remote.{D}")], [f"sbs.{D}"], f"remote.{D}"),
    _case("upper-case", [Dns(f"MAIL.{D.upper()}")], [f"mail.{D}"], f"Mail.{D}"),
    # the CN: alone, beside other SAN names, several of them, none at all
    _case("cn-only", None, [f"mail.{D}"], f"mail.{D}"),
    _case("cn-beside-san", [Dns(f"www.{D}")], [f"mail.{D}"], f"mail.{D}"),
    _case("two-cns-first", None, [f"mail.{D}", f"other.{D}"], f"mail.{D}"),
    _case("two-cns-last", None, [f"other.{D}", f"mail.{D}"], f"mail.{D}"),
    _case("no-cn", [Dns(f"mail.{D}")], [], f"mail.{D}"),
    _case("cn-with-ip-san", [Ip(IP_NAME)], [f"mail.{D}"], f"mail.{D}"),
    # wildcards
    _case("wild", [Dns(f"*.{D}")], [f"*.{D}"], f"mail.{D}"),
    _case("wild-two-deep", [Dns(f"*.{D}")], [f"*.{D}"], f"a.mail.{D}"),
    _case("wild-tld", [Dns("*.test")], ["*.test"], D),
    _case("wild-partial-prefix", [Dns(f"m*.{D}")], [f"m*.{D}"], f"mail.{D}"),
    _case("wild-partial-suffix", [Dns(f"*il.{D}")], [f"*il.{D}"], f"mail.{D}"),
    _case("wild-cn-only", None, [f"*.{D}"], f"mail.{D}"),
    # a trailing dot, typed or in the certificate
    _case("typed-dot", [Dns(f"mail.{D}")], [f"mail.{D}"], f"mail.{D}."),
    _case("cert-dot", [Dns(f"mail.{D}.")], [f"mail.{D}."], f"mail.{D}"),
    # IP addresses: in an iPAddress entry, as dNSName text, in the CN
    _case("ip-san", [Dns(f"mail.{D}"), Ip(IP_NAME)], [f"mail.{D}"], IP_NAME),
    _case("ip-as-dns", [Dns(IP_NAME)], [IP_NAME], IP_NAME),
    _case("ip-in-cn", [Dns(f"mail.{D}")], [IP_NAME], IP_NAME),
    # Unicode typed, A-label in the certificate
    _case("unicode-typed", [Dns(f"xn--bcher-kva.{D}")], [f"xn--bcher-kva.{D}"], f"bücher.{D}"),
    # what strict decoders refuse: a NUL inside a dNSName, a 5-octet iPAddress, an empty dNSName
    _case("nul-in-san", [RawDns(f"mail.{D}\0.evil.example".encode())], [f"other.{D}"], f"mail.{D}"),
    _case("bad-ip-beside-dns", [RawIp(bytes(5)), Dns(f"mail.{D}")], [f"mail.{D}"], f"mail.{D}"),
    _case("empty-dns", [Dns(f"mail.{D}"), RawDns(b"")], [f"mail.{D}"], f"mail.{D}"),
    _case("empty-ip-beside-dns", [RawIp(b""), Dns(f"mail.{D}")], [f"mail.{D}"], f"mail.{D}"),
    # cryptography refuses the whole certificate: a '*' in a PrintableString CN
    _case("printable-star-cn", None, [f"*.{D}"], f"mail.{D}", printable_cn=True),
)


def address_of(index: int) -> str:
    """The loopback address that serves case number ``index``."""
    return f"127.0.3.{index + 1}"
