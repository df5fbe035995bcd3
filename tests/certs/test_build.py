"""certs.build and certs.pkcs12: exact SAN order, read back by the real openssl CLI.

Every certificate, request and PFX made here is parsed by ``openssl`` (not only by the
library that made it), because the promise is about what other software sees.
"""

from __future__ import annotations

import os
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from mailcert.certs import build
from mailcert.certs.build import KeyType, TestCA, common_name, host_names
from mailcert.certs.pkcs12 import pem_bundle, read_pfx, to_pfx
from mailcert.errors import CertificateError, InputError

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=timezone.utc)
SEED = ("remote.contoso.com", "sbs.contoso.local", "sites", "companyweb")


def openssl(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["openssl", *args], capture_output=True, text=True, timeout=60, env={**os.environ, **(env or {})}
    )


def openssl_san(path: Path, kind: str = "x509") -> list[str]:
    """The SAN as openssl prints it, split into entries in the order they appear."""
    r = openssl(kind, "-in", str(path), "-noout", "-text")  # `req` of OpenSSL 3.0 has no -ext
    assert r.returncode == 0, r.stderr
    body = r.stdout.split("X509v3 Subject Alternative Name:", 1)[1].strip().splitlines()[0]
    return [e.strip() for e in body.split(",")]


@pytest.fixture(scope="module")
def rsa_key() -> build.PrivateKey:
    return build.new_key(KeyType.RSA2048)


@pytest.fixture(scope="module")
def ca() -> TestCA:
    return TestCA(now=NOW)


# --- names ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("remote.contoso.com", "remote.contoso.com"),
        ("Remote.CONTOSO.com", "remote.contoso.com"),
        ("remote.contoso.com.", "remote.contoso.com"),
        ("  remote.contoso.com  ", "remote.contoso.com"),
        ("bücher.example", "xn--bcher-kva.example"),
        ("BÜCHER.example", "xn--bcher-kva.example"),
        ("mail。example。com", "mail.example.com"),  # ideographic full stop, as typed on a CJK keyboard
        ("xn--bcher-kva.example", "xn--bcher-kva.example"),
        ("sites", "sites"),  # single-label intranet names are host names (SBS used them)
        ("a-b.c0.example", "a-b.c0.example"),
    ],
)
def test_validate_hostname_normalises(given: str, expected: str) -> None:
    assert build.validate_hostname(given) == expected


@pytest.mark.parametrize(
    ("given", "why"),
    [
        ("", "empty host name"),
        ("bad_name.contoso.com", "contains '_'"),
        ("-remote.contoso.com", "starts or ends with '-'"),
        ("remote-.contoso.com", "starts or ends with '-'"),
        ("remote..contoso.com", "empty label"),
        (".contoso.com", "empty label"),
        ("remote contoso.com", "space"),
        ("https://remote.contoso.com", "not a URL"),
        ("remote.contoso.com:993", "without a port"),
        ("admin@contoso.com", "mail address"),
        ("a" * 64 + ".com", "longer than 63"),
        (".".join(["a" * 60] * 5), "longer than 253"),
        ("rem!ote.contoso.com", "letters, digits and '-'"),
        ("xn--zz.example", "not valid punycode"),
        ("1.2.3", "looks like an IP address"),
        ("*.contoso.com", "wildcard cannot be used here"),
    ],
)
def test_validate_hostname_refuses_with_the_reason(given: str, why: str) -> None:
    with pytest.raises(InputError) as info:
        build.validate_hostname(given)
    assert why in str(info.value)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("given", "why"),
    [("w*.contoso.com", "whole left-most label"), ("*.com", "at least two labels"), ("a.*.contoso.com", "left-most")],
)
def test_wildcards_only_in_the_form_every_client_honours(given: str, why: str) -> None:
    with pytest.raises(InputError) as info:
        build.validate_hostname(given, wildcard=True)
    assert why in str(info.value)
    assert build.validate_hostname("*.Contoso.com", wildcard=True) == "*.contoso.com"


def test_normalise_names_keeps_order_and_drops_later_duplicates() -> None:
    got = build.normalise_names(
        ["Remote.Contoso.com.", "sbs.contoso.local", "remote.contoso.com", "*.contoso.com", "192.0.2.1", "[2001:db8::1]", "sites"]
    )
    assert got == ("remote.contoso.com", "sbs.contoso.local", "*.contoso.com", "192.0.2.1", "2001:db8::1", "sites")


