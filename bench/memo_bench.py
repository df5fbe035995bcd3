"""Per target of a fleet scan, offline: the diagnosis, the JSON line and the inventory's findings
column, for N names each served on 4 ports (imaps 993, pop3s 995, smtps 465, smtp 25
STARTTLS), every port of a name serving the same certificate.

What a scan does per target once the handshake is over (``scan.runner.check_target`` after the
probe, ``report.scanline.line``, the inventory's ``findings`` column), without sockets: the
probe results are made up front, so the figure is the judgement's and the writing's CPU alone.

Four fleets, each with fresh leaves for every pass (nothing remembered from a previous pass
answers: a new scan process meets its certificates for the first time):

- "trusted": a private CA's leaf, its root in the trust store, the name first in the SAN: no
  finding quotes where the server was reached;
- "untrusted root": the same chain judged without its root in the store: ``chain-untrusted-root``
  tells the administrator to run ``mailcert check URL --cafile``, with the URL of each port;
- "outlook": the typed name second in the SAN (``first-san-not-name`` quotes the URL in its
  ``cert fix`` remedy) under the untrusted root;
- "wildcard": one wildcard leaf for every name (a hosting company's): a name's first port is
  a name never asked before on a certificate already judged.

``--fresh`` judges every target as if it were the first (a new judgement object per target, so
no memory of the doctor's or the line's answers): the floor a remembered judgement is measured
against.  Times are CPU time of this process, µs per target (the machine is shared).

Figures (50 names x 4 ports, 24 profiles, December 2026, 2 shared cores at load 2.5-2.8; the
code before and after alternated in the same minutes), µs of CPU per target, whole fleet
(a name's first port / its other three):

    fleet            before (URL in the memo's key)   after (the URL placed per target)
    trusted          1,620-1,680 (3,900-4,040 / 855-885)   1,110-1,115 (4,050-4,070 / 127-128)
    untrusted root   2,140-2,150 (4,450-4,480 / 1,365)      1,335-1,365 (4,550-4,660 / 263-268)
    outlook          2,345-2,440 (4,890-5,070 / 1,530-1,560) 1,535-1,600 (5,020-5,225 / 368-388)

Before, every port was judged afresh (its URL was in the memo's key); after, a name's other
ports take the remembered judgement and write only what is theirs: the connection's keys, and
where a finding quotes the URL (the untrusted and outlook fleets) that one finding's words and
JSON (about 60 µs: its templates filled with the URL shell-quoted, its JSON text) and the
inventory's findings column (about 18 µs).  The first port of a name costs what it did
(the certificate met for the first time: the validators, the facts, the name rules).

The wildcard fleet, before and after the doctor also remembers what it judges of a certificate
before any name (each client's refusals, the chain's trust, the findings of no name:
``assess.judge_certificate``) apart from the names' verdicts (200 names, 3 runs alternated,
load 3.3-3.4): 459-472 -> 402-411 per target, a new name on the known certificate 1,460-1,515
-> 1,230-1,270 (what is left is the name's own: 24 profiles' name rules, about 390, and its
verdicts' JSON, 175-245).

    .venv/bin/python bench/memo_bench.py [--names 50] [--passes 5] [--fresh] [--fleet wildcard]
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mailcert.certs.build import TestCA  # noqa: E402
from mailcert.certs.chain import TrustStore  # noqa: E402
from mailcert.der import certificate_der  # noqa: E402
from mailcert.doctor import NotProbed, diagnose  # noqa: E402
from mailcert.judgement import Judgement  # noqa: E402
from mailcert.model import parse_target  # noqa: E402
from mailcert.names.profiles import PROFILES  # noqa: E402
from mailcert.probe.driver import ProbeResult, SniPair  # noqa: E402
from mailcert.report.scanline import line  # noqa: E402
from mailcert.scan import inventory  # noqa: E402
from mailcert.scan.runner import ScanResult  # noqa: E402
from mailcert.scan.targets import Target  # noqa: E402
from tests.factory import NOW  # noqa: E402

PORTS = (("imaps", 993, None), ("pop3s", 995, None), ("smtps", 465, None), ("smtp", 25, True))
ROOT = TestCA(now=NOW, key_type="ecdsa-p256")
INTER = ROOT.create_child_ca("mailcert Bench Intermediate")
TRUSTED = TrustStore([ROOT.cert], "bench store")
UNTRUSTED = TrustStore([TestCA(now=NOW, key_type="ecdsa-p256").cert], "another store")
NOT_PROBED = NotProbed("not probed")


def fleet(names: int, pass_no: int, kind: str) -> list[tuple[Target, SniPair]]:
    """``names`` hosts on the 4 ports, each with a leaf of its own (new for every pass), the
    name second in its SAN for ``outlook``; one wildcard leaf (new for every pass) for all of
    them for ``wildcard``."""
    out = []
    wildcard = INTER.issue_cert(f"*.p{pass_no}.contoso.com", key_type="ecdsa-p256")
    for i in range(names):
        name = f"mail{i}.p{pass_no}.contoso.com"
        san = (f"webmail{i}.p{pass_no}.contoso.com", name) if kind == "outlook" else (name,)
        leaf = wildcard if kind == "wildcard" else INTER.issue_cert(*san, key_type="ecdsa-p256")
        chain = (certificate_der(leaf.cert), certificate_der(INTER.cert))
        for scheme, port, starttls in PORTS:
            endpoint = parse_target(f"{scheme}://{name}:{port}")
            served = ProbeResult(endpoint, (f"192.0.2.{i % 250 + 1}", port), name, chain, True, "TLSv1.3",
                                 "TLS_AES_128_GCM_SHA256", starttls, "* OK ready", None, (), (), 0.01)
            out.append((Target(endpoint.url, name, endpoint), SniPair(name, served, NOT_PROBED)))
    return out


def per_target(targets: list[tuple[Target, SniPair]], judgement: Callable[[], Judgement]) -> tuple[float, float, float]:
    """µs of CPU per target (diagnose, the result, its JSON line and its findings column): on
    average, on a name's first port, on its other ports."""
    spent = [0.0] * len(PORTS)
    for i, (target, pair) in enumerate(targets):
        start = time.process_time()
        d = diagnose(pair, (target.name,), judgement())
        a = d.assessment
        result = ScanResult(target, a.status, diagnosis=d, url=target.text, findings=a.findings, trusted=d.trust.trusted)
        line(result)
        # the column as inventory.add_results writes it (the database round trip left out)
        inventory._FINDINGS_JSON.get((result.findings,), lambda: inventory._findings_json(result.findings))
        spent[i % len(PORTS)] += time.process_time() - start
    names = len(targets) // len(PORTS)
    return sum(spent) / len(targets) * 1e6, spent[0] / names * 1e6, sum(spent[1:]) / (names * (len(PORTS) - 1)) * 1e6


