"""No set-up takes another's verdict wrongly: ``verify_chain_for`` (one validation for many
set-ups, shared verdicts and taken paths, as ``chain._FIELDS`` allows) against ``verify_chain``
per set-up (each validated alone, nothing shared).

Over every pair of distinct set-ups the profiles use (a pair judged together is where a looser
row takes a stricter row's verdict or path), and all of them together, on the chain corpus and
a sample of x509-limbo's server cases spread over the whole file (every chain, anchor, time and
rule the suite probes: keys, signatures, depth, EKU, name constraints, anchors, validity).  A
field whose relation the table says wrongly - a looser row given a verdict a field of its own
should change - shows here as a verdict that differs from the one the row reaches alone.
"""

from __future__ import annotations

import datetime as dt
import itertools
import warnings

import pytest
from cryptography import x509

from mailcert.certs.chain import TrustResult, TrustStore, ValidatorSettings, verify_chain, verify_chain_for
from mailcert.names.profiles import PROFILES
from mailcert.verdicts import settings_for
from tests.differential.chains import corpus_requests, limbo_requests
from tests.differential.oracles import ChainCase

SETTINGS = tuple(dict.fromkeys(settings_for(p.chain) for p in PROFILES.values()))
PAIRS = tuple(itertools.combinations(SETTINGS, 2))
_LIMBO_STRIDE = 61  # 161 of limbo's 9,770 server cases, from every part of the file


def _requests() -> list[tuple[ChainCase, str]]:
    """(request, its store): the corpus under its own anchors, under them marked as a JDK's own
    cacerts (SHA-1 below a jdkCA is the JDK rows' own refusal), and with every CA the server
    sends trusted too (where partial chains end a path earlier); limbo's sample under its own."""
    return [*((r, kind) for r in corpus_requests(names=False) for kind in ("anchors", "jdk_ca", "sent CAs too")),
            *((r, "anchors") for r in limbo_requests(names=False)[::_LIMBO_STRIDE])]


def _store(anchors: list[x509.Certificate], chain: list[x509.Certificate], kind: str) -> TrustStore:
    extra = chain[1:] if kind == "sent CAs too" else []
    return TrustStore([*anchors, *(c for c in extra if c not in anchors)], "case store", jdk_ca=kind == "jdk_ca")


def _load(ders: tuple[bytes, ...]) -> list[x509.Certificate] | None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return [x509.load_der_x509_certificate(d) for d in ders]
        except ValueError:  # a certificate cryptography cannot read: no verdict is judged for it
            return None


def _verdict(r: TrustResult) -> tuple[object, ...]:
    """What a client's verdict reads of a chain result: trusted, why not, in which words, the
    names the validator added, and the path to show."""
    return r.trusted, r.problem, r.detail, r.error, r.added_names, r.path, r.anchor, r.missing_issuer


@pytest.mark.parametrize(("request_", "kind"), _requests(), ids=lambda r: r.id if isinstance(r, ChainCase) else r)
def test_a_shared_verdict_is_the_verdict_each_set_up_reaches_alone(request_: ChainCase, kind: str) -> None:
    chain = _load(request_.chain)
    anchors = _load(request_.roots)
    if not chain or anchors is None:
        pytest.skip("cryptography cannot read a certificate of the case")
    now = dt.datetime.fromtimestamp(request_.time, dt.timezone.utc)
    alone = {s: _verdict(verify_chain(chain, _store(anchors, chain, kind), now=now, settings=s)) for s in SETTINGS}
    wrong = []
    for group in (*PAIRS, SETTINGS):
        # a new store per group: nothing remembered from another group answers
        together = verify_chain_for(chain, _store(anchors, chain, kind), now=now, settings=group)
        wrong += [f"{s} with {len(group) - 1} other(s): {_verdict(together[s])} != {alone[s]}"
                  for s in group if _verdict(together[s]) != alone[s]]
    assert not wrong, "\n".join(wrong[:5])


def test_the_pairs_cover_every_looser_row() -> None:
    """The profiles use set-ups that differ in each kind of field, so the pairs above exercise
    every relation of the table (a forgiving level, anchors, a purpose, the JDK's own checks)."""
    differing = {name for a, b in PAIRS for name in ValidatorSettings._fields if getattr(a, name) != getattr(b, name)}
    assert {"validator", "security_level", "key_ids_optional", "partial_chain", "anchor_key_only", "purpose",
            "key_floor", "sha1_jdk_ca", "not_after_inclusive", "path_search"} <= differing
