"""Whole verdicts of every profile for one chain and one name vs one x509.verification call.

Same inputs for both, in one run: a leaf + intermediate served by the server, a root in the
trust store, the name the user typed.  mailcert judges the chain once per validator set-up
(OpenSSL at levels 0/1/2, cryptography strict and lenient), applies every profile's own rules
and name rules; the reference is one cryptography ``build_server_verifier(...).verify(...)``.
Target (issue 11): all profiles together at most 2x the one call.

    .venv/bin/python bench/verdict_bench.py [--seconds 3]
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cryptography import x509  # noqa: E402
from cryptography.x509 import verification  # noqa: E402

from mailcert.assess import assess_certificate  # noqa: E402
from mailcert.certs.build import TestCA  # noqa: E402
from mailcert.certs.chain import TrustStore  # noqa: E402
from mailcert.certs.info import facts_from_certificate  # noqa: E402
from mailcert.names.profiles import PROFILES  # noqa: E402
from mailcert.judgement import Judgement  # noqa: E402
from tests.factory import NOW  # noqa: E402

NAME = "remote.contoso.com"
ROOT = TestCA(now=NOW, key_type="ecdsa-p256")
INTER = ROOT.create_child_ca("mailcert Test Intermediate")
LEAF = INTER.issue_cert(NAME, "sbs.contoso.local", key_type="ecdsa-p256")
CHAIN = [LEAF.cert, INTER.cert]
STORE = TrustStore([ROOT.cert], "bench store")
PYCA_STORE = verification.Store([ROOT.cert])
JUDGEMENT = Judgement(store=STORE, now=NOW)


def mailcert_all() -> None:
    """A fleet's second port serving the chain (verdicts remembered per chain and minute)."""
    assess_certificate(facts_from_certificate(CHAIN[0]), [NAME], JUDGEMENT, chain=CHAIN)


_minutes = itertools.count(1)


def mailcert_cold() -> None:
    """A chain met for the first time: every profile's validator runs (a new minute each call)."""
    judgement = Judgement(store=STORE, now=NOW + dt.timedelta(minutes=next(_minutes) % 100_000))
    assess_certificate(facts_from_certificate(CHAIN[0]), [NAME], judgement, chain=CHAIN)


def pyca_one() -> None:
    verifier = verification.PolicyBuilder().store(PYCA_STORE).time(NOW).build_server_verifier(x509.DNSName(NAME))
    verifier.verify(CHAIN[0], CHAIN[1:])


def rate(fn: Callable[[], None], seconds: float) -> float:
    n, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        fn()
        n += 1
    return n / elapsed


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=3.0)
    args = ap.parse_args()
    mailcert_all()
    mailcert_cold()
    pyca_one()  # warm all
    cold, warm, theirs = rate(mailcert_cold, args.seconds), rate(mailcert_all, args.seconds), rate(pyca_one, args.seconds)
    print(f"mailcert, {len(PROFILES)} profiles, whole verdicts, chain first met: {cold:9.0f}/s  ({1000 / cold:.3f} ms)")
    print(f"mailcert, {len(PROFILES)} profiles, whole verdicts, chain met again: {warm:9.0f}/s  ({1000 / warm:.3f} ms)")
    print(f"one x509.verification call:                             {theirs:9.0f}/s  ({1000 / theirs:.3f} ms)")
    print(f"ratio, first met (goal <= 2.0x): {theirs / cold:.2f}x; met again: {theirs / warm:.2f}x")


if __name__ == "__main__":
    main()
