"""A remembered diagnosis is the diagnosis: the doctor's memo against a fresh judgement at
every time where an answer may change (each validity bound of the chain and the anchor, a
second and half a second either side, and the days where an expiry warning flips), and on
every URL a fleet serves one certificate for one name at (ports, protocols, hosts): one
judgement for all of them, each target's JSON line and inventory row byte for byte a fresh
judgement's, with its own URL where a finding quotes one."""

from __future__ import annotations

import dataclasses
import datetime as dt
import shlex
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric import ec

from mailcert.certs.chain import TrustStore
from mailcert.assess import judge_certificate
from mailcert.doctor import NotProbed, diagnose
from mailcert.findings import FACT_LIMIT
from mailcert.judgement import Judgement
from mailcert.model import TlsMode, parse_target
from mailcert.names import PROFILES
from mailcert.probe.driver import ProbeResult, SniPair
from mailcert.report.scanline import line
from mailcert.scan.inventory import Inventory
from mailcert.scan.runner import ScanResult, _verdict
from mailcert.scan.targets import Target
from mailcert.senders import sender_profiles, with_senders
from mailcert.textsafe import shorten
from tests.factory import NOW, chain_cert, der
from tests.scan.helpers import whole_line

NAME = "mail.example.com"
DAY = dt.timedelta(days=1)
SECOND = dt.timedelta(seconds=1)
NOT_PROBED = NotProbed("not probed")  # exceptions compare by identity: one for every pair


@dataclass(frozen=True)
class ClockedJudgement(Judgement):
    """One judgement whose clock the test moves (a long scan's judgement: ``now`` is None)."""

    ticks: list[dt.datetime] = field(default_factory=list, compare=False)

    def clock(self) -> dt.datetime:
        return self.ticks[-1]


def _chain() -> tuple[tuple[bytes, ...], TrustStore, dt.datetime]:
    """Root (the anchor), intermediate and leaf, each with bounds of its own; the leaf's notAfter."""
    key = ec.generate_private_key(ec.SECP256R1())
    # the anchor expires first (its bounds alone change the chain's trust), the leaf starts first
    root = chain_cert("Memo Root", key=key, not_before=NOW - 5 * DAY, not_after=NOW + 20 * DAY, ca=True)
    inter = chain_cert("Memo Intermediate", root, key=key, not_before=NOW - 300 * DAY, not_after=NOW + 60 * DAY, ca=True)
    leaf_after = NOW + 40 * DAY
    leaf = chain_cert(NAME, inter, key=key, not_before=NOW - 10 * DAY, not_after=leaf_after, san=(NAME,))
    return (der(leaf.cert), der(inter.cert)), TrustStore([root.cert], "memo store"), leaf_after


def _times(chain: tuple[bytes, ...], store: TrustStore, leaf_after: dt.datetime, warn: int, critical: int) -> list[dt.datetime]:
    from cryptography import x509

    certs = [x509.load_der_x509_certificate(d) for d in chain] + list(store.anchors)
    bounds = [t for c in certs for t in (c.not_valid_before_utc, c.not_valid_after_utc)]
    # the days-left thresholds: a warning starts, turns critical, and its day count changes
    bounds += [leaf_after - n * DAY for n in (warn + 1, warn, warn - 1, critical + 1, critical, critical - 1)]
    # a second either side and its halves: the validators may drop the fraction; and under a
    # millisecond past a bound, then over one: the JDK's clock counts whole milliseconds, so it
    # keeps a certificate valid at 0.4 ms past its notAfter and not at 1.5 ms
    halves = {b + n * SECOND / 2 for b in bounds for n in range(-4, 5)}
    return sorted(halves | {b + dt.timedelta(microseconds=us) for b in bounds for us in (400, 1500)})


