"""The fleet engine: ``run(targets, settings, sinks) -> ScanSummary`` (sslyze's scanner with observers).

The scanner (:mod:`mailcert.scan.runner`, or the same scanner on a Dask cluster's workers,
:mod:`mailcert.scan.dask`) produces one :class:`~mailcert.scan.runner.ScanResult` per target;
the engine hands each to every :class:`Sink` as it finishes, and says when the scan started and
how it ended.  What happens to a result is the sinks' business: the inventory
(:class:`~mailcert.scan.sinks.InventorySink`), JSON lines, a progress bar, OpenMetrics
(:mod:`mailcert.report.sinks`: they render), or a library user's own.

Stopping is graceful: SIGINT or SIGTERM (when ``signals`` is on and this is the main thread),
a sink raising :class:`SinkClosed` (standard output closed by ``| head``), or the caller's
``stop`` event: nothing new starts, targets in flight are abandoned, every sink still gets
``finished`` (so batches are flushed), and the summary says ``interrupted``.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import itertools
import signal
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Final

from mailcert.errors import InputError
from mailcert.model import Status
from mailcert.probe import loop as scan_loop
from mailcert.scan.dask import DEFAULT_CHUNK, load_distributed, parse_address, scan_on_dask
from mailcert.scan.runner import ScanResult, ScanSettings, scan
from mailcert.scan.targets import Target

__all__ = ["Sink", "SinkClosed", "ResultList", "check_request", "ScanSummary", "run", "run_async", "in_thread", "worst", "TICK"]

TICK: Final = 1.0
"""Seconds between :meth:`Sink.flush` calls while a scan runs: results that finished just before
a long quiet spell (servers that time out) still reach the file and the inventory promptly."""

# worst first: a certificate that clients refuse outranks a server we could not reach
_RANK: Final = {Status.OK: 0, Status.UNKNOWN: 1, Status.WARNING: 2, Status.CRITICAL: 3}


class SinkClosed(Exception):
    """Raised by a sink whose output is gone (a closed pipe): the scan stops as if interrupted."""


class Sink:
    """Where results go.  Subclass and override what you need; every method is called from the
    thread that called :func:`run`, one call at a time, so a sink needs no locking.

    ``result`` may raise :class:`SinkClosed` to stop the scan; any other exception ends it
    (after every sink got ``finished``)."""

    def started(self, total: int | None) -> None:
        """The scan begins; ``total`` is the number of targets when known (``None``: a stream)."""

    def result(self, result: ScanResult) -> None:
        """One target's outcome, as soon as it is known (completion order)."""

    def flush(self) -> None:
        """Write out what is buffered (called about every :data:`TICK` seconds while scanning)."""

    def finished(self, summary: ScanSummary) -> None:
        """The scan ended (finished or interrupted): flush and close."""


class ResultList(Sink):
    """Every result, kept in a list (completion order): for small scans run from Python."""

    def __init__(self) -> None:
        self.results: list[ScanResult] = []

    def result(self, result: ScanResult) -> None:
        self.results.append(result)


@dataclass(frozen=True)
class ScanSummary:
    """How a scan ended: targets done per status, whether it was interrupted, when."""

    total: int | None
    done: int
    counts: Mapping[str, int]  # status name -> targets
    interrupted: bool
    started_at: dt.datetime
    finished_at: dt.datetime

    @property
    def worst(self) -> Status:
        """The status of the fleet: the worst any target had (CRITICAL > WARNING > UNKNOWN > OK)."""
        return worst(self.counts)


def worst(counts: Mapping[str, int]) -> Status:
    """The worst status with any target (CRITICAL > WARNING > UNKNOWN > OK; OK when none)."""
    return max((Status[s] for s, n in counts.items() if n), key=_RANK.__getitem__, default=Status.OK)


@dataclass
class _Tally:
    """The running count, and the hand-out of each result to the sinks."""

    sinks: Sequence[Sink]
    total: int | None
    started_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc))
    counts: dict[str, int] = field(default_factory=lambda: {s.name: 0 for s in Status})
    done: int = 0
    interrupted: bool = False

    def add(self, result: ScanResult) -> bool:
        """Give ``result`` to every sink; False when one of them closed (stop the scan)."""
        self.counts[result.status.name] += 1
        self.done += 1
        closed = False
        for sink in self.sinks:
            try:
                sink.result(result)
            except SinkClosed:
                closed = True
        if closed:
            self.interrupted = True
        return not closed

    def flush(self) -> None:
        for sink in self.sinks:
            sink.flush()

    def summary(self) -> ScanSummary:
        return ScanSummary(
            self.total, self.done, MappingProxyType(dict(self.counts)), self.interrupted,
            self.started_at, dt.datetime.now(dt.timezone.utc),
        )


def check_request(*, dask: str | None = None, chunk: int = 0) -> None:
    """Refuse a request :func:`run` cannot carry out, before anything is opened or scanned: a
    negative ``chunk``, a ``dask`` address that is not one, dask.distributed not installed.

    Raises:
        InputError: naming the field (``chunk``, ``dask``).
    """
    if chunk < 0:
        raise InputError(f"chunk must be a positive number of targets, not {chunk}", field="chunk")
    if dask is not None:
        parse_address(dask)
        load_distributed()


