"""``mailcert report --html``: one self-contained page (inline CSS and SVG; no script, no
external asset, so it can be mailed, archived and opened offline).

Sections: the summary; what changed since the previous scan; the server-by-client matrix
(accepted / refused, per client profile, for the name users type); findings grouped by code with
the catalogue's explanation and each server's own remedy; the expiry timeline (an SVG bar chart
of certificates expiring per month) and the list of certificates by expiry.  Pure: a
:class:`~mailcert.report.fleet.FleetReport` in, text out.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from typing import Any, Final

from mailcert.findings import CATALOGUE, fill
from mailcert.judgement import Judged
from mailcert.names.senders import profile_title
from mailcert.report.fleet import Expiry, FleetReport
from mailcert.scan.inventory import ResultRow, StoredFinding
from mailcert.textsafe import html_text

__all__ = ["render", "timeline_svg", "MATRIX_ROWS"]

MATRIX_ROWS: Final = 2000
"""Servers shown in the matrix (worst first); the CSV and JSON reports have every one."""

_EVERY_CLIENT_REFUSES: Final = frozenset(
    {"expired", "not-yet-valid", "chain-untrusted-root", "chain-incomplete", "chain-self-signed", "chain-broken"}
)
"""Findings that make every client refuse whatever the name: the matrix shows them as refused."""

_STATUS_ORDER = {"CRITICAL": 0, "WARNING": 1, "UNKNOWN": 2, "OK": 3}
_SEVERITY_ORDER = {"critical": 0, "warning": 1, "info": 2}

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;margin:1.5rem;color:#1d2330;background:#fff}
h1{font-size:1.5rem;margin:0 0 .3rem}h2{font-size:1.2rem;margin:2rem 0 .6rem;border-bottom:1px solid #d8dce4;padding-bottom:.2rem}
table{border-collapse:collapse;font-size:.85rem}th,td{border:1px solid #d8dce4;padding:.25rem .45rem;text-align:left;vertical-align:top}
th{background:#f2f4f8}.matrix td.v{text-align:center;font-weight:bold;min-width:1.6rem}
.matrix th.client{writing-mode:vertical-rl;transform:rotate(180deg);white-space:nowrap;font-weight:normal}
.acc{background:#dff3e4;color:#166534}.ref{background:#fbe0e0;color:#991b1b}.na{background:#f4f4f5;color:#71717a}
.s-OK{color:#166534}.s-WARNING{color:#9a6700}.s-CRITICAL{color:#991b1b}.s-UNKNOWN{color:#52525b}
.badge{display:inline-block;padding:.15rem .6rem;border-radius:1rem;margin-right:.4rem;font-weight:bold;font-size:.9rem}
.b-OK{background:#dff3e4;color:#166534}.b-WARNING{background:#fff1c2;color:#7a5200}.b-CRITICAL{background:#fbe0e0;color:#991b1b}.b-UNKNOWN{background:#ececef;color:#3f3f46}
.sev-critical{color:#991b1b}.sev-warning{color:#9a6700}.sev-info{color:#1e4fa3}
.finding{border:1px solid #d8dce4;border-radius:.4rem;padding:.6rem .8rem;margin:.6rem 0}
.finding h3{font-size:1rem;margin:0 0 .3rem}.muted{color:#6b7280}.remedy{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.8rem;white-space:pre-wrap}
code{font-size:.85em}
@media print{details::details-content{content-visibility:visible;height:auto}details>summary{list-style:none}}
"""
# Per-server remedies sit in <details> that start open, so a printout has them all; the print
# style also opens one the reader closed (::details-content, current browsers).  No script:
# the page shows text from hostile certificates and runs nothing.

def _e(text: object) -> str:
    return html_text(text)


def render(report: FleetReport) -> str:
    """The whole page."""
    s = report.scan
    c = report.counts
    badges = "".join(f'<span class="badge b-{k}">{k} {v}</span>' for k, v in c.items())
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>mailcert fleet report: scan {s.id}</title>",
        f"<style>{_CSS}</style></head><body>",
        "<h1>Mail server certificates: fleet report</h1>",
        f'<p class="muted">Scan {s.id} ({_e(s.state)}), started {s.started_at:%Y-%m-%d %H:%M} UTC,'
        f" {len(report.rows)} targets; report made {report.generated_at:%Y-%m-%d %H:%M} UTC"
        f" by mailcert {_e(s.tool_version or '')}.</p>",
        f'<p id="summary">{badges}</p>',
        _changes(report),
        _matrix(report),
        _findings(report.rows),
        '<h2 id="expiry">Expiry timeline</h2>',
        '<p class="muted">Certificates (distinct, by SHA-256) expiring per month; red: expired, amber: within'
        f" {report.warn_days} days.</p>",
        timeline_svg(report.expiries, report.judged),
        _expiry_table(report.expiries),
        "</body></html>",
    ]
    return "\n".join(p for p in parts if p) + "\n"


