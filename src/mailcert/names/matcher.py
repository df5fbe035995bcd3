"""The name engine: one pure function, ``check_name(profile, identifiers, name)``.

It reads the profile table (``profiles.py``) and never touches the network.  A refusal is a
value (:class:`NameVerdict` with ``accepted=False``) whose ``reason`` says why in terms a mail
administrator can act on; exceptions are reserved for "could not find out".

Every rule below is driven by a profile field; no client is named here.  The order of the
steps follows what the real libraries do (``tests/differential`` compares them):

1. the typed name becomes a reference identifier (``reference_form``): an IP address in one
   of the spellings the client reads as one, else a host name with trailing dots dropped,
   converted to an A-label, lower-cased and checked against the client's host syntax;
2. a certificate whose SAN holds an entry the client cannot read is refused whole;
3. an IP is matched against iPAddress entries (and, for some clients, the CN as text);
4. a host name is compared with the SAN DNS names, or the CN when the client falls back to
   it: exactly, then as a wildcard under the client's :class:`WildcardRule`.
"""

from __future__ import annotations

import ipaddress
import json
import re
import stringprep
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, NamedTuple

from mailcert.names.identifiers import PresentedIdentifiers, _ascii_lower
from mailcert.names.profiles import (
    PROFILES,
    ClientProfile,
    CnChoice,
    CnFallback,
    NulRule,
    Idna,
    IpForm,
    IpHandling,
    NameSource,
    NameSyntax,
    WildcardRule,
)

if TYPE_CHECKING:
    from cryptography import x509  # only for the annotation: pure name checks need no cryptography

__all__ = ["NameVerdict", "check_name", "verdicts_for", "reference_form"]

# Public suffixes with more than one label that certificate wildcards are seen on, for a
# profile with ``public_suffix=False``; single-label suffixes are already refused by
# ``min_labels``.
_MULTI_LABEL_SUFFIXES = frozenset(
    {"co.uk", "org.uk", "ac.uk", "gov.uk", "com.au", "net.au", "org.au", "co.jp", "ne.jp",
     "co.nz", "co.za", "com.br", "com.cn", "co.in", "co.kr", "com.mx", "com.tr", "co.il"}
)


class NameVerdict(NamedTuple):
    """One client's answer for one typed name: accepted or not, and why.

    ``name`` is the name exactly as the user gave it; ``matched`` the presented identifier
    that satisfied the client (``"DNS:remote.contoso.com"``); ``message`` what the client
    shows its user when it refuses, where known; ``warning`` set when the client accepts
    without having checked the name at all.
    """

    name: str
    client: str
    accepted: bool
    reason: str
    message: str | None = None
    matched: str | None = None
    warning: str | None = None
    code: str | None = None  # why refused (mailcert.verdicts.REASON_CODES); None when accepted


NO_HOST_CHECK = "this client checks no host name: any certificate from a CA it trusts would be accepted, whoever it names"


class _Reference(NamedTuple):
    """The typed name as one client sees it: an A-label/ASCII host, or an IP address.

    ``typed`` is the name as typed, ASCII lower-cased: what an exact comparison uses;
    ``exact_only`` marks a name that failed the client's host syntax and that the client
    then compares only exactly; ``plain`` an ordinary host name (letters, digits, hyphens,
    starting with a letter), which every client reads alike and every syntax accepts.
    """

    host: str
    ip: ipaddress.IPv4Address | ipaddress.IPv6Address | None
    typed: str = ""
    exact_only: bool = False
    plain: bool = False


class _Refused(Exception):
    """The client cannot even form a reference identifier from the typed name."""


def reference_form(profile: ClientProfile, name: str) -> _Reference:
    """Normalise the typed name the way ``profile``'s client does (may raise _Refused)."""
    if not name:
        raise _Refused("the server name is empty")
    if profile.url_host:
        name = _url_host(name)
    typed = _ascii_lower(name)
    if _is_plain(typed):
        return _Reference(typed, None, typed, False, True)
    host = _strip_dots(name, profile.strip_host_dots)
    if profile.ip is not IpHandling.AS_TEXT:
        ip = _parse_ip(name, profile.ip_forms)
        if ip is not None:
            return _Reference(host, ip, typed)
    if not host.isascii():
        host = _to_ascii(profile.idna, host)
    host = _ascii_lower(host)
    syntax = profile.host_syntax
    # DNS_ID judges the name as typed, final dot included (mozilla::pkix counts it in the 253)
    checked = host + name[len(_strip_dots(name, profile.strip_host_dots)):] if syntax is NameSyntax.DNS_ID else host
    if syntax is NameSyntax.ANY or _HOST_OK[syntax](checked):
        return _Reference(host, None, typed)
    if profile.invalid_exact:
        return _Reference(host, None, typed, True)
    raise _Refused(f"this client refuses the server name {name!r}: a name must be {syntax.value}")


def _url_host(name: str) -> str:
    """The host the WHATWG URL parser reads from ``name`` as a URL's authority, brackets off.

    Ada (the parser Node uses) rather than a hand-written one: the standard's host parser is
    UTS #46 with its own flags, an IPv4 parser of four radices and a list of forbidden code
    points, all of which decide what a client like Thunderbird connects to.  A bare IPv6
    address is bracketed first, as a client building the URL from it must.
    """
    import ada_url  # only profiles that parse URLs need it (start-up time)

    bracketed = f"[{name}]" if name.count(":") > 1 and not name.startswith("[") else name
    try:
        host = ada_url.URL("https://" + bracketed).hostname
    except ValueError:
        host = ""
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if not host:
        raise _Refused(f"this client's URL parser refuses the server name {name!r}")
    return host


