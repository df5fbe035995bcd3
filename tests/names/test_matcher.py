"""Table-driven rules of the name engine, one row per behaviour a client is known for.

The differential suite (tests/differential) checks the profiles against real libraries on a
large corpus; these rows pin the reasons and the profiles without a real library.
"""

from __future__ import annotations

import pytest

from mailcert.names import PROFILES, PresentedIdentifiers, check_name, verdicts_for
from mailcert.names.profiles import OUTLOOK2007_MESSAGE

SBS = PresentedIdentifiers(
    (("DNS", "sbs.contoso.local"), ("DNS", "remote.contoso.com"), ("DNS", "sites"), ("DNS", "companyweb")),
    True,
    ("sbs.contoso.local",),
)
FIXED = PresentedIdentifiers(
    (("DNS", "remote.contoso.com"), ("DNS", "sbs.contoso.local"), ("DNS", "sites"), ("DNS", "companyweb")),
    True,
    ("remote.contoso.com",),
)


def ids(*san: str, cn: tuple[str, ...] = (), has_san: bool | None = None) -> PresentedIdentifiers:
    entries = tuple(tuple(s.split(":", 1)) for s in san)
    return PresentedIdentifiers(entries, bool(san) if has_san is None else has_san, cn)  # type: ignore[arg-type]


def accepted_by(identifiers: PresentedIdentifiers, name: str) -> set[str]:
    return {v.client for v in verdicts_for(identifiers, name) if v.accepted}


ALL = set(PROFILES)


def test_seed_case_outlook2007_alone_refuses_with_its_message() -> None:
    verdicts = {v.client: v for v in verdicts_for(SBS, "remote.contoso.com")}
    assert {c for c, v in verdicts.items() if not v.accepted} == {"outlook2007"}
    v = verdicts["outlook2007"]
    assert v.message == OUTLOOK2007_MESSAGE
    assert "only the first SAN DNS name (sbs.contoso.local)" in v.reason and "position 2" in v.reason
    assert verdicts["outlook"].matched == "DNS:remote.contoso.com"


def test_seed_case_fixed_certificate_accepted_by_everyone() -> None:
    assert accepted_by(FIXED, "remote.contoso.com") == ALL


def test_first_san_is_what_outlook2007_accepts() -> None:
    assert "outlook2007" in accepted_by(SBS, "sbs.contoso.local")
    assert "outlook2007" not in accepted_by(SBS, "sites")


@pytest.mark.parametrize(
    ("identifiers", "name", "expected"),
    [
        # CN-only certificate: clients that dropped CN fallback refuse
        (ids(cn=("mail.example.com",)), "mail.example.com", ALL - {"thunderbird", "apple-mail", "go", "rfc9525"}),
        # name only in CN while SAN has other DNS names: nobody falls back
        (ids("DNS:www.example.com", cn=("mail.example.com",)), "mail.example.com", set()),
        # Outlook 2007 skips a non-DNS first entry to the first DNS name (CertGetNameString)
        (ids("IP:192.0.2.1", "DNS:mail.example.com"), "mail.example.com", ALL),
        # case never matters
        (ids("DNS:MAIL.Example.COM"), "mail.example.com", ALL),
        (ids("DNS:mail.example.com"), "MAIL.EXAMPLE.COM", ALL),
        # a whole-label wildcard covers one label
        (ids("DNS:*.example.com"), "mail.example.com", ALL),
        (ids("DNS:*.example.com"), "a.b.example.com", set()),
        (ids("DNS:*.example.com"), "example.com", set()),
        # partial wildcards: the OpenSSL family, GnuTLS, NSS, Java, Node accept
        (ids("DNS:m*.example.com"), "mail.example.com", {"openssl", "gnutls", "nss", "java", "node"}),
        # a wildcard over a TLD: only Go, which checks no label count
        (ids("DNS:*.com"), "example.com", {"go"}),
        # trailing dot on the typed name: ignored by all but Outlook 2007
        (ids("DNS:mail.example.com"), "mail.example.com.", ALL - {"outlook2007"}),
        # IP address typed, IP SAN present
        (ids("DNS:mail.example.com", "IP:192.0.2.7"), "192.0.2.7", ALL - {"outlook2007", "openssl"}),
        # IPv6 in any spelling
        (ids("IP:2001:db8::1"), "2001:DB8:0:0::1", ALL - {"outlook2007", "openssl"}),
    ],
)
def test_rules(identifiers: PresentedIdentifiers, name: str, expected: set[str]) -> None:
    assert accepted_by(identifiers, name) == expected


def test_empty_name_is_refused_with_reason() -> None:
    for v in verdicts_for(FIXED, ""):
        assert not v.accepted and "empty" in v.reason


def test_unicode_name_converted_or_refused_per_profile() -> None:
    cert = ids("DNS:xn--bcher-kva.example")
    verdicts = {v.client: v for v in verdicts_for(cert, "bücher.example")}
    assert verdicts["thunderbird"].accepted and verdicts["python"].accepted
    assert not verdicts["outlook2007"].accepted and "non-ASCII" in verdicts["outlook2007"].reason
    assert not verdicts["java"].accepted


def test_reason_names_the_cn_only_problem() -> None:
    v = check_name(PROFILES["thunderbird"], ids(cn=("mail.example.com",)), "mail.example.com")
    assert not v.accepted and "never reads the CN" in v.reason


def test_reason_for_wildcard_depth() -> None:
    v = check_name(PROFILES["python"], ids("DNS:*.example.com"), "a.b.example.com")
    assert "exactly one label" in v.reason


def test_every_profile_names_its_source_and_clients() -> None:
    for p in PROFILES.values():
        assert p.source and p.clients and p.title
        assert dict(p.describe())["names read"]


def test_name_is_echoed_exactly() -> None:
    for v in verdicts_for(FIXED, "Remote.Contoso.COM."):
        assert v.name == "Remote.Contoso.COM."
