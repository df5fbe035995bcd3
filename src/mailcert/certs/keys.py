"""Reading private keys the administrator hands us (PEM, DER, or the key inside a PFX).

One reader for ``cert`` (which accepts encrypted keys with --password-env) and ``deploy``
(which insists on the unencrypted PEM that Dovecot and Postfix read), so a wrong password, an
encrypted key or an Ed25519 key is explained the same way everywhere.  Keys are never printed.
"""

from __future__ import annotations

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa

from mailcert.certs.build import PrivateKey
from mailcert.certs.pkcs12 import read_pfx
from mailcert.errors import InputError

__all__ = ["read_private_key"]

_ENCRYPTED_HINT = "put its password in an environment variable and give password_env VAR"


def read_private_key(
    data: bytes, *, source: str, password: bytes | None = None, encrypted_hint: str = _ENCRYPTED_HINT
) -> PrivateKey:
    """The RSA or ECDSA private key in ``data`` (what mail clients can use), or one clear error.

    ``encrypted_hint`` finishes the message for an encrypted key read without a password (deploy
    says the servers need an unencrypted key instead).
    """
    if b"-----BEGIN" not in data and data[:1] == b"\x30" and b"\x02\x01\x03" in data[:8]:
        return read_pfx(data, password, source=source)[0]
    try:
        if b"-----BEGIN" in data:
            if b"PRIVATE KEY-----" not in data:
                raise InputError(f"{source} holds no private key (a certificate? give the key file)")
            key = serialization.load_pem_private_key(data, password)
        else:
            key = serialization.load_der_private_key(data, password)
    except TypeError:
        if password is None:
            raise InputError(f"{source} is encrypted; {encrypted_hint}", mentions=("password_env",)) from None
        raise InputError(f"{source} is not encrypted; leave out password_env", mentions=("password_env",)) from None
    except ValueError:
        if password is not None:
            raise InputError(f"cannot read the key in {source}: wrong password, or not a private key") from None
        raise InputError(f"{source} is not a private key we can read (PEM or DER, RSA or ECDSA)") from None
    if not isinstance(key, (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey)):
        kind = "Ed25519/Ed448" if isinstance(key, (ed25519.Ed25519PrivateKey, ed448.Ed448PrivateKey)) else type(key).__name__
        raise InputError(f"{source}: a {kind} key; mail clients need RSA or ECDSA")
    return key
