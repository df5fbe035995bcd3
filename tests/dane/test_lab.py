"""mailcert's sender verdicts against a real Postfix DANE sender, a real signed zone (NSD +
ldns), a real validating resolver (Unbound) and an HTTPS MTA-STS policy server.

Every case asks mailcert first (its prediction), then lets the real Postfix deliver, and
compares: the verdict (delivered or deferred) and Postfix's own log line, word for word.
"""

from __future__ import annotations

import time

import pytest

from tests.dane.lab import MX, RES, RES_NV, SMTP_PORT, Lab, codes, result

pytestmark = pytest.mark.integration


def _predicted_line(doc: dict, client: str = "postfix-dane") -> str:  # type: ignore[type-arg]
    r = result(doc, client)
    assert r["message"], r
    return str(r["message"])


def test_renewal_with_new_key_breaks_dane_as_predicted_and_the_rollover_keeps_mail_flowing(lab: Lab) -> None:
    # (a) TLSA 3 1 1 matches: mailcert says the Postfix DANE sender delivers; it does
    lab.publish([lab.receiver_tlsa()])
    doc, _ = lab.check()
    assert result(doc, "postfix-dane")["accepted"] is True
    assert "dane-no-rollover" in codes(doc)
    status, log = lab.send("dane-a")
    assert status == "sent" and "Verified TLS connection established" in log

    # (b) renewal with a fresh key, TLSA not updated: mailcert predicts the refusal in Postfix's words
    old = lab.receiver_tlsa()
    lab.new_receiver_key()
    doc, rc = lab.check()
    assert result(doc, "postfix-dane")["accepted"] is False and rc == 2
    assert "dane-tlsa-mismatch" in codes(doc)
    predicted = _predicted_line(doc)
    status, log = lab.send("dane-b")
    assert status == "deferred"
    assert predicted in log, f"predicted {predicted!r}, Postfix logged:\n{log}"
    assert "status=deferred (Server certificate not verified)" in log

    # (c) the rollover: old and new key published side by side -> delivered, mailcert agrees
    lab.publish([old, lab.receiver_tlsa()])
    doc, _ = lab.check()
    assert result(doc, "postfix-dane")["accepted"] is True and "dane-no-rollover" not in codes(doc)
    status, log = lab.send("dane-c")
    assert status == "sent" and "Verified TLS connection established" in log


def test_bogus_signature_defers_with_postfix_words(lab: Lab) -> None:
    lab.publish([lab.receiver_tlsa()])
    lab.tamper_tlsa()
    doc, rc = lab.check()
    r = result(doc, "postfix-dane")
    assert r["accepted"] is False and "bogus" in r["reason"] and "dane-dnssec-bogus" in codes(doc) and rc == 2
    status, log = lab.send("dane-bogus")
    assert status == "deferred"
    assert _predicted_line(doc) == f"TLSA lookup error for {MX}:{SMTP_PORT}"
    assert _predicted_line(doc) in log, log


def test_unknown_usage_only_means_tls_without_authentication(lab: Lab) -> None:
    hexdata = lab.receiver_tlsa().split()[3]
    lab.publish([f"7 1 1 {'00' * 32}", f"1 1 1 {hexdata}"])  # unknown usage; PKIX-EE (unusable for SMTP)
    doc, _ = lab.check()
    r = result(doc, "postfix-dane")
    assert r["accepted"] is True and "unknown certificate usage 7" in r["reason"]
    assert "dane-unusable-records" in codes(doc)
    status, log = lab.send("dane-unusable")
    assert status == "sent"


def test_digest_agility_a_wrong_sha512_beside_a_right_sha256(lab: Lab) -> None:
    lab.publish([lab.receiver_tlsa(), "3 1 2 " + "ab" * 64])
    doc, _ = lab.check()
    assert result(doc, "postfix-dane")["accepted"] is False
    status, log = lab.send("dane-agility")
    assert status == "deferred" and _predicted_line(doc) in log, log


