"""What a first-met chain is answered from memory with is keyed by everything it depends on.

A never-seen leaf under a known intermediate is judged with what was remembered for the
intermediate, the anchors and the profiles (``verdict_bench`` "first met").  Each case here
warms that memory with one input and then asks with another that differs in exactly one thing
the value depends on: a key that left it out would answer with the first input's value.
"""

from __future__ import annotations

import datetime as dt
import functools
import warnings
from typing import Any, cast

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID

from mailcert import verdicts

from mailcert.certs import chain as chain_module
from mailcert.certs.chain import TrustResult, TrustStore, verify_chain_for
from mailcert.certs.info import CertificateFacts, facts_from_certificate
from mailcert.errors import CertificateError
from mailcert.der import certificate_der, issuer_of, name_text, subject_of, subject_text
from mailcert.memo import per_object
from mailcert.names.profiles import PROFILES, ChainPolicy, ClientGroup, ClientProfile, EkuRule
from mailcert.verdicts import Refusal, judge_chains, settings_for
from tests.differential.chains import corpus_requests, limbo_requests
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


class _Reading:
    """A chain policy that records which of its fields are read (its methods' reads too)."""

    def __init__(self, policy: ChainPolicy) -> None:
        self.policy, self.read = policy, set[str]()

    def __getattr__(self, name: str) -> object:
        method = getattr(type(self.policy), name, None)
        if callable(method):
            return functools.partial(method, self)  # its own reads go through this reading
        self.read.add(name)
        return getattr(self.policy, name)


@pytest.mark.parametrize("leaf_kw", [
    {}, {"eku": (ExtendedKeyUsageOID.CLIENT_AUTH,)}, {"eku": None}, {"ca": True}, {"sha1": True}, {"days": (-10, 900)},
    {"key": rsa.generate_private_key(public_exponent=65537, key_size=1024)},
], ids=["good", "client-auth", "no-eku", "ca", "sha1", "900-days", "rsa-1024"])
def test_the_leaf_rules_of_each_policy_are_judged_from_the_fields_its_key_holds(leaf_kw: dict[str, Any]) -> None:
    """``refusals_of`` judges the leaf once per distinct ``_LEAF_RULES`` values: every field the
    rules read must be among them, for every policy and whatever the leaf breaks."""
    facts = facts_from_certificate(build(NAME, INTER, san=(NAME,), **leaf_kw).cert)
    for profile in PROFILES.values():
        for public in (True, False, None):
            reading = _Reading(profile.chain)
            verdicts._leaf_why(cast(ChainPolicy, reading), facts, public)
            assert reading.read <= set(verdicts._LEAF_RULES), (profile.id, reading.read)


def test_policies_alike_in_their_leaf_rules_share_one_judgement_and_keep_their_own_words() -> None:
    facts = facts_from_certificate(build(NAME, INTER, san=(NAME,), eku=(ExtendedKeyUsageOID.CLIENT_AUTH,)).cert)
    curl, openssl = PROFILES["curl"], PROFILES["openssl"]
    worded = openssl._replace(id="worded", chain=openssl.chain._replace(messages=(("eku", "in my own words"),)))
    lenient = openssl._replace(id="lenient", chain=openssl.chain._replace(eku=EkuRule.UNCHECKED))
    out = verdicts.refusals_of([curl, openssl, worded, lenient], lambda _: facts, None, None)
    assert [r.code for r in out["openssl"]] == ["eku"] and out["worded"][0].message == "in my own words"
    assert out["openssl"][0].message == openssl.chain.message("eku") and out["lenient"] == []


def test_a_certificates_names_are_read_once_per_object_and_are_its_own() -> None:
    again = _reparsed(NAMED.cert)
    assert subject_of(PLAIN.cert) is subject_of(PLAIN.cert) and subject_of(PLAIN.cert) == PLAIN.cert.subject
    assert subject_of(again) == NAMED.cert.subject and issuer_of(again) == INTER.cert.subject
    assert subject_text(NAMED.cert) == "CN=memo-namesake.example.com" and subject_text(PLAIN.cert) == f"CN={NAME}"


