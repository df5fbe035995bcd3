"""The JSON contract (``schema_version`` 1) of ``inspect`` and ``check``.

Fields named in PRODUCT.md are a promise to other programs: keep them; add freely.
"""

from __future__ import annotations

from typing import Any

from mailcert.assess import Assessment
from mailcert.certs.info import CertificateFacts
from mailcert.textsafe import json_dumps, shorten

__all__ = ["SCHEMA_VERSION", "assessment_document", "certificate_document", "verdict_fields", "dumps"]

SCHEMA_VERSION = 1

TEXT_LIMIT = 4000
"""Characters of a derived text (a refusal's reason, the client's message): they quote the
certificate's names, which a hostile certificate makes megabytes long; the ``certificate``
object keeps every value whole."""


def certificate_document(facts: CertificateFacts) -> dict[str, Any]:
    """The ``certificate`` object: SAN in certificate order, as ``[type, value]`` pairs."""
    return {
        "subject": facts.subject,
        "issuer": facts.issuer,
        "common_names": list(facts.common_names),
        "san": [[t, v] for t, v in facts.san],
        "not_before": facts.not_before.isoformat(),
        "not_after": facts.not_after.isoformat(),
        "serial": facts.serial,
        "key": {"type": facts.key_type, "bits": facts.key_bits, "curve": facts.key_curve},
        "signature_algorithm": facts.signature_algorithm,
        "signature_hash": facts.signature_hash,
        "extended_key_usage": None if facts.eku is None else list(facts.eku),
        "key_usage": None if facts.key_usage is None else list(facts.key_usage),
        "basic_constraints": {"ca": facts.is_ca, "path_length": facts.path_length},
        "self_signed": facts.self_signed,
        "fingerprints": {"sha256": facts.sha256, "sha1": facts.sha1},
    }


def assessment_document(assessment: Assessment, **extra: Any) -> dict[str, Any]:
    """The whole document; ``extra`` adds command-specific keys (source, server, chain...)."""
    doc: dict[str, Any] = {"schema_version": SCHEMA_VERSION, "status": assessment.status.name}
    doc.update(extra)
    doc.update(verdict_fields(assessment))
    return doc


def verdict_fields(assessment: Assessment) -> dict[str, Any]:
    """The document's last keys (``certificate``, ``names``, ``results``, ``findings``): what
    was judged and the verdicts, read from the assessment alone (its status and clock are not
    in them), so a scan can write them once for every port that serves the same judgement."""
    return {
        "certificate": certificate_document(assessment.certificate),
        "names": list(assessment.names),
        "results": [
            {
                "name": v.name,
                "client": v.client,
                "accepted": v.accepted,
                "reason": shorten(v.reason, TEXT_LIMIT),
                "message": None if v.message is None else shorten(v.message, TEXT_LIMIT),
                "matched": None if v.matched is None else shorten(v.matched, TEXT_LIMIT),
                "warning": v.warning,
                "code": v.code,
            }
            for v in assessment.results
        ],
        "findings": [f.as_dict() for f in assessment.findings],
    }


def dumps(doc: dict[str, Any]) -> str:
    """The document as JSON text: values exactly as found, safe to print on a terminal."""
    return json_dumps(doc)
