"""x509-limbo: each profile's whole verdict against the real implementation it models.

Over every SERVER case of x509-limbo (``tests/vectors/x509-limbo/limbo.json.xz``, 9,770), a profile's
verdict is its validator's chain verdict (``verdicts.settings_for``) and its name rules, and it
is compared with the results file of the real implementation: ``python`` (OpenSSL driven as
CPython drives it) with OpenSSL 3.0's harness, ``go`` with Go 1.19's, ``rfc9525`` with the
suite's expected results.  Every remaining difference class is listed, with its reason, in
docs/clients.md; the thresholds below are what is reached, so a regression fails.

Each case's chain is judged once per validator set-up and shared by the profiles using it.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import lzma
import os
import ssl
import warnings
from collections import Counter
from pathlib import Path
from typing import IO, Any

import pytest
from cryptography import x509

from mailcert.certs.chain import TrustStore, ValidatorSettings, verify_chain
from mailcert.certs.info import facts_from_certificate
from mailcert.certs.lenient import parse_leniently
from mailcert.errors import CertificateError
from mailcert.names.matcher import check_name
from mailcert.names.profiles import PROFILES
from mailcert.verdicts import settings_for
from tests.certs import openssl_harness

# The suite and the real implementations' verdicts travel with the tests (xz-compressed, 7 MB):
# a conformance test that skips where the files are missing could never fail in a fresh clone.
LIMBO = Path(os.environ.get("MAILCERT_LIMBO", Path(__file__).resolve().parents[1] / "vectors" / "x509-limbo"))
# limbo's harnesses ran on this day; cases without a validation time are judged as of it
HARNESS_DAY = dt.datetime(2026, 12, 1, tzinfo=dt.timezone.utc)

# (profile, results file, agreement reached): the goal is 99.5% for each
COMPARISONS = (("python", "openssl", 0.997), ("openssl", "openssl", 0.9969), ("go", "go", 0.9975), ("rfc9525", "expected", 0.9955))

# OpenSSL driven in-process (tests/certs/openssl_harness.py) over every 4th case and every case
# where an OpenSSL profile differs from results-openssl.json; all cases with MAILCERT_LIMBO_FULL=1
# (about a minute: parsing each case's certificates with OpenSSL 3.0 is the cost).
_STRIDE = 1 if os.environ.get("MAILCERT_LIMBO_FULL") else 4
# Where the openssl profile is not OpenSSL as a TLS client, and why (docs/clients.md, x509-limbo).
_CLIENT_DIFFERENCES: frozenset[str] = frozenset()



def _open(name: str) -> IO[bytes]:
    """``name`` from the suite's folder, plain or as its ``.xz`` (how the repository keeps it)."""
    plain = LIMBO / name
    return open(plain, "rb") if plain.is_file() else lzma.open(LIMBO / f"{name}.xz", "rb")


@functools.lru_cache(maxsize=1)
def _cases() -> list[dict[str, Any]]:
    with _open("limbo.json") as f:
        return [t for t in json.load(f)["testcases"] if t["validation_kind"] == "SERVER"]


@functools.lru_cache(maxsize=None)
def _reference(name: str) -> dict[str, str]:
    if name == "expected":
        return {t["id"]: t["expected_result"] for t in _cases()}
    with _open(f"results-{name}.json") as f:
        return {r["id"]: r["actual_result"] for r in json.load(f)["results"]}


def _load(pems: list[str]) -> list[x509.Certificate]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # non-positive serials: the validators judge them
        return [x509.load_pem_x509_certificate(p.encode()) for p in pems]


@functools.lru_cache(maxsize=None)
def _chain_verdicts(settings: ValidatorSettings) -> dict[str, bool]:
    out: dict[str, bool] = {}
    for t in _cases():
        try:
            chain = _load([t["peer_certificate"], *t["untrusted_intermediates"]])
            anchors = _load(t["trusted_certs"])
        except ValueError:
            out[t["id"]] = False  # cryptography cannot read it; neither can the clients it models
            continue
        when = dt.datetime.fromisoformat(t["validation_time"].replace("Z", "+00:00")) if t["validation_time"] else HARNESS_DAY
        depth = t["max_chain_depth"] if t["max_chain_depth"] is not None else settings.max_depth
        out[t["id"]] = verify_chain(chain, TrustStore(anchors, "limbo"), now=when, settings=settings._replace(max_depth=depth), explain=False).trusted
    return out


