"""Certificate material for the server fixtures, made with ``cryptography`` (no openssl CLI, no
dependency on ``mailcert.certs``, which is being written separately and must be testable *against*
these files rather than used to make them).

The interesting shapes (see LAB.md §1):

* ``sbs``: the Small-Business-Server shape this project is about: CN=sbs.contoso.local and SANs in the
  order ``sbs.contoso.local, remote.contoso.com, sites, companyweb`` - valid for remote.contoso.com,
  but the name users connect to is not the first SAN.
* ``ordered``: same names, remote.contoso.com first (and as CN).
* ``expired``: like ``ordered`` but its validity ended 30 days ago.

All leaves are RSA-2048 (what SBS-era servers serve), signed by one fixture CA, and served leaf-only
(a served CA cert triggers "chain contains anchor" warnings in scanners, LAB.md §5).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

SBS_NAMES: tuple[str, ...] = ("sbs.contoso.local", "remote.contoso.com", "sites", "companyweb")
ORDERED_NAMES: tuple[str, ...] = ("remote.contoso.com", "sbs.contoso.local", "sites", "companyweb")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _key_pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _write(path: Path, data: bytes, mode: int = 0o644) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.chmod(tmp, mode)
    os.replace(tmp, path)  # atomic, so a server reading it mid-write never sees half a file


@dataclass(frozen=True)
class CertFiles:
    """One leaf certificate on disk.

    ``cert_path`` holds the leaf only, ``chain_path`` leaf + issuing CA, ``key_path`` the unencrypted
    PKCS#8 key (mode 0600).  ``der`` is what a TLS client must see to prove the server serves this leaf.
    """

    name: str
    cert: x509.Certificate
    cert_path: Path
    key_path: Path
    chain_path: Path

    @property
    def der(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.DER)

    @property
    def pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)

    @property
    def dns_names(self) -> list[str]:
        """SAN dNSNames in certificate order (the order is what the tests are about)."""
        san = self.cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        return san.get_values_for_type(x509.DNSName)


@dataclass(frozen=True)
class FixtureCA:
    """A self-signed test CA that can issue leaves.  ``cert_path`` is the file clients trust."""

    cert: x509.Certificate
    key: rsa.RSAPrivateKey
    cert_path: Path
    key_path: Path

    @property
    def pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)

    def issue(
        self,
        directory: Path,
        name: str,
        *,
        common_name: str,
        dns_names: Sequence[str],
        ip_addresses: Sequence[str] = (),
        not_before: dt.datetime | None = None,
        not_after: dt.datetime | None = None,
    ) -> CertFiles:
        """Issue a TLS server leaf and write ``<name>.crt``, ``<name>.key``, ``<name>.chain.pem``.

        SANs are written in exactly the given order (DNS names first, then IPs); cryptography keeps it.
        Default validity: from one day ago (clock-skew tolerant) for 365 days (under Apple's limits).
        """
        key = _key()
        nb = not_before or (_now() - dt.timedelta(days=1))
        na = not_after or (nb + dt.timedelta(days=365))
        sans: list[x509.GeneralName] = [x509.DNSName(n) for n in dns_names]
        sans += [x509.IPAddress(ipaddress.ip_address(ip)) for ip in ip_addresses]
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
            .issuer_name(self.cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(nb)
            .not_valid_after(na)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_encipherment=True, content_commitment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                         crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.SubjectAlternativeName(sans), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()), critical=False)
            .sign(self.key, hashes.SHA256())
        )
        directory = Path(directory)
        cert_pem = cert.public_bytes(serialization.Encoding.PEM)
        files = CertFiles(name, cert, directory / f"{name}.crt", directory / f"{name}.key",
                          directory / f"{name}.chain.pem")
        _write(files.key_path, _key_pem(key), 0o600)
        _write(files.cert_path, cert_pem)
        _write(files.chain_path, cert_pem + self.pem)
        return files


def make_ca(directory: Path, common_name: str = "mailcert Fixture CA", name: str = "ca") -> FixtureCA:
    """Create a fresh self-signed CA (10 years) and write ``<name>.crt`` / ``<name>.key``."""
    key = _key()
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    nb = _now() - dt.timedelta(days=1)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject).issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(nb).not_valid_after(nb + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=False, key_encipherment=False, content_commitment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                     crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    directory = Path(directory)
    ca = FixtureCA(cert, key, directory / f"{name}.crt", directory / f"{name}.key")
    _write(ca.key_path, _key_pem(key), 0o600)
    _write(ca.cert_path, cert.public_bytes(serialization.Encoding.PEM))
    return ca


@dataclass(frozen=True)
class FixturePKI:
    """The standard fixture certificates, all issued by ``ca``."""

    ca: FixtureCA
    sbs: CertFiles       # CN sbs.contoso.local, SANs sbs.contoso.local, remote.contoso.com, sites, companyweb
    ordered: CertFiles   # CN remote.contoso.com, remote.contoso.com first
    expired: CertFiles   # names as ``ordered``; expired 30 days ago


def make_fixture_pki(directory: Path) -> FixturePKI:
    """Write CA + the three standard leaves into ``directory`` (about 0.3-1 s, RSA key generation)."""
    directory = Path(directory)
    ca = make_ca(directory)
    sbs = ca.issue(directory, "sbs", common_name=SBS_NAMES[0], dns_names=SBS_NAMES)
    ordered = ca.issue(directory, "ordered", common_name=ORDERED_NAMES[0], dns_names=ORDERED_NAMES)
    now = _now()
    expired = ca.issue(directory, "expired", common_name=ORDERED_NAMES[0], dns_names=ORDERED_NAMES,
                       not_before=now - dt.timedelta(days=400), not_after=now - dt.timedelta(days=30))
    return FixturePKI(ca, sbs, ordered, expired)


def read_cert_der(path: Path) -> bytes:
    """DER of the first certificate in a PEM file (handy to compare a served leaf with a file)."""
    return x509.load_pem_x509_certificate(Path(path).read_bytes()).public_bytes(serialization.Encoding.DER)
