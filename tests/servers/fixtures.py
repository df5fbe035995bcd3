"""pytest fixtures that start the real servers (registered in ``tests/conftest.py``).

Scopes: session-scoped ``dovecot``/``postfix``/``pebble`` are shared - treat them as read-only (don't
reload them with other certs); a test that changes a server's config takes its own instance from
``make_dovecot``/``make_postfix``/``make_pebble`` (function scope, stopped after the test).

Missing server binaries or not root: **fail** when ``CI`` is set (non-empty, not "0"/"false"),
otherwise skip - a developer without the servers can still run the unit tests.

Work dirs live under one ``mkdtemp`` root in /tmp (mode 0711), not under pytest's ``tmp_path``: that
one is 0700 below /tmp/pytest-of-root, so Postfix's ``postfix`` user and the ``nobody`` mail user
could not reach their dirs, and its deep paths could overflow the 108-byte unix socket limit.
Set ``MAILCERT_KEEP_SERVER_DIRS=1`` to keep the root (configs, logs) after the session.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from .certs import FixturePKI, make_fixture_pki
from .dovecot import DovecotServer
from .pebble import PebbleServer
from .postfix import PostfixServer
from .procs import MissingServerBinary, find_binary, kill_processes, missing_binaries, run, wait_no_processes

DOVECOT_BINARIES = ("dovecot", "doveconf", "doveadm")
POSTFIX_BINARIES = ("postfix", "postconf")
PEBBLE_BINARIES = ("pebble", "pebble-challtestsrv")


def in_ci() -> bool:
    """True when the ``CI`` environment variable is set to something other than ""/"0"/"false"."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def require_servers(binaries: tuple[str, ...]) -> None:
    """Skip (locally) or fail (CI) unless ``binaries`` are installed and we run as root."""
    problems = []
    missing = missing_binaries(binaries)
    if missing:
        problems.append(f"missing {', '.join(missing)} (run scripts/deps/servers.sh as root)")
    if os.geteuid() != 0:
        problems.append("server fixtures need root (daemons drop privileges to their own users)")
    if problems:
        msg = "; ".join(problems)
        if in_ci():
            pytest.fail(f"CI is set but integration servers are unusable: {msg}", pytrace=False)
        pytest.skip(msg)


ROOT_PREFIX = "mailcert-srv-"
_OWNER_FILE = "owner"


def _proc_start_time(pid: int) -> str | None:
    """Start time of ``pid`` in clock ticks (field 22 of /proc/PID/stat), None if it is gone.

    Stored with the owner pid so a recycled pid is not mistaken for a live owner.
    """
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def reap_stale_roots(tmp: Path | None = None) -> list[Path]:
    """Stop servers left by pytest runs that died without running their finalizers; return the roots.

    Finalizers cover failing tests and Ctrl-C, and Dovecot/Pebble die with pytest even on SIGKILL
    (PR_SET_PDEATHSIG), but a daemonized Postfix cannot be tied to pytest that way.  A root counts as
    stale only if its owner file names a process that no longer exists (pid + start time), so
    concurrent sessions on the same machine are never touched.
    """
    reaped: list[Path] = []
    for root in Path(tmp or tempfile.gettempdir()).glob(ROOT_PREFIX + "*"):
        try:
            pid_s, start = (root / _OWNER_FILE).read_text().split()
        except (OSError, ValueError):
            continue  # no owner file: not ours to judge
        if _proc_start_time(int(pid_s)) == start:
            continue  # owner still running
        try:
            for conf in root.glob("postfix-*/etc"):
                run([find_binary("postfix"), "-c", str(conf), "stop"], check=False)
        except MissingServerBinary:
            pass
        left = wait_no_processes(root, timeout=5.0)
        kill_processes(left)
        shutil.rmtree(root, ignore_errors=True)
        reaped.append(root)
    return reaped


@pytest.fixture(scope="session")
def servers_root() -> Iterator[Path]:
    """Session root for all server work dirs.

    Before: reaps roots of crashed earlier sessions (:func:`reap_stale_roots`).  After: kills anything
    still running in it (a stop that failed) and removes it unless MAILCERT_KEEP_SERVER_DIRS=1.
    """
    if os.geteuid() == 0:
        reap_stale_roots()
    root = Path(tempfile.mkdtemp(prefix=ROOT_PREFIX))
    os.chmod(root, 0o711)  # daemons' unprivileged users must traverse it
    (root / _OWNER_FILE).write_text(f"{os.getpid()} {_proc_start_time(os.getpid())}\n")
    yield root
    left = wait_no_processes(root, timeout=2.0)
    if left:
        kill_processes(left)
        warnings.warn(f"killed server processes left in {root}: {left}", stacklevel=1)
    if os.environ.get("MAILCERT_KEEP_SERVER_DIRS", "") in ("", "0"):
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def server_pki(servers_root: Path) -> FixturePKI:
    """Fixture CA + leaves ``sbs`` (SBS SAN order), ``ordered`` and ``expired`` (see certs.py)."""
    return make_fixture_pki(servers_root / "pki")


