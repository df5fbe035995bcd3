"""The doctor's judgement of a live server: pure, from what the probe fetched.

Each client is judged on the certificate *it* would be served: clients that send SNI on the
SNI connection's chain, Outlook 2007 (no SNI on Windows XP) on the default one.  Chain trust,
SNI differences and the negotiated protocol become findings like any other.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final, Generic, TypeVar

from cryptography import x509

from mailcert.assess import (
    Assessment, CertificateVerdicts, assess_certificate, judge_certificate, ordered_findings, status_of, trust_findings,
)
from mailcert.certs.info import CertificateFacts, facts_from_certificate
from mailcert.certs.lenient import parse_leniently
from mailcert.certs.chain import TrustResult, TrustStore, ValidatorSettings, clock_positions, verify_chain_for
from mailcert.errors import CertificateError, ProbeError
from mailcert.probe.driver import ProbeResult, SniPair
from mailcert.findings import FACT_LIMIT, Facts, Finding, finding
from mailcert.judgement import Judgement
from mailcert.model import Status
from mailcert.names.matcher import NameVerdict
from mailcert.textsafe import shorten

if TYPE_CHECKING:  # only `check --ocsp/--crl` loads the revocation machinery (start-up time)
    from mailcert.revocation import RevocationFacts

__all__ = ["Diagnosis", "NotProbed", "diagnose"]

_OLD_TLS = {"TLSv1", "TLSv1.1", "SSLv3"}


class NotProbed(ProbeError):
    """Stands for a connection that was not attempted (``scan`` makes only the SNI one by default).

    Put in :attr:`SniPair.without_sni`, it is neither a failure nor a finding: every client is
    judged on the SNI connection's certificate, and ``diagnose`` raises the SNI error when that
    connection failed, exactly as when both had failed.
    """


@dataclass(frozen=True)
class Diagnosis:
    """Everything ``check`` reports about one server (plain values)."""

    assessment: Assessment  # results of every client, each on the chain it gets; all findings
    pair: SniPair  # both connections, each a result or the error that ended it
    served: ProbeResult  # the connection the main certificate came from (SNI when it worked)
    other_certificate: CertificateFacts | None  # the no-SNI certificate when it differs
    chain: tuple[CertificateFacts, ...]  # what the server sent after the leaf
    trust: TrustResult
    revocation: RevocationFacts | None = None  # when it was looked into (check --ocsp/--crl)


def diagnose(
    pair: SniPair, names: Sequence[str], judgement: Judgement, *, revocation: RevocationFacts | None = None
) -> Diagnosis:
    """Judge both connections of ``pair`` by ``judgement``; ``revocation`` is what the staple,
    the responder and the CRL said about the served leaf (``check --ocsp/--crl``).

    Raises:
        ProbeError: the SNI connection's error, when neither connection worked.
        CertificateError: the server's certificate cannot be parsed.
    """
    with_sni, without = pair.with_sni, pair.without_sni
    if isinstance(with_sni, ProbeError):
        if isinstance(without, ProbeError):
            raise with_sni
        served: ProbeResult = without
    else:
        served = with_sni
    source = served.endpoint.url
    other_der = without.leaf if isinstance(without, ProbeResult) and without.leaf != served.leaf else None
    name = names[0] if names else served.endpoint.host
    now = judgement.clock()
    key = (other_der, tuple(names), name)
    judged = _JUDGED.get(served.chain, key, judgement, now)
    if judged is None:
        judged = _judge(served.chain, other_der, names, name, judgement, now, source)
        _JUDGED.put(served.chain, key, judgement, now, judged, judged.facts, other_der)
    # remedies name the server by where we reached it, so `mailcert cert fix URL` and
    # `mailcert check URL` run as printed even when the typed name does not resolve here
    findings = _placed(judged, _reached_url(served))
    extra = _connection_findings(pair, served, judged.other, names)
    if revocation is not None:
        extra += _revocation_findings(revocation, _parse(served.leaf, source)[0], name)
    status = judged.status
    if extra:
        findings = tuple(ordered_findings([*findings, *extra]))
        status = status_of(findings)
    assessment = Assessment(status, judged.facts, tuple(names), judged.results, findings, judgement.judged(now, with_store=True))
    return Diagnosis(assessment, pair, served, judged.other, judged.chain, judged.trust, revocation)


@dataclass(frozen=True)
class _Judged:
    """What a diagnosis derives from the served chain, the names, the judgement and the time
    (not from the connection's own facts, nor from where it was made): the part a fleet scan
    repeats on every port and every host that serves the certificate for the name."""

    facts: CertificateFacts
    chain: tuple[CertificateFacts, ...]
    other: CertificateFacts | None
    results: tuple[NameVerdict, ...]
    findings: tuple[Finding, ...]  # ordered; where the server was reached is _REACHED in them
    status: Status
    trust: TrustResult
    placed: tuple[int, ...]  # the findings that quote where the server was reached (_REACHED)


class _Reached(str):
    """The type of :data:`_REACHED` (a str, so it is a fact like any other)."""

    __slots__ = ()


_REACHED: Final = _Reached("URL")
"""Stands for the URL a server was reached at in the findings of a remembered judgement
(``first-san-not-name``'s ``cert fix`` remedy, the chain findings' ``check`` remedy): the one
thing in them that is the target's own.  Told from any outside text by identity, never by
value, so a certificate or a name that reads "URL" is never taken for it."""


def _placed(judged: _Judged, reached: str) -> tuple[Finding, ...]:
    """``judged``'s findings for the server reached at ``reached``: the placeholder replaced in
    the few findings that quote it, cut as :func:`~mailcert.findings.finding` cuts any fact.
    A judgement that quotes no URL hands out its own tuple (the JSON line and the inventory
    write its text once by that identity)."""
    if not judged.placed:
        return judged.findings
    at = shorten(reached, FACT_LIMIT)
    out = list(judged.findings)
    for i in judged.placed:
        f = out[i]
        out[i] = Finding(f.code, f.severity, Facts({k: at if v is _REACHED else v for k, v in f.facts.items()}))
    return tuple(out)


def _judge(
    served: tuple[bytes, ...], other_der: bytes | None, names: Sequence[str], name: str,
    judgement: Judgement, now: dt.datetime, source: str,
) -> _Judged:
    """Judge the names on the served chain (and the no-SNI leaf when it differs) at ``now``,
    every clock read at that one time (the memo's key is taken from it); where the server was
    reached is :data:`_REACHED` in the findings (a fleet serves the chain on many URLs).  What
    does not depend on the names comes from :data:`_CERTIFIED` (a wildcard serves many names)."""
    at_now = judgement if judgement.now == now else dataclasses.replace(judgement, now=now)
    certified = _CERTIFIED.get(served, (other_der,), judgement, now)
    if certified is None:
        certified = _certify(served, other_der, at_now, source)
        _CERTIFIED.put(served, (other_der,), judgement, now, certified, certified.facts, other_der)
    main = assess_certificate(certified.facts, names, at_now, source=_REACHED, of_certificate=certified.verdicts)
    found = (*main.findings, *trust_findings(certified.trust, name, _REACHED, main.results))
    findings = tuple(ordered_findings(found))
    placed = tuple(i for i, f in enumerate(findings) if any(v is _REACHED for v in f.facts.values()))
    c = certified
    return _Judged(c.facts, c.chain, c.other, main.results, findings, status_of(findings), c.trust, placed)


@dataclass(frozen=True)
class _Certified:
    """What a diagnosis derives from the served chain, the judgement and the time alone: the
    certificates' facts, each client's refusals and the chain's trust, before any name."""

    facts: CertificateFacts
    chain: tuple[CertificateFacts, ...]
    other: CertificateFacts | None
    verdicts: CertificateVerdicts
    trust: TrustResult


def _certify(served: tuple[bytes, ...], other_der: bytes | None, judgement: Judgement, source: str) -> _Certified:
    """Judge the served chain (and the no-SNI leaf when it differs) before any name, at the
    judgement's own clock (``_judge`` sets it to the moment of the request)."""
    parsed = [_parse(d, source) for d in served]
    certs = [cert for cert, _ in parsed]
    facts = parsed[0][1]
    other = None if other_der is None else _parse(other_der, source)[1]
    served_to = {p.id: other for p in judgement.profiles if not p.sends_sni} if other is not None else None
    verdicts = judge_certificate(facts, judgement, served_to=served_to, chain=certs)
    # through the verdict cache: a fleet serves one chain on many ports and hosts
    now = judgement.clock()
    trust = verify_chain_for(certs, judgement.trust_store(), now=now, settings=(_DEFAULT_VALIDATOR,))[_DEFAULT_VALIDATOR]
    return _Certified(facts, tuple(f for _, f in parsed[1:]), other, verdicts, trust)


V = TypeVar("V")


class _Memo(Generic[V]):
    """Values derived from a served chain (:class:`_Judged`, :class:`_Certified`) for recent
    requests, per moment.

    A fleet serves one certificate on many ports (imaps, pop3s, submission, smtp) and hosts: after
    the first, a target's diagnosis repeats one already made but for the connection's own facts
    and the URL its remedies quote.  The key holds exactly what the value is made of: the served
    DER, the caller's ``key`` (the no-SNI leaf when it differs; for a :class:`_Judged` the names
    and the name judged, the endpoint's host when none was typed), the judgement (profiles,
    store, thresholds) by identity, and of the clock only what the verdicts and findings read
    (:func:`_moment`).  Not the endpoint: no verdict or finding of it reads the protocol, port or
    address (the connection's findings, a TLS version, SNI, revocation and the SMTP senders'
    rows, are judged per target on top), and the URL is placed per target (:func:`_placed`).
    Bounded (oldest out first; nothing made of more than :data:`_REMEMBERED_DER_MAX` bytes of
    certificates) and thread-safe (a library user may diagnose from threads).
    """

    SIZE: Final = 256
    MOMENTS: Final = 8  # times kept per request: a long scan crosses few bounds

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[tuple[object, ...], _Entry[V]] = {}

    def get(self, served: tuple[bytes, ...], key: tuple[object, ...], judgement: Judgement, now: dt.datetime) -> V | None:
        with self._lock:
            entry = self._entries.get((served, *key, id(judgement)))
        if entry is None or entry.judgement is not judgement:
            return None
        return entry.moments.get(_moment(entry.bounds, entry.leaf, now))

    def put(
        self, served: tuple[bytes, ...], key: tuple[object, ...], judgement: Judgement, now: dt.datetime,
        value: V, leaf: CertificateFacts, other_der: bytes | None,
    ) -> None:
        """Remember ``value`` (``leaf``: the served leaf's facts) unless the certificates it was
        made of (``served`` and ``other_der``) are too many bytes to keep."""
        if sum(map(len, served)) + len(other_der or b"") > _REMEMBERED_DER_MAX:
            return
        full = (served, *key, id(judgement))
        with self._lock:
            entry = self._entries.get(full)
            if entry is None or entry.judgement is not judgement:
                # the entry keeps the judgement alive, so its id names no other while it stays
                entry = self._entries[full] = _Entry(judgement, _bounds(served, judgement.trust_store()), leaf)
                while len(self._entries) > self.SIZE:
                    self._entries.pop(next(iter(self._entries)))
            if len(entry.moments) >= self.MOMENTS:
                entry.moments.clear()
            entry.moments[_moment(entry.bounds, entry.leaf, now)] = value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


@dataclass
class _Entry(Generic[V]):
    judgement: Judgement
    bounds: tuple[float, ...]  # sorted validity bounds (POSIX seconds) the verdicts compare the clock with
    leaf: CertificateFacts  # days to expiry are counted from its notAfter
    moments: dict[tuple[int, ...], V] = field(default_factory=dict)


_JUDGED: Final = _Memo[_Judged]()
_CERTIFIED: Final = _Memo[_Certified]()

_REMEMBERED_DER_MAX: Final = 64 * 1024
"""Bytes of served certificates past which a judgement is not remembered: real chains are a
few kilobytes, and a hostile server's megabytes of names must not stay in memory hundreds of
times over (a scan meets each such server once anyway)."""


def _moment(bounds: tuple[float, ...], leaf: CertificateFacts, now: dt.datetime) -> tuple[int, ...]:
    """What of ``now`` a diagnosis reads: where it falls among ``bounds`` (every notBefore and
    notAfter of the served chain and the store's anchors) as the validators read the clock
    (:func:`~mailcert.certs.chain.clock_positions`, which the chain verdicts' own memory keys
    on too), and the leaf's whole days to expiry.  The findings compare it with the leaf's
    bounds (expired, not yet valid, the sent certificates' dates) and count its days left
    against the thresholds, in their text."""
    return (*clock_positions(bounds, now), leaf.days_left(now))


def _bounds(served: tuple[bytes, ...], store: TrustStore) -> tuple[float, ...]:
    """Every validity bound of the served certificates and of the store's anchors, sorted: a
    superset of what any path the validators may build can compare the clock with."""
    certs = [_parsed(d)[0] for d in served]
    return tuple(sorted({*_anchor_bounds(store), *(t.timestamp() for c in certs for t in (c.not_valid_before_utc, c.not_valid_after_utc))}))


@functools.lru_cache(maxsize=8)
def _anchor_bounds(store: TrustStore) -> frozenset[float]:
    return frozenset(t.timestamp() for a in store.anchors for t in (a.not_valid_before_utc, a.not_valid_after_utc))


_DEFAULT_VALIDATOR: Final = ValidatorSettings()
"""The chain trust the diagnosis reports: OpenSSL's defaults, as ``check`` always said."""


@functools.lru_cache(maxsize=512)
def _parsed(der: bytes) -> tuple[x509.Certificate, CertificateFacts]:
    cert = parse_leniently(der)
    return cert, facts_from_certificate(cert, der=der)


def _parse(der: bytes, source: str) -> tuple[x509.Certificate, CertificateFacts]:
    """A served certificate, parsed once per process: a fleet serves one certificate on every
    port of a host (and a hosting company one wildcard on many hosts), so a scan meets the
    same bytes again and again.  Facts are frozen values, safe to share."""
    try:
        return _parsed(der)
    except CertificateError as exc:
        raise CertificateError(f"{source}: {str(exc).removeprefix('certificate: ')}") from None
    except ValueError as exc:  # not even DER: cryptography is stricter than the server's TLS stack
        raise CertificateError(f"{source}: the server's certificate cannot be parsed ({exc})") from None


def _reached_url(served: ProbeResult) -> str:
    """The endpoint's URL with the address actually connected to (``--connect`` applied)."""
    scheme = served.endpoint.url.partition("://")[0]
    host, port = served.address[0], served.address[1]
    return f"{scheme}://{f'[{host}]' if ':' in host else host}:{port}"


def _connection_findings(pair: SniPair, served: ProbeResult, other: CertificateFacts | None, names: Sequence[str]) -> list[Finding]:
    out: list[Finding] = []
    name = names[0] if names else pair.name
    if isinstance(pair.with_sni, ProbeError):
        out.append(finding("sni-failed", error=str(pair.with_sni), name=pair.name))
    if isinstance(pair.without_sni, ProbeError) and not isinstance(pair.without_sni, NotProbed):
        out.append(finding("no-sni-failed", error=str(pair.without_sni)))
    if other is not None:
        first = (other.dns_names or other.common_names or ("?",))[0]
        out.append(finding("sni-certificates-differ", other=f"{other.subject}, first name {first}", name=name))
    if served.tls_version in _OLD_TLS:
        out.append(finding("old-tls-version", version=served.tls_version))
    return out



_SOURCES = {"stapled": "stapled OCSP response", "ocsp": "OCSP responder", "crl": "CRL"}
_UNNAMED = {"ocsp": "OCSP responder (Authority Information Access)", "crl": "CRL distribution point"}


def _revocation_findings(r: RevocationFacts, leaf: x509.Certificate, name: str) -> list[Finding]:
    """Revoked outranks everything; each source that could not tell says why; a missing
    staple is worth knowing, and critical when the certificate demands one (RFC 7633)."""
    out: list[Finding] = []
    if r.issuer_missing:
        detail = "the issuer's certificate is neither sent by the server nor in the trust store"
        return [finding("revocation-check-failed", source="no source", detail=detail, where="any responder or CRL")]
    for a in r.all:
        source = _SOURCES.get(a.source, a.source)
        where = a.url or "the server's staple"
        if a.status == "revoked":  # Revocation is a str enum; comparing values spares the import
            reason = f" (reason: {a.reason})" if a.reason else ""
            out.append(finding("revoked", source=source, detail=a.detail[0].upper() + a.detail[1:], reason=reason, name=name))
        elif a.status == "unknown":
            out.append(finding("revocation-unknown", source=source, where=where, serial=format(leaf.serial_number, "x")))
        elif a.status == "error":
            out.append(finding("revocation-check-failed", source=source, detail=a.detail, where=where))
    if r.stapling_requested and r.stapled is None:
        out.append(finding("must-staple-not-stapled" if _must_staple(leaf) else "ocsp-stapling-missing", name=name))
    for what in r.unnamed:
        out.append(finding("revocation-unpublished", what=_UNNAMED[what], name=name))
    return out


def _must_staple(cert: x509.Certificate) -> bool:
    try:
        features = cert.extensions.get_extension_for_class(x509.TLSFeature).value
    except (x509.ExtensionNotFound, ValueError):
        return False
    return x509.TLSFeatureType.status_request in features
