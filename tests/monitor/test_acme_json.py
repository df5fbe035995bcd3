"""``acme issue --format json`` against a real Pebble: the document alone on standard output,
valid against docs/schemas/acme.schema.json, for an installed certificate and a refused plan."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.issue.test_pebble import acme_args, cli
from tests.schemas import validate
from tests.servers.pebble import PebbleServer

pytestmark = pytest.mark.integration


def test_installed(pebble: PebbleServer, tmp_path: Path) -> None:
    names = ("remote.contoso.com", "sbs.contoso.local")
    run = cli(*acme_args(pebble, tmp_path / "state", tmp_path / "out", *names), "--format", "json")
    assert run.rc == 0, run.text
    doc = validate(json.loads(run.out), "acme")
    assert (doc["status"], doc["exit_status"], doc["issued_names"]) == ("installed", 0, list(names))
    assert doc["plan"]["mail_name"] == "remote.contoso.com" and doc["refusals"] == [] and doc["chain_length"] >= 1
    assert "Issued" in run.err  # the progress went to standard error


def test_plan_refused(pebble: PebbleServer, tmp_path: Path) -> None:
    names = ("remote.contoso.com", "sites", "autodiscover.contoso.com")
    run = cli(*acme_args(pebble, tmp_path / "state", tmp_path / "out", *names), "--ca-sorts-names", "yes", "--format", "json")
    assert run.rc == 1, run.text
    doc = validate(json.loads(run.out), "acme")
    assert (doc["status"], doc["exit_status"], doc["issued_names"]) == ("plan-refused", 1, [])
    assert doc["plan"]["predicted"] == sorted(names) and doc["plan"]["layout"][0][0] == "remote.contoso.com"
    assert [r["client"] for r in doc["plan"]["refusals"]] == ["outlook2007"]