def run(
    targets: Iterable[Target] | AsyncIterable[Target],
    settings: ScanSettings,
    sinks: Sequence[Sink] = (),
    *,
    total: int | None = None,
    dask: str | None = None,
    chunk: int = 0,
    signals: bool = True,
) -> ScanSummary:
    """Scan ``targets``, handing each result to every sink; returns how the scan ended.

    ``dask``: a scheduler address (``tcp://HOST:8786``) or ``local:N`` to run the same scan
    on a Dask cluster, ``chunk`` targets per task (then ``targets`` must be a plain iterable).
    ``signals``: SIGINT and SIGTERM stop the scan gracefully instead of raising.  The scan runs
    on :mod:`mailcert.probe.loop`'s event loop (uvloop where installed: less CPU per target).

    Raises:
        InputError: a field of the request is wrong (``dask``, ``chunk``, ``targets``), or
            dask.distributed is missing.
        OperationError: the Dask scheduler cannot be reached, or a sink could not write.
        RuntimeError: called inside a running event loop (await :func:`run_async`).
    """
    check_request(dask=dask, chunk=chunk)
    if dask is not None:
        return _run_dask(targets, settings, sinks, total=total, address=dask, chunk=chunk, signals=signals)
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return scan_loop.run(run_async(targets, settings, sinks, total=total, signals=signals))
    raise RuntimeError("mailcert.scan.engine.run() cannot run inside an event loop; await run_async() instead")


async def run_async(
    targets: Iterable[Target] | AsyncIterable[Target],
    settings: ScanSettings,
    sinks: Sequence[Sink] = (),
    *,
    total: int | None = None,
    stop: asyncio.Event | None = None,
    signals: bool = False,
) -> ScanSummary:
    """:func:`run` on the running event loop (never on Dask); ``stop`` ends the scan gracefully."""
    tally = _Tally(sinks, total)
    stop = stop or asyncio.Event()
    for sink in sinks:
        sink.started(total)
    try:
        with _stop_on_signals(stop, tally) if signals else contextlib.nullcontext():
            ticker = asyncio.ensure_future(_tick(tally))
            try:
                async for result in scan(targets, settings, stop=stop):
                    if not tally.add(result):
                        stop.set()
                tally.interrupted = tally.interrupted or stop.is_set()
            finally:
                ticker.cancel()
    finally:
        summary = _finish(tally)
    return summary


async def _tick(tally: _Tally) -> None:
    while True:
        await asyncio.sleep(TICK)
        tally.flush()


@contextlib.contextmanager
def _stop_on_signals(stop: asyncio.Event, tally: _Tally) -> Iterator[None]:
    """SIGINT/SIGTERM set ``stop`` while the scan runs (where signals can be handled: the main
    thread of a platform that has them); the previous handlers come back afterwards."""
    loop = asyncio.get_running_loop()

    def interrupted() -> None:
        tally.interrupted = True
        stop.set()

    handled = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, interrupted)
            handled.append(sig)
        except (NotImplementedError, RuntimeError, ValueError):  # not the main thread, or no signals here
            pass
    try:
        yield
    finally:
        for sig in handled:
            loop.remove_signal_handler(sig)


def _finish(tally: _Tally) -> ScanSummary:
    """Every sink gets ``finished``, even when one of them fails; the first failure is raised."""
    summary = tally.summary()
    failure: BaseException | None = None
    for sink in tally.sinks:
        try:
            sink.finished(summary)
        except BaseException as exc:  # noqa: BLE001 - the other sinks must still flush; re-raised below
            failure = failure or exc
    if failure is not None:
        raise failure
    return summary


def _run_dask(
    targets: Iterable[Target] | AsyncIterable[Target],
    settings: ScanSettings,
    sinks: Sequence[Sink],
    *,
    total: int | None,
    address: str,
    chunk: int,
    signals: bool,
) -> ScanSummary:
    """The Dask bridge: results come back per chunk into this thread, to the same sinks."""
    if isinstance(targets, AsyncIterable):
        raise InputError("targets must be a plain iterable to scan on dask (workers get lists of them)", field="targets")
    tally = _Tally(sinks, total)
    for sink in sinks:
        sink.started(total)
    try:
        with _sigterm_interrupts() if signals else contextlib.nullcontext():
            _drain(scan_on_dask(address, targets, settings, chunk=chunk or DEFAULT_CHUNK), tally)
    finally:
        summary = _finish(tally)
    return summary


def _drain(results: Any, tally: _Tally) -> None:
    """Hand out the Dask results until they end, a sink closes or Ctrl-C (KeyboardInterrupt)."""
    try:
        for result in results:
            if not tally.add(result):
                break
    except KeyboardInterrupt:
        tally.interrupted = True
    finally:
        try:
            results.close()  # cancels the chunks still out
        except KeyboardInterrupt:
            tally.interrupted = True


@contextlib.contextmanager
def _sigterm_interrupts() -> Iterator[None]:
    """SIGTERM as Ctrl-C while the Dask client runs (its own threads own the event loop)."""

    def terminate(_signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt

    try:
        previous: Callable[..., Any] | int | None = signal.signal(signal.SIGTERM, terminate)
    except ValueError:  # not the main thread: the caller keeps its own handling
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


async def in_thread(targets: Iterable[Target], batch: int = 512) -> AsyncIterator[Target]:
    """``targets`` read in a worker thread, ``batch`` at a time: a slow pipe (standard input)
    must not stall the connections in flight on the event loop."""
    it = iter(targets)
    while True:
        taken = await asyncio.to_thread(lambda: list(itertools.islice(it, batch)))
        if not taken:
            return
        for target in taken:
            yield target
