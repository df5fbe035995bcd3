"""The public Python API's verbs: inspect a certificate, check a server, scan a fleet.

Each is a thin call into the layers below (``assess``, ``doctor``, ``scan``) with the same
defaults as the command line, returning the same frozen values the renderers read.  They are
re-exported by the package root: ``from mailcert import check_server``.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterable, Sequence

from mailcert.assess import Assessment, assess_certificate, default_names
from mailcert.certs.info import facts_from_certificate
from mailcert.certs.load import load_certificates, read_certificates
from mailcert.doctor import Diagnosis, diagnose
from mailcert.errors import InputError
from mailcert.judgement import Judgement
from mailcert.model import Endpoint, parse_target
from mailcert.probe.driver import ProbeOptions, probe_both
from mailcert.scan.engine import ResultList, Sink, run
from mailcert.scan.runner import ScanResult, ScanSettings
from mailcert.scan.targets import Target, parse_line

__all__ = ["inspect_certificate", "check_server", "check_server_async", "scan_fleet"]


def inspect_certificate(
    certificate: bytes | str | os.PathLike[str],
    names: Sequence[str] = (),
    *,
    judgement: Judgement | None = None,
    password: bytes | None = None,
) -> Assessment:
    """Judge a certificate, offline, for the names users type, by every client profile.

    ``certificate`` is the certificate's bytes (PEM, DER, PKCS#7 or PKCS#12) or the path of a
    file holding them; the first certificate is judged (the leaf).  ``names`` default to every
    DNS name the certificate offers.  ``judgement`` says which clients, which clock and which
    thresholds (default: every built-in profile, now, 30 days).

    Raises:
        CertificateError: the input is not a certificate mailcert can read (or the PKCS#12
            password is wrong).
        InputError: the file cannot be read.
    """
    if isinstance(certificate, bytes):
        certs = read_certificates(certificate, password=password)
        source = "certificate"
    else:
        certs = load_certificates(certificate, password=password)
        source = os.fspath(certificate)
    facts = facts_from_certificate(certs[0], source=source)
    return assess_certificate(facts, tuple(names) or default_names(facts), judgement or Judgement(), source=source)


async def check_server_async(
    target: str | Endpoint,
    names: Sequence[str] = (),
    *,
    judgement: Judgement | None = None,
    options: ProbeOptions | None = None,
) -> Diagnosis:
    """:func:`check_server` for code that runs an event loop."""
    endpoint = parse_target(target) if isinstance(target, str) else target
    wanted = tuple(names) or (endpoint.host,)
    pair = await probe_both(endpoint, wanted[0], options or ProbeOptions())
    return diagnose(pair, wanted, judgement or Judgement())


def check_server(
    target: str | Endpoint,
    names: Sequence[str] = (),
    *,
    judgement: Judgement | None = None,
    options: ProbeOptions | None = None,
) -> Diagnosis:
    """Connect to a mail server as its clients do (with and without SNI) and judge what it serves.

    ``target`` is a TARGET as the command line takes it (``mail.example.com``,
    ``imap://mail.example.com``, ``smtp://mx.example.com:25``...) or an :class:`Endpoint`;
    ``names`` are the names users type (default: the target's host).  ``judgement``: clients,
    trust store (default: the system's), clock, thresholds; ``options``: timeout, where to
    connect, EHLO name.  The result carries its request: endpoint, names, store, clock.

    Raises:
        InputError: ``target`` is not a TARGET.
        ProbeError: neither connection worked (refused, not TLS, STARTTLS refused, deadline).
        CertificateError: the server's certificate cannot be parsed.
        RuntimeError: called inside a running event loop (await :func:`check_server_async`).
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(check_server_async(target, names, judgement=judgement, options=options))
    raise RuntimeError("check_server() cannot run inside an event loop; await check_server_async() instead")


def scan_fleet(
    targets: Iterable[str | Target], settings: ScanSettings | None = None, *, sinks: Sequence[Sink] = ()
) -> list[ScanResult]:
    """Check many servers concurrently (bounded per host and in all); one result per target.

    ``targets`` are lines as a targets file has them (``TARGET [NAME]``) or :class:`Target`
    values.  A target that cannot be checked (unreachable, not TLS, a bad line) is a result
    with status UNKNOWN and its reason, never an exception.  Results come in completion order,
    each carrying its target and diagnosis.  ``sinks`` also receive every result as it comes
    (e.g. :class:`mailcert.scan.sinks.InventorySink`).  For fleets too large to hold in a list,
    call :func:`mailcert.scan.engine.run` with sinks of your own instead.

    Raises:
        InputError: ``settings`` name an unknown client or an unreadable trust store.
        RuntimeError: called inside a running event loop.
    """
    wanted: list[Target] = []
    for item in targets:
        if isinstance(item, Target):
            wanted.append(item)
        elif isinstance(item, str):
            parsed = parse_line(item)
            if parsed is not None:
                wanted.append(parsed)
        else:
            raise InputError(f"targets are TARGET [NAME] strings or Target values, not {type(item).__name__}")
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        kept = ResultList()
        run(wanted, settings or ScanSettings(), (kept, *sinks), total=len(wanted), signals=False)
        return kept.results
    raise RuntimeError("scan_fleet() cannot run inside an event loop; await mailcert.scan.engine.run_async() instead")
