"""Building keys, certificate requests and certificates, with the names in EXACTLY the order asked.

The KB958977 / SBS 2008 case is an ordering bug: Outlook 2007 reads only the *first* DNS name of the
Subject Alternative Name and SBS 2008 put the internal name there.  So this module never
treats names as a set.  Input is taken forgivingly (upper case, a trailing dot, Unicode
names, duplicates, IP addresses) and turned into one exact, ordered tuple:

* the first name is the FQDN users type into their mail client: it becomes the subject CN
  **and** the first SAN entry, and it must be a real host name (not a wildcard, not an IP);
* the other names follow in the order given; a repeated name keeps its first place.

Everything here is pure: no files, no network, and no clock (every function that needs
"now" takes it as an argument, so tests and the demo can pin it).

:class:`TestCA` (in trustme's style: ``TestCA(now=...).issue_cert(*names)``) issues leaves for
tests, the demo and the docs, including the broken kinds real servers present (expired, not
yet valid, SHA-1, small RSA, names re-ordered by the CA).
"""

from __future__ import annotations

import enum
import ipaddress
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import idna
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from mailcert.errors import InputError

__all__ = [
    "DEFAULT_DAYS",
    "IssuedCert",
    "KeyType",
    "PrivateKey",
    "TestCA",
    "cert_to_pem",
    "common_name",
    "csr",
    "host_names",
    "csr_to_pem",
    "is_self_signed",
    "key_matches",
    "key_to_pem",
    "new_key",
    "normalise_names",
    "parse_key_type",
    "public_key_der",
    "san_names",
    "self_signed",
    "validate_hostname",
]

DEFAULT_DAYS = 825
"""Self-signed default: Apple (macOS/iOS) refuses TLS server certificates valid longer than 825 days."""

BACKDATE = timedelta(hours=1)
"""Certificates start an hour before "now" so a client whose clock is a little behind accepts them."""

CN_MAX = 64  # RFC 5280 ub-common-name: a longer FQDN cannot be the CN, so it cannot be the first name


class KeyType(str, enum.Enum):
    """The key types ``mailcert cert new --key-type`` offers; RSA 2048 is the default for old clients."""

    RSA2048 = "rsa2048"
    RSA3072 = "rsa3072"
    RSA4096 = "rsa4096"
    ECDSA_P256 = "ecdsa-p256"
    ECDSA_P384 = "ecdsa-p384"


PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey

_KEY_ALIASES = {
    "rsa": KeyType.RSA2048,
    "rsa2048": KeyType.RSA2048,
    "rsa3072": KeyType.RSA3072,
    "rsa4096": KeyType.RSA4096,
    "ecdsap256": KeyType.ECDSA_P256,
    "ecp256": KeyType.ECDSA_P256,
    "p256": KeyType.ECDSA_P256,
    "prime256v1": KeyType.ECDSA_P256,
    "secp256r1": KeyType.ECDSA_P256,
    "ecdsap384": KeyType.ECDSA_P384,
    "ecp384": KeyType.ECDSA_P384,
    "p384": KeyType.ECDSA_P384,
    "secp384r1": KeyType.ECDSA_P384,
}


def parse_key_type(text: str | KeyType) -> KeyType:
    """``KeyType`` from loose spellings (``RSA-2048``, ``ec-p256``, ``secp384r1``...)."""
    if isinstance(text, KeyType):
        return text
    squashed = re.sub(r"[\s_-]", "", text.lower())
    try:
        return _KEY_ALIASES[squashed]
    except KeyError:
        choices = ", ".join(k.value for k in KeyType)
        raise InputError(f"unknown key type {text!r}; choose one of {choices}") from None


def new_key(kind: KeyType | str = KeyType.RSA2048) -> PrivateKey:
    """A fresh private key of ``kind``."""
    kind = parse_key_type(kind)
    if kind is KeyType.ECDSA_P256:
        return ec.generate_private_key(ec.SECP256R1())
    if kind is KeyType.ECDSA_P384:
        return ec.generate_private_key(ec.SECP384R1())
    bits = {KeyType.RSA2048: 2048, KeyType.RSA3072: 3072, KeyType.RSA4096: 4096}[kind]
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


