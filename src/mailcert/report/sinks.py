"""Sinks of the fleet engine (:mod:`mailcert.scan.engine`) that render: JSON lines, a progress
bar on a terminal, OpenMetrics text.  Each reads only the results (they carry their request)."""

from __future__ import annotations

import datetime as dt
from typing import Any, TextIO

from mailcert.fsutil import write_atomic
from mailcert.report.metrics import TargetMetrics, openmetrics_text
from mailcert.report.scanline import line
from mailcert.scan.engine import ScanSummary, Sink, SinkClosed
from mailcert.scan.runner import ScanResult

__all__ = ["JsonLinesSink", "ProgressSink", "OpenMetricsSink", "target_metrics"]


class JsonLinesSink(Sink):
    """One JSON line per result (``check --format json`` plus target and name) on ``out``;
    flushed on every engine tick.  A closed pipe (``| head``) stops the scan."""

    def __init__(self, out: TextIO) -> None:
        self.out: TextIO | None = out

    def result(self, result: ScanResult) -> None:
        if self.out is None:
            return
        try:
            self.out.write(line(result) + "\n")
        except BrokenPipeError:
            self.out = None
            raise SinkClosed("the JSON lines' reader went away") from None

    def flush(self) -> None:
        if self.out is None:
            return
        try:
            self.out.flush()
        except BrokenPipeError:
            self.out = None

    def finished(self, summary: ScanSummary) -> None:
        self.flush()


class ProgressSink(Sink):
    """A rich progress bar on standard error: targets done of the total, counts per status."""

    def __init__(self) -> None:
        from rich.console import Console  # rich loads only when a terminal shows the bar
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.progress = Progress(
            TextColumn("scan"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[counts]}"),
            TimeElapsedColumn(), console=Console(stderr=True), transient=False,
        )
        self.counts = {"OK": 0, "WARNING": 0, "CRITICAL": 0, "UNKNOWN": 0}
        self.task: Any = None

    def started(self, total: int | None) -> None:
        self.progress.start()
        self.task = self.progress.add_task("scan", total=total, counts="")

    def result(self, result: ScanResult) -> None:
        self.counts[result.status.name] += 1
        c = self.counts
        text = f"OK {c['OK']}  WARN {c['WARNING']}  CRIT {c['CRITICAL']}  UNKNOWN {c['UNKNOWN']}"
        self.progress.update(self.task, advance=1, counts=text)

    def finished(self, summary: ScanSummary) -> None:
        self.progress.stop()


def target_metrics(result: ScanResult, at: dt.datetime | None) -> TargetMetrics:
    """The few facts of ``result`` the metrics need (days left as of ``at`` or of the check)."""
    days = None
    if result.not_after is not None:
        days = int((result.not_after - (at or result.checked_at)).total_seconds() // 86400)
    return TargetMetrics(
        target=result.target.text,
        name=result.target.name,
        status=result.status.name,
        not_after=result.not_after,
        days_left=days,
        refused=tuple(c for c, ok in result.verdicts if not ok),
        judged=tuple(c for c, _ in result.verdicts),
    )


class OpenMetricsSink(Sink):
    """The scan as OpenMetrics text in ``path``, written when the scan ends and replaced in one
    rename (node_exporter never reads half of it).  Keeps a few facts per target meanwhile."""

    def __init__(self, path: str, *, at: dt.datetime | None = None) -> None:
        self.path, self.at = path, at
        self.metrics: list[TargetMetrics] = []

    def result(self, result: ScanResult) -> None:
        self.metrics.append(target_metrics(result, self.at))

    def finished(self, summary: ScanSummary) -> None:
        text = openmetrics_text(self.metrics, finished=summary.finished_at)
        write_atomic(self.path, text.encode("utf-8"), mode=0o644, backup=False)
