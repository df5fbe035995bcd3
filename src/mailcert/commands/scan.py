"""``mailcert scan``: check a fleet concurrently; JSON lines out, history into the inventory."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any, TextIO

from mailcert.commands._common import add_expiry_options, client_help, critical_days, parse_when, say

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import AsyncIterator, Iterable, Iterator

    from mailcert.report.metrics import TargetMetrics
    from mailcert.scan.inventory import Inventory
    from mailcert.scan.runner import ScanResult, ScanSettings
    from mailcert.scan.targets import Target

__all__ = ["register", "run", "exit_status"]

# worst first: a certificate that clients refuse outranks a server we could not reach
_RANK = {"OK": 0, "UNKNOWN": 1, "WARNING": 2, "CRITICAL": 3}


def register(sub: Any) -> None:
    from mailcert.scan import DEFAULT_CONCURRENCY, DEFAULT_PER_HOST

    p = sub.add_parser(
        "scan",
        help="check a fleet of mail servers concurrently; JSON lines and an inventory with history",
        description=(
            "Check every target the way `mailcert check` does (one TLS connection with SNI; --sni both"
            " adds the one without), concurrently. Targets: FILE (one `TARGET [NAME]` per line, # starts a"
            " comment; - for standard input) and/or --domain (MX hosts on port 25; with --services also"
            " SRV and the usual imap./pop./smtp./mail. names). Each target's result is one JSON line (the"
            " `check --format json` document plus \"target\" and \"name\"; UNKNOWN with \"error\" when it"
            " could not be checked) to --out or to standard output when that is not a terminal; all are"
            " stored in the inventory (--db) for `mailcert report`. Ctrl-C stops and keeps what finished."
            " Exit status: the worst target's (CRITICAL 2 > WARNING 1 > UNKNOWN 3 > OK 0); 130 if interrupted."
        ),
    )
    p.add_argument("file", nargs="?", metavar="FILE|-", help="targets file, or - for standard input")
    p.add_argument("--domain", action="append", default=[], metavar="D", help="scan this domain's MX hosts (repeatable)")
    p.add_argument("--services", action="store_true", help="with --domain: also the IMAP/POP3/submission hosts (SRV and usual names)")
    p.add_argument("--nameserver", action="append", default=[], metavar="IP[:PORT]", help="DNS server for --domain lookups (repeatable)")
    p.add_argument("--concurrency", type=int, default=DEFAULT_CONCURRENCY, metavar="N", help=f"targets checked at once (default {DEFAULT_CONCURRENCY})")
    p.add_argument("--per-host", type=int, default=DEFAULT_PER_HOST, metavar="N", help=f"targets checked at once on one host (default {DEFAULT_PER_HOST})")
    p.add_argument("--timeout", type=float, default=10.0, metavar="S", help="deadline per connection, seconds (default 10)")
    p.add_argument("--sni", choices=("name", "both"), default="name", help="name: one connection with SNI (default); both: also one without SNI")
    p.add_argument("--out", metavar="FILE", help="write the JSON lines here (default: standard output when it is not a terminal)")
    p.add_argument("--db", metavar="URL", help="inventory: a file, sqlite:///FILE or postgresql://USER@HOST/DB (default: the XDG data dir)")
    p.add_argument("--dask", metavar="ADDR", help="run on a Dask cluster: tcp://SCHEDULER:8786, or local:N worker processes")
    p.add_argument("--chunk", type=int, default=0, metavar="N", help="with --dask: targets per task (default 250)")
    p.add_argument("--cafile", metavar="FILE", help="trust these CA certificates instead of the system store")
    p.add_argument("--client", action="append", default=[], metavar="ID", help=client_help())
    add_expiry_options(p)
    p.add_argument("--at", metavar="ISO-DATE", help="judge as of this date/time instead of now")
    p.add_argument("--ehlo", metavar="NAME", help="name to give in SMTP EHLO (default: our address literal)")
    p.add_argument("--dane", action="store_true", help="judge the sending servers (DANE TLSA, MTA-STS) on every SMTP target (always on for port 25)")
    p.add_argument("--resolver", metavar="ADDR[:PORT]", help="the DNSSEC-validating resolver to ask for TLSA (default: the system's)")
    p.add_argument(
        "--openmetrics", metavar="FILE",
        help="also write the results as OpenMetrics text to FILE, atomically: per-target status and days left,"
        " per-client refusals (for node_exporter's textfile collector: a *.prom file in its directory)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar and no summary")
    p.set_defaults(func=run)


def exit_status(counts: dict[str, int]) -> int:
    """The exit status of a scan: the worst status any target had (see ``_RANK``); 0 when empty."""
    from mailcert.model import Status

    worst = max((s for s, n in counts.items() if n), key=lambda s: _RANK[s], default="OK")
    return int(Status[worst])


def run(args: argparse.Namespace) -> int:
    import itertools
    import os

    from mailcert.errors import InputError

    if args.file is None and not args.domain:
        if sys.stdin.isatty():
            raise InputError("nothing to scan: give a targets file, - for standard input, or --domain D")
        args.file = "-"
    if args.services and not args.domain:
        raise InputError("--services goes with --domain")
    settings = _settings(args)
    if args.chunk < 0:
        raise InputError("--chunk must be a positive number of targets")
    if args.dask:
        from mailcert.scan.dask import load_distributed, parse_address

        parse_address(args.dask)  # a typo or a missing extra fails before anything is scanned
        load_distributed()

    domain_targets: list[Target] = []
    if args.domain:
        from mailcert.address import DnsResolver
        from mailcert.scan.targets import targets_of_domains

        resolver = DnsResolver(args.nameserver, timeout=min(args.timeout, 10.0))
        domain_targets = list(targets_of_domains(args.domain, resolver, services=args.services))

    total: int | None = len(domain_targets)
    file_stream: TextIO | None = None
    if args.file == "-":
        total = None
    elif args.file is not None:
        from mailcert.inputs import open_text_input
        from mailcert.scan.targets import count_targets

        try:
            # one descriptor, checked once (a regular file, never a FIFO or a device), counted
            # for the progress bar, then read from the start
            file_stream = open_text_input(args.file)
            assert total is not None
            total += count_targets(file_stream)
            file_stream.seek(0)
        except InputError as exc:
            raise InputError(f"targets file {exc}") from None
        except OSError as exc:
            raise InputError(f"targets file {args.file}: {exc.strerror}") from None

    if args.openmetrics and not os.path.isdir(os.path.dirname(os.path.abspath(args.openmetrics))):
        raise InputError(f"--openmetrics {args.openmetrics}: no such directory")
    out: TextIO | None = None
    if args.out:
        from mailcert.errors import OperationError
        from mailcert.fsutil import open_output

        try:
            out = open_output(args.out)  # never through a link, never another user's file
        except OperationError as exc:
            raise InputError(f"--out: {exc}") from None
    elif not sys.stdout.isatty():
        out = sys.stdout

    from mailcert.commands._common import open_inventory

    inventory = open_inventory(args.db)
    options = {
        "file": args.file,
        "domains": args.domain,
        "services": args.services,
        "concurrency": args.concurrency,
        "per_host": args.per_host,
        "timeout": args.timeout,
        "sni": args.sni,
        "clients": args.client,
        "warn_days": args.warn_days,
        "critical_days": args.critical_days,
        "cafile": args.cafile,
        "dask": args.dask,
        "pid": os.getpid(),
    }
    sink = _Sink(inventory, inventory.begin_scan(options, targets=total), out, total, quiet=args.quiet)
    if args.openmetrics:
        sink.metrics, sink.at = [], settings.at
    try:
        if args.dask:
            from mailcert.scan.targets import read_targets

            file_targets = read_targets(file_stream or sys.stdin, args.file or "-") if args.file else iter(())
            _run_dask(args.dask, itertools.chain(domain_targets, file_targets), settings, sink, args.chunk)
        else:
            import asyncio

            asyncio.run(_run_local(domain_targets, args.file, file_stream, settings, sink))
    finally:
        sink.close()
        if file_stream is not None:
            file_stream.close()
        if out is not None and out is not sys.stdout:
            out.close()
        inventory.close()
    if args.openmetrics:
        _write_metrics(args.openmetrics, sink)
    if not args.quiet:
        sink.summary()
    return 130 if sink.interrupted else exit_status(sink.counts)


def _write_metrics(path: str, sink: _Sink) -> None:
    """The metrics file, replaced in one rename: node_exporter never reads half of it."""
    import datetime as dt

    from mailcert.fsutil import write_atomic
    from mailcert.report.metrics import openmetrics_text

    assert sink.metrics is not None
    text = openmetrics_text(sink.metrics, finished=dt.datetime.now(dt.timezone.utc))
    write_atomic(path, text.encode("utf-8"), mode=0o644, backup=False)


def _settings(args: argparse.Namespace) -> ScanSettings:
    """The engine's settings from the command line (the trust store read once, here)."""
    from mailcert.assess import select_profiles
    from mailcert.errors import InputError
    from mailcert.inputs import read_input
    from mailcert.scan.runner import ScanSettings

    cafile_pem = None
    if args.cafile:
        try:
            cafile_pem = read_input(args.cafile, what="CA certificates")
        except InputError as exc:
            raise InputError(f"--cafile {exc}") from None
    select_profiles(args.client)  # unknown ids fail now, not on every target
    return ScanSettings(
        clients=tuple(args.client),
        cafile_pem=cafile_pem,
        cafile_label=args.cafile or "",
        warn_days=args.warn_days,
        critical_days=critical_days(args),
        at=parse_when(args.at) if args.at else None,
        timeout=args.timeout,
        sni_both=args.sni == "both",
        concurrency=args.concurrency,
        per_host=args.per_host,
        ehlo_name=args.ehlo,
        dane=args.dane,
        resolver=args.resolver,
    )


