"""Text for a person at a terminal: the certificate in brief, a client-by-name table, the
refusals in each client's own words, then findings with their remedies.

Plain strings with optional ANSI colour (no rich): ``inspect`` and ``check`` must start fast.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import textwrap
from collections.abc import Sequence
from typing import TextIO

from mailcert.assess import Assessment
from mailcert.certs.info import CertificateFacts
from mailcert.model import Status
from mailcert.findings import Severity
from mailcert.names.matcher import NameVerdict
from mailcert.names.profiles import PROFILES
from mailcert.textsafe import terminal

__all__ = ["Style", "render_assessment", "render_certificate", "render_table"]

_COLOURS = {"green": "32", "red": "31", "yellow": "33", "bold": "1", "dim": "2", "cyan": "36"}


class Style:
    """ANSI colour when writing to a terminal (and NO_COLOR is unset), plain otherwise."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    @classmethod
    def for_stream(cls, stream: TextIO) -> Style:
        return cls(stream.isatty() and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb")

    def __call__(self, text: str, colour: str) -> str:
        return f"\x1b[{_COLOURS[colour]}m{text}\x1b[0m" if self.enabled else text


FIELD_LIMIT = 2000
"""Characters of one certificate field shown on a terminal: a hostile certificate can carry
megabytes of SAN; the JSON output keeps every byte for programs."""

NAME_LIMIT = 80
"""Characters of a typed server name shown in the table's header and the refusals."""

_STATUS_COLOUR = {Status.OK: "green", Status.WARNING: "yellow", Status.CRITICAL: "red", Status.UNKNOWN: "red"}
_SEVERITY_COLOUR = {Severity.INFO: "cyan", Severity.WARNING: "yellow", Severity.CRITICAL: "red"}


def render_certificate(facts: CertificateFacts, now: dt.datetime, style: Style, label: str = "Certificate") -> list[str]:
    days = int((facts.not_after - now).total_seconds() // 86400)
    left = f"expired {-days} days ago" if days < 0 else f"{days} days left"
    issuer = facts.issuer + (" (self-signed)" if facts.self_signed else "")
    san = ", ".join(f"{t}:{v}" for t, v in facts.san) if facts.san else "(none: the name is only in the CN)"
    eku = "(any: no EKU extension)" if facts.eku is None else (", ".join(facts.eku) or "(empty)")
    bc = "CA:TRUE" if facts.is_ca else ("CA:FALSE" if facts.is_ca is False else "(absent)")
    rows = [
        ("Subject", facts.subject or "(empty)"),
        ("Issuer", issuer),
        ("SAN", san),
        ("Valid", f"{facts.not_before:%Y-%m-%d} to {facts.not_after:%Y-%m-%d} ({left})"),
        ("Key", f"{facts.key_description()}, signed {facts.signature_algorithm}"),
        ("Usage", f"EKU {eku}; basicConstraints {bc}"),
        ("SHA-256", _colons(facts.sha256)),
        ("SHA-1", _colons(facts.sha1)),
    ]
    lines = [style(terminal(label), "bold")]
    lines += [f"  {k:<9} {terminal(v, FIELD_LIMIT)}" for k, v in rows]
    return lines


def _title(client: str) -> str:
    """The title of a verdict row's client.  Mail clients are in the profile table ``check``
    loads anyway; only a sender row (judged on an SMTP relay port) needs the sender table."""
    profile = PROFILES.get(client)
    if profile is not None:
        return profile.title
    # start-up: a check of a mail port has no sender rows and never loads the sender table
    from mailcert.names.senders import profile_title

    return profile_title(client)


def render_table(assessment: Assessment, style: Style) -> list[str]:
    """Clients down, typed names across: ``ok`` or ``REFUSED`` in each cell."""
    names = list(assessment.names)
    shown = [terminal(n, NAME_LIMIT) for n in names]
    cell: dict[tuple[str, str], NameVerdict] = {(v.client, v.name): v for v in assessment.results}
    clients = list(dict.fromkeys(v.client for v in assessment.results))
    width = max([len(_title(c)) for c in clients] + [7]) + 2
    cols = [max(len(n), 8) + 2 for n in shown]
    head = "  " + "Client".ljust(width) + "".join(n.ljust(w) for n, w in zip(shown, cols))
    lines = [style(head.rstrip(), "bold")]
    for c in clients:
        row = "  " + _title(c).ljust(width)
        for n, w in zip(names, cols):
            v = cell.get((c, n))  # None: not judged for this name (a sender judges the MX name only)
            if v is None:
                row += "-" + " " * (w - 1)
                continue
            text = ("ok" if v.warning is None else "ok, unchecked") if v.accepted else "REFUSED"
            colour = "red" if not v.accepted else "green" if v.warning is None else "yellow"
            row += style(text, colour) + " " * (w - len(text))
        lines.append(row.rstrip())
    return lines


def render_assessment(
    assessment: Assessment,
    *,
    style: Style,
    header: Sequence[str] = (),
    source: str | None = None,
) -> str:
    """The assessment as text: the certificate (days left at the clock it was judged by), each
    client's verdict, why the refusing ones refuse, and the findings."""
    lines: list[str] = list(header)
    label = f"Certificate  {source}" if source else "Certificate"
    lines += render_certificate(assessment.certificate, assessment.judged.now, style, label)
    lines.append("")
    lines += render_table(assessment, style)
    refusals = [v for v in assessment.results if not v.accepted]
    if refusals:
        lines += ["", style("Why refused", "bold")]
        for v in refusals:
            lines.append(f"  {_title(v.client)} / {terminal(v.name, NAME_LIMIT)}: {terminal(v.reason, FIELD_LIMIT)}")
            if v.message:
                lines.append(style(f'    the client says: "{terminal(v.message, FIELD_LIMIT)}"', "dim"))
    if assessment.findings:
        lines += ["", style("Findings", "bold")]
        for f in assessment.findings:
            tag = style(f.severity.value.upper(), _SEVERITY_COLOUR[f.severity])
            lines.append(f"  {tag} [{f.code}] {terminal(f.title, FIELD_LIMIT)}")
            lines += _wrap("why: " + terminal(f.explanation, FIELD_LIMIT), 6)
            lines += _wrap("fix: " + terminal(f.remedy, FIELD_LIMIT), 6)
    lines += ["", "Status: " + style(assessment.status.name, _STATUS_COLOUR[assessment.status])]
    return "\n".join(lines) + "\n"


_GLUE = "\x00"  # never in the text: terminal() shows a NUL as \x00


def _wrap(text: str, indent: int) -> list[str]:
    """Wrapped to the terminal, except a command to run (in backticks): it stays on one line,
    so it pastes into a shell as printed (a long one overflows; the terminal wraps it softly)."""
    width = max(60, min(110, _columns()) - indent)
    parts = text.split("`")
    glued = "`".join(p.replace(" ", _GLUE) if i % 2 else p for i, p in enumerate(parts))
    lines = textwrap.wrap(glued, width, initial_indent=" " * indent, subsequent_indent=" " * (indent + 5), break_on_hyphens=False, break_long_words=False)
    return [line.replace(_GLUE, " ") for line in lines]


def _columns() -> int:
    try:
        return os.get_terminal_size(sys.stdout.fileno()).columns
    except (OSError, ValueError):
        return 100


def _colons(hexdigest: str) -> str:
    return ":".join(hexdigest[i : i + 2] for i in range(0, len(hexdigest), 2)).upper()