def test_a_remembered_diagnosis_equals_a_fresh_one_at_every_bound_and_threshold() -> None:
    chain, store, leaf_after = _chain()
    warn, critical = 30, 7
    profiles = tuple(PROFILES.values())
    endpoint = parse_target(f"imaps://{NAME}:993")
    served = ProbeResult(endpoint, ("192.0.2.7", 993), NAME, chain, True, "TLSv1.3", "TLS_AES_128_GCM_SHA256",
                         None, "* OK ready", None, (), (), 0.01)
    pair = SniPair(NAME, served, NOT_PROBED)
    clocked = ClockedJudgement(profiles, store, None, warn, critical)
    seen_codes: set[str] = set()
    statuses: set[str] = set()
    trusted: set[bool] = set()
    for i, t in enumerate(_times(chain, store, leaf_after, warn, critical)):
        clocked.ticks.append(t)
        remembered = diagnose(pair, (NAME,), clocked)
        again = diagnose(pair, (NAME,), clocked)
        fresh = diagnose(pair, (NAME,), Judgement(profiles, store, t, warn, critical))  # a new judgement: never remembered
        assert again.assessment.results is remembered.assessment.results  # the repeat came from the memo
        assert remembered == fresh, f"at {t.isoformat()}"
        # a name never asked before: judged anew on the certificate's part remembered for this moment
        other = (f"n{i}.example.com",)
        assert diagnose(pair, other, clocked) == diagnose(pair, other, Judgement(profiles, store, t, warn, critical)), f"at {t.isoformat()}"
        seen_codes.update(f.code for f in fresh.assessment.findings)
        statuses.add(fresh.assessment.status.name)
        trusted.add(fresh.trust.trusted)
    # the times cross what they should: expiry warnings at both thresholds, expiry, not yet
    # valid, and the chain's trust
    assert {"expiring-soon", "expiring-critical", "expired", "not-yet-valid"} <= seen_codes
    assert {"WARNING", "CRITICAL"} <= statuses and trusted == {True, False}


def test_a_changed_connection_is_judged_with_the_remembered_chain() -> None:
    """The connection's own findings (an old TLS version) join a remembered judgement."""
    chain, store, _ = _chain()
    endpoint = parse_target(f"imaps://{NAME}:993")
    judgement = Judgement(tuple(PROFILES.values()), store, NOW, 30)

    def probed(version: str) -> SniPair:
        served = ProbeResult(endpoint, ("192.0.2.7", 993), NAME, chain, True, version, "AES128-SHA",
                             None, "* OK ready", None, (), (), 0.01)
        return SniPair(NAME, served, NOT_PROBED)

    modern = diagnose(probed("TLSv1.3"), (NAME,), judgement)
    old = diagnose(probed("TLSv1"), (NAME,), judgement)
    fresh_old = diagnose(probed("TLSv1"), (NAME,), Judgement(tuple(PROFILES.values()), store, NOW, 30))
    assert old.assessment.results is modern.assessment.results
    assert "old-tls-version" in [f.code for f in old.assessment.findings]
    assert "old-tls-version" not in [f.code for f in modern.assessment.findings]
    assert old == fresh_old


def test_a_huge_chain_is_judged_each_time_not_kept() -> None:
    """A hostile server's megabytes of names are judged again rather than kept in memory."""
    key = ec.generate_private_key(ec.SECP256R1())
    names = [f"host-{i:05d}.a-rather-long-label-for-size.example.com" for i in range(1500)]  # about 80 KB of SAN
    leaf = chain_cert(NAME, key=key, not_before=NOW - DAY, not_after=NOW + 90 * DAY, san=(NAME, *names))
    chain = (der(leaf.cert),)
    assert len(chain[0]) > 64 * 1024
    endpoint = parse_target(f"imaps://{NAME}:993")
    served = ProbeResult(endpoint, ("192.0.2.7", 993), NAME, chain, True, "TLSv1.3", "TLS_AES_128_GCM_SHA256",
                         None, "* OK ready", None, (), (), 0.01)
    judgement = Judgement(tuple(PROFILES.values()), TrustStore([leaf.cert], "memo store"), NOW, 30)
    first, second = (diagnose(SniPair(NAME, served, NOT_PROBED), (NAME,), judgement) for _ in range(2))
    assert first == second and first.assessment.results is not second.assessment.results


