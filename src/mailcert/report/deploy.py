"""The deploy report for a person (text) and for programs (JSON, ``schema_version`` 1).

Both read only the :class:`~mailcert.deploy.apply.DeployReport`, so the dry-run preview and
the record of what was done show the same facts the same way.  Problems, refusals and
objections that name an option are :class:`~mailcert.errors.Remark` values; ``words`` says them
(``str``: by the engine's field names; the CLI passes ``in_flags``, which says its flags).
"""

from __future__ import annotations

import grp
import pwd
from collections.abc import Callable
from typing import Any

from mailcert.deploy.apply import DeployReport, ListenerCheck, Served
from mailcert.deploy.base import StepResult
from mailcert.deploy.plan import FileChange, describe_mode, listeners_text, short_fp
from mailcert.report.jsonout import SCHEMA_VERSION, certificate_document
from mailcert.textsafe import json_dumps, terminal

__all__ = ["json_text", "text"]

_HEADLINES = {
    "deployed": "deployed",
    "already-deployed": "already deployed: nothing to change",
    "planned": "dry run: nothing was changed",
    "refused": "refused: nothing was changed",
    "failed": "FAILED and rolled back",
    "rollback-failed": "FAILED, and the rollback could not be proven",
}


Words = Callable[[str], str]


def text(report: DeployReport, words: Words = str) -> str:
    """A report a person reads top to bottom: what, checks, listeners, plan, steps, result."""
    d = report.plan.discovery
    leaf = report.checks.assessment.certificate
    out = [f"mailcert deploy {report.server}: {d.config} ({report.server} {d.version})"]
    out.append(f"certificate  {leaf.subject}  from {report.bundle.source}")
    out.append(f"  names      {', '.join(v for _, v in leaf.san) or '(none)'}")
    out.append(f"  sha256     {short_fp(leaf.sha256)}  valid until {leaf.not_after:%Y-%m-%d}")

    out.append("checks")
    c = report.checks
    out.append(f"  {_ok(c.key_matches)}  key matches the certificate")
    out.append(f"  {_ok(c.trust.trusted)}  chain: {c.trust.detail}")
    results = c.assessment.results
    refused = [v.client for v in results if not v.accepted]
    out.append(f"  {_ok(not refused)}  {c.name}: {len(results) - len(refused)} of {len(results)} clients accept"
               + (f" (refused by {', '.join(refused)})" if refused else ""))

    served = {s.listener: s for s in report.baseline}
    out.append("listeners (now serving)")
    for lst, line in zip(d.listeners, listeners_text(d.listeners)):
        out.append(f"  {line}  {_served(served.get(lst))}")

    p = report.plan
    out.append("plan")
    for change in p.writes:
        out.append("  " + _change_line(change))
    for path in p.unchanged:
        out.append(f"  keep  {path}  (already holds exactly this)")
    if p.diff:
        out.append("  settings:")
        out.extend("    " + line for line in p.diff.rstrip("\n").splitlines())
    if report.status != "already-deployed":
        test_cmd, reload_cmd = report.commands
        out.append(f"  then  {test_cmd}")
        out.append(f"        {reload_cmd}")
        out.append(f"        verify {sum(1 for x in d.listeners if x.expects_new)} listener(s) serve {short_fp(p.new_leaf_sha256)}")

    if d.others or d.notes:
        out.append("left as they are")
        out.extend(f"  {loc.describe()}" for loc in d.others)
        out.extend(f"  {note}" for note in d.notes)
    if report.problems:
        out.append("problems")
        out.extend(f"  - {words(problem)}" for problem in report.problems)

    if report.steps:
        out.append("steps")
        out.extend("  " + _step_line(s) for s in report.steps)
        out.extend("    " + _check_line(v) for v in report.verification)
    if report.backups:
        out.append("backups (kept)")
        out.extend(f"  {backup}" for _, backup in report.backups)
    if report.rollback is not None:
        rb = report.rollback
        out.append(f"rollback ({rb.seconds:.1f} s)")
        out.extend("  " + _step_line(s) for s in rb.steps)
        out.extend("    " + _check_line(v) for v in rb.checks)
    out.append(f"result: {_HEADLINES[report.status]} ({report.seconds:.1f} s)")
    if report.reason and report.status != "refused":
        out.append(f"  {words(report.reason)}")
    # Every line is ours with outside text inside (paths, subjects, server replies, command
    # output): escaping whole lines escapes exactly the outside part.
    return "".join(terminal(line) + "\n" for line in out)


def json_text(report: DeployReport, words: Words = str) -> str:
    return json_dumps(document(report, words)) + "\n"


