"""Renewal: which certificates mailcert issued are due, and the deploy hook after each renewal.

The list comes from ``STATE/acme/lineages.json`` (written by every successful issue).  A
lineage is due when the certificate now in its ``out`` directory expires within the window
(or is missing or unreadable there: something to repair).  Renewing is issuing again with the
stored settings (:func:`request_for`), so the client plan and the check of the issued
certificate apply to every renewal too.

The deploy hook gets certbot's variables, so hooks written for certbot work unchanged:
``RENEWED_LINEAGE`` (the ``--out`` directory, holding ``fullchain.pem`` and ``key.pem``) and
``RENEWED_DOMAINS`` (the names, space-separated, mail name first).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from cryptography import x509

from mailcert.certs.build import parse_key_type
from mailcert.issue.challenges import run_hook
from mailcert.issue.issuer import IssueRequest
from mailcert.issue.plan import CaSortsNames
from mailcert.issue.state import Lineage

__all__ = ["DueCheck", "check_due", "deploy_env", "request_for", "run_deploy_hook"]


@dataclass(frozen=True)
class DueCheck:
    """One lineage's renewal verdict: ``due``, and why (or when it will be)."""

    lineage: Lineage
    due: bool
    why: str
    not_after: datetime | None = None


def _not_after(out: Path) -> datetime | None:
    try:
        data = (out / "cert.pem").read_bytes()
        return x509.load_pem_x509_certificate(data).not_valid_after_utc
    except (OSError, ValueError):
        return None


def check_due(lineages: Sequence[Lineage], *, now: datetime, days: int) -> list[DueCheck]:
    """Each lineage with its verdict, judged on the certificate now in its ``out`` directory."""
    window = timedelta(days=days)
    out: list[DueCheck] = []
    for lin in lineages:
        not_after = _not_after(Path(lin.out))
        if not_after is None:
            out.append(DueCheck(lin, True, f"no readable certificate in {lin.out}"))
            continue
        left = not_after - now
        if left <= window:
            when = "expired" if left.total_seconds() <= 0 else f"expires in {left.days} day(s)"
            out.append(DueCheck(lin, True, f"{when} ({not_after:%Y-%m-%d}), within {days} day(s)", not_after))
        else:
            out.append(DueCheck(lin, False, f"valid until {not_after:%Y-%m-%d} ({left.days} days left)", not_after))
    return out


def request_for(lineage: Lineage, *, timeout: float = 90.0, hook_timeout: float = 300.0) -> IssueRequest:
    """The request that issues ``lineage`` again, with the settings it was first issued with."""
    return IssueRequest(
        names=lineage.names,
        directory=lineage.directory,
        out=Path(lineage.out),
        challenge=lineage.challenge,
        key_type=parse_key_type(lineage.key_type),
        clients=lineage.clients,
        ca_sorts_names=CaSortsNames(lineage.ca_sorts_names),
        ca_bundle=lineage.ca_bundle,
        timeout=timeout,
        hook_timeout=hook_timeout,
    )


def deploy_env(lineage: Lineage, base: Mapping[str, str]) -> dict[str, str]:
    """``base`` plus certbot's deploy-hook variables for ``lineage``."""
    return {**base, "RENEWED_LINEAGE": lineage.out, "RENEWED_DOMAINS": " ".join(lineage.names)}


def run_deploy_hook(command: str, lineage: Lineage, *, env: Mapping[str, str], timeout: float) -> None:
    """Run the deploy hook for one renewed lineage (one line on failure)."""
    run_hook(command, deploy_env(lineage, env), timeout=timeout, what=f"deploy_hook for {lineage.names[0]}", field="deploy_hook")
