"""The certificate to deploy: a leaf, its chain and its key, read from where the issuer left them.

Three sources, one result (:class:`CertBundle`):

* ``--cert DIR``: what ``mailcert cert import`` / ``acme`` write (the layout of
  :mod:`mailcert.certs.bundle`: ``fullchain.pem`` + ``key.pem``), also certbot's layout
  (``privkey.pem``) and ``cert new --self-signed`` (``cert.pem`` only);
* certbot's deploy hook (and ``mailcert acme renew --deploy-hook``): ``$RENEWED_LINEAGE`` is
  a directory like the above;
* acme.sh's ``--reloadcmd`` style: ``$CERT_FULLCHAIN_PATH`` and ``$CERT_KEY_PATH``.

The bytes written to the server are the issuer's own bytes (not re-encoded), so a server
configured to read certbot's files directly already holds exactly what we would write and a
second deploy is a no-op.  The environment is passed in, never read here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from mailcert.certs.build import PrivateKey
from mailcert.certs.keys import read_private_key
from mailcert.certs.load import read_certificates
from mailcert.errors import CertificateError, InputError
from mailcert.inputs import read_input

__all__ = ["CertBundle", "bundle_from_dir", "bundle_from_env", "bundle_from_files"]

_KEY_NAMES = ("key.pem", "privkey.pem")


@dataclass(frozen=True)
class CertBundle:
    """The leaf (``certs[0]``), the certificates sent after it, the key, and the bytes to write.

    ``fullchain_pem`` and ``key_pem`` are what lands on the server's disk.  ``source``
    names where they came from, for messages.
    """

    source: str
    certs: tuple[x509.Certificate, ...]
    key: PrivateKey
    fullchain_pem: bytes
    key_pem: bytes

    @property
    def leaf(self) -> x509.Certificate:
        return self.certs[0]

    @property
    def leaf_der(self) -> bytes:
        return self.leaf.public_bytes(serialization.Encoding.DER)

    @property
    def leaf_sha256(self) -> str:
        """The fingerprint that proves, over the wire, that the server serves this certificate."""
        return hashlib.sha256(self.leaf_der).hexdigest()


def bundle_from_dir(directory: str | Path, *, given_as: str | None = None) -> CertBundle:
    """``DIR/fullchain.pem`` (else ``cert.pem`` + ``chain.pem``) and ``DIR/key.pem`` (or ``privkey.pem``).

    ``given_as`` is how the directory was named (default: the field ``cert``; a deploy hook's
    variable), so an error points at what the administrator or the hook actually set."""
    d = Path(directory)
    if not d.is_dir():
        what = "not a directory" if d.exists() else "no such directory"
        raise InputError(f"{given_as or f'cert {d}'}: {what} (it must be the directory holding fullchain.pem and key.pem or privkey.pem)",
                         field=None if given_as else "cert")
    key_path = next((d / n for n in _KEY_NAMES if (d / n).is_file()), None)
    if key_path is None:
        raise InputError(f"{d} holds no key.pem or privkey.pem")
    fullchain = d / "fullchain.pem"
    if fullchain.is_file():
        return bundle_from_files(fullchain, key_path)
    cert = d / "cert.pem"
    if not cert.is_file():
        raise InputError(f"{d} holds neither fullchain.pem nor cert.pem")
    data = _read(cert)
    chain = d / "chain.pem"
    if chain.is_file():
        data = data.rstrip(b"\n") + b"\n" + _read(chain)
    return _bundle(data, _read(key_path), source=str(d), cert_source=str(cert), key_source=str(key_path))


def bundle_from_files(fullchain: str | Path, key: str | Path) -> CertBundle:
    """A full-chain PEM file (leaf first) and an unencrypted key file."""
    return _bundle(_read(Path(fullchain)), _read(Path(key)), source=str(fullchain),
                   cert_source=str(fullchain), key_source=str(key))


def bundle_from_env(env: Mapping[str, str]) -> CertBundle:
    """certbot's ``RENEWED_LINEAGE``, else acme.sh's ``CERT_FULLCHAIN_PATH`` + ``CERT_KEY_PATH``."""
    lineage = env.get("RENEWED_LINEAGE")
    if lineage:
        return bundle_from_dir(lineage, given_as=f"RENEWED_LINEAGE={lineage} (certbot's renewed lineage)")
    fullchain, key = env.get("CERT_FULLCHAIN_PATH"), env.get("CERT_KEY_PATH")
    if fullchain and key:
        return bundle_from_files(fullchain, key)
    if fullchain or key:
        missing = "CERT_KEY_PATH" if fullchain else "CERT_FULLCHAIN_PATH"
        raise InputError(f"from_env: {missing} is not set (acme.sh style needs CERT_FULLCHAIN_PATH and CERT_KEY_PATH)", field="from_env")
    raise InputError(
        "from_env: RENEWED_LINEAGE is not set (certbot sets it when it runs a deploy hook after a"
        " renewal), nor are acme.sh's CERT_FULLCHAIN_PATH and CERT_KEY_PATH; run from a hook, or"
        " give cert DIR",
        field="from_env",
        mentions=("cert",),
    )


def _bundle(cert_data: bytes, key_data: bytes, *, source: str, cert_source: str, key_source: str) -> CertBundle:
    if b"PRIVATE KEY-----" in cert_data:
        # A key inside the certificate file would be written 0644 as the "certificate".
        raise InputError(f"{cert_source} holds a private key; give the key in its own file")
    try:
        certs = read_certificates(cert_data, source=cert_source)
    except CertificateError as exc:
        raise InputError(str(exc)) from None
    if b"-----BEGIN" not in cert_data:
        raise InputError(f"{cert_source}: the servers read PEM; convert it (mailcert cert import does)")
    key = _load_key(key_data, key_source)
    if not cert_data.endswith(b"\n"):
        cert_data += b"\n"
    if not key_data.endswith(b"\n"):
        key_data += b"\n"
    return CertBundle(source=source, certs=certs, key=key, fullchain_pem=cert_data, key_pem=key_data)


def _load_key(data: bytes, source: str) -> PrivateKey:
    if b"PRIVATE KEY-----" not in data:
        raise InputError(f"{source} holds no PEM private key")
    return read_private_key(data, source=source, encrypted_hint="Dovecot and Postfix need an unencrypted key (0600)")


def _read(path: Path) -> bytes:
    return read_input(path)
