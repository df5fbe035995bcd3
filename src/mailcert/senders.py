"""The judge for sending mail servers: served chain + TLSA lookup + MTA-STS policy -> verdicts.  Pure.

Each sender profile (``names/senders.py``) gets one :class:`NameVerdict` per MX name, in the
same table as the mail clients, and the findings say what to publish or change.  The order of
a sender's decisions follows Postfix's ``dane_init`` and RFC 8461 section 2:

1. DANE (if the sender does it): a bogus or failed lookup defers all mail; a secure RRset
   with usable records must match (DANE-EE: the leaf's key, nothing else; DANE-TA: a CA in the
   served chain, then chain signatures, validity and the MX name); a secure RRset with only
   unusable records means mandatory TLS without authentication; an insecure zone or no
   records means no DANE.  DANE decides alone where it applies.
2. MTA-STS (if the sender does it, and DANE did not apply): in ``enforce`` mode the MX must
   match a policy ``mx`` pattern and the certificate must chain to a trusted root, be valid
   now and carry the MX name.  ``testing`` mode delivers anyway.
3. Otherwise opportunistic TLS: delivered whatever the certificate.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace

from cryptography import x509

from mailcert.assess import ordered_findings, status_of
from mailcert.certs.info import CertificateFacts
from mailcert.certs.tlsa import DnsStatus, TlsaLookup, TlsaMatch, Usage, match_chain, records_for
from mailcert.certs.chain import TrustResult, TrustStore, verify_chain
from mailcert.doctor import Diagnosis
from mailcert.names.matcher import NameVerdict, verdicts_for
from mailcert.names.mtasts import Mode, StsLookup, StsStatus
from mailcert.names.profiles import ClientProfile
from mailcert.names.senders import SENDERS, Refusal
from mailcert.findings import Finding, finding

__all__ = ["SenderContext", "SenderJudgement", "judge_senders", "sender_profiles", "with_senders"]


@dataclass(frozen=True)
class SenderContext:
    """What the senders see of one MX: the probe's facts, plain values.

    ``host`` is the MX name (the TLSA base domain), ``ip``/``port`` where the chain came from,
    ``tlsa`` / ``sts`` ``None`` when not looked up.
    """

    host: str
    port: int
    ip: str
    chain: tuple[bytes, ...]
    tlsa: TlsaLookup | None
    sts: StsLookup | None


@dataclass(frozen=True)
class SenderJudgement:
    verdicts: tuple[NameVerdict, ...]
    findings: tuple[Finding, ...]
    match: TlsaMatch | None


def sender_profiles(ids: Sequence[str] | None = None) -> list[ClientProfile]:
    """The sender rows among ``--client`` ids (all of them when no id is given)."""
    if not ids:
        return list(SENDERS.values())
    return [p for p in SENDERS.values() if p.id in ids]


def judge_senders(
    ctx: SenderContext,
    leaf: CertificateFacts,
    trust: TrustResult,
    *,
    now: dt.datetime,
    profiles: Sequence[ClientProfile] | None = None,
) -> SenderJudgement:
    """One verdict per sender profile for ``ctx.host``, and the findings they lead to."""
    chosen = list(profiles) if profiles is not None else list(SENDERS.values())
    dane = _DaneFacts.of(ctx, leaf, now)
    verdicts = [_verdict(p, ctx, leaf, trust, dane, now) for p in chosen if p.sender is not None]
    found = _dane_findings(ctx, dane) + _sts_findings(ctx, leaf, trust, now)
    return SenderJudgement(tuple(verdicts), tuple(found), dane.match)


def with_senders(
    d: Diagnosis,
    tlsa: TlsaLookup | None,
    sts: StsLookup | None,
    *,
    now: dt.datetime,
    profiles: Sequence[ClientProfile] | None = None,
) -> Diagnosis:
    """``d`` with the sender rows added to its client table and their findings to its findings
    (status recomputed): the MX name is the first typed name, the chain the SNI one."""
    served = d.served
    host = d.assessment.names[0] if d.assessment.names else served.endpoint.host
    ctx = SenderContext(host, served.endpoint.port, served.address[0], served.chain, tlsa, sts)
    j = judge_senders(ctx, d.assessment.certificate, d.trust, now=now, profiles=profiles)
    findings = tuple(ordered_findings([*d.assessment.findings, *j.findings]))
    a = replace(d.assessment, results=d.assessment.results + j.verdicts, findings=findings, status=status_of(findings))
    return replace(d, assessment=a)


@dataclass(frozen=True)
class _DaneFacts:
    """The DANE side, decided once for every sender: applies or not, and the match."""

    applies: bool
    refusal: Refusal | None  # a refusal every DANE sender shares (bogus, no match, TA checks)
    why: str
    match: TlsaMatch | None
    name_ok: bool

    @classmethod
    def of(cls, ctx: SenderContext, leaf: CertificateFacts, now: dt.datetime) -> _DaneFacts:
        t = ctx.tlsa
        name_ok = _name_ok(leaf, ctx.host)
        if t is None:
            return cls(False, None, "TLSA not looked up", None, name_ok)
        if DnsStatus.BOGUS in (t.status, t.host_status):
            which = t.name if t.status is DnsStatus.BOGUS else ctx.host
            return cls(True, Refusal.DNSSEC_BOGUS, f"DNSSEC validation of {which} fails (bogus: {t.detail})", None, name_ok)
        if t.status is DnsStatus.ERROR:
            return cls(True, Refusal.DNSSEC_BOGUS, f"the TLSA lookup of {t.name} failed ({t.detail})", None, name_ok)
        if t.status is DnsStatus.INSECURE or t.host_status is DnsStatus.INSECURE:
            return cls(False, None, f"DANE not in effect: {t.name} is not DNSSEC-signed (insecure)", None, name_ok)
        if not t.records:
            return cls(False, None, f"DANE not in effect: no TLSA record at {t.name} (validated)", None, name_ok)
        m = match_chain(t.records, ctx.chain)
        if not m.usable:
            reasons = "; ".join(f"{r.short()}: {why}" for r, why in m.unusable)
            return cls(False, None, f"TLSA records unusable ({reasons}): TLS required, certificate not checked", m, name_ok)
        if m.matched is None:
            published = ", ".join(r.short() for r in m.usable)
            return cls(True, Refusal.TLSA_MISMATCH, f"no TLSA record at {t.name} matches the served chain (published: {published})", m, name_ok)
        if m.matched.usage == Usage.DANE_TA:
            problem = _ta_problem(ctx, m, now)
            if problem is not None:
                return cls(True, Refusal.EXPIRED, problem, m, name_ok)
            if not name_ok:
                return cls(True, Refusal.NAME_MISMATCH, f"TLSA {m.matched.short()} matched the CA at depth {m.depth}, but the certificate does not name {ctx.host}", m, name_ok)
        return cls(True, None, f"DANE-verified: TLSA {m.matched.short()} matches the {'leaf' if m.depth == 0 else f'CA at depth {m.depth}'}", m, name_ok)


def _ta_problem(ctx: SenderContext, m: TlsaMatch, now: dt.datetime) -> str | None:
    """DANE-TA: the chain from the leaf to the matched CA must verify and be valid now."""
    assert m.depth is not None
    certs = [x509.load_der_x509_certificate(d) for d in ctx.chain[: m.depth + 1]]
    for c in certs:
        if not c.not_valid_before_utc <= now <= c.not_valid_after_utc:
            return f"TLSA {m.matched.short() if m.matched else ''} matched a CA, but {c.subject.rfc4514_string()} is expired or not yet valid"
    result = verify_chain(certs, TrustStore([certs[-1]], "TLSA trust anchor", any_anchor=True), now=now)
    return None if result.trusted else f"the chain to the TLSA trust anchor does not verify ({result.detail})"


def _name_ok(leaf: CertificateFacts, host: str) -> bool:
    """RFC 6125 as RFC 7672/8461 use it (the sender profiles' shared name rules)."""
    rules = SENDERS["gmail-mta-sts"]
    return verdicts_for(leaf.identifiers, host, [rules])[0].accepted


def _verdict(
    p: ClientProfile, ctx: SenderContext, leaf: CertificateFacts, trust: TrustResult, dane: _DaneFacts, now: dt.datetime
) -> NameVerdict:
    rules = p.sender
    assert rules is not None
    facts = {"host": ctx.host, "port": str(ctx.port), "ip": ctx.ip}

    def refuse(refusal: Refusal, why: str) -> NameVerdict:
        return NameVerdict(ctx.host, p.id, False, why, rules.says(refusal, **facts))

    def accept(why: str) -> NameVerdict:
        return NameVerdict(ctx.host, p.id, True, why)

    expired = not leaf.not_before <= now <= leaf.not_after
    if rules.dane and dane.applies:
        if dane.refusal is not None:
            return refuse(dane.refusal, dane.why)
        if dane.match is not None and dane.match.ee:
            if rules.ee_checks_expiry and expired:
                return refuse(Refusal.EXPIRED, f"{dane.why}, but this sender also refuses an expired certificate ({leaf.not_after:%Y-%m-%d})")
            if rules.ee_checks_name and not dane.name_ok:
                return refuse(Refusal.NAME_MISMATCH, f"{dane.why}, but this sender also requires the MX name {ctx.host} in the certificate")
        return accept(dane.why)
    sts = ctx.sts
    if rules.mta_sts and sts is not None and sts.status is StsStatus.POLICY and sts.policy is not None:
        policy = sts.policy
        if policy.mode is Mode.ENFORCE:
            if policy.matching_pattern(ctx.host) is None:
                return refuse(Refusal.STS_MX_MISMATCH, f"MTA-STS enforce: {ctx.host} matches no mx pattern of the policy ({', '.join(policy.mx)})")
            if expired:
                return refuse(Refusal.EXPIRED, f"MTA-STS enforce: the certificate expired {leaf.not_after:%Y-%m-%d}")
            if not trust.trusted:
                return refuse(Refusal.UNTRUSTED, f"MTA-STS enforce: the chain is not trusted ({trust.detail})")
            if not dane.name_ok:
                return refuse(Refusal.NAME_MISMATCH, f"MTA-STS enforce: the certificate does not name {ctx.host}")
            return accept(f"MTA-STS enforce: {ctx.host} is in the policy, the chain is trusted and names it")
        if policy.mode is Mode.TESTING:
            return accept("MTA-STS testing: failures are only reported (TLS-RPT); delivered")
    if rules.dane:
        return accept(f"{dane.why}; opportunistic TLS")
    if rules.mta_sts:
        return accept("no MTA-STS policy in effect; opportunistic TLS")
    return accept("opportunistic TLS: the certificate is not checked")


def _dane_findings(ctx: SenderContext, dane: _DaneFacts) -> list[Finding]:
    t = ctx.tlsa
    if t is None:
        return []
    where: dict[str, str | int] = {"tlsa_name": t.name.rstrip("."), "host": ctx.host, "port": ctx.port, "resolver": t.resolver}
    if dane.refusal is Refusal.DNSSEC_BOGUS:
        code = "dane-dnssec-bogus" if DnsStatus.BOGUS in (t.status, t.host_status) else "dane-lookup-failed"
        return [finding(code, detail=dane.why, **where)]
    if t.status is DnsStatus.INSECURE or t.host_status is DnsStatus.INSECURE:
        return [finding("dane-insecure", detail=t.detail, **where)]
    if not t.records:
        return [finding("dane-no-tlsa", **where)]
    m = dane.match
    assert m is not None
    out: list[Finding] = []
    current = _current_records(ctx.chain)
    if m.unusable:
        out.append(finding("dane-unusable-records", records="; ".join(f"{r.short()} ({why})" for r, why in m.unusable), **where))
    if dane.refusal is Refusal.TLSA_MISMATCH:
        out.append(finding("dane-tlsa-mismatch", published=", ".join(r.short() for r in m.usable), publish=current, **where))
    elif dane.refusal is not None:
        out.append(finding("dane-ta-refused", detail=dane.why, **where))
    elif m.matched is not None and m.matched.usage == Usage.DANE_EE and len([r for r in m.usable if r.usage == Usage.DANE_EE]) < 2 and not any(r.usage == Usage.DANE_TA for r in m.usable):
        out.append(finding("dane-no-rollover", **where))
    return out


def _current_records(chain: Sequence[bytes]) -> str:
    recs = records_for(chain[0], issuer_der=chain[1] if len(chain) > 1 else None)
    return " and ".join(f"{r.to_text()}" for r in recs)


def _sts_findings(ctx: SenderContext, leaf: CertificateFacts, trust: TrustResult, now: dt.datetime) -> list[Finding]:
    s = ctx.sts
    if s is None or s.status is StsStatus.NONE:
        return []
    where: dict[str, str | int] = {"domain": s.domain, "host": ctx.host, "detail": s.detail}
    if s.status is StsStatus.INVALID:
        return [finding("mta-sts-policy-invalid", **where)]
    if s.status is StsStatus.UNAVAILABLE:
        return [finding("mta-sts-unavailable", **where)]
    policy = s.policy
    assert policy is not None
    if policy.mode is Mode.NONE:
        return []
    enforce = policy.mode is Mode.ENFORCE
    out: list[Finding] = []
    if policy.matching_pattern(ctx.host) is None:
        out.append(finding("mta-sts-mx-not-listed" if enforce else "mta-sts-testing-fails", patterns=", ".join(policy.mx), problem=f"{ctx.host} matches no mx pattern", **where))
    problems = []
    if not trust.trusted:
        problems.append(f"the chain is not trusted ({trust.detail})")
    if not leaf.not_before <= now <= leaf.not_after:
        problems.append("the certificate is not valid now")
    if not _name_ok(leaf, ctx.host):
        problems.append(f"the certificate does not name {ctx.host}")
    if problems:
        out.append(finding("mta-sts-certificate" if enforce else "mta-sts-testing-fails", problem="; ".join(problems), patterns=", ".join(policy.mx), **where))
    return out

