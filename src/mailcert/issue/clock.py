"""The clock, passed in: wall time for validity and deadlines, a sleep for polling.

ACME is a polling protocol, so time is an input like the network: tests hand in a clock that
sleeps without waiting (or that is interrupted mid-poll), the CLI hands in :class:`SystemClock`.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import Protocol

__all__ = ["Clock", "SystemClock"]


class Clock(Protocol):
    """What the issuing code needs to know about time."""

    def now(self) -> datetime:
        """The current time, timezone-aware (UTC)."""
        ...

    def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` (polling); may be interrupted (KeyboardInterrupt)."""
        ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        return datetime.now(timezone.utc)

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)