class _FactsReading:
    """Certificate facts that record which of them are read."""

    def __init__(self, facts: CertificateFacts) -> None:
        self.facts, self.read = facts, set[str]()

    def __getattr__(self, name: str) -> object:
        self.read.add(name)
        return getattr(self.facts, name)


_RSA = rsa.generate_private_key(public_exponent=65537, key_size=2048)
RSA_INTER = build("Memo RSA Intermediate", ROOT, ca=True, days=(-500, 2000), key=_RSA)
# (issuer, contents): each leaf breaks another rule; SHA-1 needs an RSA signer (tests.factory)
_LEAVES = [(INTER, {}), (INTER, {"eku": (ExtendedKeyUsageOID.CLIENT_AUTH,)}), (INTER, {"eku": None}), (INTER, {"ca": True}),
           (RSA_INTER, {"sha1": True}), (None, {"sha1": True, "key": _RSA}), (INTER, {"days": (-10, 900)}),
           (INTER, {"key": rsa.generate_private_key(public_exponent=65537, key_size=1024)})]


def test_the_leaf_rules_read_only_the_facts_their_memory_is_keyed_by() -> None:
    """``refusals_of`` remembers ``_leaf_why`` per ``_leaf_key``: every fact the rules read must be
    in it (notBefore as its day), for every policy and whatever the leaf breaks."""
    leaves = [facts_from_certificate(build(NAME, issuer, san=(NAME,), **leaf_kw).cert) for issuer, leaf_kw in _LEAVES]
    assert {f.signature_hash for f in leaves} >= {"sha1", "sha256"}
    for facts in leaves:
        for profile in PROFILES.values():
            for public in (True, False, None):
                reading = _FactsReading(facts)
                verdicts._leaf_why(profile.chain, cast(CertificateFacts, reading), public)
                assert reading.read <= {*verdicts._LEAF_FACTS, "not_before"}, (profile.id, reading.read)


def _corpus_facts() -> list[CertificateFacts]:
    """The leaves of x509-limbo's server cases and of the chain corpus, as facts (those cryptography reads)."""
    out = []
    for request in (*limbo_requests(names=False), *corpus_requests(names=False)):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                out.append(facts_from_certificate(x509.load_der_x509_certificate(request.chain[0])))
        except (ValueError, TypeError, CertificateError):
            continue
    return out


def test_a_leaf_judged_from_memory_is_judged_as_alone() -> None:
    """Over limbo's and the chain corpus's leaves, each policy's remembered leaf refusal (the
    memory warmed by every leaf before it) is the one ``_leaf_why`` reaches for that leaf alone."""
    leaves = _corpus_facts()
    assert len(leaves) > 9000
    policies = list(dict.fromkeys(p.chain for p in PROFILES.values()))
    verdicts._WHYS.clear()
    for _ in range(2):  # the second pass is answered from memory
        for facts in leaves:
            for public in (True, False, None):
                whys = verdicts._leaf_whys(facts, public)
                for policy in policies:
                    assert verdicts._remembered_why(policy, facts, whys, public) == verdicts._leaf_why(policy, facts, public)


def test_a_tuple_of_profiles_finds_its_own_plan() -> None:
    """``judge_chains`` finds a Judgement's plan by the tuple's id: another tuple never gets it."""
    openssl, thunderbird = PROFILES["openssl"], PROFILES["thunderbird"]
    for profiles in ((openssl,), (thunderbird,), (openssl, thunderbird), tuple(PROFILES.values())):
        by_tuple = verdicts._plan(profiles)
        assert by_tuple == verdicts._plan(list(profiles)) and verdicts._plan(profiles) is by_tuple
        assert [c for c, _ in by_tuple.clients] == [p.id for p in profiles if p.group.name != "SENDER"]