# --- names -------------------------------------------------------------------------------------

_LDH_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?")


def validate_hostname(name: str, *, wildcard: bool = False) -> str:
    """``name`` as a certificate must carry it: lower case, A-labels (IDNA), no trailing dot.

    Raises :class:`InputError` with the reason when ``name`` is not a DNS host name.
    ``wildcard=True`` also accepts one ``*`` as the whole left-most label over at least two
    labels (``*.contoso.com``): the only wildcard form every client profile honours.
    """
    text = name.strip()

    def bad(why: str) -> InputError:
        return InputError(f"{name!r} is not a valid host name: {why}")

    if not text:
        raise InputError("empty host name; give a name such as remote.contoso.com")
    if "://" in text or "/" in text:
        raise bad("give the bare host name, not a URL (e.g. remote.contoso.com)")
    if any(c.isspace() for c in text):
        raise bad("it contains a space")
    if "@" in text:
        raise bad("that is a mail address; give the server's host name")
    if ":" in text:
        raise bad("give the host name without a port")
    if not text.isascii():
        try:
            # UTS #46 mapping: full-width dots, upper case and compatibility forms, as browsers do
            text = idna.uts46_remap(text, std3_rules=False, transitional=False)
        except idna.IDNAError as exc:
            raise bad(f"it is not a valid internationalised name ({exc})") from None
    if text.endswith("."):
        text = text[:-1]  # the absolute form; certificates carry names without the root dot
    labels = text.split(".")
    if any(not label for label in labels):
        raise bad("it has an empty label (two dots in a row, or a leading dot)")
    out: list[str] = []
    for i, label in enumerate(labels):
        if "*" in label:
            if not wildcard:
                raise bad("a wildcard cannot be used here")
            if i != 0 or label != "*":
                raise bad("'*' is only allowed as the whole left-most label, e.g. *.contoso.com")
            out.append("*")
            continue
        if not label.isascii():
            try:
                out.append(idna.alabel(label).decode("ascii"))
            except idna.IDNAError as exc:
                raise bad(f"the label {label!r} is not a valid internationalised label ({exc})") from None
            continue
        low = label.lower()
        if len(low) > 63:
            raise bad(f"the label {low[:20]}... is longer than 63 characters")
        if "_" in low:
            raise bad(f"the label {low!r} contains '_' (host names use letters, digits and '-')")
        if not _LDH_LABEL.fullmatch(low):
            if low.startswith("-") or low.endswith("-"):
                raise bad(f"the label {low!r} starts or ends with '-'")
            raise bad(f"the label {low!r} has characters other than letters, digits and '-'")
        if low.startswith("xn--"):
            try:
                idna.decode(low)
            except idna.IDNAError:
                raise bad(f"the label {low!r} is not valid punycode") from None
        out.append(low)
    if out[0] == "*" and len(out) < 3:
        raise bad("a wildcard needs at least two labels after '*.' (clients refuse e.g. *.com)")
    if out[-1].isdigit():
        raise bad("it looks like an IP address; give an IPv4 address in full (a.b.c.d)")
    result = ".".join(out)
    if len(result) > 253:
        raise bad("it is longer than 253 characters")
    return result


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip().removeprefix("[").removesuffix("]"))
    except ValueError:
        return None


