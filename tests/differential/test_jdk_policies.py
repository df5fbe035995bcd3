"""The java row's own rules where only the real JDK can say what it does, asked over the wire.

One JSSE client (``java-tls-chain``: a real handshake per case, the JDK's default algorithm
constraints) against chains made for three questions:

- a trust anchor whose key is under the JDK's floor: AlgorithmChecker checks the anchor's key
  as the key of the signature below it, and says so: "Algorithm constraints check failed on
  signature algorithm: SHA256withRSA" - not the "keysize limits" words of a small key on the
  path, which name the certificate;
- a server certificate installed as trusted: PKIXValidator.engineValidate returns it before any
  check, and Validator.validate runs no EndEntityChecker on a chain of one, so its key size,
  its EKU and its dates are not looked at;
- DSA keys under 1024 bits (``DSA keySize < 1024``): cryptography makes no DSA key under 1024
  bits and OpenSSL 3 refuses to make one too (``openssl genpkey`` on 768-bit parameters:
  "ffc_validate_LN: bad ffc parameters"), but it still makes the parameters: the key pair is
  computed on OpenSSL's parameters here (x below q, y = g^x mod p).

For each case the JDK's verdict and mailcert's ``java`` row must agree, and for a key refused
the words too.  (The re-issued certificate is refused by both, in other words: mailcert says
the path cannot be built, the JDK that the anchor it built to is no CA.)
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec
from cryptography.x509.oid import ExtendedKeyUsageOID

from mailcert.certs.info import facts_from_certificate
from mailcert.names.profiles import PROFILES
from mailcert.verdicts import refusals_for, settings_for
from tests.differential.chain_corpus import _rsa
from tests.differential.chains import _load, _trust, whole_verdict
from tests.differential.oracles import ChainCase, run_chain_oracle
from tests.differential.test_jdk_ca import _java_home
from tests.factory import Node, chain_cert

pytestmark = [pytest.mark.differential]

NAME = "mail.example.com"


def _dsa_768(where: Path) -> dsa.DSAPrivateKey:
    """A DSA key of 768 bits on parameters ``openssl genpkey -genparam`` makes."""
    params = where / "dsa768.param"
    openssl = shutil.which("openssl")
    assert openssl is not None
    subprocess.run([openssl, "genpkey", "-genparam", "-algorithm", "DSA", "-pkeyopt", "dsa_paramgen_bits:768", "-out", str(params)],
                   check=True, capture_output=True, timeout=120)
    refused = subprocess.run([openssl, "genpkey", "-paramfile", str(params)], capture_output=True, text=True, timeout=60)
    assert refused.returncode != 0 and "bad ffc parameters" in refused.stderr  # OpenSSL 3 makes no such key itself
    text = subprocess.run([openssl, "pkeyparam", "-in", str(params), "-text", "-noout"], check=True, capture_output=True, text=True,
                          timeout=60).stdout
    p, q, g = (int(re.sub(r"[\s:]", "", m.group(1)), 16) for m in re.finditer(r"[PQG]:\s*\n((?:\s+[0-9a-f:]+\n)+)", text))
    assert p.bit_length() == 768
    x = secrets.randbelow(q - 1) + 1
    numbers = [0, p, q, g, pow(g, x, p), x]  # DSAPrivateKey ::= SEQUENCE { version, p, q, g, y, x } (OpenSSL's traditional form)
    body = b"".join(_der_integer(n) for n in numbers)
    key = serialization.load_der_private_key(b"\x30" + _der_length(len(body)) + body, None)
    assert isinstance(key, dsa.DSAPrivateKey) and key.key_size == 768
    return key


def _der_length(n: int) -> bytes:
    return bytes([n]) if n < 128 else bytes([0x80 | (n.bit_length() + 7) // 8]) + n.to_bytes((n.bit_length() + 7) // 8, "big")


def _der_integer(n: int) -> bytes:
    raw = n.to_bytes(n.bit_length() // 8 + 1, "big")
    return b"\x02" + _der_length(len(raw)) + raw


def _cases(where: Path) -> tuple[list[ChainCase], dict[str, bool]]:
    """The chains and what the real JDK was seen to answer for each (asserted again on every run)."""
    now = dt.datetime.now(dt.timezone.utc)
    when = {"not_before": now - dt.timedelta(days=10), "not_after": now + dt.timedelta(days=300)}

    def ec_key() -> ec.EllipticCurvePrivateKey:
        return ec.generate_private_key(ec.SECP256R1())

    root = chain_cert("Policy Root", key=ec_key(), ca=True, organization="mailcert jdk policies", **when)
    small_root = chain_cert("Policy RSA-768 Root", key=_rsa("policy rsa768 root", 768), ca=True, organization="mailcert jdk policies",
                            **when)
    dsa_root = chain_cert("Policy DSA-768 Root", key=_dsa_768(where), ca=True, organization="mailcert jdk policies", **when)
    dsa_inter = chain_cert("Policy DSA-768 Intermediate", root, key=_dsa_768(where), ca=True, organization="mailcert jdk policies",
                           **when)
    dsa1024_inter = chain_cert("Policy DSA-1024 Intermediate", root, key=dsa.generate_private_key(1024), ca=True,
                               organization="mailcert jdk policies", **when)
    trusted_key = ec_key()
    trusted = chain_cert(NAME, key=trusted_key, san=(NAME,), organization="mailcert jdk policies", **when)
    renewed = chain_cert(NAME, key=trusted_key, san=(NAME,), organization="mailcert jdk policies",
                         not_before=now - dt.timedelta(days=1), not_after=now + dt.timedelta(days=400))

    def leaf(issuer: Node | None, **kw: object) -> Node:
        contents: dict[str, object] = {"key": ec_key(), "san": (NAME,), "organization": "mailcert jdk policies", **when, **kw}
        return chain_cert(NAME, issuer, **contents)  # type: ignore[arg-type]

    installed_small = leaf(None, key=_rsa("policy rsa768 leaf", 768))
    installed_client = leaf(None, eku=(ExtendedKeyUsageOID.CLIENT_AUTH,))
    installed_expired = leaf(None, not_before=now - dt.timedelta(days=100), not_after=now - dt.timedelta(days=1))
    seen = {
        # the anchor's key under the floor: the signature it checks is named
        "rsa768-root": (leaf(small_root), [small_root], False),
        "dsa768-root": (leaf(dsa_root), [dsa_root], False),
        # a small key on the path: the certificate is named
        "dsa768-intermediate": (leaf(dsa_inter), [root], False),
        "dsa1024-intermediate": (leaf(dsa1024_inter), [root], True),
        "rsa768-leaf": (leaf(root, key=_rsa("policy rsa768 leaf", 768)), [root], False),
        # the server's certificate installed as trusted: taken as it is
        "installed-rsa768": (installed_small, [installed_small], True),
        "installed-client-eku": (installed_client, [installed_client], True),
        "installed-expired": (installed_expired, [installed_expired], True),
        # ... but only that very certificate: one with its name and key (re-issued with new dates)
        # meets the installed one as its anchor, which is no CA ("TrustAnchor with subject ... is
        # not a CA certificate")
        "renewed-same-key": (renewed, [trusted], False),
    }
    issuers = {id(leaf_node): [n for n in (dsa_inter, dsa1024_inter) if leaf_node.cert.issuer == n.cert.subject] for leaf_node, _, _ in
               seen.values()}
    cases = []
    for case_id, (served, anchors, _) in seen.items():
        chain = [served, *issuers[id(served)]]
        cases.append(ChainCase(f"jdk:{case_id}", tuple(n.cert.public_bytes(serialization.Encoding.DER) for n in chain),
                               tuple(a.cert.public_bytes(serialization.Encoding.DER) for a in anchors), int(now.timestamp()), NAME,
                               served.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                        serialization.NoEncryption())))
    return cases, {f"jdk:{case_id}": accepted for case_id, (_, _, accepted) in seen.items()}


def test_the_java_row_answers_and_words_as_the_jdk_over_the_wire(tmp_path: Path) -> None:
    _java_home()
    cases, expected = _cases(tmp_path)
    real = run_chain_oracle("java-tls-chain", cases)
    assert {i: v.accepted for i, v in real.items()} == expected, {i: v.detail[:300] for i, v in real.items()}
    profile = PROFILES["java"]
    for case in cases:
        chain = _load(case.chain)
        when = dt.datetime.fromtimestamp(case.time, dt.timezone.utc)
        trust = _trust(case, chain, when, [settings_for(profile.chain)])[settings_for(profile.chain)]
        facts = facts_from_certificate(chain[0])
        ours = whole_verdict(profile, case, trust, facts)
        assert ours.accepted == real[case.id].accepted, (case.id, ours, real[case.id])
        if not ours.accepted and ours.code == "weak-key":
            words = refusals_for(profile, facts, {"java": trust}, public=False)[0].message
            assert real[case.id].detail.startswith(f"SSLHandshakeException: {words} <- "), (case.id, words, real[case.id].detail)