def document(report: DeployReport, words: Words = str) -> dict[str, Any]:
    """The JSON document: what was planned, what was done, how it ended."""
    d = report.plan.discovery
    served = {s.listener: s for s in report.baseline}
    return {
        "schema_version": SCHEMA_VERSION,
        "status": report.status,
        "exit_status": report.exit_status,
        "reason": None if report.reason is None else words(report.reason),
        "server": report.server,
        "server_version": d.version,
        "config": str(d.config),
        "name": report.name,
        "source": report.bundle.source,
        "certificate": certificate_document(report.checks.assessment.certificate),
        "checks": {
            "key_matches": report.checks.key_matches,
            "chain_trusted": report.checks.trust.trusted,
            "chain": report.checks.trust.detail,
            "results": [
                {"name": v.name, "client": v.client, "accepted": v.accepted, "reason": v.reason}
                for v in report.checks.assessment.results
            ],
            "refusals": [words(r) for r in report.checks.refusals],
            "objections": [words(o) for o in report.checks.objections],
        },
        "listeners": [
            {
                "url": lst.endpoint.url,
                "service": lst.service,
                "own_certificate": lst.own_certificate,
                "serving_sha256": _served_sha(served.get(lst)),
                "error": (served[lst].error if lst in served else None),
            }
            for lst in d.listeners
        ],
        "plan": {
            "new_sha256": report.plan.new_leaf_sha256,
            "files": [_change_doc(c) for c in report.plan.writes],
            "unchanged": [str(p) for p in report.plan.unchanged],
            "settings": [
                {"file": str(s.file), "name": s.name, "old": s.old, "new": s.new} for s in report.plan.settings
            ],
            "diff": report.plan.diff,
            "commands": list(report.commands),
        },
        "left_alone": [loc.describe() for loc in d.others],
        "notes": list(d.notes),
        "problems": [words(p) for p in report.problems],
        "steps": [_step_doc(s) for s in report.steps],
        "verification": [_check_doc(v) for v in report.verification],
        "backups": [{"file": str(f), "backup": str(b)} for f, b in report.backups],
        "rollback": None if report.rollback is None else {
            "ok": report.rollback.ok,
            "summary": report.rollback.summary,
            "steps": [_step_doc(s) for s in report.rollback.steps],
            "restored": [str(p) for p in report.rollback.restored],
            "removed": [str(p) for p in report.rollback.removed],
            "verification": [_check_doc(v) for v in report.rollback.checks],
            "seconds": round(report.rollback.seconds, 3),
        },
        "seconds": round(report.seconds, 3),
    }


def _ok(flag: bool) -> str:
    return "ok  " if flag else "FAIL"


def _served(seen: Served | None) -> str:
    if seen is None:
        return ""
    if seen.error:
        return f"(no answer: {seen.error})"
    if seen.plain_sha256 != seen.sni_sha256:
        return f"{short_fp(seen.sni_sha256)} (without SNI: {short_fp(seen.plain_sha256)})"
    return short_fp(seen.sni_sha256)


def _served_sha(seen: Served | None) -> str | None:
    return seen.sni_sha256 if seen is not None else None


def _owner(owner: tuple[int, int] | None) -> str:
    if owner is None:
        return ""

    uid, gid = owner
    try:
        user = pwd.getpwuid(uid).pw_name if uid != -1 else "-"
    except KeyError:
        user = str(uid)
    try:
        group = grp.getgrgid(gid).gr_name if gid != -1 else "-"
    except KeyError:
        group = str(gid)
    return f" {user}:{group}"


def _change_line(c: FileChange) -> str:
    verb = "write" if c.old.exists else "new  "
    modes = f"{describe_mode(c.old.mode)} -> {describe_mode(c.mode)}" if c.old.exists else describe_mode(c.mode)
    line = f"{verb} {c.path}  {c.role}  {modes}{_owner(c.owner)}"
    if c.role != "config" and c.role != "key":
        line += f"  {short_fp(c.old.leaf_sha256)} -> {short_fp(c.new_leaf_sha256)}"
    if c.old.exists:
        line += "  (backup kept)"
    return line


def _change_doc(c: FileChange) -> dict[str, Any]:
    return {
        "path": str(c.path),
        "role": c.role,
        "exists": c.old.exists,
        "old_mode": describe_mode(c.old.mode) if c.old.exists else None,
        "new_mode": describe_mode(c.mode),
        "owner": list(c.owner) if c.owner else None,
        "old_sha256": c.old.sha256,
        "new_sha256": c.new_sha256,
        "old_leaf_sha256": c.old.leaf_sha256 if c.role != "key" else None,
        "new_leaf_sha256": c.new_leaf_sha256 if c.role not in ("key", "config") else None,
    }


def _step_line(s: StepResult) -> str:
    detail = f"  {s.detail}" if s.detail else ""
    cmd = f"  [{s.command}]" if s.command and not s.ok else ""
    return f"{_ok(s.ok)}  {s.step}{detail}  ({s.seconds:.2f} s){cmd}"


def _step_doc(s: StepResult) -> dict[str, Any]:
    return {"step": s.step, "ok": s.ok, "detail": s.detail, "command": s.command or None, "seconds": round(s.seconds, 3)}


def _check_line(v: ListenerCheck) -> str:
    return f"{_ok(v.ok)}  {v.listener.endpoint.url}: {v.detail} ({v.attempts} probe(s), {v.seconds:.1f} s)"


def _check_doc(v: ListenerCheck) -> dict[str, Any]:
    return {
        "url": v.listener.endpoint.url,
        "ok": v.ok,
        "detail": v.detail,
        "served_sha256": v.served_sha256,
        "refused_by": list(v.refused_by),
        "attempts": v.attempts,
        "seconds": round(v.seconds, 3),
    }
