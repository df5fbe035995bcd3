"""Reading certificates from whatever an administrator has at hand.

PEM (one or many, in any order, with keys or other blocks around them), DER, PKCS#7
(``.p7b``, as Windows CAs hand them out) and PKCS#12/PFX.  Every failure is one
:class:`~mailcert.errors.CertificateError` line that says what was found instead.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from collections.abc import Callable, Sequence

from cryptography import x509

from mailcert.certs.lenient import STRICT_REFUSALS, parse_leniently
from mailcert.certs.pfxwork import refuse_costly_pfx
from mailcert.der import certificate_der
from mailcert.errors import CertificateError, InputError
from mailcert.inputs import MAX_INPUT_BYTES, read_input
from mailcert.textsafe import is_env_name

__all__ = ["MAX_BYTES", "load_certificates", "looks_like_pkcs12", "read_certificates", "password_from_env"]

MAX_BYTES = MAX_INPUT_BYTES

_PEM_BLOCK = re.compile(rb"-----BEGIN ([A-Z0-9 #]+)-----")
_CERT_BLOCK = re.compile(rb"-----BEGIN (?:TRUSTED )?CERTIFICATE-----(.*?)-----END (?:TRUSTED )?CERTIFICATE-----", re.S)
# PKCS#12 PFX: SEQUENCE { INTEGER 3, ContentInfo { OID pkcs7-data ...
_PKCS7_DATA_OID = bytes.fromhex("06092a864886f70d010701")
_PKCS7_SIGNED_OID = bytes.fromhex("06092a864886f70d010702")

PasswordSource = Callable[[], bytes | None]


def load_certificates(
    path: str | os.PathLike[str],
    *,
    password: bytes | None = None,
    ask_password: PasswordSource | None = None,
) -> tuple[x509.Certificate, ...]:
    """Certificates in the file at ``path``, leaf first when the file says which is the leaf.

    ``ask_password`` is called only for a protected PKCS#12 file when ``password`` is None.
    """
    data = read_input(path, limit=MAX_BYTES, what="certificate")
    p = os.fspath(path)
    return read_certificates(data, password=password, ask_password=ask_password, source=str(p))


def read_certificates(
    data: bytes,
    *,
    password: bytes | None = None,
    ask_password: PasswordSource | None = None,
    source: str = "input",
) -> tuple[x509.Certificate, ...]:
    """Parse ``data`` in whichever format it is in."""
    if len(data) > MAX_BYTES:
        raise CertificateError(f"{source}: more than {MAX_BYTES // 1024} KiB; not a certificate file")
    if not data.strip():
        raise CertificateError(f"{source} is empty")
    if b"-----BEGIN" in data:
        return _read_pem(data, source)
    if looks_like_pkcs12(data):
        return _read_pkcs12(data, password, ask_password, source)
    if _PKCS7_SIGNED_OID in data[:32]:
        # lazy: only PKCS#7 input needs the pkcs7 reader; check's start-up does not
        from cryptography.hazmat.primitives.serialization import pkcs7

        try:
            certs = tuple(pkcs7.load_der_pkcs7_certificates(data))
        except ValueError as exc:
            raise CertificateError(f"{source}: damaged PKCS#7 file ({exc})") from None
        if not certs:
            raise CertificateError(f"{source}: the PKCS#7 file holds no certificate")
        return _leaf_first(certs)
    try:
        return (parse_leniently(data),)
    except x509.InvalidVersion:
        raise CertificateError(f"{source}: a certificate with an unknown X.509 version (damaged?)") from None
    except (ValueError, IndexError):
        pass
    if data[:1] == b"\x30":
        raise CertificateError(f"{source}: DER data that is not a valid certificate (truncated or damaged?)")
    raise CertificateError(f"{source}: not a certificate (neither PEM, DER, PKCS#7 nor PKCS#12)")


def _read_pem(data: bytes, source: str) -> tuple[x509.Certificate, ...]:
    kinds = [m.group(1).decode("ascii", "replace") for m in _PEM_BLOCK.finditer(data)]
    if "PKCS7" in kinds and "CERTIFICATE" not in kinds:
        # lazy: only PKCS#7 input needs the pkcs7 reader
        from cryptography.hazmat.primitives.serialization import pkcs7

        try:
            return _leaf_first(tuple(pkcs7.load_pem_pkcs7_certificates(data)))
        except ValueError as exc:
            raise CertificateError(f"{source}: damaged PKCS#7 PEM ({exc})") from None
    if "CERTIFICATE" not in kinds and "TRUSTED CERTIFICATE" not in kinds:
        found = ", ".join(dict.fromkeys(kinds)) or "no complete PEM block"
        hint = " (a request: submit it to your CA, then inspect what it issues)" if "CERTIFICATE REQUEST" in kinds else ""
        raise CertificateError(f"{source}: holds no certificate, only {found}{hint}")
    try:
        certs = x509.load_pem_x509_certificates(data)
    except (ValueError, x509.InvalidVersion) as exc:
        # one block cryptography refuses: read each block as the mail clients would
        try:
            return tuple(parse_leniently(der) for der in _pem_ders(data))
        except (ValueError, x509.InvalidVersion):
            raise CertificateError(f"{source}: a PEM CERTIFICATE block is damaged ({_short(exc)})") from None
    return _lenient(certs)


def _pem_ders(data: bytes) -> list[bytes]:
    """The DER of every CERTIFICATE block, undecoded."""
    out = []
    for m in _CERT_BLOCK.finditer(data):
        try:
            out.append(base64.b64decode(b"".join(m.group(1).split()), validate=True))
        except binascii.Error as exc:
            raise ValueError(f"bad base64 ({exc})") from None
    return out


def _lenient(certs: Sequence[x509.Certificate]) -> tuple[x509.Certificate, ...]:
    """Each certificate, or its twin when cryptography refuses part of it (certs.lenient)."""
    out = []
    for cert in certs:
        try:
            cert.extensions
            cert.subject
            out.append(cert)
        except STRICT_REFUSALS:
            out.append(parse_leniently(certificate_der(cert)))
    return tuple(out)


def looks_like_pkcs12(data: bytes) -> bool:
    """Does ``data`` start as a PKCS#12 PFX does (version 3, then pkcs7-data)?"""
    head = data[:64]
    return head[:1] == b"\x30" and b"\x02\x01\x03" in head[:8] and _PKCS7_DATA_OID in head


