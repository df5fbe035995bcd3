"""DANE TLSA records (RFC 6698, 7671, 7672) against a served chain.  Pure: no DNS, no sockets.

A sending mail server that does DANE looks up ``_PORT._tcp.HOST TLSA`` with DNSSEC and compares
each record with the chain the receiving server presents.  This module holds the record values,
the DNS lookup's outcome as a value (:class:`TlsaLookup`, filled in by the probe layer), and the
comparison:

* usages 2 (DANE-TA) and 3 (DANE-EE) are the ones SMTP uses; 0 (PKIX-TA) and 1 (PKIX-EE) are
  "unusable" for SMTP (RFC 7672 section 3.1.3), any other number is an unknown usage;
* selectors 0 (whole certificate) and 1 (SubjectPublicKeyInfo); matching types 0 (exact),
  1 (SHA-256), 2 (SHA-512);
* digest algorithm agility (RFC 7671 section 9, as OpenSSL's DANE code does for Postfix): among
  records of one usage and selector, only the strongest matching type present is used, so a
  wrong 3 1 2 beside a right 3 1 1 fails.

hashlib is used for the digests and cryptography for DER/SPKI: the association data is defined
over exactly those bytes.
"""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from mailcert.errors import InputError

__all__ = [
    "Usage",
    "TlsaRecord",
    "DnsStatus",
    "TlsaLookup",
    "TlsaMatch",
    "association",
    "spki_der",
    "match_chain",
    "records_for",
    "tlsa_name",
]


class Usage(enum.IntEnum):
    """Certificate usage field (RFC 6698 section 2.1.1; acronyms from RFC 7218)."""

    PKIX_TA = 0
    PKIX_EE = 1
    DANE_TA = 2
    DANE_EE = 3


_SELECTORS = {0: "Cert", 1: "SPKI"}
_MTYPES = {0: "Full", 1: "SHA2-256", 2: "SHA2-512"}
# RFC 7671 section 9: the stronger digest wins within one (usage, selector)
_MTYPE_STRENGTH = {0: 0, 1: 1, 2: 2}


class TlsaRecord(NamedTuple):
    """One TLSA record: ``usage selector mtype data``.  Unknown numbers are kept, not refused:
    what a sender does with them is a verdict, not a parse error."""

    usage: int
    selector: int
    mtype: int
    data: bytes

    @classmethod
    def from_text(cls, text: str) -> TlsaRecord:
        """``"3 1 1 ab12..."`` (presentation format; the hex may contain spaces)."""
        parts = text.split()
        if len(parts) < 4:
            raise InputError(f"TLSA record {text!r}: expected 'usage selector mtype hex'")
        try:
            usage, selector, mtype = (int(p) for p in parts[:3])
            data = bytes.fromhex("".join(parts[3:]))
        except ValueError:
            raise InputError(f"TLSA record {text!r}: the fields are not numbers and hex") from None
        if not all(0 <= n <= 255 for n in (usage, selector, mtype)):
            raise InputError(f"TLSA record {text!r}: each field is one octet (0-255)")
        return cls(usage, selector, mtype, data)

    def to_text(self) -> str:
        return f"{self.usage} {self.selector} {self.mtype} {self.data.hex()}"

    def short(self) -> str:
        """``3 1 1 1e0744c7...`` for one-line messages."""
        hexdata = self.data.hex()
        return f"{self.usage} {self.selector} {self.mtype} {hexdata[:16]}{'...' if len(hexdata) > 16 else ''}"

    def unusable_reason(self) -> str | None:
        """Why an SMTP DANE sender ignores this record (``None``: usable)."""
        if self.usage in (Usage.PKIX_TA, Usage.PKIX_EE):
            name = Usage(self.usage).name.replace("_", "-")
            return f"usage {self.usage} ({name}) is not used by SMTP DANE (RFC 7672 section 3.1.3)"
        if self.usage not in (Usage.DANE_TA, Usage.DANE_EE):
            return f"unknown certificate usage {self.usage}"
        if self.selector not in _SELECTORS:
            return f"unknown selector {self.selector}"
        if self.mtype not in _MTYPES:
            return f"unknown matching type {self.mtype}"
        if self.mtype == 1 and len(self.data) != 32 or self.mtype == 2 and len(self.data) != 64:
            return f"{_MTYPES[self.mtype]} data of {len(self.data)} bytes"
        return None


class DnsStatus(str, enum.Enum):
    """What the validating resolver said about a name (RFC 4035 section 4.3 vocabulary)."""

    SECURE = "secure"  # answer (or proof of no answer) validated: AD bit set
    INSECURE = "insecure"  # provably unsigned (no DS on the way): DANE does not apply
    BOGUS = "bogus"  # signatures do not validate: the resolver answered SERVFAIL
    ERROR = "error"  # no answer at all (timeout, refused, network)