def normalise_names(names: Iterable[str], *, first_may_be_wildcard: bool = False) -> tuple[str, ...]:
    """The exact, ordered name list a certificate will carry.

    The first name becomes CN and first SAN, so it must be a host name users can type into a
    mail client: not an IP address, not a wildcard (unless ``first_may_be_wildcard``, for test
    certificates), at most 64 characters.  Later names may be host names, ``*.domain``
    wildcards or IP addresses.  Duplicates (after normalisation) keep their first place.
    """
    given = list(names)
    if not given:
        raise InputError("no name given; the first name is the server name users type into their mail client")
    out: list[str] = []
    for i, raw in enumerate(given):
        ip = _ip(raw)
        if ip is not None:
            if i == 0:
                raise InputError(
                    f"{raw!r} is an IP address; the first name must be the host name users type into"
                    " their mail client (add the address as a later name)"
                )
            value = str(ip)
        elif i == 0 and "*" in raw and not first_may_be_wildcard:
            raise InputError(
                f"{raw!r} cannot be the first name: it must be the server name users type into their"
                " mail client, and Outlook 2007 compares only the first name in the certificate with it;"
                " put e.g. remote.contoso.com first and the wildcard after it"
            )
        else:
            value = validate_hostname(raw, wildcard=i > 0 or first_may_be_wildcard)
        if value not in out:
            out.append(value)
    if len(out[0]) > CN_MAX:
        raise InputError(
            f"{out[0]!r} is longer than {CN_MAX} characters, the most a certificate's CN can hold;"
            " choose a shorter name to put first"
        )
    return tuple(out)


def _general_names(names: Sequence[str]) -> list[x509.GeneralName]:
    """SAN entries in the given order; IP literals become iPAddress, everything else dNSName."""
    out: list[x509.GeneralName] = []
    for n in names:
        ip = _ip(n)
        out.append(x509.IPAddress(ip) if ip is not None else x509.DNSName(n))
    return out


def san_names(cert: x509.Certificate | x509.CertificateSigningRequest) -> tuple[str, ...]:
    """DNS names and IP addresses of the SAN, in certificate order (empty if there is no SAN)."""
    try:
        ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        return ()
    out: list[str] = []
    for gn in ext.value:
        if isinstance(gn, x509.DNSName):
            out.append(gn.value)
        elif isinstance(gn, x509.IPAddress):
            out.append(str(gn.value))
    return tuple(out)


def common_name(cert: x509.Certificate) -> str | None:
    """The subject's (first) CN, or ``None``: a CA's or a PFX's name as people know it."""
    cns = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(cns[0].value) if cns else None


def host_names(cert: x509.Certificate) -> tuple[str, ...]:
    """The hosts a certificate is for, in its order: the SAN's names and addresses, or its CN
    when it has no SAN (an old self-signed one).  The first is the name a deploy judges and a
    TLSA record is published for when the administrator names none."""
    names = san_names(cert)
    if names:
        return names
    cn = common_name(cert)
    return (cn,) if cn else ()


# --- keys --------------------------------------------------------------------------------------


def public_key_der(obj: PrivateKey | x509.Certificate | x509.CertificateSigningRequest) -> bytes:
    """The SubjectPublicKeyInfo DER: what "this key belongs to that certificate" compares."""
    pub = obj.public_key()
    return pub.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def key_matches(key: PrivateKey, cert: x509.Certificate | x509.CertificateSigningRequest) -> bool:
    """True when ``cert`` was made for ``key``."""
    return public_key_der(key) == public_key_der(cert)


def key_to_pem(key: PrivateKey) -> bytes:
    """Unencrypted PKCS#8 PEM, what Dovecot and Postfix read; the caller writes it 0600."""
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def cert_to_pem(*certs: x509.Certificate) -> bytes:
    """PEM of one or more certificates, in the order given."""
    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs)


def csr_to_pem(request: x509.CertificateSigningRequest) -> bytes:
    """PEM (``BEGIN CERTIFICATE REQUEST``), the form every CA's web form accepts."""
    return request.public_bytes(serialization.Encoding.PEM)


def _hash_for(key: PrivateKey) -> hashes.SHA256 | hashes.SHA384:
    if isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.key_size >= 384:
        return hashes.SHA384()
    return hashes.SHA256()


def _key_usage(public: object) -> x509.KeyUsage:
    """RSA keys may encipher (RSA key exchange of the SBS 2008 era); EC keys only sign."""
    is_rsa = isinstance(public, rsa.RSAPublicKey)
    return x509.KeyUsage(
        digital_signature=True,
        key_encipherment=is_rsa,
        content_commitment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )


