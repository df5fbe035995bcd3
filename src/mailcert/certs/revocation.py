"""Revocation, judged offline: OCSP requests and responses, CRLs.  Pure (no network).

What the network brought (a stapled OCSP response from the TLS handshake, a responder's answer,
a CRL) comes in as bytes and leaves as a :class:`RevocationStatus`: good, revoked, unknown, or
"could not tell" with the reason.  cryptography builds and parses the messages
(``x509.ocsp``, ``load_der_x509_crl``); what it does not do, and what a client that honours
revocation does, is written here and cites its RFC: the response must be about *this*
certificate (RFC 6960 §3.2 item 1), signed by its issuer or by a responder the issuer
delegated with id-kp-OCSPSigning (§4.2.2.2), and current (§4.2.2.1: thisUpdate not in the
future, nextUpdate not in the past); a CRL must be signed by the issuer and current
(RFC 5280 §6.3.3).
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, ed448, padding, rsa
from cryptography.x509 import ocsp
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID

from mailcert.certs.info import first_line, signed_by

__all__ = [
    "Revocation",
    "RevocationStatus",
    "crl_status",
    "crl_urls",
    "find_issuer",
    "ocsp_request",
    "ocsp_status",
    "ocsp_urls",
]

CLOCK_SKEW = dt.timedelta(minutes=5)
"""How far thisUpdate may lie in the future: responders' and our clocks differ a little."""


class Revocation(str, enum.Enum):
    GOOD = "good"
    REVOKED = "revoked"
    UNKNOWN = "unknown"  # the responder does not know the certificate (RFC 6960 §2.2)
    ERROR = "error"  # no usable answer: unreachable, malformed, wrongly signed, stale


@dataclass(frozen=True)
class RevocationStatus:
    """One source's answer about one certificate (plain values, for any renderer).

    ``source`` says where the answer came from: ``"stapled"``, ``"ocsp"`` or ``"crl"``;
    ``url`` the responder or CRL address (``None`` for a staple).
    """

    source: str
    url: str | None
    status: Revocation
    detail: str
    revoked_at: dt.datetime | None = None
    reason: str | None = None
    this_update: dt.datetime | None = None
    next_update: dt.datetime | None = None


def ocsp_urls(cert: x509.Certificate) -> tuple[str, ...]:
    """The OCSP responders named in the certificate's Authority Information Access."""
    return _access_urls(cert, AuthorityInformationAccessOID.OCSP)


def crl_urls(cert: x509.Certificate) -> tuple[str, ...]:
    """The CRLs named in the certificate's CRL Distribution Points (full names, URIs only)."""
    try:
        points = cert.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    except (x509.ExtensionNotFound, ValueError):
        return ()
    return tuple(n.value for p in points for n in (p.full_name or ()) if isinstance(n, x509.UniformResourceIdentifier))


def _access_urls(cert: x509.Certificate, method: x509.ObjectIdentifier) -> tuple[str, ...]:
    try:
        aia = cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    except (x509.ExtensionNotFound, ValueError):
        return ()
    return tuple(
        d.access_location.value
        for d in aia
        if d.access_method == method and isinstance(d.access_location, x509.UniformResourceIdentifier)
    )


def find_issuer(cert: x509.Certificate, candidates: Sequence[x509.Certificate]) -> x509.Certificate | None:
    """The candidate (sent by the server, or a trust anchor) whose key signed ``cert``."""
    for c in candidates:
        if c.subject == cert.issuer and signed_by(cert, c):
            return c
    return None


def ocsp_request(cert: x509.Certificate, issuer: x509.Certificate) -> bytes:
    """The DER OCSP request for ``cert`` (SHA-1 CertID: what every responder answers, RFC 5019 §2.1.1)."""
    builder = ocsp.OCSPRequestBuilder().add_certificate(cert, issuer, hashes.SHA1())  # noqa: S303 - an identifier, not security
    return builder.build().public_bytes(serialization.Encoding.DER)


def ocsp_status(
    data: bytes, cert: x509.Certificate, issuer: x509.Certificate, *, now: dt.datetime, source: str, url: str | None = None
) -> RevocationStatus:
    """Judge an OCSP response (DER) about ``cert``: who signed it, is it about this
    certificate, is it current, and what it says."""

    def error(detail: str) -> RevocationStatus:
        return RevocationStatus(source, url, Revocation.ERROR, detail)

    try:
        response = ocsp.load_der_ocsp_response(data)
    except ValueError as exc:
        return error(f"not an OCSP response ({first_line(exc)})")
    if response.response_status is not ocsp.OCSPResponseStatus.SUCCESSFUL:
        return error(f"the responder answered {response.response_status.name.lower()}")
    single = next((r for r in response.responses if _about(r, cert, issuer)), None)
    if single is None:
        return error("the response is about another certificate")
    signer = _ocsp_signer(response, issuer)
    if signer is None:
        return error("the response is not signed by the issuer or a responder it authorised (id-kp-OCSPSigning)")
    this_update, next_update = single.this_update_utc, single.next_update_utc
    if this_update > now + CLOCK_SKEW:
        return error(f"the response is dated in the future ({this_update:%Y-%m-%d %H:%M} UTC)")
    if next_update is not None and next_update < now:
        return error(f"the response is stale: its nextUpdate was {next_update:%Y-%m-%d %H:%M} UTC")
    status = {
        ocsp.OCSPCertStatus.GOOD: Revocation.GOOD,
        ocsp.OCSPCertStatus.REVOKED: Revocation.REVOKED,
        ocsp.OCSPCertStatus.UNKNOWN: Revocation.UNKNOWN,
    }[single.certificate_status]
    reason = single.revocation_reason.name if single.revocation_reason is not None else None
    detail = {
        Revocation.GOOD: "not revoked",
        Revocation.REVOKED: f"revoked on {single.revocation_time_utc:%Y-%m-%d %H:%M} UTC" if single.revocation_time_utc else "revoked",
        Revocation.UNKNOWN: "the responder does not know this certificate",
    }[status]
    return RevocationStatus(
        source, url, status, detail, single.revocation_time_utc, reason, this_update, next_update
    )


