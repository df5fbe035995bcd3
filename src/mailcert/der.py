"""A minimal DER walker and writer, for what strict decoders refuse.

cryptography refuses some certificates that mail clients read without complaint (a SAN
iPAddress of 0 or 5 octets, a ``*`` in a PrintableString CN).  To judge those the way the
clients do, mailcert reads the names from the raw bytes (``names.identifiers``) and builds a
parseable twin of the certificate for everything else (``certs.lenient``).  Only definite
lengths of up to four octets are read: DER allows nothing else in a certificate.
"""

from __future__ import annotations

from typing import NamedTuple

from cryptography import x509

# cryptography.x509 has loaded the module that defines Encoding; the public spelling
# (cryptography.hazmat.primitives.serialization) would also import the SSH and PKCS#12
# serialisers and every cipher, which cost `mailcert check` tens of milliseconds at each start
# and which it never uses.  For start-up time.
from cryptography.hazmat.primitives._serialization import Encoding

from mailcert.memo import per_object

__all__ = ["Element", "element", "children", "encode", "certificate_der", "subject_of", "issuer_of", "subject_text"]


def certificate_der(cert: x509.Certificate) -> bytes:
    """The certificate as DER, as cryptography serialises it."""
    return cert.public_bytes(Encoding.DER)


# cryptography builds a new Name at each ``cert.subject`` (an object per attribute, each one
# validated in Python): 12-20 µs, and a new leaf's names are read by its facts, its names, the
# chain's anchor lookup and its texts.  Read once per certificate object (a name that cannot be
# read raises each time, as ``cert.subject`` does).


@per_object(equality=False)
def subject_of(cert: x509.Certificate) -> x509.Name:
    """``cert.subject``, read once per certificate object."""
    return cert.subject


@per_object(equality=False)
def issuer_of(cert: x509.Certificate) -> x509.Name:
    """``cert.issuer``, read once per certificate object."""
    return cert.issuer


@per_object(equality=False)
def subject_text(cert: x509.Certificate) -> str:
    """The subject as RFC 4514 text (what reports show), once per certificate object."""
    return subject_of(cert).rfc4514_string()


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
