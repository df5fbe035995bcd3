"""The scanner: the ``check`` machinery over many targets, concurrently, on one asyncio loop.

Per target: one TLS connection with SNI (``sni_both`` adds the one without SNI, as
``check`` always does), :func:`mailcert.doctor.diagnose`, and the ``check --format json``
(rendered by :mod:`mailcert.report.scanline`).  Every target gets exactly one :class:`ScanResult`:
a verdict, or UNKNOWN with the reason (unreachable, not TLS, bad line in the targets file, even
a bug in mailcert), never an exception that ends the scan (sslyze's rule: outcomes are values).

Bounded in every direction, so a million targets cost what a thousand do:

* at most ``concurrency`` targets are being checked at once, at most ``per_host`` of them on
  one host (connect address, or host name);
* targets are pulled from the input only when there is room (``window`` started tasks), so
  the input is never read ahead into memory;
* results are handed out as they finish (:func:`scan` is an async iterator), nothing is kept.

Stopping (Ctrl-C) is cooperative: set the ``stop`` event and :func:`scan` starts nothing new,
cancels what is in flight (each probe closes its own socket) and ends; the results it already
gave out are the scan's results.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import time
from collections.abc import AsyncGenerator, AsyncIterable, AsyncIterator, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Final

from mailcert.assess import select_profiles
from mailcert.certs.chain import TrustStore
from mailcert.doctor import Diagnosis, NotProbed, diagnose
from mailcert.errors import InputError, MailcertError, ProbeError
from mailcert.findings import Finding
from mailcert.model import Protocol, Status
from mailcert.judgement import Judgement
from mailcert.probe import loop as scan_loop
from mailcert.probe.driver import ProbeOptions, ProbeResult, SniPair, probe, probe_both
from mailcert.scan import DEFAULT_CONCURRENCY, DEFAULT_PER_HOST
from mailcert.scan.targets import Target
from mailcert.senders import sender_profiles, with_senders

__all__ = ["ScanSettings", "ScanResult", "judgement_for", "check_target", "scan", "scan_chunk", "DEFAULT_CONCURRENCY", "DEFAULT_PER_HOST"]


NOT_PROBED: Final = "not probed (scan makes the SNI connection only; --sni both adds this one)"


@dataclass(frozen=True)
class ScanSettings:
    """How to check each target (plain data: crosses to Dask workers by pickle).

    ``clients`` are profile ids (empty: all); ``cafile_pem`` the CA certificates to trust
    instead of the system store (the bytes, so remote workers need no file: PEM, DER, PKCS#7
    or a Java keystore, as ``--cafile`` takes them); ``at`` the clock to judge by (``None``:
    the time of each check).
    """

    clients: tuple[str, ...] = ()
    cafile_pem: bytes | None = None
    cafile_label: str = ""
    warn_days: int = 30
    critical_days: int | None = None
    at: dt.datetime | None = None
    timeout: float = 10.0
    sni_both: bool = False
    concurrency: int = DEFAULT_CONCURRENCY
    per_host: int = DEFAULT_PER_HOST
    ehlo_name: str | None = None
    dane: bool = False  # judge the sending servers on every SMTP target, not only on port 25
    resolver: str | None = None  # the validating resolver for TLSA (ADDR[:PORT]; None: the system's)

    def __post_init__(self) -> None:
        if not self.timeout > 0:
            raise InputError(f"timeout must be a positive number of seconds, not {self.timeout!r}", field="timeout")
        if self.concurrency < 1:
            raise InputError(f"concurrency must be at least 1, not {self.concurrency!r}", field="concurrency")
        if self.per_host < 1:
            raise InputError(f"per_host must be at least 1, not {self.per_host!r}", field="per_host")
        if self.resolver is not None:
            # lazy: dnspython only for a scan that judges senders (--dane, port 25)
            from mailcert.probe.dane import parse_resolver

            parse_resolver(self.resolver)  # bad input is said before any target is checked


@dataclass(frozen=True)
class ScanResult:
    """One target's outcome, carrying its request: the target (where, which name), and the
    diagnosis (what was served, judged against which clients, store, clock and thresholds) or
    the reason it could not be judged and what the connections did.  The flat fields are the
    facts the inventory keeps.  Plain values: results cross to Dask workers by pickle."""

    target: Target
    status: Status
    diagnosis: Diagnosis | None = None
    pair: SniPair | None = None  # the connections, when judging failed after probing
    error: str | None = None
    url: str | None = None
    fingerprint: str | None = None
    subject: str | None = None
    issuer: str | None = None
    not_before: dt.datetime | None = None
    not_after: dt.datetime | None = None
    trusted: bool | None = None
    findings: tuple[Finding, ...] = ()  # the diagnosis's, kept flat for the inventory (code, severity, facts)
    verdicts: tuple[tuple[str, bool], ...] = ()  # client id -> accepted (for every name)
    elapsed: float = 0.0
    checked_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc))


def judgement_for(settings: ScanSettings) -> Judgement:
    """The judgement of ``settings``, made once per process (profiles chosen, trust store read)."""
    return _judgement(
        settings.clients, settings.cafile_pem, settings.cafile_label, settings.at, settings.warn_days, settings.critical_days
    )


@functools.lru_cache(maxsize=8)
def _judgement(
    clients: tuple[str, ...],
    cafile_pem: bytes | None,
    label: str,
    at: dt.datetime | None,
    warn_days: int,
    critical_days: int | None,
) -> Judgement:
    profiles = tuple(select_profiles(list(clients)))
    if cafile_pem is None:
        return Judgement(profiles, None, at, warn_days, critical_days)

    try:
        store = TrustStore.from_bytes(cafile_pem, label or "--cafile")
    except InputError as exc:
        raise InputError(f"cafile_pem: {exc}", field="cafile_pem") from None
    return Judgement(profiles, store, at, warn_days, critical_days)


def unknown_result(target: Target, reason: str, *, elapsed: float = 0.0, pair: SniPair | None = None) -> ScanResult:
    """The result of a target that could not be checked: status UNKNOWN, the reason, and what
    the connections did when they were made."""
    url = target.endpoint.url if target.endpoint is not None else None
    return ScanResult(target, Status.UNKNOWN, error=reason, url=url, elapsed=elapsed, pair=pair)


async def check_target(target: Target, settings: ScanSettings, judgement: Judgement) -> ScanResult:
    """Check one target; never raises (except cancellation): failures are UNKNOWN results."""
    started = time.monotonic()
    if target.problem is not None or target.endpoint is None:
        return unknown_result(target, target.problem or "no target")
    endpoint = target.endpoint
    pair: SniPair | None = None
    try:
        if settings.sni_both:
            pair = await probe_both(
                endpoint, target.name, ProbeOptions(settings.timeout, target.connect, None, settings.ehlo_name)
            )
        else:
            outcome: ProbeResult | ProbeError
            try:
                outcome = await probe(
                    endpoint, sni=target.name, options=ProbeOptions(settings.timeout, target.connect, None, settings.ehlo_name)
                )
            except ProbeError as exc:
                outcome = exc
            pair = SniPair(target.name, outcome, NotProbed(NOT_PROBED))
        diagnosis = diagnose(pair, (target.name,), judgement)
        if endpoint.protocol is Protocol.SMTP and (endpoint.port == 25 or settings.dane):
            diagnosis = await _with_senders(diagnosis, target, settings)
        return _verdict(target, diagnosis, time.monotonic() - started)
    except MailcertError as exc:
        return unknown_result(target, str(exc), elapsed=time.monotonic() - started, pair=pair)
    except Exception as exc:  # noqa: BLE001 - a bug on one target must not end the fleet's scan
        reason = f"internal error: {type(exc).__name__}: {exc} (please report it)"
        return unknown_result(target, reason, elapsed=time.monotonic() - started, pair=pair)


async def _with_senders(diagnosis: Diagnosis, target: Target, settings: ScanSettings) -> Diagnosis:
    """The sending servers' rows and findings (DANE TLSA, and MTA-STS for --domain targets)."""
    # lazy: dnspython only for a scan that judges senders (--dane, port 25)
    from mailcert.probe.dane import lookup_sts, lookup_tlsa, parse_resolver

    assert target.endpoint is not None
    resolver = parse_resolver(settings.resolver)
    tlsa = lookup_tlsa(resolver, target.name, target.endpoint.port, timeout=settings.timeout)
    if target.mail_domain is None:
        found, sts = await tlsa, None
    else:
        found, sts = await asyncio.gather(
            tlsa, lookup_sts(resolver, target.mail_domain, timeout=settings.timeout, cadata=_sts_cadata(settings))
        )
    now = settings.at or dt.datetime.now(dt.timezone.utc)
    return with_senders(diagnosis, found, sts, now=now, profiles=sender_profiles(settings.clients))


