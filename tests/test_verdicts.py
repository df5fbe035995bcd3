"""Whole verdicts on a corpus of chains mail servers really serve.

Each case is built here with cryptography (exact contents), judged by every profile, and the
OpenSSL family's verdict is checked again against the real ``openssl verify`` command (a
separate process, the same library as the clients), so the in-process binding cannot drift.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import shutil
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID

from mailcert.assess import assess_certificate
from mailcert.certs.build import TestCA
from mailcert.certs.chain import (MAX_CHAIN, TrustProblem, TrustStore, Validator, ValidatorSettings, jdk_ip_literal, verify_chain,
                                  verify_chain_for)
from mailcert.certs.info import facts_from_certificate
from mailcert.names.matcher import NameVerdict
from mailcert.names.profiles import PROFILES, EkuRule
from mailcert.judgement import Judgement
from mailcert.verdicts import settings_for
from tests.differential import chain_corpus
from tests.factory import NOW, Node, chain_cert, der, pem

NAME = "mail.example.com"
_EC = ec.generate_private_key(ec.SECP256R1())


def build(
    subject: str,
    issuer: Node | None = None,
    *,
    days: tuple[int, int] = (-10, 300),
    key: object = None,
    same_key_as: Node | None = None,
    not_after: dt.datetime | None = None,
    **contents: Any,
) -> Node:
    """One certificate with exactly these contents (:func:`tests.factory.chain_cert`), valid
    ``days`` around NOW (or until ``not_after``); ``same_key_as`` reuses a node's key (a cross-sign)."""
    k = same_key_as.key if same_key_as is not None else (key or _EC)
    return chain_cert(subject, issuer, key=k, not_before=NOW + dt.timedelta(days=days[0]),
                      not_after=not_after or NOW + dt.timedelta(days=days[1]), **contents)


@pytest.fixture(scope="module")
def pki() -> dict[str, Node]:
    root = build("Test Root", ca=True, days=(-1000, 3000), key=ec.generate_private_key(ec.SECP256R1()))
    inter = build("Test Intermediate", root, ca=True, days=(-500, 2000), key=ec.generate_private_key(ec.SECP256R1()))
    return {"root": root, "inter": inter}


def refused(chain: Sequence[x509.Certificate], anchors: Sequence[x509.Certificate], name: str = NAME, *,
            now: dt.datetime = NOW, jdk_ca: bool = False) -> dict[str, str]:
    """client id -> reason code, for the clients that refuse (``jdk_ca``: the store is a JDK's own cacerts)."""
    judgement = Judgement(tuple(PROFILES.values()), store=TrustStore(list(anchors), "test store", jdk_ca=jdk_ca), now=now)
    a = assess_certificate(facts_from_certificate(chain[0]), [name], judgement, chain=chain)
    return {v.client: v.code or "" for v in a.results if not v.accepted}


def leaf(pki: dict[str, Node], **kw: object) -> Node:
    return build(NAME, pki["inter"], san=(NAME,), **kw)  # type: ignore[arg-type]


def test_a_good_chain_is_accepted_by_everyone(pki: dict[str, Node]) -> None:
    assert refused([leaf(pki).cert, pki["inter"].cert], [pki["root"].cert]) == {}


def test_sbs_self_signed_is_refused_until_installed_as_trusted() -> None:
    sbs = build("sbs.contoso.local", san=("sbs.contoso.local", "remote.contoso.com"), days=(-10, 700))
    assert set(refused([sbs.cert], [], "remote.contoso.com").values()) <= {"self-signed", "name"}
    assert set(refused([sbs.cert], [], "remote.contoso.com")) == set(PROFILES)
    installed = refused([sbs.cert], [sbs.cert], "remote.contoso.com")
    assert installed == {"outlook2007": "name"}  # only the name order of KB958977 remains


def test_missing_intermediate_names_it_and_where_to_fetch_it(pki: dict[str, Node]) -> None:
    lf = leaf(pki, aia="http://ca.example.net/inter.der")
    r = verify_chain([lf.cert], TrustStore([pki["root"].cert], "test store"), now=NOW)
    assert r.problem is TrustProblem.MISSING_INTERMEDIATE
    assert r.missing_issuer == "CN=Test Intermediate" and r.aia_url == "http://ca.example.net/inter.der"
    codes = refused([lf.cert], [pki["root"].cert])
    # Windows and Apple fetch it by AIA; OpenSSL, GnuTLS, Go, Node, Java and Thunderbird do not
    assert "outlook" not in codes and "apple-mail" not in codes
    assert {codes[c] for c in ("openssl", "python", "go", "java", "node", "thunderbird", "gnutls")} == {"incomplete"}
    assert PROFILES["thunderbird"].chain.message("incomplete") == "SEC_ERROR_UNKNOWN_ISSUER"
    without_aia = refused([leaf(pki).cert], [pki["root"].cert])
    assert without_aia["outlook"] == "incomplete"


