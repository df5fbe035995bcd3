"""Certificates cryptography refuses, read the way mail clients read them.

OpenSSL, GnuTLS and the JDK load certificates that cryptography's strict decoder refuses: a
SAN iPAddress of 0 or 5 octets beside a good dNSName, a ``*`` stored in a PrintableString CN.
The clients then give a verdict, so mailcert must too.  :func:`parse_leniently` returns a
*twin* that cryptography parses - the same certificate with the refused SAN extension left
out and refused string types re-tagged - and remembers the original bytes: the names are
read from those (``PresentedIdentifiers.from_der``), every other fact from the twin.  The
twin's signature no longer verifies; its facts say it is one (``strict_error``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from cryptography import x509

from mailcert.der import Element, certificate_der, children, element, encode
from mailcert.names.identifiers import PRINTABLE_CHARS

__all__ = ["STRICT_REFUSALS", "parse_leniently", "original_der", "strict_error"]

# what cryptography raises when it refuses a certificate's bytes (not all are ValueErrors)
STRICT_REFUSALS = (ValueError, x509.DuplicateExtension, x509.UnsupportedGeneralNameType)

_SAN_OID = bytes.fromhex("0603551d11")
_PRINTABLE_STRING = 0x13
_UTF8_STRING = 0x0C

# twin DER -> (original DER, why cryptography refused it); twins are made only for the rare
# certificates that need them, and the map keeps at most a few hundred
_ORIGINALS: dict[bytes, tuple[bytes, str]] = {}
_MAX_REMEMBERED = 512


def parse_leniently(der: bytes) -> x509.Certificate:
    """``der`` as a cryptography certificate: itself when cryptography reads all of it, else
    its parseable twin (ValueError when not even a lenient reading helps)."""
    problem = None
    try:
        cert = x509.load_der_x509_certificate(der)
        cert.extensions
        cert.subject
        cert.issuer
        return cert
    except STRICT_REFUSALS as exc:
        problem = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    twin_der = _twin(der)
    try:
        twin = x509.load_der_x509_certificate(twin_der)
        twin.extensions  # noqa: B018 - parse now: a twin that still fails is no twin
    except (x509.DuplicateExtension, x509.UnsupportedGeneralNameType) as exc:
        raise ValueError(f"unreadable even leniently: {exc}") from None
    if len(_ORIGINALS) >= _MAX_REMEMBERED:
        _ORIGINALS.clear()
    _ORIGINALS[twin_der] = (der, problem)
    return twin


def original_der(cert: x509.Certificate) -> bytes | None:
    """The bytes a twin was made from (None for an ordinary certificate)."""
    found = _ORIGINALS.get(certificate_der(cert)) if _ORIGINALS else None
    return found[0] if found else None


def strict_error(cert: x509.Certificate) -> str | None:
    """Why cryptography refused the certificate ``cert`` is a twin of (None: it did not)."""
    found = _ORIGINALS.get(certificate_der(cert)) if _ORIGINALS else None
    return found[1] if found else None


def _twin(der: bytes) -> bytes:
    """The certificate without its SAN extension, PrintableStrings that are not re-tagged.

    When cryptography still refuses an extension (a malformed AIA, say, which OpenSSL never
    parses while verifying), the twin keeps only the extensions cryptography reads alone: the
    facts of the one it cannot read are unknown, the names and the chain are read from the
    original bytes all the same.
    """
    twin = _twin_keeping(der, lambda ext: True)
    try:
        x509.load_der_x509_certificate(twin).extensions  # noqa: B018 - parse now
        return twin
    except STRICT_REFUSALS:
        pass
    extensions = _extensions(der)
    # an extension given twice (with the same or different contents) says nothing certain:
    # cryptography refuses the certificate, OpenSSL refuses it when verifying; the twin keeps
    # neither copy, so its facts say "unknown" rather than pick one
    seen = Counter(_oid(ext) for ext in extensions)
    readable = {ext for ext in extensions if seen[_oid(ext)] == 1 and _reads_alone(der, ext)}
    return _twin_keeping(der, readable.__contains__)


def _oid(ext: bytes) -> bytes:
    """The OBJECT IDENTIFIER (its DER) an extension's DER starts with."""
    seq = element(ext, 0)
    oid = element(ext, seq.body)
    return ext[oid.start : oid.end]


def _twin_keeping(der: bytes, keep: Callable[[bytes], bool]) -> bytes:
    """The twin with the extensions (their DER) for which ``keep`` is true, SAN never."""
    top = element(der, 0)
    parts = children(der, top.body, top.end)
    if len(parts) != 3:
        raise ValueError("a certificate is a SEQUENCE of three elements")
    tbs, algorithm, signature = parts
    fields = children(der, tbs.body, tbs.end)
    out = []
    for field in fields:
        raw = der[field.start : field.end]
        if field.tag == 0xA3:
            raw = _kept(der, field, keep)
        elif field.tag == 0x30 and _is_name(der, field):
            raw = _retagged(der, field)
        out.append(raw)
    body = encode(0x30, b"".join(out)) + der[algorithm.start : algorithm.end] + der[signature.start : signature.end]
    return encode(0x30, body)


def _extensions(der: bytes) -> list[bytes]:
    """The DER of each extension but the SAN."""
    top = element(der, 0)
    tbs = children(der, top.body, top.end)[0]
    for field in children(der, tbs.body, tbs.end):
        if field.tag == 0xA3:
            seq = element(der, field.body)
            return [der[e.start : e.end] for e in children(der, seq.body, seq.end) if not _is_san(der, e)]
    return []


def _reads_alone(der: bytes, ext: bytes) -> bool:
    """Does cryptography read ``ext`` in a twin holding no other extension?"""
    try:
        x509.load_der_x509_certificate(_twin_keeping(der, ext.__eq__)).extensions  # noqa: B018
        return True
    except STRICT_REFUSALS:
        return False


def _is_name(der: bytes, field: Element) -> bool:
    """A Name: a SEQUENCE of SETs (the issuer and the subject)."""
    try:
        return all(rdn.tag == 0x31 for rdn in children(der, field.body, field.end))
    except ValueError:
        return False


def _retagged(der: bytes, name: Element) -> bytes:
    """The Name with every PrintableString holding a character PrintableString forbids
    (``*``, ``_``, ``@``...) re-tagged as UTF8String: same bytes, same length."""
    raw = bytearray(der[name.start : name.end])
    for rdn in children(der, name.body, name.end):
        for attr in children(der, rdn.body, rdn.end):
            parts = children(der, attr.body, attr.end)
            if len(parts) < 2:
                continue
            value = parts[1]
            if value.tag == _PRINTABLE_STRING and not PRINTABLE_CHARS.fullmatch(der[value.body : value.end]):
                raw[value.start - name.start] = _UTF8_STRING
    return bytes(raw)


def _is_san(der: bytes, ext: Element) -> bool:
    return der[ext.body : ext.body + len(_SAN_OID)] == _SAN_OID


def _kept(der: bytes, field: Element, keep: Callable[[bytes], bool]) -> bytes:
    """The extensions [3] field with the subjectAltName extension, and those ``keep`` refuses, left out."""
    seq = element(der, field.body)
    kept = [
        der[ext.start : ext.end]
        for ext in children(der, seq.body, seq.end)
        if not _is_san(der, ext) and keep(der[ext.start : ext.end])
    ]
    return encode(0xA3, encode(0x30, b"".join(kept)))
