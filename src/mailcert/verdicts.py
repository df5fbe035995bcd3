"""Whole verdicts: a client accepts a certificate for a name only when its name rules, its
validator over the chain with its trust store, and its own policies all accept it.  Pure.

The name rules are :mod:`mailcert.names`; the chain is decided by a real validator
(:mod:`mailcert.certs.chain`); the client's own refusals (EKU, validity caps, key sizes,
SHA-1, a CA certificate as leaf) are data in each profile's :class:`ChainPolicy`.  A refusal
carries a reason code (documented in docs/clients.md and :data:`REASON_CODES`), the reason in an
administrator's terms and the client's own words.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import NamedTuple

from cryptography import x509

from mailcert.certs.chain import (TrustProblem, TrustResult, TrustStore, Validator, ValidatorSettings, strictest_first,
                                  verify_chain_in_order)
from mailcert.certs.info import CertificateFacts
from mailcert.names.matcher import NameVerdict
from mailcert.names.profiles import ChainPolicy, ChainValidator, ClientGroup, ClientProfile, EkuRule, MissingIntermediate, TrustSource

__all__ = ["REASON_CODES", "Refusal", "facts_as_read", "judge_chains", "leaf_refusal", "chain_refusal", "outdated_sent", "refusals_for", "refusals_of",
           "settings_for", "whole_verdict"]

REASON_CODES: dict[str, str] = {
    "name": "the client's name rules refuse the typed name",
    "untrusted": "the chain does not lead to a root in the client's trust store",
    "incomplete": "an intermediate certificate is missing and the client does not fetch it",
    "self-signed": "a self-signed certificate the client does not trust",
    "expired": "a certificate of the chain is expired or not yet valid",
    "eku": "the extended key usage does not allow a TLS server (or is missing where required)",
    "validity-cap": "valid for longer than the client allows",
    "weak-key": "a key smaller than the client allows",
    "key-type": "a key type or curve the client does not support (DSA, Ed25519, P-192...)",
    "weak-signature": "a signature algorithm the client refuses (SHA-1, MD5)",
    "ca-leaf": "a CA certificate used as the server's certificate",
    "name-constraints": "a CA's name constraints forbid the certificate's names",
    "chain-invalid": "the chain breaks another rule of the client's validator",
}

_PROBLEM_CODES: dict[TrustProblem, str] = {
    TrustProblem.SELF_SIGNED_LEAF: "self-signed",
    TrustProblem.MISSING_INTERMEDIATE: "incomplete",
    TrustProblem.UNTRUSTED_ROOT: "untrusted",
    TrustProblem.EXPIRED: "expired",
    TrustProblem.ISSUER_EXPIRED: "expired",
    TrustProblem.PURPOSE: "eku",
    TrustProblem.WEAK_KEY: "weak-key",
    TrustProblem.WEAK_SIGNATURE: "weak-signature",
    TrustProblem.NAME_CONSTRAINT: "name-constraints",
}
_VALIDATORS = {ChainValidator.OPENSSL: Validator.OPENSSL, ChainValidator.WEBPKI: Validator.WEBPKI}
_SERVER_EKUS = frozenset({"serverAuth", "anyExtendedKeyUsage"})
_WEAK_HASHES = frozenset({"sha1", "md5", "md2"})
# CertificateFacts' key types by the names ChainPolicy.key_floor gives them (the JDK's key algorithms)
_KEY_ALGORITHMS = {"ECDSA": "EC"}
_UNESCAPED_COMMA = re.compile(r"(?<!\\),")
_NOT_HERE = (TrustSource.WINDOWS, TrustSource.APPLE, TrustSource.JDK, TrustSource.ANDROID)
# What a client may have that this judgement cannot see: the reason says so.
_MAYBE_HAS_IT = (MissingIntermediate.PRELOADED, MissingIntermediate.CACHED)
# ... unless the chain's anchors are private: no public list holds a private CA's intermediate
_NEVER_PRELOADED = (
    "the client completes a chain only with intermediates it has preloaded, which are public CAs'"
    " (disclosed to Mozilla, CCADB), and this chain's anchors are private: refused"
)


class Refusal(NamedTuple):
    """Why one client refuses: a reason code, the reason, and the client's own words."""

    code: str
    reason: str
    message: str | None


