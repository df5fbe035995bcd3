"""The event loop a scan runs on: uvloop where it is installed, asyncio's own where it is not.

Why uvloop, for the scan: a scan of one machine's fleet is bound by the client's CPU per target
(the servers and the kernel share the cores), and uvloop's transports and TLS layer spend less
of it around each handshake than asyncio's Python ones.  Measured with bench/scan_bench.py
(1,000 targets on real Dovecot listeners, a 2-core machine at load ~1.7): the scan went from
0.77-0.78x of the bare asyncio handshake loop to 0.85x, its CPU per target from 2.64-2.97 ms
to 2.54 ms; against sslyze from 8.0x to 8.5x.

Why not for ``check`` (nor the API's one-server check, demo, deploy's verify): one or two
connections save a fraction of a millisecond on uvloop, and importing it costs about 6.5 ms of
start-up (``python -X importtime``: 6.4-6.8 ms on top of asyncio), which ``check``'s budget
(1.5x a bare Python) pays at every run.  So this module is imported by the scan only.

Without uvloop (Windows has no build of it; an install that left it out) the scan runs on
asyncio's own loop: the probe driver is one code path on both, and its messages read the same
(the driver normalises where uvloop words a failure differently).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, Final, TypeVar

__all__ = ["LOOP_FACTORY", "run"]

_T = TypeVar("_T")


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop]:
    try:
        import uvloop  # optional library: no Windows build, and asyncio's loop runs the same code
    except ImportError:
        return asyncio.new_event_loop
    return uvloop.new_event_loop


LOOP_FACTORY: Final = _loop_factory()
"""Makes the scan's event loop: ``uvloop.new_event_loop`` when importable, else asyncio's."""


def run(main: Coroutine[Any, Any, _T]) -> _T:
    """``asyncio.run(main)`` on a loop of :data:`LOOP_FACTORY` (Ctrl-C cancels ``main`` as there)."""
    with asyncio.Runner(loop_factory=LOOP_FACTORY) as runner:
        return runner.run(main)
