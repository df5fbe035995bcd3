"""Java keystores as trust stores: a JDK's ``cacerts`` and the stores Java mail clients are given.

A Java mail client trusts what its keystore holds: the JDK's ``lib/security/cacerts`` by
default (JKS up to JDK 17, as Debian's ca-certificates-java still writes it; a password-less
PKCS#12 file since JDK 18), or whatever ``javax.net.ssl.trustStore`` names.  The JDK's
TrustManagerFactory takes every trusted-certificate entry as an anchor, and the first
certificate of every private-key entry too (``sun.security.validator.TrustStoreUtil
.getTrustedCerts``).  An alias holding `` [jdk`` marks a root the JDK ships itself: OpenJDK's
build names its cacerts entries so, and ``sun.security.util.AnchorCertificates`` counts those
as "jdkCA" - below them ``jdk.certpath.disabledAlgorithms``' ``SHA1 jdkCA & usage TLSServer``
refuses SHA-1 (:attr:`mailcert.certs.chain.TrustStore.jdk_ca`).

Why a JKS reader of our own: the one on PyPI (pyjks) has had no release since 2020 and pulls
in cipher packages for private keys and JCEKS secret keys, which a trust store never needs
read.  What is read is small and documented by its one writer,
``sun.security.provider.JavaKeyStore``: magic ``0xFEEDFEED``, version 1 or 2, a count, then
per entry a tag (1: private key, 2: trusted certificate), the alias (``writeUTF``: two-byte
length, modified UTF-8), an 8-byte timestamp, for a private key its encrypted bytes
(length-prefixed; never decrypted here) and its certificate chain (a count, then each
certificate), each certificate as (version 2) its type ``writeUTF`` and length-prefixed DER;
last, a SHA-1 digest of the password (UTF-16BE), ``"Mighty Aphrodite"`` and everything before.
Every length is checked against what is left of the file (read whole, at most
``inputs.MAX_INPUT_BYTES``), so a truncated or hostile file is one error line, never a hang.
PKCS#12 is cryptography's (``pkcs12.load_pkcs12``: friendly names are the aliases).
"""

from __future__ import annotations

import hashlib
import hmac
import struct
import warnings
from typing import Final, NamedTuple

from cryptography import x509

from mailcert.certs.lenient import STRICT_REFUSALS, parse_leniently
from mailcert.certs.load import looks_like_pkcs12
from mailcert.certs.pfxwork import refuse_costly_pfx
from mailcert.errors import CertificateError

__all__ = ["DEFAULT_PASSWORD", "JDK_MARK", "Keystore", "KeystoreEntry", "is_keystore", "read_keystore"]

JDK_MARK: Final = " [jdk"
"""What an alias holds when the JDK ships the root itself (AnchorCertificates: ``alias.contains(" [jdk")``)."""

DEFAULT_PASSWORD: Final = "changeit"
"""The password of every JDK's cacerts (keytool's ``-cacerts`` default)."""

_JKS_MAGIC: Final = b"\xfe\xed\xfe\xed"
_JCEKS_MAGIC: Final = b"\xce\xce\xce\xce"
_DIGEST: Final = 20  # SHA-1
_MAX_CHAIN: Final = 100  # certificates of one private-key entry (the JDK writes what keytool got: a handful)


class KeystoreEntry(NamedTuple):
    """One anchor of a keystore: its alias and its certificate."""

    alias: str
    certificate: x509.Certificate

    @property
    def jdk_ca(self) -> bool:
        """Is it a root the JDK ships itself (its alias holds `` [jdk``)?"""
        return JDK_MARK in self.alias


