"""The doctor's judgement on probe results made by hand: pure, no network."""

from __future__ import annotations

import dataclasses

from mailcert.certs.chain import TrustStore
from mailcert.doctor import diagnose
from mailcert.errors import HandshakeError
from mailcert.judgement import Judgement
from mailcert.model import parse_target
from mailcert.names import PROFILES
from mailcert.names.profiles import DEFAULT_CLIENTS
from mailcert.probe.driver import ProbeResult, SniPair
from tests.factory import NOW, der, make_cert

SBS = ("DNS:sbs.contoso.local", "DNS:remote.contoso.com", "DNS:sites", "DNS:companyweb")
FIXED = ("DNS:remote.contoso.com", "DNS:sbs.contoso.local", "DNS:sites", "DNS:companyweb")
ENDPOINT = parse_target("imaps://mail.contoso.test:993")


def result(cert_der: bytes, sni: str | None) -> ProbeResult:
    return ProbeResult(ENDPOINT, ("192.0.2.1", 993), sni, (cert_der,), True, "TLSv1.3", "TLS_AES_128_GCM_SHA256",
                       None, "* OK ready", None, (), (), 0.01)


def run(pair: SniPair, trusted: list) -> object:  # type: ignore[type-arg]
    from cryptography import x509

    store = TrustStore([x509.load_der_x509_certificate(d) for d in trusted], "test store")
    return diagnose(pair, ("remote.contoso.com",), Judgement(tuple(PROFILES[c] for c in DEFAULT_CLIENTS), store, NOW, 30))


def test_each_client_is_judged_on_the_certificate_it_is_served() -> None:
    # the server picks the fixed certificate by SNI, but its default (no SNI) is the SBS one
    fixed, sbs = der(make_cert(FIXED, cn=("remote.contoso.com",))), der(make_cert(SBS, cn=("sbs.contoso.local",)))
    d = run(SniPair("remote.contoso.com", result(fixed, "remote.contoso.com"), result(sbs, None)), [fixed, sbs])
    refused = [v.client for v in d.assessment.results if not v.accepted]  # type: ignore[attr-defined]
    assert refused == ["outlook2007"]  # Outlook 2007 sends no SNI, so it gets the SBS certificate
    codes = [f.code for f in d.assessment.findings]  # type: ignore[attr-defined]
    assert "sni-certificates-differ" in codes and "first-san-not-name" in codes
    assert d.other_certificate is not None  # type: ignore[attr-defined]


def test_the_diagnosis_carries_what_it_was_judged_against() -> None:
    """Results carry their request: a renderer needs the endpoint, names, store, clock and
    thresholds, and finds them all in the diagnosis (plain values that pickle)."""
    import pickle

    fixed = der(make_cert(FIXED, cn=("remote.contoso.com",)))
    d = run(SniPair("remote.contoso.com", result(fixed, "remote.contoso.com"), result(fixed, None)), [fixed])
    judged = d.assessment.judged  # type: ignore[attr-defined]
    assert (judged.store, judged.now, judged.warn_days, judged.critical_days) == ("test store", NOW, 30, None)
    assert judged.clients == DEFAULT_CLIENTS and d.served.endpoint == ENDPOINT  # type: ignore[attr-defined]
    assert d.assessment.names == ("remote.contoso.com",)  # type: ignore[attr-defined]
    assert pickle.loads(pickle.dumps(d)) == d


def test_same_certificate_both_ways_is_not_reported() -> None:
    fixed = der(make_cert(FIXED, cn=("remote.contoso.com",)))
    d = run(SniPair("remote.contoso.com", result(fixed, "remote.contoso.com"), result(fixed, None)), [fixed])
    assert d.assessment.status.name == "OK" and d.other_certificate is None  # type: ignore[attr-defined]


def test_sni_failure_is_critical_and_no_sni_failure_a_warning() -> None:
    fixed = der(make_cert(FIXED, cn=("remote.contoso.com",)))
    error = HandshakeError("TLS handshake failed: unrecognized name")
    d = run(SniPair("remote.contoso.com", error, result(fixed, None)), [fixed])
    assert d.assessment.status.name == "CRITICAL"  # type: ignore[attr-defined]
    assert "sni-failed" in [f.code for f in d.assessment.findings]  # type: ignore[attr-defined]
    d = run(SniPair("remote.contoso.com", result(fixed, "remote.contoso.com"), error), [fixed])
    assert d.assessment.status.name == "WARNING"  # type: ignore[attr-defined]
    assert "no-sni-failed" in [f.code for f in d.assessment.findings]  # type: ignore[attr-defined]


def test_both_failing_raises_the_sni_error() -> None:
    import pytest

    error = HandshakeError("TLS handshake failed")
    with pytest.raises(HandshakeError):
        run(SniPair("remote.contoso.com", error, error), [])


def test_untrusted_chain_and_old_protocol() -> None:
    fixed = der(make_cert(FIXED, cn=("remote.contoso.com",)))
    old = dataclasses.replace(result(fixed, "remote.contoso.com"), tls_version="TLSv1")
    d = run(SniPair("remote.contoso.com", old, old), [])
    codes = [f.code for f in d.assessment.findings]  # type: ignore[attr-defined]
    assert codes[0] == "chain-self-signed" and "old-tls-version" in codes
    assert d.assessment.status.name == "CRITICAL"  # type: ignore[attr-defined]


def test_unparseable_served_certificate_is_one_line_certificate_error() -> None:
    import pytest

    from mailcert.errors import CertificateError

    garbage = result(b"\x30\x03\x02\x01\x01", "remote.contoso.com")
    with pytest.raises(CertificateError, match="imaps://mail.contoso.test:993: the server's certificate cannot be parsed"):
        run(SniPair("remote.contoso.com", garbage, garbage), [])