def passes(n: int, make: Callable[[int], list[tuple[Target, SniPair]]], judgement: Callable[[], Judgement]) -> str:
    """The medians of ``n`` passes, each over a fleet of its own."""
    runs = [per_target(make(p), judgement) for p in range(n)]
    whole, first, other = (statistics.median(r[i] for r in runs) for i in range(3))
    return f"{whole:6.0f} ({first:5.0f} first port, {other:5.0f} others)"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--names", type=int, default=50)
    ap.add_argument("--passes", type=int, default=5)
    ap.add_argument("--fresh", action="store_true", help="also judge every target afresh (no memory)")
    ap.add_argument("--fleet", action="append", help="only this fleet (trusted, untrusted root, outlook, wildcard)")
    args = ap.parse_args()
    profiles = tuple(PROFILES.values())
    cases = (("trusted", TRUSTED, "own"), ("untrusted root", UNTRUSTED, "own"), ("outlook", UNTRUSTED, "outlook"),
             ("wildcard", TRUSTED, "wildcard"))
    print(f"{args.names} names x {len(PORTS)} ports, {len(profiles)} profiles, median of {args.passes} passes, µs CPU per target")
    for label, store, kind in [c for c in cases if not args.fleet or c[0] in args.fleet]:
        scan_judgement = Judgement(profiles, store, NOW, 30)
        per_name = iter(range(1, 1 << 30))
        make: Callable[[int], list[tuple[Target, SniPair]]] = lambda p: fleet(args.names, next(per_name), kind)  # noqa: E731
        per_target(make(0), lambda: scan_judgement)  # warm: imports, the intermediate, the store
        print(f"{label:15s} one judgement per scan {passes(args.passes, make, lambda: scan_judgement)}")
        if args.fresh:
            print(f"{'':15s} every target afresh    {passes(args.passes, make, lambda: dataclasses.replace(scan_judgement))}")


if __name__ == "__main__":
    main()
