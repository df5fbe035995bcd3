"""The judge: certificate facts + typed names + clock -> verdicts, findings, status.  Pure.

``inspect`` calls it on a file, ``check`` on what the probe fetched (adding chain and
connection findings of its own).  The clock is passed in so tests and reports are exact.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from cryptography import x509

from mailcert.certs.chain import TrustProblem, TrustResult
from mailcert.certs.info import CertificateFacts
from mailcert.errors import InputError
from mailcert.model import Status
from mailcert.names.identifiers import PresentedIdentifiers
from mailcert.names.matcher import NameVerdict, verdicts_for
from mailcert.names.profiles import DEFAULT_CLIENTS, PROFILES, ClientGroup, ClientProfile
from mailcert.verdicts import Refusal, facts_as_read, judge_chains, outdated_sent, refusals_of, whole_verdict
from mailcert.findings import Finding, Severity, finding
from mailcert.judgement import Judged, Judgement

__all__ = [
    "DEFAULT_NAMES_MAX", "Assessment", "CertificateVerdicts", "assess_certificate", "judge_certificate", "ordered_findings",
    "status_of", "default_names", "select_profiles", "trust_findings",
]

_APPLE_825_SINCE = dt.datetime(2019, 7, 1, tzinfo=dt.timezone.utc)
_WEAK_HASHES = {"sha1", "md5", "md2"}
_TRUST_FINDINGS = {
    TrustProblem.SELF_SIGNED_LEAF: "chain-self-signed",
    TrustProblem.MISSING_INTERMEDIATE: "chain-incomplete",
    TrustProblem.UNTRUSTED_ROOT: "chain-untrusted-root",
}
_CHAIN_FINDING_CODES = frozenset({"untrusted", "incomplete", "self-signed"})
_RANK = {Severity.CRITICAL: 0, Severity.WARNING: 1, Severity.INFO: 2}


@dataclass(frozen=True)
class Assessment:
    """Everything ``inspect`` and ``check`` report: plain values, ready for any renderer."""

    status: Status
    certificate: CertificateFacts
    names: tuple[str, ...]
    results: tuple[NameVerdict, ...]
    findings: tuple[Finding, ...]
    judged: Judged  # what it was judged against: clients, trust store, clock, thresholds


def select_profiles(ids: Sequence[str] | None) -> list[ClientProfile]:
    """The mail-client profiles named by ``--client`` (DEFAULT_CLIENTS when none, ``all`` for
    every one), in table order, unknown ids refused.  Sender ids (``names/senders.py``) are
    known but select no mail client: the sender rows are judged on SMTP relay ports only
    (``mailcert.senders``)."""
    if not ids:
        return [PROFILES[c] for c in DEFAULT_CLIENTS]
    if "all" in ids:
        return list(PROFILES.values())
    # start-up: the sender table is read only to tell a sender id from an unknown one
    from mailcert.names.senders import SENDERS

    unknown = [i for i in ids if i not in PROFILES and i not in SENDERS]
    if unknown:
        raise InputError(f"unknown client {unknown[0]!r}; known clients: {', '.join([*PROFILES, *SENDERS])}")
    wanted = set(ids)
    return [p for p in PROFILES.values() if p.id in wanted]


DEFAULT_NAMES_MAX = 20
"""Names judged without ``--name``: a certificate may list tens of thousands, and each one is
a row of verdicts for every client; past this the administrator names the one users type."""


def default_names(facts: CertificateFacts) -> tuple[str, ...]:
    """Without ``--name``: the DNS names the certificate offers (the CN when it has none), the
    first :data:`DEFAULT_NAMES_MAX` of those short enough to be names."""
    names = tuple(dict.fromkeys(facts.dns_names)) or tuple(dict.fromkeys(facts.common_names))
    names = names or tuple(v for t, v in facts.san if t == "IP")
    # a "name" longer than DNS allows (255) is no name anyone types: judging it would only
    # echo megabytes into every verdict
    return tuple(n for n in names if len(n) <= 255)[:DEFAULT_NAMES_MAX]


def status_of(findings: Iterable[Finding]) -> Status:
    """Worst severity decides: critical -> CRITICAL, warning -> WARNING, else OK."""
    severities = {f.severity for f in findings}
    if Severity.CRITICAL in severities:
        return Status.CRITICAL
    if Severity.WARNING in severities:
        return Status.WARNING
    return Status.OK


@dataclass(frozen=True)
class CertificateVerdicts:
    """What the judge decides of a certificate before any typed name: who gets which
    certificate, each client's refusals (validator, trust store, its own rules) and the
    findings that say them.  A fleet serves one certificate (a wildcard, a multi-name one) for
    many names: :mod:`mailcert.doctor` remembers this part per chain and judges only the names."""

    chosen: tuple[ClientProfile, ...]
    facts_of: Callable[[str], CertificateFacts]  # the certificate each client gets
    groups: tuple[tuple[CertificateFacts, tuple[ClientProfile, ...]], ...]  # clients by the certificate they get
    refusals: Mapping[str, Sequence[Refusal]]
    policy: tuple[Finding, ...]


def judge_certificate(
    facts: CertificateFacts,
    judgement: Judgement,
    *,
    served_to: Mapping[str, CertificateFacts] | None = None,
    chain: Sequence[x509.Certificate] | None = None,
) -> CertificateVerdicts:
    """The name-independent part of :func:`assess_certificate` (same arguments, no names)."""
    chosen = tuple(judgement.profiles)
    now = judgement.clock()
    served = dict(served_to or {})
    trust: dict[str, TrustResult] | None = None
    public: bool | None = None
    if chain:
        store = judgement.trust_store()
        trust = judge_chains(chain, chosen, store, now=now)
        # private anchors: private; public ones: public when a client's validator reaches
        # them, unknown otherwise (a missing intermediate hides where the chain ends)
        public = (True if any(t.trusted for t in trust.values()) else None) if store.public else False
        # a validator that changed the names its client then reads (the JDK): that client's own view
        served.update({c: facts_as_read(served.get(c, facts), t) for c, t in trust.items() if t.added_names})

    def facts_of(client: str) -> CertificateFacts:
        return served.get(client, facts)

    # clients grouped by the certificate they get: verdicts_for then decides once per rule set
    groups: dict[int, tuple[CertificateFacts, list[ClientProfile]]] = {}
    for p in chosen:
        f = facts_of(p.id)
        groups.setdefault(id(f), (f, []))[1].append(p)
    refusals = refusals_of(chosen, facts_of, trust, public, outdated_sent(chain, now) if chain else None)
    grouped = tuple((f, tuple(group)) for f, group in groups.values())
    return CertificateVerdicts(chosen, facts_of, grouped, refusals, tuple(_policy_findings(chosen, refusals)))


def assess_certificate(
    facts: CertificateFacts,
    names: Sequence[str],
    judgement: Judgement,
    *,
    source: str = "CERT",
    served_to: Mapping[str, CertificateFacts] | None = None,
    chain: Sequence[x509.Certificate] | None = None,
    of_certificate: CertificateVerdicts | None = None,
) -> Assessment:
    """Judge one certificate for the names users type, by every profile of ``judgement``.

    ``served_to`` maps a client id to the certificate *that* client gets when it differs
    (a server whose default certificate, shown to clients without SNI, is another one).
    ``chain`` (leaf first, as served) is judged by each client's validator against the
    judgement's trust store; the client's own rules on the leaf apply either way, so a result
    never says accepted where that client refuses the certificate.  ``of_certificate``: what
    :func:`judge_certificate` made of these very arguments, when the caller kept it.
    """
    c = of_certificate or judge_certificate(facts, judgement, served_to=served_to, chain=chain)
    now = judgement.clock()
    results: list[NameVerdict] = []
    found: list[Finding] = []
    for name in names:
        by_client = {v.client: v for f, group in c.groups for v in _verdicts(f.identifiers, name, group)}
        verdicts = [by_client[p.id] for p in c.chosen]
        results.extend(whole_verdict(v, c.refusals[v.client]) for v in verdicts)
        found.extend(_name_findings(facts, c.facts_of, name, verdicts, source))
    found.extend(c.policy)
    found.extend(_certificate_findings(facts, names[0] if names else "NAME", now, judgement.warn_days, judgement.critical_days,
                                       functools.partial(_who_refuses, c.chosen, c.refusals)))
    unique = ordered_findings(found)
    return Assessment(status_of(unique), facts, tuple(names), tuple(results), tuple(unique), judgement.judged(now, with_store=False))


def _verdicts(ids: PresentedIdentifiers, name: str, group: Sequence[ClientProfile]) -> Sequence[NameVerdict]:
    """verdicts_for, remembered for the built-in profiles: verdicts are pure values of the
    certificate's names and the typed name, and a fleet scan asks the same question per port."""
    if all(PROFILES.get(p.id) is p for p in group):
        return _table_verdicts(ids, name, tuple(p.id for p in group))
    return verdicts_for(ids, name, group)