def leaf_refusal(policy: ChainPolicy, facts: CertificateFacts, *, public: bool | None = None) -> Refusal | None:
    """The client's own rules on the server's certificate alone (no chain needed).

    ``public``: the chain ends at a public root (True), a private one (False), or unknown (None);
    caps for public CAs apply only when it is known to be public.
    """
    why = _leaf_why(policy, facts, public)
    return None if why is None else Refusal(why[0], why[1], _leaf_words(policy, why[0], why[1], facts))


def _leaf_words(policy: ChainPolicy, code: str, reason: str, facts: CertificateFacts) -> str | None:
    """The client's words for a refusal by its own rules on the certificate alone.  Words that
    hold the validator's text (``{error}``) get it as the validator would say it: for a key
    under ``key_floor`` (the JDK's rule) AlgorithmChecker's, else the reason."""
    words = policy.message(code)
    if words is None or "{error}" not in words:
        return words
    if code == "weak-key":
        who = _UNESCAPED_COMMA.sub(", ", facts.subject)  # the JDK writes names with ", " between RDNs
        algorithm = _KEY_ALGORITHMS.get(facts.key_type, facts.key_type)
        return words.replace("{error}", f"Algorithm constraints check failed on keysize limits: {algorithm} {facts.key_bits}"
                                        f" bit key used with certificate: {who}")
    return words.replace("{error}", reason)


# the fields of a ChainPolicy that _leaf_why reads: policies equal in them refuse a leaf alike
_LEAF_RULES = ("eku", "ca_leaf_refused", "key_types", "min_rsa_bits", "key_floor", "refuse_sha1", "validity_caps")


def _leaf_why(policy: ChainPolicy, facts: CertificateFacts, public: bool | None) -> tuple[str, str] | None:
    """(reason code, reason) of :func:`leaf_refusal`, from the :data:`_LEAF_RULES` fields alone."""
    why: tuple[str, str] | None = None
    if facts.eku is None:
        if policy.eku is EkuRule.REQUIRED and _day(facts.not_before) >= "2019-07-01":
            why = ("eku", "no extendedKeyUsage extension; this client requires serverAuth")
    elif policy.eku is not EkuRule.UNCHECKED and not _SERVER_EKUS & set(facts.eku):
        why = ("eku", f"the extended key usage ({', '.join(facts.eku) or 'empty'}) does not allow a TLS server")
    if why is None and policy.ca_leaf_refused and facts.is_ca:
        why = ("ca-leaf", "the server's certificate is a CA certificate (basicConstraints CA:TRUE)")
    if why is None and policy.key_types and _key_name(facts) not in policy.key_types:
        why = ("key-type", f"a {_key_name(facts)} key; this client supports only {', '.join(policy.key_types)}")
    need = policy.min_key_bits(_KEY_ALGORITHMS.get(facts.key_type, facts.key_type))
    if why is None and facts.key_bits < need:
        why = ("weak-key", f"{facts.key_type} {facts.key_bits} bits; this client needs at least {need}")
    if why is None and policy.refuse_sha1 and facts.signature_hash in _WEAK_HASHES and not facts.self_signed:
        why = ("weak-signature", f"signed with {facts.signature_hash.upper()}, which this client refuses")
    if why is None:
        for days, since, public_only in policy.validity_caps:
            if _day(facts.not_before) >= since and facts.validity_days > days + 0.5 and (public or not public_only):
                who = "public-CA certificates" if public_only else "certificates"
                why = ("validity-cap", f"valid for {int(facts.validity_days)} days; this client allows at most {days}"
                       f" for {who} issued since {since}")
                break
    return why


def chain_refusal(policy: ChainPolicy, trust: TrustResult, *, public: bool | None = None) -> Refusal | None:
    """The client's refusal of the chain its validator judged, or None when it connects.

    A client that fetches missing intermediates (AIA) connects when the certificate says where
    to fetch the missing one from.  One that preloads them (Thunderbird: the intermediates
    public CAs disclose to Mozilla) may have the missing one, which cannot be known offline:
    it stays refused and the reason says on what it depends - unless the chain is judged
    against private anchors (``public`` False), whose intermediates no preload list holds.
    """
    if trust.trusted:
        return None
    code = _PROBLEM_CODES.get(trust.problem, "chain-invalid")
    if code == "incomplete" and policy.missing_intermediate is MissingIntermediate.AIA and trust.aia_url:
        return None
    reason = trust.detail
    if code == "incomplete" and policy.missing_intermediate is MissingIntermediate.PRELOADED and public is False:
        reason += "; " + _NEVER_PRELOADED
    elif code == "incomplete" and policy.missing_intermediate in _MAYBE_HAS_IT:
        reason += "; " + policy.missing_intermediate.value
    if policy.trust in _NOT_HERE and code in ("untrusted", "incomplete", "self-signed"):
        reason += f" ({policy.trust.value})"
    words = policy.message(code)
    if words is not None:
        words = words.replace("{error}", trust.error or trust.problem.value)
    return Refusal(code, reason, words)


