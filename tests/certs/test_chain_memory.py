"""Chain verdicts remembered across times (``verify_chain_for``) are never stale.

A verdict is remembered per validity pattern: where the time falls among the validity bounds of
the chain and of the anchors above it.  Each case judges a chain at times around every bound
(one second and half a second either side, on it, and half a millisecond and one past it), in an order that leaves the memory warm
from a neighbouring time, and compares each verdict with one judged afresh (a new store, so
nothing remembered can answer).  A key too coarse (a bound left out, the time rounded, an
anchor's validity ignored) gives a stale verdict at one of these times.
"""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography import x509

from mailcert.certs.chain import TrustStore, ValidatorSettings, verify_chain_for
from mailcert.names.profiles import PROFILES
from mailcert.verdicts import settings_for
from tests.factory import NOW
from tests.test_verdicts import NAME, Node, build

SETTINGS = tuple(dict.fromkeys(settings_for(p.chain) for p in PROFILES.values()))


@pytest.fixture(scope="module", params=["root", "cross-signed"])
def case(request: pytest.FixtureRequest) -> tuple[list[x509.Certificate], list[x509.Certificate]]:
    """A root that expires before the chain it anchors (only in the store), an intermediate
    sent twice (an old copy, expired, and a current one with the same name and key: OpenSSL
    prefers the valid one), and a leaf outliving both CAs.  ``cross-signed``: the store holds
    the root as a certificate cross-signed by another anchor, which expires first and which no
    certificate of the chain names (OpenSSL goes on to it; cryptography stops at the first)."""
    root = build("Memory Root", ca=True, days=(-1000, 50))
    inter = build("Memory Intermediate", root, ca=True, days=(-500, 100))
    old = build("Memory Intermediate", root, ca=True, days=(-900, -400), same_key_as=inter)
    leaf = build(NAME, inter, san=(NAME,), days=(-10, 300))
    anchors = [root.cert]
    if request.param == "cross-signed":
        top = build("Memory Top", ca=True, days=(-1000, 30))
        anchors = [build("Memory Root", top, ca=True, days=(-1000, 50), same_key_as=root).cert, top.cert]
    return [leaf.cert, old.cert, inter.cert], anchors


def _around_bounds(certs: list[x509.Certificate]) -> list[dt.datetime]:
    bounds = {t for c in certs for t in (c.not_valid_before_utc, c.not_valid_after_utc)}
    # the JDK's clock is in milliseconds: on a bound, within its first millisecond, and just past it
    steps = [dt.timedelta(seconds=s) for s in (-1, -0.5, 0, 0.0005, 0.001, 0.5, 1)]
    return sorted({b + s for b in bounds for s in steps} | {NOW})


def test_a_remembered_verdict_is_the_fresh_verdict_at_every_bound(case: tuple[list[x509.Certificate], list[x509.Certificate]]) -> None:
    chain, anchors = case
    store = TrustStore(anchors, "memory store")
    fresh_stores: list[TrustStore] = []  # kept alive: a store's id is part of the memory's key
    times = _around_bounds(chain + anchors)
    seen: set[tuple[bool, ...]] = set()
    for when in times + times[::-1]:
        remembered = verify_chain_for(chain, store, now=when, settings=SETTINGS)
        fresh_stores.append(TrustStore(anchors, "memory store"))
        fresh = verify_chain_for(chain, fresh_stores[-1], now=when, settings=SETTINGS)
        assert remembered == fresh, when
        seen.add(tuple(remembered[s].trusted for s in SETTINGS))
    assert len(seen) > 1  # the times do reach verdicts that differ


def test_a_new_time_with_the_same_validity_is_remembered(case: tuple[list[x509.Certificate], list[x509.Certificate]]) -> None:
    chain, anchors = case
    store = TrustStore(anchors, "memory store")
    settings = (ValidatorSettings(),)
    first = verify_chain_for(chain, store, now=NOW, settings=settings)
    later = verify_chain_for(chain, store, now=NOW + dt.timedelta(days=3, seconds=17), settings=settings)
    assert later[settings[0]] is first[settings[0]]
    past_root = verify_chain_for(chain, store, now=NOW + dt.timedelta(days=50, seconds=1), settings=settings)
    assert not past_root[settings[0]].trusted and first[settings[0]].trusted