def _sts_cadata(settings: ScanSettings) -> bytes | None:
    """The anchors the MTA-STS policy fetch trusts: the scan's own store as PEM (``cafile_pem``
    may be DER or a Java keystore), or the system's (``None``)."""
    return None if settings.cafile_pem is None else judgement_for(settings).trust_store().pem


def _verdict(target: Target, diagnosis: Diagnosis, elapsed: float) -> ScanResult:
    assert target.endpoint is not None
    a = diagnosis.assessment
    facts = a.certificate
    accepted: dict[str, bool] = {}
    for v in a.results:
        accepted[v.client] = accepted.get(v.client, True) and v.accepted
    return ScanResult(
        target,
        a.status,
        diagnosis=diagnosis,
        url=target.endpoint.url,
        fingerprint=facts.sha256,
        subject=facts.subject,
        issuer=facts.issuer,
        not_before=facts.not_before,
        not_after=facts.not_after,
        trusted=diagnosis.trust.trusted,
        findings=tuple(a.findings),
        verdicts=tuple(accepted.items()),
        elapsed=elapsed,
    )


class _HostSlot:
    __slots__ = ("semaphore", "users")

    def __init__(self, limit: int) -> None:
        self.semaphore = asyncio.Semaphore(limit)
        self.users = 0


