"""A minimal DER walker and writer, for what strict decoders refuse.

cryptography refuses some certificates that mail clients read without complaint (a SAN
iPAddress of 0 or 5 octets, a ``*`` in a PrintableString CN).  To judge those the way the
clients do, mailcert reads the names from the raw bytes (``names.identifiers``) and builds a
parseable twin of the certificate for everything else (``certs.lenient``).  Only definite
lengths of up to four octets are read: DER allows nothing else in a certificate.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from cryptography import x509

# cryptography.x509 has loaded the module that defines Encoding; the public spelling
# (cryptography.hazmat.primitives.serialization) would also import the SSH and PKCS#12
# serialisers and every cipher, which cost `mailcert check` tens of milliseconds at each start
# and which it never uses.  For start-up time.
from cryptography.hazmat.primitives._serialization import Encoding

from mailcert.memo import per_object

__all__ = ["Element", "element", "children", "encode", "certificate_der", "subject_of", "issuer_of", "name_text", "subject_text",
           "issuer_text", "public_key_of"]


@per_object(equality=False)
def certificate_der(cert: x509.Certificate) -> bytes:
    """The certificate as DER, as cryptography serialises it (once per certificate object: the
    facts, both validators and the memory's keys read a new leaf's bytes)."""
    return cert.public_bytes(Encoding.DER)


# cryptography builds a new Name at each ``cert.subject`` (an object per attribute, each one
# validated in Python): 12-20 µs, and a new leaf's names are read by its facts, its names, the
# chain's anchor lookup and its texts.  Read once per certificate object (a name that cannot be
# read raises each time, as ``cert.subject`` does).  An issuer is read once per encoding too: a
# Name is a value of its DER, and each new leaf under an intermediate names the same issuer.

_ISSUERS: dict[bytes, x509.Name] = {}  # an issuer Name's DER -> the Name cryptography read from it (bounded)


def _issuer_der(der: bytes) -> bytes:
    """The DER of the issuer Name of the certificate ``der`` (well-formed: cryptography wrote it):
    the fourth field of its TBSCertificate, counting the [0] version."""
    pos = _body(der, _body(der, 0))  # into Certificate, then into TBSCertificate
    if der[pos] == 0xA0:  # the version
        pos = _end(der, pos)
    pos = _end(der, _end(der, pos))  # past the serial number and the signature algorithm
    return der[pos:_end(der, pos)]


def _body(der: bytes, pos: int) -> int:
    """Where the contents of the element at ``pos`` start."""
    length = der[pos + 1]
    return pos + 2 + (length & 0x7F if length & 0x80 else 0)


def _end(der: bytes, pos: int) -> int:
    """Where the element at ``pos`` ends."""
    length = der[pos + 1]
    body = pos + 2
    if length & 0x80:
        count = length & 0x7F
        length = int.from_bytes(der[body:body + count], "big")
        body += count
    return body + length


@per_object(equality=False)
def subject_of(cert: x509.Certificate) -> x509.Name:
    """``cert.subject``, read once per certificate object."""
    return cert.subject


@per_object(equality=False)
def issuer_of(cert: x509.Certificate) -> x509.Name:
    """``cert.issuer``, read once per certificate object and per encoding."""
    encoded = _issuer_der(certificate_der(cert))
    name = _ISSUERS.get(encoded)
    if name is None:
        name = cert.issuer
        if len(_ISSUERS) >= 4096:
            _ISSUERS.clear()
        _ISSUERS[encoded] = name
    return name


@per_object(equality=False)
def name_text(name: x509.Name) -> str:
    """The name as RFC 4514 text (what reports show), once per Name object (:func:`issuer_of`
    hands out one Name per encoding)."""
    return name.rfc4514_string()


def subject_text(cert: x509.Certificate) -> str:
    """The subject as RFC 4514 text (what reports show)."""
    return name_text(subject_of(cert))


def issuer_text(cert: x509.Certificate) -> str:
    """The issuer as RFC 4514 text."""
    return name_text(issuer_of(cert))


@per_object(equality=False)
def public_key_of(cert: x509.Certificate) -> Any:
    """``cert.public_key()``, once per certificate object (a new key object at each call
    otherwise; the facts and the JDK rows' key floor both read it); raises as it does."""
    return cert.public_key()


class Element(NamedTuple):
    """One TLV: its tag, where its header starts, where its contents start and end."""

    tag: int
    start: int
    body: int
    end: int


def element(der: bytes, pos: int) -> Element:
    """The DER element at ``pos`` (ValueError when it is not well-formed DER)."""
    if pos + 2 > len(der):
        raise ValueError("DER element header runs past the data")
    tag = der[pos]
    length = der[pos + 1]
    body = pos + 2
    if length & 0x80:
        count = length & 0x7F
        if not 1 <= count <= 4:
            raise ValueError("unsupported DER length")
        length = int.from_bytes(der[body : body + count], "big")
        body += count
    end = body + length
    if end > len(der):
        raise ValueError("DER element runs past its container")
    return Element(tag, pos, body, end)


def children(der: bytes, start: int, end: int) -> list[Element]:
    """The elements between ``start`` and ``end`` (the contents of a SEQUENCE or SET)."""
    out = []
    while start < end:
        child = element(der, start)
        out.append(child)
        start = child.end
    return out


def encode(tag: int, content: bytes) -> bytes:
    """One DER element."""
    n = len(content)
    if n < 0x80:
        return bytes((tag, n)) + content
    size = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes((tag, 0x80 | len(size))) + size + content