class Keystore(NamedTuple):
    """The anchors a Java keystore gives the JDK's TrustManagerFactory, and what else it held."""

    kind: str  # "JKS" or "PKCS#12"
    anchors: tuple[KeystoreEntry, ...]  # trusted certificates, then the first certificate of each private-key entry
    key_entries: int  # private-key entries (their keys are not read; their first certificate is an anchor)
    integrity: str  # how the file's integrity was checked, in words
    caveat: bool = False  # ``integrity`` is something the administrator should know (not checked, a password a JDK needs)

    @property
    def description(self) -> str:
        """The store in an administrator's words, short: reports name the store a chain ends at."""
        marked = sum(e.jdk_ca for e in self.anchors)
        text = f"{self.kind} keystore, {len(self.anchors)} anchors"
        if marked:
            text += f", {marked} marked [jdk]"
        if self.key_entries:
            text += f", {self.key_entries} of them private-key entries' certificates"
        return f"{text}; {self.integrity}" if self.caveat else text


def is_keystore(data: bytes) -> bool:
    """Does ``data`` start as a JKS, JCEKS or PKCS#12 keystore does?"""
    return data[:4] in (_JKS_MAGIC, _JCEKS_MAGIC) or looks_like_pkcs12(data)


def read_keystore(data: bytes, source: str) -> Keystore:
    """The anchors of the JKS or PKCS#12 keystore ``data``; :class:`CertificateError` (one line,
    naming ``source``) for anything else, damaged or hostile."""
    if data[:4] == _JCEKS_MAGIC:
        raise CertificateError(f"{source}: a JCEKS keystore; convert it with keytool -importkeystore -deststoretype PKCS12")
    if data[:4] == _JKS_MAGIC:
        return _read_jks(data, source)
    return _read_pkcs12(data, source)


class _Reader:
    """Big-endian reads from a bytes object, each bounded by what is left of it."""

    def __init__(self, data: bytes, end: int, source: str) -> None:
        self.data, self.pos, self.end, self.source = data, 0, end, source

    def take(self, n: int, what: str) -> bytes:
        if n < 0 or n > self.end - self.pos:
            raise CertificateError(f"{self.source}: a damaged JKS keystore ({what} runs past the end of the file)")
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out

    def integer(self, what: str) -> int:
        return int(struct.unpack(">i", self.take(4, what))[0])

    def utf(self, what: str) -> str:
        """DataOutputStream.writeUTF: a two-byte length, then modified UTF-8 (NUL as C0 80,
        characters beyond the BMP as two encoded surrogates)."""
        raw = self.take(int(struct.unpack(">H", self.take(2, what))[0]), what).replace(b"\xc0\x80", b"\x00")
        text = raw.decode("utf-8", "surrogatepass")
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")

    def certificate(self, version: int, alias: str) -> x509.Certificate:
        if version == 2:
            kind = self.utf(f"the certificate type of {alias!r}")
            if kind != "X.509":
                raise CertificateError(f"{self.source}: entry {alias!r} holds a {kind[:40]!r} certificate, not X.509")
        der = self.take(self.integer(f"the certificate length of {alias!r}"), f"the certificate of {alias!r}")
        return _certificate(der, f"{self.source}: entry {alias!r}")


