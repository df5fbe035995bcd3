"""Certificates cryptography refuses but mail clients read: judged, never an error."""

from __future__ import annotations

import base64
import datetime as dt
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtensionOID, NameOID

from mailcert.certs.info import facts_from_certificate
from mailcert.certs.lenient import original_der, parse_leniently, strict_error
from mailcert.certs.load import read_certificates
from mailcert.names import PROFILES, check_name
from tests.differential.corpus import Dns, RawIp, issue, with_printable_cns

D = "mail.example.com"


def _self_signed(*extensions: tuple[x509.ExtensionType, bool]) -> bytes:
    """The DER of a self-signed P-256 certificate for ``D`` with ``extensions`` (value, critical)
    in this order: the start of each hand-damaged certificate below."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, D)])
    now = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    builder = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(7).not_valid_before(now).not_valid_after(now + dt.timedelta(days=90))
    )
    for value, critical in extensions:
        builder = builder.add_extension(value, critical=critical)
    return builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


def _pem(der: bytes) -> bytes:
    return b"-----BEGIN CERTIFICATE-----\n" + base64.encodebytes(der) + b"-----END CERTIFICATE-----\n"


STAR_CN = with_printable_cns(issue("lenient-star", san=None, cns=("*.example.com",)))
IP0 = issue("lenient-ip0", san=[RawIp(b""), Dns(D)], cns=(D,))
IP5 = issue("lenient-ip5", san=[RawIp(bytes(5)), Dns(D)], cns=(D,))


def test_cryptography_really_refuses_them() -> None:
    with pytest.raises(ValueError):
        x509.load_der_x509_certificate(STAR_CN).subject
    for der in (IP0, IP5):
        with pytest.raises(ValueError):
            x509.load_der_x509_certificate(der).extensions


@pytest.mark.parametrize(("der", "ip"), [(STAR_CN, None), (IP0, "<0 octets: >"), (IP5, "<5 octets: 0000000000>")],
                         ids=["star-cn", "ip0", "ip5"])
@pytest.mark.parametrize("form", ["pem", "der"])
def test_read_as_the_clients_read_them(der: bytes, ip: str | None, form: str) -> None:
    (cert,) = read_certificates(_pem(der) if form == "pem" else der, source="t")
    assert original_der(cert) == der and strict_error(cert)
    facts = facts_from_certificate(cert)
    assert facts.der == der and facts.strict_error
    ids = facts.identifiers
    if der is STAR_CN:
        assert ids.common_names == ("*.example.com",) and not ids.has_san_extension
    else:
        assert ids.dns_names == (D,) and ids.ip_addresses == (ip,)


def test_each_client_judges_them_its_own_way() -> None:
    star = facts_from_certificate(parse_leniently(STAR_CN)).identifiers
    # a CN wildcard: OpenSSL (X509_check_host) takes it, curl too (CN when no SAN), Go never reads the CN
    assert check_name(PROFILES["openssl"], star, D).accepted
    assert check_name(PROFILES["curl"], star, D).accepted
    assert not check_name(PROFILES["go"], star, D).accepted
    ip5 = facts_from_certificate(parse_leniently(IP5)).identifiers
    # a 5-octet iPAddress: OpenSSL skips it, Go refuses the certificate (measured by the oracles)
    assert check_name(PROFILES["openssl"], ip5, D).accepted
    v = check_name(PROFILES["go"], ip5, D)
    assert not v.accepted and "cannot read the certificate" in v.reason


def test_an_ordinary_certificate_is_itself() -> None:
    der = issue("lenient-plain", san=[Dns(D)], cns=(D,))
    cert = parse_leniently(der)
    assert original_der(cert) is None and strict_error(cert) is None


def test_inspect_gives_verdicts_not_an_error(tmp_path: Path) -> None:
    from mailcert.cli import main

    path = tmp_path / "star.pem"
    path.write_bytes(_pem(STAR_CN))
    assert main(["inspect", str(path), "--name", D, "--client", "openssl", "--client", "go"]) == 1


def test_an_unreadable_extension_beside_good_names_is_left_out_of_the_twin() -> None:
    """A malformed AIA (x509-limbo webpki::malformed-aia): OpenSSL never parses it while
    verifying, so the clients judge the certificate; mailcert reads its names and other facts,
    with the AIA unknown, instead of refusing to judge it."""
    der = _self_signed(
        (x509.SubjectAlternativeName([x509.DNSName(D)]), False),
        (x509.BasicConstraints(ca=False, path_length=None), True),
        (x509.UnrecognizedExtension(ExtensionOID.AUTHORITY_INFORMATION_ACCESS, b"\x30\x05\x30\x03\x06\x01"), False),
    )
    with pytest.raises(ValueError):
        x509.load_der_x509_certificate(der).extensions
    twin = parse_leniently(der)
    assert original_der(twin) == der and strict_error(twin)
    facts = facts_from_certificate(twin)
    assert facts.dns_names == (D,) and facts.is_ca is False  # basicConstraints kept, the AIA left out
    assert check_name(PROFILES["openssl"], facts.identifiers, D).accepted


def _twice_basic_constraints() -> bytes:
    """A certificate with basicConstraints twice, CA:FALSE and CA:TRUE (each readable alone):
    issued with a stand-in extension 2.5.29.99 whose OID is then rewritten to 2.5.29.19."""
    der = _self_signed(
        (x509.BasicConstraints(ca=False, path_length=None), True),
        (x509.UnrecognizedExtension(x509.ObjectIdentifier("2.5.29.99"), b"\x30\x03\x01\x01\xff"), False),
        (x509.SubjectAlternativeName([x509.DNSName(D)]), False),
    )
    stand_in = bytes.fromhex("0603551d63")
    assert der.count(stand_in) == 1
    return der.replace(stand_in, bytes.fromhex("0603551d13"))


def test_an_extension_given_twice_is_left_out_of_the_twin_not_an_error() -> None:
    """Found by hypothesis (tests/certs/test_fuzz_inspect.py): two readable basicConstraints
    raised DuplicateExtension out of parse_leniently instead of a twin or a ValueError."""
    der = _twice_basic_constraints()
    with pytest.raises(x509.DuplicateExtension):
        x509.load_der_x509_certificate(der).extensions
    twin = parse_leniently(der)
    assert original_der(twin) == der and strict_error(twin)
    oids = [ext.oid for ext in twin.extensions]
    assert x509.oid.ExtensionOID.BASIC_CONSTRAINTS not in oids
    ids = facts_from_certificate(twin).identifiers
    assert ids.dns_names == (D,)
    assert check_name(PROFILES["openssl"], ids, D).accepted
