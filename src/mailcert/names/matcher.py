"""The name engine: one pure function, ``check_name(profile, identifiers, name)``.

It reads the profile table (``profiles.py``) and never touches the network.  A refusal is a
value (:class:`NameVerdict` with ``accepted=False``) whose ``reason`` says why in terms a mail
administrator can act on; exceptions are reserved for "could not find out".
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import idna as _idna

from mailcert.names.identifiers import PresentedIdentifiers, _ascii_lower
from mailcert.names.profiles import (
    PROFILES,
    ClientProfile,
    CnChoice,
    CnFallback,
    Idna,
    IpHandling,
    NameSource,
    WildcardRule,
)

__all__ = ["NameVerdict", "check_name", "verdicts_for", "reference_form"]

# Public suffixes with more than one label that certificate wildcards are seen on.  Only the
# Java profile uses this (its HostnameChecker refuses wildcards on a registry-controlled
# suffix); single-label suffixes are already refused by ``min_labels``.
_MULTI_LABEL_SUFFIXES = frozenset(
    {"co.uk", "org.uk", "ac.uk", "gov.uk", "com.au", "net.au", "org.au", "co.jp", "ne.jp",
     "co.nz", "co.za", "com.br", "com.cn", "co.in", "co.kr", "com.mx", "com.tr", "co.il"}
)


class NameVerdict(NamedTuple):
    """One client's answer for one typed name: accepted or not, and why.

    ``name`` is the name exactly as the user gave it; ``matched`` the presented identifier
    that satisfied the client (``"DNS:remote.contoso.com"``); ``message`` what the client
    shows its user when it refuses, where known.
    """

    name: str
    client: str
    accepted: bool
    reason: str
    message: str | None = None
    matched: str | None = None


@dataclass(frozen=True)
class _Reference:
    """The typed name as one client sees it: an A-label/ASCII host, or an IP address."""

    host: str
    ip: ipaddress.IPv4Address | ipaddress.IPv6Address | None


class _Refused(Exception):
    """The client cannot even form a reference identifier from the typed name."""


def reference_form(profile: ClientProfile, name: str) -> _Reference:
    """Normalise the typed name the way ``profile``'s client does (may raise _Refused)."""
    host = name
    if profile.strip_host_dot and host.endswith(".") and len(host) > 1:
        host = host[:-1]
    if not host:
        raise _Refused("the server name is empty")
    ip = _parse_ip(host)
    if ip is not None and profile.ip in (IpHandling.SAN_IP, IpHandling.SAN_IP_OR_CN, IpHandling.AS_TEXT_OR_SAN_IP):
        return _Reference(host, ip)
    if not host.isascii():
        host = _to_ascii(profile.idna, host)
    return _Reference(_ascii_lower(host), None)