def test_cross_signed_root_and_expired_cross_sign(pki: dict[str, Node]) -> None:
    old_root = build("Old Root", ca=True, days=(-3000, 3000), key=ec.generate_private_key(ec.SECP256R1()))
    cross = build("Test Root", old_root, ca=True, same_key_as=pki["root"], days=(-900, 900))
    expired_cross = build("Test Root", old_root, ca=True, same_key_as=pki["root"], days=(-900, -1))
    lf = leaf(pki)
    # the server sends the cross-sign; a client that trusts only the old root follows it
    assert refused([lf.cert, pki["inter"].cert, cross.cert], [old_root.cert]) == {}
    # a client that trusts the new root must not be misled by an expired cross-sign sent along,
    # but mutt and NeoMutt check the dates of every certificate sent (measured over the wire for
    # mutt: tests/differential/test_chains_vs_real.py, corpus:expired-cross-new-root)
    sent_dates = {p.id for p in PROFILES.values() if p.chain.sent_dates_checked}
    assert sent_dates == {"mutt", "neomutt"}
    assert refused([lf.cert, pki["inter"].cert, expired_cross.cert], [pki["root"].cert]) == dict.fromkeys(sent_dates, "expired")
    # only the old root trusted and the cross-sign expired: every client refuses, as expired
    codes = refused([lf.cert, pki["inter"].cert, expired_cross.cert], [old_root.cert])
    assert set(codes) == set(PROFILES) and "expired" in codes.values()


def test_client_auth_only_eku_is_refused(pki: dict[str, Node]) -> None:
    """Refused by every client but those that give GnuTLS no purpose to verify (mutt, NeoMutt,
    msmtp, GIO): over the wire msmtp accepts it (tests/differential/test_chains_vs_real.py,
    corpus:eku-client-only), gnutls-cli, which passes serverAuth, refuses it."""
    codes = refused([leaf(pki, eku=(ExtendedKeyUsageOID.CLIENT_AUTH,)).cert, pki["inter"].cert], [pki["root"].cert])
    no_purpose = {p.id for p in PROFILES.values() if p.chain.eku is EkuRule.UNCHECKED}
    assert no_purpose == {"mutt", "neomutt", "msmtp", "evolution"}
    assert set(codes) == set(PROFILES) - no_purpose and set(codes.values()) == {"eku"}


@pytest.mark.parametrize(("days", "public", "apple_refuses"), [(826, False, True), (825, False, False), (399, True, True), (399, False, False)])
def test_apple_validity_caps(pki: dict[str, Node], days: int, public: bool, apple_refuses: bool) -> None:
    lf = build(NAME, pki["inter"], san=(NAME,), days=(-1, days - 1))
    judgement = Judgement(tuple(PROFILES.values()), store=TrustStore([pki["root"].cert], "test store", public=public), now=NOW)
    a = assess_certificate(facts_from_certificate(lf.cert), [NAME], judgement, chain=[lf.cert, pki["inter"].cert])
    codes = {v.client: v.code for v in a.results if not v.accepted}
    assert codes == ({"apple-mail": "validity-cap"} if apple_refuses else {})


def _sha1_chain() -> tuple[list[x509.Certificate], list[x509.Certificate]]:
    """A SHA-1-signed leaf from an RSA CA (cryptography no longer signs with SHA-1; TestCA re-signs)."""
    ca = TestCA(now=NOW)
    return [ca.issue_cert(NAME, signature_hash="sha1").cert], [ca.cert]


def test_sha1_signature() -> None:
    codes = refused(*_sha1_chain())
    # OpenSSL at security level 1 and 2, Go, Windows, Apple, Mozilla, GnuTLS refuse SHA-1;
    # the JDK refuses it only for chains to its own public roots, NSS's default policy allows it
    assert {"openssl", "python", "node", "go", "thunderbird", "apple-mail", "outlook", "gnutls"} <= set(codes)
    assert "java" not in codes and "nss" not in codes
    assert codes["openssl"] == "weak-signature" and codes["go"] == "weak-signature"


def test_rsa_1024(pki: dict[str, Node]) -> None:
    lf = build(NAME, pki["inter"], san=(NAME,), key=rsa.generate_private_key(65537, 1024))
    codes = refused([lf.cert, pki["inter"].cert], [pki["root"].cert])
    # security level 2 (Debian's OpenSSL: openssl, python) and Apple need 2048 bits; Windows,
    # Mozilla, GnuTLS, NSS, the JDK, Node (level 1) and Go accept 1024
    assert codes["openssl"] == codes["python"] == codes["apple-mail"] == "weak-key"
    assert not {"outlook", "thunderbird", "gnutls", "nss", "java", "node", "go"} & set(codes)


def test_thunderbird_android_follows_androids_trust_manager(pki: dict[str, Node]) -> None:
    """K-9 hands the chain to Android's TrustManager (conscrypt): RSA down to 1024 bits (Debian's
    OpenSSL clients need 2048), a missing intermediate refused unless an earlier chain brought it,
    Android's store named in the reason."""
    weak = build(NAME, pki["inter"], san=(NAME,), key=rsa.generate_private_key(65537, 1024))
    codes = refused([weak.cert, pki["inter"].cert], [pki["root"].cert])
    assert "thunderbird-android" not in codes and codes["curl"] == "weak-key"
    judgement = Judgement((PROFILES["thunderbird-android"],), store=TrustStore([pki["root"].cert], "test store"), now=NOW)
    lf = leaf(pki)
    missing = assess_certificate(facts_from_certificate(lf.cert), [NAME], judgement, chain=[lf.cert]).results[0]
    assert missing.code == "incomplete" and "Android's TrustManager keeps" in missing.reason
    assert "Android's system store" in missing.reason and missing.message and "Trust anchor" in missing.message