class _Stopped:
    """Put in the results queue when ``stop`` is set."""


_STOPPED: Final = _Stopped()


class _Scheduler:
    """The bounded part of :func:`scan`: which targets run now, and where their results wait."""

    def __init__(self, settings: ScanSettings, judgement: Judgement, stop: asyncio.Event) -> None:
        self.settings, self.judgement, self.stop = settings, judgement, stop
        self.slots = asyncio.Semaphore(settings.concurrency)
        self.hosts: dict[str, _HostSlot] = {}
        self.done: asyncio.Queue[ScanResult | _Stopped] = asyncio.Queue()
        self.tasks: set[asyncio.Task[None]] = set()
        # room for targets waiting on a busy host while other hosts' targets run
        self.window = max(4 * settings.concurrency, 256)
        self.exhausted = False
        self.outstanding = 0  # started and not yet handed out

    async def one(self, target: Target) -> None:
        if target.problem is not None or target.endpoint is None:
            self.done.put_nowait(await check_target(target, self.settings, self.judgement))
            return
        key = target.host
        slot = self.hosts.get(key)
        if slot is None:
            slot = self.hosts[key] = _HostSlot(self.settings.per_host)
        slot.users += 1
        try:
            async with slot.semaphore, self.slots:
                result = await check_target(target, self.settings, self.judgement)
        finally:
            slot.users -= 1
            if slot.users == 0:
                self.hosts.pop(key, None)
        self.done.put_nowait(result)

    async def fill(self, source: AsyncIterator[Target]) -> None:
        """Start targets from ``source`` until the window is full (the input is never read ahead)."""
        while not self.exhausted and self.outstanding < self.window and not self.stop.is_set():
            target = await anext(source, None)
            if target is None:
                self.exhausted = True
                return
            task = asyncio.ensure_future(self.one(target))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)
            self.outstanding += 1

    async def watch(self) -> None:
        await self.stop.wait()
        self.done.put_nowait(_STOPPED)  # wakes the result loop without a second waiter per result

    async def abandon(self, item: ScanResult | _Stopped) -> list[ScanResult]:
        """Stopped: cancel what is in flight; what had finished (``item`` and the queue) is kept."""
        await _cancel(self.tasks)
        kept = [item] if isinstance(item, ScanResult) else []
        while not self.done.empty():
            rest = self.done.get_nowait()
            if isinstance(rest, ScanResult):
                kept.append(rest)
        return kept


async def scan(
    targets: Iterable[Target] | AsyncIterable[Target], settings: ScanSettings, *, stop: asyncio.Event | None = None
) -> AsyncIterator[ScanResult]:
    """Check ``targets`` concurrently; yield each result as soon as it is ready.

    Exactly one result per target taken from ``targets``, unless ``stop`` is set: then nothing
    new starts, the targets in flight are cancelled (no result), and the iterator ends.
    """
    scheduler = _Scheduler(settings, judgement_for(settings), stop or asyncio.Event())
    source = _pull(targets)
    watcher = asyncio.ensure_future(scheduler.watch())
    try:
        while True:
            await scheduler.fill(source)
            if scheduler.outstanding == 0:
                break
            item = await scheduler.done.get()
            if isinstance(item, _Stopped) or scheduler.stop.is_set():
                for kept in await scheduler.abandon(item):
                    yield kept
                break
            scheduler.outstanding -= 1
            yield item
    finally:
        watcher.cancel()
        await _cancel(scheduler.tasks)
        await source.aclose()


async def _pull(targets: Iterable[Target] | AsyncIterable[Target]) -> AsyncGenerator[Target, None]:
    if isinstance(targets, AsyncIterable):
        async for target in targets:
            yield target
    else:
        for target in targets:
            yield target


async def _cancel(tasks: set[asyncio.Task[None]]) -> None:
    pending = list(tasks)
    for task in pending:
        task.cancel()
    if pending:
        await asyncio.gather(*pending, return_exceptions=True)


async def collect(targets: Iterable[Target], settings: ScanSettings) -> list[ScanResult]:
    """Every result of a (small) scan, in completion order."""
    return [r async for r in scan(targets, settings)]


def scan_chunk(targets: Sequence[Target], settings: ScanSettings) -> list[ScanResult]:
    """One share of a distributed scan, run by a worker: its own event loop (the scan's, from
    :mod:`mailcert.probe.loop`, as a local scan has), the same scanner."""
    return scan_loop.run(collect(targets, settings))
