"""A trust store is looked up by name: a chain costs the anchors it names, not the whole store.

A system store holds about 140 anchors; a chain ends at one or two of them.  OpenSSL is given
(and so serialised, or rebuilt as the JDK's name-and-key anchors) only those, and the report's
anchor is found by its name, not by reading every anchor's subject.
"""

from __future__ import annotations

from cryptography import x509

from mailcert.certs.chain import TrustStore, name_key, verify_chain
from mailcert.certs.libcrypto import OpenSSLStore, openssl_verify
from mailcert.der import certificate_der
from tests.factory import NOW
from tests.test_verdicts import NAME, build

ROOT = build("Lookup Root", ca=True, days=(-100, 100))
OTHERS = [build(f"Other Root {i}", ca=True, days=(-100, 100)).cert for i in range(20)]
LEAF = build(NAME, ROOT, san=(NAME,), days=(-10, 50))


def test_only_the_anchors_a_chain_names_are_given_to_openssl() -> None:
    made: list[str] = []

    def to_der(cert: x509.Certificate) -> bytes:
        made.append(cert.subject.rfc4514_string())
        return certificate_der(cert)

    store = OpenSSLStore([(name_key(a.subject), a) for a in [*OTHERS, ROOT.cert]], to_der)
    names = [name_key(LEAF.cert.issuer), name_key(LEAF.cert.subject)]
    verdict = openssl_verify([certificate_der(LEAF.cert)], names, store, now=NOW, security_level=2)
    assert verdict.ok and made == ["CN=Lookup Root"]


def test_the_anchor_a_chain_ends_at_is_found_by_its_name() -> None:
    store = TrustStore([*OTHERS, ROOT.cert], "a store of 21")
    assert store.issuers_of(LEAF.cert) == [ROOT.cert]
    assert store.issuers_of(ROOT.cert) == [ROOT.cert] and store.issuers_of(OTHERS[0]) == [OTHERS[0]]
    result = verify_chain([LEAF.cert], store, now=NOW)
    assert result.trusted and result.anchor == "CN=Lookup Root", result
