"""Reading presented identifiers: certificate order, RDNs, and SANs a strict decoder refuses."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtensionOID, NameOID

from mailcert.names import PresentedIdentifiers
from mailcert.names.identifiers import SanDefect
from tests.differential.corpus import Dns, RawDns, RawIp, issue


def read(der: bytes) -> PresentedIdentifiers:
    return PresentedIdentifiers.from_certificate(x509.load_der_x509_certificate(der))


def test_san_order_and_no_defects_for_an_ordinary_certificate() -> None:
    ids = read(issue("ids-plain", san=[Dns("b.example.com"), Dns("a.example.com")], cns=["a.example.com"]))
    assert ids.dns_names == ("b.example.com", "a.example.com")
    assert ids.san_defects == frozenset() and ids.san_error is None and ids.cn_rdns == ()


def test_latin1_dnsname_is_kept_as_bytes_and_flagged() -> None:
    """cryptography refuses non-UTF-8 in a dNSName; OpenSSL, NSS, GnuTLS, the JDK read it."""
    ids = read(issue("ids-latin1", san=[RawDns("bücher.example".encode("latin-1")), Dns("mail.example.com")]))
    assert ids.san_error is None
    assert ids.dns_names[1] == "mail.example.com"
    assert ids.dns_names[0].encode("utf-8", "surrogateescape") == "bücher.example".encode("latin-1")
    assert ids.san_defects == {SanDefect.NON_ASCII_DNS, SanDefect.NOT_UTF8_DNS}


@pytest.mark.parametrize(
    ("san", "defects"),
    [
        ([RawIp(b"\xc0\x00\x02\x0a\x00"), Dns("mail.example.com")], {SanDefect.BAD_IP}),
        ([RawDns(b""), Dns("mail.example.com")], {SanDefect.EMPTY_DNS}),
        ([RawDns("bücher.example".encode("utf-8"))], {SanDefect.NON_ASCII_DNS}),
    ],
)
def test_defects(san: list[Dns | RawDns | RawIp], defects: set[SanDefect]) -> None:
    assert read(issue(f"ids-defect-{len(defects)}-{len(san)}", san=san)).san_defects == defects


def test_a_five_octet_address_is_kept_readable() -> None:
    ids = read(issue("ids-ip5", san=[RawIp(b"\xc0\x00\x02\x0a\x00"), Dns("mail.example.com")]))
    assert ids.ip_addresses == ("<5 octets: c000020a00>",)
    assert ids.dns_names == ("mail.example.com",)


def test_multi_valued_rdn_is_recorded() -> None:
    ids = read(issue("ids-mv", san=None, cns=["a.example.com", "b.example.com"], multivalued_cn=True))
    assert ids.common_names == ("a.example.com", "b.example.com")
    assert ids.cn_rdns == (1, 1)


def test_undecodable_san_is_an_error() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mail.example.com")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.UnrecognizedExtension(ExtensionOID.SUBJECT_ALTERNATIVE_NAME, b"\x30\x05\x82"), critical=False)
        .sign(key, hashes.SHA256())
    )
    ids = PresentedIdentifiers.from_certificate(cert)
    assert ids.san_error and ids.san == ()
