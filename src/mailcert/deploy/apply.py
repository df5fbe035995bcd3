"""The engine: plan, checkpoint, write, config test, reload, verify, and roll back on any failure.

One engine for every server (certbot's Installer: ``deploy_cert``, ``save``, ``config_test``,
``restart``, ``rollback_checkpoints``); a server module only discovers, tests and reloads.

The order, and why:

1. **Discover and judge before touching anything.**  Key, chain, names (every client profile),
   target files, the configuration as it is now (a config already broken would make every later
   step fail for a reason that is not ours), and what every TLS listener serves now (the
   *baseline*: what a rollback must bring back, compared by fingerprint over the wire).
2. **Write all files as one change** (:func:`mailcert.fsutil.write_files`): staged, then renamed;
   each replaced file kept as ``NAME.mailcert-bak-STAMP``.  The backups are the checkpoint.
3. **Config test**, then **reload**.
4. **Verify live**: every TLS listener, with SNI and without, must serve the new leaf (retried
   for a while: reloads are asynchronous and old worker processes answer a few more
   connections), and every client profile that accepted the certificate offline must accept
   what is served.
5. **Roll back** on a failure at any step: restore the backups' content (the backups stay),
   config test, reload, and prove the old certificate is served again.  The report says how far
   the rollback got; a rollback that cannot prove the old certificate is back is the one
   outcome that exits 2.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import re
import stat
import time
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, NamedTuple, TypeVar

from mailcert.deploy.base import Server, StepResult
from mailcert.deploy.bundle import CertBundle
from mailcert.deploy.checks import Checks, check_bundle
from mailcert.deploy.plan import FileChange, FileState, Listener, Plan, PlanOptions, make_plan, short_fp, target_paths
from mailcert.doctor import diagnose
from mailcert.errors import InputError, MailcertError, ProbeError
from mailcert.fsutil import PlannedFile, ensure_dir, write_files
from mailcert.judgement import Judgement
from mailcert.model import Endpoint
from mailcert.probe.driver import ProbeOptions, ProbeResult, SniPair, probe_both

__all__ = ["DeployOptions", "DeployReport", "ListenerCheck", "Prober", "Rollback", "Served", "deploy", "snapshot"]

T = TypeVar("T")
Status = Literal["deployed", "already-deployed", "planned", "refused", "failed", "rollback-failed"]

_RETRY_PAUSE = 0.2
_PEM_CERT = re.compile(rb"-----BEGIN CERTIFICATE-----(.+?)-----END CERTIFICATE-----", re.S)

Prober = Callable[[Endpoint, str, ProbeOptions], Awaitable[SniPair]]
"""The live handshake deploy observes and verifies with: ``(endpoint, name, options)`` -> what
the listener serves with SNI and without.  :func:`mailcert.probe.driver.probe_both` unless one
is passed in, as ``issue`` takes a CA factory: the engine's only network part besides the
server's own commands."""


