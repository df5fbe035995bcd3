"""The monitoring-plugin form of ``check`` and ``inspect``: one status line with performance data.

``MAILCERT STATUS - summary | days_left=N;WARN;CRIT chain1_days_left=N;; ...`` as the
Nagios plugin guidelines describe it: Nagios, Icinga2, Naemon, Checkmk and Zabbix read the
status from the exit code, show the text before ``|`` and graph what follows.

The summary quotes the certificate's subject, which whoever made the certificate chose, so
every piece of outside text goes through :func:`plugin_text` (no ``|`` that would start
performance data early, no line break that would end the first line, bounded length), and
performance-data labels through :func:`perf_label`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from mailcert.model import Status
from mailcert.textsafe import nagios_text

if TYPE_CHECKING:  # types only: the UNKNOWN line is written after any failure, so it loads nothing
    from mailcert.assess import Assessment
    from mailcert.certs.info import CertificateFacts
    from mailcert.judgement import Judged

__all__ = ["plugin_line", "certificate_line", "unknown_line", "perf", "perf_label", "plugin_text", "expiry_perfdata"]

_MAX_TEXT = 200


def plugin_text(text: str) -> str:
    """Outside text made safe for the part of the line before ``|``
    (:func:`mailcert.textsafe.nagios_text`: one line, controls shown escaped, no ``|``, bounded)."""
    return nagios_text(text, _MAX_TEXT)


def perf_label(text: str) -> str:
    """A performance-data label: quotes and ``=`` are the syntax, so they never appear in it;
    quoted with ``'`` when it has a space (as the guidelines allow)."""
    label = "".join(c if c.isascii() and c.isprintable() and c not in "'=|" else "_" for c in text)[:60] or "_"
    return f"'{label}'" if " " in label else label


def perf(label: str, value: int | float, warn: int | None = None, crit: int | None = None, minimum: int | None = None) -> str:
    """One ``label=value;warn;crit;min`` item (trailing empty fields dropped)."""
    fields = [str(value), "" if warn is None else str(warn), "" if crit is None else str(crit), "" if minimum is None else str(minimum)]
    while len(fields) > 1 and fields[-1] == "":
        fields.pop()
    return f"{perf_label(label)}={';'.join(fields)}"


def expiry_perfdata(leaf: CertificateFacts, chain: Sequence[CertificateFacts], judged: Judged) -> list[str]:
    """``days_left`` of the certificate with the thresholds it was judged against, then one
    item per chain element (``chainN_days_left``, N = position after the leaf, with its CN: an
    intermediate that expires first breaks every client as surely as the leaf)."""
    now = judged.now
    items = [perf("days_left", leaf.days_left(now), judged.warn_days, judged.critical_days or 0)]
    for i, c in enumerate(chain, 1):
        name = (c.common_names or (c.subject,))[0]
        items.append(perf(f"chain{i}_days_left {name}", c.days_left(now)))
    return items


def plugin_line(status: Status, summary: str, perfdata: Sequence[str]) -> str:
    """The whole plugin output (one line, newline-terminated)."""
    tail = f" | {' '.join(perfdata)}" if perfdata else ""
    return f"MAILCERT {status.name} - {summary}{tail}\n"


def unknown_line(message: str) -> str:
    """``MAILCERT UNKNOWN - why``: the plugin line when there is no verdict (could not connect,
    bad input).  Nagios shows only standard output, so this line must be there, not just the
    error on standard error."""
    return plugin_line(Status.UNKNOWN, plugin_text(message), ())


def certificate_line(assessment: Assessment, where: str, chain: Sequence[CertificateFacts]) -> str:
    """The line for a judged certificate (``where``: the server URL or the file name): who
    refuses it, the codes of the warning and critical findings, else the days left, counted
    at the clock and against the thresholds the assessment was judged with (its ``judged``)."""
    a = assessment
    refused = sorted({v.client for v in a.results if not v.accepted})
    worst = [f.code for f in a.findings if f.severity.value != "info"]
    summary = f"{where} {a.certificate.subject}"
    if refused:
        summary += f", refused by {', '.join(refused)}"
    if worst:
        summary += f" [{', '.join(worst)}]"
    else:
        summary += f", {a.certificate.days_left(a.judged.now)} days left"
    return plugin_line(a.status, plugin_text(summary), expiry_perfdata(a.certificate, chain, a.judged))