@dataclass(frozen=True)
class TlsaLookup:
    """The outcome of ``_PORT._tcp.HOST TLSA`` through a validating resolver (probe fills it).

    ``records`` is empty when the name has none; ``ttl`` is the RRset's TTL (0 without one);
    ``detail`` says in one line what the resolver answered (rcode, AD flag) or what failed.
    """

    name: str
    status: DnsStatus
    records: tuple[TlsaRecord, ...]
    ttl: int
    resolver: str
    detail: str
    host_status: DnsStatus = DnsStatus.SECURE  # the MX host's own address lookup


def tlsa_name(host: str, port: int) -> str:
    """The TLSA owner name a sender asks for: always the port it actually connects to
    (Postfix never falls back to ``_25._tcp``; LAB-DANE section 7)."""
    return f"_{port}._tcp.{host.rstrip('.')}."


def spki_der(cert: x509.Certificate) -> bytes:
    return cert.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def association(cert_der: bytes, selector: int, mtype: int) -> bytes:
    """The certificate association data for ``selector``/``mtype`` (RFC 6698 section 2.1.2-3)."""
    if selector == 0:
        selected = cert_der
    elif selector == 1:
        selected = spki_der(x509.load_der_x509_certificate(cert_der))
    else:
        raise ValueError(f"unknown selector {selector}")
    if mtype == 0:
        return selected
    if mtype == 1:
        return hashlib.sha256(selected).digest()
    if mtype == 2:
        return hashlib.sha512(selected).digest()
    raise ValueError(f"unknown matching type {mtype}")


@dataclass(frozen=True)
class TlsaMatch:
    """The comparison of a TLSA RRset with a chain.

    ``matched``: the record that matched and the depth (0 = leaf) of the certificate it
    matched; ``None`` when nothing matched.  ``usable`` / ``unusable`` split the RRset as an
    SMTP sender does, each unusable record with its reason; ``ignored`` are usable records
    skipped by digest agility (a stronger digest of the same usage and selector exists).
    """

    usable: tuple[TlsaRecord, ...]
    unusable: tuple[tuple[TlsaRecord, str], ...]
    ignored: tuple[TlsaRecord, ...]
    matched: TlsaRecord | None
    depth: int | None

    @property
    def ee(self) -> bool:
        return self.matched is not None and self.matched.usage == Usage.DANE_EE


def _agile(records: Sequence[TlsaRecord]) -> tuple[list[TlsaRecord], list[TlsaRecord]]:
    best: dict[tuple[int, int], int] = {}
    for r in records:
        key = (r.usage, r.selector)
        best[key] = max(best.get(key, -1), _MTYPE_STRENGTH[r.mtype])
    used = [r for r in records if _MTYPE_STRENGTH[r.mtype] == best[(r.usage, r.selector)]]
    return used, [r for r in records if r not in used]


def match_chain(records: Iterable[TlsaRecord], chain: Sequence[bytes]) -> TlsaMatch:
    """Compare ``records`` with the DER ``chain`` (leaf first, as served).

    DANE-EE (3) matches the leaf only; DANE-TA (2) matches a certificate the server sends
    after the leaf (RFC 7671 section 5.2.2: the trust anchor must be in the chain unless the
    record carries a full key, which this does not model).  Whether the rest of the chain and
    the names then satisfy a sender is the sender's rule (``mailcert.senders``).
    """
    records = list(dict.fromkeys(records))
    unusable = [(r, why) for r in records for why in [r.unusable_reason()] if why]
    usable_all = [r for r in records if r.unusable_reason() is None]
    usable, ignored = _agile(usable_all)
    cache: dict[tuple[int, int, int], bytes] = {}

    def data(depth: int, selector: int, mtype: int) -> bytes:
        key = (depth, selector, mtype)
        if key not in cache:
            try:
                cache[key] = association(chain[depth], selector, mtype)
            except ValueError:  # an unparseable certificate in the chain matches nothing
                cache[key] = b""
        return cache[key]

    for r in usable:
        depths = [0] if r.usage == Usage.DANE_EE else list(range(1, len(chain)))
        for depth in depths:
            if depth < len(chain) and data(depth, r.selector, r.mtype) == r.data:
                return TlsaMatch(tuple(usable), tuple(unusable), tuple(ignored), r, depth)
    return TlsaMatch(tuple(usable), tuple(unusable), tuple(ignored), None, None)


def records_for(cert_der: bytes, *, issuer_der: bytes | None = None) -> tuple[TlsaRecord, ...]:
    """The records to publish for a certificate: ``3 1 1`` for its key (survives renewals that
    keep the key), and ``2 1 1`` for its issuer's key when the issuer is given (survives any
    renewal by the same CA intermediate, RFC 7671 section 5.2)."""
    out = [TlsaRecord(3, 1, 1, association(cert_der, 1, 1))]
    if issuer_der is not None:
        out.append(TlsaRecord(2, 1, 1, association(issuer_der, 1, 1)))
    return tuple(out)
