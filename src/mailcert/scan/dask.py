"""The same scan spread over a Dask cluster: ``--dask tcp://scheduler:8786`` or ``--dask local:N``.

The target list is cut into chunks; each chunk is one task, and a worker runs the ordinary
asyncio scanner (:func:`mailcert.scan.runner.scan_chunk`, the one code path) on it with the
scan's settings.  Results come back per chunk, as chunks finish, into the caller, which
writes them to the one inventory and the JSON lines exactly as a local scan does.

Memory stays flat however long the list: only ``in_flight`` chunks exist at a time (twice the
workers' threads by default); the next chunk is cut from the input when one comes back.
``concurrency`` and ``per_host`` apply per worker.

``local:N`` starts a :class:`distributed.LocalCluster` of N worker processes on this machine
(one thread each: a worker's event loop is its concurrency) and stops it afterwards.
"""

from __future__ import annotations

import importlib
import itertools
from collections.abc import Generator, Iterable, Iterator
from typing import Any, Final

from mailcert.errors import InputError, OperationError
from mailcert.scan.runner import ScanResult, ScanSettings, scan_chunk, unknown_result
from mailcert.scan.targets import Target

__all__ = ["DEFAULT_CHUNK", "load_distributed", "parse_address", "scan_on_dask"]

DEFAULT_CHUNK: Final = 250
"""Targets per task: big enough that scheduling costs nothing next to the handshakes, small
enough that results stream back every second or so and a lost worker loses little."""


def parse_address(text: str) -> tuple[str, int]:
    """``local:N`` -> ("local", N); ``tcp://host:port`` (or ``host:port``) -> (address, 0)."""
    text = text.strip()
    if text.startswith("local"):
        _, _, count = text.partition(":")
        if not count:
            return "local", 2
        if not count.isdigit() or int(count) < 1:
            raise InputError(f"dask {text!r}: local:N needs a number of worker processes, e.g. local:4", field="dask")
        return "local", int(count)
    if "://" not in text:
        text = "tcp://" + text
    scheme, _, rest = text.partition("://")
    if scheme not in ("tcp", "tls", "ucx", "inproc", "ws", "wss") or not rest:
        raise InputError(f"dask {text!r}: give the scheduler's address (tcp://HOST:8786) or local:N", field="dask")
    return text, 0


def load_distributed() -> Any:
    """dask.distributed, or a one-line error naming the extra that installs it (it is not in
    the base install: most fleets fit one machine)."""
    try:
        # typed as Any: distributed has no type hints, and this module only passes values through
        return importlib.import_module("distributed")
    except ImportError:
        raise InputError("dask needs dask.distributed, which is not installed: pip install 'mailcert[dask]'", field="dask") from None


def _chunks(targets: Iterable[Target], size: int) -> Iterator[tuple[Target, ...]]:
    it = iter(targets)
    while chunk := tuple(itertools.islice(it, size)):
        yield chunk


def scan_on_dask(
    address: str,
    targets: Iterable[Target],
    settings: ScanSettings,
    *,
    chunk: int = DEFAULT_CHUNK,
    in_flight: int | None = None,
) -> Generator[ScanResult, None, None]:
    """Scan ``targets`` on the cluster at ``address`` (see :func:`parse_address`); yield results
    as chunks finish.  A chunk whose task fails (a worker died twice) yields UNKNOWN results for
    its targets, so every target still gets exactly one.  Closing the iterator early (Ctrl-C)
    cancels the chunks still out; results already yielded stay yielded."""
    distributed = load_distributed()
    where, workers = parse_address(address)
    cluster: Any = None
    try:
        if where == "local":
            cluster = distributed.LocalCluster(
                n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=50
            )
            client = distributed.Client(cluster)
        else:
            client = distributed.Client(where, timeout=10)
    except (OSError, TimeoutError) as exc:
        if cluster is not None:
            cluster.close()
        raise OperationError(f"dask {address}: cannot reach the scheduler: {exc}", field="dask") from None
    try:
        threads = sum(client.nthreads().values()) or 1
        limit = in_flight or 2 * threads
        chunks = _chunks(targets, max(1, chunk))
        outstanding: dict[Any, tuple[Target, ...]] = {}

        def submit(share: tuple[Target, ...]) -> Any:
            future = client.submit(scan_chunk, share, settings, pure=False)
            outstanding[future] = share
            return future

        pool = distributed.as_completed([submit(share) for share in itertools.islice(chunks, limit)])
        for future in pool:
            share = outstanding.pop(future)
            try:
                results: list[ScanResult] = future.result()
            except Exception as exc:  # noqa: BLE001 - a lost chunk is UNKNOWN results, not a lost scan
                results = [unknown_result(t, f"worker failed: {type(exc).__name__}: {exc}") for t in share]
            future.release()
            nxt = next(chunks, None)
            if nxt is not None:
                pool.add(submit(nxt))
            yield from results
    finally:
        for future in outstanding:
            future.cancel()
        client.close()
        if cluster is not None:
            cluster.close()