def _strip_dots(name: str, count: int) -> str:
    for _ in range(count):
        if len(name) > 1 and name[-1] == ".":
            name = name[:-1]
    return name


_IP_START = frozenset("0123456789:[")
_HEX = frozenset("0123456789abcdefABCDEF")
_OCT = frozenset("01234567")


def _parse_ip(name: str, forms: tuple[IpForm, ...]) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address ``name`` spells for a client reading ``forms``, or None (a host name)."""
    if name[0] not in _IP_START and ":" not in name and not (name[0].isspace() and IpForm.LEADING_SPACE in forms):
        return None  # cheap pre-check: parsing costs more than all matching
    text = name
    if forms:
        if IpForm.TRAILING_DOT in forms and text.endswith("."):
            text = text[:-1]
        if IpForm.BRACKETS in forms and len(text) > 2 and text[0] == "[" and text[-1] == "]":
            text = text[1:-1]
    if ":" in text:
        text, percent, zone = text.partition("%")
        try:
            ip6 = ipaddress.IPv6Address(text)
        except ValueError:
            return None
        if percent and not (IpForm.ZONE in forms or (IpForm.ZONE_GETADDRINFO in forms and _getaddrinfo_zone(ip6, zone))):
            return None
        if ip6.ipv4_mapped is not None and IpForm.V4_MAPPED in forms:
            return ip6.ipv4_mapped
        return ip6
    if IpForm.LEADING_SPACE in forms:
        text = text.lstrip()
    if IpForm.TRAILING_JUNK in forms:
        words = text.split(None, 1)
        text = words[0] if words else text
    return _parse_ipv4(text, forms)


def _getaddrinfo_zone(ip6: ipaddress.IPv6Address, zone: str) -> bool:
    """glibc's getaddrinfo takes a numeric zone on any address, a name on link-local ones only."""
    if zone.isdigit() and zone.isascii():
        return True
    link_local = ip6.is_link_local or (ip6.is_multicast and ip6.packed[1] & 0x0F == 2)
    return link_local and bool(zone)


def _parse_ipv4(text: str, forms: tuple[IpForm, ...]) -> ipaddress.IPv4Address | None:
    parts = text.split(".")
    if len(parts) > 4 or not text.isascii():
        return None
    radix = IpForm.C_RADIX in forms
    values = []
    for part in parts:
        if not part:
            return None
        if radix and len(part) > 1 and part[0] == "0":
            if part[1] in "xX":
                digits = part[2:]
                if not digits or not _HEX.issuperset(digits):
                    return None
                values.append(int(digits, 16))
            elif _OCT.issuperset(part):
                values.append(int(part, 8))
            else:
                return None
        elif part.isdigit():
            if part[0] == "0" and len(part) > 1 and IpForm.ZERO_PADDED not in forms:
                return None
            values.append(int(part))
        else:
            return None
    count = len(values)
    if count < 4 and not (radix or (IpForm.SHORT in forms and count > 1)):
        return None
    # inet_aton: the last part fills the bytes the earlier ones leave
    head, last = values[:-1], values[-1]
    if any(v > 255 for v in head) or last >= 1 << (8 * (5 - count)):
        return None
    number = last
    for position, v in enumerate(head):
        number |= v << (8 * (3 - position))
    return ipaddress.IPv4Address(number)


def _to_ascii(mode: Idna, host: str) -> str:
    if mode is Idna.RAW:
        return host
    if mode is Idna.REFUSE:
        raise _Refused(f"this client does not accept non-ASCII server names such as {host!r}")
    # lazy: only Unicode names need the idna package, and import time is start-up time
    import idna as _idna

    try:
        if mode is Idna.IDNA2003:
            return host.encode("idna").decode("ascii")
        if mode is Idna.IDNA2003_STRICT:
            unassigned = next((c for c in host if stringprep.in_table_a1(c)), None)
            if unassigned is not None:
                raise _Refused(f"{host!r} holds {unassigned!r}, a code point IDNA 2003 does not know (unassigned in Unicode 3.2)")
            return host.encode("idna").decode("ascii")
        if mode is Idna.UTS46_OR_2003:
            try:
                return _idna.encode(host, uts46=True).decode("ascii")
            except (UnicodeError, _idna.IDNAError):
                try:
                    return host.encode("idna").decode("ascii")
                except UnicodeError:
                    return host  # compared as typed: it then matches nothing
        return _idna.encode(host, uts46=True).decode("ascii")
    except (UnicodeError, _idna.IDNAError) as exc:
        raise _Refused(f"{host!r} is not a valid internationalised name for this client ({exc})") from None


def _u_label(label: str) -> str:
    """The Unicode form of an A-label that decodes and round-trips; anything else as is."""
    if label.startswith("xn--"):
        try:
            return label.encode("ascii").decode("idna")
        except UnicodeError:
            pass
    return label


# --- name syntax ---------------------------------------------------------------------------
# One checker per NameSyntax, for typed names (hosts) and for certificate names (patterns,
# where a star stands for a letter).  Names are ASCII-lower-cased first.

