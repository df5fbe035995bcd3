"""docs/schemas/: each file is a valid JSON Schema (2020-12), and a schema rejects a real
document that breaks the contract (so the validations spread over the suite can fail)."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import jsonschema
import pytest

from mailcert.cli import main
from tests.factory import NOW, make_cert, pem
from tests.schemas import SCHEMAS, validate

EXPECTED = {"common", "inspect", "check", "scan-line", "report", "deploy", "acme", "address", "clients"}


def test_every_schema_is_a_valid_schema() -> None:
    found = {p.name.removesuffix(".schema.json"): json.loads(p.read_text()) for p in SCHEMAS.glob("*.schema.json")}
    assert set(found) == EXPECTED
    for name, schema in found.items():
        jsonschema.Draft202012Validator.check_schema(schema)
        assert schema["$id"].endswith(f"/{name}.schema.json")


def _inspect_doc(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> dict:  # type: ignore[type-arg]
    f = tmp_path / "c.pem"
    f.write_bytes(pem(make_cert(("DNS:sbs.contoso.local", "DNS:remote.contoso.com")), make_cert((), cn=("CA",), ca=True, eku=None)))
    main(["inspect", str(f), "--name", "remote.contoso.com", "--format", "json", "--at", NOW.isoformat()])
    return json.loads(capsys.readouterr().out)  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    "breaks",
    [
        lambda d: d.pop("schema_version"),
        lambda d: d.update(schema_version=2),
        lambda d: d.update(status="FINE"),
        lambda d: d["certificate"].pop("not_after"),
        lambda d: d["certificate"].update(san=[["DNS"]]),
        lambda d: d["results"][0].update(accepted="no"),
        lambda d: d["findings"][0].update(severity="fatal"),
        lambda d: d["findings"][0].pop("remedy"),
        lambda d: d["chain"][0]["fingerprints"].update(sha256="xyz"),
    ],
)
def test_a_broken_document_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str], breaks) -> None:  # type: ignore[no-untyped-def]
    doc = validate(_inspect_doc(tmp_path, capsys), "inspect")
    broken = copy.deepcopy(doc)
    breaks(broken)
    with pytest.raises(jsonschema.ValidationError):
        validate(broken, "inspect")


def test_an_inspect_document_is_not_a_check_document(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(jsonschema.ValidationError, match="'trust' is a required property|is a required property"):
        validate(_inspect_doc(tmp_path, capsys), "check")


def test_clients_document(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["clients", "--format", "json"]) == 0
    doc = validate(json.loads(capsys.readouterr().out), "clients")
    assert {"outlook2007", "thunderbird"} <= {c["id"] for c in doc}
