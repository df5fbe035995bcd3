"""The rollover guard's judgement (pure) and ``mailcert dane`` / option errors (no network)."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from mailcert.certs.tlsa import DnsStatus, TlsaLookup, TlsaRecord, association
from mailcert.cli import main
from mailcert.rollover import SeenStore, judge_switch
from tests.factory import NOW, der, key_pem, make_cert, pem

CA_KEY = ec.generate_private_key(ec.SECP256R1())
CA = make_cert(("DNS:ca.test",), cn=("CA",), ca=True, key=CA_KEY)
OLD = (der(make_cert(key=ec.generate_private_key(ec.SECP256R1()), issuer=(CA, CA_KEY))), der(CA))
NEW = (der(make_cert(key=ec.generate_private_key(ec.SECP256R1()), issuer=(CA, CA_KEY))), der(CA))


def ee(chain: tuple[bytes, ...]) -> TlsaRecord:
    return TlsaRecord(3, 1, 1, association(chain[0], 1, 1))


def lookup(*records: TlsaRecord, status: DnsStatus = DnsStatus.SECURE, ttl: int = 300) -> TlsaLookup:
    return TlsaLookup("_25._tcp.mail.example.com.", status, records, ttl, "127.0.0.1:53", "NOERROR, AD=1")


def test_new_key_without_record_is_refused_with_the_record_to_publish() -> None:
    g = judge_switch(NEW, OLD, lookup(ee(OLD)), {}, 300, now=NOW)
    assert not g.ok and "matches no TLSA record" in g.lines[0]
    assert f"_25._tcp.mail.example.com. IN TLSA {ee(NEW).to_text()}" in g.lines[1]


def test_record_younger_than_ttl_waits_older_goes() -> None:
    seen = {ee(NEW).to_text(): NOW - dt.timedelta(seconds=100)}
    g = judge_switch(NEW, OLD, lookup(ee(OLD), ee(NEW)), seen, 300, now=NOW)
    assert not g.ok and "install at" in g.lines[1]
    g = judge_switch(NEW, OLD, lookup(ee(OLD), ee(NEW)), seen, 60, now=NOW)
    assert g.ok


def test_same_key_is_no_switch_even_when_first_seen_now() -> None:
    g = judge_switch(OLD, OLD, lookup(ee(OLD)), {ee(OLD).to_text(): NOW}, 300, now=NOW)
    assert g.ok


def test_issuer_record_covers_a_new_key_from_the_same_ca() -> None:
    ta = TlsaRecord(2, 1, 1, association(der(CA), 1, 1))
    assert judge_switch(NEW, OLD, lookup(ta), {}, 300, now=NOW).ok


@pytest.mark.parametrize(
    ("status", "words"),
    [(DnsStatus.INSECURE, "DANE does not apply"), (DnsStatus.BOGUS, "is bogus"), (DnsStatus.ERROR, "not checked")],
)
def test_when_dane_does_not_depend_on_the_key_the_guard_lets_it_through_and_says_why(status: DnsStatus, words: str) -> None:
    g = judge_switch(NEW, OLD, lookup(ee(OLD), status=status), {}, 300, now=NOW)
    assert g.ok and len(g.lines) == 1 and words in g.lines[0]


def test_seen_store_keeps_first_sighting_and_largest_ttl(tmp_path: Path) -> None:
    store = SeenStore(tmp_path)
    first, ttl = store.observe(lookup(ee(OLD), ttl=300), NOW)
    later, ttl2 = store.observe(lookup(ee(OLD), ee(NEW), ttl=12), NOW + dt.timedelta(hours=1))
    assert later[ee(OLD).to_text()] == first[ee(OLD).to_text()] == NOW
    assert later[ee(NEW).to_text()] == NOW + dt.timedelta(hours=1) and ttl2 == 300
    assert store.path.stat().st_mode & 0o777 == 0o600


def test_dane_command_prints_records_and_keeps_a_0600_next_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cert = make_cert(("DNS:mail.example.com",), cn=("mail.example.com",))
    (tmp_path / "fullchain.pem").write_bytes(pem(cert))
    (tmp_path / "key.pem").write_bytes(key_pem())
    assert main(["dane", "--cert", str(tmp_path), "--no-lookup"]) == 0
    out = capsys.readouterr().out
    nxt = tmp_path / "next-key.pem"
    assert nxt.stat().st_mode & 0o777 == 0o600 and "PRIVATE KEY" not in out
    assert f"_25._tcp.mail.example.com. IN TLSA {ee((der(cert),)).to_text()}" in out
    before = nxt.read_bytes()
    assert main(["dane", "--cert", str(tmp_path), "--no-lookup", "--port", "465"]) == 0
    assert nxt.read_bytes() == before and "_465._tcp.mail.example.com." in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv",
    [
        ["check", "smtp://127.0.0.1:1", "--resolver", "dns.example"],  # said before any connection
        ["check", "smtp://127.0.0.1:1", "--dane", "--resolver", "127.0.0.1:99999"],
        ["dane", "--cert", "/nonexistent-dir", "--no-lookup"],
        ["dane", "--cert", ".", "--port", "0"],
    ],
)
def test_bad_input_is_one_line(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 3
    err = capsys.readouterr().err.strip()
    assert err and "\n" not in err and "Traceback" not in err
    if "--resolver" in argv:
        assert "--resolver" in err


def test_reuse_key_without_a_key_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["acme", "issue", "--name", "mail.example.com", "--directory", "https://127.0.0.1:1/dir", "--out", str(tmp_path),
               "--next-key", "--state-dir", str(tmp_path / "state")])
    err = capsys.readouterr().err
    assert rc == 3 and "next-key.pem: no such file (make one first: mailcert dane --cert" in err
    assert os.listdir(tmp_path) in ([], ["state"])
