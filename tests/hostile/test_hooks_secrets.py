"""Issue 13 case 9 (secrets never echoed) and the hook part of 12 (a hook that times out
takes what it started with it)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from mailcert.cli import main
from mailcert.errors import OperationError
from mailcert.issue.challenges import run_hook
from tests.factory import make_cert, pem

SECRET = "Hunter2secret"


def _gone(pid: int) -> bool:
    """Not running: no such process, or a zombie waiting for a reaper (PID 1 in a container)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


@pytest.mark.parametrize(
    "script",
    [
        "sleep 300 & echo $! > {pids}; sleep 300",  # a child in the background, the shell waiting
        "(trap '' TERM; sleep 300) & echo $! > {pids}; exec sleep 300",  # one that ignores SIGTERM
        "sleep 300 & echo $! > {pids}; echo done",  # the shell exits, its child keeps our pipe
    ],
)
def test_hook_timeout_kills_the_whole_group(script: str, tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    started = time.monotonic()
    with pytest.raises(OperationError, match="did not finish within 1 s"):
        run_hook(script.format(pids=pids), dict(os.environ), timeout=1, what="--dns-hook")
    assert time.monotonic() - started < 10
    child = int(pids.read_text())
    deadline = time.monotonic() + 5
    while not _gone(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _gone(child), f"the hook's child {child} outlived the timeout"


def test_hook_output_and_failure_still_reported(tmp_path: Path) -> None:
    assert run_hook("echo hello", dict(os.environ), timeout=10, what="--dns-hook") == "hello\n"
    with pytest.raises(OperationError, match="exit status 3: nope"):
        run_hook("echo nope >&2; exit 3", dict(os.environ), timeout=10, what="--dns-hook")


@pytest.fixture
def cert_file(tmp_path: Path) -> str:
    f = tmp_path / "c.pem"
    f.write_bytes(pem(make_cert()))
    return str(f)


@pytest.mark.parametrize(
    "argv",
    [
        ["inspect", "{f}", "--password-env", SECRET],
        ["inspect", "{f}", f"--password-env={SECRET}"],
        ["inspect", "{f}", "--password-env", f"{SECRET} with spaces"],
        ["inspect", "{f}", f"--passw={SECRET}"],
        ["inspect", "{f}", "--passw", SECRET],
        ["inspect", "{f}", f"--pass={SECRET}"],
        ["inspect", "{f}", "--passwd", SECRET],
        ["inspect", "{f}", SECRET],
        ["check", "imaps://127.0.0.1:1", f"--password={SECRET}", "--format", "nagios"],
        ["cert", "export", "{d}", "--password-env", SECRET, "--pfx", "{d}/x.pfx"],
        ["cert", "export", "{d}", "--password", SECRET],
        ["cert", "import", "{f}", "--out", "{d}/o", "--password-env", SECRET],
        ["address", "check", "example.com", "--cert", "{f}", "--password-env", SECRET],
        ["scan", f"--secret-token={SECRET}"],
    ],
)
def test_secret_given_by_mistake_is_never_echoed(argv: list[str], cert_file: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = [a.format(f=cert_file, d=tmp_path) for a in argv]
    rc = main(args)
    out = capsys.readouterr()
    assert rc == 3, (out.out, out.err)
    assert SECRET not in out.out + out.err, out.err
    assert len(out.err.splitlines()) == 1 and "Traceback" not in out.err
