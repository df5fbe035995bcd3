"""DANE TLSA matching, MTA-STS policy parsing and the sender verdicts: pure, table-driven."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from mailcert.certs.info import facts_from_certificate
from mailcert.certs.tlsa import DnsStatus, TlsaLookup, TlsaRecord, association, match_chain, records_for
from mailcert.certs.chain import TrustStore, verify_chain
from mailcert.errors import InputError
from mailcert.names.mtasts import MAX_POLICY_BYTES, Mode, Policy, PolicyProblem, StsLookup, StsStatus, mx_matches, parse_policy, parse_txt
from mailcert.names.senders import SENDERS, Refusal
from mailcert.senders import SenderContext, judge_senders
from tests.factory import NOW, der, make_cert

MX = "mx.mail.test"
CA_KEY = ec.generate_private_key(ec.SECP256R1())
CA = make_cert(("DNS:ca.test",), cn=("Lab CA",), ca=True, key=CA_KEY)
LEAF_KEY = ec.generate_private_key(ec.SECP256R1())
LEAF = make_cert((f"DNS:{MX}",), cn=(MX,), key=LEAF_KEY, issuer=(CA, CA_KEY))
OTHER = make_cert((f"DNS:{MX}",), cn=(MX,), key=ec.generate_private_key(ec.SECP256R1()), issuer=(CA, CA_KEY))
CHAIN = (der(LEAF), der(CA))


def _spki(cert) -> bytes:  # type: ignore[no-untyped-def]
    return cert.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def rec(text: str) -> TlsaRecord:
    return TlsaRecord.from_text(text)


# --- association data: every selector x matching type, computed independently ----------------

@pytest.mark.parametrize(
    ("selector", "mtype", "expected"),
    [
        (0, 0, lambda: der(LEAF)),
        (0, 1, lambda: hashlib.sha256(der(LEAF)).digest()),
        (0, 2, lambda: hashlib.sha512(der(LEAF)).digest()),
        (1, 0, lambda: _spki(LEAF)),
        (1, 1, lambda: hashlib.sha256(_spki(LEAF)).digest()),
        (1, 2, lambda: hashlib.sha512(_spki(LEAF)).digest()),
    ],
)
def test_association_and_ee_match(selector: int, mtype: int, expected) -> None:  # type: ignore[no-untyped-def]
    data = association(der(LEAF), selector, mtype)
    assert data == expected()
    m = match_chain([TlsaRecord(3, selector, mtype, data)], CHAIN)
    assert m.matched == TlsaRecord(3, selector, mtype, data) and m.depth == 0 and m.ee
    # the same record does not match another key (nor, for DANE-EE, the CA)
    assert match_chain([TlsaRecord(3, selector, mtype, data)], (der(OTHER), der(CA))).matched is None


def test_dane_ta_matches_the_ca_in_the_chain_not_the_leaf() -> None:
    ta = TlsaRecord(2, 1, 1, association(der(CA), 1, 1))
    m = match_chain([ta], CHAIN)
    assert m.matched == ta and m.depth == 1 and not m.ee
    # a 2 x x record for the leaf's own key is not a trust anchor match
    assert match_chain([TlsaRecord(2, 1, 1, association(der(LEAF), 1, 1))], CHAIN).matched is None
    # the CA is not sent: nothing to match
    assert match_chain([ta], CHAIN[:1]).matched is None


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("0 1 1 " + "00" * 32, "usage 0 (PKIX-TA) is not used by SMTP DANE (RFC 7672 section 3.1.3)"),
        ("1 1 1 " + "00" * 32, "usage 1 (PKIX-EE) is not used by SMTP DANE (RFC 7672 section 3.1.3)"),
        ("7 1 1 " + "00" * 32, "unknown certificate usage 7"),
        ("3 5 1 " + "00" * 32, "unknown selector 5"),
        ("3 1 9 " + "00" * 32, "unknown matching type 9"),
        ("3 1 1 " + "00" * 31, "SHA2-256 data of 31 bytes"),
    ],
)
def test_unusable_records_say_why(text: str, reason: str) -> None:
    m = match_chain([rec(text)], CHAIN)
    assert m.unusable == ((rec(text), reason),) and not m.usable and m.matched is None


def test_pkix_usage_with_the_right_digest_still_does_not_count() -> None:
    # 1 1 1 for the served key: a PKIX-EE record that would match, but SMTP ignores usage 1
    m = match_chain([TlsaRecord(1, 1, 1, association(der(LEAF), 1, 1))], CHAIN)
    assert m.matched is None and m.unusable and not m.usable


def test_digest_agility_the_strongest_digest_decides() -> None:
    good256 = TlsaRecord(3, 1, 1, association(der(LEAF), 1, 1))
    bad512 = TlsaRecord(3, 1, 2, b"\0" * 64)
    m = match_chain([good256, bad512], CHAIN)
    assert m.matched is None and m.ignored == (good256,)
    # another selector is another group: 3 0 1 right + 3 1 2 wrong still matches
    good_cert = TlsaRecord(3, 0, 1, association(der(LEAF), 0, 1))
    assert match_chain([good_cert, bad512], CHAIN).matched == good_cert


def test_record_text_round_trip_and_bad_input() -> None:
    r = rec("3 1 1 AB CD")
    assert r == TlsaRecord(3, 1, 1, b"\xab\xcd") and r.to_text() == "3 1 1 abcd"
    for bad in ("3 1 1", "x 1 1 00", "3 1 1 zz", "300 1 1 00"):
        with pytest.raises(InputError):
            rec(bad)


def test_records_for_current_key_and_issuer() -> None:
    ee, ta = records_for(der(LEAF), issuer_der=der(CA))
    assert ee == TlsaRecord(3, 1, 1, hashlib.sha256(_spki(LEAF)).digest())
    assert ta == TlsaRecord(2, 1, 1, hashlib.sha256(_spki(CA)).digest())


# --- MTA-STS ----------------------------------------------------------------------------------

GOOD = b"version: STSv1\r\nmode: enforce\r\nmx: mx.mail.test\r\nmx: *.backup.mail.test\r\nmax_age: 86400\r\n"


def test_policy_parses() -> None:
    assert parse_policy(GOOD) == Policy("STSv1", Mode.ENFORCE, ("mx.mail.test", "*.backup.mail.test"), 86400)
    assert parse_policy(b"version: STSv1\nmode: none\nmax_age: 0\n") == Policy("STSv1", Mode.NONE, (), 0)
    # unknown keys are ignored, LF line ends are fine
    assert isinstance(parse_policy(GOOD.replace(b"\r\n", b"\n") + b"extension: 1\n"), Policy)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (GOOD.replace(b"STSv1", b"STSv2"), "version is 'STSv2', not 'STSv1'"),
        (GOOD.replace(b"enforce", b"strict"), "mode is 'strict', not enforce, testing or none"),
        (GOOD.replace(b"86400", b"-1"), "max_age is '-1', not a number of seconds"),
        (GOOD.replace(b"86400", b"31557601"), "max_age 31557601 exceeds the limit of 31557600 seconds (one year)"),
        (b"version: STSv1\nmode: enforce\nmax_age: 60\n", "mode enforce but no mx line"),
        (GOOD.replace(b"mx.mail.test\r", b"mx.*.test\r"), "mx pattern 'mx.*.test' is not a host name or *.domain"),
        (GOOD + b"garbage line\n", "line 6 is not 'key: value' ('garbage line')"),
        (b"\xff\xfe", "policy is not UTF-8 text"),
        (GOOD + b"#" * MAX_POLICY_BYTES, f"policy larger than 64 KB ({len(GOOD) + MAX_POLICY_BYTES} bytes)"),
    ],
)
def test_policy_problems(body: bytes, reason: str) -> None:
    assert parse_policy(body) == PolicyProblem(reason)


@pytest.mark.parametrize(
    ("pattern", "host", "ok"),
    [
        ("mx.mail.test", "MX.mail.test.", True),
        ("mx.mail.test", "mx2.mail.test", False),
        ("*.mail.test", "mx.mail.test", True),
        ("*.mail.test", "mail.test", False),
        ("*.mail.test", "a.mx.mail.test", False),
    ],
)
def test_mx_patterns(pattern: str, host: str, ok: bool) -> None:
    assert mx_matches(pattern, host) is ok


def test_txt_record() -> None:
    assert parse_txt(["v=STSv1; id=2024-01-01;"]) == (None, "missing or malformed id (1-32 letters and digits) in 'v=STSv1; id=2024-01-01;'")
    assert parse_txt(["v=STSv1; id=20240101T000000;"]) == ("20240101T000000", "ok")
    assert parse_txt(["v=spf1 -all", "v=STSv1; id=abc123"]) == ("abc123", "ok")
    assert parse_txt(["v=STSv1; id=a", "v=STSv1; id=b"])[0] is None
    assert parse_txt([]) == (None, "no TXT record starting with v=STSv1")


# --- sender verdicts --------------------------------------------------------------------------

STORE = TrustStore([CA], "lab CA")


def _judge(chain=CHAIN, tlsa=None, sts=None, now=NOW, store=STORE):  # type: ignore[no-untyped-def]
    from cryptography import x509

    certs = [x509.load_der_x509_certificate(d) for d in chain]
    leaf = facts_from_certificate(certs[0])
    trust = verify_chain(certs, store, now=now)
    ctx = SenderContext(MX, 25, "192.0.2.25", tuple(chain), tlsa, sts)
    j = judge_senders(ctx, leaf, trust, now=now)
    return {v.client: v for v in j.verdicts}, [f.code for f in j.findings]


def _tlsa(*records: TlsaRecord, status: DnsStatus = DnsStatus.SECURE, host: DnsStatus = DnsStatus.SECURE) -> TlsaLookup:
    return TlsaLookup(f"_25._tcp.{MX}.", status, records, 30, "127.0.0.1:53", "NOERROR, AD=1", host)


CURRENT = TlsaRecord(3, 1, 1, association(der(LEAF), 1, 1))


def test_matching_ee_record_all_dane_senders_deliver() -> None:
    v, codes = _judge(tlsa=_tlsa(CURRENT))
    assert all(x.accepted for x in v.values())
    assert v["postfix-dane"].reason == "DANE-verified: TLSA 3 1 1 " + CURRENT.data.hex()[:16] + "... matches the leaf"
    assert codes == ["dane-no-rollover"]


def test_new_key_without_new_tlsa_dane_senders_refuse_in_their_words() -> None:
    v, codes = _judge(chain=(der(OTHER), der(CA)), tlsa=_tlsa(CURRENT))
    pf = v["postfix-dane"]
    assert not pf.accepted
    assert pf.message == "server certificate verification failed for mx.mail.test[192.0.2.25]:25: num=65:no matching DANE TLSA records"
    assert not v["exim-dane"].accepted and not v["m365-dane"].accepted
    assert v["m365-dane"].message.startswith("5.7.323 tlsa-invalid")
    assert v["gmail-mta-sts"].accepted and v["opportunistic"].accepted  # no DANE there
    assert codes == ["dane-tlsa-mismatch"]


def test_next_key_published_beside_current_no_rollover_warning() -> None:
    nxt = TlsaRecord(3, 1, 1, association(der(OTHER), 1, 1))
    for chain in (CHAIN, (der(OTHER), der(CA))):
        v, codes = _judge(chain=chain, tlsa=_tlsa(CURRENT, nxt))
        assert v["postfix-dane"].accepted and codes == []


def test_bogus_and_failed_lookups_defer() -> None:
    v, codes = _judge(tlsa=_tlsa(status=DnsStatus.BOGUS))
    assert not v["postfix-dane"].accepted and v["postfix-dane"].message == "TLSA lookup error for mx.mail.test:25"
    assert v["exim-dane"].message == "DANE error: tlsa lookup DEFER"
    assert v["opportunistic"].accepted and codes == ["dane-dnssec-bogus"]
    v, codes = _judge(tlsa=_tlsa(CURRENT, host=DnsStatus.BOGUS))
    assert not v["postfix-dane"].accepted and codes == ["dane-dnssec-bogus"]
    v, codes = _judge(tlsa=_tlsa(status=DnsStatus.ERROR))
    assert not v["postfix-dane"].accepted and codes == ["dane-lookup-failed"]


def test_insecure_or_absent_tlsa_means_no_dane() -> None:
    wrong = TlsaRecord(3, 1, 1, b"\0" * 32)
    v, codes = _judge(tlsa=_tlsa(wrong, status=DnsStatus.INSECURE))
    assert all(x.accepted for x in v.values()) and codes == ["dane-insecure"]
    assert "insecure" in v["postfix-dane"].reason
    v, codes = _judge(tlsa=_tlsa())
    assert all(x.accepted for x in v.values()) and codes == ["dane-no-tlsa"]


def test_only_unusable_records_tls_without_authentication() -> None:
    v, codes = _judge(tlsa=_tlsa(rec("7 1 1 " + "00" * 32), rec("1 1 1 " + "00" * 32)))
    assert v["postfix-dane"].accepted and "unknown certificate usage 7" in v["postfix-dane"].reason
    assert codes == ["dane-unusable-records"]


def test_dane_ee_ignores_expiry_and_name_but_microsoft_does_not() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    stale = make_cert(("DNS:other.example",), cn=("other.example",), key=key, days=(-100, -10), issuer=(CA, CA_KEY))
    chain = (der(stale), der(CA))
    v, _ = _judge(chain=chain, tlsa=_tlsa(TlsaRecord(3, 1, 1, association(der(stale), 1, 1))))
    assert v["postfix-dane"].accepted and v["exim-dane"].accepted
    assert not v["m365-dane"].accepted and v["m365-dane"].message.startswith("5.7.322 certificate-expired")


def test_dane_ta_checks_name_and_validity() -> None:
    ta = TlsaRecord(2, 1, 1, association(der(CA), 1, 1))
    v, codes = _judge(tlsa=_tlsa(ta))
    assert v["postfix-dane"].accepted and codes == []
    wrong = make_cert(("DNS:other.example",), cn=("other.example",), issuer=(CA, CA_KEY))
    v, codes = _judge(chain=(der(wrong), der(CA)), tlsa=_tlsa(ta))
    assert v["postfix-dane"].message.endswith("num=62:hostname mismatch") and codes == ["dane-ta-refused"]
    old = make_cert((f"DNS:{MX}",), cn=(MX,), days=(-100, -1), issuer=(CA, CA_KEY))
    v, _ = _judge(chain=(der(old), der(CA)), tlsa=_tlsa(ta))
    assert v["postfix-dane"].message.endswith("num=10:certificate has expired")


def _sts(mode: Mode = Mode.ENFORCE, mx: tuple[str, ...] = (MX,), status: StsStatus = StsStatus.POLICY) -> StsLookup:
    policy = Policy("STSv1", mode, mx, 86400) if status is StsStatus.POLICY else None
    return StsLookup("mail.test", status, policy, "1", "fetched")


def test_mta_sts_enforce() -> None:
    v, codes = _judge(sts=_sts())
    assert v["gmail-mta-sts"].accepted and codes == []
    v, codes = _judge(sts=_sts(mx=("*.elsewhere.test",)))
    assert not v["gmail-mta-sts"].accepted and not v["m365-dane"].accepted and v["postfix-dane"].accepted
    assert codes == ["mta-sts-mx-not-listed"]
    v, codes = _judge(sts=_sts(), store=TrustStore([], "empty store"))
    assert not v["gmail-mta-sts"].accepted and codes == ["mta-sts-certificate"]
    v, codes = _judge(sts=_sts(mode=Mode.TESTING), store=TrustStore([], "empty store"))
    assert v["gmail-mta-sts"].accepted and codes == ["mta-sts-testing-fails"]


def test_dane_wins_over_mta_sts_for_a_sender_doing_both() -> None:
    # TLSA matches, MTA-STS would refuse (untrusted chain): Microsoft 365 uses DANE only
    v, _ = _judge(tlsa=_tlsa(CURRENT), sts=_sts(), store=TrustStore([], "empty"))
    assert v["m365-dane"].accepted and not v["gmail-mta-sts"].accepted


def test_sts_lookups_that_fail_are_findings_not_refusals() -> None:
    v, codes = _judge(sts=_sts(status=StsStatus.UNAVAILABLE))
    assert v["gmail-mta-sts"].accepted and codes == ["mta-sts-unavailable"]
    v, codes = _judge(sts=_sts(status=StsStatus.INVALID))
    assert codes == ["mta-sts-policy-invalid"]


def test_every_sender_row_names_its_proof_and_refusal_words() -> None:
    for p in SENDERS.values():
        assert p.sender is not None and p.source and p.sender.proof
        if p.sender.dane:
            assert {Refusal.TLSA_MISMATCH, Refusal.DNSSEC_BOGUS} <= {r for r, _ in p.sender.words}
