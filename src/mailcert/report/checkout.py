"""How ``check`` shows a diagnosis: text for a person, JSON for programs, one Nagios line."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from mailcert.doctor import Diagnosis, NotProbed
from mailcert.errors import ProbeError
from mailcert.probe.driver import ProbeResult
from mailcert.report.jsonout import assessment_document, certificate_document, dumps
from mailcert.report.text import FIELD_LIMIT, Style, render_assessment, render_certificate
from mailcert.textsafe import terminal

if TYPE_CHECKING:
    from mailcert.certs.revocation import RevocationStatus
    from mailcert.revocation import RevocationFacts

__all__ = ["document", "connection_fields", "chain_fields", "json_text", "text"]


def _connection(result: ProbeResult | ProbeError) -> dict[str, Any] | None:
    if isinstance(result, NotProbed):
        return None  # not attempted: absent, neither a success nor a failure
    if isinstance(result, ProbeError):
        return {"ok": False, "error": str(result)}
    return {
        "ok": True,
        "address": f"{result.address[0]}:{result.address[1]}",
        "sni": result.sni,
        "tls_version": result.tls_version,
        "cipher": result.cipher,
        "starttls_offered": result.starttls_offered,
        "banner": result.banner,
        "chain_length": len(result.chain),
        "chain_complete": result.chain_complete,
        "elapsed_ms": round(result.elapsed * 1000, 1),
        "leaf_sha256": _sha256(result.leaf),
    }


def _sha256(der: bytes) -> str:
    return hashlib.sha256(der).hexdigest()


def _revocation(r: RevocationFacts) -> dict[str, Any]:
    """What each source said (``stapled``: null when the server stapled nothing)."""

    def answer(a: RevocationStatus) -> dict[str, Any]:
        return {
            "source": a.source, "url": a.url, "status": a.status.value, "detail": a.detail,
            "revoked_at": a.revoked_at.isoformat() if a.revoked_at else None, "reason": a.reason,
            "this_update": a.this_update.isoformat() if a.this_update else None,
            "next_update": a.next_update.isoformat() if a.next_update else None,
        }

    return {
        "ocsp": r.request.ocsp,
        "crl": r.request.crl,
        "stapling_requested": r.stapling_requested,
        "stapled": None if r.stapled is None else answer(r.stapled),
        "answers": [answer(a) for a in r.answers],
        "unnamed": list(r.unnamed),
        "issuer_missing": r.issuer_missing,
    }


def document(d: Diagnosis) -> dict[str, Any]:
    """The ``check --format json`` document as a dict (``scan`` adds ``target`` and ``name``).

    Everything comes from the diagnosis: the endpoint it probed, the names and the store it
    was judged by."""
    return assessment_document(d.assessment, **connection_fields(d), **chain_fields(d))


def connection_fields(d: Diagnosis) -> dict[str, Any]:
    """``target``, ``server`` and ``connections``: the document's keys that belong to this one
    endpoint and its connections (the rest is the judgement of what it served)."""
    endpoint = d.served.endpoint
    return {
        "target": endpoint.url,
        "server": {"host": endpoint.host, "port": endpoint.port, "protocol": endpoint.protocol.value, "tls": endpoint.mode.value},
        "connections": {"with_sni": _connection(d.pair.with_sni), "without_sni": _connection(d.pair.without_sni)},
    }


def chain_fields(d: Diagnosis) -> dict[str, Any]:
    """``chain``, ``certificate_without_sni``, ``revocation`` and ``trust``: what the server sent
    beyond the leaf and what the administrator's store makes of it."""
    return {
        "chain": [certificate_document(c) for c in d.chain],
        "certificate_without_sni": None if d.other_certificate is None else certificate_document(d.other_certificate),
        "revocation": None if d.revocation is None else _revocation(d.revocation),
        "trust": {
            "trusted": d.trust.trusted,
            "problem": None if d.trust.trusted else d.trust.problem.name.lower(),
            "detail": d.trust.detail,
            "path": list(d.trust.path),
            "anchor": d.trust.anchor,
            "store": d.assessment.judged.store,
        },
    }


def json_text(d: Diagnosis) -> str:
    return dumps(document(d)) + "\n"


def text(d: Diagnosis, style: Style) -> str:
    """The diagnosis for a person: the server, how it answered, the chain, then the assessment."""
    s, endpoint, now = d.served, d.served.endpoint, d.assessment.judged.now
    offered = "" if s.starttls_offered is None else " (STARTTLS offered)"
    connected = f"{s.address[0]}:{s.address[1]} with SNI {s.sni or '(none)'}; {s.tls_version}, {s.cipher}{offered}"
    header = [
        style(f"Server       {terminal(endpoint.url)}", "bold"),
        f"  connected {terminal(connected)}",
    ]
    if isinstance(d.pair.with_sni, ProbeError):
        header.append(f"  with SNI: {terminal(d.pair.with_sni)}")
    if isinstance(d.pair.without_sni, ProbeError):
        header.append(f"  without SNI: {terminal(d.pair.without_sni)}")
    elif d.other_certificate is None:
        header.append("  without SNI: the same certificate")
    trusted = style("trusted", "green") if d.trust.trusted else style("NOT TRUSTED", "red")
    path = terminal(" <- ".join(d.trust.path), FIELD_LIMIT)
    header.append(f"  chain: {path}: {trusted} ({terminal(d.trust.detail, FIELD_LIMIT)})")
    if d.revocation is not None:
        said = [f"{a.source} {a.status.value}" + (f" ({a.detail})" if a.status.value != "good" else "") for a in d.revocation.all]
        if d.revocation.stapling_requested and d.revocation.stapled is None:
            said.insert(0, "nothing stapled")
        header.append(f"  revocation: {terminal('; '.join(said), FIELD_LIMIT) or 'nothing to check'}")
    header.append("")
    out = render_assessment(d.assessment, style=style, header=header)
    if d.other_certificate is not None:
        out += "\n" + "\n".join(render_certificate(d.other_certificate, now, style, "Certificate without SNI")) + "\n"
    return out