@pytest.mark.parametrize(
    ("first", "why"),
    [
        ("*.contoso.com", "Outlook 2007 compares only the first name"),
        ("192.0.2.1", "is an IP address"),
        ("a" * 60 + ".contoso.com", "longer than 64 characters"),
    ],
)
def test_first_name_must_be_a_host_users_can_type(first: str, why: str) -> None:
    with pytest.raises(InputError) as info:
        build.normalise_names([first, "remote.contoso.com"])
    assert why in str(info.value)


def test_parse_key_type_accepts_loose_spellings() -> None:
    assert build.parse_key_type("RSA-2048") is KeyType.RSA2048
    assert build.parse_key_type("ec-p256") is KeyType.ECDSA_P256
    assert build.parse_key_type("secp384r1") is KeyType.ECDSA_P384
    with pytest.raises(InputError, match="choose one of rsa2048"):
        build.parse_key_type("dsa")


# --- self-signed and CSR, read back by openssl -----------------------------------------------------


@pytest.mark.parametrize("kind", list(KeyType))
def test_self_signed_exact_san_order_every_key_type(kind: KeyType, tmp_path: Path) -> None:
    key = build.new_key(kind)
    cert = build.self_signed(key, ["remote.contoso.com", "sbs.contoso.local", "sites", "companyweb", "192.0.2.7"], now=NOW)
    path = tmp_path / "cert.pem"
    path.write_bytes(build.cert_to_pem(cert))
    assert openssl_san(path) == [
        "DNS:remote.contoso.com",
        "DNS:sbs.contoso.local",
        "DNS:sites",
        "DNS:companyweb",
        "IP Address:192.0.2.7",
    ]
    subject = openssl("x509", "-in", str(path), "-noout", "-subject", "-nameopt", "RFC2253").stdout.strip()
    assert subject == "subject=CN=remote.contoso.com"
    # self-signed: openssl verifies it against itself
    r = openssl("verify", "-CAfile", str(path), "-partial_chain", "-attime", str(int(NOW.timestamp())), str(path))
    assert r.returncode == 0, r.stderr
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature
    assert usage.key_encipherment is isinstance(key, rsa.RSAPrivateKey)
    assert cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value == x509.ExtendedKeyUsage(
        [ExtendedKeyUsageOID.SERVER_AUTH]
    )
    if isinstance(key, ec.EllipticCurvePrivateKey):
        assert key.curve.name == {"ecdsa-p256": "secp256r1", "ecdsa-p384": "secp384r1"}[kind.value]
    else:
        assert key.key_size == int(kind.value[3:])


def test_self_signed_extensions_and_validity(rsa_key: build.PrivateKey) -> None:
    cert = build.self_signed(rsa_key, SEED, now=NOW)
    assert cert.subject == x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "remote.contoso.com")])
    assert cert.issuer == cert.subject
    bc = cert.extensions.get_extension_for_class(x509.BasicConstraints)
    assert bc.critical and not bc.value.ca
    ski = cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    aki = cert.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
    assert aki.key_identifier == ski.digest
    assert cert.not_valid_before_utc == NOW - timedelta(hours=1)
    # Apple's limit counts the whole span, backdating included
    assert cert.not_valid_after_utc - cert.not_valid_before_utc == timedelta(days=825)
    assert build.is_self_signed(cert)
    assert build.key_matches(rsa_key, cert)


def test_self_signed_needs_an_aware_clock(rsa_key: build.PrivateKey) -> None:
    with pytest.raises(InputError, match="time zone"):
        build.self_signed(rsa_key, SEED, now=datetime(2026, 1, 1))


