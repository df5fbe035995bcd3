"""Process plumbing shared by the server classes: finding binaries, spawning daemons safely,
and finding processes that still belong to a work dir.
"""

from __future__ import annotations

import ctypes
import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

#: Debian puts dovecot/postfix in /usr/sbin, which is not on a non-root PATH.
_EXTRA_PATH = "/usr/sbin:/sbin:/usr/local/sbin"

#: Proxy variables are stripped from daemon environments so e.g. Pebble's validation requests can never
#: be routed off the machine by a proxy set in the developer's shell.
_PROXY_VARS = ("http_proxy", "https_proxy", "all_proxy", "no_proxy", "ftp_proxy")


class MissingServerBinary(RuntimeError):
    """A server program is not installed (run scripts/deps/servers.sh as root)."""


class ServerError(RuntimeError):
    """A server could not be configured, started, reloaded or stopped; the message has the log tail."""


def find_binary(name: str) -> str:
    """Absolute path of ``name`` on PATH or in the sbin dirs, else :class:`MissingServerBinary`."""
    path = os.environ.get("PATH", "") + ":" + _EXTRA_PATH
    found = shutil.which(name, path=path)
    if found is None:
        raise MissingServerBinary(f"{name} not found (install with: sudo scripts/deps/servers.sh)")
    return found


def missing_binaries(names: Sequence[str]) -> list[str]:
    """Which of ``names`` are not installed (empty list = all there)."""
    path = os.environ.get("PATH", "") + ":" + _EXTRA_PATH
    return [n for n in names if shutil.which(n, path=path) is None]


def clean_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The current environment without proxy variables, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if k.lower() not in _PROXY_VARS}
    env["PATH"] = env.get("PATH", "/usr/bin:/bin") + ":" + _EXTRA_PATH
    if extra:
        env.update(extra)
    return env


def _die_with_parent() -> None:
    """preexec hook: SIGTERM this child if the pytest process dies (even by SIGKILL).

    Finalizers handle normal and failing runs; this covers the case where nothing of pytest survives
    to run them, so foreground daemons don't linger on the shared machine.  Caveat: the signal fires
    when the *thread* that spawned the child exits, so spawn from the main thread.
    """
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except Exception:  # pragma: no cover - best effort only
        pass


def spawn(argv: Sequence[str], *, cwd: Path, log_stem: Path, env: Mapping[str, str] | None = None) -> subprocess.Popen[bytes]:
    """Start a long-running daemon in the foreground as our child.

    stdin is /dev/null and stdout/stderr go to ``<log_stem>.stdout`` / ``.stderr`` files, never pipes:
    a daemon that keeps an inherited pipe open makes whoever reads it hang (LAB.md pitfall 5), and an
    unread pipe eventually blocks the daemon.  A new session keeps a terminal Ctrl-C from killing the
    daemons before the fixtures' finalizers get to stop them cleanly.
    """
    log_stem.parent.mkdir(parents=True, exist_ok=True)
    with open(f"{log_stem}.stdout", "ab") as out, open(f"{log_stem}.stderr", "ab") as err:
        return subprocess.Popen(
            list(argv), cwd=cwd, env=dict(env) if env is not None else clean_env(),
            stdin=subprocess.DEVNULL, stdout=out, stderr=err,
            start_new_session=True, preexec_fn=_die_with_parent,
        )


