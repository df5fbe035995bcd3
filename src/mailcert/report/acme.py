"""``acme issue --format json``: the outcome as a document (``schema_version`` 1).

What was planned (the names asked for, the order the CA is predicted to issue, who would refuse
it and the layout that works), what was issued (the names in certificate order), who refuses
the issued certificate, and where the files went.  docs/schemas/acme.schema.json describes it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any


from mailcert.issue.issuer import IssueOutcome
from mailcert.names.matcher import NameVerdict
from mailcert.report.jsonout import SCHEMA_VERSION

__all__ = ["document"]


def _verdict(v: NameVerdict) -> dict[str, Any]:
    return {"name": v.name, "client": v.client, "accepted": v.accepted, "reason": v.reason, "message": v.message}


def document(outcome: IssueOutcome, out: Path, exit_status: int, words: Callable[[str], str] = str) -> dict[str, Any]:
    """The document; ``words`` says the TLSA guard's remarks (``str``: in field names; the CLI
    passes ``in_flags``)."""
    plan = outcome.plan
    return {
        "schema_version": SCHEMA_VERSION,
        "status": outcome.status.value,
        "exit_status": exit_status,
        "out": str(out),
        "plan": {
            "mail_name": plan.mail_name,
            "requested": list(plan.requested),
            "predicted": list(plan.predicted),
            "ca_sorts_names": plan.ca_sorts,
            "clients": list(plan.clients),
            "refusals": [_verdict(v) for v in plan.refusals],
            "layout": [list(names) for names in plan.layout],
        },
        "issued_names": list(outcome.issued_names),
        "refusals": [_verdict(v) for v in outcome.refusals],
        "not_after": outcome.not_after.isoformat() if outcome.not_after else None,
        "chain_length": outcome.chain_length,
        "written": list(outcome.written),
        "kept_in": str(outcome.kept_in) if outcome.kept_in else None,
        "tlsa": {"ok": outcome.tlsa_ok, "lines": [words(line) for line in outcome.tlsa]},
        "seconds": round(outcome.seconds, 3),
    }