def _about(single: ocsp.OCSPSingleResponse, cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    """Is this answer's CertID ``cert``'s (serial, and the issuer's name and key hashes in the
    hash the responder chose)?"""
    if single.serial_number != cert.serial_number:
        return False
    expected = ocsp.OCSPRequestBuilder().add_certificate(cert, issuer, single.hash_algorithm).build()
    return single.issuer_key_hash == expected.issuer_key_hash and single.issuer_name_hash == expected.issuer_name_hash


def _ocsp_signer(response: ocsp.OCSPResponse, issuer: x509.Certificate) -> x509.Certificate | None:
    """The issuer itself, or a certificate in the response that the issuer signed for OCSP."""
    candidates = [issuer] + [
        c for c in response.certificates if c.issuer == issuer.subject and signed_by(c, issuer) and _ocsp_signing(c)
    ]
    for c in candidates:
        try:
            public_key = c.public_key()
            _verify(public_key, response.signature, response.tbs_response_bytes, response.signature_hash_algorithm)
        except (InvalidSignature, ValueError, TypeError, UnsupportedAlgorithm):
            continue
        return c
    return None


def _verify(public_key: object, signature: bytes, data: bytes, algorithm: hashes.HashAlgorithm | None) -> None:
    if isinstance(public_key, rsa.RSAPublicKey):
        assert algorithm is not None
        public_key.verify(signature, data, padding.PKCS1v15(), algorithm)
    elif isinstance(public_key, ec.EllipticCurvePublicKey):
        assert algorithm is not None
        public_key.verify(signature, data, ec.ECDSA(algorithm))
    elif isinstance(public_key, (ed25519.Ed25519PublicKey, ed448.Ed448PublicKey)):
        public_key.verify(signature, data)
    else:
        raise UnsupportedAlgorithm(f"{type(public_key).__name__} keys")


def _ocsp_signing(cert: x509.Certificate) -> bool:
    try:
        return ExtendedKeyUsageOID.OCSP_SIGNING in cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except (x509.ExtensionNotFound, ValueError):
        return False


def crl_status(data: bytes, cert: x509.Certificate, issuer: x509.Certificate, *, now: dt.datetime, url: str) -> RevocationStatus:
    """Judge a CRL (DER or PEM) for ``cert``: signed by the issuer, current, and listing it or not."""

    def error(detail: str) -> RevocationStatus:
        return RevocationStatus("crl", url, Revocation.ERROR, detail)

    try:
        crl = x509.load_pem_x509_crl(data) if data.lstrip().startswith(b"-----") else x509.load_der_x509_crl(data)
    except ValueError as exc:
        return error(f"not a CRL ({first_line(exc)})")
    if crl.issuer != issuer.subject or not crl.is_signature_valid(issuer.public_key()):  # type: ignore[arg-type]
        return error(f"the CRL is not signed by the certificate's issuer ({issuer.subject.rfc4514_string()})")
    if crl.last_update_utc > now + CLOCK_SKEW:
        return error(f"the CRL is dated in the future ({crl.last_update_utc:%Y-%m-%d %H:%M} UTC)")
    if crl.next_update_utc is not None and crl.next_update_utc < now:
        return error(f"the CRL is stale: its nextUpdate was {crl.next_update_utc:%Y-%m-%d %H:%M} UTC")
    entry = crl.get_revoked_certificate_by_serial_number(cert.serial_number)
    if entry is None:
        return RevocationStatus("crl", url, Revocation.GOOD, "not on the CRL", this_update=crl.last_update_utc,
                                next_update=crl.next_update_utc)
    reason = None
    try:
        reason = entry.extensions.get_extension_for_class(x509.CRLReason).value.reason.name
    except (x509.ExtensionNotFound, ValueError):
        pass
    when = entry.revocation_date_utc
    return RevocationStatus("crl", url, Revocation.REVOKED, f"revoked on {when:%Y-%m-%d %H:%M} UTC", when, reason,
                            crl.last_update_utc, crl.next_update_utc)