_LDH_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_LDH_STAR_LABEL = r"[a-z0-9*](?:[a-z0-9*-]{0,61}[a-z0-9*])?"
_US_LABEL = r"[a-z0-9_][a-z0-9_-]*"
_VISIBLE_LABEL = r"[!-\-/-\x7f]+"  # 0x21-0x7F except the dot


def _full(pattern: str) -> Callable[[str], bool]:
    """A full-match test, compiled on first use: most runs need one or two of these, and
    compiling them all at import cost ``mailcert check`` several milliseconds of start-up."""
    compiled: list[re.Pattern[str]] = []

    def test(name: str) -> bool:
        if not compiled:
            compiled.append(re.compile(pattern))
        return compiled[0].fullmatch(name) is not None

    return test


# An ordinary host name: LDH labels, the first starting with a letter (so no client reads it
# as an IP address), 253 characters at most.  Every client reads it alike, every syntax takes it.
_plain = _full(rf"(?!(?:.*\.)?[0-9]+$)[a-z](?:[a-z0-9-]{{0,61}}[a-z0-9])?(?:\.{_LDH_LABEL})*")


def _is_plain(name: str) -> bool:
    return len(name) <= 253 and _plain(name)


_LABELS_1_63 = _full(r"[^.]{1,63}(?:\.[^.]{1,63})*\.?")
_dn_special_free = _full(r'[^,=+<>#;\\"\x00-\x1f\x7f]*')

_ldh_host = _full(rf"{_LDH_LABEL}(?:\.{_LDH_LABEL})*")
_underscore_host = _full(rf"{_US_LABEL}(?:\.{_US_LABEL})*")
_printable = _full(r"[ -~]{0,255}")
_visible = _full(rf"{_VISIBLE_LABEL}(?:\.{_VISIBLE_LABEL})*")


_DNS_ID_LABEL = r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?"
# mozilla::pkix IsValidDNSID: a typed name (reference) may be absolute, a certificate name
# (presented) may start with a whole-label wildcard that two labels or more follow
_dns_id_host = _full(rf"(?!.{{254}})(?!(?:.*\.)?[0-9]+\.?$){_DNS_ID_LABEL}(?:\.{_DNS_ID_LABEL})*\.?")
_dns_id_pattern = _full(rf"(?!.{{254}})(?!(?:.*\.)?[0-9]+$)(?:\*\.(?=[^.]+\.[^.]))?{_DNS_ID_LABEL}(?:\.{_DNS_ID_LABEL})*")


def _label_lengths(name: str) -> bool:
    return len(name) <= 255 and _LABELS_1_63(name)


def _no_dn_specials(name: str) -> bool:
    return _dn_special_free(name) and "  " not in name and name[:1] != " " and name[-1:] != " "


_HOST_OK: dict[NameSyntax, Callable[[str], bool]] = {
    NameSyntax.LABEL_LENGTHS: _label_lengths,
    NameSyntax.LDH: _ldh_host,
    NameSyntax.LDH_UNDERSCORE: _underscore_host,
    NameSyntax.PRINTABLE: _printable,
    NameSyntax.VISIBLE: _visible,
    NameSyntax.NO_DN_SPECIALS: _no_dn_specials,
    NameSyntax.DNS_ID: _dns_id_host,
}
_PATTERN_OK: dict[NameSyntax, Callable[[str], bool]] = {
    **_HOST_OK,
    NameSyntax.LDH: _full(rf"{_LDH_STAR_LABEL}(?:\.{_LDH_STAR_LABEL})*"),
    NameSyntax.LDH_UNDERSCORE: _full(rf"(?:\*|{_US_LABEL})(?:\.{_US_LABEL})*"),
    NameSyntax.DNS_ID: _dns_id_pattern,
}

_LDH_WILDCARD = _full(r"(?:[a-z0-9*]|[a-z0-9*][a-z0-9*-]*[a-z0-9*])(?:\.(?:[a-z0-9]|[a-z0-9][a-z0-9-]*[a-z0-9]))*")
_LDH_RUN = _full(r"[a-z0-9-]*")
_NUMERIC_HOST = _full(r"[0-9.]*")


# --- deciding ------------------------------------------------------------------------------

# (accepted, reason, matched): what a profile's *rules* decide, before its words are added
_Decision = tuple[bool, str, str | None]

_NOT_RULES = frozenset(
    {"id", "title", "clients", "source", "sends_sni", "message", "cn_message", "cause_messages", "group", "proof", "notes"}
)
_RULE_FIELDS = tuple(f for f in ClientProfile._fields if f not in _NOT_RULES)
_REFERENCE_FIELDS = ("url_host", "strip_host_dots", "idna", "ip", "ip_forms", "host_syntax", "invalid_exact")


def _rules_key(profile: ClientProfile) -> tuple[object, ...]:
    """Profiles with equal rules decide alike; verdicts_for decides once per rule set."""
    return tuple(getattr(profile, name) for name in _RULE_FIELDS)


_UNCHECKED: _Decision = (True, "accepted without a host name check", None)


def _unchecked(profile: ClientProfile, ids: PresentedIdentifiers) -> _Decision:
    """A client that checks no name still has to read the certificate."""
    defect = next((d for d in profile.unreadable_san if d in ids.san_defects), None)
    if ids.san_error is not None or defect is not None:
        what = ids.san_error or f"its subjectAltName holds {defect.value if defect else ''}"
        return (False, f"this client cannot read the certificate: {what}", None)
    return _UNCHECKED


