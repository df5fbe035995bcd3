"""Whole-chain questions for the real implementations, and mailcert's answers to the same.

Two sources of questions: x509-limbo's server cases (``limbo_requests``: chains without keys,
each with its own validation time) and the chain corpus (``corpus_requests``: chains with
keys, valid now).  A question is a ``ChainCase``; the real implementation answers it
through ``run_chain_oracle``, mailcert through :func:`whole_verdicts` - the profile's validator
on the chain (``verdicts.settings_for``), its own refusals (``verdicts.refusals_for``) and its
name rules - exactly what ``check``/``inspect`` decide for that client.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import re
import warnings
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from cryptography import x509

from mailcert.certs.chain import TrustResult, TrustStore, ValidatorSettings, verify_chain_for
from mailcert.certs.info import CertificateFacts, facts_from_certificate
from mailcert.errors import CertificateError
from mailcert.names.matcher import check_name
from mailcert.names.profiles import PROFILES, ClientProfile
from mailcert.verdicts import facts_as_read, outdated_sent, refusals_for, settings_for
from tests.certs.test_limbo import HARNESS_DAY, _cases
from tests.differential.chain_corpus import generate
from tests.differential.oracles import ChainCase

__all__ = ["Verdict", "corpus_requests", "limbo_requests", "whole_verdict", "whole_verdicts"]

_PEM = re.compile(rb"-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----", re.S)


class Verdict(NamedTuple):
    """mailcert's answer for one profile and one request: accepted, and the reason code."""

    accepted: bool
    code: str | None
    reason: str


def _der(pem: str) -> bytes:
    """The DER inside one PEM block, not re-encoded: the real implementations get the suite's bytes."""
    match = _PEM.search(pem.encode())
    return base64.b64decode(b"".join(match.group(1).split())) if match else b""


@functools.lru_cache(maxsize=None)
def limbo_requests(*, names: bool = True) -> tuple[ChainCase, ...]:
    """Every SERVER case of x509-limbo as a request; the validation time is the case's (or the
    day limbo's harnesses ran); ``names`` False asks the chain alone."""
    out = []
    for t in _cases():
        when = dt.datetime.fromisoformat(t["validation_time"].replace("Z", "+00:00")) if t["validation_time"] else HARNESS_DAY
        name = t["expected_peer_name"]["value"] if names and t["expected_peer_name"] else ""
        out.append(ChainCase(t["id"], tuple(_der(p) for p in [t["peer_certificate"], *t["untrusted_intermediates"]]),
                                tuple(_der(p) for p in t["trusted_certs"]), int(when.timestamp()), name))
    return tuple(out)


def corpus_requests(*, names: bool = True, now: dt.datetime | None = None) -> tuple[ChainCase, ...]:
    """The chain corpus as requests, judged at ``now`` (default: the current time)."""
    moment = now or dt.datetime.now(dt.timezone.utc)
    return tuple(ChainCase(f"corpus:{c.id}", c.chain, c.roots, int(moment.timestamp()), c.name if names else "", c.key_pem)
                 for c in generate(moment))


def _load(ders: Iterable[bytes]) -> list[x509.Certificate]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # non-positive serials and the like: the validators judge them
        return [x509.load_der_x509_certificate(d) for d in ders]


def _trust(request: ChainCase, chain: Sequence[x509.Certificate], when: dt.datetime,
           settings: Iterable[ValidatorSettings]) -> dict[ValidatorSettings, TrustResult]:
    """Each validator set-up's verdict on the request's chain, validating as few times as they allow."""
    store = TrustStore(_load(request.roots), "the case's anchors")
    return verify_chain_for(chain, store, now=when, settings=settings)


def whole_verdict(profile: ClientProfile, request: ChainCase, trust: TrustResult, facts: CertificateFacts,
                  outdated: str | None = None) -> Verdict:
    """``profile``'s whole verdict on ``request``: chain (``trust``), the client's own rules, then
    the name; ``outdated``: the sent certificate not valid at the request's time (``outdated_sent``)."""
    refusals = refusals_for(profile, facts, {profile.id: trust}, public=False, outdated=outdated)
    if refusals:
        return Verdict(False, refusals[0].code, refusals[0].reason)
    if request.host:
        named = check_name(profile, facts_as_read(facts, trust).identifiers, request.host)
        if not named.accepted:
            return Verdict(False, "name", named.reason)
    return Verdict(True, None, "accepted")


def whole_verdicts(profile_ids: Sequence[str], requests: Sequence[ChainCase]) -> dict[str, dict[str, Verdict]]:
    """profile id -> request id -> that profile's whole verdict; each chain is read and validated
    once for all the profiles (``verify_chain_for``)."""
    profiles = [PROFILES[p] for p in profile_ids]
    settings = {p.id: settings_for(p.chain) for p in profiles}
    out: dict[str, dict[str, Verdict]] = {p: {} for p in profile_ids}
    for r in requests:
        try:
            chain, when = _load(r.chain), dt.datetime.fromtimestamp(r.time, dt.timezone.utc)
            facts = facts_from_certificate(chain[0])
            trust = _trust(r, chain, when, set(settings.values()))
            outdated = outdated_sent(chain, when)
        except (ValueError, CertificateError) as exc:  # a certificate the client's parser refuses
            for pid in profile_ids:
                out[pid][r.id] = Verdict(False, "unreadable", str(exc))
            continue
        for profile in profiles:
            out[profile.id][r.id] = whole_verdict(profile, r, trust[settings[profile.id]], facts, outdated)
    return out