@dataclass(frozen=True)
class DeployOptions:
    """How to judge and how to install.  ``judgement`` holds the profiles, the trust store and
    the clock the bundle and the served certificates are judged against (a ``now`` of ``None``
    is pinned when the deploy starts, so one deploy judges by one clock)."""

    name: str
    judgement: Judgement = field(default_factory=Judgement)
    force: bool = False
    dry_run: bool = False
    plan: PlanOptions = field(default_factory=PlanOptions)
    verify_timeout: float = 15.0
    probe_timeout: float = 5.0

    def __post_init__(self) -> None:
        for name in ("probe_timeout", "verify_timeout"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
                raise InputError(f"{name} must be a positive number of seconds", field=name)

    @property
    def probe_options(self) -> ProbeOptions:
        """The options of each probe connection."""
        return ProbeOptions(timeout=self.probe_timeout)


@dataclass(frozen=True)
class Served:
    """What one listener served at one moment: leaf fingerprints with SNI and without."""

    listener: Listener
    sni_sha256: str | None
    plain_sha256: str | None
    error: str | None = None


@dataclass(frozen=True)
class ListenerCheck:
    """The verdict on one listener after a reload (or a rollback)."""

    listener: Listener
    ok: bool
    detail: str
    served_sha256: str | None
    refused_by: tuple[str, ...] = ()
    attempts: int = 0
    seconds: float = 0.0


@dataclass(frozen=True)
class Rollback:
    """How far the rollback got; ``ok`` means the old certificate is proven served again."""

    ok: bool
    summary: str
    steps: tuple[StepResult, ...]
    restored: tuple[Path, ...]
    removed: tuple[Path, ...]
    checks: tuple[ListenerCheck, ...]
    seconds: float


@dataclass(frozen=True)
class DeployReport:
    """Everything that was decided and done; the renderers read only this."""

    status: Status
    server: str
    name: str
    bundle: CertBundle
    checks: Checks
    plan: Plan
    commands: tuple[str, str]
    problems: tuple[str, ...] = ()
    baseline: tuple[Served, ...] = ()
    steps: tuple[StepResult, ...] = ()
    backups: tuple[tuple[Path, Path], ...] = ()
    verification: tuple[ListenerCheck, ...] = ()
    rollback: Rollback | None = None
    reason: str | None = None
    seconds: float = 0.0

    @property
    def exit_status(self) -> int:
        """0 done (or nothing to do), 1 refused or failed and rolled back, 2 rollback unproven."""
        if self.status in ("deployed", "already-deployed", "planned"):
            return 0
        return 2 if self.status == "rollback-failed" else 1


def deploy(server: Server, bundle: CertBundle, options: DeployOptions, *, prober: Prober = probe_both) -> DeployReport:
    """Deploy ``bundle`` to ``server``: the whole flow of the module docstring.  ``prober`` makes
    every live handshake (the baseline, the verification, the rollback's proof)."""
    started = time.monotonic()
    judgement = options.judgement
    options = replace(options, judgement=replace(judgement, now=judgement.clock()))
    report, problems = _preflight(server, bundle, options, prober)
    if problems:
        return _closed(report, started, "refused", problems[0], problems=problems)
    plan = report.plan
    expecting = [s for s in report.baseline if s.listener.expects_new]
    if plan.writes_nothing and all(s.sni_sha256 == s.plain_sha256 == plan.new_leaf_sha256 for s in expecting):
        return _closed(report, started, "already-deployed")
    if options.dry_run:
        return _closed(report, started, "planned")
    return _apply(server, report, options, prober, started)


def _preflight(
    server: Server, bundle: CertBundle, options: DeployOptions, prober: Prober
) -> tuple[DeployReport, tuple[str, ...]]:
    """Step 1, before anything is touched: judge the bundle, plan the files, config test, and
    observe what every listener serves now.  The report so far, and every reason to refuse
    (each once, in the order found)."""
    discovery = server.discover()
    checks = check_bundle(bundle, options.name, options.judgement)
    states = {p: snapshot(p) for p in target_paths(discovery, options.plan)}
    plan = make_plan(discovery, bundle, states, options.plan)
    problems = [*checks.blocking(options.force), *plan.problems, *_sni_conflicts(plan, options.name)]
    before = server.config_test()
    if not before.ok:
        problems.append(f"the {server.name} configuration is invalid before any change: {before.detail}")
    baseline = _run(_observe_all(discovery.listeners, options, prober)) if discovery.listeners else ()
    for seen in baseline:
        if seen.error:
            problems.append(f"{seen.listener.endpoint.url} does not answer ({seen.error}): is {server.name} running?")
    report = DeployReport("refused", server.name, options.name, bundle, checks, plan, server.commands(),
                          baseline=baseline, steps=(replace(before, step="config test (before)"),))
    return report, tuple(dict.fromkeys(problems))


def _closed(
    report: DeployReport,
    started: float,
    status: Status,
    reason: str | None = None,
    **outcome: Any,
) -> DeployReport:
    """The final report: its status, the reason, what else happened, and the time it all took."""
    return replace(report, status=status, reason=reason, seconds=time.monotonic() - started, **outcome)


def _apply(server: Server, report: DeployReport, options: DeployOptions, prober: Prober, started: float) -> DeployReport:
    """Steps 2-5: write, config test, reload, verify; roll back on the first failure."""
    steps = list(report.steps)
    plan = report.plan
    written: list[tuple[FileChange, Path | None]] = []
    created_dir: Path | None = None
    failure: tuple[str, str] | None = None
    verification: tuple[ListenerCheck, ...] = ()
    try:
        created_dir = _prepare_install_dir(options.plan.install_dir) if plan.writes else None
        written = _write(plan, options, steps)
    except MailcertError as exc:
        steps.append(StepResult("write", False, str(exc)))
        failure = ("write", str(exc))
    if failure is None:
        try:
            failure, verification = _test_reload_verify(server, steps, report, options, prober)
        except MailcertError as exc:  # e.g. a served certificate that cannot be parsed
            failure = (steps[-1].step if steps else "verify", str(exc))
        except BaseException:
            # A bug, or Ctrl-C while waiting for the reload: the new files must not stay behind
            # unverified.  Roll back, then let the exception say what happened.
            _roll_back(server, written, created_dir, report.baseline, options, prober)
            raise
    backups = tuple((c.path, b) for c, b in written if b is not None)
    if failure is None:
        return _closed(report, started, "deployed", steps=tuple(steps), backups=backups, verification=verification)
    rollback = _roll_back(server, written, created_dir, report.baseline, options, prober)
    status: Status = "failed" if rollback.ok else "rollback-failed"
    return _closed(report, started, status, _failure_reason(failure, rollback), steps=tuple(steps), backups=backups,
                   verification=verification, rollback=rollback)


def _write(plan: Plan, options: DeployOptions, steps: list[StepResult]) -> list[tuple[FileChange, Path | None]]:
    """Step 2: all planned files as one change; each change with its backup (``None``: new)."""
    if not plan.writes:
        return []
    t = time.monotonic()
    saved = write_files([PlannedFile(c.path, c.data, c.mode, c.owner) for c in plan.writes], now=options.judgement.now)
    steps.append(StepResult("write", True, f"{len(saved)} file(s)", time.monotonic() - t))
    return list(zip(plan.writes, saved))


def _failure_reason(failure: tuple[str, str], rollback: Rollback) -> str:
    """The one line a failed deploy ends with: what failed, and how far the rollback got."""
    step_name, detail = failure
    reason = f"{step_name} failed: {detail}; {rollback.summary}"
    also = [s for s in rollback.steps if not s.ok]
    if also:  # the same broken reload command fails twice: say so once
        reason += f" ({also[0].step} failed too" + ("" if also[0].detail == detail else f": {also[0].detail}") + ")"
    return reason


def _test_reload_verify(
    server: Server, steps: list[StepResult], report: DeployReport, options: DeployOptions, prober: Prober
) -> tuple[tuple[str, str] | None, tuple[ListenerCheck, ...]]:
    """Config test, reload, verify; the first failure as ``(step, detail)``, and the verdicts."""
    for verb in (server.config_test, server.reload):
        step = verb()
        steps.append(step)
        if not step.ok:
            return (step.step, step.detail), ()
    t = time.monotonic()
    verification = _run(_verify_all(report, options, prober))
    bad = [v for v in verification if not v.ok]
    steps.append(StepResult("verify", not bad, bad[0].detail if bad else f"{len(verification)} listener(s)",
                            time.monotonic() - t))
    if bad:
        return ("verify", f"{bad[0].listener.endpoint.url}: {bad[0].detail}"), verification
    return None, verification


# --- files ---------------------------------------------------------------------------------------


def snapshot(path: Path) -> FileState:
    """A target file as it is now; only digests of its content are kept."""
    problem = _dir_problem(path.parent)
    try:
        st = os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        return FileState(path, "missing", parent_is_dir=path.parent.is_dir(), dir_problem=problem)
    except OSError:
        return FileState(path, "other")
    if stat.S_ISLNK(st.st_mode):
        return _snapshot_link(path)
    if not stat.S_ISREG(st.st_mode):
        return FileState(path, "other")
    try:
        data = path.read_bytes()
    except OSError:
        return FileState(path, "other")
    return FileState(path, "file", dir_problem=problem, sha256=hashlib.sha256(data).hexdigest(),
                     mode=st.st_mode & 0o7777, uid=st.st_uid, gid=st.st_gid, leaf_sha256=_leaf_sha256(data))


def _snapshot_link(path: Path) -> FileState:
    """A symbolic link the configuration names (certbot's ``live/NAME/fullchain.pem`` ->
    ``../../archive/NAME/fullchainN.pem``): the digests of what it leads to, so the plan can see
    that it already leads to the new certificate, when the link can be trusted; else why not."""
    target = os.readlink(path)
    final, problem = _follow_trusted_links(path)
    if problem is not None or final is None:
        return FileState(path, "symlink", link_target=target, link_problem=problem)
    try:
        data = final.read_bytes()
    except OSError as exc:
        return FileState(path, "symlink", link_target=target, link_problem=f"cannot read {final}: {exc.strerror or exc}")
    return FileState(path, "symlink", link_target=target, sha256=hashlib.sha256(data).hexdigest(),
                     leaf_sha256=_leaf_sha256(data))


_TRUSTED_OWNERS = frozenset({0, os.geteuid()})


def _follow_trusted_links(path: Path) -> tuple[Path | None, str | None]:
    """Follow ``path``'s links to a regular file, trusting only what root or this user could
    have made: every link and the final file owned by root or us, and no link or file in a
    directory that every user may write without the sticky bit (the rule the kernel's
    protected_symlinks applies to sticky directories, made strict).  Returns the file, or why
    the links are not followed."""
    current = path
    for _ in range(40):  # the kernel's own limit on links in one lookup
        try:
            st = os.lstat(current)
            holder = os.stat(current.parent)
        except OSError as exc:
            return None, f"{current}: {exc.strerror or exc}"
        if st.st_uid not in _TRUSTED_OWNERS:
            return None, f"{current} belongs to uid {st.st_uid}, neither root nor this user"
        if holder.st_mode & stat.S_IWOTH and not holder.st_mode & stat.S_ISVTX:
            return None, f"{current.parent} is writable by every user"
        if not stat.S_ISLNK(st.st_mode):
            if not stat.S_ISREG(st.st_mode):
                return None, f"{current} is not a regular file"
            return current, None
        current = Path(os.path.normpath(os.path.join(os.path.realpath(current.parent), os.readlink(current))))
    return None, f"{path}: too many levels of symbolic links"


def _dir_problem(directory: Path) -> str | None:
    """Why no file can be created in ``directory`` (or in its nearest existing ancestor, which
    is where a missing directory would be created); None when it can.  Asked before the first
    write, so an unwritable target is a refusal, not a rollback."""
    existing = directory
    while not os.path.lexists(existing) and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        return f"{existing} is not a directory"
    if not os.access(existing, os.W_OK | os.X_OK):
        return f"{existing} is not writable (permissions, a read-only mount or the immutable attribute)"
    return None


def _leaf_sha256(data: bytes) -> str | None:
    m = _PEM_CERT.search(data)
    if not m:
        return None
    try:
        der = base64.b64decode(b"".join(m.group(1).split()), validate=True)
    except ValueError:
        return None
    return hashlib.sha256(der).hexdigest()


def _prepare_install_dir(directory: Path | None) -> Path | None:
    """Create the install directory if needed (0755: it holds a public certificate; the key is 0600)."""
    if directory is None or directory.is_dir():
        return None
    ensure_dir(directory, mode=0o755)
    return directory


def _sni_conflicts(plan: Plan, name: str) -> list[str]:
    out = []
    for loc in plan.discovery.others:
        for pattern in loc.sni_names:
            if _name_matches(pattern, name):
                out.append(
                    f"{loc.scope} {{ }} serves its own certificate for {name}; deploy replaces the server-wide"
                    " one, which clients asking for that name would never see"
                )
    return out


def _name_matches(pattern: str, name: str) -> bool:
    p, n = pattern.lower().rstrip("."), name.lower().rstrip(".")
    if p.startswith("*."):
        return n.endswith(p[1:]) and n.count(".") == p.count(".")
    return p == n


# --- probing -------------------------------------------------------------------------------------


def _run(coro: Coroutine[Any, Any, list[T]]) -> tuple[T, ...]:
    """The sync face over the probes: one event loop per batch of concurrent probes."""
    return tuple(asyncio.run(coro))


async def _observe(listener: Listener, options: DeployOptions, prober: Prober) -> Served:
    pair = await prober(listener.endpoint, options.name, options.probe_options)
    sni = _sha(pair.with_sni)
    plain = _sha(pair.without_sni)
    error = None
    if isinstance(pair.with_sni, ProbeError):
        error = str(pair.with_sni)
    elif isinstance(pair.without_sni, ProbeError):
        error = f"without SNI: {pair.without_sni}"
    return Served(listener, sni, plain, error)


async def _observe_all(listeners: Sequence[Listener], options: DeployOptions, prober: Prober) -> list[Served]:
    return list(await asyncio.gather(*(_observe(lst, options, prober) for lst in listeners)))


def _sha(result: ProbeResult | ProbeError) -> str | None:
    return None if isinstance(result, ProbeError) else hashlib.sha256(result.leaf).hexdigest()


async def _verify_all(report: DeployReport, options: DeployOptions, prober: Prober) -> list[ListenerCheck]:
    """Every listener after the reload: those that should serve the new leaf, and those with
    their own certificate, which must serve what they served before."""
    return list(await asyncio.gather(*(
        _verify_new(old, report, options, prober) if old.listener.expects_new else _verify_same(old, options, prober)
        for old in report.baseline
    )))


async def _verify_new(old: Served, report: DeployReport, options: DeployOptions, prober: Prober) -> ListenerCheck:
    """Wait until the listener serves the new leaf with and without SNI, then judge what it serves."""
    listener, new = old.listener, report.plan.new_leaf_sha256
    polled = await _served_until(listener, (new, new), options, prober)
    if not polled.reached:
        last = _what_is_served(polled.pair, polled.sni, polled.plain, new, old)
        return ListenerCheck(listener, False, f"{last} {options.verify_timeout:g} s after the reload", polled.sni,
                             attempts=polled.attempts, seconds=polled.seconds)
    return _judge_served(listener, polled.pair, report, options, polled.attempts, polled.seconds)


class _Polled(NamedTuple):
    """What a listener served when the polling stopped, and whether it was what was awaited."""

    pair: SniPair
    sni: str | None
    plain: str | None
    reached: bool
    attempts: int
    seconds: float


async def _served_until(listener: Listener, want: tuple[str | None, str | None], options: DeployOptions, prober: Prober) -> _Polled:
    """Probe ``listener`` (with SNI and without) until it serves the leaves ``want`` (their
    SHA-256, in that order) or ``verify_timeout`` passes: a reload takes effect a moment later."""
    started = time.monotonic()
    deadline = started + options.verify_timeout
    attempts = 0
    while True:
        attempts += 1
        pair = await prober(listener.endpoint, options.name, options.probe_options)
        served = (_sha(pair.with_sni), _sha(pair.without_sni))
        if served == want or time.monotonic() >= deadline:
            return _Polled(pair, *served, served == want, attempts, time.monotonic() - started)
        await asyncio.sleep(_RETRY_PAUSE)


def _judge_served(
    listener: Listener, pair: SniPair, report: DeployReport, options: DeployOptions, attempts: int, took: float
) -> ListenerCheck:
    """What the clients make of the new leaf as served: a client that accepted it offline but
    refuses it live, or a chain trusted offline but not as served, fails the verification."""
    checks, new = report.checks, report.plan.new_leaf_sha256
    diagnosis = diagnose(pair, [options.name], replace(options.judgement, warn_days=0, critical_days=None))
    refused = tuple(v.client for v in diagnosis.assessment.results if not v.accepted)
    unexpected = [v for v in diagnosis.assessment.results if not v.accepted and v.client not in checks.refused_by]
    if unexpected:
        v = unexpected[0]
        return ListenerCheck(listener, False, f"serves the new certificate but {v.client} refuses {options.name}: {v.reason}",
                             new, refused, attempts, took)
    if checks.trust.trusted and not diagnosis.trust.trusted:
        return ListenerCheck(listener, False, f"serves the new certificate but its chain is not trusted: {diagnosis.trust.detail}",
                             new, refused, attempts, took)
    total = len(diagnosis.assessment.results)
    detail = f"serves {short_fp(new)}; {total - len(refused)} of {total} clients accept {options.name}"
    return ListenerCheck(listener, True, detail, new, refused, attempts, took)


async def _verify_same(old: Served, options: DeployOptions, prober: Prober) -> ListenerCheck:
    """Wait until the listener serves what it served before the deploy (rollback, or a listener
    with its own certificate that the deploy must not have changed)."""
    listener = old.listener
    polled = await _served_until(listener, (old.sni_sha256, old.plain_sha256), options, prober)
    if polled.reached:
        detail = f"serves {short_fp(polled.sni)} as before"
    else:
        now = f"serves {short_fp(polled.sni)}" if polled.sni else f"fails ({polled.pair.with_sni})"
        detail = f"{now}, not {short_fp(old.sni_sha256)} as before"
    return ListenerCheck(listener, polled.reached, detail, polled.sni, attempts=polled.attempts, seconds=polled.seconds)


def _what_is_served(pair: SniPair, sni: str | None, plain: str | None, new: str, old: Served) -> str:
    if sni is None:
        return f"the probe fails ({pair.with_sni})"
    if sni == new:
        return f"without SNI it serves {short_fp(plain)}" if plain else f"without SNI the probe fails ({pair.without_sni})"
    if sni == old.sni_sha256:
        return f"still serves the old certificate {short_fp(sni)} (did the reload happen?)"
    return f"serves {short_fp(sni)}, neither the old nor the new certificate,"


# --- rollback ------------------------------------------------------------------------------------


def _roll_back(
    server: Server,
    written: Sequence[tuple[FileChange, Path | None]],
    created_dir: Path | None,
    baseline: Sequence[Served],
    options: DeployOptions,
    prober: Prober,
) -> Rollback:
    """Put back every file from its backup (keeping the backup), test, reload, prove the old
    certificate is served again."""
    started = time.monotonic()
    restored, removed, problems = _restore_files(written, created_dir)
    steps = [StepResult("restore", not problems, "; ".join(problems) or f"{len(restored) + len(removed)} file(s)")]
    if written:
        # Reload whenever files moved, even if the failure came before the reload: Postfix
        # starts new smtpd processes that read the files on their own.
        steps.append(server.config_test())
        steps.append(server.reload())
    checks = _run(_verify_all_same(baseline, options, prober))
    ok = all(c.ok for c in checks)
    if ok:
        summary = f"rolled back: the old certificate is served again on {len(checks)} listener(s)"
    else:
        bad = next(c for c in checks if not c.ok)
        summary = f"ROLLBACK INCOMPLETE: {bad.listener.endpoint.url} {bad.detail}; backups are kept"
    return Rollback(ok, summary, tuple(steps), tuple(restored), tuple(removed), checks, time.monotonic() - started)


def _restore_files(
    written: Sequence[tuple[FileChange, Path | None]], created_dir: Path | None
) -> tuple[list[Path], list[Path], list[str]]:
    """The files as they were: each replaced file's content back from its backup (as one change;
    the backups stay), each new file removed, a created install directory removed if empty.
    Returns what was restored, what was removed, and what could not be done."""
    restored: list[Path] = []
    removed: list[Path] = []
    back: list[PlannedFile] = []
    problems: list[str] = []
    for change, backup in written:
        if backup is None:
            continue
        try:
            st = os.stat(backup)
            back.append(PlannedFile(change.path, backup.read_bytes(), st.st_mode & 0o7777, (st.st_uid, st.st_gid)))
        except OSError as exc:
            problems.append(f"cannot read backup {backup}: {exc.strerror or exc}")
    if back:
        try:
            write_files(back, backup=False)
            restored = [f.path for f in back]
        except MailcertError as exc:
            problems.append(str(exc))
    for change, backup in written:
        if backup is None:
            try:
                os.unlink(change.path)
                removed.append(change.path)
            except FileNotFoundError:
                pass
            except OSError as exc:
                problems.append(f"cannot remove {change.path}: {exc.strerror or exc}")
    if created_dir is not None:
        try:
            created_dir.rmdir()
        except OSError:
            pass
    return restored, removed, problems


async def _verify_all_same(baseline: Sequence[Served], options: DeployOptions, prober: Prober) -> list[ListenerCheck]:
    return list(await asyncio.gather(*(_verify_same(s, options, prober) for s in baseline)))