def _decide(profile: ClientProfile, ids: PresentedIdentifiers, name: str) -> _Decision:
    if not profile.checks_host:
        return _unchecked(profile, ids)
    try:
        ref = reference_form(profile, name)
    except _Refused as exc:
        return (False, str(exc), None)
    return _decide_ref(profile, ids, ref)


def _decide_ref(profile: ClientProfile, ids: PresentedIdentifiers, ref: _Reference) -> _Decision:
    decision = _decide_own(profile, ids, ref)
    library = profile.library_check
    if decision[0] and library is not None:
        accepted, reason, _ = _decide_own(library, ids, ref)
        if not accepted:
            return (False, f"{library.title}, which this client also asks, refuses: {reason}", None)
    return decision


def _decide_own(profile: ClientProfile, ids: PresentedIdentifiers, ref: _Reference) -> _Decision:
    if ids.san_error is not None:
        return (False, f"the certificate's subjectAltName cannot be decoded ({ids.san_error})", None)
    if ids.san_defects:
        defect = next((d for d in profile.unreadable_san if d in ids.san_defects), None)
        if defect is not None:
            return (False, f"this client cannot read the certificate: its subjectAltName holds {defect.value}", None)
    if profile.requires_cn and not ids.common_names:
        return (False, "the certificate's subject has no CN, and this client refuses a certificate without one", None)
    if profile.nul is NulRule.REFUSE:
        holder = _nul_holder(profile, ids)
        if holder is not None:
            return (False, f"{holder} holds a NUL byte, and this client then refuses the whole certificate", None)
    if profile.invalid_stops:
        stop = _unreadable_before_match(profile, ids, ref)
        if stop is not None:
            return (False, f"the subjectAltName holds {stop} before any name that matches; this client cannot read it"
                    " and refuses the whole certificate", None)
    if ref.ip is not None:
        matched = _match_ip(profile, ids, ref)
        if matched:
            return (True, f"matches {matched}", matched)
        if profile.ip is not IpHandling.AS_TEXT_OR_SAN_IP:
            return (False, _ip_reason(profile, ids, ref), None)
    host = ref.host
    dns = ids.dns_lower
    if profile.reads is NameSource.FIRST_DNS:
        dns = dns[:1]
    # the common case: an exact SAN name, no wildcard rules needed
    if host in dns and not ref.exact_only and ("*" not in host or profile.wildcard.literal_star):
        index = dns.index(host)
        if ref.plain or profile.pattern_syntax is NameSyntax.ANY or _PATTERN_OK[profile.pattern_syntax](host):
            matched = "DNS:" + ids.dns_names[index]
            return (True, "matches " + matched, matched)
    candidates = _dns_candidates(profile, ids)
    for kind, pattern, lowered in candidates:
        if _covers(lowered, ref, profile, from_cn=kind == "CN"):
            matched = f"{kind}:{pattern}"
            how = " (no SAN DNS name, so this client falls back to the CN)" if kind == "CN" else ""
            return (True, f"matches {matched}{how}", matched)
    return (False, _explain(profile, ids, ref, candidates), None)


def _unreadable_before_match(profile: ClientProfile, ids: PresentedIdentifiers, ref: _Reference) -> str | None:
    """The first SAN entry of the typed name's kind the client cannot read, if it comes before
    every entry that matches (``invalid_stops``: the client reads in order and stops there)."""
    for kind, value in ids.san:
        if ref.ip is not None and kind == "IP":
            if value.startswith("<"):
                return f"an iPAddress of a wrong length ({value})"
            if _match_ip(profile, PresentedIdentifiers(((kind, value),), True, ()), ref):
                return None
        elif ref.ip is None and kind == "DNS":
            lowered = _ascii_lower(value)
            if not _PATTERN_OK[profile.pattern_syntax](lowered):
                return f"DNS:{value!r}, which is no valid DNS name"
            if _covers(lowered, ref, profile, from_cn=False):
                return None
    return None


def _nul_holder(profile: ClientProfile, ids: PresentedIdentifiers) -> str | None:
    """The first name the client reads that holds a NUL (SAN dNSName, or the CN it reads)."""
    for kind, pattern, _ in _dns_candidates(profile, ids):
        if "\0" in pattern:
            return f"{kind}:{pattern!r}"
    return None


def _verdict(profile: ClientProfile, ids: PresentedIdentifiers, name: str, decision: _Decision) -> NameVerdict:
    accepted, reason, matched = decision
    if accepted:
        warning = None if profile.checks_host else NO_HOST_CHECK
        return NameVerdict(name, profile.id, True, reason, None, matched, warning)
    return _refuse(profile, ids, name, reason)


def check_name(profile: ClientProfile, ids: PresentedIdentifiers, name: str) -> NameVerdict:
    """Would ``profile``'s client accept a certificate presenting ``ids`` for ``name``?"""
    return _verdict(profile, ids, name, _decide(profile, ids, name))


