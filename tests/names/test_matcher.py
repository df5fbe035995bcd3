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
UNCHECKED = {p.id for p in PROFILES.values() if not p.checks_host}
GNUTLS_CLIENTS = {"gnutls", "evolution", "mutt", "neomutt", "msmtp"}


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
        (ids("DNS:www.example.com", cn=("mail.example.com",)), "mail.example.com", {"mbsync", "s-nail", "swaks", "jakarta-default"}),
        # Outlook 2007 skips a non-DNS first entry to the first DNS name (CertGetNameString)
        (ids("IP:192.0.2.1", "DNS:mail.example.com"), "mail.example.com", ALL - {"fetchmail"}),
        # case never matters
        (ids("DNS:MAIL.Example.COM"), "mail.example.com", ALL - {"fetchmail"}),
        (ids("DNS:mail.example.com"), "MAIL.EXAMPLE.COM", ALL - {"fetchmail"}),
        # a whole-label wildcard covers one label
        (ids("DNS:*.example.com"), "mail.example.com", ALL - {"fetchmail"}),
        (ids("DNS:*.example.com"), "a.b.example.com", {"swaks", "jakarta", "jakarta-default"}),
        (ids("DNS:*.example.com"), "example.com", {"swaks", "jakarta-default"}),
        # partial wildcards, by shape (GnuTLS only takes a star that begins the name)
        (ids("DNS:m*.example.com"), "mail.example.com", {"openssl", "nss", "java", "node"} | {"swaks", "jakarta-default"} | {"thunderbird-android"}),
        (ids("DNS:*l.example.com"), "mail.example.com", {"openssl", "gnutls", "java", "node"} | {"evolution", "mutt", "neomutt", "msmtp", "swaks", "jakarta-default"} | {"thunderbird-android"}),
        (ids("DNS:m*l.example.com"), "mail.example.com", {"java", "node"} | {"swaks", "jakarta-default"} | {"thunderbird-android"}),
        # ... and the star may match nothing where partial stars are taken (NSS only f*)
        (ids("DNS:f*.example.com"), "f.example.com", {"openssl", "nss", "java", "node"} | {"swaks", "jakarta-default"} | {"thunderbird-android"}),
        # a partial star against an A-label: OpenSSL and NSS refuse; Node only looks at the pattern;
        # the JDK matches the star against the U-label (bücher), which does not start with x
        (ids("DNS:x*.example.com"), "xn--bcher-kva.example.com", {"node"} | {"swaks", "jakarta-default"} | {"thunderbird-android"}),
        # a wildcard over a TLD: Go checks no label count; the JDK only refuses it for public CAs
        (ids("DNS:*.com"), "example.com", {"go", "java"} | {"mbsync", "s-nail", "swaks", "jakarta", "jakarta-default"} | {"thunderbird-android"}),
        # a bare star: Go alone
        (ids("DNS:*"), "localhost", {"go"} | {"swaks", "jakarta-default"} | {"thunderbird-android"}),
        # stars beyond the left-most label: the JDK alone
        (ids("DNS:*.*.example.com"), "a.b.example.com", {"java"} | {"swaks", "jakarta-default"}),
        # trailing dot on the typed name: ignored by the JDK, Node, Go and the non-oracle profiles;
        # OpenSSL, CPython, GnuTLS and NSS compare it as a character
        (ids("DNS:mail.example.com"), "mail.example.com.", ALL - {"outlook2007", "openssl", "python", "gnutls", "nss"} - {"evolution", "fetchmail", "jakarta", "mbsync", "msmtp", "mutt", "neomutt", "s-nail"} - {"thunderbird-android"}),
        # a trailing dot in the certificate: Node drops it; the others compare it
        (ids("DNS:mail.example.com."), "mail.example.com", {"node"} | {"curl", "swaks", "jakarta-default"}),
        # a leading dot on the typed name: OpenSSL reads "any name under"; GnuTLS, NSS, Node let * match nothing
        (ids("DNS:*.example.com"), ".example.com", {"openssl", "gnutls", "nss", "node"} | {"evolution", "mutt", "neomutt", "msmtp", "swaks", "jakarta-default"} | {"thunderbird-android"}),
        (ids("DNS:mail.example.com"), ".example.com", {"openssl"} | {"swaks", "jakarta-default"}),
        # underscores under a star: OpenSSL's star matches letters, digits, hyphens only; the JDK refuses the name
        (ids("DNS:*.example.org"), "mail_1.example.org", ALL - {"openssl", "python", "java"} - {"fetchmail"}),
        # a name that is no host name: the JDK refuses it, Node never matches it, Go compares it exactly
        (ids("DNS:mail example.com"), "mail example.com", ALL - {"java", "node", "thunderbird"} - {"fetchmail"}),
        # several CNs, no SAN: GnuTLS reads none, NSS/JDK/CryptoAPI the last, the rest any
        (ids(cn=("a.example.com", "b.example.com")), "b.example.com", ALL - {"thunderbird", "apple-mail", "go", "rfc9525", "gnutls"} - {"evolution", "fetchmail", "mbsync", "msmtp", "mutt", "neomutt", "s-nail"}),
        (ids(cn=("a.example.com", "b.example.com")), "a.example.com", {"outlook", "openssl", "python", "node"} | {"fetchmail", "mbsync", "s-nail", "swaks", "jakarta-default"}),
        # GnuTLS stops reading the CN once the SAN holds an IP address
        (ids("IP:198.51.100.7", cn=("mail.example.com",)), "mail.example.com", ALL - {"thunderbird", "apple-mail", "go", "rfc9525", "gnutls"} - {"curl", "evolution", "msmtp", "mutt", "neomutt"}),
        # IP text in the CN beside DNS SAN names: NSS compares it when the SAN has no IP address
        (ids("DNS:mail.example.com", cn=("192.0.2.10",)), "192.0.2.10", {"nss"} | {"mbsync", "s-nail", "swaks", "jakarta-default"}),
        # loose IP spellings
        (ids("IP:192.0.2.10"), "192.000.002.010", {"openssl", "python", "java"} | {"swaks", "jakarta-default"}),
        (ids("IP:127.0.0.1"), "127.1", {"nss", "java", "thunderbird"} | {"swaks", "jakarta-default"}),  # thunderbird: the URL parser's IPv4
        (ids("IP:192.0.2.10"), "::ffff:192.0.2.10", {"nss", "java", "go"} | {"swaks", "jakarta-default"}),
        # broken SAN entries: GnuTLS refuses an empty dNSName; Go and the JDK a 5-octet address
        (ids("DNS:mail.example.com", "DNS:"), "mail.example.com", ALL - {"gnutls"} - {"evolution", "fetchmail", "msmtp", "mutt", "neomutt"}),
        (ids("IP:<5 octets: c000020a00>", "DNS:mail.example.com"), "mail.example.com", {"openssl", "jakarta", "jakarta-default", "swaks", "python", "gnutls", "nss", "node", "thunderbird"} | {"evolution", "curl", "mbsync", "s-nail", "mutt", "neomutt", "msmtp"}),
        # IP address typed, IP SAN present
        # (openssl: SSL_set1_host hands an IP literal to set1_ip_asc; fetchmail gives it to set1_host)
        (ids("DNS:mail.example.com", "IP:192.0.2.7"), "192.0.2.7", ALL - {"outlook2007"} - {"fetchmail", "jakarta", "mbsync", "s-nail"}),
        # IPv6 in any spelling
        (ids("IP:2001:db8::1"), "2001:DB8:0:0::1", ALL - {"outlook2007"} - {"fetchmail", "jakarta", "mbsync", "s-nail"}),
        # an IP typed beside a DNS SAN holding that IP as text: compared as text by X509_check_host, never by set1_ip
        (ids("DNS:192.0.2.7"), "192.0.2.7", {"outlook2007", "jakarta", "mbsync", "s-nail"} | {"swaks", "jakarta-default"}),
    ],
)
def test_rules(identifiers: PresentedIdentifiers, name: str, expected: set[str]) -> None:
    assert accepted_by(identifiers, name) == expected


