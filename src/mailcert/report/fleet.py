"""The fleet report: the inventory's latest scan, what changed since the one before, and which
certificates expire when, as plain values (:class:`FleetReport`) plus its CSV and JSON forms.
The HTML page is :mod:`mailcert.report.html`; all three read the same :class:`FleetReport`.

Building reads the inventory (:mod:`mailcert.scan.inventory`); rendering is pure.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from mailcert.errors import InputError
from mailcert.judgement import Judged, Judgement
from mailcert.names.senders import ALL_PROFILES
from mailcert.scan.inventory import Inventory, ResultRow, ScanRow
from mailcert.textsafe import csv_cell, json_dumps, terminal

__all__ = ["Change", "Expiry", "FleetReport", "build_report", "diff", "expiries", "csv_text", "json_document", "json_text", "text_summary"]

_DONE_STATES = ("finished", "interrupted")


@dataclass(frozen=True)
class Change:
    """One difference for one target between the previous scan and this one."""

    target: str
    name: str
    kind: str  # new | gone | status | certificate | findings
    before: str | None
    after: str | None
    detail: str


@dataclass(frozen=True)
class Expiry:
    """One certificate (by SHA-256) of the scan: when it expires and who serves it."""

    fingerprint: str
    subject: str
    issuer: str
    not_after: dt.datetime
    days_left: int
    servers: tuple[str, ...]


@dataclass(frozen=True)
class FleetReport:
    """One scan as a report, carrying its request: ``judged`` holds the clock the days left are
    counted from, the thresholds and the client profile ids seen (in table order), so every
    renderer (text, CSV, JSON, HTML) needs nothing else."""

    scan: ScanRow
    previous: ScanRow | None
    judged: Judged
    rows: tuple[ResultRow, ...]
    changes: tuple[Change, ...]
    expiries: tuple[Expiry, ...]

    @property
    def generated_at(self) -> dt.datetime:
        return self.judged.now

    @property
    def warn_days(self) -> int:
        return self.judged.warn_days

    @property
    def clients(self) -> tuple[str, ...]:
        return self.judged.clients

    @property
    def counts(self) -> dict[str, int]:
        out = {"OK": 0, "WARNING": 0, "CRITICAL": 0, "UNKNOWN": 0}
        for r in self.rows:
            out[r.status] = out.get(r.status, 0) + 1
        return out


def build_report(inventory: Inventory, judgement: Judgement | None = None, *, scan_id: int | None = None) -> FleetReport:
    """The report of scan ``scan_id`` (default: the newest that finished or was interrupted),
    compared with the scan before it, with days left counted at ``judgement``'s clock and
    expiries weighed by its thresholds (default: now, 30 days)."""
    judgement = judgement or Judgement()
    scans = inventory.scans()
    done = [s for s in scans if s.state in _DONE_STATES]
    if scan_id is None:
        if not done:
            raise InputError(f"no finished scan in {inventory.where}; run mailcert scan first")
        scan = done[0]
    else:
        scan = inventory.scan(scan_id)
    previous = next((s for s in done if s.id < scan.id), None)
    rows = tuple(inventory.results(scan.id))
    old = tuple(inventory.results(previous.id)) if previous is not None else ()
    seen = {c for r in rows for c in r.verdicts}
    clients = tuple(c for c in ALL_PROFILES if c in seen) + tuple(sorted(seen - set(ALL_PROFILES)))
    judged = Judged(clients, "", judgement.clock(), judgement.warn_days, judgement.critical_days)
    changes = diff(old, rows, partial=scan.state != "finished") if previous is not None else ()
    return FleetReport(scan, previous, judged, rows, tuple(changes), tuple(expiries(rows, judged)))


def diff(old: Sequence[ResultRow], new: Sequence[ResultRow], *, partial: bool = False) -> list[Change]:
    """What changed per target (``partial``: the new scan was interrupted, so a target missing
    from it is not reported gone)."""
    before = {r.key: r for r in old}
    after = {r.key: r for r in new}
    out: list[Change] = []
    for key, r in after.items():
        o = before.get(key)
        if o is None:
            out.append(Change(r.target, r.name, "new", None, r.status, "not in the previous scan"))
            continue
        if o.status != r.status:
            out.append(Change(r.target, r.name, "status", o.status, r.status, r.error or _worst(r) or ""))
        if o.fingerprint != r.fingerprint and o.fingerprint and r.fingerprint:
            out.append(
                Change(r.target, r.name, "certificate", _cert(o), _cert(r), f"SHA-256 {o.fingerprint[:16]}… -> {r.fingerprint[:16]}…")
            )
        was = {f.code for f in o.findings}
        now = {f.code for f in r.findings}
        if was != now and (o.fingerprint and r.fingerprint):
            added = ", ".join(f"+{c}" for c in sorted(now - was))
            removed = ", ".join(f"-{c}" for c in sorted(was - now))
            out.append(Change(r.target, r.name, "findings", ", ".join(sorted(was)), ", ".join(sorted(now)), " ".join(x for x in (added, removed) if x)))
    if not partial:
        for key, o in before.items():
            if key not in after:
                out.append(Change(o.target, o.name, "gone", o.status, None, "not in this scan"))
    return out


def _cert(r: ResultRow) -> str:
    end = r.not_after.strftime("%Y-%m-%d") if r.not_after else "?"
    return f"{r.subject or '?'} (until {end})"


def _worst(r: ResultRow) -> str | None:
    return r.findings[0].title if r.findings else None


def expiries(rows: Sequence[ResultRow], judged: Judged) -> list[Expiry]:
    """Each distinct certificate of the scan, soonest expiry first, with the servers serving it
    and the days it has left at ``judged``'s clock."""
    now = judged.now
    by: dict[str, tuple[ResultRow, list[str]]] = {}
    for r in rows:
        if r.fingerprint is None or r.not_after is None:
            continue
        entry = by.setdefault(r.fingerprint, (r, []))
        entry[1].append(r.target)
    out = [
        Expiry(fp, r.subject or "", r.issuer or "", r.not_after, _days(r.not_after, now), tuple(dict.fromkeys(servers)))
        for fp, (r, servers) in by.items()
        if r.not_after is not None
    ]
    return sorted(out, key=lambda e: (e.not_after, e.fingerprint))


