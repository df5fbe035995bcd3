"""Scale and stopping: 10,000 targets (live, closed, silent, bad lines) in one run; Ctrl-C in
the middle of a scan; the same scan on a real Dask LocalCluster of worker processes."""

from __future__ import annotations

import collections
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mailcert.scan.inventory import Inventory
from tests.scan.conftest import NAME, Fleet
from tests.scan.helpers import ENV, closed_port, mailcert, read_lines, wait_for
from tests.servers.certs import FixturePKI

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def far_servers(server_pki: FixturePKI) -> Iterator[dict[str, int]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.scan.fleet_servers", str(server_pki.ordered.cert_path), str(server_pki.ordered.key_path)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=Path(__file__).parents[2], env=ENV,
    )
    assert proc.stdout is not None and proc.stdin is not None
    try:
        yield json.loads(proc.stdout.readline())
    finally:
        proc.stdin.close()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _fds() -> int:
    return len(os.listdir("/proc/self/fd"))


class FdPeak:
    """The most file descriptors this process held while the block ran (sampled every 20 ms)."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, name="fd-peak", daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, _fds())

    def __enter__(self) -> FdPeak:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)


def test_ten_thousand_targets_exactly_ten_thousand_results(
    far_servers: dict[str, int], dovecot: Any, server_pki: FixturePKI, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """Exact counts, bounded descriptors: nothing here depends on the machine's speed.  The
    deadline is generous (a loaded machine must not turn a live server into UNKNOWN), so the
    silent servers are few: they hold their slots for the whole deadline."""
    from mailcert.cli import main

    p = far_servers
    common = {  # target line -> expected status; the list cycles over these
        f"imaps://127.0.0.1:{p['imaps']} {NAME}": "OK",
        f"smtp://127.0.0.1:{p['smtp']} {NAME}": "OK",
        f"pop3://127.0.0.1:{p['pop3']} {NAME}": "OK",
        f"imaps://127.0.0.1:{dovecot.imaps_port} {NAME}": "WARNING",
        f"imaps://127.0.0.1:{closed_port()} {NAME}": "UNKNOWN",
        f"smtps://127.0.0.1:{closed_port()} {NAME}": "UNKNOWN",
        "mail.example.com:99": "UNKNOWN",
        f"imaps://127.0.0.1:{p['imaps']} {NAME} extra-word": "UNKNOWN",
    }
    silent = {f"imaps://127.0.0.1:{p['silent_imaps']} {NAME}": "UNKNOWN", f"smtp://127.0.0.1:{p['silent_smtp']} {NAME}": "UNKNOWN"}
    n, every = 10_000, 500  # one silent target in every 500 (20 of them), spread over the list
    cycle, quiet = list(common), list(silent)
    lines = [quiet[(i // every) % 2] if i % every == every - 1 else cycle[i % len(cycle)] for i in range(n)]
    expected = {**common, **silent}
    targets = tmp_path / "targets.txt"
    targets.write_text("".join(line + "\n" for line in lines))
    out, db = tmp_path / "out.jsonl", tmp_path / "inv.sqlite3"
    concurrency = 500
    before = _fds()
    started = time.monotonic()
    with FdPeak() as fds:
        rc = main(["scan", str(targets), "--out", str(out), "--db", str(db), "--cafile", str(server_pki.ca.cert_path),
                   "--timeout", "30", "--concurrency", str(concurrency), "--per-host", str(concurrency), "--quiet"])
    took = time.monotonic() - started
    after = _fds()
    err = capfd.readouterr().err
    assert "Traceback" not in err and "internal error" not in err, err[-3000:]
    assert rc == 1  # worst: the WARNING of the real Dovecot
    results = read_lines(out)
    assert len(results) == n
    got = collections.Counter(r["status"] for r in results)
    want = collections.Counter(expected[line] for line in lines)
    assert got == want, (got, want)
    silent_reasons = [r["error"] for r in results if r["target"] in {t.split()[0] for t in silent}]
    assert len(silent_reasons) == n // every and all("no answer within 30 s" in e for e in silent_reasons), silent_reasons[:3]
    assert not [r for r in results if "internal error" in (r.get("error") or "")]
    assert after <= before, f"file descriptors leaked: {before} before, {after} after"
    # one socket per target in flight (the SNI connection only), plus the inventory's and --out's
    assert fds.peak <= before + concurrency + 50, f"{fds.peak} descriptors at the peak ({before} before)"
    with Inventory.open(f"sqlite:///{db}") as inv:
        (scan,) = inv.scans()
        assert (scan.state, scan.done, scan.targets, inv.count_results(scan.id)) == ("finished", n, n, n)
    print(f"10,000 targets in {took:.1f} s ({n / took:.0f}/s); fds {before} -> peak {fds.peak} -> {after}")
    assert took < 900  # a hang, not slowness: bench/scan_bench.py measures speed


def test_ctrl_c_keeps_what_finished(far_servers: dict[str, int], server_pki: FixturePKI, tmp_path: Path) -> None:
    p = far_servers
    live = [f"imaps://127.0.0.1:{p['imaps']} {NAME}"] * 40
    silent = [f"imaps://127.0.0.1:{p['silent_imaps']} {NAME}"] * 400
    targets = tmp_path / "targets.txt"
    targets.write_text("\n".join(live + silent) + "\n")
    out, db = tmp_path / "out.jsonl", tmp_path / "inv.sqlite3"
    proc = subprocess.Popen(
        [sys.executable, "-m", "mailcert", "scan", str(targets), "--out", str(out), "--db", str(db),
         "--cafile", str(server_pki.ca.cert_path), "--timeout", "60", "--concurrency", "50", "--per-host", "50"],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV,
    )
    try:
        wait_for(lambda: out.exists() and out.read_text().count("\n") >= 40, 60, "the live targets' lines")
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr and "interrupted after" in stderr
    results = read_lines(out)  # whole lines only
    assert 40 <= len(results) < 440
    assert sum(r["status"] == "OK" for r in results) == 40
    with Inventory.open(f"sqlite:///{db}") as inv:
        (scan,) = inv.scans()
        assert scan.state == "interrupted" and scan.targets == 440
        assert scan.done == inv.count_results(scan.id) == len(results)


@pytest.mark.parametrize("how", ["local:2", "tcp"])
def test_dask_cluster_of_worker_processes(how: str, fleet: Fleet, tmp_path: Path) -> None:
    address = how
    cluster: Any = None
    if how == "tcp":
        from distributed import LocalCluster

        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                               host="127.0.0.1", silence_logs=50)
        address = cluster.scheduler_address
    try:
        targets = fleet.targets_file(tmp_path / "targets.txt")
        out, db = tmp_path / "out.jsonl", tmp_path / "inv.sqlite3"
        run = mailcert("scan", str(targets), "--dask", address, "--chunk", "3", "--out", str(out), "--db", str(db),
                       "--cafile", str(fleet.ca), "--timeout", "2", timeout=300)
        assert run.rc == 2, run.stderr
        lines = {r["target"]: r for r in read_lines(out)}
        assert {t: r["status"] for t, r in lines.items()} == fleet.expected
        with Inventory.open(f"sqlite:///{db}") as inv:
            (scan,) = inv.scans()
            assert (scan.state, scan.done, scan.options["dask"]) == ("finished", len(fleet.expected), address)
            assert {r.target: r.status for r in inv.results(scan.id)} == fleet.expected
        if cluster is not None:
            # the work really ran as tasks on the cluster's workers: one per chunk of 3 targets
            chunks = -(-len(fleet.expected) // 3)
            assert dict(cluster.scheduler.task_prefixes["scan_chunk"].state_counts)["memory"] == chunks
    finally:
        if cluster is not None:
            cluster.close()