def _verdicts(profile_id: str) -> dict[str, bool]:
    profile = PROFILES[profile_id]
    chains = _chain_verdicts(settings_for(profile.chain))
    out: dict[str, bool] = {}
    for t in _cases():
        ok = chains[t["id"]]
        if ok and t["expected_peer_name"]:
            try:  # names read as mailcert reads a certificate: leniently, from its own bytes
                leaf = parse_leniently(ssl.PEM_cert_to_DER_cert(t["peer_certificate"]))
                ok = check_name(profile, facts_from_certificate(leaf).identifiers, t["expected_peer_name"]["value"]).accepted
            except (ValueError, CertificateError):
                ok = False  # a leaf the name engine cannot read is refused
        out[t["id"]] = ok
    return out


@pytest.mark.parametrize(("profile_id", "reference", "threshold"), COMPARISONS)
def test_profile_agrees_with_its_real_implementation(profile_id: str, reference: str, threshold: float) -> None:
    ours, theirs = _verdicts(profile_id), _reference(reference)
    judged = [i for i, r in theirs.items() if i in ours and r != "SKIPPED"]
    differ = Counter(i.rsplit("::", 1)[0] for i in judged if ours[i] != (theirs[i] == "SUCCESS"))
    agreement = 1 - sum(differ.values()) / len(judged)
    assert len(judged) > 9_700
    print(f"\nx509-limbo: {profile_id} vs {reference}: {agreement:.4%} of {len(judged)}; differences: {differ.most_common(20)}")
    assert agreement >= threshold, f"{profile_id} vs {reference}: {agreement:.4f}; differences by group: {differ.most_common(15)}"


def _openssl_sample() -> list[dict[str, Any]]:
    """Every ``_STRIDE``-th case, and every case where an OpenSSL profile differs from the file."""
    theirs = _reference("openssl")
    differ = {i for p in ("openssl", "python") for i, ok in _verdicts(p).items() if ok != (theirs[i] == "SUCCESS")}
    return [t for n, t in enumerate(_cases()) if n % _STRIDE == 0 or t["id"] in differ]


def test_in_process_openssl_set_up_as_limbo_reproduces_its_results() -> None:
    """The same libcrypto, set up as limbo's OpenSSL harness (X509_STRICT, PARTIAL_CHAIN, CRLs,
    no purpose unless asked, no partial wildcards), gives results-openssl.json's verdict: so
    every difference between a profile and that file is one of those settings, not the driver."""
    theirs = _reference("openssl")
    cases = _openssl_sample()
    wrong = [t["id"] for t in cases if openssl_harness.as_limbo(t, HARNESS_DAY) != (theirs[t["id"]] == "SUCCESS")]
    assert len(cases) > 2_000
    assert not wrong, f"{len(wrong)} of {len(cases)} differ from limbo's harness: {wrong[:10]}"


def test_openssl_profile_is_openssl_as_a_tls_client() -> None:
    """The openssl profile (OpenSSL's chain verdict + mailcert's name rules) against OpenSSL
    itself as a TLS client sets it up: purpose ssl_server, security level 2, the typed name by
    SSL_set1_host (an IP literal to set1_ip_asc, any other name to set1_host with flags 0), so
    OpenSSL checks the name inside X509_verify_cert."""
    ours = _verdicts("openssl")
    cases = _openssl_sample()
    wrong = [t["id"] for t in cases if openssl_harness.as_client(t, HARNESS_DAY) != ours[t["id"]] and t["id"] not in _CLIENT_DIFFERENCES]
    ips = sum(1 for t in cases if (t["expected_peer_name"] or {}).get("kind") == "IP")
    assert ips > 1_000  # the typed-IP behaviour is what this profile decides
    assert not wrong, f"{len(wrong)} of {len(cases)} differ from OpenSSL as a TLS client: {wrong[:10]}"
