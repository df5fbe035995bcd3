"""Not a test module: mypy --strict reads this as a user's code (tests/api/test_api.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from mailcert import (
    CATALOGUE,
    PROFILES,
    Assessment,
    ClientProfile,
    Diagnosis,
    Finding,
    Judgement,
    MailcertError,
    ProbeOptions,
    ScanResult,
    ScanSettings,
    Severity,
    Status,
    check_server,
    inspect_certificate,
    scan_fleet,
)


def worst(findings: tuple[Finding, ...]) -> Severity | None:
    order = {Severity.CRITICAL: 0, Severity.WARNING: 1, Severity.INFO: 2}
    return min((f.severity for f in findings), key=order.__getitem__, default=None)


def refusing(assessment: Assessment) -> list[str]:
    table: Mapping[str, ClientProfile] = PROFILES
    return [table[v.client].title for v in assessment.results if not v.accepted]


def variant(profile_id: str) -> Judgement:
    strict: ClientProfile = PROFILES[profile_id]._replace(requires_cn=True)
    return Judgement((strict, PROFILES["thunderbird"]))


def summary(diagnosis: Diagnosis) -> str:
    a = diagnosis.assessment
    words: str = CATALOGUE[a.findings[0].code].title if a.findings else ""
    return f"{diagnosis.served.endpoint.url} {a.status.name} {a.judged.store} {words}"


def usage() -> int:
    judgement = Judgement(now=dt.datetime(2026, 12, 1, tzinfo=dt.timezone.utc), warn_days=21)
    a: Assessment = inspect_certificate(b"...", ["mail.example.com"], judgement=judgement)
    try:
        d: Diagnosis = check_server("imap://mail.example.com", options=ProbeOptions(timeout=5.0))
    except MailcertError as exc:
        return len(str(exc))
    results: list[ScanResult] = scan_fleet(["mail.example.com"], ScanSettings(concurrency=10))
    bad = [r for r in results if r.status is not Status.OK]
    return len(refusing(a)) + len(variant("outlook").profiles) + len(summary(d)) + len(bad) + (0 if worst(a.findings) is None else 1)
