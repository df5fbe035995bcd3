"""Running config tests and reloads: the one-line reason when they fail.

Postfix's commands print nothing without a terminal and log instead, so the reason must come
from the lines the log gained while the command ran (LAB.md pitfall 7).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mailcert.deploy.base import loopback_hosts, run_command, split_command
from mailcert.errors import InputError


def test_success_has_no_detail() -> None:
    r = run_command("reload", ["true"])
    assert r.ok and r.detail == "" and r.command == "true"


def test_stderr_complaint_is_the_reason() -> None:
    r = run_command("config test", ["sh", "-c", "echo 'doveconf: Fatal: Error in configuration file x line 3' >&2; exit 89"])
    assert not r.ok
    assert r.detail.endswith("exited 89: doveconf: Fatal: Error in configuration file x line 3")


def test_silent_command_reason_comes_from_the_new_log_lines(tmp_path: Path) -> None:
    log = tmp_path / "maillog"
    log.write_text("Nov 28 postfix/master[1]: warning: an old line that is not the reason\n")
    script = f"echo 'Nov 28 postfix/postfix-script[9]: fatal: the Postfix mail system is not running' >> {log}; exit 1"
    r = run_command("reload", ["sh", "-c", script], log=log)
    assert not r.ok
    assert "fatal: the Postfix mail system is not running" in r.detail
    assert "old line" not in r.detail


def test_silent_command_without_log_line_points_at_the_log(tmp_path: Path) -> None:
    log = tmp_path / "maillog"
    r = run_command("reload", ["false"], log=log)
    assert r.detail == f"false exited 1 (see {log})"


def test_missing_command() -> None:
    r = run_command("reload", ["/nonexistent/mailcert-reload"])
    assert not r.ok and r.detail == "/nonexistent/mailcert-reload: command not found"


def test_split_command() -> None:
    assert split_command("systemctl reload 'dovecot.service'", "reload_cmd") == ["systemctl", "reload", "dovecot.service"]
    with pytest.raises(InputError, match="^reload_cmd is empty") as caught:
        split_command("  ", "reload_cmd")
    assert caught.value.field == "reload_cmd"  # the CLI says --reload-cmd
    with pytest.raises(InputError, match="No closing quotation"):
        split_command("sh -c 'x", "reload_cmd")


def test_loopback_hosts() -> None:
    assert loopback_hosts(["*", "::"], ("*", "::")) == ["127.0.0.1"]
    assert loopback_hosts(["192.0.2.1", "[2001:db8::1]"], ("*",)) == ["192.0.2.1", "2001:db8::1"]
    assert loopback_hosts([], ("*",)) == ["127.0.0.1"]