def judge_chains(
    chain: Sequence[x509.Certificate],
    profiles: Iterable[ClientProfile],
    store: TrustStore,
    *,
    now: dt.datetime,
) -> dict[str, TrustResult]:
    """Each client's validator verdict on ``chain``: one validation per distinct set-up (many
    clients share one), as few as the set-ups allow (:func:`verify_chain_in_order`)."""
    plan = _plan(profiles)
    done = verify_chain_in_order(chain, store, now=now, wanted=plan.wanted)
    return {client: done[i] for client, i in plan.clients}


class _Plan(NamedTuple):
    """Which set-ups a list of profiles needs, and which verdict each client takes."""

    profiles: tuple[ClientProfile, ...]  # kept: their ids key the plan
    wanted: tuple[ValidatorSettings, ...]  # strictest first
    clients: tuple[tuple[str, int], ...]  # (client id, index of its set-up in ``wanted``)


# the profiles' ids -> their plan: every judgement of a scan or a fleet names the same profiles,
# and their set-ups are worked out once, not hashed again per chain (a plan keeps its profiles
# alive, so an id in its key is never another profile's); a tuple of profiles (a Judgement's)
# is found by its own id first, without walking its profiles
_PLANS: dict[tuple[int, ...], _Plan] = {}
_PLANS_BY_TUPLE: dict[int, tuple[tuple[ClientProfile, ...], _Plan]] = {}


def _plan(profiles: Iterable[ClientProfile]) -> _Plan:
    if isinstance(profiles, tuple):
        hit = _PLANS_BY_TUPLE.get(id(profiles))
        if hit is not None and hit[0] is profiles:
            return hit[1]
    chosen = tuple(p for p in profiles if p.group is not ClientGroup.SENDER)
    key = tuple(map(id, chosen))
    plan = _PLANS.get(key)
    if plan is None:
        settings = [settings_for(p.chain) for p in chosen]
        wanted = strictest_first(settings)
        plan = _Plan(chosen, wanted, tuple((p.id, wanted.index(s)) for p, s in zip(chosen, settings)))
        if len(_PLANS) >= 64:
            _PLANS.clear()
        _PLANS[key] = plan
    if isinstance(profiles, tuple):
        if len(_PLANS_BY_TUPLE) >= 64:
            _PLANS_BY_TUPLE.clear()
        _PLANS_BY_TUPLE[id(profiles)] = (profiles, plan)
    return plan


# policy id -> (policy, its settings, its leaf rules' number): profiles are frozen and their
# policies interned (``names.profiles``), so a lookup by identity replaces hashing a dataclass
# of a dozen fields for every profile of every verdict; the policy is kept in the entry so its
# id stays its own.
_POLICIES: dict[int, tuple[ChainPolicy, ValidatorSettings, int]] = {}
_LEAF_RULE_SETS: dict[tuple[object, ...], int] = {}  # the distinct _LEAF_RULES values, numbered


def settings_for(policy: ChainPolicy) -> ValidatorSettings:
    """How a client's validator is set up, from its chain policy."""
    return _policy(policy)[1]


def _leaf_rules(policy: ChainPolicy) -> int:
    """The number of the policy's :data:`_LEAF_RULES` values: equal numbers, equal leaf refusals."""
    return _policy(policy)[2]


def _policy(policy: ChainPolicy) -> tuple[ChainPolicy, ValidatorSettings, int]:
    hit = _POLICIES.get(id(policy))
    if hit is not None and hit[0] is policy:
        return hit
    settings = ValidatorSettings(_VALIDATORS[policy.validator], policy.security_level, key_ids_optional=not policy.key_ids_required,
                                 partial_chain=policy.partial_chain, anchor_key_only=policy.anchor_key_only,
                                 purpose=policy.eku is not EkuRule.UNCHECKED,
                                 cn_ip_name=policy.cn_ip_name, key_floor=policy.key_floor, sha1_jdk_ca=policy.sha1_jdk_ca,
                                 not_after_inclusive=policy.not_after_inclusive, anchor_must_be_ca=policy.anchor_must_be_ca,
                                 empty_names_refused=policy.empty_names_refused, eku_leaf_only=policy.eku_leaf_only,
                                 path_search=policy.path_search)
    rules = tuple(getattr(policy, f) for f in _LEAF_RULES)
    if len(_POLICIES) >= 1024:
        _POLICIES.clear()
    entry = _POLICIES[id(policy)] = (policy, settings, _LEAF_RULE_SETS.setdefault(rules, len(_LEAF_RULE_SETS)))
    return entry


