"""Test certificates with exact contents, for tests that need odd ones (no SAN, CA:TRUE, SHA-1).

Builds with cryptography directly, so a test of the readers does not depend on the builders
it might be testing.  One EC key for speed; RSA only where a test needs its size.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

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
    import ipaddress

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