def test_empty_name_is_refused_with_reason() -> None:
    for v in verdicts_for(FIXED, ""):
        if v.client in UNCHECKED:
            assert v.accepted and v.warning and "checks no host name" in v.warning
        else:
            assert not v.accepted and "empty" in v.reason


def test_unicode_name_converted_or_refused_per_profile() -> None:
    cert = ids("DNS:xn--bcher-kva.example")
    verdicts = {v.client: v for v in verdicts_for(cert, "bücher.example")}
    assert verdicts["thunderbird"].accepted and verdicts["python"].accepted
    assert not verdicts["outlook2007"].accepted and "non-ASCII" in verdicts["outlook2007"].reason
    # java.net.IDN converts (IDNA 2003); OpenSSL, NSS, Node and Go compare the Unicode bytes
    assert verdicts["java"].accepted and verdicts["gnutls"].accepted
    # curl and s-nail convert with libidn2; fetchmail, mbsync and Jakarta Mail compare as typed
    assert verdicts["curl"].accepted and verdicts["s-nail"].accepted
    assert {c for c, v in verdicts.items() if not v.accepted} == {
        "outlook2007", "openssl", "nss", "node", "go", "fetchmail", "mbsync", "jakarta", "thunderbird-android"}


def test_idna_2003_and_2008_differ_on_eszett() -> None:
    """straße.de: IDNA 2003 (CPython, the JDK) maps ß to ss; UTS #46 (GnuTLS) keeps it."""
    assert accepted_by(ids("DNS:strasse.de"), "straße.de") == {"python", "java"} | UNCHECKED
    assert accepted_by(ids("DNS:xn--strae-oqa.de"), "straße.de") == (
        {"outlook", "thunderbird", "apple-mail", "rfc9525", "curl", "s-nail"} | GNUTLS_CLIENTS | UNCHECKED)


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
        assert dict(p.describe())["names read" if p.checks_host else "host name"]