def test_no_validating_resolver_dane_silently_off(lab: Lab) -> None:
    """The 'missing DS' / unvalidated case: without the AD bit DANE does not apply, and the
    real Postfix delivers despite a stale TLSA record, as mailcert says."""
    lab.publish(["3 1 1 " + "00" * 32])  # matches nothing
    doc, _ = lab.check(resolver=RES_NV)
    r = result(doc, "postfix-dane")
    assert r["accepted"] is True and "insecure" in r["reason"] and "dane-insecure" in codes(doc)
    lab.use_resolver("resolv-nonvalidating.conf")
    try:
        status, log = lab.send("dane-insecure")
    finally:
        lab.ns("umount", "-n", "/etc/resolv.conf")
    assert status == "sent" and "DNSSEC validation may be unavailable" in log


def test_mta_sts_policy_from_the_lab_https_server(lab: Lab) -> None:
    lab.publish([lab.receiver_tlsa()])
    lab.policy(f"version: STSv1\nmode: enforce\nmx: {MX}\nmax_age: 86400\n")
    doc, _ = lab.check()
    assert result(doc, "gmail-mta-sts")["accepted"] is True
    lab.policy("version: STSv1\nmode: enforce\nmx: *.elsewhere.test\nmax_age: 86400\n")
    doc, _ = lab.check()
    g = result(doc, "gmail-mta-sts")
    assert g["accepted"] is False and "mta-sts-mx-not-listed" in codes(doc)
    assert result(doc, "postfix-dane")["accepted"] is True  # DANE decides for a DANE sender
    lab.policy("version: STSv1\nmode: enforce\nmx: " + "x" * 70000 + "\n")
    doc, _ = lab.check()
    assert "mta-sts-unavailable" in codes(doc) and result(doc, "gmail-mta-sts")["accepted"] is True


def test_mailcert_rollover_plan_keeps_dane_mail_flowing(lab: Lab) -> None:
    """mailcert dane -> publish the next key's record -> wait TTL -> deploy: the real Postfix
    DANE sender delivers at every step; a renewal that skips the plan is refused first."""
    ttl = 4
    lab.publish([lab.receiver_tlsa()], ttl=ttl)
    now = lab.cert_dir("now", key=lab.run / "pki" / "mx.key")  # what the receiver serves today (same key)
    r = lab.deploy(now)
    assert r.returncode == 0, r.stderr + r.stdout  # same key: nothing for senders to notice
    dane = lab.mailcert("dane", "--cert", str(now), "--name", MX, "--port", str(SMTP_PORT), "--resolver", RES,
                        "--state-dir", str(lab.run / "state"))
    assert dane.returncode == 0, dane.stderr
    next_key = now / "next-key.pem"
    assert next_key.stat().st_mode & 0o777 == 0o600 and "PRIVATE KEY" not in dane.stdout
    records = [line.split(" IN TLSA ", 1)[1] for line in dane.stdout.splitlines() if " IN TLSA " in line]
    current, nxt = records[0], records[1]
    assert current == lab.receiver_tlsa() and "NOT published" in dane.stdout

    # a renewal with a fresh key, outside the plan: refused before anything changes
    fresh = lab.cert_dir("fresh")
    r = lab.deploy(fresh)
    assert r.returncode == 1 and "matches no TLSA record" in r.stderr, r.stderr
    assert lab.receiver_tlsa() == current
    assert lab.send("plan-1")[0] == "sent"

    # the plan: publish the next key's record beside the current one; too early -> refused
    lab.publish([current, nxt], ttl=ttl)
    renewed = lab.cert_dir("renewed", key=next_key)
    r = lab.deploy(renewed)
    assert r.returncode == 1 and "senders may cache the old records" in r.stderr, r.stderr
    time.sleep(ttl + 0.5)
    r = lab.deploy(renewed)
    assert r.returncode == 0, r.stderr + r.stdout
    assert lab.receiver_tlsa() == nxt
    doc, _ = lab.check()
    assert result(doc, "postfix-dane")["accepted"] is True
    status, log = lab.send("plan-2")
    assert status == "sent" and "Verified TLS connection established" in log

    # --allow-tlsa-break goes ahead and says so; the real sender then defers, as predicted
    r = lab.deploy(fresh, "--allow-tlsa-break")
    assert r.returncode == 0 and "going ahead (--allow-tlsa-break)" in r.stderr, r.stderr
    doc, _ = lab.check()
    predicted = _predicted_line(doc)
    status, log = lab.send("plan-3")
    assert status == "deferred" and predicted in log


