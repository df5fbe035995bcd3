"""A remembered diagnosis is the diagnosis: the doctor's memo against a fresh judgement at
every time where an answer may change (each validity bound of the chain and the anchor, a
second and half a second either side, and the days where an expiry warning flips)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric import ec

from mailcert.certs.chain import TrustStore
from mailcert.doctor import NotProbed, diagnose
from mailcert.judgement import Judgement
from mailcert.model import parse_target
from mailcert.names import PROFILES
from mailcert.probe.driver import ProbeResult, SniPair
from tests.factory import NOW, chain_cert, der

NAME = "mail.example.com"
DAY = dt.timedelta(days=1)
SECOND = dt.timedelta(seconds=1)
NOT_PROBED = NotProbed("not probed")  # exceptions compare by identity: one for every pair


@dataclass(frozen=True)
class ClockedJudgement(Judgement):
    """One judgement whose clock the test moves (a long scan's judgement: ``now`` is None)."""

    ticks: list[dt.datetime] = field(default_factory=list, compare=False)

    def clock(self) -> dt.datetime:
        return self.ticks[-1]


def _chain() -> tuple[tuple[bytes, ...], TrustStore, dt.datetime]:
    """Root (the anchor), intermediate and leaf, each with bounds of its own; the leaf's notAfter."""
    key = ec.generate_private_key(ec.SECP256R1())
    # the anchor expires first (its bounds alone change the chain's trust), the leaf starts first
    root = chain_cert("Memo Root", key=key, not_before=NOW - 5 * DAY, not_after=NOW + 20 * DAY, ca=True)
    inter = chain_cert("Memo Intermediate", root, key=key, not_before=NOW - 300 * DAY, not_after=NOW + 60 * DAY, ca=True)
    leaf_after = NOW + 40 * DAY
    leaf = chain_cert(NAME, inter, key=key, not_before=NOW - 10 * DAY, not_after=leaf_after, san=(NAME,))
    return (der(leaf.cert), der(inter.cert)), TrustStore([root.cert], "memo store"), leaf_after


def _times(chain: tuple[bytes, ...], store: TrustStore, leaf_after: dt.datetime, warn: int, critical: int) -> list[dt.datetime]:
    from cryptography import x509

    certs = [x509.load_der_x509_certificate(d) for d in chain] + list(store.anchors)
    bounds = [t for c in certs for t in (c.not_valid_before_utc, c.not_valid_after_utc)]
    # the days-left thresholds: a warning starts, turns critical, and its day count changes
    bounds += [leaf_after - n * DAY for n in (warn + 1, warn, warn - 1, critical + 1, critical, critical - 1)]
    # a second either side and its halves: the validators may drop the fraction; and under a
    # millisecond past a bound, then over one: the JDK's clock counts whole milliseconds, so it
    # keeps a certificate valid at 0.4 ms past its notAfter and not at 1.5 ms
    halves = {b + n * SECOND / 2 for b in bounds for n in range(-4, 5)}
    return sorted(halves | {b + dt.timedelta(microseconds=us) for b in bounds for us in (400, 1500)})


def test_a_remembered_diagnosis_equals_a_fresh_one_at_every_bound_and_threshold() -> None:
    chain, store, leaf_after = _chain()
    warn, critical = 30, 7
    profiles = tuple(PROFILES.values())
    endpoint = parse_target(f"imaps://{NAME}:993")
    served = ProbeResult(endpoint, ("192.0.2.7", 993), NAME, chain, True, "TLSv1.3", "TLS_AES_128_GCM_SHA256",
                         None, "* OK ready", None, (), (), 0.01)
    pair = SniPair(NAME, served, NOT_PROBED)
    clocked = ClockedJudgement(profiles, store, None, warn, critical)
    seen_codes: set[str] = set()
    statuses: set[str] = set()
    trusted: set[bool] = set()
    for t in _times(chain, store, leaf_after, warn, critical):
        clocked.ticks.append(t)
        remembered = diagnose(pair, (NAME,), clocked)
        again = diagnose(pair, (NAME,), clocked)
        fresh = diagnose(pair, (NAME,), Judgement(profiles, store, t, warn, critical))  # a new judgement: never remembered
        assert again.assessment.results is remembered.assessment.results  # the repeat came from the memo
        assert remembered == fresh, f"at {t.isoformat()}"
        seen_codes.update(f.code for f in fresh.assessment.findings)
        statuses.add(fresh.assessment.status.name)
        trusted.add(fresh.trust.trusted)
    # the times cross what they should: expiry warnings at both thresholds, expiry, not yet
    # valid, and the chain's trust
    assert {"expiring-soon", "expiring-critical", "expired", "not-yet-valid"} <= seen_codes
    assert {"WARNING", "CRITICAL"} <= statuses and trusted == {True, False}


def test_a_changed_connection_is_judged_with_the_remembered_chain() -> None:
    """The connection's own findings (an old TLS version) join a remembered judgement."""
    chain, store, _ = _chain()
    endpoint = parse_target(f"imaps://{NAME}:993")
    judgement = Judgement(tuple(PROFILES.values()), store, NOW, 30)

    def probed(version: str) -> SniPair:
        served = ProbeResult(endpoint, ("192.0.2.7", 993), NAME, chain, True, version, "AES128-SHA",
                             None, "* OK ready", None, (), (), 0.01)
        return SniPair(NAME, served, NOT_PROBED)

    modern = diagnose(probed("TLSv1.3"), (NAME,), judgement)
    old = diagnose(probed("TLSv1"), (NAME,), judgement)
    fresh_old = diagnose(probed("TLSv1"), (NAME,), Judgement(tuple(PROFILES.values()), store, NOW, 30))
    assert old.assessment.results is modern.assessment.results
    assert "old-tls-version" in [f.code for f in old.assessment.findings]
    assert "old-tls-version" not in [f.code for f in modern.assessment.findings]
    assert old == fresh_old


def test_a_huge_chain_is_judged_each_time_not_kept() -> None:
    """A hostile server's megabytes of names are judged again rather than kept in memory."""
    key = ec.generate_private_key(ec.SECP256R1())
    names = [f"host-{i:05d}.a-rather-long-label-for-size.example.com" for i in range(1500)]  # about 80 KB of SAN
    leaf = chain_cert(NAME, key=key, not_before=NOW - DAY, not_after=NOW + 90 * DAY, san=(NAME, *names))
    chain = (der(leaf.cert),)
    assert len(chain[0]) > 64 * 1024
    endpoint = parse_target(f"imaps://{NAME}:993")
    served = ProbeResult(endpoint, ("192.0.2.7", 993), NAME, chain, True, "TLSv1.3", "TLS_AES_128_GCM_SHA256",
                         None, "* OK ready", None, (), (), 0.01)
    judgement = Judgement(tuple(PROFILES.values()), TrustStore([leaf.cert], "memo store"), NOW, 30)
    first, second = (diagnose(SniPair(NAME, served, NOT_PROBED), (NAME,), judgement) for _ in range(2))
    assert first == second and first.assessment.results is not second.assessment.results