def test_name_is_echoed_exactly() -> None:
    for v in verdicts_for(FIXED, "Remote.Contoso.COM."):
        assert v.name == "Remote.Contoso.COM."


# --- the mail clients' own matchers (profiles read from their code; tests/wire runs them) ---


@pytest.mark.parametrize(
    ("identifiers", "name", "expected"),
    [
        # mbsync and s-nail read the CN even when the SAN has DNS names (fetchmail too, but
        # OpenSSL's check, which it also asks, does not)
        (ids("DNS:www.example.com", cn=("mail.example.com",)), "mail.example.com", {"mbsync", "s-nail"}),
        # ... the first CN only; curl and Jakarta Mail the last
        (ids(cn=("a.example.com", "b.example.com")), "a.example.com", {"fetchmail", "mbsync", "s-nail"}),
        (ids(cn=("a.example.com", "b.example.com")), "b.example.com", {"curl", "jakarta"}),
        # fetchmail refuses a certificate without a CN, whatever the SAN says
        (ids("DNS:mail.example.com"), "mail.example.com", {"curl", "mbsync", "s-nail", "jakarta"}),
        # '*.' + one label covers mailcert.test for mbsync, s-nail, Jakarta Mail
        (ids("DNS:*.test", cn=("x",)), "mailcert.test", {"mbsync", "s-nail", "jakarta"}),
        # the star standing for several labels: Jakarta Mail (fetchmail's own check too, not OpenSSL's)
        (ids("DNS:*.example.com", cn=("x",)), "a.b.example.com", {"jakarta"}),
        # partial wildcards: none of them (Debian's curl is patched for CVE-2023-28321)
        (ids("DNS:m*.example.com", cn=("x",)), "mail.example.com", set()),
        (ids("DNS:*il.example.com", cn=("x",)), "mail.example.com", set()),
        # a typed trailing dot: curl drops one on both sides
        (ids("DNS:mail.example.com", cn=("x",)), "mail.example.com.", {"curl"}),
        # an IP in an iPAddress entry: curl matches it; the others compare text with DNS names
        (ids("IP:127.0.0.1", cn=("x",)), "127.0.0.1", {"curl"}),
        (ids("DNS:127.0.0.1", cn=("x",)), "127.0.0.1", {"fetchmail", "mbsync", "s-nail", "jakarta"}),
        # fetchmail never matches a wildcard to digits and dots
        (ids("DNS:*.0.2.10", cn=("x",)), "192.0.2.10", {"mbsync", "s-nail", "jakarta"}),
        # a NUL in a SAN name: s-nail reads up to it, fetchmail refuses the certificate, the rest skip it
        (ids("DNS:mail.example.com\0.evil.example", cn=("mail.example.com",)), "mail.example.com", {"mbsync", "s-nail"}),
        (ids("DNS:mail.example.com\0.evil.example", "DNS:mail.example.com", cn=("x",)), "mail.example.com", {"curl", "mbsync", "s-nail", "jakarta"}),
    ],
)
def test_mail_client_rules(identifiers: PresentedIdentifiers, name: str, expected: set[str]) -> None:
    clients = {"curl", "fetchmail", "mbsync", "s-nail", "jakarta"}
    assert accepted_by(identifiers, name) & clients == expected


def test_client_that_checks_no_name_accepts_with_a_warning() -> None:
    for client in ("swaks", "jakarta-default"):
        v = check_name(PROFILES[client], ids("DNS:other.example.net"), "mail.example.com")
        assert v.accepted and v.matched is None and "any certificate from a CA it trusts" in (v.warning or "")
    # ... but it still has to read the certificate (a SAN nobody can decode)
    broken = PresentedIdentifiers((), True, ("a.example",), san_error="bad DER")
    v = check_name(PROFILES["jakarta-default"], broken, "a.example")
    assert not v.accepted and "cannot read the certificate" in v.reason
    assert check_name(PROFILES["curl"], ids("DNS:a.example"), "a.example").warning is None