def facts_as_read(facts: CertificateFacts, trust: TrustResult | None) -> CertificateFacts:
    """The certificate as the client's name check reads it once its validator has run: the
    SAN entries the validator added to the leaf (``TrustResult.added_names``: the JDK's name
    constraint check appends an IP-literal CN to the SAN) join its names."""
    if trust is None or not trust.added_names:
        return facts
    return dataclasses.replace(facts, san=facts.san + trust.added_names)


def whole_verdict(verdict: NameVerdict, refusals: Sequence[Refusal]) -> NameVerdict:
    """The name verdict with the client's other refusals folded in (the first one decides)."""
    if verdict.accepted:
        if not refusals:
            return verdict
        first = refusals[0]
        return verdict._replace(accepted=False, reason=first.reason, message=first.message, code=first.code)
    if refusals:
        return verdict._replace(reason=f"{verdict.reason}; also: {refusals[0].reason}", code="name")
    return verdict._replace(code="name")


def refusals_for(
    profile: ClientProfile,
    facts: CertificateFacts,
    trust: Mapping[str, TrustResult] | None,
    public: bool | None,
    outdated: str | None = None,
) -> list[Refusal]:
    """Every refusal of ``profile`` beyond names: its own rules, then its validator's.

    Sending mail servers are judged by their own rules (DANE, MTA-STS, opportunistic TLS:
    :mod:`mailcert.senders`), not by a mail client's validator.
    """
    return refusals_of([profile], lambda _: facts, trust, public, outdated)[profile.id]


def outdated_sent(chain: Sequence[x509.Certificate], now: dt.datetime) -> str | None:
    """The first certificate the server sends that is not valid at ``now``, in words (None: all
    are): what a client that checks the dates of every sent certificate refuses
    (``ChainPolicy.sent_dates_checked``), whether its path needs the certificate or not."""
    for cert in chain:
        if cert.not_valid_after_utc < now:
            return f"the server sends {cert.subject.rfc4514_string()}, expired on {cert.not_valid_after_utc:%Y-%m-%d}"
        if cert.not_valid_before_utc > now:
            return f"the server sends {cert.subject.rfc4514_string()}, not valid before {cert.not_valid_before_utc:%Y-%m-%d}"
    return None


_SENT_DATES = "; this client checks the dates of every certificate the server sends, whether its path needs it or not"


def refusals_of(
    profiles: Sequence[ClientProfile],
    facts_of: Callable[[str], CertificateFacts],
    trust: Mapping[str, TrustResult] | None,
    public: bool | None,
    outdated: str | None = None,
) -> dict[str, list[Refusal]]:
    """:func:`refusals_for` of each profile (``facts_of``: the certificate each client gets),
    each distinct (policy, certificate, chain verdict) judged once: many clients share one.
    ``outdated``: :func:`outdated_sent` of the chain the server sends."""
    seen: dict[tuple[int, int, int], list[Refusal]] = {}
    leaves: dict[int, dict[int, tuple[str, str] | None]] = {}  # facts' id -> its leaf refusals (_leaf_whys)
    out: dict[str, list[Refusal]] = {}
    for row in _rows(profiles):
        if row.policy is None:
            out[row.id] = []
            continue
        facts = facts_of(row.id)
        result = trust.get(row.id) if trust is not None else None
        whys = leaves.get(id(facts))
        if whys is None:
            whys = leaves[id(facts)] = _leaf_whys(facts, public)
        if (whys.get(row.rules, _UNKNOWN) is None and (result is None or result.trusted)
                and (outdated is None or not row.policy.sent_dates_checked)):
            out[row.id] = []  # the usual row: its leaf rules judged and passed, its chain trusted
            continue
        key = (id(row.policy), id(facts), id(result))
        found = seen.get(key)
        if found is None:
            found = seen[key] = _refusals(row.policy, facts, whys, result, public, outdated)
        out[row.id] = list(found)
    return out


class _Row(NamedTuple):
    """One profile as :func:`refusals_of` reads it."""

    id: str
    policy: ChainPolicy | None  # None: a sending server, judged by its own rules (mailcert.senders)
    rules: int  # the number of its policy's leaf rules (_leaf_rules)