def _parse_ip(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    if not (host[0].isdigit() or ":" in host):
        return None  # cheap pre-check: ip_address() raising costs more than all matching
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def _to_ascii(mode: Idna, host: str) -> str:
    if mode is Idna.RAW:
        return host
    if mode is Idna.REFUSE:
        raise _Refused(f"this client does not accept non-ASCII server names such as {host!r}")
    try:
        if mode is Idna.IDNA2003:
            return host.encode("idna").decode("ascii")
        return _idna.encode(host, uts46=True).decode("ascii")
    except (UnicodeError, _idna.IDNAError) as exc:
        raise _Refused(f"{host!r} is not a valid internationalised name for this client ({exc})") from None


# (accepted, reason, matched): what a profile's *rules* decide, before its words are added
_Decision = tuple[bool, str, str | None]


def _rules_key(profile: ClientProfile) -> tuple[object, ...]:
    """Profiles with equal rules decide alike; verdicts_for decides once per rule set."""
    return (profile.reads, profile.cn_fallback, profile.cn_choice, profile.wildcard, profile.idna,
            profile.strip_host_dot, profile.strip_pattern_dot, profile.ip)


def _decide(profile: ClientProfile, ids: PresentedIdentifiers, name: str) -> _Decision:
    try:
        ref = reference_form(profile, name)
    except _Refused as exc:
        return (False, str(exc), None)
    return _decide_ref(profile, ids, ref)


def _decide_ref(profile: ClientProfile, ids: PresentedIdentifiers, ref: _Reference) -> _Decision:
    if ids.san_error is not None:
        return (False, f"the certificate's subjectAltName cannot be decoded ({ids.san_error})", None)
    if ref.ip is not None:
        matched = _match_ip(profile, ids, ref)
        if matched:
            return (True, f"matches {matched}", matched)
        if profile.ip is not IpHandling.AS_TEXT_OR_SAN_IP:
            return (False, _ip_reason(ids, ref), None)
    host = ref.host
    dns = ids.dns_lower
    if profile.reads is NameSource.FIRST_DNS:
        dns = dns[:1]
    if host in dns:  # the common case: an exact SAN name, no wildcard rules needed
        matched = "DNS:" + ids.dns_names[dns.index(host)]
        return (True, "matches " + matched, matched)
    candidates = _dns_candidates(profile, ids)
    for kind, pattern in candidates:
        if _pattern_matches(pattern, ref.host, profile, from_cn=kind == "CN"):
            matched = f"{kind}:{pattern}"
            how = " (no SAN DNS name, so this client falls back to the CN)" if kind == "CN" else ""
            return (True, f"matches {matched}{how}", matched)
    return (False, _explain(profile, ids, ref, candidates), None)


def _verdict(profile: ClientProfile, ids: PresentedIdentifiers, name: str, decision: _Decision) -> NameVerdict:
    accepted, reason, matched = decision
    if accepted:
        return NameVerdict(name, profile.id, True, reason, None, matched)
    return _refuse(profile, ids, name, reason)


def check_name(profile: ClientProfile, ids: PresentedIdentifiers, name: str) -> NameVerdict:
    """Would ``profile``'s client accept a certificate presenting ``ids`` for ``name``?"""
    return _verdict(profile, ids, name, _decide(profile, ids, name))


def verdicts_for(
    cert_or_ids: object,
    name: str,
    profiles: Iterable[ClientProfile] | None = None,
) -> list[NameVerdict]:
    """Every profile's verdict for ``name`` (a certificate or already-read identifiers)."""
    if isinstance(cert_or_ids, PresentedIdentifiers):
        ids = cert_or_ids
    else:
        from cryptography import x509

        if not isinstance(cert_or_ids, x509.Certificate):
            raise TypeError("verdicts_for() needs a cryptography Certificate or PresentedIdentifiers")
        ids = PresentedIdentifiers.from_certificate(cert_or_ids)
    chosen = PROFILES.values() if profiles is None else profiles
    decided: dict[object, _Decision] = {}
    refs: dict[object, _Reference | str] = {}
    out = []
    for p in chosen:
        key, ref_key = _KEYS[p.id] if PROFILES.get(p.id) is p else _keys(p)
        decision = decided.get(key)
        if decision is None:
            ref = refs.get(ref_key)
            if ref is None:
                try:
                    ref = refs[ref_key] = reference_form(p, name)
                except _Refused as exc:
                    ref = refs[ref_key] = str(exc)
            decision = decided[key] = (False, ref, None) if isinstance(ref, str) else _decide_ref(p, ids, ref)
        out.append(_verdict(p, ids, name, decision))
    return out


def _keys(profile: ClientProfile) -> tuple[object, object]:
    """(rules key, reference-form key): equal keys decide alike / normalise alike."""
    return _rules_key(profile), (profile.strip_host_dot, profile.idna, profile.ip)


def _interned_keys() -> dict[str, tuple[object, object]]:
    # small ints instead of tuples of enums: hashing enums dominated verdicts_for's cost
    rules: dict[object, int] = {}
    refs: dict[object, int] = {}
    out: dict[str, tuple[object, object]] = {}
    for p in PROFILES.values():
        r, f = _keys(p)
        out[p.id] = (rules.setdefault(r, len(rules)), refs.setdefault(f, len(refs)))
    return out


_KEYS = _interned_keys()


# --- presented identifiers --------------------------------------------------------------


def _dns_candidates(profile: ClientProfile, ids: PresentedIdentifiers) -> list[tuple[str, str]]:
    dns = ids.dns_names
    out: list[tuple[str, str]] = [("DNS", d) for d in (dns[:1] if profile.reads is NameSource.FIRST_DNS else dns)]
    if _uses_cn(profile, ids):
        cns = ids.common_names
        if profile.cn_choice is CnChoice.FIRST:
            cns = cns[:1]
        elif profile.cn_choice is CnChoice.LAST:
            cns = cns[-1:]
        out.extend(("CN", cn) for cn in cns)
    return out


def _uses_cn(profile: ClientProfile, ids: PresentedIdentifiers) -> bool:
    rule = profile.cn_fallback
    if rule is CnFallback.NEVER:
        return False
    if rule is CnFallback.NO_SAN_EXTENSION:
        return not ids.has_san_extension
    if rule is CnFallback.NO_SAN_DNS:
        return not ids.dns_names
    return not ids.dns_names and not ids.ip_addresses


def _match_ip(profile: ClientProfile, ids: PresentedIdentifiers, ref: _Reference) -> str | None:
    for value in ids.ip_addresses:
        try:
            if ipaddress.ip_address(value) == ref.ip:
                return f"IP:{value}"
        except ValueError:
            continue  # a network (name constraint form), never a match
    if profile.ip is IpHandling.SAN_IP_OR_CN and not ids.dns_names and not ids.ip_addresses:
        for cn in ids.common_names:
            if cn.strip() == ref.host:
                return f"CN:{cn}"
    return None


def _ip_reason(ids: PresentedIdentifiers, ref: _Reference) -> str:
    if not ids.ip_addresses:
        return f"{ref.host} is an IP address and the certificate has no SAN IP address entry"
    return f"{ref.host} is not among the certificate's IP addresses ({', '.join(ids.ip_addresses)})"


# --- matching ---------------------------------------------------------------------------


def _pattern_matches(pattern: str, host: str, profile: ClientProfile, *, from_cn: bool) -> bool:
    pattern = _ascii_lower(pattern)
    if profile.strip_pattern_dot and pattern.endswith(".") and len(pattern) > 1:
        pattern = pattern[:-1]
    if "*" not in pattern:
        return pattern == host
    rule = profile.wildcard
    if from_cn and not rule.in_cn:
        return False
    return _wildcard_problem(pattern, host, rule) is None


def _wildcard_problem(pattern: str, host: str, rule: WildcardRule) -> str | None:
    """Why the wildcard ``pattern`` does not cover ``host`` under ``rule`` (None: it does)."""
    if not rule.allowed:
        return "this client does not accept wildcards"
    plabels = pattern.split(".")
    first, rest = plabels[0], plabels[1:]
    if "*" in ".".join(rest):
        return "the star is not in the left-most label"
    if first.count("*") != 1:
        return "more than one star"
    if len(plabels) < rule.min_labels or any(not label for label in rest):
        return "the wildcard is too broad (it would cover a whole top-level domain)"
    if not rule.public_suffix and ".".join(rest) in _MULTI_LABEL_SUFFIXES:
        return f"the wildcard covers the public suffix {'.'.join(rest)}"
    if first != "*" and not rule.partial:
        return "partial-label wildcards (f*.example.com) are not accepted"
    if not rule.idna_ok and first != "*" and first.startswith("xn--"):
        return "a wildcard inside an A-label (xn--) is not accepted"
    hlabels = host.split(".")
    if len(hlabels) != len(plabels):
        return "a wildcard covers exactly one label"
    if hlabels[1:] != rest:
        return "the rest of the name differs"
    label = hlabels[0]
    prefix, suffix = first.split("*")
    if not rule.idna_ok and first != "*" and label.startswith("xn--"):
        return "a partial wildcard never matches an A-label (xn--)"
    if len(label) < len(prefix) + len(suffix) + (0 if rule.empty_ok else 1):
        return "the star must match at least one character"
    if not (label.startswith(prefix) and label.endswith(suffix)):
        return "the left-most label does not fit the wildcard"
    return None


# --- explanations -----------------------------------------------------------------------


def _refuse(profile: ClientProfile, ids: PresentedIdentifiers, name: str, reason: str) -> NameVerdict:
    message = profile.message
    if message is not None and "{" in message:
        valid = ", ".join(ids.dns_names) or ", ".join(ids.common_names) or "no names"
        message = message.replace("{name}", name).replace("{valid}", valid)
    return NameVerdict(name, profile.id, False, reason, message, None)


def _explain(profile: ClientProfile, ids: PresentedIdentifiers, ref: _Reference, checked: Sequence[tuple[str, str]]) -> str:
    """The most useful single reason for a refusal, in the order an admin would look."""
    host = ref.host
    dns = ids.dns_lower
    if profile.reads is NameSource.FIRST_DNS and dns and host in dns[1:]:
        pos = dns.index(host) + 1
        return (
            f"the client reads only the first SAN DNS name ({ids.dns_names[0]});"
            f" {host} is listed at position {pos}"
        )
    cn_lower = ids.cn_lower
    if host in cn_lower and not any(k == "CN" for k, _ in checked):
        if ids.dns_names:
            return f"{host} is only in the subject CN; this client ignores the CN when the SAN has DNS names"
        return f"{host} is only in the subject CN (no SAN); this client never reads the CN"
    for kind, pattern in checked:
        p = _ascii_lower(pattern)
        if p.startswith("*.") and host.endswith(p[1:]) and host.count(".") > p.count("."):
            return f"wildcard {kind}:{pattern} covers exactly one label, and {host} has more in its place"
        if "*" in p:
            problem = _wildcard_problem(p, host, profile.wildcard)
            if problem and _loose_wildcard(p, host):
                return f"wildcard {kind}:{pattern} does not cover {host}: {problem}"
        elif p.rstrip(".") == host.rstrip(".") and p != host:
            return f"{kind}:{pattern} differs from {host} only by a trailing dot, which this client does not ignore"
    if not checked:
        if ids.common_names and profile.cn_fallback is CnFallback.NEVER:
            return "the certificate has no SAN DNS name and this client never reads the CN"
        return "the certificate presents no DNS name at all"
    shown = ", ".join(f"{k}:{v}" for k, v in checked[:6]) + (" ..." if len(checked) > 6 else "")
    return f"{host} matches none of the names this client reads ({shown})"


def _loose_wildcard(pattern: str, host: str) -> bool:
    """Does the pattern look meant for the host (same label count, same parent)?"""
    p, h = pattern.split("."), host.split(".")
    return len(p) == len(h) and all(a == b or "*" in a for a, b in zip(p, h))