@functools.lru_cache(maxsize=2048)
def _table_verdicts(ids: PresentedIdentifiers, name: str, clients: tuple[str, ...]) -> tuple[NameVerdict, ...]:
    return tuple(verdicts_for(ids, name, [PROFILES[c] for c in clients]))


def ordered_findings(findings: Iterable[Finding]) -> list[Finding]:
    """Duplicates dropped, worst first (critical, warning, info), otherwise as found."""
    unique = {(f.code, f.title): f for f in findings}.values()
    return sorted(unique, key=lambda f: _RANK[f.severity])


def _name_findings(
    facts: CertificateFacts,
    facts_of: Callable[[str], CertificateFacts],
    name: str,
    verdicts: list[NameVerdict],
    source: str,
) -> list[Finding]:
    out: list[Finding] = []
    refused = [v for v in verdicts if not v.accepted]
    if not name.isascii():
        alabel = _alabel(name)
        out.append(finding("unicode-name", name=name, alabel=alabel))
    unchecked = [v for v in verdicts if v.warning is not None]
    if unchecked:
        out.append(finding("no-host-check", clients=", ".join(PROFILES[v.client].title for v in unchecked)))
    if not refused:
        return out
    if len(refused) == len(verdicts) - len(unchecked):
        presented = ", ".join(f"{t}:{v}" for t, v in facts.san) or ", ".join(f"CN={c}" for c in facts.common_names) or "none"
        suggest = (facts.dns_names or facts.common_names or ("a name of the certificate",))[0]
        out.append(finding("name-absent", name=name, presented=presented, suggest=suggest))
        return out
    outlook = facts_of("outlook2007")
    dns_lower = [d.lower() for d in outlook.dns_names]
    plain = name.lower().rstrip(".")
    rest = refused
    if any(v.client == "outlook2007" for v in refused) and plain in dns_lower[1:]:
        out.append(
            finding(
                "first-san-not-name",
                name=name,
                first=outlook.dns_names[0],
                position=dns_lower.index(plain) + 1,
                file=source,
            )
        )
        rest = [v for v in refused if v.client != "outlook2007"]
    if rest:
        out.append(
            finding(
                "clients-refuse",
                name=name,
                clients=", ".join(PROFILES[v.client].title for v in rest),
                details="; ".join(f"{PROFILES[v.client].title}: {v.reason}" for v in rest),
            )
        )
    return out


