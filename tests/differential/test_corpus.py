"""The corpus is what the differential comparison assumes it is.

Every leaf must fail a real handshake for naming reasons only, so these tests check the
non-name parts (issuer signature, validity window, EKU, basicConstraints), the size and
speed the comparison relies on, stable ids, and that hand-built SANs hold exactly the
bytes and order intended.
"""

from __future__ import annotations

import datetime as dt
import re
import time
import warnings

import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID, ExtensionOID, NameOID

from tests.differential.corpus import CorpusCert, ca_der, generate

NOW = dt.datetime(2026, 11, 28, 15, 30, tzinfo=dt.timezone.utc)


@pytest.fixture(scope="module")
def corpus() -> list[CorpusCert]:
    return generate(NOW)


@pytest.fixture(scope="module")
def by_id(corpus: list[CorpusCert]) -> dict[str, CorpusCert]:
    return {cert.id: cert for cert in corpus}


def test_size(corpus: list[CorpusCert]) -> None:
    assert len(corpus) >= 300
    assert 1800 <= sum(len(cert.hosts) for cert in corpus) <= 2600
    assert all(cert.hosts for cert in corpus)


def test_generation_is_fast() -> None:
    start = time.perf_counter()
    generate(NOW + dt.timedelta(days=3))  # another day: no cache can help
    assert time.perf_counter() - start < 10


def test_ids_are_stable_and_readable(corpus: list[CorpusCert]) -> None:
    ids = [cert.id for cert in corpus]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", i) for i in ids), ids
    for cert in corpus:
        assert len(set(cert.hosts)) == len(cert.hosts), cert.id


def test_same_day_gives_identical_der(corpus: list[CorpusCert]) -> None:
    again = generate(NOW.replace(hour=1))
    assert [(c.id, c.der, c.hosts) for c in again] == [(c.id, c.der, c.hosts) for c in corpus]


# DER of the extensions every leaf must carry, matched as bytes because cryptography
# refuses to parse the extensions of the leaves with hand-made (invalid) SAN contents.
_SERVER_AUTH_EKU = bytes.fromhex("300a06082b06010505070301")
_BC_CA_FALSE_CRITICAL = bytes.fromhex("300c0603551d130101ff04023000")


def test_every_leaf_fails_only_for_names(corpus: list[CorpusCert]) -> None:
    ca = x509.load_der_x509_certificate(ca_der(NOW))
    serials = set()
    for cert in corpus:
        leaf = x509.load_der_x509_certificate(cert.der)
        leaf.verify_directly_issued_by(ca)
        assert leaf.not_valid_before_utc <= NOW - dt.timedelta(hours=12)
        assert leaf.not_valid_after_utc >= NOW + dt.timedelta(days=364)
        assert _SERVER_AUTH_EKU in leaf.tbs_certificate_bytes, cert.id
        assert _BC_CA_FALSE_CRITICAL in leaf.tbs_certificate_bytes, cert.id
        serials.add(leaf.serial_number)
    assert len(serials) == len(corpus)  # NSS caches by issuer + serial


def test_extension_bytes_mean_what_the_byte_checks_assume(by_id: dict[str, CorpusCert]) -> None:
    leaf = x509.load_der_x509_certificate(by_id["sbs-order-lrsc"].der)
    eku = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    assert list(eku.value) == [ExtendedKeyUsageOID.SERVER_AUTH]
    bc = leaf.extensions.get_extension_for_class(x509.BasicConstraints)
    assert bc.critical and bc.value.ca is False


def _san_der(cert: CorpusCert) -> bytes:
    leaf = x509.load_der_x509_certificate(cert.der)
    ext = leaf.extensions.get_extension_for_oid(ExtensionOID.SUBJECT_ALTERNATIVE_NAME)
    return ext.value.public_bytes()


def test_san_order_is_kept(by_id: dict[str, CorpusCert]) -> None:
    leaf = x509.load_der_x509_certificate(by_id["sbs-order-lrsc"].der)
    san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == [
        "sbs.contoso.local",
        "remote.contoso.com",
        "sites",
        "companyweb",
    ]
    reordered = x509.load_der_x509_certificate(by_id["sbs-order-rlsc"].der)
    san2 = reordered.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san2.get_values_for_type(x509.DNSName)[0] == "remote.contoso.com"


def test_raw_dns_names_hold_the_intended_bytes(by_id: dict[str, CorpusCert]) -> None:
    assert b"\x82\x0fb\xc3\xbccher.example" in by_id["idna-san-utf8-raw"].der
    assert b"\x82\x0eb\xfccher.example" in by_id["idna-san-latin1-raw"].der
    assert b"\x82\x00" in by_id["raw-dns-empty"].der
    assert b"mail.example.com\x00.evil.example" in by_id["raw-dns-nul"].der
    assert _san_der(by_id["nodns-empty-san-cn"]) == b"\x30\x00"
    assert b"\x87\x05\xc0\x00\x02\x0a\x00" in by_id["ip-san-malformed-length"].der


def test_subject_shapes(by_id: dict[str, CorpusCert]) -> None:
    def cns(cert_id: str) -> list[str]:
        leaf = x509.load_der_x509_certificate(by_id[cert_id].der)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # the over-long CN is the point
            return [str(a.value) for a in leaf.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]

    assert cns("multi-cn-no-san") == ["a.example.com", "b.example.com"]
    assert cns("nocn-san") == []
    assert len(cns("len-cn-253")[0]) == 253
    assert x509.load_der_x509_certificate(by_id["nocn-empty-subject"].der).subject == x509.Name([])
    no_san = x509.load_der_x509_certificate(by_id["cn-only-plain"].der)
    with pytest.raises(x509.ExtensionNotFound):
        no_san.extensions.get_extension_for_oid(ExtensionOID.SUBJECT_ALTERNATIVE_NAME)


def test_families_and_host_shapes_are_covered(by_id: dict[str, CorpusCert]) -> None:
    for cert_id in (
        "sbs-order-lrsc",
        "cn-only-plain",
        "cn-not-in-san-plain",
        "multi-cn-no-san",
        "nocn-san",
        "nodns-email-only-nocn",
        "nodns-uri-only-cn",
        "cn-with-ip-san-plain",
        "wild-san-std",
        "wild-san-tld",
        "wild-san-bare",
        "wild-san-double-left",
        "wild-san-inner",
        "wild-san-partial-prefix",
        "wild-san-partial-suffix",
        "wild-san-partial-middle",
        "wild-san-double-star",
        "wild-san-public-suffix",
        "wild-san-idna-base",
        "wild-san-idna-prefix",
        "wild-san-local",
        "wild-san-contoso-local",
        "wild-cn-std",
        "idna-san-punycode",
        "ip-san-v4",
        "ip-san-v6",
        "san-only-ipv4-text",
        "cn-only-ipv4-text",
        "len-label-63",
        "len-label-64",
        "len-name-253",
        "len-name-254",
        "single-san-list",
    ):
        assert cert_id in by_id, cert_id
    all_hosts = {h for cert in by_id.values() for h in cert.hosts}
    for host in ("", ".mail.example.com", "mail example.com", "bücher.example",
                 "xn--bcher-kva.example", "mail.example.com.", "192.0.2.10", "2001:db8::1",
                 "_imaps._tcp.example.com", "mail_1.example.com", "sites", "localhost"):
        assert host in all_hosts, host
