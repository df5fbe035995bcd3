"""The engine's inventory sink: results into the inventory, in batches.

The sinks that render (JSON lines, progress bar, OpenMetrics) live in
:mod:`mailcert.report.sinks`: the engine sits below the renderers.
"""

from __future__ import annotations

import time
from typing import Any, Final

from mailcert.scan.engine import ScanSummary, Sink
from mailcert.scan.inventory import Inventory
from mailcert.scan.runner import ScanResult

__all__ = ["InventorySink"]


class InventorySink(Sink):
    """Results into the inventory: one scan row, the results in batches (one transaction and one
    multi-row insert each, so a scan's ``done`` always equals the rows it has), and the scan's
    state at the end (``finished`` or ``interrupted``)."""

    BATCH: Final = 500
    EVERY: Final = 1.0  # seconds: an interrupted or slow scan still lands in the inventory promptly

    def __init__(self, inventory: Inventory, options: dict[str, Any]) -> None:
        self.inventory = inventory
        self.options = options
        self.scan_id: int | None = None
        self.batch: list[ScanResult] = []
        self.flushed = time.monotonic()

    def started(self, total: int | None) -> None:
        self.scan_id = self.inventory.begin_scan(self.options, targets=total)

    def result(self, result: ScanResult) -> None:
        self.batch.append(result)
        if len(self.batch) >= self.BATCH or time.monotonic() - self.flushed >= self.EVERY:
            self._write()

    def flush(self) -> None:
        if self.batch and time.monotonic() - self.flushed >= self.EVERY:
            self._write()

    def finished(self, summary: ScanSummary) -> None:
        if self.scan_id is None:
            return
        self._write()
        state = "interrupted" if summary.interrupted else "finished"
        self.inventory.finish_scan(self.scan_id, state, targets=None if summary.interrupted else summary.done)

    def _write(self) -> None:
        assert self.scan_id is not None, "results before started()"
        batch, self.batch = self.batch, []
        self.inventory.add_results(self.scan_id, batch)
        self.flushed = time.monotonic()