def _cn(name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])


def is_self_signed(cert: x509.Certificate) -> bool:
    """Issuer equals subject and the certificate's own key verifies its signature."""
    if cert.issuer != cert.subject:
        return False
    try:
        cert.verify_directly_issued_by(cert)
    except Exception:  # noqa: BLE001 - any failure (bad signature, unsupported hash) means "no"
        return False
    return True


# --- building ----------------------------------------------------------------------------------


def _leaf_builder(
    public: rsa.RSAPublicKey | ec.EllipticCurvePublicKey,
    names: Sequence[str],
    *,
    subject: x509.Name,
    issuer: x509.Name,
    issuer_ski: x509.SubjectKeyIdentifier,
    not_before: datetime,
    not_after: datetime,
) -> x509.CertificateBuilder:
    ski = x509.SubjectKeyIdentifier.from_public_key(public)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(public), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(ski, critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(issuer_ski), critical=False)
    )
    if names:
        builder = builder.add_extension(x509.SubjectAlternativeName(_general_names(names)), critical=False)
    return builder


def _utc(when: datetime) -> datetime:
    if when.tzinfo is None:
        raise InputError("a time without a time zone was given; pass an aware datetime (UTC)")
    return when.astimezone(timezone.utc)


def self_signed(
    key: PrivateKey,
    names: Iterable[str],
    *,
    now: datetime,
    days: int = DEFAULT_DAYS,
    backdate: timedelta = BACKDATE,
) -> x509.Certificate:
    """A self-signed server certificate: first name = CN = first SAN, the rest in order.

    Valid from ``now - backdate`` for ``days`` days.  Not a CA (so clients that pin it as an
    exception are not also trusting a CA), serverAuth only.
    """
    exact = normalise_names(names)
    if days < 1:
        raise InputError(f"days must be at least 1, not {days}", field="days")
    start = _utc(now) - backdate
    public = key.public_key()
    subject = _cn(exact[0])
    builder = _leaf_builder(
        public,
        exact,
        subject=subject,
        issuer=subject,
        issuer_ski=x509.SubjectKeyIdentifier.from_public_key(public),
        not_before=start,
        not_after=start + timedelta(days=days),
    )
    return builder.sign(key, _hash_for(key))


