"""--client: the default set, 'all', and `mailcert clients` grouped."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mailcert.cli import main
from mailcert.names.profiles import DEFAULT_CLIENTS, PROFILES, ClientGroup
from tests.factory import der, make_cert


def _inspect(tmp_path: Path, capsys: pytest.CaptureFixture[str], *client: str) -> list[str]:
    f = tmp_path / "c.der"
    f.write_bytes(der(make_cert(("DNS:mail.example.com",), cn=("mail.example.com",))))
    argv = ["inspect", str(f), "--name", "mail.example.com", "--format", "json"]
    for c in client:
        argv += ["--client", c]
    main(argv)
    return [r["client"] for r in json.loads(capsys.readouterr().out)["results"]]


def test_default_set_is_the_users_clients_that_check_names(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert tuple(_inspect(tmp_path, capsys)) == DEFAULT_CLIENTS
    assert {PROFILES[c].group for c in DEFAULT_CLIENTS} == {ClientGroup.DESKTOP, ClientGroup.MOBILE, ClientGroup.TERMINAL}
    assert all(PROFILES[c].checks_host for c in DEFAULT_CLIENTS)
    assert {"outlook2007", "thunderbird", "apple-mail", "curl", "mutt"} <= set(DEFAULT_CLIENTS)


def test_all_means_every_profile(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _inspect(tmp_path, capsys, "all") == list(PROFILES)


def test_a_client_that_checks_no_name_is_a_warning(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "c.der"
    f.write_bytes(der(make_cert(("DNS:other.example.net",), cn=("other.example.net",))))
    rc = main(["inspect", str(f), "--name", "mail.example.com", "--client", "swaks", "--format", "json"])
    doc = json.loads(capsys.readouterr().out)
    (verdict,) = doc["results"]
    assert verdict["accepted"] and "checks no host name" in verdict["warning"]
    assert [x["code"] for x in doc["findings"] if x["code"] == "no-host-check"] and rc == 1


def test_clients_lists_the_groups_in_order(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["clients"]) == 0
    out = capsys.readouterr().out
    headers = [line[3:] for line in out.splitlines() if line.startswith("== ")]
    assert headers[: len(ClientGroup)] == [g.value for g in ClientGroup]
    assert main(["clients", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert set(PROFILES) <= {d["id"] for d in doc}  # the sending servers are listed too
    assert [d["id"] for d in doc if d.get("default")] == list(DEFAULT_CLIENTS)