def trust_findings(trust: TrustResult, name: str, target: str, verdicts: Sequence[NameVerdict] = ()) -> list[Finding]:
    """The chain as the administrator's own store sees it (``check``, ``inspect --chain/--cafile``):
    what is missing or untrusted, with the remedy, and what the server sends needlessly.

    ``verdicts`` (the clients' whole verdicts for ``name``) say who connects anyway when an
    intermediate is missing (Windows and Apple fetch it by AIA), so the finding never says a
    client refuses that the table shows connecting."""
    out: list[Finding] = []
    if not trust.trusted:
        code = _TRUST_FINDINGS.get(trust.problem, "chain-broken")
        facts: dict[str, str] = {"detail": trust.detail, "name": name, "target": target}
        if code == "chain-incomplete":
            connect = dict.fromkeys(PROFILES[v.client].title if v.client in PROFILES else v.client
                                    for v in verdicts if v.accepted and v.name == name)
            facts["connect"] = ", ".join(connect) or "none"
        out.append(finding(code, **facts))
    if trust.extra_sent:
        out.append(finding("chain-extra", extra=", ".join(trust.extra_sent)))
    return out


def _policy_findings(chosen: Sequence[ClientProfile], refusals: Mapping[str, Sequence[Refusal]]) -> list[Finding]:
    """One finding per refusal code, naming the clients that refuse for it: the table and the
    findings say the same thing."""
    by_code: dict[str, list[tuple[ClientProfile, Refusal]]] = {}
    for p in chosen:
        for r in refusals[p.id]:
            by_code.setdefault(r.code, []).append((p, r))
    out: list[Finding] = []
    for code, pairs in by_code.items():
        everyone = len({p.id for p, _ in pairs}) == len(chosen)
        if everyone and code in _CHAIN_FINDING_CODES:
            continue  # the chain finding (chain-self-signed, chain-incomplete...) already says it, with the remedy
        out.append(
            finding(
                "clients-refuse-certificate" if not everyone else "all-clients-refuse-certificate",
                reason_code=code,
                clients=", ".join(p.title for p, _ in pairs),
                details="; ".join(f"{p.title}: {r.reason}" for p, r in pairs),
            )
        )
    return out


