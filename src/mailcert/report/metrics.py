"""A scan as OpenMetrics text: what Prometheus scrapes and node_exporter's textfile collector reads.

One gauge family per fact, one sample per target (labels ``target`` and ``name`` as in the
JSON lines) and per refusing client::

    mailcert_target_status{target="imaps://mail.example.com",name="mail.example.com"} 1
    mailcert_certificate_days_left{...} 23
    mailcert_certificate_expiry_timestamp_seconds{...} 1.8e+09
    mailcert_client_refused{...,client="outlook2007"} 1

``mailcert_target_status`` follows the exit codes (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN), so
one alert rule (``mailcert_target_status == 2``) covers what a Nagios check would.  Samples of a
family stay together and the text ends with ``# EOF``, as OpenMetrics requires; the same text is
valid Prometheus text format (``# EOF`` reads as a comment there).  Label values come from
targets files and DNS, so they are escaped as the format says (``\\``, ``"``, newline).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = ["TargetMetrics", "openmetrics_text"]

_STATUS_VALUE = {"OK": 0, "WARNING": 1, "CRITICAL": 2, "UNKNOWN": 3}


@dataclass(frozen=True)
class TargetMetrics:
    """What the metrics say about one target (kept per target while a scan runs: small)."""

    target: str
    name: str
    status: str
    not_after: dt.datetime | None
    days_left: int | None
    refused: tuple[str, ...]  # client ids that refuse
    judged: tuple[str, ...]  # every client id judged (refused ones included)


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _labels(**labels: str) -> str:
    return "{" + ",".join(f'{k}="{_label(v)}"' for k, v in labels.items()) + "}"


def _family(name: str, help_text: str, samples: Sequence[str]) -> list[str]:
    return [f"# TYPE {name} gauge", f"# HELP {name} {help_text}", *samples]


def openmetrics_text(targets: Iterable[TargetMetrics], *, finished: dt.datetime) -> str:
    """The whole exposition: per-target families, then the scan's totals, then ``# EOF``."""
    rows = list(targets)
    status, days, expiry, refused = [], [], [], []
    counts = dict.fromkeys(_STATUS_VALUE, 0)
    for t in rows:
        who = _labels(target=t.target, name=t.name)
        counts[t.status] = counts.get(t.status, 0) + 1
        status.append(f"mailcert_target_status{who} {_STATUS_VALUE.get(t.status, 3)}")
        if t.days_left is not None and t.not_after is not None:
            days.append(f"mailcert_certificate_days_left{who} {t.days_left}")
            expiry.append(f"mailcert_certificate_expiry_timestamp_seconds{who} {t.not_after.timestamp():.0f}")
        for client in t.judged:
            refused.append(
                f"mailcert_client_refused{_labels(target=t.target, name=t.name, client=client)} {int(client in t.refused)}"
            )
    lines = [
        *_family("mailcert_target_status", "Verdict per target: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (as mailcert check exits).", status),
        *_family("mailcert_certificate_days_left", "Whole days until the served certificate expires (negative once expired).", days),
        *_family("mailcert_certificate_expiry_timestamp_seconds", "The served certificate's notAfter, Unix time.", expiry),
        *_family("mailcert_client_refused", "1 when this mail client refuses the certificate for the name, else 0.", refused),
        *_family(
            "mailcert_scan_targets", "Targets of the last scan by verdict.",
            [f"mailcert_scan_targets{_labels(status=s)} {n}" for s, n in counts.items()],
        ),
        *_family("mailcert_scan_timestamp_seconds", "When the last scan finished, Unix time.", [f"mailcert_scan_timestamp_seconds {finished.timestamp():.3f}"]),
        "# EOF",
    ]
    return "\n".join(lines) + "\n"