def verdicts_for(
    cert_or_ids: x509.Certificate | PresentedIdentifiers,
    name: str,
    profiles: Iterable[ClientProfile] | None = None,
) -> list[NameVerdict]:
    """Every profile's verdict for ``name`` (a certificate or already-read identifiers).

    Raises:
        TypeError: ``cert_or_ids`` is neither a cryptography Certificate nor PresentedIdentifiers.
    """
    if isinstance(cert_or_ids, PresentedIdentifiers):
        ids = cert_or_ids
    else:
        # lazy: the pure name checks keep cryptography out of their import
        from cryptography import x509

        if not isinstance(cert_or_ids, x509.Certificate):
            raise TypeError("verdicts_for() needs a cryptography Certificate or PresentedIdentifiers")
        ids = PresentedIdentifiers.from_certificate(cert_or_ids)
    chosen = PROFILES.values() if profiles is None else profiles
    decided: dict[object, _Decision] = {}
    refs: dict[object, _Reference | str] = {}
    # an ordinary host name reads alike for every client: one reference for all
    typed = _ascii_lower(name)
    plain = _Reference(typed, None, typed, False, True) if _is_plain(typed) else None
    first = _first_dns_decision(ids, plain)
    out = []
    for p in chosen:
        key, ref_key = _TABLE_KEYS.get(id(p)) or _keys(p)
        decision = decided.get(key) if p.checks_host else _unchecked(p, ids)
        if decision is None and first is not None and plain is not None and _reaches_first_dns(p, ids, plain):
            decision = decided[key] = first
        if decision is None:
            ref = plain if plain is not None else refs.get(ref_key)
            if ref is None:
                try:
                    ref = refs[ref_key] = reference_form(p, name)
                except _Refused as exc:
                    ref = refs[ref_key] = str(exc)
            decision = decided[key] = (False, ref, None) if isinstance(ref, str) else _decide_ref(p, ids, ref)
        out.append(_verdict(p, ids, name, decision))
    return out


def _first_dns_decision(ids: PresentedIdentifiers, plain: _Reference | None) -> _Decision | None:
    """The decision of :func:`_decide_ref` for every profile that reaches the match
    (:func:`_reaches_first_dns`), when the typed name is plain and is the certificate's first
    SAN dNSName, on a certificate without anything a client cannot read and without a NUL:
    the usual case, decided once instead of walking each profile's rules; None otherwise."""
    if plain is None or ids.san_error is not None or ids.san_defects or ids.dns_lower[:1] != (plain.host,):
        return None
    if any("\0" in n for n in (*ids.dns_names, *ids.common_names)):
        return None  # a NUL holder: what each client makes of it is its own rule
    matched = "DNS:" + ids.dns_names[0]
    return (True, "matches " + matched, matched)


def _reaches_first_dns(profile: ClientProfile, ids: PresentedIdentifiers, plain: _Reference) -> bool:
    """Does :func:`_decide_ref` reach the exact match of the first dNSName for ``profile`` (and
    the library it also asks), given :func:`_first_dns_decision`'s case?  What comes before the
    match in :func:`_decide_own`: no refusal for a missing CN, and for a client that stops at an
    unreadable SAN entry, a typed name its pattern syntax reads (the first entry is the match)."""
    needs_cn, syntaxes = _TABLE_FIRST_DNS.get(id(profile)) or _first_dns_rules(profile)
    if needs_cn and not ids.common_names:
        return False
    return not syntaxes or all(_PATTERN_OK[s](plain.host) for s in syntaxes)


def _first_dns_rules(profile: ClientProfile) -> tuple[bool, tuple[NameSyntax, ...]]:
    """What :func:`_reaches_first_dns` asks of ``profile`` and the library it also asks: is a CN
    required, and the pattern syntaxes the typed name must pass (those of rules that stop at an
    unreadable entry)."""
    rules = [r for r in (profile, profile.library_check) if r is not None]
    return (any(r.requires_cn for r in rules),
            tuple(r.pattern_syntax for r in rules if r.invalid_stops and r.pattern_syntax is not NameSyntax.ANY))


def _keys(profile: ClientProfile) -> tuple[object, object]:
    """(rules key, reference-form key): equal keys decide alike / normalise alike."""
    return _rules_key(profile), tuple(getattr(profile, name) for name in _REFERENCE_FIELDS)


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
# a built-in profile's keys by the profile's identity (the table's profiles live as long as the
# module): one lookup per profile and verdict, where an id alone could name another profile
_TABLE_KEYS = {id(p): _KEYS[p.id] for p in PROFILES.values()}
_TABLE_FIRST_DNS = {id(p): _first_dns_rules(p) for p in PROFILES.values()}


# --- presented identifiers --------------------------------------------------------------


_Candidate = tuple[str, str, str]  # (kind, name as in the certificate, lower-cased)


def _dns_candidates(profile: ClientProfile, ids: PresentedIdentifiers) -> Sequence[_Candidate]:
    out: Sequence[_Candidate] = ids.dns_candidates
    if profile.reads is NameSource.FIRST_DNS:
        out = out[:1]
    if _uses_cn(profile, ids):
        out = [*out, *(("CN", cn, _ascii_lower(cn)) for cn in _chosen_cns(profile, ids))]
    if profile.nul is NulRule.TRUNCATE:
        out = [(kind, name, low.partition("\0")[0]) for kind, name, low in out]
    return out


def _chosen_cns(profile: ClientProfile, ids: PresentedIdentifiers) -> Sequence[str]:
    cns = ids.common_names
    choice = profile.cn_choice
    if choice is CnChoice.ANY:
        return cns
    if choice is CnChoice.FIRST:
        return cns[:1]
    if choice is CnChoice.ONLY:
        return cns if len(cns) == 1 else ()
    if choice is CnChoice.MOST_SPECIFIC and ids.cn_rdns:
        return (cns[ids.cn_rdns.index(ids.cn_rdns[-1])],)
    return cns[-1:]