@pytest.mark.parametrize("kind", [KeyType.RSA2048, KeyType.ECDSA_P384])
def test_csr_san_order_and_openssl_verifies_it(kind: KeyType, tmp_path: Path) -> None:
    key = build.new_key(kind)
    request = build.csr(key, ["remote.contoso.com", "autodiscover.contoso.com", "*.contoso.com", "mail.contoso.com"])
    path = tmp_path / "request.csr"
    path.write_bytes(build.csr_to_pem(request))
    r = openssl("req", "-in", str(path), "-noout", "-verify", "-subject", "-nameopt", "RFC2253")
    assert r.returncode == 0, r.stderr
    assert "verify OK" in r.stdout + r.stderr
    assert "subject=CN=remote.contoso.com" in r.stdout
    assert openssl_san(path, "req") == [
        "DNS:remote.contoso.com",
        "DNS:autodiscover.contoso.com",
        "DNS:*.contoso.com",
        "DNS:mail.contoso.com",
    ]
    assert build.key_matches(key, request)


# --- TestCA ------------------------------------------------------------------------------------


def test_testca_issue_cert_keeps_san_order_and_chain_verifies(ca: TestCA, tmp_path: Path) -> None:
    inter = ca.create_child_ca()
    names = ("z.example.test", "a.example.test", "m.example.test")
    leaf = inter.issue_cert(*names)
    assert build.san_names(leaf.cert) == names
    (tmp_path / "root.pem").write_bytes(ca.cert_pem)
    (tmp_path / "chain.pem").write_bytes(leaf.chain_pem)
    (tmp_path / "leaf.pem").write_bytes(leaf.cert_pem)
    assert openssl_san(tmp_path / "leaf.pem") == [f"DNS:{n}" for n in names]
    r = openssl(
        "verify", "-CAfile", str(tmp_path / "root.pem"), "-untrusted", str(tmp_path / "chain.pem"),
        "-attime", str(int(NOW.timestamp())), "-purpose", "sslserver", str(tmp_path / "leaf.pem"),
    )
    assert r.returncode == 0, r.stderr
    assert leaf.chain == (inter.cert,) and leaf.root == ca.cert
    assert leaf.fullchain_pem == leaf.cert_pem + leaf.chain_pem


def test_testca_variants(ca: TestCA, tmp_path: Path) -> None:
    root = tmp_path / "root.pem"
    root.write_bytes(ca.cert_pem)
    at = str(int(NOW.timestamp()))

    def verify(issued: build.IssuedCert) -> subprocess.CompletedProcess[str]:
        p = tmp_path / "leaf.pem"
        p.write_bytes(issued.cert_pem)
        return openssl("verify", "-CAfile", str(root), "-attime", at, str(p))

    expired = ca.issue_cert("old.example.test", not_before=NOW - timedelta(days=400), not_after=NOW - timedelta(days=1))
    assert "expired" in verify(expired).stdout + verify(expired).stderr
    future = ca.issue_cert("new.example.test", not_before=NOW + timedelta(days=2))
    assert "not yet valid" in verify(future).stdout + verify(future).stderr
    sha1 = ca.issue_cert("sha1.example.test", signature_hash="sha1")
    p = tmp_path / "sha1.pem"
    p.write_bytes(sha1.cert_pem)
    assert "sha1WithRSAEncryption" in openssl("x509", "-in", str(p), "-noout", "-text").stdout
    r = openssl("verify", "-auth_level", "0", "-CAfile", str(root), "-attime", at, str(p))
    assert r.returncode == 0, r.stderr  # the re-signed SHA-1 signature is genuine
    small = ca.issue_cert("small.example.test", rsa_bits=1024)
    assert isinstance(small.cert.public_key(), rsa.RSAPublicKey)
    assert small.cert.public_key().key_size == 1024
    tricky = ca.issue_cert("Remote.Contoso.COM.", "w*.example.test", exact=True, omit_common_name=True)
    assert build.san_names(tricky.cert) == ("Remote.Contoso.COM.", "w*.example.test")
    assert len(tricky.cert.subject) == 0
    with pytest.raises(InputError, match="RSA CA key"):
        TestCA(now=NOW, key_type="ecdsa-p256").issue_cert("x.example.test", signature_hash="sha1")


def test_testca_sign_csr_can_reorder_like_some_cas(ca: TestCA, rsa_key: build.PrivateKey) -> None:
    request = build.csr(rsa_key, ["remote.contoso.com", "autodiscover.contoso.com", "mail.contoso.com"])
    kept = ca.sign_csr(request)
    assert build.san_names(kept) == ("remote.contoso.com", "autodiscover.contoso.com", "mail.contoso.com")
    moved = ca.sign_csr(request, names=sorted(build.san_names(request)))
    assert build.san_names(moved)[0] == "autodiscover.contoso.com"
    assert build.key_matches(rsa_key, moved) and not build.is_self_signed(moved)


