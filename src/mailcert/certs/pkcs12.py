"""Export for Windows, Exchange and IIS (PKCS#12/PFX) and for Unix servers (a PEM bundle).

Two PFX forms, because Windows changed its mind in 2019:

* **modern** (default): keys and certificates under PBES2 AES-256-CBC with PBKDF2-SHA-256, MAC
  HMAC-SHA-256.  Windows Server 2019 / Windows 10 1709 and later, OpenSSL 3, macOS read it.
* **legacy** (``legacy=True``): PBES1 pbeWithSHAAnd3-KeyTripleDES-CBC for key and
  certificates, MAC HMAC-SHA-1, 2048 rounds: the only form Windows Server 2016 and older
  (and so SBS 2008's Exchange 2007) import; "The password you entered is incorrect" is what
  they say about an AES-protected file.  (OpenSSL 3 reads it; ``-legacy`` is needed only for
  the RC2-40 certificate bags Windows itself writes.)

Pure: bytes in, bytes out.  Writing (0600) is :mod:`mailcert.fsutil`'s job.
"""

from __future__ import annotations

from collections.abc import Sequence

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12

from mailcert.certs.build import PrivateKey, cert_to_pem, common_name, key_matches, key_to_pem
from mailcert.certs.pfxwork import refuse_costly_pfx
from mailcert.errors import CertificateError, InputError

__all__ = ["LEGACY_ROUNDS", "MODERN_ROUNDS", "pem_bundle", "read_pfx", "to_pfx"]

MODERN_ROUNDS = 100_000
LEGACY_ROUNDS = 2048  # what Windows itself writes; older importers are slow with more


def _check(key: PrivateKey, cert: x509.Certificate) -> None:
    if not key_matches(key, cert):
        raise InputError("the private key does not belong to the certificate (their public keys differ)")


def to_pfx(
    key: PrivateKey,
    cert: x509.Certificate,
    chain: Sequence[x509.Certificate] = (),
    *,
    password: bytes,
    legacy: bool = False,
    friendly_name: str | None = None,
) -> bytes:
    """A password-protected PKCS#12 file with ``key``, ``cert`` and the ``chain`` above it.

    ``friendly_name`` (default: the certificate's CN) is the name the Windows certificate
    store and Exchange show for it.  An empty password is refused: Windows would import the
    file, but the key would travel unprotected.
    """
    if not password:
        raise InputError("the PFX password is empty; a PFX carries the private key, so give a password")
    _check(key, cert)
    if friendly_name is None:
        friendly_name = common_name(cert)
    builder = serialization.PrivateFormat.PKCS12.encryption_builder()
    if legacy:
        builder = (
            builder.kdf_rounds(LEGACY_ROUNDS)
            .key_cert_algorithm(pkcs12.PBES.PBESv1SHA1And3KeyTripleDESCBC)
            .hmac_hash(hashes.SHA1())
        )
    else:
        builder = (
            builder.kdf_rounds(MODERN_ROUNDS)
            .key_cert_algorithm(pkcs12.PBES.PBESv2SHA256AndAES256CBC)
            .hmac_hash(hashes.SHA256())
        )
    return pkcs12.serialize_key_and_certificates(
        name=friendly_name.encode("utf-8") if friendly_name else None,
        key=key,
        cert=cert,
        cas=list(chain) or None,
        encryption_algorithm=builder.build(password),
    )


def pem_bundle(key: PrivateKey, cert: x509.Certificate, chain: Sequence[x509.Certificate] = ()) -> bytes:
    """Key, then leaf, then chain: the single-file form HAProxy, Courier and some appliances read.

    It holds the private key, so the caller writes it 0600 like a key.
    """
    _check(key, cert)
    return key_to_pem(key) + cert_to_pem(cert, *chain)


def read_pfx(
    data: bytes, password: bytes | None, *, source: str = "PFX"
) -> tuple[PrivateKey, x509.Certificate, tuple[x509.Certificate, ...]]:
    """Key, leaf and the other certificates of a PKCS#12 file (e.g. exported from Windows).

    One :class:`CertificateError` line for a wrong password or a file that is no PFX, as
    PKCS#12 cannot tell the two apart.
    """
    refuse_costly_pfx(data, source)
    try:
        key, cert, others = pkcs12.load_key_and_certificates(data, password)
    except ValueError:
        hint = "" if password else " (it may need a password: use password_env VAR)"
        raise CertificateError(f"cannot open {source}: wrong password, or not a PKCS#12/PFX file{hint}", mentions=("password_env",)) from None
    if key is None or cert is None:
        raise CertificateError(f"{source} holds no private key with its certificate; export it again with the key")
    if not isinstance(key, (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey)):
        raise CertificateError(f"{source}: the key is neither RSA nor ECDSA, which mail clients need")
    return key, cert, tuple(others)
