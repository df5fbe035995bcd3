"""mailcert check vs openssl s_client, sslyze, testssl.sh and the Python floor, in one run.

All against the same private Dovecot IMAP STARTTLS port on loopback, serving the SBS-style
certificate.  Targets (issue 3): the whole ``mailcert check`` at most 1.5x the Python floor
(``python -c "import ssl, asyncio, cryptography.x509"``); in-process, one probe at most 2x a
bare asyncio STARTTLS handshake; at least 3x faster than ``sslyze --certinfo``; at least 30x
faster than ``testssl.sh -S``.

    bash bench/setup.sh && .venv/bin/python bench/check_bench.py [--runs 7] [--startup-only]

The machine these run on is often shared, so wall times are noisy: the start-up rows also give
the child's CPU time (user + system, from ``os.wait4``), which other processes' load does not
inflate, and the ratio of those.  ``$MAILCERT_BENCH_SSLYZE`` names another sslyze to use.
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
    return timed(cmd, runs)[0]


def timed(cmd: Sequence[str], runs: int) -> tuple[float, float]:
    """Median wall time and median CPU time (user + system of the child) of ``cmd`` over
    ``runs`` runs, after one warm-up."""
    run_once(cmd)
    samples = [run_once(cmd) for _ in range(runs)]
    return statistics.median(w for w, _ in samples), statistics.median(c for _, c in samples)


def run_once(cmd: Sequence[str]) -> tuple[float, float]:
    """One run of ``cmd``: its wall time and the CPU time its process used (reaped by
    ``os.wait4``, which returns that process's own resource usage)."""
    t = time.perf_counter()
    child = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - t
    child.returncode = os.waitstatus_to_exitcode(status)
    return elapsed, usage.ru_utime + usage.ru_stime


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
    ap.add_argument("--startup-only", action="store_true", help="only the floor and mailcert check (no other tools)")
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
            floor, floor_cpu = timed([sys.executable, "-c", "import ssl, asyncio, cryptography.x509"], args.runs)
            rows.append(("python floor (import ssl, asyncio, cryptography.x509)", floor))
            ours, ours_cpu = timed(
                [str(ROOT / ".venv/bin/mailcert"), "check", target, "--name", NAME, "--cafile", ca, "--format", "json"], args.runs
            )
            rows.append(("mailcert check (all profiles, with + without SNI)", ours))
            # without --cafile: the system store, as a monitoring check of a public certificate runs
            system, system_cpu = timed(
                [str(ROOT / ".venv/bin/mailcert"), "check", target, "--name", NAME, "--format", "json"], args.runs
            )
            rows.append(("mailcert check, system trust store (no --cafile)", system))
            if args.startup_only:
                report_startup(rows, floor, floor_cpu, ours, ours_cpu, (system, system_cpu))
                return
            rows.append(("openssl s_client -starttls imap", wall(
                ["openssl", "s_client", "-starttls", "imap", "-connect", f"127.0.0.1:{port}", "-servername", NAME,
                 "-verify_hostname", NAME, "-CAfile", ca], args.runs)))
            sslyze = Path(os.environ.get("MAILCERT_BENCH_SSLYZE", ROOT / "bench/.venv-sslyze/bin/sslyze"))
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
    report_startup(rows, floor, floor_cpu, ours, ours_cpu, (system, system_cpu))
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


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def report_startup(
    rows: list[tuple[str, float]], floor: float, floor_cpu: float, ours: float, ours_cpu: float, system: tuple[float, float]
) -> None:
    """The table of wall times, then the start-up ratios by wall and by CPU time (the CPU
    ratio is the one another process's load on a shared machine does not move)."""
    print(f"{'tool':<55} {'median wall':>12}")
    for label, secs in rows:
        print(f"{label:<55} {secs * 1000:>9.0f} ms")
    print()
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"CPU (user+sys): python floor {floor_cpu * 1000:.0f} ms, mailcert check {ours_cpu * 1000:.0f} ms,"
          f" with the system store {system[1] * 1000:.0f} ms")
    for label, wall_s, cpu_s in (("mailcert check", ours, ours_cpu), ("  with the system store", *system)):
        for kind, ratio in (("wall", wall_s / floor), ("CPU", cpu_s / floor_cpu)):
            print(f"{label + ' / python floor:':<36}{ratio:6.2f}x  (target <= 1.5x)  {verdict(ratio <= 1.5)}  [{kind}]")


if __name__ == "__main__":
    main()