def test_name_constrained_private_ca(pki: dict[str, Node]) -> None:
    nc_root = build("Corp Root", ca=True, permitted=("corp.example",), key=ec.generate_private_key(ec.SECP256R1()))
    inside = build("imap.corp.example", nc_root, san=("imap.corp.example",))
    outside = build(NAME, nc_root, san=(NAME,))
    assert refused([inside.cert], [nc_root.cert], "imap.corp.example") == {}
    codes = refused([outside.cert], [nc_root.cert])
    # the JDK's trust anchor is a name and a key: a root's own name constraints are not checked
    # (tests/differential/test_chains_vs_real.py, corpus:nc-outside)
    jdk = {p.id for p in PROFILES.values() if p.chain.anchor_key_only}
    assert jdk == {"java", "jakarta", "jakarta-default"}
    assert set(codes) == set(PROFILES) - jdk and set(codes.values()) == {"name-constraints"}


# --- the JDK's own rules (ChainPolicy fields; checked against the real JDK on x509-limbo) -----

JDK = ("java", "jakarta", "jakarta-default")


def _nc_inter(pki: dict[str, Node], *, permitted: Sequence[x509.GeneralName] | None = None,
              excluded: Sequence[x509.GeneralName] | None = None) -> Node:
    return build("Constrained Intermediate", pki["root"], ca=True, constraints=x509.NameConstraints(permitted, excluded))


def test_the_jdk_reads_an_ip_cn_as_an_ip_name_under_ip_constraints(pki: dict[str, Node]) -> None:
    """cn_ip_name: CN=127.0.0.1 beside a DNS SAN is checked against an excluded 127.0.0.0/24."""
    inter = _nc_inter(pki, excluded=[x509.IPAddress(ipaddress.ip_network("127.0.0.0/24"))])
    lf = build("127.0.0.1", inter, san=("test.localhost",))
    codes = refused([lf.cert, inter.cert], [pki["root"].cert], "test.localhost")
    assert {c: codes[c] for c in JDK if c in codes} == {c: "name-constraints" for c in JDK}
    assert "openssl" not in codes and "gnutls" not in codes
    java = _java_verdict(lf, inter, pki["root"], "test.localhost")
    assert java.message and "name constraints check failed" in java.message and "127.0.0.1" in java.reason


def test_the_jdk_never_checks_an_ip_cn_against_dns_constraints(pki: dict[str, Node]) -> None:
    """cn_ip_name: OpenSSL checks CN=127.0.0.1 (no DNS SAN) against dNSName constraints; the JDK does not."""
    inter = _nc_inter(pki, permitted=[x509.DNSName("localhost")])
    lf = build("127.0.0.1", inter, ips=("127.0.0.1",))
    codes = refused([lf.cert, inter.cert], [pki["root"].cert], "127.0.0.1")
    assert codes.get("openssl") == "name-constraints"
    assert not set(JDK) & set(codes)


def test_the_jdk_finds_an_ip_cn_in_the_san_once_name_constraints_were_checked(pki: dict[str, Node]) -> None:
    """NameConstraintsExtension.verify appends the IP-literal CN to the leaf's own SAN, which
    HostnameChecker.matchIP then reads: only below a name-constrained CA."""
    inter = _nc_inter(pki, excluded=[x509.IPAddress(ipaddress.ip_network("1.1.1.0/24"))])
    lf = build("127.0.0.1", inter, san=("test.localhost",))
    codes = refused([lf.cert, inter.cert], [pki["root"].cert], "127.0.0.1")
    assert "java" not in codes and codes.get("python") == "name", codes
    plain = build("127.0.0.1", pki["inter"], san=("test.localhost",))
    assert refused([plain.cert, pki["inter"].cert], [pki["root"].cert], "127.0.0.1").get("java") == "name"


@pytest.mark.parametrize("where", ["leaf", "root"])
def test_ec_keys_under_224_bits_are_refused_by_the_jdk(where: str) -> None:
    """min_ec_bits: jdk.certpath.disabledAlgorithms EC keySize < 224, the anchor's key too."""
    small = ec.generate_private_key(ec.SECP192R1())
    root = build("P-192 Root" if where == "root" else "Root", ca=True, key=small if where == "root" else None, days=(-100, 900))
    lf = build(NAME, root, san=(NAME,), key=small if where == "leaf" else ec.generate_private_key(ec.SECP256R1()))
    codes = refused([lf.cert], [root.cert])
    assert {c: codes.get(c) for c in JDK} == {c: "weak-key" for c in JDK}
    assert "gnutls" not in codes  # OpenSSL's security level 1 (the validator the JDK's row runs at 0) takes P-192


@pytest.mark.parametrize(("after", "jdk_takes_it"), [(0, True), (0.0005, True), (0.001, False), (0.5, False), (1, False)])
def test_the_jdk_takes_a_certificate_at_its_not_after_to_the_millisecond(pki: dict[str, Node], after: float, jdk_takes_it: bool) -> None:
    """not_after_inclusive: CertificateValidity.valid expires a certificate when notAfter.before(now),
    both in milliseconds (System.currentTimeMillis): valid at notAfter and within its first
    millisecond, expired one millisecond later; OpenSSL expires it at its notAfter second."""
    lf = build(NAME, pki["inter"], san=(NAME,), not_after=NOW.replace(microsecond=0))
    codes = refused([lf.cert, pki["inter"].cert], [pki["root"].cert], now=NOW.replace(microsecond=0) + dt.timedelta(seconds=after))
    assert codes.get("openssl") == "expired"
    assert {c: codes.get(c) for c in JDK} == {c: None if jdk_takes_it else "expired" for c in JDK}


