"""The doctor's judgement of a live server: pure, from what the probe fetched.

Each client is judged on the certificate *it* would be served: clients that send SNI on the
SNI connection's chain, Outlook 2007 (no SNI on Windows XP) on the default one.  Chain trust,
SNI differences and the negotiated protocol become findings like any other.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from cryptography import x509

from mailcert.assess import Assessment, assess_certificate, ordered_findings, status_of, trust_findings
from mailcert.certs.info import CertificateFacts, facts_from_certificate
from mailcert.certs.lenient import parse_leniently
from mailcert.certs.chain import TrustProblem, TrustResult, ValidatorSettings, verify_chain_for
from mailcert.errors import CertificateError, ProbeError
from mailcert.probe.driver import ProbeResult, SniPair
from mailcert.findings import Finding, finding
from mailcert.judgement import Judgement

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
    parsed = [_parse(d, source) for d in served.chain]
    certs = [cert for cert, _ in parsed]
    facts = parsed[0][1]
    chain = tuple(f for _, f in parsed[1:])

    other: CertificateFacts | None = None
    no_sni_facts = facts
    if isinstance(without, ProbeResult) and without.leaf != served.leaf:
        other = no_sni_facts = _parse(without.leaf, source)[1]
    served_to = {p.id: no_sni_facts for p in judgement.profiles if not p.sends_sni} if other is not None else None
    # remedies name the server by where we reached it, so `mailcert cert fix URL` and
    # `mailcert check URL` run as printed even when the typed name does not resolve here
    reached = _reached_url(served)
    main = assess_certificate(facts, names, judgement, source=reached, served_to=served_to, chain=certs)
    findings = list(main.findings)
    results = main.results

    now = main.judged.now
    # through the verdict cache: a fleet serves one chain on many ports and hosts
    trust = verify_chain_for(certs, judgement.trust_store(), now=now, settings=(_DEFAULT_VALIDATOR,))[_DEFAULT_VALIDATOR]
    findings += trust_findings(trust, names[0] if names else served.endpoint.host, reached, results)
    findings += _connection_findings(pair, served, other, names)
    if revocation is not None:
        findings += _revocation_findings(revocation, certs[0], names[0] if names else served.endpoint.host)
    findings = ordered_findings(findings)
    judged = judgement.judged(now, with_store=True)
    assessment = Assessment(status_of(findings), facts, tuple(names), results, tuple(findings), judged)
    return Diagnosis(assessment, pair, served, other, chain, trust, revocation)


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
