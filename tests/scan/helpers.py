"""Helpers for the scan tests: run ``mailcert scan``/``report`` as a user would, servers that
misbehave in a background thread, closed ports, a private PostgreSQL cluster, headless Chromium."""

from __future__ import annotations

import asyncio
import glob
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import AsyncExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from mailcert.report.checkout import document
from mailcert.scan.runner import ScanResult
from mailcert.textsafe import json_dumps
from tests.probe.hostile import Behaviour, hostile_server

ENV = {**os.environ, "NO_COLOR": "1", "PYTHONUNBUFFERED": "1"}


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def need(condition: bool, why: str) -> None:
    """Skip locally, fail in CI: a missing tool there is a broken setup, not a reason to pass."""
    if not condition:
        if in_ci():
            pytest.fail(f"CI is set but {why}", pytrace=False)
        pytest.skip(why)


@dataclass
class Run:
    rc: int
    stdout: str
    stderr: str

    @property
    def lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.stdout.splitlines()]


def mailcert(*args: str, input: str | None = None, timeout: float = 120, env: dict[str, str] | None = None) -> Run:
    proc = subprocess.run(
        [sys.executable, "-m", "mailcert", *args],
        input=input, capture_output=True, text=True, timeout=timeout,
        stdin=None if input is not None else subprocess.DEVNULL, env=env or ENV,
    )
    return Run(proc.returncode, proc.stdout, proc.stderr)


def read_lines(path: Path) -> list[dict[str, Any]]:
    text = path.read_text()
    assert text == "" or text.endswith("\n"), "the JSON-lines file ends in the middle of a line"
    return [json.loads(line) for line in text.splitlines()]


def closed_port() -> int:
    """A loopback port nobody listens on (bound and released: the kernel will refuse connections)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class BackgroundServers:
    """Hostile servers (tests/probe/hostile.py) on an event loop in a thread, for subprocess scans."""

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._stack: AsyncExitStack | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, name="hostile-servers", daemon=True)
        self._thread.start()

    def _call(self, coro: Awaitable[Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(30)  # type: ignore[arg-type]

    def serve(self, behaviour: Behaviour, **kwargs: Any) -> int:
        async def start() -> int:
            if self._stack is None:
                self._stack = AsyncExitStack()
            port: int = await self._stack.enter_async_context(hostile_server(behaviour, **kwargs))
            return port

        return int(self._call(start()))

    def close(self) -> None:
        async def stop() -> None:
            if self._stack is not None:
                await self._stack.aclose()

        try:
            self._call(stop())
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
            self._loop.close()


# --- PostgreSQL: a private cluster as the postgres user -------------------------------------


def postgres_bindir() -> str | None:
    dirs = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda d: int(d.split("/")[-2]))
    return next((d for d in reversed(dirs) if os.path.exists(f"{d}/initdb")), None)


def _as_postgres(argv: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return argv  # PostgreSQL runs as any non-root user: this one
    return ["runuser", "-u", "postgres", "--", *argv]


@contextmanager
def postgres_cluster() -> Iterator[str]:
    """initdb + pg_ctl start on a free 127.0.0.1 port; yields the admin URL (database postgres)."""
    bindir = postgres_bindir()
    need(bindir is not None, "PostgreSQL server binaries missing (scripts/deps/scan.sh installs them)")
    assert bindir is not None
    if os.geteuid() == 0:
        need(shutil.which("runuser") is not None and _user_exists("postgres"), "no postgres user / runuser to drop root")
    root = Path(tempfile.mkdtemp(prefix="mc-pg-", dir="/tmp"))
    root.chmod(0o755)
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    data, log = root / "data", root / "log"
    port = closed_port()
    try:
        subprocess.run(
            _as_postgres([f"{bindir}/initdb", "-D", str(data), "-U", "mailcert", "--auth=trust", "-E", "UTF8", "--no-sync"]),
            check=True, capture_output=True, timeout=120, stdin=subprocess.DEVNULL,
        )
        options = f"-c listen_addresses=127.0.0.1 -p {port} -k {root} -c fsync=off -c full_page_writes=off"
        subprocess.run(
            _as_postgres([f"{bindir}/pg_ctl", "-D", str(data), "-l", str(log), "-o", options, "-w", "-t", "60", "start"]),
            check=True, capture_output=True, timeout=90, stdin=subprocess.DEVNULL,
        )
        yield f"postgresql+psycopg://mailcert@127.0.0.1:{port}/postgres"
    finally:
        if (data / "postmaster.pid").exists():
            subprocess.run(
                _as_postgres([f"{bindir}/pg_ctl", "-D", str(data), "-m", "immediate", "-w", "stop"]),
                capture_output=True, timeout=60, stdin=subprocess.DEVNULL,
            )
        shutil.rmtree(root, ignore_errors=True)


def _user_exists(name: str) -> bool:
    import pwd

    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def create_database(admin_url: str, name: str) -> str:
    import psycopg

    plain = admin_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return admin_url.rsplit("/", 1)[0] + f"/{name}"


# --- Chromium ---------------------------------------------------------------------------------


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def chromium_args(binary: str, profile: Path) -> list[str]:
    return [
        binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
        f"--user-data-dir={profile}",
    ]


def dump_dom(page: Path, profile: Path) -> str:
    binary = chromium()
    need(binary is not None, "chromium is not installed (scripts/deps/scan.sh installs it)")
    assert binary is not None
    proc = subprocess.run(
        [*chromium_args(binary, profile), "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


def screenshot(page: Path, png: Path, profile: Path, size: str = "1400,2200") -> None:
    binary = chromium()
    need(binary is not None, "chromium is not installed (scripts/deps/scan.sh installs it)")
    assert binary is not None
    proc = subprocess.run(
        [*chromium_args(binary, profile), f"--screenshot={png}", f"--window-size={size}", "--hide-scrollbars", page.as_uri()],
        capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 0 and png.exists(), proc.stderr[-2000:]


def wait_for(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def whole_line(result: ScanResult) -> str:
    """A scan line as it was always made, to compare :func:`mailcert.report.scanline.line` with:
    ``check --format json``'s whole document dumped at once, ``target`` split in three."""
    assert result.diagnosis is not None
    doc: dict[str, object] = {}
    for key, value in document(result.diagnosis).items():
        if key == "target":
            doc.update(target=result.target.text, name=result.target.name, url=value)
        else:
            doc[key] = value
    return json_dumps(doc, indent=None, separators=(",", ":"))
