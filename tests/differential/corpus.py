"""The differential corpus: tricky server certificates, each with the host names to try.

Every certificate here is *valid except perhaps for its names*: one fixed test CA signs every
leaf, every leaf is inside its validity window, carries the serverAuth EKU and
basicConstraints CA:FALSE.  A real TLS client that refuses one of them for a given host
therefore refuses it for a naming reason, which is exactly what the client profiles of
mailcert have to predict.

Determinism: the CA key and the shared leaf key are derived from fixed scalars, signatures
are RFC 6979 deterministic ECDSA, serial numbers are hashes of the certificate id and the
validity window is anchored to the start of the current UTC day.  Two calls of `generate()`
on the same day therefore return byte-identical DER, which keeps oracle dumps comparable.

The subjectAltName extension is always encoded by this module (`_san_der`), never by
`cryptography`, so that certificate order is kept byte for byte and so that contents
`cryptography` refuses to build (empty, NUL, UTF-8 or Latin-1 bytes in a dNSName, an empty
GeneralNames, a 5-byte iPAddress) can be placed in a certificate at all.  See README.md.
"""

from __future__ import annotations

import datetime as _dt
import functools
import hashlib
import ipaddress
import itertools
import warnings
from dataclasses import dataclass
from typing import Final, Sequence, Union

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, ExtensionOID, NameOID

__all__ = [
    "CorpusCert",
    "Dns",
    "RawDns",
    "Ip",
    "RawIp",
    "Email",
    "Uri",
    "DirName",
    "GeneralName",
    "generate",
    "issue",
    "ca_der",
    "ca_pem",
    "leaf_key_pem",
    "CA_SUBJECT_CN",
]

CA_SUBJECT_CN: Final = "mailcert differential test CA"

# Fixed private scalars (any value in [1, n-1] works).  Deriving the keys instead of
# generating them keeps the DER stable across processes, so a dump made yesterday can be
# compared with one made today certificate by certificate.
_CA_SCALAR: Final = int.from_bytes(hashlib.sha256(b"mailcert differential CA key").digest(), "big") >> 8
_LEAF_SCALAR: Final = int.from_bytes(hashlib.sha256(b"mailcert differential leaf key").digest(), "big") >> 8


@dataclass(frozen=True)
class CorpusCert:
    """One leaf certificate and the host names (as a user would type them) to test it with."""

    id: str
    description: str
    der: bytes
    hosts: tuple[str, ...]


# --- General names, as exact values -------------------------------------------------------


@dataclass(frozen=True)
class Dns:
    """A dNSName holding ASCII text, written as is (case, dots and wildcards untouched)."""

    value: str


@dataclass(frozen=True)
class RawDns:
    """A dNSName holding arbitrary bytes: what `cryptography` refuses to build."""

    value: bytes


@dataclass(frozen=True)
class Ip:
    """An iPAddress from its text form (IPv4 gives 4 octets, IPv6 16)."""

    value: str


@dataclass(frozen=True)
class RawIp:
    """An iPAddress with arbitrary octets (e.g. a malformed length)."""

    value: bytes


@dataclass(frozen=True)
class Email:
    """An rfc822Name."""

    value: str


@dataclass(frozen=True)
class Uri:
    """A uniformResourceIdentifier."""

    value: str


@dataclass(frozen=True)
class DirName:
    """A directoryName holding a single CN: a name that looks like a host but is not a dNSName."""

    cn: str


GeneralName = Union[Dns, RawDns, Ip, RawIp, Email, Uri, DirName]


def _der_len(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def _tlv(tag: int, content: bytes) -> bytes:
    return bytes([tag]) + _der_len(len(content)) + content


def _general_name_der(name: GeneralName) -> bytes:
    """DER of one GeneralName (RFC 5280 4.2.1.6); context tags are IMPLICIT except dirName."""
    if isinstance(name, Dns):
        return _tlv(0x82, name.value.encode("ascii"))
    if isinstance(name, RawDns):
        return _tlv(0x82, name.value)
    if isinstance(name, Ip):
        return _tlv(0x87, ipaddress.ip_address(name.value).packed)
    if isinstance(name, RawIp):
        return _tlv(0x87, name.value)
    if isinstance(name, Email):
        return _tlv(0x81, name.value.encode("ascii"))
    if isinstance(name, Uri):
        return _tlv(0x86, name.value.encode("ascii"))
    # directoryName is [4] EXPLICIT Name (CHOICE types are always explicitly tagged).
    dn = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name.cn)]).public_bytes()
    return _tlv(0xA4, dn)


def _san_der(names: Sequence[GeneralName]) -> bytes:
    """GeneralNames ::= SEQUENCE OF GeneralName, in the order given (order is the point)."""
    return _tlv(0x30, b"".join(_general_name_der(n) for n in names))


# --- Keys and the CA -------------------------------------------------------------------------


@functools.lru_cache(maxsize=None)
def _ca_key() -> ec.EllipticCurvePrivateKey:
    return ec.derive_private_key(_CA_SCALAR, ec.SECP256R1())


@functools.lru_cache(maxsize=None)
def _leaf_key() -> ec.EllipticCurvePrivateKey:
    return ec.derive_private_key(_LEAF_SCALAR, ec.SECP256R1())


def _day_start(now: _dt.datetime | None) -> _dt.datetime:
    """Start of the UTC day of `now`: validity anchored to the day keeps DER stable all day."""
    moment = now if now is not None else _dt.datetime.now(_dt.timezone.utc)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=_dt.timezone.utc)
    moment = moment.astimezone(_dt.timezone.utc)
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


