"""Validate mailcert's JSON outputs against the published schemas in docs/schemas/.

Test helpers that parse a command's JSON call :func:`validate`, so every real output the suite
produces (inspect, check, scan lines, report, deploy) is checked against its schema, not a
hand-made sample.  jsonschema (a test dependency) resolves the shared definitions in
common.schema.json through a registry of the files themselves: nothing is fetched.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

SCHEMAS = Path(__file__).resolve().parents[1] / "docs" / "schemas"


@functools.cache
def _validator(name: str) -> Any:
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource

    resources = []
    for path in sorted(SCHEMAS.glob("*.schema.json")):
        schema = json.loads(path.read_text())
        resources.append((schema["$id"], Resource.from_contents(schema)))
    registry = Registry().with_resources(resources)
    schema = json.loads((SCHEMAS / f"{name}.schema.json").read_text())
    return Draft202012Validator(schema, registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER)


def validate(doc: Any, name: str) -> Any:
    """Raise jsonschema's ValidationError when ``doc`` breaks ``docs/schemas/NAME.schema.json``; return ``doc``."""
    _validator(name).validate(doc)
    return doc