# -- one certificate for one name on many URLs: a host's ports, protocols and addresses

HOSTILE = "\u202egnp.exe\x85\x1b[31m\u200f\"\\';rm -rf ~;'"  # bidi override, C1 NEL, an escape, quotes, a shell command
PORTS = ("imaps://{}:993", "pop3s://{}:995", "smtps://{}:465", "smtp://{}:25", "submission://{}:587", "imap://{}:143")
# where each was reached: two hosts behind the name, IPv6 (bracketed in the URL), and addresses
# no socket gives, so hostile text and the fact limit are met in the URL too
ADDRESSES = ("192.0.2.7", "192.0.2.8", "2001:db8::7", f"198.51.100.9{HOSTILE}", "203.0.113.5" + "7" * 1200)


def _fleet_chains() -> dict[str, tuple[tuple[bytes, ...], TrustStore]]:
    """Chains whose findings quote the URL each way, and one whose findings quote none."""
    key = ec.generate_private_key(ec.SECP256R1())
    span = {"key": key, "not_before": NOW - 10 * DAY, "not_after": NOW + 20 * DAY}  # expiring soon: one more finding
    root = chain_cert("Fleet Root", **{**span, "not_after": NOW + 900 * DAY}, ca=True)
    inter = chain_cert("Fleet Intermediate", root, **{**span, "not_after": NOW + 800 * DAY}, ca=True)
    trusted, elsewhere = TrustStore([root.cert], f"store {HOSTILE}"), TrustStore([inter.cert], "another store")
    leaf = chain_cert(NAME, inter, **span, san=(NAME,))
    second = chain_cert(NAME, inter, **span, san=("webmail.example.com", NAME))  # Outlook 2007 reads the first only
    alone = chain_cert(NAME, **span, san=(NAME,))
    return {
        "trusted": ((der(leaf.cert), der(inter.cert)), trusted),  # no finding quotes the URL
        "first-san-not-name": ((der(second.cert), der(inter.cert)), trusted),  # `cert fix URL`
        "untrusted root": ((der(leaf.cert), der(inter.cert)), TrustStore([alone.cert], "elsewhere")),  # `check URL --cafile`
        "incomplete": ((der(leaf.cert),), trusted),  # the URL in the facts only
        "self-signed": ((der(alone.cert),), elsewhere),
        "both": ((der(second.cert),), trusted),  # first-san-not-name and chain-incomplete at once
    }


def _scanned(target: Target, pair: SniPair, judgement: Judgement) -> ScanResult:
    """The target's result as the scan makes it: the diagnosis, the sending servers' rows on
    port 25 (no DNS here: TLSA not looked up), the result's flat fields."""
    d = diagnose(pair, (target.name,) if target.name else (), judgement)
    assert target.endpoint is not None
    if target.endpoint.port == 25:
        d = with_senders(d, None, None, now=NOW, profiles=sender_profiles())
    return dataclasses.replace(_verdict(target, d, 0.0125), checked_at=NOW)


def _targets(name: str, host: str, chain: tuple[bytes, ...]) -> list[tuple[Target, SniPair]]:
    out = []
    for address in ADDRESSES:
        for url in PORTS:
            endpoint = parse_target(url.format(host))
            starttls = None if endpoint.mode is TlsMode.IMPLICIT else True
            served = ProbeResult(endpoint, (address, endpoint.port), name or None, chain, True, "TLSv1.3",
                                 "TLS_AES_128_GCM_SHA256", starttls, f"* OK {HOSTILE}", None, (), (), 0.01)
            out.append((Target(endpoint.url, name, endpoint), SniPair(name, served, NOT_PROBED)))
    return out


def _rows(db: str, results: list[ScanResult]) -> list[tuple[object, ...]]:
    """The inventory rows of ``results`` as stored, every column but the row's and scan's ids."""
    with Inventory.open(db) as inv:
        scan_id = inv.begin_scan({}, targets=len(results), now=NOW)
        inv.add_results(scan_id, results)
        with inv.engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT * FROM results WHERE scan_id = :s ORDER BY id"), {"s": scan_id}).mappings().all()
    return [tuple(v for k, v in row.items() if k not in ("id", "scan_id")) for row in rows]