def _uses_cn(profile: ClientProfile, ids: PresentedIdentifiers) -> bool:
    rule = profile.cn_fallback
    if rule is CnFallback.NEVER:
        return False
    if rule is CnFallback.ALWAYS:
        return True
    if rule is CnFallback.NO_SAN_EXTENSION:
        return not ids.has_san_extension
    if rule is CnFallback.NO_SAN_DNS:
        return not ids.dns_names
    if rule is CnFallback.NO_SAN_NAME:
        return not _precludes_cn(ids)
    return not ids.dns_names and not ids.ip_addresses


# GnuTLS (3.8.13, Debian 12's 3.7.9-2+deb12u7): PRECLUDES_CN_FALLBACK, and an entry that does
# not fit its 256-byte buffer (GNUTLS_E_SHORT_MEMORY_BUFFER) also ends the CN fallback
_SRV_NAME = ("other", "1.3.6.1.5.5.7.8.7")
_SAN_BUFFER = 256


def _precludes_cn(ids: PresentedIdentifiers) -> str | None:
    """The first SAN entry that stops a GnuTLS client from reading the CN, in words, or None."""
    for kind, value in ids.san:
        if kind in ("DNS", "IP", "URI") or (kind, value) == _SRV_NAME:
            return f"{kind}:{value}"
        if kind == "email" and len(value.encode("utf-8", "surrogateescape")) >= _SAN_BUFFER:
            return f"an {kind} entry of {len(value)} characters"
    return None


def _match_ip(profile: ClientProfile, ids: PresentedIdentifiers, ref: _Reference) -> str | None:
    mapped = IpForm.V4_MAPPED in profile.ip_forms
    for value in ids.ip_addresses:
        try:
            address = ipaddress.ip_address(value)
        except ValueError:
            continue  # a network (name constraint form) or a malformed entry, never a match
        if mapped and isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        if address == ref.ip:
            return f"IP:{value}"
    if profile.ip is IpHandling.SAN_IP_OR_CN and not ids.dns_names and not ids.ip_addresses:
        for cn in _chosen_cns(profile, ids):
            if cn.strip() == ref.host:
                return f"CN:{cn}"
    if profile.ip is IpHandling.SAN_IP_OR_CN_TEXT and not ids.ip_addresses:
        for cn in _chosen_cns(profile, ids):
            if _ascii_lower(cn) == ref.typed:
                return f"CN:{cn}"
    return None


def _ip_reason(profile: ClientProfile, ids: PresentedIdentifiers, ref: _Reference) -> str:
    if ids.ip_addresses:
        return f"{ref.host} is not among the certificate's IP addresses ({', '.join(ids.ip_addresses)})"
    if profile.ip is IpHandling.SAN_IP_OR_CN_TEXT and ids.common_names:
        return f"{ref.host} is an IP address; the certificate has no SAN IP address and its CN is not {ref.host}"
    return f"{ref.host} is an IP address and the certificate has no SAN IP address entry"


# --- matching ---------------------------------------------------------------------------


def _covers(p: str, ref: _Reference, profile: ClientProfile, *, from_cn: bool) -> bool:
    """Does the certificate name ``p`` (lower-cased) cover the reference under ``profile``'s rules?"""
    if from_cn and profile.cn_idna and not p.isascii():
        try:
            p = _ascii_lower(_to_ascii(profile.idna, p))
        except _Refused:
            return False
    if profile.strip_pattern_dot and len(p) > 1 and p[-1] == ".":
        p = p[:-1]
    syntax = profile.pattern_syntax
    if syntax is not NameSyntax.ANY and not _PATTERN_OK[syntax](p):
        return profile.invalid_exact and _exactly(p, ref.typed)
    if ref.exact_only:
        return _exactly(p, ref.typed)
    host = ref.host
    if p == host and ("*" not in p or profile.wildcard.literal_star):
        return True
    if profile.dot_subdomains and len(host) > 1 and host[0] == ".":
        # ".example.com" asks for any name under example.com; stars play no part
        return len(p) > len(host) and p.endswith(host) and "\0" not in p[: -len(host)]
    if "*" not in p or (from_cn and not profile.wildcard.in_cn):
        return False
    return _wildcard_problem(p, host, profile.wildcard) is None


def _exactly(pattern: str, typed: str) -> bool:
    return pattern == typed and pattern not in ("", ".")