def _rsa768(label: str) -> rsa.RSAPrivateKey:
    """An RSA-768 key (cryptography generates none under 1024 bits; the chain corpus derives them)."""
    return chain_corpus._rsa(label, 768)


@pytest.mark.parametrize("where", ["intermediate", "root"])
def test_the_jdk_holds_every_key_of_the_path_to_its_rsa_floor(pki: dict[str, Node], where: str) -> None:
    """key_floor: jdk.certpath.disabledAlgorithms RSA keySize < 1024 on the CAs' keys and the
    anchor's, not only the leaf's (AlgorithmChecker; corpus:rsa768-* over the wire)."""
    root = build("RSA-768 Root", ca=True, key=_rsa768("unit-root"), days=(-100, 900)) if where == "root" else pki["root"]
    inter = build("RSA-768 Intermediate", root, ca=True, key=_rsa768("unit-inter")) if where == "intermediate" else None
    lf = build(NAME, inter or root, san=(NAME,))
    codes = refused([lf.cert, *([inter.cert] if inter else [])], [root.cert])
    assert {c: codes.get(c) for c in JDK} == {c: "weak-key" for c in JDK}
    assert "nss" not in codes  # OpenSSL at level 0, as the JDK row runs it, takes the key: the floor is the JDK's own
    java = _java_verdict(lf, inter, root, NAME)
    assert f"RSA-768 {'Intermediate' if inter else 'Root'}" in java.reason and "768 bits" in java.reason
    # the JDK's words (tests/differential/test_jdk_policies.py over the wire): a small key on the
    # path names its certificate; the anchor's is the key of the signature below it, named
    said = ("keysize limits: RSA 768 bit key used with certificate: CN=RSA-768 Intermediate" if inter
            else "signature algorithm: SHA256withRSA")  # the RSA-768 root signed the leaf
    assert java.message == f"PKIX path validation failed: java.security.cert.CertPathValidatorException: Algorithm constraints check failed on {said}"


@pytest.mark.parametrize("odd", ["rsa768", "client-eku"])
def test_the_jdk_takes_a_server_certificate_installed_as_trusted_as_it_is(odd: str) -> None:
    """PKIXValidator.engineValidate returns a trusted server certificate before any check, and
    Validator.validate runs no EndEntityChecker on a chain of one: the JDK takes it whatever its
    key or EKU (over the wire: tests/differential/test_jdk_policies.py); its key still decides
    when it is not the trusted one."""
    contents: dict[str, Any] = {"key": _rsa768("installed")} if odd == "rsa768" else {"eku": (ExtendedKeyUsageOID.CLIENT_AUTH,)}
    lf = build(NAME, san=(NAME,), **contents)
    assert not set(JDK) & set(refused([lf.cert], [lf.cert]))
    other = build("Other Root", ca=True, key=ec.generate_private_key(ec.SECP256R1()))
    own_rule = "weak-key" if odd == "rsa768" else "eku"
    assert {c: refused([lf.cert], [other.cert]).get(c) for c in JDK} == {c: own_rule for c in JDK}


@pytest.mark.parametrize("jdk_ca", [False, True])
@pytest.mark.parametrize("where", ["intermediate", "leaf"])
def test_the_jdk_refuses_sha1_only_below_its_own_anchors(where: str, jdk_ca: bool) -> None:
    """sha1_jdk_ca: "SHA1 jdkCA & usage TLSServer": a SHA-1 signature below an anchor of the JDK's
    own cacerts is refused, below another anchor taken (corpus:sha1-intermediate over the wire)."""
    root = build("RSA Root", ca=True, key=chain_corpus._rsa("rsa-root", 2048), days=(-100, 900))
    inter = build("RSA Intermediate", root, ca=True, sha1=where == "intermediate", key=chain_corpus._rsa("rsa-inter", 2048))
    lf = build(NAME, inter, san=(NAME,), sha1=where == "leaf")
    codes = refused([lf.cert, inter.cert], [root.cert], jdk_ca=jdk_ca)
    assert {c: codes.get(c) for c in JDK} == {c: "weak-signature" if jdk_ca else None for c in JDK}
    assert "nss" not in codes


@pytest.mark.parametrize(("client", "anchor"), [("openssl", "root"), ("thunderbird", "root"), ("gnutls", "intermediate"),
                                               ("gnutls", "root")])
def test_an_expired_anchor_is_named_not_the_last_certificate_sent(pki: dict[str, Node], client: str, anchor: str) -> None:
    """OpenSSL reports the expiry at the anchor's depth; the anchor came from the store, not the
    server, and the detail names it (the Web PKI rows take OpenSSL's diagnosis, the partial-chain
    rows stop at an intermediate of the store)."""
    root = build("Expired Root", ca=True, days=(-1000, -1))
    inter = build("Expired Anchor Intermediate" if anchor == "intermediate" else "Valid Intermediate", root, ca=True,
                  days=(-500, -1 if anchor == "intermediate" else 900))
    lf = build(NAME, inter, san=(NAME,))
    trusted = inter if anchor == "intermediate" else root
    result = verify_chain([lf.cert, inter.cert], TrustStore([trusted.cert], "test store"), now=NOW,
                          settings=settings_for(PROFILES[client].chain))
    assert not result.trusted and result.problem is TrustProblem.ISSUER_EXPIRED
    assert result.detail.startswith(f"the trust anchor {trusted.cert.subject.rfc4514_string()} (test store) is valid only"), result.detail