def _read_jks(data: bytes, source: str) -> Keystore:
    """The anchors of a JKS keystore (see the module's docstring for the format)."""
    if len(data) < 12 + _DIGEST:
        raise CertificateError(f"{source}: a truncated JKS keystore")
    r = _Reader(data, len(data) - _DIGEST, source)
    r.take(4, "the magic number")
    version = r.integer("the version")
    if version not in (1, 2):
        raise CertificateError(f"{source}: a JKS keystore of unknown version {version}")
    count = r.integer("the number of entries")
    # an entry takes at least 18 bytes (tag, empty alias, timestamp, empty certificate length)
    if count < 0 or count > (r.end - r.pos) // 18:
        raise CertificateError(f"{source}: a damaged JKS keystore ({count} entries cannot fit in it)")
    anchors: list[KeystoreEntry] = []
    keys = 0
    for _ in range(count):
        tag = r.integer("an entry's tag")
        alias = r.utf("an alias")
        r.take(8, f"the date of {alias!r}")
        if tag == 2:
            anchors.append(KeystoreEntry(alias, r.certificate(version, alias)))
        elif tag == 1:
            r.take(r.integer(f"the key length of {alias!r}"), f"the key of {alias!r}")
            n = r.integer(f"the chain length of {alias!r}")
            if not 0 <= n <= _MAX_CHAIN:
                raise CertificateError(f"{source}: a damaged JKS keystore ({n} certificates in the chain of {alias!r})")
            chain = [r.certificate(version, alias) for _ in range(n)]
            keys += 1
            if chain:
                anchors.append(KeystoreEntry(alias, chain[0]))
        else:
            raise CertificateError(f"{source}: a damaged JKS keystore (entry {alias!r} of unknown kind {tag})")
    if r.pos != r.end:
        raise CertificateError(f"{source}: a damaged JKS keystore ({r.end - r.pos} bytes after its last entry)")
    integrity = _integrity(data)
    return Keystore("JKS", tuple(anchors), keys, integrity, caveat=integrity != _CHECKED)


_CHECKED: Final = f"integrity checked with the default password {DEFAULT_PASSWORD!r}"


def _integrity(data: bytes) -> str:
    """The JKS digest, checked with the JDK's default password.  Under another password the
    store is still read, as the JDK reads a trust store when javax.net.ssl.trustStorePassword is
    unset (KeyStore.load(stream, null): no check); the description then says it was not checked."""
    body, digest = data[:-_DIGEST], data[-_DIGEST:]
    key = DEFAULT_PASSWORD.encode("utf-16-be") + b"Mighty Aphrodite"
    if hmac.compare_digest(hashlib.sha1(key + body).digest(), digest):
        return _CHECKED
    return "integrity not checked (its digest does not match the default password; a JDK loads a trust store without one too)"


def _read_pkcs12(data: bytes, source: str) -> Keystore:
    """The anchors of a PKCS#12 keystore: password-less (the JDK 18+ cacerts) or under the
    default password (keytool's own PKCS#12 stores before that)."""
    # lazy: pkcs12 pulls in the email package, which ``check`` without a keystore never needs
    from cryptography.hazmat.primitives.serialization import pkcs12

    refuse_costly_pfx(data, source)
    for password in (None, b"", DEFAULT_PASSWORD.encode()):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                bundle = pkcs12.load_pkcs12(data, password)
            break
        except ValueError:
            continue
    else:
        raise CertificateError(f"{source}: a PKCS#12 keystore that opens with neither no password nor the default"
                               f" {DEFAULT_PASSWORD!r} (or a damaged file); export its certificates as PEM"
                               " (keytool -exportcert -rfc) and give that file")
    anchors = [KeystoreEntry(_alias(c.friendly_name), c.certificate) for c in bundle.additional_certs]
    if bundle.cert is not None:
        anchors.append(KeystoreEntry(_alias(bundle.cert.friendly_name), bundle.cert.certificate))
    opened = ("opened without a password" if not password else f"opened with the default password {DEFAULT_PASSWORD!r} (a JDK reads"
              " its certificates only when javax.net.ssl.trustStorePassword gives it that password)")
    return Keystore("PKCS#12", tuple(anchors), int(bundle.key is not None), opened, caveat=bool(password))


def _alias(name: bytes | None) -> str:
    return name.decode("utf-8", "replace") if name else ""


def _certificate(der: bytes, where: str) -> x509.Certificate:
    """A keystore's certificate, read as the JDK's CertificateFactory reads what cryptography refuses."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # odd serials and the like: a root stays an anchor
            cert = x509.load_der_x509_certificate(der)
            cert.extensions
        return cert
    except (*STRICT_REFUSALS, ValueError):
        try:
            return parse_leniently(der)
        except (ValueError, x509.InvalidVersion):
            raise CertificateError(f"{where}: a certificate that cannot be read") from None