_CA_NAME: Final = x509.Name(
    [
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "mailcert tests"),
        x509.NameAttribute(NameOID.COMMON_NAME, CA_SUBJECT_CN),
    ]
)


@functools.lru_cache(maxsize=4)
def _ca_cert(day: _dt.datetime) -> x509.Certificate:
    key = _ca_key()
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    builder = (
        x509.CertificateBuilder()
        .subject_name(_CA_NAME)
        .issuer_name(_CA_NAME)
        .public_key(key.public_key())
        .serial_number(_serial("ca"))
        .not_valid_before(day - _dt.timedelta(days=1))
        .not_valid_after(day + _dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(ski, critical=False)
    )
    return builder.sign(key, hashes.SHA256(), ecdsa_deterministic=True)


def ca_der(now: _dt.datetime | None = None) -> bytes:
    """DER of the test CA that signs every corpus leaf."""
    return _ca_cert(_day_start(now)).public_bytes(serialization.Encoding.DER)


def ca_pem(now: _dt.datetime | None = None) -> bytes:
    """PEM of the test CA: what a client's trust store is loaded with."""
    return _ca_cert(_day_start(now)).public_bytes(serialization.Encoding.PEM)


def leaf_key_pem() -> bytes:
    """PKCS#8 PEM of the one private key every leaf shares (servers in the oracles load it)."""
    return _leaf_key().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _serial(cert_id: str) -> int:
    """A serial unique per id: NSS caches certificates by issuer and serial, so they must differ."""
    return int.from_bytes(hashlib.sha256(cert_id.encode()).digest()[:16], "big") >> 1 | 1


# --- Leaves ------------------------------------------------------------------------------------

_SUBJECT_FILLER: Final = x509.NameAttribute(NameOID.ORGANIZATION_NAME, "mailcert differential corpus")


def _subject(cns: Sequence[str], *, multivalued: bool = False, empty: bool = False) -> x509.Name:
    """Subject with the CNs given, each in its own RDN (or all in one multi-valued RDN).

    `_validate=False` lets a CN exceed ub-common-name (64) or be empty, as broken
    certificates in the wild do; `cryptography` only warns about it.
    """
    if empty:
        return x509.Name([])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # over-long / empty CN: deliberate
        cn_attrs = [x509.NameAttribute(NameOID.COMMON_NAME, cn, _validate=False) for cn in cns]
    if multivalued and len(cn_attrs) > 1:
        return x509.Name(
            [x509.RelativeDistinguishedName([_SUBJECT_FILLER]), x509.RelativeDistinguishedName(cn_attrs)]
        )
    return x509.Name([_SUBJECT_FILLER, *cn_attrs])


def issue(
    cert_id: str,
    *,
    san: Sequence[GeneralName] | None,
    cns: Sequence[str] = (),
    multivalued_cn: bool = False,
    empty_subject: bool = False,
    now: _dt.datetime | None = None,
) -> bytes:
    """Issue one leaf from the test CA and return its DER.

    `san=None` means no subjectAltName extension at all (CN-only certificates); `san=[]`
    means an extension with an empty GeneralNames (invalid, but seen in the wild).  The SAN
    is critical when the subject is empty, as RFC 5280 4.2.1.6 requires.
    """
    day = _day_start(now)
    ca_key = _ca_key()
    leaf_pub = _leaf_key().public_key()
    builder = (
        x509.CertificateBuilder()
        .subject_name(_subject(cns, multivalued=multivalued_cn, empty=empty_subject))
        .issuer_name(_CA_NAME)
        .public_key(leaf_pub)
        .serial_number(_serial(cert_id))
        .not_valid_before(day - _dt.timedelta(days=1))
        .not_valid_after(day + _dt.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
    )
    if san is not None:
        builder = builder.add_extension(
            x509.UnrecognizedExtension(ExtensionOID.SUBJECT_ALTERNATIVE_NAME, _san_der(san)),
            critical=empty_subject,
        )
    cert = builder.sign(ca_key, hashes.SHA256(), ecdsa_deterministic=True)
    return cert.public_bytes(serialization.Encoding.DER)


def with_printable_cns(der: bytes) -> bytes:
    """The certificate ``der`` with its CNs re-tagged as PrintableString, whatever they hold,
    and signed again by the test CA.

    `cryptography` refuses to build (or parse) a PrintableString holding ``*``, yet such CNs
    exist (``CN=*.example.com``) and the clients' decoders read them; the tag byte is swapped
    in the DER (UTF8String 0x0C -> PrintableString 0x13, same length) and the TBS re-signed.
    """
    cert = x509.load_der_x509_certificate(der)
    tbs = bytearray(cert.tbs_certificate_bytes)
    cn_oid = bytes.fromhex("0603550403")
    at = tbs.find(cn_oid)
    while at >= 0:
        tag_at = at + len(cn_oid)
        if tbs[tag_at] == 0x0C:
            tbs[tag_at] = 0x13
        at = tbs.find(cn_oid, tag_at)
    signature = _ca_key().sign(bytes(tbs), ec.ECDSA(hashes.SHA256(), deterministic_signing=True))
    algorithm = der[4 + len(cert.tbs_certificate_bytes) :]  # signatureAlgorithm, then the old signature
    _, alg_len = algorithm[0], algorithm[1]
    sig_alg = algorithm[: 2 + alg_len]
    body = bytes(tbs) + sig_alg + _tlv(0x03, b"\x00" + signature)
    return _tlv(0x30, body)


# --- The corpus as data --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Spec:
    id: str
    description: str
    san: tuple[GeneralName, ...] | None
    hosts: tuple[str, ...]
    cns: tuple[str, ...] = ()
    multivalued_cn: bool = False
    empty_subject: bool = False


def _uniq(hosts: Sequence[str]) -> tuple[str, ...]:
    """Hosts in first-seen order without repeats (order kept: it is part of the case id)."""
    return tuple(dict.fromkeys(hosts))


def _with_variants(hosts: Sequence[str]) -> tuple[str, ...]:
    """The hosts plus lexical neighbours of the first one: upper case, trailing dot, a child.

    Those three are the questions every profile must answer for every shape of name
    (case folding, absolute names, and "does this match one level deeper?").
    """
    first = hosts[0]
    return _uniq((*hosts, first.upper(), first + ".", "x." + first))


def _sbs_specs() -> list[_Spec]:
    """The seed (KB958977): SBS 2008's SAN list in every order, with and without a CN."""
    names = {
        "l": "sbs.contoso.local",
        "r": "remote.contoso.com",
        "s": "sites",
        "c": "companyweb",
    }
    hosts = (
        "remote.contoso.com",
        "sbs.contoso.local",
        "sites",
        "companyweb",
        "REMOTE.CONTOSO.COM",
        "remote.contoso.com.",
        "contoso.com",
        "mail.contoso.com",
        "sbs",
        "sites.contoso.local",
        "Companyweb",
    )
    specs: list[_Spec] = []
    for order in itertools.permutations("lrsc"):
        key = "".join(order)
        san = tuple(Dns(names[k]) for k in order)
        seed = " (the seed's order)" if key == "lrsc" else ""
        specs.append(
            _Spec(
                f"sbs-order-{key}",
                f"SBS 2008 SAN list in order {', '.join(names[k] for k in order)}{seed}; CN = first SAN",
                san,
                hosts,
                cns=(names[order[0]],),
            )
        )
        specs.append(
            _Spec(
                f"sbs-order-{key}-nocn",
                f"SBS 2008 SAN list in order {', '.join(names[k] for k in order)}; no CN",
                san,
                hosts,
            )
        )
    specs.append(
        _Spec(
            "sbs-seed-cn-remote",
            "SBS 2008 SAN list in the seed's order but CN = remote.contoso.com (CN not first SAN)",
            tuple(Dns(names[k]) for k in "lrsc"),
            hosts,
            cns=("remote.contoso.com",),
        )
    )
    specs.append(
        _Spec(
            "sbs-fixed-remote-only",
            "the seed's fix: a CA certificate for remote.contoso.com alone (CN and only SAN)",
            (Dns("remote.contoso.com"),),
            hosts,
            cns=("remote.contoso.com",),
        )
    )
    specs.append(
        _Spec(
            "sbs-fixed-remote-first",
            "the fix as a multi-name certificate: remote.contoso.com first, internal names after",
            tuple(Dns(names[k]) for k in "rlsc"),
            hosts,
            cns=("remote.contoso.com",),
        )
    )
    return specs


# Name forms for the CN-fallback matrix: (slug, the name, hosts to try).
_FORMS: Final[tuple[tuple[str, str, tuple[str, ...]], ...]] = (
    ("plain", "mail.example.com", ("mail.example.com", "MAIL.EXAMPLE.COM", "mail.example.com.", "other.example.com")),
    ("upper", "MAIL.EXAMPLE.COM", ("mail.example.com", "MAIL.EXAMPLE.COM", "Mail.Example.Com")),
    ("trailing-dot", "mail.example.com.", ("mail.example.com", "mail.example.com.", "MAIL.EXAMPLE.COM.")),
    ("wild", "*.example.com", ("a.example.com", "example.com", "a.b.example.com", "A.EXAMPLE.COM")),
    ("wild-partial", "f*.example.com", ("foo.example.com", "f.example.com", "bar.example.com")),
    ("wild-tld", "*.com", ("example.com", "a.example.com")),
    ("ipv4-text", "192.0.2.10", ("192.0.2.10", "192.0.2.11", "192.000.002.010", "::ffff:192.0.2.10")),
    ("ipv6-text", "2001:db8::1", ("2001:db8::1", "[2001:db8::1]", "2001:DB8::1", "2001:db8:0:0:0:0:0:1")),
    ("punycode", "xn--bcher-kva.example", ("xn--bcher-kva.example", "bücher.example", "BÜCHER.EXAMPLE", "XN--BCHER-KVA.EXAMPLE")),
    ("single-label", "companyweb", ("companyweb", "COMPANYWEB", "companyweb.", "companyweb.contoso.local")),
    ("local", "sbs.contoso.local", ("sbs.contoso.local", "sbs", "SBS.CONTOSO.LOCAL")),
    ("localhost", "localhost", ("localhost", "localhost.", "127.0.0.1", "LOCALHOST")),
    ("underscore", "mail_1.example.com", ("mail_1.example.com", "MAIL_1.EXAMPLE.COM", "mail-1.example.com")),
    ("srv-underscore", "_imaps._tcp.example.com", ("_imaps._tcp.example.com", "imaps.tcp.example.com")),
    ("label-63", "a" * 63 + ".example.com", ("a" * 63 + ".example.com", "A" * 63 + ".example.com")),
    ("label-64", "b" * 64 + ".example.com", ("b" * 64 + ".example.com", "B" * 64 + ".example.com")),
)


def _cn_matrix_specs() -> list[_Spec]:
    """Each name form placed six ways: where is a name read from, and when is CN consulted?"""
    specs: list[_Spec] = []
    for slug, name, form_hosts in _FORMS:
        hosts = _with_variants(form_hosts)
        specs += [
            _Spec(f"cn-only-{slug}", f"no SAN extension; CN={name}", None, hosts, cns=(name,)),
            _Spec(f"san-only-{slug}", f"SAN DNS {name}; subject has no CN", (Dns(name),), hosts),
            _Spec(f"san-and-cn-{slug}", f"SAN DNS {name}; CN={name}", (Dns(name),), hosts, cns=(name,)),
            _Spec(
                f"cn-not-in-san-{slug}",
                f"SAN DNS unrelated.example.net only; CN={name} (CN not repeated in SAN)",
                (Dns("unrelated.example.net"),),
                _uniq((*hosts, "unrelated.example.net")),
                cns=(name,),
            ),
            _Spec(
                f"cn-with-ip-san-{slug}",
                f"SAN holds only iPAddress 198.51.100.7 (no DNS name); CN={name}",
                (Ip("198.51.100.7"),),
                _uniq((*hosts, "198.51.100.7")),
                cns=(name,),
            ),
            _Spec(
                f"cn-with-email-san-{slug}",
                f"SAN holds only rfc822Name postmaster@example.com (no DNS name); CN={name}",
                (Email("postmaster@example.com"),),
                hosts,
                cns=(name,),
            ),
        ]
    return specs


# Wildcard shapes: (slug, pattern, hosts).
_WILDCARDS: Final[tuple[tuple[str, str, tuple[str, ...]], ...]] = (
    ("std", "*.example.com", ("a.example.com", "www.example.com", "example.com", "a.b.example.com", "*.example.com", "A.Example.COM", "a.example.com.")),
    ("tld", "*.com", ("example.com", "com", "a.example.com")),
    ("bare", "*", ("example", "localhost", "example.com", "a.b")),
    ("double-left", "*.*.example.com", ("a.b.example.com", "a.example.com", "a.b.c.example.com")),
    ("inner", "a.*.example.com", ("a.b.example.com", "a.example.com", "b.b.example.com")),
    ("partial-prefix", "f*.example.com", ("foo.example.com", "f.example.com", "bar.example.com", "foo.bar.example.com", "xfoo.example.com")),
    ("partial-suffix", "*f.example.com", ("of.example.com", "f.example.com", "foo.example.com")),
    ("partial-middle", "f*o.example.com", ("foo.example.com", "fo.example.com", "fooo.example.com", "bar.example.com", "fxo.example.com")),
    ("double-star", "**.example.com", ("a.example.com", "ab.example.com", "example.com")),
    ("public-suffix", "*.co.uk", ("example.co.uk", "co.uk", "www.example.co.uk")),
    ("idna-base", "*.xn--bcher-kva.example", ("www.xn--bcher-kva.example", "www.bücher.example", "xn--bcher-kva.example", "WWW.BÜCHER.EXAMPLE")),
    ("idna-prefix", "xn--*.example.com", ("xn--bcher-kva.example.com", "bücher.example.com", "xn--abc.example.com", "xnabc.example.com")),
    ("local", "*.local", ("sbs.local", "local", "a.b.local")),
    ("contoso-local", "*.contoso.local", ("sbs.contoso.local", "contoso.local", "a.sbs.contoso.local", "SBS.CONTOSO.LOCAL")),
    ("two-labels", "*.example", ("www.example", "example", "a.b.example")),
    ("right-most", "www.*", ("www.example", "www.example.com", "www")),
    ("star-dot", "*.", ("example", "example.", "a.")),
    ("ip-shaped", "*.0.2.10", ("192.0.2.10", "1.0.2.10")),
    ("middle-partial-deep", "a.f*.example.com", ("a.foo.example.com", "a.f.example.com", "a.bar.example.com")),
    ("srv", "*._tcp.example.com", ("_imaps._tcp.example.com", "imaps._tcp.example.com", "_tcp.example.com")),
    ("underscore-host", "*.example.org", ("mail_1.example.org", "_imaps.example.org", "_.example.org", "-.example.org")),
    ("long-label", "*.example.net", ("a" * 63 + ".example.net", "a" * 64 + ".example.net")),
)


def _wildcard_specs() -> list[_Spec]:
    """Every wildcard shape in the SAN, in the CN only, upper-cased and with a trailing dot."""
    specs: list[_Spec] = []
    for slug, pattern, pattern_hosts in _WILDCARDS:
        hosts = _with_variants(pattern_hosts)
        upper = pattern.upper()
        dotted = pattern if pattern.endswith(".") else pattern + "."
        specs += [
            _Spec(f"wild-san-{slug}", f"SAN DNS {pattern}; no CN", (Dns(pattern),), hosts),
            _Spec(f"wild-cn-{slug}", f"no SAN extension; CN={pattern} (wildcard in CN only)", None, hosts, cns=(pattern,)),
            _Spec(f"wild-san-upper-{slug}", f"SAN DNS {upper} (upper-cased pattern); no CN", (Dns(upper),), hosts),
            _Spec(
                f"wild-san-dot-{slug}",
                f"SAN DNS {dotted} (pattern with trailing dot); no CN",
                (Dns(dotted),),
                _uniq((*hosts, *(h + "." for h in hosts[:2]))),
            ),
        ]
    return specs


def _idna_specs() -> list[_Spec]:
    """IDNA: punycode in SAN and CN, raw UTF-8/Latin-1 bytes, IDNA2003 vs IDNA2008 mappings."""
    buch_hosts = (
        "xn--bcher-kva.example",
        "bücher.example",
        "BÜCHER.EXAMPLE",
        "Bücher.example",
        "bucher.example",
        "xn--bcher-kva.example.",
        "bücher.example.",
        "bücher\u3002example",  # ideographic full stop: IDNA2003 maps it to "."
        "bu\u0308cher.example",  # decomposed ü (NFD): IDNA maps with NFC
    )
    strasse_hosts = ("straße.de", "strasse.de", "xn--strae-oqa.de", "STRASSE.DE", "STRAßE.DE")
    return [
        _Spec("idna-san-punycode", "SAN DNS xn--bcher-kva.example (A-label); no CN", (Dns("xn--bcher-kva.example"),), buch_hosts),
        _Spec("idna-san-punycode-upper", "SAN DNS XN--BCHER-KVA.EXAMPLE (upper-case A-label)", (Dns("XN--BCHER-KVA.EXAMPLE"),), buch_hosts[:4]),
        _Spec(
            "idna-san-utf8-raw",
            "SAN dNSName holding raw UTF-8 bytes of bücher.example (not IA5String; injected DER)",
            (RawDns("bücher.example".encode("utf-8")), Dns("mail.example.com")),
            ("bücher.example", "xn--bcher-kva.example", "mail.example.com"),
        ),
        _Spec(
            "idna-san-latin1-raw",
            "SAN dNSName holding Latin-1 bytes of bücher.example (invalid UTF-8; injected DER)",
            (RawDns("bücher.example".encode("latin-1")), Dns("mail.example.com")),
            ("bücher.example", "xn--bcher-kva.example", "mail.example.com"),
        ),
        _Spec(
            "idna-san-utf8-wild-raw",
            "SAN dNSName holding raw UTF-8 *.bücher.example (injected DER)",
            (RawDns("*.bücher.example".encode("utf-8")),),
            ("www.bücher.example", "www.xn--bcher-kva.example"),
        ),
        _Spec("idna-cn-unicode", "no SAN; CN=bücher.example as UTF8String U-label", None, buch_hosts[:5], cns=("bücher.example",)),
        _Spec("idna-cn-punycode", "no SAN; CN=xn--bcher-kva.example", None, buch_hosts[:5], cns=("xn--bcher-kva.example",)),
        _Spec("idna-strasse-2008", "SAN DNS xn--strae-oqa.de (IDNA2008 form of straße.de)", (Dns("xn--strae-oqa.de"),), strasse_hosts),
        _Spec("idna-strasse-2003", "SAN DNS strasse.de (IDNA2003 maps ß to ss)", (Dns("strasse.de"),), strasse_hosts),
        _Spec(
            "idna-emoji",
            "SAN DNS xn--ls8h.example (an emoji label: IDNA2003 allows it, IDNA2008 does not)",
            (Dns("xn--ls8h.example"),),
            ("xn--ls8h.example", "\U0001f4a9.example"),
        ),
        _Spec(
            "idna-bad-punycode",
            "SAN DNS xn--a.example (an A-label that does not decode)",
            (Dns("xn--a.example"),),
            ("xn--a.example", "XN--A.EXAMPLE"),
        ),
        _Spec(
            "idna-mixed-list",
            "SAN DNS mail.xn--bcher-kva.example then xn--bcher-kva.example",
            (Dns("mail.xn--bcher-kva.example"), Dns("xn--bcher-kva.example")),
            ("mail.bücher.example", "bücher.example", "MAIL.BÜCHER.EXAMPLE", "mail.xn--bcher-kva.example"),
        ),
        _Spec(
            "idna-greek",
            "SAN DNS xn--hxajbheg2az3al.xn--jxalpdlp (παράδειγμα.δοκιμή)",
            (Dns("xn--hxajbheg2az3al.xn--jxalpdlp"),),
            ("παράδειγμα.δοκιμή", "ΠΑΡΆΔΕΙΓΜΑ.ΔΟΚΙΜΉ", "xn--hxajbheg2az3al.xn--jxalpdlp"),
        ),
    ]


def _ip_specs() -> list[_Spec]:
    """IP addresses: iPAddress SANs, IP text where a DNS name belongs, hosts typed as IPs."""
    v4_hosts = ("192.0.2.10", "192.0.2.11", "192.000.002.010", "3221226250", "0xc000020a", "192.0.2.10.", "::ffff:192.0.2.10", " 192.0.2.10")
    v6_hosts = ("2001:db8::1", "2001:DB8::1", "2001:db8:0:0:0:0:0:1", "[2001:db8::1]", "2001:db8::2", "2001:db8::1%eth0", "::ffff:192.0.2.10")
    return [
        _Spec("ip-san-v4", "SAN iPAddress 192.0.2.10; no CN", (Ip("192.0.2.10"),), v4_hosts),
        _Spec("ip-san-v4-cn", "SAN iPAddress 192.0.2.10; CN=192.0.2.10", (Ip("192.0.2.10"),), v4_hosts[:4], cns=("192.0.2.10",)),
        _Spec("ip-san-v6", "SAN iPAddress 2001:db8::1; no CN", (Ip("2001:db8::1"),), v6_hosts),
        _Spec("ip-san-v4mapped", "SAN iPAddress ::ffff:192.0.2.10 (16 octets)", (Ip("::ffff:192.0.2.10"),), ("192.0.2.10", "::ffff:192.0.2.10", "::ffff:c000:20a")),
        _Spec(
            "ip-san-v4-and-dns",
            "SAN DNS mail.example.com then iPAddress 192.0.2.10",
            (Dns("mail.example.com"), Ip("192.0.2.10")),
            ("mail.example.com", "192.0.2.10", "192.0.2.11"),
        ),
        _Spec(
            "ip-san-ip-first",
            "SAN iPAddress 192.0.2.10 then DNS mail.example.com (IP first)",
            (Ip("192.0.2.10"), Dns("mail.example.com")),
            ("mail.example.com", "192.0.2.10"),
        ),
        _Spec(
            "ip-san-dns-text-and-ip",
            "SAN DNS 192.0.2.10 (IP text as dNSName) and iPAddress 192.0.2.20",
            (Dns("192.0.2.10"), Ip("192.0.2.20")),
            ("192.0.2.10", "192.0.2.20"),
        ),
        _Spec(
            "ip-cn-text-with-other-ip-san",
            "SAN iPAddress 192.0.2.99; CN=192.0.2.10 (IP text in CN, different IP in SAN)",
            (Ip("192.0.2.99"),),
            ("192.0.2.10", "192.0.2.99"),
            cns=("192.0.2.10",),
        ),
        _Spec(
            "ip-san-loopback",
            "SAN DNS localhost, iPAddress 127.0.0.1, iPAddress ::1",
            (Dns("localhost"), Ip("127.0.0.1"), Ip("::1")),
            ("localhost", "127.0.0.1", "::1", "[::1]", "127.1", "0:0:0:0:0:0:0:1", "127.0.0.2"),
        ),
        _Spec(
            "ip-san-malformed-length",
            "SAN iPAddress of 5 octets (malformed; injected DER) then DNS mail.example.com",
            (RawIp(b"\xc0\x00\x02\x0a\x00"), Dns("mail.example.com")),
            ("mail.example.com", "192.0.2.10"),
        ),
        _Spec(
            "ip-dns-name-on-ip-host",
            "SAN DNS mail.example.com only, hosts typed as IP addresses",
            (Dns("mail.example.com"),),
            ("mail.example.com", "192.0.2.10", "::1", "[::1]"),
        ),
    ]


def _name_shape_specs() -> list[_Spec]:
    """Case, dots, underscores, lengths, single labels: the lexical corners of host names."""
    l63 = "c" * 63
    l64 = "c" * 64

    def name_of_len(n: int) -> str:
        # labels of 63 'd' joined by dots, trimmed to exactly n characters (no trailing dot)
        labels: list[str] = []
        while sum(len(x) + 1 for x in labels) < n + 1:
            labels.append("d" * 63)
        text = ".".join(labels)[:n]
        return text if not text.endswith(".") else text[:-1] + "e"

    n253, n254, n255, n300 = (name_of_len(n) for n in (253, 254, 255, 300))
    assert (len(n253), len(n254), len(n255), len(n300)) == (253, 254, 255, 300)
    return [
        _Spec("case-san-mixed", "SAN DNS Mail.Example.Com (mixed case)", (Dns("Mail.Example.Com"),), ("mail.example.com", "MAIL.EXAMPLE.COM", "Mail.Example.Com", "mAIL.eXAMPLE.cOM")),
        _Spec("dot-san-double-trailing", "SAN DNS mail.example.com.. (two trailing dots)", (Dns("mail.example.com.."),), ("mail.example.com", "mail.example.com.", "mail.example.com..")),
        _Spec("dot-san-leading", "SAN DNS .example.com (leading dot, old domain-suffix style)", (Dns(".example.com"),), ("example.com", "a.example.com", ".example.com", "a.b.example.com")),
        _Spec("dot-san-only-dot", "SAN DNS . (the root)", (Dns("."),), (".", "example", "a.")),
        _Spec("dot-san-empty-label", "SAN DNS mail..example.com (empty label)", (Dns("mail..example.com"),), ("mail..example.com", "mail.example.com")),
        _Spec("dot-cn-trailing-no-san", "no SAN; CN=mail.example.com. with trailing dot; host variants", None, ("mail.example.com", "mail.example.com."), cns=("mail.example.com.",)),
        _Spec("us-san-label", "SAN DNS mail_1.example.com and *.example.com", (Dns("mail_1.example.com"), Dns("*.example.com")), ("mail_1.example.com", "mail_2.example.com", "mail-2.example.com")),
        _Spec("us-san-srv-and-plain", "SAN DNS _imaps._tcp.example.com then mail.example.com", (Dns("_imaps._tcp.example.com"), Dns("mail.example.com")), ("_imaps._tcp.example.com", "mail.example.com", "_IMAPS._TCP.EXAMPLE.COM")),
        _Spec("us-san-leading-underscore-label", "SAN DNS _mail.example.com", (Dns("_mail.example.com"),), ("_mail.example.com", "mail.example.com")),
        _Spec("len-label-63", "SAN DNS with a 63-character first label (the maximum)", (Dns(f"{l63}.example.com"),), (f"{l63}.example.com", f"{l63.upper()}.example.com", f"{l64}.example.com", f"{l63}.example.com.")),
        _Spec("len-label-64", "SAN DNS with a 64-character first label (one too long)", (Dns(f"{l64}.example.com"),), (f"{l64}.example.com", f"{l63}.example.com", f"{l64}.example.com.")),
        _Spec("len-name-253", "SAN DNS name of 253 characters (the maximum)", (Dns(n253),), (n253, n253 + ".", n253.upper())),
        _Spec("len-name-254", "SAN DNS name of 254 characters (one too long)", (Dns(n254),), (n254, n254 + ".")),
        _Spec("len-name-255", "SAN DNS name of 255 characters", (Dns(n255),), (n255,)),
        _Spec("len-name-300", "SAN DNS name of 300 characters", (Dns(n300),), (n300,)),
        _Spec("len-cn-64", "no SAN; CN of 64 characters (ub-common-name)", None, ("e" * 52 + ".example.com", "E" * 52 + ".example.com"), cns=("e" * 52 + ".example.com",)),
        _Spec("len-cn-65", "no SAN; CN of 65 characters (over ub-common-name)", None, ("e" * 53 + ".example.com", "E" * 53 + ".example.com"), cns=("e" * 53 + ".example.com",)),
        _Spec("len-cn-253", "no SAN; CN of 253 characters (needs _validate=False)", None, (n253,), cns=(n253,)),
        _Spec(
            "single-san-list",
            "SAN DNS sites, companyweb, localhost (single-label names only)",
            (Dns("sites"), Dns("companyweb"), Dns("localhost")),
            ("sites", "companyweb", "localhost", "SITES", "sites.", "sites.contoso.local"),
        ),
        _Spec(
            "local-san",
            "SAN DNS sbs.contoso.local and sbs (internal names)",
            (Dns("sbs.contoso.local"), Dns("sbs")),
            ("sbs.contoso.local", "sbs", "sbs.local", "SBS.CONTOSO.LOCAL", "sbs.contoso.local."),
        ),
    ]


def _subject_specs() -> list[_Spec]:
    """Several CNs, no CN, SANs without any DNS name: where does the subject still count?"""
    return [
        _Spec("multi-cn-no-san", "no SAN; CN=a.example.com then CN=b.example.com", None, ("a.example.com", "b.example.com", "c.example.com"), cns=("a.example.com", "b.example.com")),
        _Spec("multi-cn-with-san", "SAN DNS c.example.com; CN=a.example.com, CN=b.example.com", (Dns("c.example.com"),), ("a.example.com", "b.example.com", "c.example.com"), cns=("a.example.com", "b.example.com")),
        _Spec("multi-cn-wild-first", "no SAN; CN=*.example.com then CN=mail.example.org", None, ("x.example.com", "mail.example.org"), cns=("*.example.com", "mail.example.org")),
        _Spec("multi-cn-ip-last", "no SAN; CN=mail.example.com then CN=192.0.2.10", None, ("mail.example.com", "192.0.2.10"), cns=("mail.example.com", "192.0.2.10")),
        _Spec(
            "multi-cn-multivalued-rdn",
            "no SAN; one multi-valued RDN holding CN=a.example.com + CN=b.example.com",
            None,
            ("a.example.com", "b.example.com"),
            cns=("a.example.com", "b.example.com"),
            multivalued_cn=True,
        ),
        _Spec("multi-cn-empty-first", "no SAN; CN='' then CN=mail.example.com", None, ("mail.example.com", ""), cns=("", "mail.example.com")),
        _Spec("nocn-san", "SAN DNS mail.example.com; subject O only", (Dns("mail.example.com"),), ("mail.example.com", "example.com")),
        _Spec(
            "nocn-empty-subject",
            "empty subject; critical SAN DNS mail.example.com (RFC 5280 style)",
            (Dns("mail.example.com"),),
            ("mail.example.com", "MAIL.EXAMPLE.COM"),
            empty_subject=True,
        ),
        _Spec("nodns-email-only-nocn", "SAN rfc822Name only; no CN: nothing to match", (Email("mail@example.com"),), ("mail.example.com", "example.com")),
        _Spec("nodns-uri-only-cn", "SAN URI https://mail.example.com/ only; CN=mail.example.com", (Uri("https://mail.example.com/"),), ("mail.example.com", "other.example.com"), cns=("mail.example.com",)),
        _Spec(
            "nodns-all-nondns-cn",
            "SAN rfc822Name, URI, iPAddress (no DNS); CN=mail.example.com",
            (Email("postmaster@example.com"), Uri("imaps://mail.example.com"), Ip("192.0.2.10")),
            ("mail.example.com", "192.0.2.10", "example.com"),
            cns=("mail.example.com",),
        ),
        _Spec("nodns-empty-san-cn", "SAN extension with empty GeneralNames (invalid; injected DER); CN=mail.example.com", (), ("mail.example.com",), cns=("mail.example.com",)),
        _Spec("nodns-dirname-san", "SAN directoryName CN=mail.example.com only; no CN in subject", (DirName("mail.example.com"),), ("mail.example.com",)),
        _Spec("nodns-dirname-san-cn", "SAN directoryName CN=x.example.com only; CN=mail.example.com", (DirName("x.example.com"),), ("mail.example.com", "x.example.com"), cns=("mail.example.com",)),
    ]


def _raw_dns_specs() -> list[_Spec]:
    """dNSName contents that are not host names at all (bytes injected past `cryptography`)."""
    return [
        _Spec("raw-dns-empty", "SAN dNSName '' (empty) then mail.example.com", (RawDns(b""), Dns("mail.example.com")), ("mail.example.com", "other.example.com")),
        _Spec(
            "raw-dns-nul",
            "SAN dNSName mail.example.com\\0.evil.example (embedded NUL, the 2009 null-prefix attack)",
            (RawDns(b"mail.example.com\x00.evil.example"),),
            ("mail.example.com", "evil.example", "mail.example.com.evil.example"),
        ),
        _Spec("raw-dns-space", "SAN dNSName 'mail example.com' (space)", (Dns("mail example.com"),), ("mail example.com", "mail", "mail.example.com")),
        _Spec("raw-dns-at", "SAN dNSName user@mail.example.com (an e-mail in a dNSName)", (Dns("user@mail.example.com"),), ("mail.example.com", "user@mail.example.com")),
        _Spec("raw-dns-url", "SAN dNSName https://mail.example.com/ (a URL in a dNSName)", (Dns("https://mail.example.com/"),), ("mail.example.com",)),
        _Spec("raw-dns-port", "SAN dNSName mail.example.com:993 (port in a dNSName)", (Dns("mail.example.com:993"),), ("mail.example.com", "mail.example.com:993")),
        _Spec(
            "raw-dns-comma-injection",
            "SAN dNSName 'a.example.com, DNS:b.example.com' (one name that looks like two)",
            (Dns("a.example.com, DNS:b.example.com"),),
            ("a.example.com", "b.example.com", "a.example.com, DNS:b.example.com"),
        ),
        _Spec(
            "raw-dns-comma-wild",
            "SAN dNSName '*.example.com,DNS:*' (comma injection with a wildcard)",
            (Dns("*.example.com,DNS:*"),),
            ("a.example.com", "example"),
        ),
        _Spec("raw-dns-cn-looking", "SAN dNSName 'CN=mail.example.com' (a DN in a dNSName)", (Dns("CN=mail.example.com"),), ("mail.example.com",)),
    ]


def _host_shape_specs() -> list[_Spec]:
    """Ordinary certificates asked with broken host strings (empty, dots, spaces, ports)."""
    return [
        _Spec(
            "host-weird-exact",
            "SAN DNS mail.example.com; hosts malformed in many ways",
            (Dns("mail.example.com"),),
            ("", ".mail.example.com", "mail.example.com ", " mail.example.com", "mail example.com", "mail.example.com:993", "mail.example.com..", "mail.example.com/"),
        ),
        _Spec(
            "host-weird-wild",
            "SAN DNS *.example.com; hosts malformed in many ways",
            (Dns("*.example.com"),),
            ("", ".example.com", "a .example.com", "a..example.com", ".a.example.com", "*.example.com", "a*.example.com", "a.example.com\t"),
        ),
        _Spec("host-empty-on-cn", "no SAN; CN=localhost; host empty or dot", None, ("", ".", "localhost"), cns=("localhost",)),
    ]


def _url_host_specs() -> list[_Spec]:
    """Typed names a URL host parser (Thunderbird reads its server URI) normalises or refuses,
    and names ending in a label of digits, which DNS-ID rules refuse on either side."""
    return [
        _Spec(
            "url-typed",
            "SAN DNS mail.example.com and iPAddress 192.0.2.10; hosts as a URL parser sees them",
            (Dns("mail.example.com"), Ip("192.0.2.10")),
            ("mail.example.com/", "mail\uff0eexample\uff0ecom", "0xc0.0.2.10", "[192.0.2.10]", "MAIL.EXAMPLE.COM:993"),
        ),
        _Spec("url-numeric-tld", "SAN DNS www.example.123 (a last label of digits)", (Dns("www.example.123"),), ("www.example.123", "www.example.123.")),
        _Spec("url-wild-numeric", "SAN DNS *.0.2.10 (a wildcard over digits)", (Dns("*.0.2.10"), Dns("mail.example.com")), ("a.0.2.10", "mail.example.com")),
    ]


def _order_specs() -> list[_Spec]:
    """Pairs of names in both orders: implementations reading all names must not care."""
    pairs = (
        ("wild-exact", Dns("*.contoso.com"), Dns("remote.contoso.com"), ("remote.contoso.com", "www.contoso.com")),
        ("local-public", Dns("sbs.contoso.local"), Dns("remote.contoso.com"), ("remote.contoso.com", "sbs.contoso.local")),
        ("ip-dns", Ip("192.0.2.10"), Dns("remote.contoso.com"), ("remote.contoso.com", "192.0.2.10")),
        ("email-dns", Email("admin@contoso.com"), Dns("remote.contoso.com"), ("remote.contoso.com", "contoso.com")),
        ("single-fqdn", Dns("companyweb"), Dns("remote.contoso.com"), ("remote.contoso.com", "companyweb")),
        ("bad-good", Dns("*.*.contoso.com"), Dns("remote.contoso.com"), ("remote.contoso.com", "a.b.contoso.com")),
    )
    specs: list[_Spec] = []
    for slug, first, second, hosts in pairs:
        specs.append(_Spec(f"order-{slug}", f"SAN {first} then {second}", (first, second), hosts))
        specs.append(_Spec(f"order-{slug}-reversed", f"SAN {second} then {first}", (second, first), hosts))
    return specs


def _specs() -> list[_Spec]:
    specs = [
        *_sbs_specs(),
        *_cn_matrix_specs(),
        *_wildcard_specs(),
        *_idna_specs(),
        *_ip_specs(),
        *_name_shape_specs(),
        *_subject_specs(),
        *_raw_dns_specs(),
        *_host_shape_specs(),
        *_url_host_specs(),
        *_order_specs(),
    ]
    seen: set[str] = set()
    for spec in specs:
        if spec.id in seen or "|" in spec.id:
            raise AssertionError(f"corpus id {spec.id!r} repeated or contains '|'")
        seen.add(spec.id)
    return specs


def generate(now: _dt.datetime | None = None) -> list[CorpusCert]:
    """Build the whole corpus (a few hundred leaves, ~2000 host cases) in a stable order.

    `now` is the clock (default: the system's); validity runs from the start of its UTC day
    minus one day to 365 days after.
    """
    return [
        CorpusCert(
            id=spec.id,
            description=spec.description,
            der=issue(
                spec.id,
                san=spec.san,
                cns=spec.cns,
                multivalued_cn=spec.multivalued_cn,
                empty_subject=spec.empty_subject,
                now=now,
            ),
            hosts=_uniq(spec.hosts),
        )
        for spec in _specs()
    ]


if __name__ == "__main__":  # pragma: no cover - a quick look at the corpus size
    import time

    t0 = time.perf_counter()
    corpus = generate()
    print(
        f"{len(corpus)} certificates, {sum(len(c.hosts) for c in corpus)} cases, "
        f"{time.perf_counter() - t0:.2f}s"
    )