def _changes(report: FleetReport) -> str:
    if report.previous is None:
        return '<h2 id="changes">Changes</h2><p class="muted">No earlier scan to compare with.</p>'
    head = (
        f'<h2 id="changes">Changes since scan {report.previous.id}'
        f" ({report.previous.started_at:%Y-%m-%d %H:%M} UTC)</h2>"
    )
    if not report.changes:
        return head + "<p>Nothing changed.</p>"
    rows = "".join(
        f"<tr><td>{_e(c.kind)}</td><td>{_e(c.target)}</td><td>{_e(c.name)}</td>"
        f"<td>{_e(c.before or '–')}</td><td>{_e(c.after or '–')}</td><td>{_e(c.detail)}</td></tr>"
        for c in report.changes
    )
    return head + f'<table id="changes-table"><tr><th>change</th><th>target</th><th>name</th><th>before</th><th>after</th><th>detail</th></tr>{rows}</table>'


def _matrix(report: FleetReport) -> str:
    rows = sorted(report.rows, key=lambda r: (_STATUS_ORDER.get(r.status, 9), r.target, r.name))
    shown = rows[:MATRIX_ROWS]
    head = "".join(f'<th class="client" title="{_e(profile_title(c))}">{_e(c)}</th>' for c in report.clients)
    body: list[str] = []
    for r in shown:
        cells = []
        blocked = ", ".join(f.code for f in r.findings if f.code in _EVERY_CLIENT_REFUSES)
        for client in report.clients:
            if client not in r.verdicts:
                cells.append('<td class="v na" title="not checked">–</td>')
            elif not r.verdicts[client]:
                cells.append('<td class="v ref" title="refuses the name">✗</td>')
            elif blocked:
                cells.append(f'<td class="v ref" title="refused: {_e(blocked)}">✗</td>')
            else:
                cells.append('<td class="v acc" title="accepted">✓</td>')
        why = f' title="{_e(r.error)}"' if r.error else ""
        body.append(
            f'<tr><td>{_e(r.target)}</td><td>{_e(r.name)}</td><td class="s-{_e(r.status)}"{why}>{_e(r.status)}</td>{"".join(cells)}</tr>'
        )
    note = ""
    if len(rows) > len(shown):
        note = f'<p class="muted">The {len(shown)} worst of {len(rows)} servers; the CSV and JSON reports list all.</p>'
    return (
        '<h2 id="matrix-title">Which clients accept each server\'s certificate</h2>'
        '<p class="muted">✓ accepted, ✗ refused (a warning or an error at the client: the name, or for every client an expired certificate or an untrusted chain), – not checked (the server could not be reached).</p>'
        f'<table class="matrix" id="matrix"><tr><th>server</th><th>name</th><th>status</th>{head}</tr>{"".join(body)}</table>{note}'
    )


def _shared_words(template: str, facts: Sequence[Mapping[str, Any]]) -> str:
    """A catalogue template for a group of servers: each fact the servers share filled in, a
    fact that differs from server to server shown as "…" (its value is in each server's row)."""
    values: dict[str, Any] = {}
    for key in re.findall(r"\{(\w+)\}", template):
        seen = {repr(f.get(key)) for f in facts}
        values[key] = facts[0][key] if len(seen) == 1 and key in facts[0] else "…"
    return fill(template, values)


def _with_commands(text: str) -> str:
    """Escaped text with the commands to run (quoted with backticks) set as code."""
    parts = text.split("`")
    return "".join(f"<code>{_e(p)}</code>" if i % 2 else _e(p) for i, p in enumerate(parts))


def _findings(rows: Sequence[ResultRow]) -> str:
    groups: dict[str, list[tuple[ResultRow, StoredFinding]]] = {}
    for r in rows:
        for f in r.findings:
            groups.setdefault(f.code, []).append((r, f))
    out = ['<h2 id="findings">Findings by code</h2>']
    if not groups:
        out.append("<p>No findings.</p>")
    order = sorted(groups, key=lambda code: (_SEVERITY_ORDER.get(groups[code][0][1].severity, 9), -len(groups[code]), code))
    for code in order:
        members = groups[code]
        severity = members[0][1].severity
        spec = CATALOGUE.get(code)
        facts = [f.facts for _, f in members]
        titles = {f.title for _, f in members}
        title = titles.pop() if len(titles) == 1 or spec is None else _shared_words(spec.title, facts)
        shared = _shared_words(spec.explanation, facts) if spec else ""
        explain = f"<p>{_with_commands(shared)}</p>" if shared else ""

        def why(f: StoredFinding) -> str:
            # this server's own explanation, where the shared one had to leave a fact out
            own = f.explanation if f.facts else ""
            return f'<br><span class="muted">{_with_commands(own)}</span>' if own and own != shared else ""

        items = "".join(
            f"<tr><td>{_e(r.target)}</td><td>{_e(r.name)}</td><td>{_e(f.title)}{why(f)}</td>"
            f'<td class="remedy">{_with_commands(f.remedy)}</td></tr>'
            for r, f in members[:500]
        )
        more = f'<p class="muted">… and {len(members) - 500} more servers.</p>' if len(members) > 500 else ""
        out.append(
            f'<div class="finding" id="finding-{_e(code)}"><h3><span class="sev-{_e(severity)}">{_e(severity.upper())}</span>'
            f" <code>{_e(code)}</code>: {_e(title)} <span class=\"muted\">({len(members)} server{'s' if len(members) != 1 else ''})</span></h3>"
            f"{explain}<details open><summary>Servers and their exact remedy</summary>"
            f"<table><tr><th>server</th><th>name</th><th>finding</th><th>remedy</th></tr>{items}</table>{more}</details></div>"
        )
    return "\n".join(out)