def _workdir(root: Path, kind: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=f"{kind}-", dir=root))


MailServer = TypeVar("MailServer", DovecotServer, PostfixServer)


def _shared_server(cls: type[MailServer], kind: str, root: Path, pki: FixturePKI) -> Iterator[MailServer]:
    """The body of the session fixtures: one running server serving the SBS leaf."""
    srv = cls(_workdir(root, kind), pki.sbs.cert_path, pki.sbs.key_path)
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="session")
def dovecot(servers_root: Path, server_pki: FixturePKI) -> Iterator[DovecotServer]:
    """Shared running Dovecot serving ``server_pki.sbs`` on IMAP/IMAPS/POP3/POP3S (read-only use)."""
    require_servers(DOVECOT_BINARIES)
    yield from _shared_server(DovecotServer, "dovecot", servers_root, server_pki)


@pytest.fixture(scope="session")
def postfix(servers_root: Path, server_pki: FixturePKI) -> Iterator[PostfixServer]:
    """Shared running Postfix serving ``server_pki.sbs`` on SMTP/submission/SMTPS (read-only use)."""
    require_servers(POSTFIX_BINARIES)
    yield from _shared_server(PostfixServer, "postfix", servers_root, server_pki)


@pytest.fixture(scope="session")
def pebble(servers_root: Path) -> Iterator[PebbleServer]:
    """Shared running Pebble + challtestsrv with real validation (VA_NOSLEEP=1, NONCEREJECT=0)."""
    require_servers(PEBBLE_BINARIES)
    srv = PebbleServer(_workdir(servers_root, "pebble"))
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()


class _Factory:
    """Creates started servers for one test and stops all of them at teardown, even on failure."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.servers: list[DovecotServer | PostfixServer | PebbleServer] = []

    def close(self) -> None:
        errors = []
        for srv in reversed(self.servers):
            try:
                srv.stop()
            except Exception as e:  # keep stopping the others
                errors.append(f"{srv!r}: {e}")
        if errors:
            raise RuntimeError("stopping test servers failed:\n" + "\n".join(errors))


def _mail_server_factory(
    cls: type[MailServer], kind: str, root: Path, pki: FixturePKI
) -> Iterator[Callable[..., MailServer]]:
    """The body of make_dovecot / make_postfix: default to the SBS leaf, stop all at teardown."""
    factory = _Factory(root)

    def make(cert: Path | None = None, key: Path | None = None, *, start: bool = True, **kwargs: Any) -> MailServer:
        if cert is None and key is None and "config_dir" not in kwargs:
            cert, key = pki.sbs.cert_path, pki.sbs.key_path
        srv = cls(_workdir(root, kind), cert, key, **kwargs)
        factory.servers.append(srv)
        if start:
            srv.start()
        return srv

    try:
        yield make
    finally:
        factory.close()


@pytest.fixture
def make_dovecot(servers_root: Path, server_pki: FixturePKI) -> Iterator[Callable[..., DovecotServer]]:
    """Factory: ``make_dovecot(cert=None, key=None, *, start=True, **kwargs) -> DovecotServer``.

    Defaults to ``server_pki.sbs``; ``kwargs`` go to :class:`DovecotServer` (``listen``, ``layout``,
    ``config_dir`` - with ``config_dir`` of an existing config pass no cert/key).  Each call gets its
    own work dir; all instances are stopped after the test.
    """
    require_servers(DOVECOT_BINARIES)
    yield from _mail_server_factory(DovecotServer, "dovecot", servers_root, server_pki)


@pytest.fixture
def make_postfix(servers_root: Path, server_pki: FixturePKI) -> Iterator[Callable[..., PostfixServer]]:
    """Factory: ``make_postfix(cert=None, key=None, *, start=True, **kwargs) -> PostfixServer``.

    Defaults to ``server_pki.sbs``; ``kwargs`` go to :class:`PostfixServer` (``listen``, ``config_dir``).
    All instances are stopped after the test.
    """
    require_servers(POSTFIX_BINARIES)
    yield from _mail_server_factory(PostfixServer, "postfix", servers_root, server_pki)


@pytest.fixture
def make_pebble(servers_root: Path) -> Iterator[Callable[..., PebbleServer]]:
    """Factory: ``make_pebble(*, start=True, **kwargs) -> PebbleServer`` for tests that need other
    Pebble settings (``always_valid=True``, ``http_port=...``, ``env={...}``).  Stopped after the test."""
    require_servers(PEBBLE_BINARIES)
    factory = _Factory(servers_root)

    def make(*, start: bool = True, **kwargs: Any) -> PebbleServer:
        srv = PebbleServer(_workdir(servers_root, "pebble"), **kwargs)
        factory.servers.append(srv)
        if start:
            srv.start()
        return srv

    try:
        yield make
    finally:
        factory.close()
