"""x509-limbo: the thunderbird profile's whole verdict against the real mozilla::pkix.

Every SERVER case of x509-limbo goes once through mozilla::pkix (built from Debian's nss
source with Firefox's TLS-server policy, after the WHATWG URL host stage: the ``thunderbird``
oracle of tests/differential) and once through the profile: its validator over the chain
(``verdicts.settings_for``), its own rules on the leaf (``verdicts.refusals_for``: CA leaf,
key types, RSA size, SHA-1) and its name rules.  Differences, by case, are listed with their
reasons in docs/clients.md ("x509-limbo" section); the threshold is what is reached, so a
regression fails.

Firefox has no setting for a chain's depth, so a case's ``max_chain_depth`` is not applied.
"""

from __future__ import annotations

import base64
import concurrent.futures
import datetime as dt
import os
import re
from pathlib import Path
from typing import Any

import pytest

from mailcert.certs.chain import TrustStore, verify_chain
from mailcert.certs.info import facts_from_certificate
from mailcert.errors import CertificateError
from mailcert.names.matcher import check_name
from mailcert.names.profiles import PROFILES
from mailcert.verdicts import refusals_for, settings_for
from tests.certs.test_limbo import HARNESS_DAY, _cases, _chain_verdicts, _load
from tests.differential.oracles import ChainCase, run_chain_oracle, unavailable_reason

pytestmark = pytest.mark.differential

DOC = Path(__file__).resolve().parents[2] / "docs" / "clients.md"
THRESHOLD = 0.998  # 9,752 of 9,770 (99.82%); the goal is 99.5%


def _when(t: dict[str, Any]) -> dt.datetime:
    return dt.datetime.fromisoformat(t["validation_time"].replace("Z", "+00:00")) if t["validation_time"] else HARNESS_DAY


def _der(pem: str) -> bytes:
    """DER without parsing: limbo holds certificates cryptography refuses and mozilla::pkix reads."""
    return base64.b64decode("".join(line for line in pem.strip().splitlines() if not line.startswith("-----")))


def _require_oracle() -> None:
    """Build the oracle (once); skip where it cannot be built, fail in CI."""
    reason = unavailable_reason("thunderbird")
    if reason is not None:
        if os.environ.get("CI"):
            pytest.fail(f"the mozilla::pkix oracle must be available in CI: {reason}")
        pytest.skip(reason)


def _real() -> dict[str, bool]:
    cases = [
        ChainCase(
            t["id"],
            tuple(map(_der, [t["peer_certificate"], *t["untrusted_intermediates"]])),
            tuple(map(_der, t["trusted_certs"])),
            int(_when(t).timestamp()),
            t["expected_peer_name"]["value"] if t["expected_peer_name"] else "",
        )
        for t in _cases()
    ]
    return {case_id: v.accepted for case_id, v in run_chain_oracle("thunderbird", cases).items()}


def _ours() -> dict[str, bool]:
    profile = PROFILES["thunderbird"]
    settings = settings_for(profile.chain)
    shared = _chain_verdicts(settings)  # the go comparison's, when the set-ups are equal
    out: dict[str, bool] = {}
    for t in _cases():
        try:
            chain, anchors = _load([t["peer_certificate"], *t["untrusted_intermediates"]]), _load(t["trusted_certs"])
            facts = facts_from_certificate(chain[0])
        except (ValueError, CertificateError):
            out[t["id"]] = False  # cryptography cannot read it
            continue
        trusted = shared[t["id"]]
        if t["max_chain_depth"] is not None:
            trusted = verify_chain(chain, TrustStore(anchors, "limbo"), now=_when(t), settings=settings, explain=False).trusted
        # the chain's verdict, then the client's own rules on the leaf (no trust result: leaf only)
        ok = trusted and not refusals_for(profile, facts, None, None)
        if ok and t["expected_peer_name"]:
            ok = check_name(profile, facts.identifiers, t["expected_peer_name"]["value"]).accepted
        out[t["id"]] = ok
    return out


def _listed() -> set[str]:
    """The case ids the docs list as remaining differences (backticked, after "What remains")."""
    doc = DOC.read_text(encoding="utf-8")
    start = doc.index("What remains", doc.index("<!-- limbo: thunderbird vs mozilla::pkix -->"))
    end = doc.index("<!-- end of limbo: thunderbird vs mozilla::pkix -->")
    return {token for token in re.findall(r"`([^`]+)`", doc[start:end]) if "::" in token}


def test_thunderbird_agrees_with_mozilla_pkix_on_limbo() -> None:
    _require_oracle()
    # the oracle is a separate process: let it run while mailcert judges (CI has two cores)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        pending = pool.submit(_real)
        ours = _ours()
        real = pending.result()
    differ = sorted(i for i in real if ours[i] != real[i])
    agreement = 1 - len(differ) / len(real)
    print(f"\nx509-limbo: thunderbird vs mozilla::pkix: {agreement:.4%} of {len(real)}; differences: {differ}")
    listed = _listed()
    assert not set(differ) - listed, f"differences not listed in docs/clients.md: {sorted(set(differ) - listed)}"
    assert not listed - set(differ), f"listed in docs/clients.md but no longer different: {sorted(listed - set(differ))}"
    assert agreement >= THRESHOLD
