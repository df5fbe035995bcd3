"""``verdicts_for`` decides the usual case (a plain name that is the first SAN dNSName) once for
every profile that reaches the match: it must say what each profile's own walk says.

Each certificate of the differential name corpus (names no client can read, NUL bytes, CN
rules, wildcards, invalid SAN entries before the match...) is asked for the hosts the corpus
gives it and for each of its own DNS names, and ``verdicts_for`` is compared, profile by
profile, with ``check_name`` (the whole walk of one profile's rules, no shortcut).
"""

from __future__ import annotations

from cryptography import x509

from mailcert.names import PROFILES, PresentedIdentifiers, check_name, verdicts_for
from mailcert.names.identifiers import SanEntry
from tests.differential.corpus import generate


def _ids(san: tuple[SanEntry, ...], cns: tuple[str, ...] = ()) -> PresentedIdentifiers:
    return PresentedIdentifiers(san, True, cns)


# the shortcut's edges, beside the corpus: no CN (clients that require one), a name a strict
# syntax refuses before the match, a NUL after it, a second entry that matches
EDGES = [
    (_ids((("DNS", "mail.example.com"),)), "mail.example.com"),
    (_ids((("DNS", "mail.example.com"), ("DNS", "x\0.example.com")), ("mail.example.com",)), "mail.example.com"),
    (_ids((("DNS", "a_b.example.com"), ("DNS", "mail.example.com")), ("mail.example.com",)), "mail.example.com"),
    (_ids((("IP", "192.0.2.1"), ("DNS", "mail.example.com")), ("mail.example.com",)), "mail.example.com"),
    (_ids((("DNS", "MAIL.example.com"),), ("mail.example.com",)), "mail.example.com"),
    (_ids((("DNS", "*.example.com"), ("DNS", "mail.example.com")), ("mail.example.com",)), "mail.example.com"),
]


def test_verdicts_for_says_what_each_profiles_own_walk_says() -> None:
    asked = list(EDGES)
    for cert in generate():
        ids = PresentedIdentifiers.from_certificate(x509.load_der_x509_certificate(cert.der))
        asked += [(ids, host) for host in dict.fromkeys((*cert.hosts, *ids.dns_names[:3]))]
    profiles = list(PROFILES.values())
    for ids, host in asked:
        assert verdicts_for(ids, host, profiles) == [check_name(p, ids, host) for p in profiles], (ids, host)
    assert len(asked) > 2000
