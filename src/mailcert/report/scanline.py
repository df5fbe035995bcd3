"""One scan result as one JSON line: the ``check --format json`` document plus ``target``,
``name`` and ``url`` (or, for a target that could not be judged, ``error`` and what the
connections did).  Reads only the result: it carries its request (target, name, diagnosis).
"""

from __future__ import annotations

from typing import Any

from mailcert.doctor import NotProbed
from mailcert.errors import ProbeError
from mailcert.model import Status
from mailcert.probe.driver import ProbeResult
from mailcert.report.checkout import document
from mailcert.report.jsonout import SCHEMA_VERSION
from mailcert.scan.runner import ScanResult
from mailcert.scan.targets import Target
from mailcert.textsafe import json_dumps

__all__ = ["line", "line_document"]


def line(result: ScanResult) -> str:
    """The JSON document of ``result`` on one line, without the newline."""
    return json_dumps(line_document(result), indent=None, separators=(",", ":"))


def line_document(result: ScanResult) -> dict[str, Any]:
    """The document of one scan line as a dict."""
    target, d = result.target, result.diagnosis
    if d is None:
        return _unknown(result)
    doc: dict[str, Any] = {}
    for key, value in document(d).items():
        if key == "target":
            doc["target"] = target.text
            doc["name"] = target.name
            doc["url"] = value
        else:
            doc[key] = value
    return doc


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
