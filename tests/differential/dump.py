"""Run every oracle on the whole corpus and write one JSON line per case.

    python -m tests.differential.dump OUT.jsonl [--oracle NAME]...

Each line: {"cert": id, "host": h, "verdicts": {"openssl": bool, ...}, "details": {...}}.
An oracle that cannot be built here is left out of every line (and named on stderr),
so a dump never pretends to know what an absent implementation would say.  Per-oracle
accept counts and timings (build and run separately) are printed at the end; the run
time is what one batch of the whole corpus costs, process start included.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Sequence

from tests.differential.corpus import generate
from tests.differential.oracles import (
    ORACLES,
    OracleUnavailable,
    OracleVerdict,
    build,
    cases_for,
    run_oracle,
)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.differential.dump", description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="JSON-lines file to write")
    parser.add_argument("--oracle", action="append", choices=ORACLES, help="only these oracles (repeatable)")
    args = parser.parse_args(argv)
    names: list[str] = args.oracle or list(ORACLES)

    t0 = time.perf_counter()
    corpus = generate()
    gen_seconds = time.perf_counter() - t0
    cases = cases_for(corpus)
    print(f"corpus: {len(corpus)} certificates, {len(cases)} cases, generated in {gen_seconds:.2f}s")

    results: dict[str, dict[str, OracleVerdict]] = {}
    rows: list[tuple[str, str, str, str]] = []
    for name in names:
        t_build = time.perf_counter()
        try:
            build(name)
        except OracleUnavailable as exc:
            print(f"{name}: unavailable: {exc}", file=sys.stderr)
            rows.append((name, "-", "-", "unavailable"))
            continue
        t_run = time.perf_counter()
        results[name] = run_oracle(name, cases)
        t_end = time.perf_counter()
        accepted = sum(v.accepted for v in results[name].values())
        rows.append((name, f"{accepted}/{len(cases)}", f"{t_run - t_build:.2f}s", f"{t_end - t_run:.2f}s"))

    with args.out.open("w", encoding="utf-8") as fh:
        for cert in corpus:
            for index, host in enumerate(cert.hosts):
                case_id = f"{cert.id}|{index}"
                line = {
                    "cert": cert.id,
                    "host": host,
                    "verdicts": {name: results[name][case_id].accepted for name in results},
                    "details": {name: results[name][case_id].detail for name in results},
                }
                fh.write(json.dumps(line, ensure_ascii=False) + "\n")

    print(f"{'oracle':8} {'accepted':>10} {'build':>8} {'run':>8}")
    for name, accepted_text, build_text, run_text in rows:
        print(f"{name:8} {accepted_text:>10} {build_text:>8} {run_text:>8}")
    print(f"wrote {len(cases)} lines to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
