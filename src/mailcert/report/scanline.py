"""One scan result as one JSON line: the ``check --format json`` document plus ``target``,
``name`` and ``url`` (or, for a target that could not be judged, ``error`` and what the
connections did).  Reads only the result: it carries its request (target, name, diagnosis).
"""

from __future__ import annotations

from typing import Any, Final

from mailcert.doctor import Diagnosis, NotProbed
from mailcert.errors import ProbeError
from mailcert.findings import Finding
from mailcert.memo import ByIdentity
from mailcert.model import Status
from mailcert.probe.driver import ProbeResult
from mailcert.report.checkout import chain_fields, connection_fields
from mailcert.report.jsonout import SCHEMA_VERSION, verdict_fields
from mailcert.scan.runner import ScanResult
from mailcert.scan.targets import Target
from mailcert.textsafe import json_dumps

__all__ = ["line", "line_document"]


def line(result: ScanResult) -> str:
    """The JSON document of ``result`` on one line, without the newline.

    The same text as :func:`line_document` dumped whole: the target's own keys are written
    per line, the judged part (:func:`_judged_fields`) once per judgement and each finding once
    (:func:`_judged_text`), and joined; JSON objects and arrays concatenate member by member,
    and the escaping of :func:`~mailcert.textsafe.json_dumps` goes character by character."""
    d = result.diagnosis
    if d is None:
        return _dumps(_unknown(result))
    return _dumps(_own_fields(result.target, d))[:-1] + "," + _judged_text(d)[1:]


def line_document(result: ScanResult) -> dict[str, Any]:
    """The document of one scan line as a dict: ``check --format json``'s with the target's
    ``target`` (as written in the targets file), ``name`` and ``url``."""
    d = result.diagnosis
    if d is None:
        return _unknown(result)
    return {**_own_fields(result.target, d), **_judged_fields(d)}


def _own_fields(target: Target, d: Diagnosis) -> dict[str, Any]:
    """The keys of one target's line that come before the judgement of what it served."""
    doc: dict[str, Any] = {"schema_version": SCHEMA_VERSION, "status": d.assessment.status.name}
    for key, value in connection_fields(d).items():
        if key == "target":
            doc["target"] = target.text
            doc["name"] = target.name
            doc["url"] = value
        else:
            doc[key] = value
    return doc


def _judged_fields(d: Diagnosis) -> dict[str, Any]:
    return {**chain_fields(d), **verdict_fields(d.assessment)}


def _dumps(doc: dict[str, Any]) -> str:
    return json_dumps(doc, indent=None, separators=(",", ":"))


_JUDGED_TEXT: Final = ByIdentity[str](256, keep=lambda text: len(text) <= 256 * 1024)
"""The JSON text of the judged part but its findings, per diagnosis values: the doctor hands
every port that serves a remembered judgement the very same certificate, verdicts, chain, trust."""

_FINDING_TEXT: Final = ByIdentity[str](1024, keep=lambda text: len(text) <= 64 * 1024)
"""The JSON text of each finding: a remembered judgement's findings are the same objects on
every port, but for the few that quote the URL the server was reached at (made per target)."""


def _judged_text(d: Diagnosis) -> str:
    """``{...,"findings":[...]}``: the judged part (``findings``, its last key, written apart)."""
    a = d.assessment
    parts = (a.certificate, a.results, d.chain, d.other_certificate, d.trust, d.revocation)
    head = _JUDGED_TEXT.get(parts, lambda: _dumps(_without_findings(_judged_fields(d))), (a.names, a.judged.store))
    return f'{head[:-1]},"findings":[{",".join(map(_finding_text, a.findings))}]}}'


def _finding_text(f: Finding) -> str:
    return _FINDING_TEXT.get((f,), lambda: _dumps(f.as_dict()))


def _without_findings(fields: dict[str, Any]) -> dict[str, Any]:
    """``fields`` but the last key, ``findings`` (:func:`~mailcert.report.jsonout.verdict_fields`)."""
    assert next(reversed(fields)) == "findings"
    del fields["findings"]
    return fields


def _unknown(result: ScanResult) -> dict[str, Any]:
    target, pair = result.target, result.pair
    connections: dict[str, Any] | None = None
    if pair is not None:
        connections = {"with_sni": _connection(pair.with_sni), "without_sni": _connection(pair.without_sni)}
    return {
        "schema_version": SCHEMA_VERSION,
        "status": Status.UNKNOWN.name,
        "target": target.text,
        "name": target.name,
        "url": result.url,
        "server": _server(target),
        "error": result.error,
        "connections": connections,
        "certificate": None,
        "names": [target.name],
        "results": [],
        "findings": [],
    }


def _server(target: Target) -> dict[str, Any] | None:
    e = target.endpoint
    if e is None:
        return None
    return {"host": e.host, "port": e.port, "protocol": e.protocol.value, "tls": e.mode.value}


def _connection(outcome: ProbeResult | ProbeError) -> dict[str, Any] | None:
    if isinstance(outcome, NotProbed):
        return None
    if isinstance(outcome, ProbeError):
        return {"ok": False, "error": str(outcome)}
    return {"ok": True}