@pytest.mark.parametrize("case", ["trusted", "first-san-not-name", "untrusted root", "incomplete", "self-signed", "both"])
def test_one_judgement_serves_every_url_of_a_name_and_each_line_is_the_fresh_one(case: str, tmp_path: Path) -> None:
    """A name's certificate on 6 ports and protocols (implicit TLS and STARTTLS, SMTP port 25
    with its senders' rows) at 5 addresses: judged once, and every target's JSON line and
    inventory row byte for byte what a judgement made afresh for that target writes, its own
    URL in the findings that quote one (shell-quoted in the remedies, escaped in JSON, cut
    past the fact limit as any fact is)."""
    chain, store = _fleet_chains()[case]
    profiles = tuple(PROFILES.values())
    scan_judgement = Judgement(profiles, store, NOW, 30, 7)
    for name, host in ((NAME, NAME), (f"{NAME}{HOSTILE}", NAME), ("", NAME)):  # no name typed: the host is judged
        remembered, fresh = [], []
        for target, pair in _targets(name, host, chain):
            remembered.append(_scanned(target, pair, scan_judgement))
            fresh.append(_scanned(target, pair, Judgement(profiles, store, NOW, 30, 7)))  # a new judgement: never remembered
        first = remembered[0].diagnosis
        assert first is not None
        for r, f in zip(remembered, fresh):
            assert r.diagnosis is not None and f.diagnosis is not None
            assert r.diagnosis == f.diagnosis
            assert line(r) == line(f) == whole_line(r)
            if r.target.endpoint is not None and r.target.endpoint.port != 25:  # the senders' rows extend the results
                assert r.diagnosis.assessment.results is first.assessment.results  # from the memo
        assert _rows(f"sqlite:///{tmp_path / 'remembered.sqlite3'}", remembered) == _rows(f"sqlite:///{tmp_path / 'fresh.sqlite3'}", fresh)
        # each line quotes its own URL, never another target's (and the cases quote one as named)
        quoted = [_quoted_urls(r) for r in remembered]
        assert all(q <= {_reached(r)} for q, r in zip(quoted, remembered)), quoted
        expected = case != "trusted" and (case != "first-san-not-name" or name == NAME)  # Outlook 2007 reads a typed name
        assert all(quoted) if expected else not any(quoted)


def _reached(r: ScanResult) -> str:
    assert r.diagnosis is not None
    served = r.diagnosis.served
    host = served.address[0]
    url = f"{served.endpoint.url.partition('://')[0]}://{f'[{host}]' if ':' in host else host}:{served.address[1]}"
    return shorten(url, FACT_LIMIT)


def _quoted_urls(r: ScanResult) -> set[object]:
    """The URLs the result's findings quote (``file`` of first-san-not-name, ``target`` of the chain's)."""
    return {f.facts[k] for f in r.findings for k in ("file", "target") if k in f.facts and f.code in _QUOTING}


_QUOTING = {"first-san-not-name", "chain-self-signed", "chain-incomplete", "chain-untrusted-root", "chain-broken"}