def csr(key: PrivateKey, names: Iterable[str]) -> x509.CertificateSigningRequest:
    """A certificate request: CN and first SAN = the FQDN, then the other names in order.

    It also asks for serverAuth and the key usage this key type needs; most CAs decide those
    themselves, but asking keeps a private CA (AD CS, step-ca) from issuing a wrong profile.
    """
    exact = normalise_names(names)
    public = key.public_key()
    return (
        x509.CertificateSigningRequestBuilder()
        .subject_name(_cn(exact[0]))
        .add_extension(x509.SubjectAlternativeName(_general_names(exact)), critical=False)
        .add_extension(_key_usage(public), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(key, _hash_for(key))
    )


# --- a CA for tests, the demo and the docs -------------------------------------------------------


@dataclass(frozen=True)
class IssuedCert:
    """A leaf issued by a :class:`TestCA`: its key, and the CA certificates above it.

    ``chain`` holds the intermediates from the issuer upwards, without the root (what a
    server sends); ``root`` is the trust anchor a client would need in its store.
    """

    cert: x509.Certificate
    key: PrivateKey
    chain: tuple[x509.Certificate, ...]
    root: x509.Certificate

    @property
    def cert_pem(self) -> bytes:
        return cert_to_pem(self.cert)

    @property
    def key_pem(self) -> bytes:
        return key_to_pem(self.key)

    @property
    def chain_pem(self) -> bytes:
        return cert_to_pem(*self.chain)

    @property
    def fullchain_pem(self) -> bytes:
        return cert_to_pem(self.cert, *self.chain)


class TestCA:
    """A certificate authority that lives in memory, for tests, the demo and the docs.

    ``TestCA(now=t).issue_cert("remote.contoso.com", "sbs.contoso.local")`` gives a leaf whose
    SAN is exactly that list, in that order.  Variants real servers present are one keyword
    away: ``not_before``/``not_after`` (expired, not yet valid), ``signature_hash="sha1"``,
    ``rsa_bits=1024``, ``common_name``/``omit_common_name``, ``exact=True`` (names put in
    verbatim, for the tricky names the matcher is tested on).  :meth:`create_child_ca` makes
    an intermediate; :meth:`sign_csr` plays a public CA, optionally re-ordering the names as
    some CAs do.
    """

    __test__ = False  # not a pytest test class, whatever its name says

    def __init__(
        self,
        *,
        now: datetime,
        name: str = "mailcert Test CA",
        key_type: KeyType | str = KeyType.RSA2048,
        parent: TestCA | None = None,
        days: int = 3650,
    ) -> None:
        self.now = _utc(now)
        self.key: PrivateKey = new_key(key_type)
        self.parent = parent
        public = self.key.public_key()
        self.ski = x509.SubjectKeyIdentifier.from_public_key(public)
        subject = x509.Name(
            [
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "mailcert testing"),
                x509.NameAttribute(NameOID.COMMON_NAME, name),
            ]
        )
        start = self.now - timedelta(days=1)
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(parent.cert.subject if parent else subject)
            .public_key(public)
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(start + timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None if parent is None else 0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    key_encipherment=False,
                    content_commitment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(self.ski, critical=False)
        )
        if parent is not None:
            builder = builder.add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(parent.ski), critical=False
            )
        signer = parent.key if parent else self.key
        self.cert: x509.Certificate = builder.sign(signer, _hash_for(signer))

    @property
    def root(self) -> x509.Certificate:
        """The self-signed certificate at the top (a client's trust anchor)."""
        return self.parent.root if self.parent else self.cert

    @property
    def chain(self) -> tuple[x509.Certificate, ...]:
        """This CA's certificate and the intermediates above it, without the root."""
        if self.parent is None:
            return ()
        return (self.cert, *self.parent.chain)

    @property
    def cert_pem(self) -> bytes:
        """PEM of this CA's own certificate (for ``--cafile`` when this is the root)."""
        return cert_to_pem(self.cert)

    def create_child_ca(self, name: str | None = None) -> TestCA:
        """An intermediate CA signed by this one."""
        own = common_name(self.cert) or "mailcert Test CA"
        return TestCA(now=self.now, name=name or f"{own} Intermediate", parent=self)

    def issue_cert(
        self,
        *names: str,
        key: PrivateKey | None = None,
        key_type: KeyType | str = KeyType.RSA2048,
        rsa_bits: int | None = None,
        not_before: datetime | None = None,
        not_after: datetime | None = None,
        signature_hash: str = "sha256",
        common_name: str | None = None,
        omit_common_name: bool = False,
        exact: bool = False,
    ) -> IssuedCert:
        """A leaf for ``names`` (the first is CN unless told otherwise), SAN in that order.

        ``exact=True`` skips normalisation: each string goes into the SAN as given (IP
        literals as iPAddress), so a test can present ``Remote.Contoso.com.`` or ``w*.x.y``.
        ``rsa_bits`` makes an RSA key of that size (e.g. 1024, a "small RSA" leaf).
        ``signature_hash="sha1"`` signs with SHA-1 (the CA key must be RSA).
        """
        if exact:
            ordered: tuple[str, ...] = tuple(names)
        else:
            ordered = normalise_names(names, first_may_be_wildcard=True) if names else ()
        if key is None:
            key = rsa.generate_private_key(65537, rsa_bits) if rsa_bits else new_key(key_type)
        start = _utc(not_before) if not_before else self.now - BACKDATE
        end = _utc(not_after) if not_after else start + timedelta(days=90)
        if omit_common_name:
            subject = x509.Name([])
        else:
            cn = common_name if common_name is not None else (ordered[0] if ordered else "mailcert test leaf")
            subject = _cn(cn)
        builder = _leaf_builder(
            key.public_key(),
            ordered,
            subject=subject,
            issuer=self.cert.subject,
            issuer_ski=self.ski,
            not_before=start,
            not_after=end,
        )
        leaf = self._sign(builder, signature_hash)
        return IssuedCert(cert=leaf, key=key, chain=self.chain, root=self.root)

    def sign_csr(
        self,
        request: x509.CertificateSigningRequest,
        *,
        names: Sequence[str] | None = None,
        not_before: datetime | None = None,
        not_after: datetime | None = None,
    ) -> x509.Certificate:
        """Issue for a CSR like a public CA would; ``names`` overrides the SAN it asked for.

        ``names=sorted(...)`` reproduces the CAs that sort the SAN and so move the mail name away
        from first place, the case ``mailcert cert import`` must warn about.
        """
        asked = san_names(request)
        ordered = tuple(names) if names is not None else asked
        start = _utc(not_before) if not_before else self.now - BACKDATE
        end = _utc(not_after) if not_after else start + timedelta(days=90)
        public = request.public_key()
        if not isinstance(public, (rsa.RSAPublicKey, ec.EllipticCurvePublicKey)):
            raise InputError("the request's key is neither RSA nor ECDSA")
        builder = _leaf_builder(
            public,
            ordered,
            subject=_cn(ordered[0]) if ordered else request.subject,
            issuer=self.cert.subject,
            issuer_ski=self.ski,
            not_before=start,
            not_after=end,
        )
        return self._sign(builder, "sha256")

    def _sign(self, builder: x509.CertificateBuilder, signature_hash: str) -> x509.Certificate:
        if signature_hash == "sha256":
            return builder.sign(self.key, _hash_for(self.key))
        if signature_hash != "sha1":
            raise InputError(f"signature hash {signature_hash!r}: TestCA signs with sha256 or sha1")
        if not isinstance(self.key, rsa.RSAPrivateKey):
            raise InputError("a SHA-1 test certificate needs an RSA CA key (TestCA(key_type='rsa2048'))")
        return _resign_sha1(builder.sign(self.key, hashes.SHA256()), self.key)


