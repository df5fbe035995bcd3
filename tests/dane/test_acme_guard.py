"""acme issue/renew with the TLSA guard, against a real Pebble: a fresh key no published record
names is not installed; --reuse-key and the pre-generated next key (once its record has been
out a TTL) are; --allow-tlsa-break installs and says so.  The DNS answer is passed in as a value
(the lab tests ask a real validating resolver through the CLI path of deploy)."""

from __future__ import annotations

import datetime as dt
import hashlib
import stat
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, load_pem_private_key

from mailcert.certs.build import KeyType, key_to_pem, new_key, public_key_der
from mailcert.certs.tlsa import DnsStatus, TlsaLookup, TlsaRecord, association
from mailcert.issue.clock import SystemClock
from mailcert.issue.issuer import IssueRequest, IssueStatus, issue
from mailcert.issue.state import ChallengeSpec
from mailcert.rollover import GuardResult, judge_switch
from tests.servers.pebble import PebbleServer

pytestmark = pytest.mark.integration
NAME = "mx.contoso.com"


class Zone:
    """What a validating resolver would answer for _25._tcp.NAME, and when each record was first seen."""

    def __init__(self) -> None:
        self.records: list[TlsaRecord] = []
        self.first_seen: dict[str, dt.datetime] = {}
        self.ttl = 300

    def publish(self, record: TlsaRecord, *, age: float) -> None:
        self.records.append(record)
        self.first_seen[record.to_text()] = dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=age)

    def guard(self, new: Sequence[bytes], current: Sequence[bytes] | None) -> GuardResult:
        lookup = TlsaLookup(f"_25._tcp.{NAME}.", DnsStatus.SECURE, tuple(self.records), self.ttl, "test", "NOERROR, AD=1")
        return judge_switch(new, current, lookup, self.first_seen, self.ttl, now=dt.datetime.now(dt.timezone.utc))


def _spki_record(key_pem: bytes) -> TlsaRecord:
    """3 1 1 for a key that has no certificate yet (the next key)."""
    key = load_pem_private_key(key_pem, None)
    return TlsaRecord(3, 1, 1, hashlib.sha256(public_key_der(key)).digest())  # type: ignore[arg-type]


def _leaf_record(out: Path) -> TlsaRecord:
    cert = x509.load_pem_x509_certificate((out / "cert.pem").read_bytes())
    return TlsaRecord(3, 1, 1, association(cert.public_bytes(Encoding.DER), 1, 1))


def test_acme_renewals_never_break_a_published_tlsa_record(pebble: PebbleServer, tmp_path: Path) -> None:
    state, out = tmp_path / "state", tmp_path / "out"
    request = IssueRequest(
        names=(NAME,), directory=pebble.directory_url, out=out, key_type=KeyType.ECDSA_P256,
        challenge=ChallengeSpec(method="http", http_port=pebble.http_port, http_address="127.0.0.1"),
        ca_bundle=str(pebble.listener_ca_path), agree_tos=True, timeout=30,
    )
    say: list[str] = []
    first = issue(request, state=state, clock=SystemClock(), env={}, say=say.append)
    assert first.status is IssueStatus.INSTALLED
    zone = Zone()
    zone.publish(_leaf_record(out), age=3600)
    installed = {p.name: p.read_bytes() for p in out.iterdir()}

    # a renewal with a fresh key: issued, but not installed; out unchanged, the result kept aside
    fresh = issue(request, state=state, clock=SystemClock(), env={}, say=say.append, tlsa_guard=zone.guard)
    assert fresh.status is IssueStatus.TLSA_REFUSED and not fresh.tlsa_ok
    assert "matches no TLSA record" in fresh.tlsa[0]
    assert {p.name: p.read_bytes() for p in out.iterdir()} == installed
    assert fresh.kept_in is not None and stat.S_IMODE((fresh.kept_in / "key.pem").stat().st_mode) == 0o600

    # --reuse-key: the same key, the published record still names it
    reuse = replace(request, key_pem=(out / "key.pem").read_bytes())
    again = issue(reuse, state=state, clock=SystemClock(), env={}, say=say.append, tlsa_guard=zone.guard)
    assert again.status is IssueStatus.INSTALLED and again.tlsa_ok
    assert _leaf_record(out) == zone.records[0]

    # the next key: refused while its record is younger than the TTL, installed after
    next_pem = key_to_pem(new_key(KeyType.ECDSA_P256))
    (out / "next-key.pem").write_bytes(next_pem)
    zone.publish(_spki_record(next_pem), age=10)
    use_next = replace(request, key_pem=next_pem, consume_next_key=True)
    early = issue(use_next, state=state, clock=SystemClock(), env={}, say=say.append, tlsa_guard=zone.guard)
    assert early.status is IssueStatus.TLSA_REFUSED and "senders may cache the old records" in early.tlsa[0]
    zone.first_seen[_spki_record(next_pem).to_text()] -= dt.timedelta(seconds=zone.ttl)
    switched = issue(use_next, state=state, clock=SystemClock(), env={}, say=say.append, tlsa_guard=zone.guard)
    assert switched.status is IssueStatus.INSTALLED and _leaf_record(out) == _spki_record(next_pem)
    assert not (out / "next-key.pem").exists()  # it is key.pem now

    # --allow-tlsa-break: installed, and the outcome says the guard objected
    forced = issue(replace(request, allow_tlsa_break=True), state=state, clock=SystemClock(), env={}, say=say.append, tlsa_guard=zone.guard)
    assert forced.status is IssueStatus.INSTALLED and not forced.tlsa_ok
    assert _leaf_record(out) not in zone.records