def _wildcard_problem(pattern: str, host: str, rule: WildcardRule) -> str | None:
    """Why the wildcard ``pattern`` does not cover ``host`` under ``rule`` (None: it does).

    Both are lower-cased.  String slices rather than label lists: this runs for every
    wildcard name of every certificate, once per distinct rule set.
    """
    if not rule.allowed:
        return "this client does not accept wildcards"
    if not rule.numeric_host_ok and _NUMERIC_HOST(host):
        return "this client never matches a wildcard to a name of digits and dots"
    if rule.anywhere:
        return _anywhere_problem(pattern, host)
    if rule.glob:
        return _glob_problem(pattern, host, rule)
    first, dot, rest = pattern.partition(".")
    core = rest
    if rest[-1:] == ".":
        if not (rule.trailing_dot_ok and len(rest) > 1):
            return "a wildcard name ending in a dot is no wildcard for this client"
        core = rest[:-1]
    if "*" in rest:
        return "the star is not in the left-most label"
    if first.count("*") != 1:
        return "more than one star"
    labels = core.count(".") + 2 if dot else 1
    if labels < rule.min_labels or (dot and (not core or core[0] == "." or core[-1] == "." or ".." in core)):
        return "the wildcard is too broad (it would cover a whole top-level domain)"
    if not rule.public_suffix and core in _MULTI_LABEL_SUFFIXES:
        return f"the wildcard covers the public suffix {core}"
    prefix, _, suffix = first.partition("*")
    if prefix or suffix:
        shape, allowed = (
            ("f*o.example.com", rule.infix) if prefix and suffix
            else ("f*.example.com", rule.prefix) if prefix
            else ("*f.example.com", rule.suffix)
        )
        if not allowed:
            return f"partial-label wildcards ({shape}) are not accepted"
        if not rule.idna_ok and first.startswith("xn--"):
            return "a wildcard inside an A-label (xn--) is not accepted"
    if rule.ldh_only and not _LDH_WILDCARD(pattern):
        return "a wildcard name may hold only letters, digits, hyphens and dots for this client"
    if rule.multi_label and first == "*" and dot:
        return _multi_label_problem(host, rest)
    label, hdot, hrest = host.partition(".")
    if hdot != dot or hrest != rest:
        if host.count(".") != pattern.count("."):
            return "a wildcard covers exactly one label"
        return "the rest of the name differs"
    if not rule.partial_alabel_ok and (prefix or suffix) and label.startswith("xn--"):
        return "a partial wildcard never matches an A-label (xn--)"
    if len(label) < len(prefix) + len(suffix) + (0 if rule.empty_ok else 1):
        return "the star must match at least one character"
    if not (label.startswith(prefix) and label.endswith(suffix)):
        return "the left-most label does not fit the wildcard"
    if rule.ldh_only and not _LDH_RUN(label[len(prefix) : len(label) - len(suffix)]):
        return "the star matches only letters, digits and hyphens (not _ or other characters)"
    return None


def _multi_label_problem(host: str, rest: str) -> str | None:
    """``*.rest``: the star stands for everything before ".rest", however many labels."""
    if len(host) > len(rest) + 1 and host.endswith("." + rest):
        return None
    return "the rest of the name differs"


def _anywhere_problem(pattern: str, host: str) -> str | None:
    """One star anywhere; the text around it literal, the star never spanning a dot."""
    prefix, _, suffix = pattern.partition("*")
    if len(host) < len(prefix) + len(suffix) or not host.startswith(prefix) or not host.endswith(suffix):
        return "the name does not fit the text around the star"
    if "." in host[len(prefix) : len(host) - len(suffix)]:
        return "the star stands for part of one label only"
    return None


def _glob_problem(pattern: str, host: str, rule: WildcardRule) -> str | None:
    """Stars anywhere, several per label, in every label but the last (the JDK's TYPE_TLS)."""
    plabels = pattern.split(".")
    if "*" in plabels[-1] or (len(plabels) > 1 and not plabels[-1] and "*" in plabels[-2]):
        return "a star in the last label is no wildcard"
    if len(plabels) < rule.min_labels:
        return "the wildcard is too broad (it would cover a whole top-level domain)"
    hlabels = host.split(".")
    if len(hlabels) != len(plabels):
        return "each star covers part of one label only, and the label counts differ"
    for plabel, hlabel in zip(plabels, hlabels):
        if "*" not in plabel:
            if plabel != hlabel:
                return "the rest of the name differs"
        elif not _glob(plabel, _u_label(hlabel) if rule.u_labels else hlabel, rule.empty_ok):
            return f"the label {hlabel} does not fit {plabel}"
    return None


def _glob(pattern: str, label: str, empty_ok: bool) -> bool:
    pieces = pattern.split("*")
    if not empty_ok and len(label) <= sum(map(len, pieces)):
        return False
    if not label.startswith(pieces[0]):
        return False
    rest = label[len(pieces[0]) :]
    for piece in pieces[1:-1]:
        at = rest.find(piece)
        if at < 0:
            return False
        rest = rest[at + len(piece) :]
    return rest.endswith(pieces[-1])


# --- explanations -----------------------------------------------------------------------


def _refuse(profile: ClientProfile, ids: PresentedIdentifiers, name: str, reason: str) -> NameVerdict:
    words = dict(profile.cause_messages)
    own_words = next((words[c] for c in _causes(profile, ids, name, reason) if c in words), None)
    message = own_words if own_words is not None else profile.message
    if own_words is None and profile.cn_message is not None and _uses_cn(profile, ids) and profile.cn_fallback is not CnFallback.ALWAYS:
        message = profile.cn_message
    if message is not None and "{" in message:
        message = _fill(message, profile, ids, name)
    return NameVerdict(name, profile.id, False, reason, message, None)


