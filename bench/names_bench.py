"""Verdicts per second: mailcert's twelve client profiles vs one pyca service_identity check.

Same (certificate, name) pairs for both, in one run.  mailcert reads the certificate's
identifiers once and asks all twelve profiles; service_identity reads them and checks one
RFC 6125 rule set.  Target (issue 2): all profiles together cost at most 2x one
service_identity verification.

    .venv/bin/python bench/names_bench.py [--seconds 3]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

from service_identity import CertificateError, VerificationError
from service_identity.cryptography import verify_certificate_hostname

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mailcert.names import PROFILES, verdicts_for  # noqa: E402
from tests.factory import make_cert  # noqa: E402

PAIRS = [
    (make_cert(("DNS:sbs.contoso.local", "DNS:remote.contoso.com", "DNS:sites", "DNS:companyweb"), cn=("sbs.contoso.local",)), "remote.contoso.com"),
    (make_cert(("DNS:remote.contoso.com",), cn=("remote.contoso.com",)), "remote.contoso.com"),
    (make_cert(("DNS:*.example.com", "DNS:example.com")), "mail.example.com"),
    (make_cert(("DNS:www.example.com",)), "mail.example.com"),
]


def mailcert_one(cert: object, name: str) -> None:
    verdicts_for(cert, name)


def service_identity_one(cert: object, name: str) -> None:
    try:
        verify_certificate_hostname(cert, name)  # type: ignore[arg-type]
    except (VerificationError, CertificateError):
        pass


def rate(fn: Callable[[object, str], None], seconds: float) -> float:
    n, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        for cert, name in PAIRS:
            fn(cert, name)
        n += len(PAIRS)
    return n / elapsed


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=3.0)
    args = ap.parse_args()
    for cert, name in PAIRS:  # warm caches on both sides
        mailcert_one(cert, name)
        service_identity_one(cert, name)
    ours = rate(mailcert_one, args.seconds)
    theirs = rate(service_identity_one, args.seconds)
    print(f"mailcert, all {len(PROFILES)} profiles: {ours:10.0f} (certificate, name) pairs/s")
    print(f"service_identity, one check:   {theirs:10.0f} (certificate, name) pairs/s")
    ratio = theirs / ours
    print(f"cost ratio (mailcert / service_identity): {ratio:.2f}x  (target <= 2.0x)  {'PASS' if ratio <= 2 else 'FAIL'}")


if __name__ == "__main__":
    main()