# a tuple of profiles' id -> (the tuple, its rows): a Judgement's profiles are read once
_ROWS: dict[int, tuple[tuple[ClientProfile, ...], tuple[_Row, ...]]] = {}


def _rows(profiles: Sequence[ClientProfile]) -> tuple[_Row, ...]:
    """Each profile's :class:`_Row`, found by the id of a tuple of profiles (kept alive with it)."""
    hit = _ROWS.get(id(profiles)) if isinstance(profiles, tuple) else None
    if hit is not None and hit[0] is profiles:
        return hit[1]
    rows = tuple(_Row(p.id, None, -1) if p.group is ClientGroup.SENDER else _Row(p.id, p.chain, _leaf_rules(p.chain))
                 for p in profiles)
    if isinstance(profiles, tuple):
        if len(_ROWS) >= 64:
            _ROWS.clear()
        _ROWS[id(profiles)] = (profiles, rows)
    return rows


def _refusals(policy: ChainPolicy, facts: CertificateFacts, whys: dict[int, tuple[str, str] | None], result: TrustResult | None,
              public: bool | None, outdated: str | None) -> list[Refusal]:
    """One policy's refusals of one certificate and chain verdict: its leaf rules, then the chain."""
    # a server certificate the validator trusts as it is (the JDK's own trusted certificate)
    # meets none of the client's rules on it
    why = None if result is not None and result.as_is else _remembered_why(policy, facts, whys, public)
    found = [] if why is None else [Refusal(why[0], why[1], _leaf_words(policy, why[0], why[1], facts))]
    r = chain_refusal(policy, result, public=public) if result is not None and not result.trusted else None
    if r is None and outdated is not None and policy.sent_dates_checked:
        r = Refusal("expired", outdated + _SENT_DATES, policy.message("expired"))
    if r is not None and all(r.code != f.code for f in found):
        found.append(r)
    return found


# the facts _leaf_why reads (notBefore only as its day): certificates equal in them are refused
# alike by each leaf rule set (tests/certs/test_memo_keys.py holds _leaf_why to this list)
_LEAF_FACTS = ("eku", "is_ca", "key_type", "key_curve", "key_bits", "signature_hash", "self_signed", "validity_days")


def _leaf_key(facts: CertificateFacts, public: bool | None) -> tuple[object, ...]:
    """Every value :func:`_leaf_why` reads of ``facts`` and ``public``: a fleet's certificates
    from one CA mostly share it."""
    return (_day(facts.not_before), public, *[getattr(facts, f) for f in _LEAF_FACTS])


# _leaf_key -> {leaf rules' number: _leaf_why}: a new certificate like those seen before is judged
# by lookup; bounded (cleared when full)
_WHYS: dict[tuple[object, ...], dict[int, tuple[str, str] | None]] = {}
_UNKNOWN = object()


def _leaf_whys(facts: CertificateFacts, public: bool | None) -> dict[int, tuple[str, str] | None]:
    """The leaf refusals of each rule set judged so far for certificates like ``facts`` (equal in
    :func:`_leaf_key`), filled in by :func:`_remembered_why`."""
    key = _leaf_key(facts, public)
    whys = _WHYS.get(key)
    if whys is None:
        if len(_WHYS) >= 1024:
            _WHYS.clear()
        whys = _WHYS[key] = {}
    return whys


def _remembered_why(policy: ChainPolicy, facts: CertificateFacts, whys: dict[int, tuple[str, str] | None],
                    public: bool | None) -> tuple[str, str] | None:
    """:func:`_leaf_why`, remembered in ``whys`` (:func:`_leaf_whys` of ``facts`` and ``public``)."""
    rules = _leaf_rules(policy)
    why = whys.get(rules, _UNKNOWN)
    if why is _UNKNOWN:
        why = whys[rules] = _leaf_why(policy, facts, public)
    return why  # type: ignore[return-value]


def _key_name(facts: CertificateFacts) -> str:
    """``RSA``, or the key type with its curve (``ECDSA secp256r1``), as ``ChainPolicy.key_types`` names keys."""
    return f"{facts.key_type} {facts.key_curve}" if facts.key_curve else facts.key_type


@functools.lru_cache(maxsize=1024)
def _day(when: dt.datetime) -> str:
    """The date as text (compared with the policies' dates): once per certificate, not per client."""
    return when.strftime("%Y-%m-%d")
