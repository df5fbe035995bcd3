"""The fleet engine as a library: ``run(targets, settings, sinks) -> ScanSummary`` with sinks of
one's own, a sink that closes, SIGINT in the middle (finish what finished, flush, say so)."""

from __future__ import annotations

import asyncio
import collections
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from mailcert.errors import InputError
from mailcert.model import Status
from mailcert.scan.engine import ScanSummary, Sink, SinkClosed, run
from mailcert.scan.inventory import Inventory
from mailcert.probe.loop import LOOP_FACTORY
from mailcert.scan.runner import ScanResult, ScanSettings, scan_chunk
from mailcert.scan.sinks import InventorySink
from mailcert.scan.targets import Target, parse_line
from mailcert.testing import MailEndpoint
from tests.probe.hostile import silence
from tests.scan.conftest import NAME
from tests.scan.helpers import BackgroundServers, closed_port
from tests.servers.certs import FixturePKI

pytestmark = pytest.mark.integration


class Recorder(Sink):
    """Writes down every call the engine makes, in order."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.results: list[ScanResult] = []
        self.summary: ScanSummary | None = None
        self.total: int | None = -1

    def started(self, total: int | None) -> None:
        self.calls.append("started")
        self.total = total

    def result(self, result: ScanResult) -> None:
        self.calls.append("result")
        self.results.append(result)

    def finished(self, summary: ScanSummary) -> None:
        self.calls.append("finished")
        self.summary = summary


def _targets(lines: list[str]) -> list[Target]:
    out = [parse_line(line) for line in lines]
    assert all(t is not None for t in out)
    return [t for t in out if t is not None]


def test_a_library_sink_gets_every_result_and_the_summary(endpoints: dict[str, MailEndpoint], server_pki: FixturePKI) -> None:
    ok, expired = endpoints["ordered"], endpoints["expired"]
    lines = [f"{ok.url(s)} {NAME}" for s in ("imaps", "pop3", "smtp")] + [f"{expired.url('imaps')} {NAME}",
             f"imaps://127.0.0.1:{closed_port()} {NAME}", "bogus:99"]
    settings = ScanSettings(cafile_pem=server_pki.ca.cert_path.read_bytes(), timeout=5, concurrency=4)
    first, second = Recorder(), Recorder()
    summary = run(_targets(lines), settings, [first, second], total=len(lines), signals=False)
    for sink in (first, second):
        assert sink.calls == ["started"] + ["result"] * len(lines) + ["finished"]
        assert sink.total == len(lines) and sink.summary == summary
    assert sorted(r.target.text for r in first.results) == sorted(line.split()[0] for line in lines)
    by_target = {r.target.text: r for r in first.results}
    assert by_target[ok.url("imaps")].status is Status.OK
    assert by_target[expired.url("imaps")].status is Status.CRITICAL
    assert "expired" in {f.code for f in by_target[expired.url("imaps")].findings}
    assert by_target["bogus:99"].status is Status.UNKNOWN
    assert (summary.done, summary.total, summary.interrupted, summary.worst) == (6, 6, False, Status.CRITICAL)
    assert dict(summary.counts) == {"OK": 3, "WARNING": 0, "CRITICAL": 1, "UNKNOWN": 2}


class ClosesAfter(Sink):
    """Like standard output piped into ``head -n N``: gone after N results."""

    def __init__(self, n: int) -> None:
        self.n, self.seen = n, 0

    def result(self, result: ScanResult) -> None:
        self.seen += 1
        if self.seen >= self.n:
            raise SinkClosed("reader gone")


def test_a_closed_sink_stops_the_scan_and_every_sink_is_finished() -> None:
    lines = [f"imaps://127.0.0.1:{closed_port()} {NAME}"] * 3 + ["bogus:1"] * 2000
    recorder = Recorder()
    summary = run(_targets(lines), ScanSettings(timeout=2, concurrency=2), [ClosesAfter(5), recorder], signals=False)
    assert summary.interrupted and 5 <= summary.done < len(lines)
    assert recorder.calls[-1] == "finished" and len(recorder.results) == summary.done


class InterruptAfter(Sink):
    """Sends this process SIGINT once ``n`` results came, as Ctrl-C would."""

    def __init__(self, n: int) -> None:
        self.n, self.seen = n, 0

    def result(self, result: ScanResult) -> None:
        self.seen += 1
        if self.seen == self.n:
            os.kill(os.getpid(), signal.SIGINT)


def test_sigint_mid_scan_keeps_and_flushes_what_finished(
    endpoints: dict[str, MailEndpoint], hostile: BackgroundServers, server_pki: FixturePKI, tmp_path: Path
) -> None:
    live = [f"{endpoints['ordered'].url('imaps')} {NAME}"] * 12
    silent = [f"imaps://127.0.0.1:{hostile.serve(silence)} {NAME}"] * 50
    settings = ScanSettings(cafile_pem=server_pki.ca.cert_path.read_bytes(), timeout=60, concurrency=20, per_host=20)
    recorder = Recorder()
    with Inventory.open(f"sqlite:///{tmp_path / 'inv.sqlite3'}") as inv:
        keep = InventorySink(inv, {"test": "sigint"})
        summary = run(_targets(live + silent), settings, [keep, recorder, InterruptAfter(10)], total=62)
        assert summary.interrupted and 10 <= summary.done <= 12
        (scan,) = inv.scans()
        assert (scan.state, scan.done, inv.count_results(scan.id)) == ("interrupted", summary.done, summary.done)
        with inv.engine.connect() as conn:
            statuses = collections.Counter(conn.execute(sa.text("SELECT status FROM results")).scalars())
    assert statuses == {"OK": summary.done}  # only what finished; the silent ones were abandoned
    assert recorder.calls[-1] == "finished" and len(recorder.results) == summary.done
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # the handler is given back


def test_scan_fleet_runs_the_same_engine_with_extra_sinks() -> None:
    import mailcert

    lines = [f"imaps://127.0.0.1:{closed_port()} {NAME}", "bogus:1", "# a comment"]
    recorder = Recorder()
    results = mailcert.scan_fleet(lines, ScanSettings(timeout=2), sinks=[recorder])
    assert results == recorder.results and len(results) == 2
    assert recorder.calls == ["started", "result", "result", "finished"] and recorder.total == 2


async def _one_target() -> AsyncIterator[Target]:
    yield _targets(["bogus:1"])[0]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"chunk": -1}, "chunk"), ({"dask": "ftp://nowhere"}, "dask")],
)
def test_engine_errors_name_their_field_before_any_sink_starts(kwargs: dict[str, object], field: str) -> None:
    recorder = Recorder()
    with pytest.raises(InputError) as caught:
        run(_targets(["bogus:1"]), ScanSettings(), [recorder], signals=False, **kwargs)  # type: ignore[arg-type]
    assert caught.value.field == field and str(caught.value).startswith(field)
    assert recorder.calls == []


def test_dask_needs_a_plain_iterable_of_targets() -> None:
    pytest.importorskip("distributed")
    with pytest.raises(InputError) as caught:
        run(_one_target(), ScanSettings(), [], dask="local:1", signals=False)
    assert caught.value.field == "targets"


class LoopRecorder(Sink):
    """Writes down the class of the event loop the scan runs on."""

    def __init__(self) -> None:
        self.loops: list[type] = []

    def started(self, total: int | None) -> None:
        self.loops.append(type(asyncio.get_running_loop()))


class LoopRecordingTargets(list[Target]):
    """Targets that write down the event loop reading them (a Dask worker's chunk is read there)."""

    loops: list[type]

    def __iter__(self) -> Iterator[Target]:
        self.loops = [type(asyncio.get_running_loop())]
        return super().__iter__()


def test_the_scan_runs_on_uvloop_local_and_on_each_dask_worker(endpoints: dict[str, MailEndpoint], server_pki: FixturePKI) -> None:
    """uvloop is a dependency wherever it has a build: the scan's loop is its loop, for a local
    scan and for the chunk a Dask worker runs (``scan_chunk``), and probing works on it."""
    uvloop = pytest.importorskip("uvloop")
    assert LOOP_FACTORY is uvloop.new_event_loop
    settings = ScanSettings(cafile_pem=server_pki.ca.cert_path.read_bytes(), timeout=5)
    recorder, loops = Recorder(), LoopRecorder()
    run(_targets([f"{endpoints['ordered'].url('imaps')} {NAME}"]), settings, [recorder, loops], signals=False)
    assert loops.loops == [uvloop.Loop] and recorder.results[0].status is Status.OK
    chunk = LoopRecordingTargets(_targets([f"{endpoints['ordered'].url('smtp')} {NAME}"]))
    (result,) = scan_chunk(chunk, settings)
    assert chunk.loops == [uvloop.Loop] and result.status is Status.OK


FALLBACK = """
import asyncio, sys
sys.modules["uvloop"] = None  # as where uvloop has no build: importing it fails
from mailcert.probe.loop import LOOP_FACTORY
from mailcert.scan.engine import ResultList, Sink, run
from mailcert.scan.runner import ScanSettings, scan_chunk
from mailcert.scan.targets import parse_line

class Loops(Sink):
    def started(self, total):
        print(type(asyncio.get_running_loop()).__module__)

results = ResultList()
target = parse_line(sys.argv[1])
run([target], ScanSettings(cafile_pem=open(sys.argv[2], "rb").read(), timeout=5), [results, Loops()], signals=False)
(chunk,) = scan_chunk([target], ScanSettings(cafile_pem=open(sys.argv[2], "rb").read(), timeout=5))
print(LOOP_FACTORY is asyncio.new_event_loop, results.results[0].status.name, chunk.status.name)
"""


def test_without_uvloop_the_scan_runs_on_asyncios_loop(endpoints: dict[str, MailEndpoint], server_pki: FixturePKI) -> None:
    line = f"{endpoints['ordered'].url('pop3')} {NAME}"
    done = subprocess.run(
        [sys.executable, "-c", FALLBACK, line, str(server_pki.ca.cert_path)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["asyncio.unix_events", "True", "OK", "OK"]
