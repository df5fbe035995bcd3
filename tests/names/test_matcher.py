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
        # partial wildcards, by shape (GnuTLS only takes a star that begins the name)
        (ids("DNS:m*.example.com"), "mail.example.com", {"openssl", "nss", "java", "node"}),
        (ids("DNS:*l.example.com"), "mail.example.com", {"openssl", "gnutls", "java", "node"}),
        (ids("DNS:m*l.example.com"), "mail.example.com", {"java", "node"}),
        # ... and the star may match nothing where partial stars are taken (NSS only f*)
        (ids("DNS:f*.example.com"), "f.example.com", {"openssl", "nss", "java", "node"}),
        # a partial star against an A-label: OpenSSL and NSS refuse; Node only looks at the pattern;
        # the JDK matches the star against the U-label (bücher), which does not start with x
        (ids("DNS:x*.example.com"), "xn--bcher-kva.example.com", {"node"}),
        # a wildcard over a TLD: Go checks no label count; the JDK only refuses it for public CAs
        (ids("DNS:*.com"), "example.com", {"go", "java"}),
        # a bare star: Go alone
        (ids("DNS:*"), "localhost", {"go"}),
        # stars beyond the left-most label: the JDK alone
        (ids("DNS:*.*.example.com"), "a.b.example.com", {"java"}),
        # trailing dot on the typed name: ignored by the JDK, Node, Go and the non-oracle profiles;
        # OpenSSL, CPython, GnuTLS and NSS compare it as a character
        (ids("DNS:mail.example.com"), "mail.example.com.", ALL - {"outlook2007", "openssl", "python", "gnutls", "nss"}),
        # a trailing dot in the certificate: Node drops it; the others compare it
        (ids("DNS:mail.example.com."), "mail.example.com", {"node"}),
        # a leading dot on the typed name: OpenSSL reads "any name under"; GnuTLS, NSS, Node let * match nothing
        (ids("DNS:*.example.com"), ".example.com", {"openssl", "gnutls", "nss", "node"}),
        (ids("DNS:mail.example.com"), ".example.com", {"openssl"}),
        # underscores under a star: OpenSSL's star matches letters, digits, hyphens only; the JDK refuses the name
        (ids("DNS:*.example.org"), "mail_1.example.org", ALL - {"openssl", "python", "java"}),
        # a name that is no host name: the JDK refuses it, Node never matches it, Go compares it exactly
        (ids("DNS:mail example.com"), "mail example.com", ALL - {"java", "node"}),
        # several CNs, no SAN: GnuTLS reads none, NSS/JDK/CryptoAPI the last, the rest any
        (ids(cn=("a.example.com", "b.example.com")), "b.example.com", ALL - {"thunderbird", "apple-mail", "go", "rfc9525", "gnutls"}),
        (ids(cn=("a.example.com", "b.example.com")), "a.example.com", {"outlook", "openssl", "python", "node"}),
        # GnuTLS stops reading the CN once the SAN holds an IP address
        (ids("IP:198.51.100.7", cn=("mail.example.com",)), "mail.example.com", ALL - {"thunderbird", "apple-mail", "go", "rfc9525", "gnutls"}),
        # IP text in the CN beside DNS SAN names: NSS compares it when the SAN has no IP address
        (ids("DNS:mail.example.com", cn=("192.0.2.10",)), "192.0.2.10", {"nss"}),
        # loose IP spellings
        (ids("IP:192.0.2.10"), "192.000.002.010", {"python", "java"}),
        (ids("IP:127.0.0.1"), "127.1", {"nss", "java"}),
        (ids("IP:192.0.2.10"), "::ffff:192.0.2.10", {"nss", "java", "go"}),
        # broken SAN entries: GnuTLS refuses an empty dNSName; Go and the JDK a 5-octet address
        (ids("DNS:mail.example.com", "DNS:"), "mail.example.com", ALL - {"gnutls"}),
        (ids("IP:<5 octets: c000020a00>", "DNS:mail.example.com"), "mail.example.com", {"openssl", "python", "gnutls", "nss", "node"}),
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
    # java.net.IDN converts (IDNA 2003); OpenSSL, NSS, Node and Go compare the Unicode bytes
    assert verdicts["java"].accepted and verdicts["gnutls"].accepted
    assert {c for c, v in verdicts.items() if not v.accepted} == {"outlook2007", "openssl", "nss", "node", "go"}


def test_idna_2003_and_2008_differ_on_eszett() -> None:
    """straße.de: IDNA 2003 (CPython, the JDK) maps ß to ss; UTS #46 (GnuTLS) keeps it."""
    assert accepted_by(ids("DNS:strasse.de"), "straße.de") == {"python", "java"}
    assert accepted_by(ids("DNS:xn--strae-oqa.de"), "straße.de") == {"outlook", "thunderbird", "apple-mail", "gnutls", "rfc9525"}


def test_reasons_for_the_new_rules() -> None:
    v = check_name(PROFILES["java"], ids("DNS:mail_1.example.com"), "mail_1.example.com")
    assert not v.accepted and "refuses the server name" in v.reason
    v = check_name(PROFILES["gnutls"], ids("DNS:", "DNS:mail.example.com"), "mail.example.com")
    assert not v.accepted and "an empty dNSName" in v.reason
    v = check_name(PROFILES["python"], ids("DNS:f*.example.com"), "foo.example.com")
    assert not v.accepted and "partial-label wildcards (f*.example.com)" in v.reason
    v = check_name(PROFILES["gnutls"], ids(cn=("a.example.com", "b.example.com")), "b.example.com")
    assert not v.accepted and "exactly one" in v.reason
    v = check_name(PROFILES["node"], ids("DNS:mail example.com"), "mail example.com")
    assert not v.accepted and "visible ASCII" in v.reason


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
