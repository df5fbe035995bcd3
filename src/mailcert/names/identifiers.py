"""Presented identifiers: the names a certificate offers, read once, kept in certificate order.

RFC 6125/9525 vocabulary (as in pyca ``service-identity``): the *presented identifiers* are
the patterns read from the certificate; the *reference identifier* is the name the user typed
into the mail client.  Order matters here, unlike in most libraries: Outlook 2007 reads only
the first DNS name of the SAN (KB958977), so we never put names into a set.
"""

from __future__ import annotations

import enum
import ipaddress
import re
from dataclasses import dataclass

from cryptography import x509
from cryptography.x509.oid import ExtensionOID, NameOID

from mailcert.der import children, element, subject_of
from mailcert.memo import cached_value

__all__ = ["PresentedIdentifiers", "SanEntry", "SanDefect"]

# (type, value): type is one of "DNS", "IP", "email", "URI", "DirName", "RID", "other"
SanEntry = tuple[str, str]

_CN = NameOID.COMMON_NAME


class SanDefect(enum.Enum):
    """Something in the certificate's names that some clients refuse to read at all (the whole
    certificate fails): mostly SAN entries, and a subject string that breaks its type."""

    EMPTY_DNS = "an empty dNSName"
    NON_ASCII_DNS = "a dNSName with bytes outside ASCII (not an IA5String)"
    NOT_UTF8_DNS = "a dNSName whose bytes are not even UTF-8"
    BAD_IP = "an iPAddress that is neither 4 nor 16 octets"
    EMPTY_IP = "an empty iPAddress (0 octets)"
    BAD_STRING = "a subject attribute whose characters its string type forbids (a '*' in a PrintableString)"


@dataclass(frozen=True)
class PresentedIdentifiers:
    """Everything a client may compare a host name with, in certificate order.

    ``san_error`` is set when the SAN extension exists but cannot be decoded at all; clients
    then refuse the certificate.  SAN entries that a strict decoder refuses but the clients'
    tolerant ones read (raw non-UTF-8 bytes in a dNSName, a 5-octet iPAddress) are kept, and
    listed in ``san_defects``: each client profile says which of them it cannot live with.
    A dNSName that is not UTF-8 keeps its bytes as lone surrogates (``surrogateescape``), so
    it never equals a typed name.  ``cn_rdns`` gives, for each CN, the index of the RDN it
    sits in (empty: one RDN each); the JDK picks the CN by RDN.
    """

    san: tuple[SanEntry, ...]
    has_san_extension: bool
    common_names: tuple[str, ...]
    san_error: str | None = None
    cn_rdns: tuple[int, ...] = ()
    bad_strings: bool = False

    # cached: the matcher asks for these once per profile, twelve times per name
    @cached_value
    def dns_names(self) -> tuple[str, ...]:
        return tuple(v for t, v in self.san if t == "DNS")

    @cached_value
    def ip_addresses(self) -> tuple[str, ...]:
        return tuple(v for t, v in self.san if t == "IP")

    @cached_value
    def dns_lower(self) -> tuple[str, ...]:
        """DNS names lower-cased the DNS way (ASCII only), for comparison."""
        return tuple(_ascii_lower(d) for d in self.dns_names)

    @cached_value
    def dns_candidates(self) -> tuple[tuple[str, str, str], ...]:
        """("DNS", name, lower-cased name) for each SAN DNS name: what the matcher walks."""
        return tuple(("DNS", d, low) for d, low in zip(self.dns_names, self.dns_lower))

    @cached_value
    def cn_lower(self) -> tuple[str, ...]:
        return tuple(_ascii_lower(c) for c in self.common_names)

    @cached_value
    def san_defects(self) -> frozenset[SanDefect]:
        """The SAN's entries that only a tolerant decoder reads (see :class:`SanDefect`)."""
        found: set[SanDefect] = set()
        for kind, value in self.san:
            if kind == "DNS":
                if not value:
                    found.add(SanDefect.EMPTY_DNS)
                elif not value.isascii():
                    found.add(SanDefect.NON_ASCII_DNS)
                    if any("\udc80" <= c <= "\udcff" for c in value):
                        found.add(SanDefect.NOT_UTF8_DNS)
            elif kind == "IP" and value.startswith("<"):
                found.add(SanDefect.BAD_IP)
                if value.startswith("<0 "):
                    found.add(SanDefect.EMPTY_IP)
        if self.bad_strings:
            found.add(SanDefect.BAD_STRING)
        return frozenset(found)

    @classmethod
    def from_certificate(cls, cert: x509.Certificate) -> PresentedIdentifiers:
        """Read SAN entries and subject CNs without raising for odd encodings."""
        common_names: list[str] = []
        rdn_of: list[int] = []
        try:
            for index, rdn in enumerate(subject_of(cert).rdns):
                for attr in rdn:
                    if attr.oid == _CN:
                        text = attr.value
                        common_names.append(text if isinstance(text, str) else text.decode("utf-8", "replace"))
                        rdn_of.append(index)
        except ValueError:
            # cryptography refuses the subject (a '*' in a PrintableString, say); the clients'
            # decoders read it, so read the CNs the tolerant way
            try:
                common_names, rdn_of, _ = _read_cns(cert.tbs_certificate_bytes)
            except (ValueError, IndexError):
                common_names, rdn_of = [], []
        cns = tuple(common_names)
        # one RDN per CN is the rule; only a multi-valued RDN needs the map
        rdns = tuple(rdn_of) if len(set(rdn_of)) != len(rdn_of) else ()
        try:
            ext = cert.extensions.get_extension_for_oid(ExtensionOID.SUBJECT_ALTERNATIVE_NAME)
        except x509.ExtensionNotFound:
            return cls((), False, cns, cn_rdns=rdns)
        except x509.DuplicateExtension as exc:
            return cls((), True, cns, san_error=str(exc) or type(exc).__name__, cn_rdns=rdns)
        except ValueError as exc:
            return cls._tolerant(cert, cns, rdns, str(exc) or type(exc).__name__)
        value = ext.value
        if not isinstance(value, x509.SubjectAlternativeName):
            # cryptography could not parse it and kept the raw bytes
            return cls._tolerant(cert, cns, rdns, "subjectAltName could not be decoded")
        return cls(tuple(_entry(g) for g in value), True, cns, cn_rdns=rdns)

    @classmethod
    def from_der(cls, der: bytes) -> PresentedIdentifiers:
        """Read a certificate's names from its DER alone, as the clients' tolerant decoders
        do: for a certificate cryptography refuses to parse at all."""
        try:
            top = element(der, 0)
            tbs_element = element(der, top.body)
            tbs = der[tbs_element.start : tbs_element.end]
            cns, rdn_of, bad_strings = _read_cns(tbs)
            san = _read_san(tbs)
        except (ValueError, IndexError) as exc:
            return cls((), True, (), san_error=str(exc))
        rdns = tuple(rdn_of) if len(set(rdn_of)) != len(rdn_of) else ()
        return cls(san or (), san is not None, tuple(cns), cn_rdns=rdns, bad_strings=bad_strings)

    @classmethod
    def _tolerant(
        cls, cert: x509.Certificate, cns: tuple[str, ...], rdns: tuple[int, ...], error: str
    ) -> PresentedIdentifiers:
        """cryptography refused the SAN; read it as the clients' own tolerant decoders do."""
        try:
            san = _read_san(cert.tbs_certificate_bytes)
        except (ValueError, IndexError):
            san = None
        if san is None:
            return cls((), True, cns, san_error=error, cn_rdns=rdns)
        return cls(san, True, cns, cn_rdns=rdns)


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