async def _run_local(
    domain_targets: list[Target], file: str | None, file_stream: TextIO | None, settings: ScanSettings, sink: _Sink
) -> None:
    import asyncio
    import signal

    from mailcert.scan.runner import scan

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()

    def interrupted() -> None:
        sink.interrupted = True
        stop.set()

    handled = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, interrupted)
            handled.append(sig)
        except (NotImplementedError, RuntimeError, ValueError):  # not the main thread, or no signals here
            pass
    async def tick() -> None:
        # results that finished just before a long quiet spell (servers that time out) must
        # still reach the file and the inventory within a second
        while True:
            await asyncio.sleep(sink.EVERY)
            sink.flush_if_due()

    ticker = asyncio.ensure_future(tick())
    try:
        async for result in scan(_local_targets(domain_targets, file, file_stream), settings, stop=stop):
            if not sink.add(result):
                sink.interrupted = True
                stop.set()
    finally:
        ticker.cancel()
        for sig in handled:
            loop.remove_signal_handler(sig)


async def _local_targets(domain_targets: list[Target], file: str | None, file_stream: TextIO | None) -> AsyncIterator[Target]:
    """Domain targets, then the file's, then standard input's (read in a thread: a slow pipe
    must not stall the connections in flight)."""
    import asyncio
    import itertools

    from mailcert.scan.targets import parse_line

    for target in domain_targets:
        yield target
    if file_stream is not None:
        for target in _file_targets(file_stream, file or "-"):
            yield target
    elif file == "-":
        number = 0
        while True:
            lines = await asyncio.to_thread(lambda: list(itertools.islice(sys.stdin, 512)))
            if not lines:
                return
            for line in lines:
                number += 1
                parsed = parse_line(line, f"-:{number}")
                if parsed is not None:
                    yield parsed