def test_the_jdk_never_checks_its_anchors_own_sha1_signature() -> None:
    """The anchor ends the path: its own SHA-1 self-signature is not checked, even a jdkCA's."""
    root = build("SHA-1 Root", ca=True, sha1=True, key=chain_corpus._rsa("rsa-root", 2048), days=(-100, 900))
    lf = build(NAME, root, san=(NAME,))
    assert not set(JDK) & set(refused([lf.cert], [root.cert], jdk_ca=True))
    assert not set(JDK) & set(refused([lf.cert, root.cert], [root.cert], jdk_ca=True))


def test_the_jdk_refuses_an_anchor_that_is_no_ca(pki: dict[str, Node]) -> None:
    """anchor_must_be_ca: PKIXValidator.verifyTrustAnchor; a certificate trusted itself needs no CA."""
    root = build("Root without basicConstraints", ca=None, days=(-100, 900))
    lf = build(NAME, root, san=(NAME,))
    codes = refused([lf.cert], [root.cert])
    assert {c: codes.get(c) for c in JDK} == {c: "chain-invalid" for c in JDK}
    assert "is not a CA certificate" in _java_verdict(lf, None, root, NAME).reason
    trusted_itself = build(NAME, pki["inter"], san=(NAME,), ca=True)
    assert "java" not in refused([trusted_itself.cert], [trusted_itself.cert])


def test_the_jdk_cannot_read_a_certificate_with_an_empty_issuer() -> None:
    """empty_names_refused: X509CertInfo refuses an empty issuer DN (the CA's subject is empty)."""
    root = build("", ca=True, days=(-100, 900))
    lf = build(NAME, root, san=(NAME,))
    codes = refused([lf.cert], [root.cert])
    assert {c: codes.get(c) for c in JDK} == {c: "chain-invalid" for c in JDK} and "openssl" not in codes


def test_the_jdk_checks_the_eku_of_the_leaf_only(pki: dict[str, Node]) -> None:
    """eku_leaf_only: an intermediate whose EKU is clientAuth only; OpenSSL's TLS-server purpose refuses it."""
    inter = build("clientAuth Intermediate", pki["root"], ca=True, eku=(ExtendedKeyUsageOID.CLIENT_AUTH,), ca_eku=True)
    lf = build(NAME, inter, san=(NAME,))
    codes = refused([lf.cert, inter.cert], [pki["root"].cert])
    assert codes.get("openssl") == "eku" and not set(JDK) & set(codes)


def test_the_jdk_tries_the_other_path_through_a_cross_sign(pki: dict[str, Node]) -> None:
    """path_search: the intermediate sent twice, first cross-signed by an untrusted root, then by
    the trusted one; OpenSSL takes the first and stops, SunCertPathBuilder comes back."""
    elsewhere = build("Untrusted Root", ca=True, key=ec.generate_private_key(ec.SECP256R1()))
    key = ec.generate_private_key(ec.SECP256R1())
    by_elsewhere = build("Cross Intermediate", elsewhere, ca=True, key=key)
    by_root = build("Cross Intermediate", pki["root"], ca=True, key=key)
    lf = build(NAME, by_root, san=(NAME,))
    codes = refused([lf.cert, by_elsewhere.cert, by_root.cert], [pki["root"].cert])
    assert codes.get("openssl") == "incomplete" and not set(JDK) & set(codes)


def test_the_jdk_verdict_is_the_same_alone_or_on_another_set_ups_path(pki: dict[str, Node]) -> None:
    """A JDK set-up takes a trusted path of a stricter OpenSSL set-up and runs only its own
    checks on it (no second X509_verify_cert): the verdict must be the one it reaches alone."""
    jdk, gnutls = settings_for(PROFILES["java"].chain), settings_for(PROFILES["gnutls"].chain)
    inter = _nc_inter(pki, excluded=[x509.IPAddress(ipaddress.ip_network("1.1.1.0/24"))])
    refused_ip = _nc_inter(pki, excluded=[x509.IPAddress(ipaddress.ip_network("127.0.0.0/24"))])
    small = ec.generate_private_key(ec.SECP192R1())
    cases = [
        [build("127.0.0.1", inter, san=("test.localhost",)).cert, inter.cert],
        [build("127.0.0.1", refused_ip, san=("test.localhost",)).cert, refused_ip.cert],
        [build(NAME, pki["inter"], san=(NAME,), key=small).cert, pki["inter"].cert],
        [leaf(pki).cert, pki["inter"].cert],
    ]
    store = TrustStore([pki["root"].cert], "test store")
    for chain in cases:
        alone = verify_chain_for(chain, store, now=NOW, settings=[jdk])[jdk]
        shared = verify_chain_for(chain, TrustStore([pki["root"].cert], "test store"), now=NOW, settings=[jdk, gnutls])
        assert shared[gnutls].trusted
        assert (shared[jdk].trusted, shared[jdk].problem, shared[jdk].added_names) == (alone.trusted, alone.problem, alone.added_names)


