"""``mailcert scan``: check a fleet concurrently; JSON lines out, history into the inventory."""

from __future__ import annotations

import argparse
import contextlib
import itertools
import os
import sys
from typing import TYPE_CHECKING, Any, TextIO

from mailcert.address import DnsResolver
from mailcert.assess import select_profiles
from mailcert.commands._common import add_expiry_options, client_help, critical_days, open_inventory, parse_when, say
from mailcert.errors import InputError, OperationError
from mailcert.fsutil import open_output
from mailcert.inputs import open_text_input, read_input
from mailcert.report.sinks import JsonLinesSink, OpenMetricsSink, ProgressSink
from mailcert.scan import DEFAULT_CONCURRENCY, DEFAULT_PER_HOST
from mailcert.scan.engine import check_request, in_thread, run as run_scan, worst
from mailcert.scan.runner import ScanSettings
from mailcert.scan.targets import count_targets, read_targets, targets_of_domains

if TYPE_CHECKING:
    from collections.abc import AsyncIterable, Iterable

    from mailcert.scan.engine import Sink
    from mailcert.scan.sinks import InventorySink
    from mailcert.scan.targets import Target

__all__ = ["register", "run", "exit_status"]

def register(sub: Any) -> None:
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
    """The exit status of a scan: the worst status any target had; 0 when empty."""
    return int(worst(counts))


def run(args: argparse.Namespace) -> int:
    """Parse, build the settings and sinks, run the engine, say how it ended."""
    settings = _settings(args)
    targets, total, file_stream = _targets(args)
    with contextlib.ExitStack() as stack:
        if file_stream is not None:
            stack.callback(file_stream.close)
        keep, sinks = _sinks(args, settings, stack)
        summary = run_scan(targets, settings, sinks, total=total, dask=args.dask, chunk=args.chunk)
    if not args.quiet:
        c = summary.counts
        how = "interrupted after" if summary.interrupted else "scanned"
        say(
            f"mailcert: {how} {summary.done} targets: {c['OK']} OK, {c['WARNING']} WARNING, {c['CRITICAL']} CRITICAL,"
            f" {c['UNKNOWN']} UNKNOWN; scan {keep.scan_id} in {keep.inventory.where}",
            err=True,
        )
    return 130 if summary.interrupted else int(summary.worst)


def _settings(args: argparse.Namespace) -> ScanSettings:
    """The engine's settings from the command line (the trust store read once, here); the
    combinations of options that cannot work are refused before anything is opened."""
    if args.file is None and not args.domain:
        if sys.stdin.isatty():
            raise InputError("nothing to scan: give a targets file, - for standard input, or --domain D")
        args.file = "-"
    if args.services and not args.domain:
        raise InputError("--services goes with --domain")
    check_request(dask=args.dask, chunk=args.chunk)  # a typo or a missing extra fails before anything is opened
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


def _targets(args: argparse.Namespace) -> tuple[Iterable[Target] | AsyncIterable[Target], int | None, TextIO | None]:
    """The targets (domains' first, then the file's or standard input's), their number when
    known (for the progress bar), and the open targets file."""
    domain_targets: list[Target] = []
    if args.domain:
        resolver = DnsResolver(args.nameserver, timeout=min(args.timeout, 10.0))
        domain_targets = list(targets_of_domains(args.domain, resolver, services=args.services))
    if args.file is None:
        return domain_targets, len(domain_targets), None
    if args.file == "-":
        stdin = itertools.chain(domain_targets, read_targets(sys.stdin, "-"))
        # a slow pipe must not stall the connections in flight (Dask reads in its own thread)
        return (stdin if args.dask else in_thread(stdin)), None, None

    try:
        # one descriptor, checked once (a regular file, never a FIFO or a device), counted
        # for the progress bar, then read from the start
        stream = open_text_input(args.file)
        total = len(domain_targets) + count_targets(stream)
        stream.seek(0)
    except InputError as exc:
        raise InputError(f"targets file {exc}") from None
    except OSError as exc:
        raise InputError(f"targets file {args.file}: {exc.strerror}") from None
    return itertools.chain(domain_targets, read_targets(stream, args.file)), total, stream


def _sinks(args: argparse.Namespace, settings: ScanSettings, stack: contextlib.ExitStack) -> tuple[InventorySink, list[Sink]]:
    """The sinks the options ask for: the inventory always, JSON lines to --out (or standard
    output when it is not a terminal), OpenMetrics, the progress bar on a terminal."""
    # lazy: sqlalchemy comes with the inventory sink: when a scan runs, not for mailcert --help
    from mailcert.scan.sinks import InventorySink

    if args.openmetrics and not os.path.isdir(os.path.dirname(os.path.abspath(args.openmetrics))):
        raise InputError(f"--openmetrics {args.openmetrics}: no such directory")
    out: TextIO | None = None
    if args.out:
        try:
            out = stack.enter_context(open_output(args.out))  # never through a link, never another user's file
        except OperationError as exc:
            raise InputError(f"--out: {exc}") from None
    elif not sys.stdout.isatty():
        out = sys.stdout
    inventory = open_inventory(args.db)
    stack.callback(inventory.close)
    keep = InventorySink(inventory, _options(args))
    sinks: list[Sink] = [keep]
    if out is not None:
        sinks.append(JsonLinesSink(out))
    if args.openmetrics:
        sinks.append(OpenMetricsSink(args.openmetrics, at=settings.at))
    if not args.quiet and sys.stderr.isatty():
        sinks.append(ProgressSink())
    return keep, sinks


def _options(args: argparse.Namespace) -> dict[str, Any]:
    """How the scan was run, as the inventory records it."""
    return {
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
