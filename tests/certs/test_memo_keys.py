"""What a first-met chain is answered from memory with is keyed by everything it depends on.

A never-seen leaf under a known intermediate is judged with what was remembered for the
intermediate, the anchors and the profiles (``verdict_bench`` "first met").  Each case here
warms that memory with one input and then asks with another that differs in exactly one thing
the value depends on: a key that left it out would answer with the first input's value.
"""

from __future__ import annotations

from cryptography import x509

from mailcert.certs import chain as chain_module
from mailcert.certs.chain import TrustStore, verify_chain_for
from mailcert.der import certificate_der
from mailcert.memo import per_object
from mailcert.names.profiles import PROFILES
from mailcert.verdicts import judge_chains, settings_for
from tests.factory import NOW
from tests.test_verdicts import NAME, build

ROOT = build("Memo Root", ca=True, days=(-1000, 3000))
INTER = build("Memo Intermediate", ROOT, ca=True, days=(-500, 2000))
# an anchor whose subject is the name a leaf carries: it is above that leaf's chain only
NAMESAKE = build("memo-namesake.example.com", ca=True, days=(-700, 1234))
PLAIN = build(NAME, INTER, san=(NAME,), days=(-10, 300))
NAMED = build("memo-namesake.example.com", INTER, san=("memo-namesake.example.com",), days=(-20, 310))


def _reparsed(cert: x509.Certificate) -> x509.Certificate:
    return x509.load_der_x509_certificate(certificate_der(cert))


def test_per_object_answers_equal_objects_alike_and_keeps_each_argument_in_its_key() -> None:
    calls: list[tuple[object, ...]] = []

    @per_object(maxsize=8)
    def read(cert: x509.Certificate, store: TrustStore) -> str:
        calls.append((cert, store))
        return f"{cert.subject.rfc4514_string()} in {store.description}"

    one, two = TrustStore([ROOT.cert], "one"), TrustStore([ROOT.cert], "two")
    assert read(PLAIN.cert, one) == f"CN={NAME} in one"
    assert read(_reparsed(PLAIN.cert), one) == f"CN={NAME} in one" and len(calls) == 1  # equal: by equality
    assert read(PLAIN.cert, two) == f"CN={NAME} in two"  # the second argument is in the key
    assert read(NAMED.cert, one) == "CN=memo-namesake.example.com in one"  # so is the first
    assert len(calls) == 3


def test_the_anchors_above_a_new_leaf_are_read_from_its_own_names() -> None:
    store = TrustStore([ROOT.cert, NAMESAKE.cert], "memo store")
    namesake_end = NAMESAKE.cert.not_valid_after_utc.timestamp()
    # the intermediate's anchors remembered first, through a leaf that names no other anchor
    assert namesake_end not in chain_module._bounds((PLAIN.cert, INTER.cert), store)
    # a leaf carrying the namesake's name under the same intermediate: its anchor counts
    assert namesake_end in chain_module._bounds((NAMED.cert, INTER.cert), store)
    assert NAMESAKE.cert in store.above(chain_module._names((NAMED.cert, INTER.cert)))


def test_the_anchor_a_certificate_names_is_looked_up_per_store() -> None:
    with_root = TrustStore([ROOT.cert], "with the root")
    without = TrustStore([NAMESAKE.cert], "without the root")
    assert with_root.issuers_of(INTER.cert) == [ROOT.cert]
    assert without.issuers_of(INTER.cert) == []
    assert with_root.issuers_of(_reparsed(INTER.cert)) == [ROOT.cert]


def test_a_store_contains_equal_certificates_and_no_namesake() -> None:
    store = TrustStore([ROOT.cert, NAMESAKE.cert], "memo store")
    assert store.contains(_reparsed(ROOT.cert)) and store.contains(NAMESAKE.cert)
    assert not store.contains(NAMED.cert)  # the subject of an anchor, not the anchor
    assert not store.contains(INTER.cert)


def test_each_client_takes_the_verdict_of_its_own_setup_whatever_profiles_came_before() -> None:
    store = TrustStore([ROOT.cert], "memo store")
    chain = [PLAIN.cert]  # the intermediate not sent: refused, differently per validator
    openssl, webpki = PROFILES["openssl"], PROFILES["thunderbird"]
    # the same client id with another client's chain policy: a plan keyed by ids of clients
    # (not of the profiles) would give it the first one's set-up
    swapped = openssl._replace(chain=webpki.chain)
    first = judge_chains(chain, [openssl], store, now=NOW)
    again = judge_chains(chain, [swapped], store, now=NOW)
    both = judge_chains(chain, [openssl, webpki], store, now=NOW)
    for profile, verdicts in ((openssl, first), (swapped, again), (openssl, both), (webpki, both)):
        s = settings_for(profile.chain)
        assert verdicts[profile.id] == verify_chain_for(chain, store, now=NOW, settings=[s])[s]
    assert first["openssl"].validator != again["openssl"].validator