def _file_targets(stream: TextIO, source: str) -> Iterator[Target]:
    from mailcert.scan.targets import read_targets

    return read_targets(stream, source)


def _run_dask(address: str, targets: Iterable[Target], settings: ScanSettings, sink: _Sink, chunk: int) -> None:
    import signal

    from mailcert.scan.dask import DEFAULT_CHUNK, scan_on_dask

    def terminate(_signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, terminate)
    results = scan_on_dask(address, targets, settings, chunk=chunk or DEFAULT_CHUNK)
    try:
        for result in results:
            if not sink.add(result):
                sink.interrupted = True
                break
    except KeyboardInterrupt:
        sink.interrupted = True
    finally:
        try:
            results.close()
        except KeyboardInterrupt:
            sink.interrupted = True
        signal.signal(signal.SIGTERM, previous)


def _target_metrics(result: ScanResult, at: dt.datetime | None) -> TargetMetrics:
    """The few facts of ``result`` the metrics need (days left as of ``--at`` or the check)."""
    from mailcert.report.metrics import TargetMetrics

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


class _Sink:
    """Where results go: the JSON lines, the inventory (in batches, one transaction each),
    the progress bar.  ``add`` returns False when the output is gone (a closed pipe)."""

    BATCH = 500
    EVERY = 1.0  # seconds: an interrupted or slow scan still lands in the inventory promptly

    def __init__(self, inventory: Inventory, scan_id: int, out: TextIO | None, total: int | None, *, quiet: bool) -> None:
        import time

        from mailcert.report.scanline import line

        self.line = line
        self.inventory = inventory
        self.scan_id = scan_id
        self.out = out
        self.total = total
        self.counts: dict[str, int] = {"OK": 0, "WARNING": 0, "CRITICAL": 0, "UNKNOWN": 0}
        self.done = 0
        self.interrupted = False
        self.batch: list[ScanResult] = []
        self.flushed = time.monotonic()
        self.progress: Any = None
        self.metrics: list[TargetMetrics] | None = None  # kept only for --openmetrics
        self.at: dt.datetime | None = None
        self.task: Any = None
        if not quiet and sys.stderr.isatty():
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self.progress = Progress(
                TextColumn("scan"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[counts]}"),
                TimeElapsedColumn(), console=Console(stderr=True), transient=False,
            )
            self.progress.start()
            self.task = self.progress.add_task("scan", total=total, counts="")

    def add(self, result: ScanResult) -> bool:
        import time

        self.counts[result.status.name] += 1
        if self.metrics is not None:
            self.metrics.append(_target_metrics(result, self.at))
        self.done += 1
        self.batch.append(result)
        ok = True
        if self.out is not None:
            try:
                self.out.write(self.line(result) + "\n")
            except BrokenPipeError:
                self.out = None
                ok = False
        if len(self.batch) >= self.BATCH or time.monotonic() - self.flushed >= self.EVERY:
            self.flush()
        if self.progress is not None:
            c = self.counts
            text = f"OK {c['OK']}  WARN {c['WARNING']}  CRIT {c['CRITICAL']}  UNKNOWN {c['UNKNOWN']}"
            self.progress.update(self.task, advance=1, counts=text)
        return ok

    def flush_if_due(self) -> None:
        import time

        if self.batch and time.monotonic() - self.flushed >= self.EVERY:
            self.flush()

    def flush(self) -> None:
        import time

        if self.out is not None:
            try:
                self.out.flush()
            except BrokenPipeError:
                self.out = None
        self.inventory.add_results(self.scan_id, self.batch)
        self.batch = []
        self.flushed = time.monotonic()

    def close(self) -> None:
        try:
            self.flush()
        finally:
            if self.progress is not None:
                self.progress.stop()
            state = "interrupted" if self.interrupted else "finished"
            self.inventory.finish_scan(self.scan_id, state, targets=None if self.interrupted else self.done)

    def summary(self) -> None:
        c = self.counts
        how = "interrupted after" if self.interrupted else "scanned"
        say(
            f"mailcert: {how} {self.done} targets: {c['OK']} OK, {c['WARNING']} WARNING, {c['CRITICAL']} CRITICAL,"
            f" {c['UNKNOWN']} UNKNOWN; scan {self.scan_id} in {self.inventory.where}",
            err=True,
        )