def _days(when: dt.datetime, now: dt.datetime) -> int:
    return int((when - now).total_seconds() // 86400)


# --- CSV and JSON ----------------------------------------------------------------------------

CSV_COLUMNS = (
    "target", "name", "status", "error", "subject", "issuer", "not_after", "days_left", "fingerprint",
    "trusted", "refused_by", "findings", "changes",
)


def csv_text(report: FleetReport) -> str:
    """One row per target of the scan (spreadsheet-friendly: dates ISO, lists ``;``-separated)."""
    changes: dict[tuple[str, str], list[str]] = {}
    for c in report.changes:
        changes.setdefault((c.target, c.name), []).append(c.kind)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    for r in report.rows:
        # Every text cell goes through csv_cell (targets and names come from files and DNS,
        # subjects from servers); only the day count is ours and stays a number.
        w.writerow([
            *map(csv_cell, (r.target, r.name, r.status, r.error or "", r.subject or "", r.issuer or "")),
            r.not_after.isoformat() if r.not_after else "",
            "" if r.not_after is None else _days(r.not_after, report.generated_at),
            *map(csv_cell, (
                r.fingerprint or "",
                "" if r.trusted is None else ("yes" if r.trusted else "no"),
                ";".join(c for c, ok in r.verdicts.items() if not ok),
                ";".join(f.code for f in r.findings),
                ";".join(changes.get(r.key, [])),
            )),
        ])
    return buf.getvalue()


def _scan_doc(s: ScanRow | None) -> dict[str, Any] | None:
    if s is None:
        return None
    return {
        "id": s.id,
        "started_at": s.started_at.isoformat(),
        "finished_at": s.finished_at.isoformat() if s.finished_at else None,
        "state": s.state,
        "targets": s.targets,
        "done": s.done,
        "tool_version": s.tool_version,
    }


def json_document(report: FleetReport) -> dict[str, Any]:
    """``report --json``: ``schema_version`` 1; scan, previous scan, summary, changes, expiries, results."""
    return {
        "schema_version": 1,
        "generated_at": report.generated_at.isoformat(),
        "scan": _scan_doc(report.scan),
        "previous": _scan_doc(report.previous),
        "summary": report.counts,
        "clients": list(report.clients),
        "changes": [
            {"target": c.target, "name": c.name, "kind": c.kind, "before": c.before, "after": c.after, "detail": c.detail}
            for c in report.changes
        ],
        "expiries": [
            {
                "fingerprint": e.fingerprint, "subject": e.subject, "issuer": e.issuer,
                "not_after": e.not_after.isoformat(), "days_left": e.days_left, "servers": list(e.servers),
            }
            for e in report.expiries
        ],
        "results": [
            {
                "target": r.target, "name": r.name, "url": r.url, "status": r.status, "error": r.error,
                "fingerprint": r.fingerprint, "subject": r.subject, "issuer": r.issuer,
                "not_before": r.not_before.isoformat() if r.not_before else None,
                "not_after": r.not_after.isoformat() if r.not_after else None,
                "trusted": r.trusted, "verdicts": r.verdicts,
                "findings": [
                    {"code": f.code, "severity": f.severity, "title": f.title, "remedy": f.remedy, "facts": dict(f.facts)}
                    for f in r.findings
                ],
                "checked_at": r.checked_at.isoformat(),
            }
            for r in report.rows
        ],
    }


def json_text(report: FleetReport) -> str:
    return json_dumps(json_document(report)) + "\n"


_LINE_LIMIT = 2000
"""Characters of one summary line: a subject can be megabytes long; --json has it whole."""


def text_summary(report: FleetReport, *, limit: int = 20) -> str:
    """For a terminal: the scan, its counts, the changes and the soonest expiries."""
    s, c = report.scan, report.counts
    lines = [
        f"Scan {s.id} ({s.state}) started {s.started_at:%Y-%m-%d %H:%M} UTC: {len(report.rows)} targets,"
        f" {c['OK']} OK, {c['WARNING']} WARNING, {c['CRITICAL']} CRITICAL, {c['UNKNOWN']} UNKNOWN",
    ]
    if report.previous is None:
        lines.append("No earlier scan to compare with.")
    else:
        lines.append(f"Changes since scan {report.previous.id} ({report.previous.started_at:%Y-%m-%d %H:%M} UTC): {len(report.changes)}")
        for ch in report.changes[:limit]:
            arrow = f"{ch.before or '-'} -> {ch.after or '-'}"
            lines.append(terminal(f"  {ch.kind:<11} {ch.target} ({ch.name}): {arrow}  {ch.detail}".rstrip(), _LINE_LIMIT))
        if len(report.changes) > limit:
            lines.append(f"  ... and {len(report.changes) - limit} more (the CSV, JSON and HTML reports have them all)")
    lines.append("Certificates by expiry:")
    for e in report.expiries[:limit]:
        when = "EXPIRED" if e.days_left < 0 else f"{e.days_left:>4} days"
        more = f" +{len(e.servers) - 1} more" if len(e.servers) > 1 else ""
        lines.append(terminal(f"  {e.not_after:%Y-%m-%d} {when:>9}  {e.subject}  ({e.servers[0]}{more})", _LINE_LIMIT))
    if len(report.expiries) > limit:
        lines.append(f"  ... and {len(report.expiries) - limit} more")
    return "\n".join(lines) + "\n"
