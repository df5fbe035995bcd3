"""mailcert check vs openssl s_client, sslyze, testssl.sh and the Python floor, in one run.

All against the same private Dovecot IMAP STARTTLS port on loopback, serving the SBS-style
certificate.  Targets (issue 3): the whole ``mailcert check`` at most 1.5x the Python floor
(``python -c "import ssl, asyncio, cryptography.x509"``); in-process, one probe at most 2x a
bare asyncio STARTTLS handshake; at least 3x faster than ``sslyze --certinfo``; at least 30x
faster than ``testssl.sh -S``.

    bash bench/setup.sh && .venv/bin/python bench/check_bench.py [--runs 7]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._prepare import compile_bytecode  # noqa: E402

from mailcert.model import parse_target  # noqa: E402
from mailcert.probe.driver import ProbeOptions, probe  # noqa: E402
from tests.servers.certs import make_fixture_pki  # noqa: E402
from tests.servers.dovecot import DovecotServer  # noqa: E402

NAME = "remote.contoso.com"


def wall(cmd: Sequence[str], runs: int) -> float:
    """Median wall time of ``cmd`` over ``runs`` runs (after one warm-up)."""
    subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, timeout=300)
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, timeout=300)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


async def bare_starttls(port: int, ctx: ssl.SSLContext) -> None:
    """The floor of any STARTTLS probe: greeting, STARTTLS, handshake, nothing else."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    await reader.readline()
    writer.write(b"a STARTTLS\r\n")
    await reader.readline()
    await writer.start_tls(ctx, server_hostname=NAME)
    writer.transport.abort()


async def in_process(port: int, n: int) -> tuple[float, float]:
    ctx = ssl.create_default_context()
    ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
    endpoint = parse_target(f"imap://127.0.0.1:{port}")
    for _ in range(5):
        await bare_starttls(port, ctx)
        await probe(endpoint, sni=NAME, options=ProbeOptions(timeout=10))
    t = time.perf_counter()
    for _ in range(n):
        await bare_starttls(port, ctx)
    bare = (time.perf_counter() - t) / n
    t = time.perf_counter()
    for _ in range(n):
        await probe(endpoint, sni=NAME, options=ProbeOptions(timeout=10))
    ours = (time.perf_counter() - t) / n
    return ours, bare


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--probes", type=int, default=200)
    args = ap.parse_args()
    compile_bytecode()
    with tempfile.TemporaryDirectory(prefix="mcb-", dir="/tmp") as tmp:
        os.chmod(tmp, 0o711)  # Dovecot's unprivileged login processes must reach their dirs
        pki = make_fixture_pki(Path(tmp) / "pki")
        server = DovecotServer(Path(tmp) / "dovecot", pki.sbs.cert_path, pki.sbs.key_path)
        server.start()
        try:
            port, ca = server.imap_port, str(pki.ca.cert_path)
            target = f"imap://127.0.0.1:{port}"
            rows: list[tuple[str, float]] = []
            floor = wall([sys.executable, "-c", "import ssl, asyncio, cryptography.x509"], args.runs)
            rows.append(("python floor (import ssl, asyncio, cryptography.x509)", floor))
            ours = wall([str(ROOT / ".venv/bin/mailcert"), "check", target, "--name", NAME, "--cafile", ca, "--format", "json"], args.runs)
            rows.append(("mailcert check (12 profiles, with + without SNI)", ours))
            rows.append(("openssl s_client -starttls imap", wall(
                ["openssl", "s_client", "-starttls", "imap", "-connect", f"127.0.0.1:{port}", "-servername", NAME,
                 "-verify_hostname", NAME, "-CAfile", ca], args.runs)))
            sslyze = ROOT / "bench/.venv-sslyze/bin/sslyze"
            t_sslyze = t_testssl = None
            if sslyze.exists():
                t_sslyze = wall([str(sslyze), "--starttls", "imap", "--certinfo", "--certinfo_ca_file", ca,
                                 f"{NAME}:{port}{{127.0.0.1}}"], args.runs)
                rows.append(("sslyze --certinfo", t_sslyze))
            testssl = shutil.which("testssl") or shutil.which("testssl.sh")
            if testssl:
                t_testssl = wall([testssl, "--quiet", "--color", "0", "--warnings", "off", "-n", "none", "--ip", "127.0.0.1",
                                  "--add-ca", ca, "-t", "imap", "-S", f"{NAME}:{port}"], max(1, args.runs // 3))
                rows.append(("testssl.sh -S", t_testssl))
            probe_s, bare_s = asyncio.run(in_process(port, args.probes))
        finally:
            server.stop()
    print(f"{'tool':<55} {'median wall':>12}")
    for label, secs in rows:
        print(f"{label:<55} {secs * 1000:>9.0f} ms")
    print()

    def verdict(ok: bool) -> str:
        return "PASS" if ok else "FAIL"

    print(f"mailcert check / python floor:      {ours / floor:6.2f}x  (target <= 1.5x)  {verdict(ours / floor <= 1.5)}")
    print(f"in-process probe / bare STARTTLS:   {probe_s / bare_s:6.2f}x  (target <= 2.0x)  {verdict(probe_s / bare_s <= 2.0)}"
          f"  [{probe_s * 1000:.2f} ms vs {bare_s * 1000:.2f} ms]")
    if t_sslyze:
        print(f"sslyze --certinfo / mailcert check: {t_sslyze / ours:6.1f}x faster (target >= 3x)  {verdict(t_sslyze / ours >= 3)}")
    else:
        print("sslyze not installed (bash bench/setup.sh)")
    if t_testssl:
        print(f"testssl.sh -S / mailcert check:     {t_testssl / ours:6.1f}x faster (target >= 30x) {verdict(t_testssl / ours >= 30)}")
    else:
        print("testssl.sh not installed (bash bench/setup.sh)")


if __name__ == "__main__":
    main()