@pytest.mark.parametrize(("text", "address"), [
    ("127.0.0.1", "127.0.0.1"), ("127.1", "127.0.0.1"), ("1234", "0.0.4.210"), ("01.2.3.4", "1.2.3.4"),
    ("::1", "::1"), ("0x7f.0.0.1", None), ("256.1.1.1", None), ("1.2.3.4.5", None), ("[::1]", None),
    ("fe80::1%eth0", None), ("", None), ("mail.example.com", None),
])
def test_ip_literals_as_the_jdk_reads_them(text: str, address: str | None) -> None:
    """IPAddressUtil.isIPv4LiteralAddress / isIPv6LiteralAddress, measured with OpenJDK 17."""
    found = jdk_ip_literal(text)
    assert (str(found) if found is not None else None) == address


def _java_verdict(lf: Node, inter: Node | None, root: Node, name: str) -> NameVerdict:
    judgement = Judgement((PROFILES["java"],), store=TrustStore([root.cert], "test store"), now=NOW)
    chain = [lf.cert] + ([inter.cert] if inter else [])
    return assess_certificate(facts_from_certificate(lf.cert), [name], judgement, chain=chain).results[0]


def test_ca_certificate_as_leaf(pki: dict[str, Node]) -> None:
    lf = build(NAME, pki["inter"], san=(NAME,), ca=True)
    codes = refused([lf.cert, pki["inter"].cert], [pki["root"].cert])
    assert codes.get("thunderbird") == "ca-leaf" and codes.get("rfc9525") in ("ca-leaf", "chain-invalid")


def test_the_table_never_contradicts_the_findings(pki: dict[str, Node]) -> None:
    lf = build(NAME, pki["inter"], san=(NAME,), eku=None, days=(-1, 900))
    a = assess_certificate(facts_from_certificate(lf.cert), [NAME], Judgement(tuple(PROFILES.values()), now=NOW))
    apple = next(v for v in a.results if v.client == "apple-mail")
    assert not apple.accepted and apple.code in ("eku", "validity-cap")
    assert "apple-eku-missing" in {f.code for f in a.findings}
    assert any(f.code == "clients-refuse-certificate" and "Apple" in f.title for f in a.findings)


# --- bad input: bounded time, one-line reason -------------------------------------------------


def test_a_thousand_certificates(pki: dict[str, Node]) -> None:
    lf = leaf(pki)
    chain = [lf.cert] + [pki["inter"].cert] * 999
    start = time.monotonic()
    r = verify_chain(chain, TrustStore([pki["root"].cert], "test store"), now=NOW)
    assert time.monotonic() - start < 1.0
    assert r.problem is TrustProblem.TOO_LONG and str(MAX_CHAIN) in r.detail and "\n" not in r.detail


def test_a_loop_of_cross_signs() -> None:
    ka, kb = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    a0 = Node(build("Loop A", ca=True, key=ka).cert, ka)
    b = build("Loop B", a0, ca=True, key=kb)
    a = build("Loop A", Node(b.cert, kb), ca=True, key=ka)  # A signed by B, B signed by A
    lf = build(NAME, a, san=(NAME,))
    chain = [lf.cert] + [a.cert, b.cert] * 20
    for settings in (ValidatorSettings(), ValidatorSettings(validator=Validator.WEBPKI)):
        start = time.monotonic()
        r = verify_chain(chain, TrustStore([], "empty store"), now=NOW, settings=settings)
        assert time.monotonic() - start < 5.0
        assert not r.trusted and "\n" not in r.detail


def test_a_ten_megabyte_certificate_is_one_line_on_stderr(tmp_path: Path) -> None:
    big = tmp_path / "big.pem"
    body = b"A" * (10 * 1024 * 1024)
    big.write_bytes(b"-----BEGIN CERTIFICATE-----\n" + body + b"\n-----END CERTIFICATE-----\n")
    out = _run_cli("inspect", str(big))
    assert out.returncode == 3
    assert len(out.stderr.strip().splitlines()) == 1 and "Traceback" not in out.stderr


def _run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    import sys

    return subprocess.run([sys.executable, "-m", "mailcert", *args], capture_output=True, text=True, timeout=60)


# --- the in-process binding against the openssl command -----------------------------------------


