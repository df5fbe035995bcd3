"""Property test: mutated certificates never crash the reader or the judge.

Every mutation of a real certificate's bytes must end as a verdict or a CertificateError,
never another exception (which the CLI would show as an internal error).
"""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailcert.assess import assess_certificate, default_names
from mailcert.certs.info import facts_from_certificate
from mailcert.certs.load import read_certificates
from mailcert.errors import CertificateError
from mailcert.judgement import Judgement
from tests.factory import NOW, der, make_cert, pem

SEED = der(make_cert(("DNS:sbs.contoso.local", "DNS:remote.contoso.com", "IP:192.0.2.1", "DNS:*.contoso.com"), cn=("sbs.contoso.local",)))


def judge(data: bytes) -> None:
    try:
        certs = read_certificates(data, source="fuzz")
        facts = facts_from_certificate(certs[0], source="fuzz")
    except CertificateError:
        return
    names = default_names(facts) or ("remote.contoso.com",)
    assessment = assess_certificate(facts, names, Judgement(now=NOW))
    assert assessment.results


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(SEED)
    for _ in range(draw(st.integers(1, 8))):
        op = draw(st.sampled_from(["flip", "set", "cut", "insert"]))
        i = draw(st.integers(0, len(data) - 1))
        if op == "flip":
            data[i] ^= 1 << draw(st.integers(0, 7))
        elif op == "set":
            data[i] = draw(st.integers(0, 255))
        elif op == "cut":
            del data[i : i + draw(st.integers(1, 16))]
        else:
            data[i:i] = draw(st.binary(min_size=1, max_size=8))
        if not data:
            data = bytearray(b"\x30")
    return bytes(data)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_der_never_crashes(data: bytes) -> None:
    judge(data)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2048))
def test_random_bytes_never_crash(data: bytes) -> None:
    judge(data)
    judge(b"-----BEGIN CERTIFICATE-----\n" + data + b"\n-----END CERTIFICATE-----\n")


def test_seed_parses() -> None:
    facts = facts_from_certificate(read_certificates(pem(make_cert()))[0])
    assert facts.not_after > dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
