"""What a certificate says, read once into plain data (strings, ints, datetimes, DER bytes).

Everything downstream (the judge, the renderers, the inventory) works on
:class:`CertificateFacts`, which pickles across processes and serialises without converters.
A certificate whose extensions cannot be decoded is a :class:`CertificateError` here, so
nothing later meets a half-readable certificate.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from functools import lru_cache

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID

from mailcert.certs.lenient import STRICT_REFUSALS, original_der, strict_error
from mailcert.der import certificate_der, issuer_of, issuer_text, public_key_of, subject_of, subject_text
from mailcert.errors import CertificateError
from mailcert.memo import cached_value
from mailcert.names.identifiers import PresentedIdentifiers, SanEntry

__all__ = ["CertificateFacts", "facts_from_certificate", "signed_by", "first_line"]

_EKU_NAMES = {
    ExtendedKeyUsageOID.SERVER_AUTH: "serverAuth",
    ExtendedKeyUsageOID.CLIENT_AUTH: "clientAuth",
    ExtendedKeyUsageOID.CODE_SIGNING: "codeSigning",
    ExtendedKeyUsageOID.EMAIL_PROTECTION: "emailProtection",
    ExtendedKeyUsageOID.TIME_STAMPING: "timeStamping",
    ExtendedKeyUsageOID.OCSP_SIGNING: "OCSPSigning",
    ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE: "anyExtendedKeyUsage",
}


@dataclass(frozen=True)
class CertificateFacts:
    """The facts of one certificate that mailcert judges and shows."""

    der: bytes
    subject: str
    issuer: str
    common_names: tuple[str, ...]
    san: tuple[SanEntry, ...]
    has_san_extension: bool
    not_before: dt.datetime
    not_after: dt.datetime
    serial: str
    key_type: str
    key_bits: int
    key_curve: str | None
    signature_algorithm: str
    signature_hash: str | None
    eku: tuple[str, ...] | None
    key_usage: tuple[str, ...] | None
    is_ca: bool | None
    path_length: int | None
    self_issued: bool
    self_signed: bool
    sha256: str
    sha1: str
    cn_rdns: tuple[int, ...] = ()
    strict_error: str | None = None
    bad_strings: bool = False

    @cached_value
    def identifiers(self) -> PresentedIdentifiers:
        """Exactly what the name engine reads from the certificate (the differential tests
        check that it equals ``PresentedIdentifiers.from_certificate``)."""
        return PresentedIdentifiers(
            self.san, self.has_san_extension, self.common_names, cn_rdns=self.cn_rdns, bad_strings=self.bad_strings
        )

    @property
    def dns_names(self) -> tuple[str, ...]:
        return tuple(v for t, v in self.san if t == "DNS")

    def days_left(self, now: dt.datetime) -> int:
        """Whole days until ``not_after`` (negative once expired): the number thresholds,
        perfdata and metrics compare, computed one way everywhere."""
        return int((self.not_after - now).total_seconds() // 86400)

    @property
    def validity_days(self) -> float:
        return (self.not_after - self.not_before).total_seconds() / 86400

    def key_description(self) -> str:
        return f"{self.key_type} {self.key_curve}" if self.key_curve else f"{self.key_type} {self.key_bits}"


def facts_from_certificate(cert: x509.Certificate, *, source: str = "certificate", der: bytes | None = None) -> CertificateFacts:
    """Read every fact, turning cryptography's lazy decoding errors into one clear error.

    A twin made by :func:`mailcert.certs.lenient.parse_leniently` gives every fact but the
    names, which are read from the original bytes, as the mail clients read them.

    Facts are values of the certificate alone, so they are read once per certificate (a fleet
    serves one certificate on many ports; a scan judges it again on every pass)."""
    return _facts(cert, source, der)


@lru_cache(maxsize=1024)
def _facts(cert: x509.Certificate, source: str, der: bytes | None) -> CertificateFacts:
    der = original_der(cert) or der
    extensions, ids, subject, issuer = _names(cert, source)
    key_type, key_bits, curve = _key(cert)
    hash_alg = None
    try:
        algo = cert.signature_hash_algorithm
        hash_alg = algo.name if algo is not None else None
    except UnsupportedAlgorithm:
        pass
    sig_oid = cert.signature_algorithm_oid
    sig_name = getattr(sig_oid, "_name", None) or sig_oid.dotted_string
    is_ca, path_length = None, None
    try:
        bc = extensions.get_extension_for_class(x509.BasicConstraints).value
        is_ca, path_length = bc.ca, bc.path_length
    except x509.ExtensionNotFound:
        pass
    eku: tuple[str, ...] | None = None
    try:
        eku = tuple(_EKU_NAMES.get(o, o.dotted_string) for o in extensions.get_extension_for_class(x509.ExtendedKeyUsage).value)
    except x509.ExtensionNotFound:
        pass
    key_usage = _key_usage(extensions)
    if der is None:  # the probe hands us the bytes it received; files need serialising
        der = certificate_der(cert)
    self_issued = subject_of(cert) == issuer_of(cert)
    return CertificateFacts(
        der=der,
        subject=subject,
        issuer=issuer,
        common_names=ids.common_names,
        san=ids.san,
        has_san_extension=ids.has_san_extension,
        cn_rdns=ids.cn_rdns,
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        serial=format(cert.serial_number, "x"),
        key_type=key_type,
        key_bits=key_bits,
        key_curve=curve,
        signature_algorithm=sig_name,
        signature_hash=hash_alg,
        eku=eku,
        key_usage=key_usage,
        is_ca=is_ca,
        path_length=path_length,
        self_issued=self_issued,
        self_signed=self_issued and signed_by(cert, cert),
        sha256=hashlib.sha256(der).hexdigest(),
        sha1=hashlib.sha1(der).hexdigest(),  # noqa: S324 - a fingerprint Windows shows, not security
        strict_error=strict_error(cert),
        bad_strings=ids.bad_strings,
    )


def _names(cert: x509.Certificate, source: str) -> tuple[x509.Extensions, PresentedIdentifiers, str, str]:
    """The extensions, the names the clients read, subject and issuer text; one clear error
    for what not even a lenient reading makes sense of."""
    original = original_der(cert)
    try:
        extensions = cert.extensions
    except STRICT_REFUSALS as exc:
        raise CertificateError(f"{source}: malformed certificate extension ({first_line(exc)})") from None
    try:
        ids = PresentedIdentifiers.from_der(original) if original is not None else PresentedIdentifiers.from_certificate(cert)
        if ids.san_error:
            raise CertificateError(f"{source}: malformed subjectAltName extension ({ids.san_error})")
        return extensions, ids, subject_text(cert), issuer_text(cert)
    except ValueError as exc:
        raise CertificateError(f"{source}: malformed name in the certificate ({first_line(exc)})") from None


def _key(cert: x509.Certificate) -> tuple[str, int, str | None]:
    try:
        key = public_key_of(cert)
    except (ValueError, UnsupportedAlgorithm):
        return ("unknown", 0, None)
    if isinstance(key, rsa.RSAPublicKey):
        return ("RSA", key.key_size, None)
    if isinstance(key, ec.EllipticCurvePublicKey):
        return ("ECDSA", key.curve.key_size, key.curve.name)
    if isinstance(key, ed25519.Ed25519PublicKey):
        return ("Ed25519", 256, None)
    if isinstance(key, ed448.Ed448PublicKey):
        return ("Ed448", 456, None)
    if isinstance(key, dsa.DSAPublicKey):
        return ("DSA", key.key_size, None)
    return (type(key).__name__, 0, None)


def _key_usage(extensions: x509.Extensions) -> tuple[str, ...] | None:
    try:
        ku = extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return None
    names = ["digital_signature", "content_commitment", "key_encipherment", "data_encipherment", "key_agreement", "key_cert_sign", "crl_sign"]
    out = [n for n in names if getattr(ku, n)]
    if ku.key_agreement:
        out += [n for n in ("encipher_only", "decipher_only") if getattr(ku, n)]
    return tuple(out)


def signed_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    """Does ``issuer``'s key verify ``cert``'s signature?  (Self-signed vs merely self-issued.)

    cryptography verifies no SHA-1 signature ("Unsupported signature algorithm"), yet the JDK
    and OpenSSL at security level 0 take them, and an old self-signed certificate (the SBS 2008
    case's era) is signed so: an RSA PKCS#1 v1.5 one is checked here with the issuer's key.
    """
    try:
        cert.verify_directly_issued_by(issuer)
        return True
    except ValueError:
        return _sha1_rsa_signed(cert, issuer)
    except (TypeError, InvalidSignature, UnsupportedAlgorithm):
        return False


def _sha1_rsa_signed(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    """Does ``issuer``'s RSA key verify ``cert``'s SHA-1 PKCS#1 v1.5 signature?"""
    try:
        key = issuer.public_key()
        if cert.issuer != issuer.subject or not isinstance(key, rsa.RSAPublicKey) or not isinstance(cert.signature_hash_algorithm, hashes.SHA1):
            return False
        key.verify(cert.signature, cert.tbs_certificate_bytes, padding.PKCS1v15(), hashes.SHA1())
        return True
    except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
        return False


def first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:160] if text else type(exc).__name__