def test_refusals_in_the_clients_own_words() -> None:
    cert = ids("DNS:other.example.net", cn=("other.example.net",))
    said = {v.client: v.message for v in verdicts_for(cert, "mail.example.com")}
    assert said["curl"] == "SSL: no alternative certificate subject name matches target host name 'mail.example.com'"
    assert said["fetchmail"] == "Server CommonName mismatch: other.example.net != mail.example.com"
    assert said["mbsync"] == "Error, certificate owner does not match hostname mail.example.com"
    assert said["s-nail"] == "TLS certificate does not match: mail.example.com:PORT"
    assert said["mutt"] == said["neomutt"] == "WARNING: Server hostname does not match certificate"
    assert said["jakarta"] == "Can't verify identity of server: mail.example.com"
    # curl judged by the CN (no SAN name) says so in other words
    v = check_name(PROFILES["curl"], ids(cn=("a.example", "b.example")), "c.example")
    assert v.message == "SSL: certificate subject name 'b.example' does not match target host name 'c.example'"
    v = check_name(PROFILES["fetchmail"], ids("DNS:mail.example.com"), "mail.example.com")
    assert not v.accepted and "no CN" in v.reason
    v = check_name(PROFILES["fetchmail"], ids("DNS:a\0b", cn=("mail.example.com",)), "mail.example.com")
    assert not v.accepted and "NUL" in v.reason


@pytest.mark.parametrize(
    ("identifiers", "name", "expected"),
    [
        (ids(cn=("mail.example.com",)), "mail.example.com", "x509: certificate relies on legacy Common Name field, use SANs instead"),
        (ids(cn=("mail.example.com", "other.example.com")), "mail.example.com",
         "x509: certificate is not valid for any names, but wanted to match mail.example.com"),
        (ids("DNS:mail.example.com"), "192.0.2.1", "x509: cannot validate certificate for 192.0.2.1 because it doesn't contain any IP SANs"),
        (ids("IP:192.0.2.7"), "192.0.2.1", "x509: certificate is valid for 192.0.2.7, not 192.0.2.1"),
        (ids("DNS:a.example.com", "DNS:b.example.com"), "c.example.com", "x509: certificate is valid for a.example.com, b.example.com, not c.example.com"),
    ],
)
def test_go_says_why_in_its_own_words(identifiers: PresentedIdentifiers, name: str, expected: str) -> None:
    """Go's HostnameError.Error() picks its text by what the certificate lacks (tests/wire checks it on the wire)."""
    v = check_name(PROFILES["go"], identifiers, name)
    assert not v.accepted and v.message == expected


def test_node_quotes_odd_altnames_as_it_prints_them() -> None:
    v = check_name(PROFILES["node"], ids("DNS:a.example\0.evil", "IP:192.0.2.7"), "mail.example.com")
    assert v.message == (
        "ERR_TLS_CERT_ALTNAME_INVALID: Hostname/IP does not match certificate's altnames: Host: mail.example.com."
        ' is not in the cert\'s altnames: DNS:"a.example\\u0000.evil", IP Address:192.0.2.7'
    )
    v = check_name(PROFILES["node"], ids("DNS:a.example"), "192.0.2.1")
    assert v.message == "ERR_TLS_CERT_ALTNAME_INVALID: Hostname/IP does not match certificate's altnames: IP: 192.0.2.1 is not in the cert's list: "


def test_go_names_the_length_of_an_ip_it_cannot_parse() -> None:
    v = check_name(PROFILES["go"], ids("IP:<5 octets: c000020a00>", "DNS:a.example"), "a.example")
    assert v.message == "tls: failed to parse certificate from server: x509: cannot parse IP address of length 5"


@pytest.mark.parametrize(
    ("pattern", "host", "accepted"),
    [
        ("*.example.com", "mail.example.com", True),
        ("*.example.com", "a.b.example.com", False),
        ("m*.example.com", "mail.example.com", True),
        ("mail*.example.com", "mail.example.com", True),  # the star may stand for nothing
        ("a.*.example.com", "a.b.example.com", True),  # anywhere, not only the left-most label
        ("www.*", "www.example", True),
        ("*", "localhost", True),
        ("*.com", "example.com", True),  # no public-suffix matcher: no label count asked
        ("*.example.com", "mail.example.com.", False),  # no trailing-dot handling
    ],
)
def test_thunderbird_android_matches_as_httpclient5_does(pattern: str, host: str, accepted: bool) -> None:
    """Apache HttpClient 5 DefaultHostnameVerifier.matchIdentity(strict=true), as K-9 calls it."""
    assert check_name(PROFILES["thunderbird-android"], ids(f"DNS:{pattern}"), host).accepted is accepted


def test_thunderbird_android_words() -> None:
    v = check_name(PROFILES["thunderbird-android"], ids("DNS:a.example", "DNS:b.example"), "c.example")
    assert v.message == "Certificate for <c.example> doesn't match any of the subject alternative names: [a.example, b.example]"
    v = check_name(PROFILES["thunderbird-android"], ids(cn=("a.example",)), "c.example")
    assert v.message == "Certificate for <c.example> doesn't match common name of the certificate subject: a.example"
