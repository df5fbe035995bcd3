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