def test_scan_domain_shows_dane_and_mta_sts_per_mx(lab: Lab) -> None:
    """scan --domain: the MX found through DNS, checked on port 25 with the sender rows (DANE
    through the validating resolver, MTA-STS for the domain) in its JSON line."""
    import json

    lab.publish(["3 1 1 " + "00" * 32])  # a stale record: DANE senders refuse
    lab.policy(f"version: STSv1\nmode: enforce\nmx: {MX}\nmax_age: 86400\n")
    r = lab.mailcert(
        "scan", "--domain", "mail.test", "--nameserver", RES, "--resolver", RES, "--cafile", str(lab.run / "pki/ca.crt"),
        "--db", f"sqlite:///{lab.run}/inventory.sqlite3", "--out", str(lab.run / "scan.jsonl"), "--quiet",
    )
    assert r.returncode in (1, 2), r.stderr
    from tests.schemas import validate

    line = validate(json.loads((lab.run / "scan.jsonl").read_text().splitlines()[0]), "scan-line")
    assert line["target"] == f"smtp://{MX}:25"
    by_client = {v["client"]: v for v in line["results"]}
    assert by_client["postfix-dane"]["accepted"] is False
    assert by_client["postfix-dane"]["message"].endswith(f"{MX}[127.0.0.1]:25: num=65:no matching DANE TLSA records")
    assert by_client["gmail-mta-sts"]["accepted"] is True and by_client["opportunistic"]["accepted"] is True
    assert "dane-tlsa-mismatch" in [f["code"] for f in line["findings"]]


def test_real_mta_sts_sender_agrees(lab: Lab) -> None:
    """Postfix + postfix-mta-sts-resolver (a real MTA-STS-enforcing sender): its answer replaces
    DANE for the domain, as mailcert's postfix-mta-sts row says; an untrusted certificate under an
    enforce policy is deferred, in the words mailcert predicted."""
    if not lab.has_mta_sts_sender:
        from tests.servers.fixtures import in_ci

        if in_ci():
            pytest.fail("postfix-mta-sts-resolver is not installed (pip install -e .[test])")
        pytest.skip("postfix-mta-sts-resolver is not installed")
    lab.publish(["3 1 1 " + "00" * 32])  # stale TLSA: DANE alone would defer
    lab.policy(f"version: STSv1\nmode: enforce\nmx: {MX}\nmax_age: 86400\n")
    lab.mta_sts_sender(True)
    try:
        doc, _ = lab.check()
        assert result(doc, "postfix-dane")["accepted"] is False
        assert result(doc, "postfix-mta-sts")["accepted"] is True
        status, _ = lab.send("sts-override")
        assert status == "sent"

        lab.self_signed_receiver()
        lab.publish([lab.receiver_tlsa()])  # DANE would now pass; MTA-STS must still refuse
        doc, _ = lab.check()
        assert result(doc, "postfix-dane")["accepted"] is True
        r = result(doc, "postfix-mta-sts")
        assert r["accepted"] is False and "not trusted" in r["reason"]
        status, log = lab.send("sts-untrusted")
        assert status == "deferred" and _predicted_line(doc, "postfix-mta-sts") in log, log
    finally:
        lab.mta_sts_sender(False)