@pytest.fixture(scope="module")
def corpus(pki: dict[str, Node]) -> dict[str, tuple[list[x509.Certificate], list[x509.Certificate]]]:
    """The chain corpus as (served chain, trust anchors) for the real implementations."""
    old_root = build("Old Root", ca=True, days=(-3000, 3000), key=ec.generate_private_key(ec.SECP256R1()))
    nc_root = build("Corp Root", ca=True, permitted=("corp.example",), key=ec.generate_private_key(ec.SECP256R1()))
    sbs = build(NAME, san=("sbs.contoso.local", NAME), days=(-10, 700))
    inter, root = pki["inter"].cert, pki["root"].cert
    return {
        "good": ([leaf(pki).cert, inter], [root]),
        "missing": ([leaf(pki, aia="http://ca.example.net/i.der").cert], [root]),
        "eku-client-only": ([leaf(pki, eku=(ExtendedKeyUsageOID.CLIENT_AUTH,)).cert, inter], [root]),
        "sha1": _sha1_chain(),
        "rsa1024": ([leaf(pki, key=rsa.generate_private_key(65537, 1024)).cert, inter], [root]),
        "expired": ([build(NAME, pki["inter"], san=(NAME,), days=(-100, -1)).cert, inter], [root]),
        "self-signed": ([sbs.cert], [root]),
        "self-signed-installed": ([sbs.cert], [sbs.cert]),
        "cross-signed": ([leaf(pki).cert, inter, build("Test Root", old_root, ca=True, same_key_as=pki["root"], days=(-900, 900)).cert],
                         [old_root.cert]),
        "expired-cross-sign": ([leaf(pki).cert, inter, build("Test Root", old_root, ca=True, same_key_as=pki["root"], days=(-900, -1)).cert],
                               [old_root.cert]),
        "name-constrained": ([build(NAME, nc_root, san=(NAME,)).cert], [nc_root.cert]),
        "ca-leaf": ([build(NAME, pki["inter"], san=(NAME,), ca=True).cert, inter], [root]),
    }


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl command not installed")
def test_openssl_family_matches_the_openssl_command(corpus: dict[str, tuple[list[x509.Certificate], list[x509.Certificate]]], tmp_path: Path) -> None:
    for label, (chain, anchors) in corpus.items():
        ours = verify_chain(chain, TrustStore(anchors, "t"), now=NOW, settings=ValidatorSettings(security_level=2))
        (tmp_path / "leaf.pem").write_bytes(pem(chain[0]))
        (tmp_path / "untrusted.pem").write_bytes(pem(*chain[1:]) or b"")
        (tmp_path / "ca.pem").write_bytes(pem(*anchors))
        cmd = ["openssl", "verify", "-purpose", "sslserver", "-auth_level", "2", "-attime", str(int(NOW.timestamp())),
               "-CAfile", str(tmp_path / "ca.pem"), "-no-CApath", "-no-CAstore"]
        if chain[1:]:
            cmd += ["-untrusted", str(tmp_path / "untrusted.pem")]
        real = subprocess.run([*cmd, str(tmp_path / "leaf.pem")], capture_output=True, text=True, timeout=30)
        assert (real.returncode == 0) == ours.trusted, (label, real.stdout, real.stderr, ours)
        if not ours.trusted:
            assert ours.error in real.stdout + real.stderr, (label, ours.error, real.stdout + real.stderr)


def test_go_profile_matches_go_x509_verify(corpus: dict[str, tuple[list[x509.Certificate], list[x509.Certificate]]]) -> None:
    """The go profile's whole verdict against Go's own Certificate.Verify (the toolchain here
    is Go 1.19, whose SHA-1 refusal and EKU checks the profile follows)."""
    from tests.differential.oracles import ChainCase, OracleUnavailable, run_chain_oracle

    requests = [ChainCase(label, tuple(der(c) for c in chain), tuple(der(c) for c in anchors), int(NOW.timestamp()), NAME)
                for label, (chain, anchors) in corpus.items()]
    try:
        real = run_chain_oracle("go-chain", requests, timeout=120)
    except OracleUnavailable as exc:
        pytest.skip(str(exc))
    for label, (chain, anchors) in corpus.items():
        judgement = Judgement(profiles=(PROFILES["go"],), store=TrustStore(anchors, "t"), now=NOW)
        ours = assess_certificate(facts_from_certificate(chain[0]), [NAME], judgement, chain=chain).results[0]
        assert ours.accepted == real[label].accepted, (label, real[label].detail, ours)


def test_sbs_example_table_agrees_with_its_findings() -> None:
    """The KB958977 example: inspect once said "Apple Mail / iOS ok" beside a finding that Apple refuses it."""
    import json

    from mailcert import examples

    path = Path(examples.__file__).resolve().parent / "sbs2008.pem"
    out = _run_cli("inspect", str(path), "--name", "remote.contoso.com", "--format", "json", "--at", NOW.isoformat())
    doc = json.loads(out.stdout)
    results = {r["client"]: r for r in doc["results"]}
    assert results["apple-mail"]["accepted"] is False and results["apple-mail"]["code"] == "validity-cap"
    assert "validity-too-long" in {f["code"] for f in doc["findings"]}
    refusing = " ".join(f["title"] for f in doc["findings"] if f["code"].endswith("refuse-certificate"))
    for client, r in results.items():
        if r["accepted"]:
            assert PROFILES[client].title not in refusing, client
            assert r["code"] is None


def test_thunderbird_profile_matches_mozilla_pkix(corpus: dict[str, tuple[list[x509.Certificate], list[x509.Certificate]]]) -> None:
    """The thunderbird profile's whole verdict against the real mozilla::pkix (Debian's nss
    source with Firefox's TLS-server policy: tests/differential, oracle ``thunderbird``), with
    the reason code matching mozilla::pkix's Result where both refuse."""
    from tests.differential.oracles import ChainCase, OracleUnavailable, build, run_chain_oracle

    try:
        build("thunderbird")
    except OracleUnavailable as exc:
        pytest.skip(str(exc))
    cases = [ChainCase(label, tuple(map(der, chain)), tuple(map(der, anchors)), int(NOW.timestamp()), NAME)
             for label, (chain, anchors) in corpus.items()]
    real = run_chain_oracle("thunderbird", cases)
    # mozilla::pkix's Result -> mailcert's reason code, for the refusals the corpus provokes
    codes = {"Result::ERROR_UNKNOWN_ISSUER": {"untrusted", "incomplete", "self-signed"},
             "Result::ERROR_INADEQUATE_CERT_TYPE": {"eku"},
             "Result::ERROR_EXPIRED_CERTIFICATE": {"expired"}, "Result::ERROR_EXPIRED_ISSUER_CERTIFICATE": {"expired"},
             "Result::ERROR_CERT_SIGNATURE_ALGORITHM_DISABLED": {"weak-signature"},
             "Result::ERROR_CA_CERT_USED_AS_END_ENTITY": {"ca-leaf"},
             "Result::ERROR_CERT_NOT_IN_NAME_SPACE": {"name-constraints"}}
    for label, (chain, anchors) in corpus.items():
        judgement = Judgement(profiles=(PROFILES["thunderbird"],), store=TrustStore(anchors, "t"), now=NOW)
        ours = assess_certificate(facts_from_certificate(chain[0]), [NAME], judgement, chain=chain).results[0]
        assert ours.accepted == real[label].accepted, (label, real[label].detail, ours)
        if not ours.accepted:
            assert ours.code in codes[real[label].detail], (label, real[label].detail, ours.code)


