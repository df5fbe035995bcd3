"""Presented identifiers: the names a certificate offers, read once, kept in certificate order.

RFC 6125/9525 vocabulary (as in pyca ``service-identity``): the *presented identifiers* are
the patterns read from the certificate; the *reference identifier* is the name the user typed
into the mail client.  Order matters here, unlike in most libraries: Outlook 2007 reads only
the first DNS name of the SAN (KB958977), so we never put names into a set.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from functools import cached_property

from cryptography import x509
from cryptography.x509.oid import ExtensionOID, NameOID

__all__ = ["PresentedIdentifiers", "SanEntry"]

# (type, value): type is one of "DNS", "IP", "email", "URI", "DirName", "RID", "other"
SanEntry = tuple[str, str]


@dataclass(frozen=True)
class PresentedIdentifiers:
    """Everything a client may compare a host name with, in certificate order.

    ``san_error`` is set when the SAN extension exists but cannot be decoded; clients then
    differ (most refuse the certificate), and the judge reports it as a finding.
    """

    san: tuple[SanEntry, ...]
    has_san_extension: bool
    common_names: tuple[str, ...]
    san_error: str | None = None

    # cached: the matcher asks for these once per profile, twelve times per name
    @cached_property
    def dns_names(self) -> tuple[str, ...]:
        return tuple(v for t, v in self.san if t == "DNS")

    @cached_property
    def ip_addresses(self) -> tuple[str, ...]:
        return tuple(v for t, v in self.san if t == "IP")

    @cached_property
    def dns_lower(self) -> tuple[str, ...]:
        """DNS names lower-cased the DNS way (ASCII only), for comparison."""
        return tuple(_ascii_lower(d) for d in self.dns_names)

    @cached_property
    def cn_lower(self) -> tuple[str, ...]:
        return tuple(_ascii_lower(c) for c in self.common_names)

    @classmethod
    def from_certificate(cls, cert: x509.Certificate) -> PresentedIdentifiers:
        """Read SAN entries and subject CNs without raising for odd encodings."""
        common_names: list[str] = []
        try:
            for attr in cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME):
                value = attr.value
                common_names.append(value if isinstance(value, str) else value.decode("utf-8", "replace"))
        except ValueError:
            pass  # malformed subject: no usable CN
        try:
            ext = cert.extensions.get_extension_for_oid(ExtensionOID.SUBJECT_ALTERNATIVE_NAME)
        except x509.ExtensionNotFound:
            return cls((), False, tuple(common_names))
        except (ValueError, x509.DuplicateExtension) as exc:
            return cls((), True, tuple(common_names), san_error=str(exc) or type(exc).__name__)
        value = ext.value
        if not isinstance(value, x509.SubjectAlternativeName):
            # cryptography could not parse it and kept the raw bytes
            return cls((), True, tuple(common_names), san_error="subjectAltName could not be decoded")
        return cls(tuple(_entry(g) for g in value), True, tuple(common_names))


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _ascii_lower(text: str) -> str:
    """Lower-case ASCII letters only (DNS case rule); str.lower() is the fast path."""
    return text.lower() if text.isascii() else text.translate(_ASCII_LOWER)


def _entry(name: x509.GeneralName) -> SanEntry:
    if isinstance(name, x509.DNSName):
        return ("DNS", name.value)
    if isinstance(name, x509.IPAddress):
        value = name.value
        if isinstance(value, (ipaddress.IPv4Network, ipaddress.IPv6Network)):
            return ("IP", str(value))
        return ("IP", value.compressed)
    if isinstance(name, x509.RFC822Name):
        return ("email", name.value)
    if isinstance(name, x509.UniformResourceIdentifier):
        return ("URI", name.value)
    if isinstance(name, x509.DirectoryName):
        return ("DirName", name.value.rfc4514_string())
    if isinstance(name, x509.RegisteredID):
        return ("RID", name.value.dotted_string)
    if isinstance(name, x509.OtherName):
        return ("other", name.type_id.dotted_string)
    return ("other", repr(name))
