"""What the engine asks of a server (certbot's Installer verbs), and the one way to run a command.

A server module knows three things only: how to **discover** its configuration, how to
**config-test** it and how to **reload** it.  Everything else (plan, checkpoint, write,
verify, roll back) is the shared engine in :mod:`mailcert.deploy.apply`, so Dovecot and
Postfix cannot drift apart in how carefully they are handled.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from mailcert.deploy.plan import Discovery
from mailcert.errors import InputError, MailcertError

__all__ = ["Server", "ServerBase", "StepResult", "loopback_hosts", "read_command", "run_command", "split_command"]

COMMAND_TIMEOUT = 120.0
"""A config test or reload that takes longer than this is hung, not slow."""

_LOG_WORDS = ("fatal", "panic", "error", "warning")


@dataclass(frozen=True)
class StepResult:
    """One step the engine took: what, whether it worked, the one line that says why not."""

    step: str
    ok: bool
    detail: str = ""
    seconds: float = 0.0
    command: str = ""


class Server(Protocol):
    """The Installer verbs the engine needs from a mail server."""

    name: str

    def discover(self) -> Discovery: ...

    def config_test(self) -> StepResult: ...

    def reload(self) -> StepResult: ...

    def commands(self) -> tuple[str, str]:
        """The config test and reload commands, as shown in the plan."""
        ...


class ServerBase:
    """Config test and reload by command line, with the ``--config-test-cmd``/``--reload-cmd``
    overrides; subclasses give the native argv and where the server logs."""

    name = "server"

    def __init__(self, *, reload_cmd: str | None = None, config_test_cmd: str | None = None) -> None:
        self._reload_override = split_command(reload_cmd, "reload_cmd") if reload_cmd is not None else None
        self._test_override = split_command(config_test_cmd, "config_test_cmd") if config_test_cmd is not None else None

    def native_config_test(self) -> list[str]:
        raise NotImplementedError

    def native_reload(self) -> list[str]:
        raise NotImplementedError

    def log_path(self) -> Path | None:
        """Where the server writes errors that its commands do not print (Postfix without a tty)."""
        return None

    def _test_argv(self) -> list[str]:
        return self._test_override or self.native_config_test()

    def _reload_argv(self) -> list[str]:
        return self._reload_override or self.native_reload()

    def commands(self) -> tuple[str, str]:
        return shlex.join(self._test_argv()), shlex.join(self._reload_argv())

    def config_test(self) -> StepResult:
        return run_command("config test", self._test_argv(), log=self.log_path())

    def reload(self) -> StepResult:
        return run_command("reload", self._reload_argv(), log=self.log_path())


def split_command(text: str, field: str) -> list[str]:
    """A command line (``"systemctl reload dovecot"``) -> argv, run without a shell; ``field``
    names it in errors (``reload_cmd``, ``config_test_cmd``)."""
    try:
        argv = shlex.split(text)
    except ValueError as exc:
        raise InputError(f"{field} {text!r}: {exc}", field=field) from None
    if not argv:
        raise InputError(f"{field} is empty", field=field)
    return argv


def run_command(step: str, argv: Sequence[str], *, log: Path | None = None, timeout: float = COMMAND_TIMEOUT) -> StepResult:
    """Run ``argv``; on failure the detail is the command's own complaint, in one line.

    Postfix's commands print nothing without a terminal and log instead, so the lines the
    log gained while the command ran are searched for the complaint when stderr is silent.
    """
    shown = shlex.join(argv)
    offset = _size(log)
    started = time.monotonic()
    try:
        cp = subprocess.run(list(argv), stdin=subprocess.DEVNULL, capture_output=True, text=True,
                            errors="replace", timeout=timeout)
    except FileNotFoundError:
        return StepResult(step, False, f"{argv[0]}: command not found", time.monotonic() - started, shown)
    except PermissionError:
        return StepResult(step, False, f"{argv[0]}: permission denied", time.monotonic() - started, shown)
    except subprocess.TimeoutExpired:
        return StepResult(step, False, f"{shown} did not finish within {timeout:g} s", time.monotonic() - started, shown)
    seconds = time.monotonic() - started
    if cp.returncode == 0:
        return StepResult(step, True, "", seconds, shown)
    said = _complaint(cp.stderr) or _complaint(_log_since(log, offset)) or _complaint(cp.stdout)
    where = f" (see {log})" if log is not None and not said else ""
    detail = f"{shown} exited {cp.returncode}" + (f": {said}" if said else where)
    return StepResult(step, False, detail, seconds, shown)


def _complaint(text: str) -> str:
    """The most telling line: the first fatal/error line, else the last non-empty one."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    if not lines:
        return ""
    for word in _LOG_WORDS:
        for ln in lines:
            if word in ln.lower():
                return _trim(ln)
    return _trim(lines[-1])


def _trim(line: str, limit: int = 300) -> str:
    return line if len(line) <= limit else line[: limit - 3] + "..."


def _size(path: Path | None) -> int:
    if path is None:
        return 0
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


def _log_since(path: Path | None, offset: int) -> str:
    if path is None:
        return ""
    time.sleep(0.05)  # postlogd writes asynchronously; give it a moment
    try:
        with open(path, "rb") as f:
            f.seek(offset)
            return f.read(256 * 1024).decode(errors="replace")
    except OSError:
        return ""


def read_command(argv: Sequence[str], *, what: str, timeout: float = 60.0) -> str:
    """Stdout of a read-only command (``doveconf``, ``postconf``); one line when it fails."""
    try:
        cp = subprocess.run(list(argv), stdin=subprocess.DEVNULL, capture_output=True, text=True,
                            errors="replace", timeout=timeout)
    except FileNotFoundError:
        raise MailcertError(f"{argv[0]}: command not found (is {what} installed?)") from None
    except subprocess.TimeoutExpired:
        raise MailcertError(f"{shlex.join(argv)} did not finish within {timeout:g} s") from None
    if cp.returncode != 0:
        said = _complaint(cp.stderr) or f"exit {cp.returncode}"
        raise MailcertError(f"cannot read the {what} configuration: {said}")
    return cp.stdout


def loopback_hosts(addresses: Sequence[str], wildcards: Sequence[str]) -> list[str]:
    """Where to probe a listener bound to ``addresses``: a wildcard is reached on loopback.

    IPv4 loopback stands for every wildcard at once: the same listener answers there, and
    ``::1`` may not exist on the machine.
    """
    out: list[str] = []
    for item in addresses:
        item = item.strip().strip("[]")
        if not item:
            continue
        host = "127.0.0.1" if item in wildcards else item
        if host not in out:
            out.append(host)
    return out or ["127.0.0.1"]
