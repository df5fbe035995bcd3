"""contrib/systemd: no mailcert path baked in; ``install.sh`` fills in this machine's path,
systemd's own ``systemd-analyze verify`` accepts the result, and the ExecStart lines run as
printed (the active one and the commented alternative)."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mailcert.cli import build_parser

ROOT = Path(__file__).resolve().parents[2]
UNITS = ROOT / "contrib" / "systemd"
MAILCERT = str(Path(sys.executable).with_name("mailcert"))


def install(dest: Path, *args: str, path: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DESTDIR": str(dest)}
    if path is not None:
        env["PATH"] = path
    return subprocess.run(["sh", str(UNITS / "install.sh"), *args], capture_output=True, text=True, timeout=120, env=env)


def test_units_name_no_installation_path() -> None:
    for unit in ("mailcert-renew.service", "mailcert-renew.timer"):
        text = (UNITS / unit).read_text()
        assert not re.search(r"^#?\s*ExecStart=/", text, re.M), unit
        assert "/usr/local/bin" not in text and "/usr/bin/mailcert" not in text
    assert "ExecStart=@MAILCERT@ " in (UNITS / "mailcert-renew.service").read_text()


@pytest.mark.parametrize("how", ["argument", "PATH"])
def test_install_fills_in_this_machines_mailcert(tmp_path: Path, how: str) -> None:
    assert os.access(MAILCERT, os.X_OK), MAILCERT
    if how == "argument":
        done = install(tmp_path, MAILCERT)
    else:
        done = install(tmp_path, path=f"{Path(MAILCERT).parent}:/usr/bin:/bin")
    assert done.returncode == 0, done.stderr
    service = (tmp_path / "mailcert-renew.service").read_text()
    assert "@MAILCERT@" not in service and f"ExecStart={MAILCERT} acme renew" in service
    assert (tmp_path / "mailcert-renew.timer").read_text() == (UNITS / "mailcert-renew.timer").read_text()
    if shutil.which("systemd-analyze"):
        verify = subprocess.run(
            ["systemd-analyze", "verify", str(tmp_path / "mailcert-renew.service"), str(tmp_path / "mailcert-renew.timer")],
            capture_output=True, text=True, timeout=120,
        )
        assert verify.returncode == 0, verify.stderr


@pytest.mark.parametrize("bad", ["mailcert", "/nonexistent/bin/mailcert", "/tmp"])
def test_install_refuses_a_path_systemd_could_not_run(tmp_path: Path, bad: str) -> None:
    done = install(tmp_path / "units", bad)
    assert done.returncode == 1 and done.stderr.count("\n") == 1 and not (tmp_path / "units" / "mailcert-renew.service").exists()


def exec_starts(service: str) -> list[list[str]]:
    """The active ExecStart and the commented alternatives, split as systemd splits them."""
    return [shlex.split(m.group(1)) for m in re.finditer(r"^#?ExecStart=(.+)$", service, re.M)]


def test_exec_start_lines_run_as_printed(tmp_path: Path) -> None:
    """With nothing due for renewal, each line runs to "nothing to renew" (exit 0) and its deploy
    hook parses as mailcert's own command line."""
    assert install(tmp_path / "units", MAILCERT).returncode == 0
    lines = exec_starts((tmp_path / "units" / "mailcert-renew.service").read_text())
    assert len(lines) == 2
    env = {**os.environ, "MAILCERT_STATE_DIR": str(tmp_path / "state"), "NO_COLOR": "1"}
    for argv in lines:
        assert argv[0] == MAILCERT
        done = subprocess.run(argv, capture_output=True, text=True, timeout=120, env=env, stdin=subprocess.DEVNULL)
        assert done.returncode == 0, (argv, done.stdout, done.stderr)
        hook = argv[argv.index("--deploy-hook") + 1]
        for part in hook.split("&&"):
            words = shlex.split(part)
            if words[0] == MAILCERT:  # mailcert's own: its parser takes it as it stands
                args = build_parser().parse_args(words[1:])
                assert args.command == "deploy" and args.from_env
