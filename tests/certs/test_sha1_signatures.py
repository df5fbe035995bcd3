"""A SHA-1 signature is still a signature: cryptography verifies none (``verify_directly_issued_by``
raises "Unsupported signature algorithm"), so :func:`mailcert.certs.info.signed_by`, the one
reading of "does this key sign that certificate" for the facts, revocation and the chain rules,
checks an RSA PKCS#1 v1.5 one itself.  Before, a SHA-1 self-signed certificate (what servers of
the SBS 2008 case's era made) read as merely self-issued, and a SHA-1-signed certificate's
issuer was found by the chain rules but not by revocation."""

from __future__ import annotations

from cryptography import x509

from mailcert.certs.info import facts_from_certificate, signed_by
from tests.factory import make_cert, resign_sha1, rsa_key

KEY = rsa_key()
OTHER = rsa_key()


def _self_signed_sha1(key: object = KEY) -> x509.Certificate:
    return resign_sha1(make_cert(key=key, ca=True), key)  # type: ignore[arg-type]


def test_a_sha1_self_signed_certificate_is_self_signed() -> None:
    cert = _self_signed_sha1()
    assert cert.signature_algorithm_oid == x509.SignatureAlgorithmOID.RSA_WITH_SHA1
    assert signed_by(cert, cert)
    assert facts_from_certificate(cert).self_signed


def test_a_sha1_signature_by_another_key_is_not_taken() -> None:
    """Same names, another key: self-issued, not self-signed (the check is the signature's)."""
    forged = resign_sha1(make_cert(key=KEY, ca=True), OTHER)
    assert not signed_by(forged, forged)
    assert not facts_from_certificate(forged).self_signed


def test_a_sha1_certificate_signed_by_its_issuer() -> None:
    root = make_cert(key=KEY, ca=True, cn=("SHA-1 Root",), san=())
    leaf = resign_sha1(make_cert(issuer=(root, KEY), key=OTHER), KEY)
    assert signed_by(leaf, root)
    assert not signed_by(leaf, make_cert(key=OTHER, ca=True, cn=("SHA-1 Root",), san=()))  # same name, wrong key
