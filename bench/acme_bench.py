"""mailcert acme issue vs certbot certonly --standalone, one certificate each from the same local Pebble.

One private Pebble (real HTTP-01 validation, ``PEBBLE_VA_NOSLEEP=1``, no nonce rejection) serves
both clients in one run.  Each round, each client starts from nothing (a fresh state/config
directory: new account, new key) and obtains one certificate for the same three names,
answering HTTP-01 on its own built-in listener at Pebble's ``httpPort``; the same key type for
both.  Wall time of the whole command (interpreter start-up included) is measured; the median
of ``--runs`` rounds is printed with the ratio.  Target (issue 5): mailcert no slower than
certbot.

    .venv/bin/pip install -e '.[test]'   # certbot comes with the test extra
    .venv/bin/python bench/acme_bench.py [--runs 5] [--key-type rsa2048|ecdsa-p256]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._prepare import compile_bytecode  # noqa: E402

from tests.servers.pebble import PebbleServer  # noqa: E402
from tests.servers.procs import clean_env  # noqa: E402

NAMES = ("remote.contoso.com", "sbs.contoso.local", "sites")
CERTBOT_KEY = {"rsa2048": ["--key-type", "rsa", "--rsa-key-size", "2048"], "ecdsa-p256": ["--key-type", "ecdsa", "--elliptic-curve", "secp256r1"]}


def timed(cmd: Sequence[str], env: Mapping[str, str]) -> float:
    t = time.perf_counter()
    cp = subprocess.run(list(cmd), env=dict(env), stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=300)
    took = time.perf_counter() - t
    if cp.returncode != 0:
        raise SystemExit(f"failed ({cp.returncode}): {' '.join(cmd)}\n{cp.stdout[-2000:]}\n{cp.stderr[-2000:]}")
    return took


def mailcert_cmd(pebble: PebbleServer, work: Path, key_type: str) -> list[str]:
    args = [sys.executable, "-m", "mailcert", "acme", "issue", "--name", NAMES[0]]
    for n in NAMES[1:]:
        args += ["--alt", n]
    return args + [
        "--directory", pebble.directory_url, "--ca-bundle", str(pebble.listener_ca_path), "--agree-tos",
        "--http-port", str(pebble.http_port), "--http-address", "127.0.0.1", "--key-type", key_type,
        "--out", str(work / "out"), "--state-dir", str(work / "state"),
    ]


def certbot_cmd(pebble: PebbleServer, work: Path, key_type: str) -> list[str]:
    certbot = shutil.which("certbot", path=str(Path(sys.executable).parent))
    if certbot is None:
        raise SystemExit("certbot is not installed in this venv: .venv/bin/pip install -e '.[test]'")
    args = [
        certbot, "certonly", "--standalone", "--non-interactive", "--agree-tos", "--register-unsafely-without-email",
        "--server", pebble.directory_url, "--http-01-port", str(pebble.http_port), "--http-01-address", "127.0.0.1",
        "--config-dir", str(work / "config"), "--work-dir", str(work / "work"), "--logs-dir", str(work / "logs"),
        *CERTBOT_KEY[key_type],
    ]
    for n in NAMES:
        args += ["-d", n]
    return args


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--key-type", choices=sorted(CERTBOT_KEY), default="rsa2048")
    args = ap.parse_args(argv)
    compile_bytecode()

    root = Path(tempfile.mkdtemp(prefix="mailcert-acme-bench-"))
    os.chmod(root, 0o711)
    pebble = PebbleServer(root / "pebble")
    pebble.start()
    try:
        env = clean_env({"REQUESTS_CA_BUNDLE": str(pebble.listener_ca_path)})
        results: dict[str, list[float]] = {"mailcert": [], "certbot": []}
        for i in range(args.runs + 1):  # round 0 warms the page cache for both
            for tool, make in (("mailcert", mailcert_cmd), ("certbot", certbot_cmd)):
                work = root / f"{tool}-{i}"
                work.mkdir()
                took = timed(make(pebble, work, args.key_type), env)
                if i:
                    results[tool].append(took)
        m, c = statistics.median(results["mailcert"]), statistics.median(results["certbot"])
        print(f"one certificate for {len(NAMES)} names ({args.key_type}), real HTTP-01, local Pebble, median of {args.runs}:")
        print(f"  mailcert acme issue          {m:6.3f} s   (runs: {', '.join(f'{t:.3f}' for t in results['mailcert'])})")
        print(f"  certbot certonly --standalone {c:6.3f} s   (runs: {', '.join(f'{t:.3f}' for t in results['certbot'])})")
        print(f"  ratio certbot/mailcert: {c / m:.1f}x  (target: >= 1.0, mailcert no slower)")
        return 0 if m <= c else 1
    finally:
        pebble.stop()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