def _corpus_certificates() -> list[x509.Certificate]:
    """Every certificate of x509-limbo's server cases and of the chain corpus that cryptography
    reads (a fifth of limbo's cases, from every part of the file): leaves, intermediates and
    anchors, whose names repeat from one certificate to another."""
    out = []
    for request in (*limbo_requests(names=False)[::5], *corpus_requests(names=False)):
        for der in (*request.chain, *request.roots):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                try:
                    out.append(x509.load_der_x509_certificate(der))
                except ValueError:
                    continue
    return out


def _read(fn: Any, cert: x509.Certificate) -> object:
    try:
        return fn(cert)
    except ValueError as exc:  # a name cryptography refuses: refused alike both ways
        return ("refused", str(exc))


def test_a_name_read_by_its_encoding_is_the_certificates_own() -> None:
    """``issuer_of`` hands out one Name per encoding (each new leaf under an intermediate names the
    same issuer): over every certificate of limbo and the chain corpus,
    the memory warmed by all of them, each is the certificate's own name, its text and its key."""
    certs = _corpus_certificates()
    assert len(certs) > 5000
    for cert in certs:  # warm: every encoding read once
        _read(subject_of, cert), _read(issuer_of, cert)
    for cert in (_reparsed(c) if i % 2 else c for i, c in enumerate(certs)):  # new objects too: read by encoding
        for mine, theirs in ((subject_of, lambda c: c.subject), (issuer_of, lambda c: c.issuer)):
            name = _read(mine, cert)
            assert name == _read(theirs, cert)
            if isinstance(name, x509.Name):
                assert chain_module._key_of(name) == chain_module.name_key(name)
                assert name_text(name) == name.rfc4514_string()
        assert _read(subject_text, cert) == _read(lambda c: c.subject.rfc4514_string(), cert)


def _refusals_alone(profile: ClientProfile, facts: CertificateFacts, trust: TrustResult | None, public: bool | None,
                    outdated: str | None) -> list[Refusal]:
    """One profile's refusals worked out from its rules alone, nothing remembered or shared."""
    if profile.group is ClientGroup.SENDER:
        return []
    leaf = None if trust is not None and trust.as_is else verdicts.leaf_refusal(profile.chain, facts, public=public)
    found = [] if leaf is None else [leaf]
    r = verdicts.chain_refusal(profile.chain, trust, public=public) if trust is not None else None
    if r is None and outdated is not None and profile.chain.sent_dates_checked:
        r = Refusal("expired", outdated + verdicts._SENT_DATES, profile.chain.message("expired"))
    return found + [r] if r is not None and all(r.code != f.code for f in found) else found


def test_every_rows_refusals_are_those_its_rules_reach_alone() -> None:
    """``refusals_of`` (rows read once per tuple of profiles, the usual row passed without a
    lookup, leaf refusals remembered across certificates) against each profile's refusals
    worked out alone, over the chain corpus and a sample of limbo, at their times, twice (the
    second time from memory)."""
    profiles = tuple(PROFILES.values())
    cases = 0
    for request in (*corpus_requests(), *limbo_requests()[::47]):
        chain = _load_all(request.chain)
        roots = _load_all(request.roots)
        if not chain or roots is None:
            continue
        try:
            facts = facts_from_certificate(chain[0])
        except CertificateError:
            continue
        now = dt.datetime.fromtimestamp(request.time, dt.timezone.utc)
        trust = judge_chains(chain, profiles, TrustStore(roots, "case store"), now=now)
        outdated = verdicts.outdated_sent(chain, now)
        for public in (True, False, None):
            for _ in range(2):
                found = verdicts.refusals_of(profiles, lambda _: facts, trust, public, outdated)
                assert found == {p.id: _refusals_alone(p, facts, trust.get(p.id), public, outdated) for p in profiles}, request.id
            cases += 1
    assert cases > 500


def _load_all(ders: tuple[bytes, ...]) -> list[x509.Certificate] | None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return [x509.load_der_x509_certificate(d) for d in ders]
        except ValueError:
            return None