def _read_pkcs12(
    data: bytes, password: bytes | None, ask_password: PasswordSource | None, source: str
) -> tuple[x509.Certificate, ...]:
    # imported here: pkcs7/pkcs12 pull in the email package, 5 ms that ``check`` never needs
    from cryptography.hazmat.primitives.serialization import pkcs12

    refuse_costly_pfx(data, source)  # before the first try: each one runs the file's counts
    attempts = [password] if password is not None else [None, b""]
    for attempt in attempts:
        try:
            bundle = pkcs12.load_pkcs12(data, attempt)
            break
        except ValueError:
            continue
    else:
        if password is None and ask_password is not None:
            asked = ask_password()
            if asked is not None:
                return _read_pkcs12(data, asked, None, source)
        if password is None:
            raise CertificateError(
                f"{source}: the PKCS#12 file is password-protected; put the password in an"
                " environment variable and name it with password_env VAR",
                mentions=("password_env",),
            )
        raise CertificateError(f"{source}: wrong PKCS#12 password (or a damaged file)")
    leaf = bundle.cert.certificate if bundle.cert is not None else None
    extra = tuple(c.certificate for c in bundle.additional_certs)
    certs = ((leaf,) if leaf is not None else ()) + extra
    if not certs:
        raise CertificateError(f"{source}: the PKCS#12 file holds no certificate")
    return certs if leaf is not None else _leaf_first(certs)


def _leaf_first(certs: tuple[x509.Certificate, ...]) -> tuple[x509.Certificate, ...]:
    """Bags without order (PKCS#7): put the certificate that issued nothing else first."""
    issuers = {c.issuer for c in certs if c.issuer != c.subject}
    leaves = [c for c in certs if c.subject not in issuers or c.subject == c.issuer and len(certs) == 1]
    if not leaves:
        return certs
    leaf = leaves[0]
    return (leaf,) + tuple(c for c in certs if c is not leaf)


def password_from_env(var: str | None) -> bytes | None:
    """The PFX password from the environment variable ``var`` (never from argv)."""
    if var is None:
        return None
    # A value where a name belongs may be the password itself (--password-env Hunter2secret),
    # and error lines end up in logs and scrollback: only a name written the way environment
    # variables are (PFX_PASSWORD) is ever repeated.
    if not (var.isascii() and var.isidentifier()):
        raise InputError("password_env takes the NAME of an environment variable (e.g. PFX_PASSWORD), not a password", field="password_env")
    value = os.environ.get(var)
    if value is None:
        if is_env_name(var):
            raise InputError(f"password_env {var}: that environment variable is not set", field="password_env")
        raise InputError(
            "password_env: no environment variable of the name given is set, and it does not look like"
            " one (such as PFX_PASSWORD); it is not repeated here in case it was the password itself",
            field="password_env",
        )
    return value.encode("utf-8")



def _short(exc: Exception) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:160]