def _month(d: dt.datetime) -> tuple[int, int]:
    return (d.year, d.month)


def _next_month(ym: tuple[int, int]) -> tuple[int, int]:
    y, m = ym
    return (y + 1, 1) if m == 12 else (y, m + 1)


def timeline_svg(expiries: Sequence[Expiry], judged: Judged, *, months: int = 24) -> str:
    """Bars of certificates expiring per month from ``judged``'s month on ``months`` months,
    with one bar for those already expired and one for later; amber where one expires within
    its warning days; labelled, with a tooltip per bar."""
    now, warn_days = judged.now, judged.warn_days
    buckets: list[tuple[str, str, list[Expiry]]] = [("expired", "expired", [])]
    index: dict[tuple[int, int], int] = {}
    ym = _month(now)
    for _ in range(months):
        index[ym] = len(buckets)
        buckets.append((f"{ym[0]}-{ym[1]:02d}", "", []))
        ym = _next_month(ym)
    buckets.append(("later", "later", []))
    soon = now + dt.timedelta(days=warn_days)
    for e in expiries:
        if e.not_after < now:
            buckets[0][2].append(e)
        else:
            buckets[index.get(_month(e.not_after), len(buckets) - 1)][2].append(e)
    peak = max((len(b[2]) for b in buckets), default=0) or 1
    bar_w, gap, left, top, plot_h = 26, 6, 40, 20, 160
    width = left + len(buckets) * (bar_w + gap) + 10
    height = top + plot_h + 70
    out = [
        f'<svg id="expiry-chart" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}"'
        f' viewBox="0 0 {width} {height}" role="img" aria-label="certificates expiring per month">',
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width - 5}" y2="{top + plot_h}" stroke="#6b7280"/>',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" stroke="#6b7280"/>',
        f'<text x="{left - 6}" y="{top + 4}" font-size="10" text-anchor="end">{peak}</text>',
        f'<text x="{left - 6}" y="{top + plot_h}" font-size="10" text-anchor="end">0</text>',
    ]
    for i, (label, kind, members) in enumerate(buckets):
        x = left + gap + i * (bar_w + gap)
        n = len(members)
        h = round(plot_h * n / peak)
        if kind == "expired":
            colour = "#dc2626"
        elif members and min(m.not_after for m in members) <= soon:
            colour = "#f59e0b"
        else:
            colour = "#16a34a"
        tip = f"{label}: {n} certificate{'s' if n != 1 else ''}"
        if members:
            tip += " - " + "; ".join(f"{m.subject} ({m.not_after:%Y-%m-%d})" for m in members[:10])
            tip += " …" if n > 10 else ""
        out.append(
            f'<g class="bar" data-month="{_e(label)}" data-count="{n}"><title>{_e(tip)}</title>'
            f'<rect x="{x}" y="{top + plot_h - h}" width="{bar_w}" height="{h}" fill="{colour}"/>'
            + (f'<text x="{x + bar_w / 2}" y="{top + plot_h - h - 3}" font-size="10" text-anchor="middle">{n}</text>' if n else "")
            + f'<text x="{x + bar_w / 2}" y="{top + plot_h + 12}" font-size="9" text-anchor="end"'
            f' transform="rotate(-60 {x + bar_w / 2} {top + plot_h + 12})">{_e(label)}</text></g>'
        )
    out.append("</svg>")
    return "".join(out)


def _expiry_table(expiries: Sequence[Expiry], limit: int = 200) -> str:
    if not expiries:
        return "<p>No certificates in this scan.</p>"
    rows = []
    for e in expiries[:limit]:
        cls = "s-CRITICAL" if e.days_left < 0 else ""
        left = "expired" if e.days_left < 0 else f"{e.days_left} days"
        servers = ", ".join(e.servers[:5]) + (f" and {len(e.servers) - 5} more" if len(e.servers) > 5 else "")
        rows.append(
            f'<tr><td>{e.not_after:%Y-%m-%d}</td><td class="{cls}">{_e(left)}</td><td>{_e(e.subject)}</td>'
            f"<td>{_e(e.issuer)}</td><td>{_e(servers)}</td><td><code>{_e(e.fingerprint[:16])}…</code></td></tr>"
        )
    more = f'<p class="muted">… and {len(expiries) - limit} more certificates.</p>' if len(expiries) > limit else ""
    return (
        '<table id="expiry-table"><tr><th>expires</th><th>left</th><th>subject</th><th>issuer</th><th>servers</th>'
        f"<th>SHA-256</th></tr>{''.join(rows)}</table>{more}"
    )
