"""The engine names fields, the CLI names flags: one mapping, in cli.py."""

from __future__ import annotations

import pytest

from mailcert.cli import main
from mailcert.commands._common import in_flags as _in_flags
from mailcert.errors import InputError, OperationError
from mailcert.probe.driver import ProbeOptions


@pytest.mark.parametrize(
    ("field", "flag"),
    [("timeout", "--timeout"), ("warn_days", "--warn-days"), ("connect_port", "--connect"), ("ehlo_name", "--ehlo"), ("now", "--at")],
)
def test_a_field_at_the_start_of_a_message_becomes_its_flag(field: str, flag: str) -> None:
    assert _in_flags(InputError(f"{field} must be good", field=field)) == f"{flag} must be good"


def test_messages_without_a_field_are_left_alone() -> None:
    assert _in_flags(InputError("timeout somewhere")) == "timeout somewhere"
    assert _in_flags(OperationError("timeout")) == "timeout"


def test_the_engine_says_the_field_and_check_says_the_flag(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(InputError, match="^timeout must be a positive number") as caught:
        ProbeOptions(timeout=0)
    assert caught.value.field == "timeout" and "--" not in str(caught.value)
    assert main(["check", "imaps://127.0.0.1:1", "--timeout", "0"]) == 3
    err = capsys.readouterr().err
    assert err.startswith("mailcert: error: --timeout must be a positive number") and err.count("\n") == 1


def test_engine_errors_outside_the_probe_name_fields_too(capsys: pytest.CaptureFixture[str]) -> None:
    from mailcert.address import parse_nameserver
    from mailcert.scan.inventory import Inventory

    for call, field in ((lambda: Inventory.open("ftp://host/x"), "db"), (lambda: parse_nameserver("not-an-ip"), "nameserver")):
        with pytest.raises(InputError) as caught:
            call()
        assert caught.value.field == field and str(caught.value).startswith(f"{field} ") and "--" not in str(caught.value)
    assert main(["report", "--db", "ftp://host/x"]) == 3
    assert capsys.readouterr().err.startswith("mailcert: error: --db ftp://host/x: only SQLite and PostgreSQL")


def test_a_hint_names_other_fields_and_the_cli_says_their_flags() -> None:
    said = InputError("no resolver configured on this machine: give one with resolver ADDR[:PORT]", mentions=("resolver",))
    assert _in_flags(said) == "no resolver configured on this machine: give one with --resolver ADDR[:PORT]"
    two = OperationError("no answer; check nameserver or raise timeout", mentions=("nameserver", "timeout", "webroot"))
    assert _in_flags(two) == "no answer; check --nameserver or raise --timeout"
    assert _in_flags(InputError("x; run again with agree_tos_now", mentions=("agree_tos",))) == "x; run again with agree_tos_now"


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["check", "imap://127.0.0.1:1", "--cafile", "/nonexistent/ca.pem"], "--cafile: "),
        (["check", "imap://127.0.0.1:1", "--connect", "[::1"], "--connect '[::1': unbalanced brackets"),
        (["check", "[::1"], "target '[::1': unbalanced brackets"),
        (["deploy", "dovecot", "--cert", "/nonexistent/dir"], "--cert /nonexistent/dir: no such directory"),
        (["dane", "--cert", "/nonexistent/dir", "--no-lookup"], "--cert /nonexistent/dir: no such directory"),
    ],
)
def test_engine_fields_become_the_flags_the_user_typed(capsys: pytest.CaptureFixture[str], argv: list[str], said: str) -> None:
    assert main(argv) == 3
    err = capsys.readouterr().err
    assert err.startswith(f"mailcert: error: {said}") and err.count("\n") == 1, err


def test_the_engine_side_of_those_messages_names_fields() -> None:
    from mailcert.certs.chain import TrustStore
    from mailcert.deploy.base import split_command
    from mailcert.deploy.bundle import bundle_from_dir
    from mailcert.model import parse_connect

    for call, field in ((lambda: TrustStore.from_file("/nonexistent/ca.pem"), "cafile"), (lambda: parse_connect("[::1"), "connect"),
                        (lambda: bundle_from_dir("/nonexistent/dir"), "cert"), (lambda: split_command("", "reload_cmd"), "reload_cmd")):
        with pytest.raises(InputError) as caught:
            call()
        assert caught.value.field == field and str(caught.value).startswith(field) and "--" not in str(caught.value)


@pytest.mark.parametrize("command", ["acme", "address", "cert"])
def test_a_command_without_its_verb_shows_its_verbs(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    """``mailcert acme`` (no verb): the command's help on standard error, exit 3 (bad input)."""
    assert main([command]) == 3
    out, err = capsys.readouterr()
    assert out == "" and f"usage: mailcert {command}" in err and "VERB" in err