def test_a_remembered_judgement_never_carries_one_targets_url_into_anothers_line() -> None:
    """Three addresses of one name in turn, then the first again: each line names the URL it
    was reached at, in the facts, the remedy's command and the JSON text, and no other."""
    chain, store = _fleet_chains()["both"]
    judgement = Judgement(tuple(PROFILES.values()), store, NOW, 30, 7)
    addresses = ("198.51.100.1", "203.0.113.2", "2001:db8::3", "198.51.100.1")
    lines, results = [], []
    for address in addresses:
        endpoint = parse_target(f"imaps://{NAME}:993")
        served = ProbeResult(endpoint, (address, 993), NAME, chain, True, "TLSv1.3", "TLS_AES_128_GCM_SHA256",
                             None, "* OK", None, (), (), 0.01)
        result = _scanned(Target(endpoint.url, NAME, endpoint), SniPair(NAME, served, NOT_PROBED), judgement)
        results.append(result)
        lines.append(line(result))
    assert all(r.diagnosis is not None and r.diagnosis.assessment.results is results[0].diagnosis.assessment.results  # type: ignore[union-attr]
               for r in results)
    for address, text in zip(addresses, lines):
        own = f"[{address}]" if ":" in address else address
        assert f'"file":"imaps://{own}:993"' in text and f"mailcert cert fix {shlex.quote(f'imaps://{own}:993')} " in text
        assert [a for a in set(addresses) if (f"[{a}]" if ":" in a else a) in text] == [address]
        assert "imaps://URL" not in text and '"URL"' not in text
    assert lines[0] == lines[3]


def test_the_certificate_is_judged_once_for_every_name_it_serves(monkeypatch: pytest.MonkeyPatch) -> None:
    """A wildcard for many names: each client's refusals, the chain's trust and the findings
    of no name are judged once; each name's verdicts and findings on top are a fresh judgement's."""
    from mailcert import doctor

    key = ec.generate_private_key(ec.SECP256R1())
    root = chain_cert("Wildcard Root", key=key, not_before=NOW - 9 * DAY, not_after=NOW + 900 * DAY, ca=True)
    leaf = chain_cert("*.example.com", root, key=key, not_before=NOW - DAY, not_after=NOW + 20 * DAY, san=("*.example.com",))
    chain, store = (der(leaf.cert),), TrustStore([root.cert], "wildcard store")  # root not sent: a finding quotes the URL
    made: list[object] = []
    monkeypatch.setattr(doctor, "judge_certificate", lambda *a, **kw: made.append(a) or judge_certificate(*a, **kw))
    profiles = tuple(PROFILES.values())
    judgement = Judgement(profiles, store, NOW, 30, 7)
    names = ("mail.example.com", "imap.example.com", "a.b.example.com", f"x{HOSTILE}.example.com", "example.com")
    for name in names:
        for target, pair in _targets(name, NAME, chain)[:3]:
            remembered = _scanned(target, pair, judgement)
            before = len(made)
            fresh = _scanned(target, pair, Judgement(profiles, store, NOW, 30, 7))
            assert len(made) == before + 1  # a new judgement judges the certificate again
            assert remembered.diagnosis == fresh.diagnosis and line(remembered) == line(fresh) == whole_line(remembered)
    assert len(made) == 1 + len(names) * 3


def test_the_certificate_without_sni_is_its_own_judgement() -> None:
    """The same SNI chain with and without another default certificate (the one Outlook 2007 gets,
    without SNI): each remembered judgement is the fresh one, never the other's."""
    chain, store, _ = _chain()
    key = ec.generate_private_key(ec.SECP256R1())
    default = chain_cert("default.example.net", key=key, not_before=NOW - DAY, not_after=NOW + 90 * DAY, san=("default.example.net",))
    endpoint = parse_target(f"imaps://{NAME}:993")

    def probed(leaf_chain: tuple[bytes, ...], sni: str | None) -> ProbeResult:
        return ProbeResult(endpoint, ("192.0.2.7", 993), sni, leaf_chain, True, "TLSv1.3", "TLS_AES_128_GCM_SHA256",
                           None, "* OK", None, (), (), 0.01)

    pairs = (SniPair(NAME, probed(chain, NAME), NOT_PROBED), SniPair(NAME, probed(chain, NAME), probed((der(default.cert),), None)))
    profiles = tuple(PROFILES.values())
    judgement = Judgement(profiles, store, NOW, 30)
    outlook = []
    for pair in (*pairs, *pairs):
        remembered = diagnose(pair, (NAME,), judgement)
        assert remembered == diagnose(pair, (NAME,), Judgement(profiles, store, NOW, 30))
        outlook.append(next(v.accepted for v in remembered.assessment.results if v.client == "outlook2007"))
    assert outlook == [True, False, True, False]
