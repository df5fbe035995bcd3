"""The offline rules of mailcert.certs.revocation (RFC 6960 §3.2/§4.2.2, RFC 5280 §6.3.3), on
responses and CRLs built here with cryptography: who may sign, about which certificate, how fresh."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from mailcert.certs.revocation import Revocation, crl_status, find_issuer, ocsp_request, ocsp_status

NOW = dt.datetime(2026, 11, 28, 12, 0, tzinfo=dt.timezone.utc)


def _cert(cn: str, key: ec.EllipticCurvePrivateKey, issuer: tuple[x509.Certificate, ec.EllipticCurvePrivateKey] | None,
          *, ca: bool, eku: list[x509.ObjectIdentifier] | None = None) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    b = (x509.CertificateBuilder().subject_name(name).issuer_name(issuer[0].subject if issuer else name)
         .public_key(key.public_key()).serial_number(x509.random_serial_number())
         .not_valid_before(NOW - dt.timedelta(days=10)).not_valid_after(NOW + dt.timedelta(days=100))
         .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if eku:
        b = b.add_extension(x509.ExtendedKeyUsage(eku), critical=False)
    return b.sign(issuer[1] if issuer else key, hashes.SHA256())


CA_KEY, OTHER_KEY, LEAF_KEY, RESPONDER_KEY = (ec.generate_private_key(ec.SECP256R1()) for _ in range(4))
CA = _cert("CA", CA_KEY, None, ca=True)
OTHER_CA = _cert("CA", OTHER_KEY, None, ca=True)  # same name, another key: a forger's CA
LEAF = _cert("mail.example.com", LEAF_KEY, (CA, CA_KEY), ca=False)
DELEGATE = _cert("OCSP", RESPONDER_KEY, (CA, CA_KEY), ca=False, eku=[ExtendedKeyUsageOID.OCSP_SIGNING])
NOT_DELEGATE = _cert("OCSP", RESPONDER_KEY, (CA, CA_KEY), ca=False, eku=[ExtendedKeyUsageOID.SERVER_AUTH])


def _response(*, signer: x509.Certificate = CA, key: ec.EllipticCurvePrivateKey = CA_KEY, status: ocsp.OCSPCertStatus = ocsp.OCSPCertStatus.GOOD,
              this_update: dt.datetime = NOW - dt.timedelta(hours=1), next_update: dt.datetime | None = NOW + dt.timedelta(days=1),
              about: x509.Certificate = LEAF, certs: list[x509.Certificate] | None = None) -> bytes:
    revoked = status is ocsp.OCSPCertStatus.REVOKED
    b = ocsp.OCSPResponseBuilder().add_response(
        about, CA, hashes.SHA1(), status, this_update, next_update,
        NOW - dt.timedelta(days=1) if revoked else None, x509.ReasonFlags.superseded if revoked else None,
    ).responder_id(ocsp.OCSPResponderEncoding.HASH, signer)
    if certs:
        b = b.certificates(certs)
    return b.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


@pytest.mark.parametrize(
    ("kwargs", "status", "detail"),
    [
        ({}, Revocation.GOOD, "not revoked"),
        ({"status": ocsp.OCSPCertStatus.REVOKED}, Revocation.REVOKED, "revoked on"),
        ({"status": ocsp.OCSPCertStatus.UNKNOWN}, Revocation.UNKNOWN, "does not know"),
        ({"signer": DELEGATE, "key": RESPONDER_KEY, "certs": [DELEGATE]}, Revocation.GOOD, "not revoked"),
        ({"signer": NOT_DELEGATE, "key": RESPONDER_KEY, "certs": [NOT_DELEGATE]}, Revocation.ERROR, "not signed by the issuer"),
        ({"signer": OTHER_CA, "key": OTHER_KEY}, Revocation.ERROR, "not signed by the issuer"),
        ({"next_update": NOW - dt.timedelta(minutes=1)}, Revocation.ERROR, "stale"),
        ({"this_update": NOW + dt.timedelta(hours=1)}, Revocation.ERROR, "in the future"),
        ({"about": DELEGATE}, Revocation.ERROR, "another certificate"),
    ],
)
def test_ocsp_rules(kwargs: dict, status: Revocation, detail: str) -> None:  # type: ignore[type-arg]
    got = ocsp_status(_response(**kwargs), LEAF, CA, now=NOW, source="ocsp", url="http://ocsp.example/")
    assert (got.status, detail in got.detail) == (status, True), got


def test_ocsp_garbage_and_refusals() -> None:
    assert "not an OCSP response" in ocsp_status(b"\x30\x03junk", LEAF, CA, now=NOW, source="stapled").detail
    refused = ocsp.OCSPResponseBuilder.build_unsuccessful(ocsp.OCSPResponseStatus.UNAUTHORIZED).public_bytes(serialization.Encoding.DER)
    assert ocsp_status(refused, LEAF, CA, now=NOW, source="ocsp").detail == "the responder answered unauthorized"


def test_request_names_the_certificate() -> None:
    req = ocsp.load_der_ocsp_request(ocsp_request(LEAF, CA))
    assert req.serial_number == LEAF.serial_number and isinstance(req.hash_algorithm, hashes.SHA1)


def test_find_issuer_checks_the_key_not_the_name() -> None:
    assert find_issuer(LEAF, [OTHER_CA, CA]) is CA and find_issuer(LEAF, [OTHER_CA]) is None


def _crl(key: ec.EllipticCurvePrivateKey = CA_KEY, *, revoke: bool = False, next_update: dt.datetime = NOW + dt.timedelta(days=1),
         pem: bool = False) -> bytes:
    b = x509.CertificateRevocationListBuilder().issuer_name(CA.subject).last_update(NOW - dt.timedelta(hours=1)).next_update(next_update)
    if revoke:
        b = b.add_revoked_certificate(x509.RevokedCertificateBuilder().serial_number(LEAF.serial_number).revocation_date(NOW).build())
    return b.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM if pem else serialization.Encoding.DER)


@pytest.mark.parametrize(
    ("data", "status", "detail"),
    [
        (_crl(), Revocation.GOOD, "not on the CRL"),
        (_crl(revoke=True, pem=True), Revocation.REVOKED, "revoked on"),
        (_crl(OTHER_KEY, revoke=True), Revocation.ERROR, "not signed"),
        (_crl(next_update=NOW - dt.timedelta(hours=1)), Revocation.ERROR, "stale"),
        (b"<html>not found</html>", Revocation.ERROR, "not a CRL"),
    ],
)
def test_crl_rules(data: bytes, status: Revocation, detail: str) -> None:
    got = crl_status(data, LEAF, CA, now=NOW, url="http://crl.example/ca.crl")
    assert (got.status, detail in got.detail) == (status, True), got