# cryptography no longer signs certificates with SHA-1, yet the doctor must be tested on the
# SHA-1 certificates old servers still present.  So: build with SHA-256, swap the algorithm
# identifier in the TBS (same length) and sign the new TBS with RSA PKCS#1 v1.5 + SHA-1.
_SHA256_RSA = bytes.fromhex("300d06092a864886f70d01010b0500")
_SHA1_RSA = bytes.fromhex("300d06092a864886f70d0101050500")


def _der_header(data: bytes | bytearray, offset: int) -> tuple[int, int]:
    """(header length, content length) of the DER element at ``offset``."""
    first = data[offset + 1]
    if first < 0x80:
        return 2, first
    n = first & 0x7F
    return 2 + n, int.from_bytes(data[offset + 2 : offset + 2 + n], "big")


def _der_length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


def _resign_sha1(cert: x509.Certificate, key: rsa.RSAPrivateKey) -> x509.Certificate:
    tbs = bytearray(cert.tbs_certificate_bytes)
    pos, _ = _der_header(tbs, 0)  # into the TBS SEQUENCE
    for _ in range(2):  # skip [0] version and the serial number
        hl, cl = _der_header(tbs, pos)
        pos += hl + cl
    if bytes(tbs[pos : pos + len(_SHA256_RSA)]) != _SHA256_RSA:
        raise AssertionError("unexpected TBS layout while making a SHA-1 test certificate")
    tbs[pos : pos + len(_SHA1_RSA)] = _SHA1_RSA
    signature = key.sign(bytes(tbs), padding.PKCS1v15(), hashes.SHA1())
    bit_string = b"\x03" + _der_length(len(signature) + 1) + b"\x00" + signature
    body = bytes(tbs) + _SHA1_RSA + bit_string
    return x509.load_der_x509_certificate(b"\x30" + _der_length(len(body)) + body)