# --- PKCS#12 and PEM bundle --------------------------------------------------------------------


@pytest.fixture(scope="module")
def issued(ca: TestCA) -> build.IssuedCert:
    return ca.create_child_ca().issue_cert(*SEED)


@pytest.mark.parametrize(
    ("legacy", "expect"),
    [(False, ("PBES2, PBKDF2, AES-256-CBC", "MAC: sha256")), (True, ("pbeWithSHA1And3-KeyTripleDES-CBC", "MAC: sha1"))],
)
def test_pfx_read_back_by_openssl(issued: build.IssuedCert, tmp_path: Path, legacy: bool, expect: tuple[str, ...]) -> None:
    pfx = tmp_path / "x.pfx"
    pfx.write_bytes(to_pfx(issued.key, issued.cert, issued.chain, password=b"s3cret pass", legacy=legacy))
    env = {"PFXPASS": "s3cret pass"}
    extra = ["-legacy"] if legacy else []
    r = openssl("pkcs12", "-info", "-nokeys", "-passin", "env:PFXPASS", "-in", str(pfx), *extra, env=env)
    assert r.returncode == 0, r.stderr
    out = r.stdout + r.stderr
    for fragment in expect:
        assert fragment in out
    assert out.count("BEGIN CERTIFICATE") == 2  # leaf and intermediate
    assert "friendlyName: remote.contoso.com" in out
    wrong = openssl("pkcs12", "-info", "-nokeys", "-passin", "pass:wrong", "-in", str(pfx), *extra)
    assert wrong.returncode != 0
    key, cert, chain = read_pfx(pfx.read_bytes(), b"s3cret pass")
    assert cert == issued.cert and chain == issued.chain and build.key_matches(key, cert)


def test_pfx_refuses_empty_password_and_foreign_key(issued: build.IssuedCert, rsa_key: build.PrivateKey) -> None:
    with pytest.raises(InputError, match="password is empty"):
        to_pfx(issued.key, issued.cert, password=b"")
    with pytest.raises(InputError, match="does not belong"):
        to_pfx(rsa_key, issued.cert, password=b"pw")


def test_read_pfx_wrong_password_is_one_line(issued: build.IssuedCert) -> None:
    data = to_pfx(issued.key, issued.cert, password=b"right")
    with pytest.raises(CertificateError) as info:
        read_pfx(data, b"wrong", source="x.pfx")
    assert "wrong password" in str(info.value) and "\n" not in str(info.value)


def test_pem_bundle_is_key_then_full_chain(issued: build.IssuedCert, tmp_path: Path) -> None:
    data = pem_bundle(issued.key, issued.cert, issued.chain)
    assert data.startswith(b"-----BEGIN PRIVATE KEY-----")
    assert data.endswith(issued.fullchain_pem)
    path = tmp_path / "bundle.pem"
    path.write_bytes(data)
    assert openssl("pkey", "-in", str(path), "-noout").returncode == 0
    assert openssl_san(path) == [f"DNS:{n}" for n in SEED]  # openssl x509 reads the first certificate


def test_host_names_are_the_san_in_order_else_the_cn() -> None:
    """The names a deploy and a TLSA record default to: the SAN's names and addresses in
    certificate order; a certificate without a SAN (an old self-signed one) is for its CN."""
    ca = TestCA(now=NOW)
    with_san = ca.issue_cert("mail.example.com", "192.0.2.7", "autodiscover.example.com").cert
    assert host_names(with_san) == ("mail.example.com", "192.0.2.7", "autodiscover.example.com")
    assert common_name(ca.cert) is not None and host_names(ca.cert) == (common_name(ca.cert),)
    no_cn = x509.Name([])
    bare = (
        x509.CertificateBuilder().subject_name(no_cn).issuer_name(ca.cert.subject).public_key(ca.key.public_key())
        .serial_number(1).not_valid_before(ca.cert.not_valid_before_utc).not_valid_after(ca.cert.not_valid_after_utc)
        .sign(ca.key, hashes.SHA256())
    )
    assert common_name(bare) is None and host_names(bare) == ()