def run(argv: Sequence[str], *, timeout: float = 60.0, env: Mapping[str, str] | None = None,
        check: bool = True, log: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run a short control command (config check, start/stop/reload) and return its result.

    Output is captured, or appended to ``log`` when given.  Use ``log`` for commands that leave a
    daemon behind (``postfix start``): a daemon that inherits a capture pipe keeps it open and
    ``run`` would wait for EOF until the daemon exits (LAB.md pitfall 5).
    """
    full_env = dict(env) if env is not None else clean_env()
    if log is None:
        cp = subprocess.run(list(argv), stdin=subprocess.DEVNULL, capture_output=True, text=True,
                            timeout=timeout, env=full_env)
    else:
        log.parent.mkdir(parents=True, exist_ok=True)
        with open(log, "a") as out:
            out.write(f"$ {' '.join(argv)}\n")
            out.flush()
            cp = subprocess.run(list(argv), stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                text=True, timeout=timeout, env=full_env)
    if check and cp.returncode != 0:
        where = f"see {log}:\n{tail(log, 15)}" if log else f"stdout: {cp.stdout}\nstderr: {cp.stderr}"
        raise ServerError(f"{' '.join(argv)} -> rc={cp.returncode}; {where}")
    return cp


def ensure_traversable(workdir: Path) -> None:
    """Make ``workdir`` searchable (o+x) and check every parent is, else raise :class:`ServerError`.

    The daemons drop privileges (Postfix to ``postfix``, mail delivery/IMAP to ``nobody``) and must
    reach their dirs inside ``workdir``.  ``tempfile.mkdtemp`` and pytest's ``tmp_path`` are 0700,
    which shows up much later as e.g. Postfix "open lock file ...: Permission denied".
    """
    workdir = Path(workdir).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    os.chmod(workdir, os.stat(workdir).st_mode | 0o011)
    for parent in workdir.parents:
        if not os.stat(parent).st_mode & 0o001:
            raise ServerError(f"{parent} is not searchable by other users (mode "
                              f"{oct(os.stat(parent).st_mode & 0o777)}); the servers' unprivileged users "
                              f"cannot reach {workdir}. Use a work dir under e.g. tempfile.mkdtemp() with chmod 0711.")


def tail(path: Path, lines: int = 30) -> str:
    """Last ``lines`` lines of a log file ("" if missing), for error messages."""
    try:
        data = path.read_text(errors="replace").splitlines()
    except OSError:
        return ""
    return "\n".join(data[-lines:])


@dataclass(frozen=True)
class ProcInfo:
    """A live (non-zombie) process that references a work dir."""

    pid: int
    cmdline: str
    why: str  # "cmdline", "cwd" or "root"


def _proc_state(pid: int) -> str:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return "gone"
    return stat.rsplit(")", 1)[1].split()[0]


def pid_alive(pid: int) -> bool:
    """True if ``pid`` exists and is not a zombie (zombies hold no ports or files that matter)."""
    return _proc_state(pid) not in ("gone", "Z", "X")


def processes_using(path: Path) -> list[ProcInfo]:
    """Live processes whose command line mentions ``path`` or whose cwd/root is inside it.

    ``pgrep -f <workdir>`` alone misses most daemon children (Postfix's master and smtpd, Dovecot's
    login processes do not carry the config path in their command line), but they all chdir/chroot
    into the work dir, so cwd/root catch them.
    """
    p = str(Path(path).resolve())
    # "<p>" followed by "/", whitespace or end: /x/dovecot-1 must not match /x/dovecot-10/...
    in_cmd = re.compile(re.escape(p) + r"(?=/|\s|$)")
    me = os.getpid()
    found: list[ProcInfo] = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == me:
            continue
        pid = int(entry)
        if not pid_alive(pid):
            continue
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            continue
        why = ""
        if in_cmd.search(cmd):
            why = "cmdline"
        else:
            for link in ("cwd", "root"):
                try:
                    target = os.readlink(f"/proc/{pid}/{link}")
                except OSError:
                    continue
                if target == p or target.startswith(p + "/"):
                    why = link
                    break
        if why:
            found.append(ProcInfo(pid, cmd, why))
    return found


def wait_no_processes(path: Path, timeout: float = 10.0) -> list[ProcInfo]:
    """Wait until :func:`processes_using` is empty; return what is still left at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        left = processes_using(path)
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.05)


def kill_processes(procs: Sequence[ProcInfo]) -> None:
    """SIGKILL the given processes (last resort after a clean stop failed); ignores ones already gone."""
    for pi in procs:
        try:
            os.kill(pi.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def terminate(proc: subprocess.Popen[bytes], timeout: float = 15.0) -> int:
    """SIGTERM a spawned daemon, wait for it, SIGKILL if it does not exit in time; return its rc."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
    return proc.returncode