def _who_refuses(chosen: Sequence[ClientProfile], refusals: Mapping[str, Sequence[Refusal]], code: str) -> dict[str, str]:
    """The clients judged here that refuse for reason ``code`` and the mail clients that do not,
    as finding facts: a finding about a property of the certificate names the clients from
    their verdicts, never from a fixed list the table could contradict."""
    clients = [p for p in chosen if p.group is not ClientGroup.SENDER]
    refuse = [p.title for p in clients if any(r.code == code for r in refusals[p.id])]
    others = [p.title for p in clients if all(r.code != code for r in refusals[p.id])]
    return {"refuse": ", ".join(refuse) or "none", "unchecked": ", ".join(others) or "none"}


def _certificate_findings(
    facts: CertificateFacts, name: str, now: dt.datetime, warn_days: int, critical_days: int | None,
    who_refuses: Callable[[str], dict[str, str]],
) -> list[Finding]:
    out: list[Finding] = []
    if not facts.has_san_extension and facts.common_names:
        out.append(finding("cn-only", name=name))
    dns_lower = [d.lower() for d in facts.dns_names]
    for cn in facts.common_names:
        if dns_lower and cn.lower() not in dns_lower:
            out.append(finding("cn-not-in-san", cn=cn))
    for i, pattern in enumerate(facts.dns_names):
        if "*" not in pattern:
            continue
        labels = pattern.split(".")
        if len(labels) < 3 or any(not label for label in labels) or "*" in ".".join(labels[1:]):
            out.append(finding("wildcard-too-broad", pattern=pattern, name=name))
        elif labels[0] != "*":
            out.append(finding("partial-wildcard", pattern=pattern))
        elif i == 0:
            out.append(finding("wildcard-first-san", pattern=pattern, name=name))
    def when() -> dict[str, str]:  # the dates as text only for a finding that shows them
        return {"not_after": _day(facts.not_after), "not_before": _day(facts.not_before), "name": name}

    if now > facts.not_after:
        out.append(finding("expired", **when()))
    elif now < facts.not_before:
        out.append(finding("not-yet-valid", **when()))
    else:
        days = facts.days_left(now)
        if critical_days is not None and days <= critical_days:
            out.append(finding("expiring-critical", days=days, critical_days=critical_days, **when()))
        elif days <= warn_days:
            out.append(finding("expiring-soon", days=days, warn_days=warn_days, **when()))
    if facts.key_type == "RSA" and facts.key_bits < 2048:
        out.append(finding("weak-rsa-key", bits=facts.key_bits, name=name))
    if facts.signature_hash in _WEAK_HASHES:
        out.append(finding("sha1-signature", hash=facts.signature_hash.upper()))
    if facts.eku is not None and not {"serverAuth", "anyExtendedKeyUsage"} & set(facts.eku):
        out.append(finding("no-server-auth-eku", eku=", ".join(facts.eku) or "nothing", **who_refuses("eku")))
    if facts.eku is None and facts.not_before >= _APPLE_825_SINCE:
        out.append(finding("apple-eku-missing", name=name))
    if facts.is_ca:
        out.append(finding("ca-as-server"))
    if facts.self_signed:
        out.append(finding("self-signed", name=name))
    if facts.not_before >= _APPLE_825_SINCE and facts.validity_days > 825.5:
        out.append(finding("validity-too-long", days=int(facts.validity_days)))
    return out


def _day(when: dt.datetime) -> str:
    return when.strftime("%Y-%m-%d %H:%M UTC")


def _alabel(name: str) -> str:
    # lazy: only a Unicode name needs the idna package; check's start-up does not
    import idna

    try:
        return idna.encode(name, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError):
        return "(no valid A-label form)"