# --- a tolerant subjectAltName reader ----------------------------------------------------
# Only reached when cryptography refuses the extension.  OpenSSL, NSS, GnuTLS and the JDK
# copy a dNSName's bytes without checking IA5String, and read an iPAddress of any length;
# judging those certificates per client needs the entries, not just "undecodable".

_SAN_OID = bytes.fromhex("0603551d11")  # OBJECT IDENTIFIER 2.5.29.17
_KINDS = {0x81: "email", 0x82: "DNS", 0x86: "URI", 0x87: "IP", 0x88: "RID", 0xA0: "other", 0xA4: "DirName"}


def _read_san(tbs: bytes) -> tuple[SanEntry, ...] | None:
    """The SAN entries of a TBSCertificate, decoded the tolerant way (None: no SAN found)."""
    top = element(tbs, 0)
    for field in children(tbs, top.body, top.end):
        if field.tag != 0xA3:  # extensions [3] EXPLICIT
            continue
        seq = element(tbs, field.body)
        for ext in children(tbs, seq.body, seq.end):
            parts = children(tbs, ext.body, ext.end)
            if tbs[parts[0].start : parts[0].end] != _SAN_OID:
                continue
            value = parts[-1]  # extnValue OCTET STRING
            names = element(tbs, value.body)
            entries = children(tbs, names.body, names.end)
            if any(n.tag & 0xC0 != 0x80 or n.tag & 0x1F > 8 for n in entries):
                raise ValueError("a subjectAltName entry that is no GeneralName ([0] to [8])")
            return tuple(_raw_entry(n.tag, tbs[n.body : n.end]) for n in entries)
    return None


_CN_OID = bytes.fromhex("0603550403")  # OBJECT IDENTIFIER 2.5.4.3
_PRINTABLE_STRING = 0x13
PRINTABLE_CHARS = re.compile(rb"[A-Za-z0-9 '()+,\-./:=?]*")  # X.680's PrintableString
# DirectoryString and friends: how each string type's bytes become text
_STRING_CODECS = {0x0C: "utf-8", 0x13: "latin-1", 0x14: "latin-1", 0x16: "latin-1", 0x1E: "utf-16-be", 0x1C: "utf-32-be"}


def _read_cns(tbs: bytes) -> tuple[list[str], list[int], bool]:
    """The subject's CNs and the index of the RDN holding each, read without judging the
    string types (OpenSSL and the JDK copy a PrintableString's bytes unchecked), and whether
    any subject attribute breaks its string type (GnuTLS then refuses the certificate)."""
    top = element(tbs, 0)
    fields = children(tbs, top.body, top.end)
    if fields and fields[0].tag == 0xA0:  # version [0] present
        fields = fields[1:]
    subject = fields[4]  # serial, signature, issuer, validity, subject
    cns: list[str] = []
    rdns: list[int] = []
    bad = False
    for index, rdn in enumerate(children(tbs, subject.body, subject.end)):
        for attr in children(tbs, rdn.body, rdn.end):
            oid, value = children(tbs, attr.body, attr.end)[:2]
            data = tbs[value.body : value.end]
            bad = bad or (value.tag == _PRINTABLE_STRING and not PRINTABLE_CHARS.fullmatch(data))
            if tbs[oid.start : oid.end] == _CN_OID:
                cns.append(data.decode(_STRING_CODECS.get(value.tag, "latin-1"), "replace"))
                rdns.append(index)
    return cns, rdns, bad


def _raw_entry(tag: int, data: bytes) -> SanEntry:
    kind = _KINDS.get(tag, "other")
    if kind == "IP":
        if len(data) in (4, 16):
            return ("IP", ipaddress.ip_address(data).compressed)
        return ("IP", f"<{len(data)} octets: {data.hex()}>")
    if kind in ("DNS", "email", "URI"):
        return (kind, data.decode("utf-8", "surrogateescape"))
    return (kind, data.hex())
