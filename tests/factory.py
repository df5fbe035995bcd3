"""Test certificates with exact contents, for tests that need odd ones (no SAN, CA:TRUE, SHA-1).

Builds with cryptography directly, so a test of the readers does not depend on the builders
it might be testing.  One EC key for speed; RSA only where a test needs its size.
:func:`chain_cert` builds the links of a chain (a CA or a leaf with its key), for the verdict
tests and the chain corpus alike.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, rsa
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID, NameOID

from mailcert.certs.build import _resign_sha1 as resign_sha1

NOW = dt.datetime(2026, 11, 28, 12, 0, tzinfo=dt.timezone.utc)
_KEY = ec.generate_private_key(ec.SECP256R1())


def make_cert(
    san: Sequence[str] = ("DNS:mail.example.com",),
    *,
    cn: Sequence[str] = ("mail.example.com",),
    days: tuple[int, int] = (-1, 365),
    ca: bool | None = False,
    eku: Sequence[x509.ObjectIdentifier] | None = (ExtendedKeyUsageOID.SERVER_AUTH,),
    key: object = None,
    hash_alg: hashes.HashAlgorithm | None = None,
    issuer: tuple[x509.Certificate, object] | None = None,
    now: dt.datetime = NOW,
) -> x509.Certificate:
    """A certificate; ``san`` entries as ``DNS:x`` / ``IP:x`` (an empty tuple: no SAN extension)."""
    k = key or _KEY
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, c) for c in cn])
    b = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer[0].subject if issuer else subject)
        .public_key(k.public_key())  # type: ignore[attr-defined]
        .serial_number(x509.random_serial_number())
        .not_valid_before(now + dt.timedelta(days=days[0]))
        .not_valid_after(now + dt.timedelta(days=days[1]))
    )
    if san:
        names: list[x509.GeneralName] = []
        for entry in san:
            kind, value = entry.split(":", 1)
            names.append(x509.DNSName(value) if kind == "DNS" else x509.IPAddress(ipaddress.ip_address(value)))
        b = b.add_extension(x509.SubjectAlternativeName(names), critical=False)
    if ca is not None:
        b = b.add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    if eku is not None:
        b = b.add_extension(x509.ExtendedKeyUsage(list(eku)), critical=False)
    signer = issuer[1] if issuer else k
    return b.sign(signer, hash_alg or hashes.SHA256())  # type: ignore[arg-type]


def rsa_key(bits: int = 2048) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def key_pem(key: object = None) -> bytes:
    return (key or _KEY).private_bytes(  # type: ignore[attr-defined, no-any-return]
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def pem(*certs: x509.Certificate) -> bytes:
    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs)


def der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


@dataclass(frozen=True)
class Node:
    """One link of a chain a test builds: the certificate and its private key."""

    cert: x509.Certificate
    key: Any  # an EC or RSA private key


def chain_cert(
    cn: str,
    issuer: Node | None = None,
    *,
    key: Any,
    not_before: dt.datetime,
    not_after: dt.datetime,
    ca: bool | None = False,
    path_len: int | None = None,
    san: Sequence[str] = (),
    ips: Sequence[str] = (),
    eku: Sequence[x509.ObjectIdentifier] | None = (ExtendedKeyUsageOID.SERVER_AUTH,),
    sha1: bool = False,
    aia: str | None = None,
    permitted: Sequence[str] = (),
    excluded: Sequence[str] = (),
    critical_unknown: bool = False,
    serial: int | None = None,
    organization: str | None = None,
    constraints: x509.NameConstraints | None = None,
    ca_eku: bool = False,
) -> Node:
    """A certificate with exactly these contents, signed by ``issuer`` (self-signed without).

    As CAs and servers issue them: basicConstraints (critical), both key identifiers, key usage
    (critical; a CA signs certificates and CRLs, a leaf signs, an RSA leaf also enciphers keys),
    serverAuth for a leaf unless ``eku`` says otherwise.  ECDSA signatures are RFC 6979
    (deterministic), so a fixed key, serial and validity give byte-identical DER; ``sha1``
    re-signs an RSA-signed certificate with SHA-1, which cryptography no longer does itself.
    Oddities for the clients' own rules: ``ca`` None, no basicConstraints but keyCertSign (a CA
    as old tools made them); an empty ``cn`` (without ``organization``), an empty subject (the
    SAN then critical); ``constraints``, any name constraints; ``ca_eku``, an EKU on a CA too.
    """
    attrs = [x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization)] if organization else []
    name = x509.Name([*attrs, *([x509.NameAttribute(NameOID.COMMON_NAME, cn)] if cn else [])])
    signs = ca is not False
    signer = issuer.key if issuer is not None else key
    b = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer.cert.subject if issuer is not None else name)
        .public_key(key.public_key())
        .serial_number(serial if serial is not None else x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
    )
    if ca is not None:
        b = b.add_extension(x509.BasicConstraints(ca=ca, path_length=path_len if ca else None), critical=True)
    b = (
        b.add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(signer.public_key()), critical=False)
        .add_extension(x509.KeyUsage(True, False, not signs and isinstance(key, rsa.RSAPrivateKey), False, False, signs, signs, False,
                                     False), critical=True)
    )
    general = [x509.DNSName(n) for n in san] + [x509.IPAddress(ipaddress.ip_address(i)) for i in ips]
    if general:
        b = b.add_extension(x509.SubjectAlternativeName(general), critical=not name)
    if eku is not None and (not ca or ca_eku):
        b = b.add_extension(x509.ExtendedKeyUsage(list(eku)), critical=False)
    if aia:
        b = b.add_extension(x509.AuthorityInformationAccess(
            [x509.AccessDescription(AuthorityInformationAccessOID.CA_ISSUERS, x509.UniformResourceIdentifier(aia))]), critical=False)
    if constraints or permitted or excluded:
        b = b.add_extension(constraints or x509.NameConstraints([x509.DNSName(p) for p in permitted] or None,
                                                                [x509.DNSName(p) for p in excluded] or None), critical=True)
    if critical_unknown:
        b = b.add_extension(x509.UnrecognizedExtension(x509.ObjectIdentifier("1.3.6.1.4.1.55555.1.1"), b"\x05\x00"), critical=True)
    if isinstance(signer, rsa.RSAPrivateKey):
        cert = b.sign(signer, hashes.SHA256())
        return Node(resign_sha1(cert, signer) if sha1 else cert, key)
    if isinstance(signer, dsa.DSAPrivateKey):
        return Node(b.sign(signer, hashes.SHA256()), key)
    return Node(b.sign(signer, hashes.SHA256(), ecdsa_deterministic=True), key)