def test_mozilla_pkix_key_types() -> None:
    """mozilla::pkix reads RSA and ECDSA P-256/384/521 keys only: an Ed25519 or P-224 server key is refused."""
    from cryptography.hazmat.primitives.asymmetric import ed25519

    for key in (ed25519.Ed25519PrivateKey.generate(), ec.generate_private_key(ec.SECP224R1())):
        root = build("Key Root", ca=True, key=ec.generate_private_key(ec.SECP256R1()))
        lf = build(NAME, root, san=(NAME,), key=key)
        codes = refused([lf.cert], [root.cert])
        assert codes["thunderbird"] == "key-type", codes


# --- lenient twins: certificates cryptography refuses, issued by a trusted CA --------------------


@pytest.mark.parametrize(
    "case",
    [
        pytest.param({"san": ("ip5", NAME)}, id="5-octet-iPAddress"),
        pytest.param({"san": ("ip0", NAME)}, id="empty-iPAddress"),
        pytest.param({"san": None, "cns": ("*.example.com",), "printable": True}, id="printable-wildcard-cn"),
    ],
)
def test_a_lenient_twin_is_judged_on_its_real_bytes(case: dict[str, object]) -> None:
    """The chain of a certificate cryptography cannot parse, issued by a trusted CA, is trusted
    (its real bytes verify; the twin's would not): each client's verdict is then its name
    rules' verdict, as on the wire (tests/wire: the same shapes, accepted by OpenSSL clients,
    refused by GnuTLS and Go by their name rules)."""
    from tests.differential.corpus import Dns, RawIp, ca_pem, issue, with_printable_cns

    from mailcert.certs.lenient import original_der, parse_leniently
    from mailcert.names.matcher import verdicts_for

    raw = {"ip5": RawIp(bytes([192, 0, 2, 10, 0])), "ip0": RawIp(b"")}
    san = cast("tuple[str, ...] | None", case["san"])
    cns = cast("tuple[str, ...]", case.get("cns", (NAME,)))
    entries = None if san is None else tuple(raw.get(g) or Dns(g) for g in san)
    der_bytes = issue(f"twin-{san}-{case.get('cns')}", san=entries, cns=cns, now=NOW)
    if case.get("printable"):
        der_bytes = with_printable_cns(der_bytes)
    cert = parse_leniently(der_bytes)
    assert original_der(cert) == der_bytes  # cryptography refused it: this is a twin
    ca = x509.load_pem_x509_certificate(ca_pem(NOW))
    typed = NAME if san is not None else "mail.example.com"
    judgement = Judgement(tuple(PROFILES.values()), store=TrustStore([ca], "test CA"), now=NOW)
    facts = facts_from_certificate(cert)
    whole = {v.client: v for v in assess_certificate(facts, [typed], judgement, chain=[cert]).results}
    names = {v.client: v.accepted for v in verdicts_for(facts.identifiers, typed, list(PROFILES.values()))}
    wrong = {c: whole[c].reason for c in whole if whole[c].accepted != names[c] or (not whole[c].accepted and whole[c].code != "name")}
    assert not wrong
    assert any(names.values())  # the OpenSSL clients accept it: a case where the chain decides
    trust = verify_chain([cert], TrustStore([ca], "test CA"), now=NOW, settings=ValidatorSettings(validator=Validator.WEBPKI))
    assert trust.trusted and trust.validator is Validator.OPENSSL  # the result says who decided


def test_an_issuer_name_encoded_otherwise_than_the_root_subject_still_chains() -> None:
    """OpenSSL finds an issuer by a canonical form of its name (X509_NAME_cmp): a leaf whose
    issuer CN is a PrintableString chains to a root whose subject CN is a UTF8String.  The
    anchors handed to OpenSSL are picked by that looser key, not by the name's DER."""
    from tests.differential.corpus import Dns, ca_pem, issue, with_printable_cns

    cert = x509.load_der_x509_certificate(with_printable_cns(issue("issuer-printable", san=(Dns(NAME),), cns=(NAME,), now=NOW)))
    ca = x509.load_pem_x509_certificate(ca_pem(NOW))
    assert cert.issuer.public_bytes() != ca.subject.public_bytes()
    assert verify_chain([cert], TrustStore([ca], "test CA"), now=NOW).trusted


def test_settings_follow_the_policy_not_its_address() -> None:
    """``settings_for`` caches per policy object; a policy freed and another made in its place
    (CPython hands the freed address out again at once) gets its own settings, never the
    freed one's: the cache holds each policy it keys, so its address cannot be reused."""
    base = PROFILES["thunderbird"].chain
    for i in range(600):
        level = i % 6
        policy = base._replace(security_level=level)
        assert settings_for(policy).security_level == level, i
        del policy
