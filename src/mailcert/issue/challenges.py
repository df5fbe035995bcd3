"""Publishing the answers to the CA's challenges: HTTP-01 (built-in listener or webroot) and DNS-01.

The client (:mod:`mailcert.issue.client`) turns the CA's authorizations into
:class:`ChallengeTask` values: plain data saying *what* must be published where.  A solver
publishes them for the duration of a ``with`` block and takes them down afterwards, whether
validation succeeded, failed or was interrupted:

* :class:`StandaloneHttp` serves ``/.well-known/acme-challenge/TOKEN`` itself with the acme
  library's ``HTTP01Server`` (both IPv6 and IPv4 when no address is given), port 80 by default;
* :class:`Webroot` writes ``DIR/.well-known/acme-challenge/TOKEN`` for a web server that
  already serves ``DIR`` on port 80, and removes the files (and the directories it made);
* :class:`DnsHook` runs a command to add each TXT record and again to remove it.

DNS hook interface (documented in the README): the command runs through ``/bin/sh -c`` with
these variables added to the environment, once per record and action:

``MAILCERT_DNS_ACTION``  ``add`` or ``remove``
``MAILCERT_DNS_DOMAIN``  the name being validated (``remote.contoso.com``; ``contoso.com`` for ``*.contoso.com``)
``MAILCERT_DNS_NAME``    the TXT record's name (``_acme-challenge.remote.contoso.com``, no trailing dot)
``MAILCERT_DNS_VALUE``   the TXT record's value
``CERTBOT_DOMAIN``, ``CERTBOT_VALIDATION``  the same, for scripts written for certbot's manual hooks

``add`` must return only when the record is published (wait for propagation there); exit
status 0 means done.  Two records may share a name (a name and its wildcard): add must not
replace the other one, and remove should remove only the given value.
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import subprocess
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from mailcert import fsutil
from mailcert.errors import InputError, OperationError

__all__ = ["ChallengeTask", "DnsHook", "Solver", "StandaloneHttp", "Webroot", "run_hook"]

HTTP01 = "http-01"
DNS01 = "dns-01"
WELL_KNOWN = (".well-known", "acme-challenge")
POLL_INTERVAL = 0.02


@dataclass(frozen=True)
class ChallengeTask:
    """One thing to publish.

    ``kind`` is ``http-01`` (serve ``validation`` at ``/.well-known/acme-challenge/<token>``)
    or ``dns-01`` (a TXT record ``record_name`` holding ``validation``).
    """

    identifier: str
    kind: str
    token: str
    validation: str
    record_name: str = ""


class Solver(Protocol):
    """Publishes tasks of one kind for the duration of a ``with`` block."""

    kind: str

    def describe(self) -> str: ...

    def publish(self, tasks: Sequence[ChallengeTask]) -> contextlib.AbstractContextManager[None]: ...


class StandaloneHttp:
    """HTTP-01 answered by a listener of our own (acme's ``HTTP01Server``)."""

    kind = HTTP01

    def __init__(self, port: int = 80, address: str = "", *, timeout: float = 30.0) -> None:
        self.port = port
        self.address = address
        self.timeout = timeout

    def describe(self) -> str:
        return f"http-01 on {self.address or 'every address'} port {self.port}"

    @contextlib.contextmanager
    def publish(self, tasks: Sequence[ChallengeTask]) -> Iterator[None]:
        # lazy: certbot's acme (and josepy) only when http-01 is answered standalone
        from acme import challenges, standalone
        from josepy.b64 import b64decode

        resources = set()
        for t in tasks:
            chall = challenges.HTTP01(token=b64decode(t.token))
            resources.add(standalone.HTTP01RequestHandler.HTTP01Resource(chall=chall, response=None, validation=t.validation))
        try:
            servers = standalone.HTTP01DualNetworkedServers(
                (self.address, self.port), resources, timeout=max(1, int(self.timeout))
            )
        except OSError as exc:
            where = f"{self.address or '*'}:{self.port}"
            hint = ""
            if exc.errno == errno.EADDRINUSE:
                hint = " (a web server already there? use webroot DIR)"
            elif exc.errno == errno.EACCES:
                hint = " (ports below 1024 need root)"
            raise OperationError(f"cannot listen on {where} for http-01: {exc.strerror or exc}{hint}", mentions=("webroot",)) from None
        try:
            # the servers' own serve_forever() polls for shutdown every 0.5 s, and the run waits
            # for that at the end; serve with a short poll interval instead
            for server in servers.servers:
                thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": POLL_INTERVAL}, daemon=True)
                thread.start()
                servers.threads.append(thread)
            yield
        finally:
            servers.shutdown_and_server_close()


class Webroot:
    """HTTP-01 answered by files under the document root of a web server already on port 80."""

    kind = HTTP01

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def describe(self) -> str:
        return f"http-01 through files under {self.root}"

    @contextlib.contextmanager
    def publish(self, tasks: Sequence[ChallengeTask]) -> Iterator[None]:
        if not self.root.is_dir():
            raise InputError(f"webroot {self.root}: no such directory", field="webroot")
        made: list[Path] = []
        current = self.root
        for part in WELL_KNOWN:
            current = current / part
            if not current.is_dir():
                fsutil.ensure_dir(current, mode=0o755)  # the web server must read it
                made.append(current)
        written: list[Path] = []
        try:
            for t in tasks:
                path = current / t.token
                fsutil.write_atomic(path, t.validation.encode("ascii"), mode=0o644, backup=False)
                written.append(path)
            yield
        finally:
            for path in written:
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
            for d in reversed(made):
                with contextlib.suppress(OSError):  # not empty: someone else's files
                    d.rmdir()


class DnsHook:
    """DNS-01 answered by an administrator's command (interface in the module docstring)."""

    kind = DNS01

    def __init__(self, command: str, *, env: Mapping[str, str], timeout: float = 300.0) -> None:
        if not command.strip():
            raise InputError("dns_hook needs a command", field="dns_hook")
        self.command = command
        self.env = env
        self.timeout = timeout

    def describe(self) -> str:
        return "dns-01 through the hook"

    def _run(self, action: str, task: ChallengeTask) -> None:
        extra = {
            "MAILCERT_DNS_ACTION": action,
            "MAILCERT_DNS_DOMAIN": task.identifier,
            "MAILCERT_DNS_NAME": task.record_name,
            "MAILCERT_DNS_VALUE": task.validation,
            "CERTBOT_DOMAIN": task.identifier,
            "CERTBOT_VALIDATION": task.validation,
        }
        run_hook(self.command, {**self.env, **extra}, timeout=self.timeout, what=f"dns_hook ({action} TXT {task.record_name})",
                 field="dns_hook")

    @contextlib.contextmanager
    def publish(self, tasks: Sequence[ChallengeTask]) -> Iterator[None]:
        added: list[ChallengeTask] = []
        try:
            for t in tasks:
                added.append(t)  # a hook that failed half-way may have added it: remove it too
                self._run("add", t)
            yield
        except BaseException:
            self._remove(added, quiet=True)  # the error that got us here is the one to report
            raise
        self._remove(added, quiet=False)

    def _remove(self, tasks: Sequence[ChallengeTask], *, quiet: bool) -> None:
        first: OperationError | None = None
        for t in tasks:
            try:
                self._run("remove", t)
            except OperationError as exc:
                first = first or exc
        if first is not None and not quiet:
            raise first


def run_hook(command: str, env: Mapping[str, str], *, timeout: float, what: str, field: str | None = None) -> str:
    """Run ``command`` through ``/bin/sh -c`` with ``env``; return its stdout.

    The hook runs in a session (and process group) of its own, and on timeout the whole group
    is killed: a hook that started ``nsupdate``, ``sleep`` or a DNS API client in the
    background would otherwise outlive us, and with our pipes still open would make us wait
    for it past the deadline.  One line on failure: which hook, the exit status, and the last
    line it wrote to stderr.  ``what`` starts every message; ``field`` is the field it names
    (the hook's command), for the CLI to say as a flag.
    """
    try:
        proc = subprocess.Popen(
            ["/bin/sh", "-c", command],
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
    except OSError as exc:
        raise OperationError(f"{what} could not be run: {exc.strerror or exc}", field=field) from None
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        raise OperationError(f"{what} did not finish within {timeout:g} s (it and what it started were stopped)", field=field) from None
    except BaseException:
        _kill_group(proc)
        raise
    if proc.returncode != 0:
        lines = err.decode("utf-8", "replace").strip().splitlines() or out.decode("utf-8", "replace").strip().splitlines()
        said = f": {lines[-1].strip()[:300]}" if lines else ""
        return_code = proc.returncode
        how = f"was killed by signal {-return_code}" if return_code < 0 else f"failed with exit status {return_code}"
        raise OperationError(f"{what} {how}{said}", field=field)
    return out.decode("utf-8", "replace")


def _kill_group(proc: subprocess.Popen[bytes], *, grace: float = 2.0) -> None:
    """End ``proc`` and every process in its group: SIGTERM, then SIGKILL after ``grace``
    seconds; the pipes are closed without waiting for the end of their output."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=grace)
            if sig == signal.SIGTERM:
                # the shell is gone; its children may have ignored SIGTERM: finish them too
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(proc.pid, signal.SIGKILL)
            break
        except subprocess.TimeoutExpired:
            continue
    for stream in (proc.stdout, proc.stderr):
        if stream is not None:
            stream.close()