def _causes(profile: ClientProfile, ids: PresentedIdentifiers, name: str, reason: str) -> list[str]:
    """What this refusal is, most specific first, in the keys of ``cause_messages``:
    ``defect:NAME``/``defect`` (a certificate the client cannot read), ``no-cn``, ``nul``,
    ``library`` (the library check the client also asks), ``ip-none``/``ip`` (an IP typed;
    the certificate has no iPAddress), ``cn-only`` (no SAN, and the CN would have matched),
    ``no-names`` (no SAN DNS name at all)."""
    if not profile.cause_messages:
        return []
    out: list[str] = []
    defect = next((d for d in profile.unreadable_san if d in ids.san_defects), None)
    if defect is not None and reason.startswith("this client cannot read the certificate"):
        out += [f"defect:{defect.name}", "defect"]
    if profile.requires_cn and not ids.common_names:
        out.append("no-cn")
    if profile.nul is NulRule.REFUSE and _nul_holder(profile, ids) is not None:
        out.append("nul")
    if profile.library_check is not None and reason.startswith(profile.library_check.title):
        out.append("library")
    try:
        ref = reference_form(profile, name)
    except _Refused:
        return out
    if ref.ip is not None:
        out += ["ip-none", "ip"] if not ids.ip_addresses else ["ip"]
    cns = _chosen_cns(profile._replace(cn_choice=CnChoice.LAST), ids)
    if not ids.has_san_extension and cns and ref.ip is None and _covers(_ascii_lower(cns[0]), ref, profile, from_cn=False):
        out.append("cn-only")
    if not ids.dns_names:
        out.append("no-names")
    return out


def _node_safe(value: str) -> str:
    """A SAN value as Node prints it in ``subjectaltname``: quoted JSON-style when it holds a
    quote, backslash, comma, apostrophe or a character outside printable ASCII."""
    if any(c in "\"\\,'" or not " " <= c <= "~" for c in value):
        return json.dumps(value)
    return value


def _fill(message: str, profile: ClientProfile, ids: PresentedIdentifiers, name: str) -> str:
    """The client's words with the certificate's and the user's names put in.

    ``{port}`` is not known to a pure name check: the message keeps ``PORT`` there;
    ``{badip}`` is the octet count of the first malformed iPAddress.
    """
    cns = _chosen_cns(profile, ids)
    altnames = ", ".join(f"{'IP Address' if t == 'IP' else t}:{_node_safe(v)}" for t, v in ids.san if t in ("DNS", "IP"))
    return (
        message.replace("{name}", name)
        .replace("{valid}", ", ".join(ids.dns_names))
        .replace("{cn}", cns[0] if cns else "")
        .replace("{altnames}", altnames)
        .replace("{ips}", ", ".join(ids.ip_addresses))
        .replace("{badip}", next((ip[1:].split(" ", 1)[0] for ip in ids.ip_addresses if ip.startswith("<")), ""))
        .replace("{port}", "PORT")
    )


def _explain(profile: ClientProfile, ids: PresentedIdentifiers, ref: _Reference, checked: Sequence[_Candidate]) -> str:
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
    if host in cn_lower and not any(k == "CN" for k, _, _ in checked):
        if ids.dns_names:
            return f"{host} is only in the subject CN; this client ignores the CN when the SAN has DNS names"
        if profile.cn_fallback is not CnFallback.NEVER and len(ids.common_names) > 1:
            return f"{host} is in the subject CN, but the client reads {profile.cn_choice.value}"
        precluding = _precludes_cn(ids) if profile.cn_fallback is CnFallback.NO_SAN_NAME else None
        if precluding:
            return f"{host} is only in the subject CN; the SAN holds {precluding}, and then this client no longer reads the CN"
        return f"{host} is only in the subject CN (no SAN); this client never reads the CN"
    syntax = profile.pattern_syntax
    for kind, pattern, p in checked:
        if syntax is not NameSyntax.ANY and not _PATTERN_OK[syntax](p) and p.rstrip(".") == host.rstrip("."):
            return f"{kind}:{pattern} is not a name this client compares (a name must be {syntax.value})"
        if ref.exact_only:
            continue
        if p.startswith("*.") and host.endswith(p[1:]) and host.count(".") > p.count("."):
            return f"wildcard {kind}:{pattern} covers exactly one label, and {host} has more in its place"
        if "*" in p:
            problem = _wildcard_problem(p, host, profile.wildcard)
            if problem and _loose_wildcard(p, host):
                return f"wildcard {kind}:{pattern} does not cover {host}: {problem}"
        elif p.rstrip(".") == host.rstrip(".") and p != host:
            return f"{kind}:{pattern} differs from {host} only by a trailing dot, which this client does not ignore"
    if ref.exact_only:
        return (
            f"{ref.typed} is not a host name for this client ({profile.host_syntax.value}),"
            " so it is compared only exactly, and no certificate name equals it"
        )
    if not checked:
        if ids.common_names and profile.cn_fallback is CnFallback.NEVER:
            return "the certificate has no SAN DNS name and this client never reads the CN"
        if ids.common_names and profile.cn_fallback is not CnFallback.NEVER and not _chosen_cns(profile, ids):
            return f"this client reads {profile.cn_choice.value}, and the subject has {len(ids.common_names)}"
        if ids.common_names and ids.ip_addresses and profile.cn_fallback is CnFallback.NO_SAN_DNS_OR_IP:
            return "the SAN holds an IP address, and then this client no longer reads the CN"
        if ids.common_names and profile.cn_fallback is CnFallback.NO_SAN_NAME and _precludes_cn(ids):
            return f"the SAN holds {_precludes_cn(ids)}, and then this client no longer reads the CN"
        return "the certificate presents no DNS name at all"
    shown = ", ".join(f"{k}:{v}" for k, v, _ in checked[:6]) + (" ..." if len(checked) > 6 else "")
    return f"{host} matches none of the names this client reads ({shown})"


def _loose_wildcard(pattern: str, host: str) -> bool:
    """Does the pattern look meant for the host (same label count, same parent)?"""
    p, h = pattern.split("."), host.split(".")
    return len(p) == len(h) and all(a == b or "*" in a for a, b in zip(p, h))
