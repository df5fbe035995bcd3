"""MTA-STS (RFC 8461): the ``_mta-sts`` TXT record, the policy text, MX pattern matching.  Pure.

The probe layer fetches the TXT record and ``https://mta-sts.DOMAIN/.well-known/mta-sts.txt``;
this module reads what came back.  A policy that does not parse is a fact about the domain
(senders then act as if it had no policy, RFC 8461 section 3.2), so parsing returns the
problem as a value instead of raising.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "MAX_POLICY_BYTES",
    "MAX_AGE_LIMIT",
    "Mode",
    "Policy",
    "PolicyProblem",
    "StsStatus",
    "StsLookup",
    "parse_policy",
    "parse_txt",
    "mx_matches",
    "policy_url",
]

MAX_POLICY_BYTES = 64 * 1024
"""RFC 8461 section 3.3: senders may refuse policies over 64 KB; a larger body is not read."""
MAX_AGE_LIMIT = 31557600  # RFC 8461 section 3.2: max_age is at most one year, in seconds

_ID = re.compile(r"[A-Za-z0-9]{1,32}")
_KEY = re.compile(r"[A-Za-z0-9_.-]+")


class Mode(str, enum.Enum):
    ENFORCE = "enforce"
    TESTING = "testing"
    NONE = "none"


@dataclass(frozen=True)
class Policy:
    """A parsed policy; ``mx`` patterns in the order the policy lists them."""

    version: str
    mode: Mode
    mx: tuple[str, ...]
    max_age: int

    def matching_pattern(self, host: str) -> str | None:
        """The first ``mx`` pattern that covers ``host``, or ``None``."""
        return next((p for p in self.mx if mx_matches(p, host)), None)


@dataclass(frozen=True)
class PolicyProblem:
    """Why a policy text is not a policy (one line)."""

    reason: str


class StsStatus(str, enum.Enum):
    """What a sender found for the domain."""

    NONE = "none"  # no (single, valid) _mta-sts TXT record: MTA-STS not in use
    POLICY = "policy"  # TXT record and a valid policy
    INVALID = "invalid"  # TXT record, but the policy does not parse
    UNAVAILABLE = "unavailable"  # TXT record, but the HTTPS fetch failed (timeout, TLS, HTTP, size)


@dataclass(frozen=True)
class StsLookup:
    """The outcome of a sender's MTA-STS discovery for ``domain`` (the probe fills it)."""

    domain: str
    status: StsStatus
    policy: Policy | None
    txt_id: str | None
    detail: str


def policy_url(domain: str) -> str:
    """Where the policy lives (RFC 8461 section 3.3; the port is always 443)."""
    return f"https://mta-sts.{domain.rstrip('.')}/.well-known/mta-sts.txt"


def parse_txt(strings: Sequence[str]) -> tuple[str | None, str]:
    """The policy ``id`` from the ``_mta-sts`` TXT record(s), or ``None`` and why.

    Records not starting with ``v=STSv1;`` are ignored; exactly one must remain and be well
    formed, else the domain has no policy (RFC 8461 section 3.1)."""
    sts = [s for s in strings if s.startswith("v=STSv1;") or s == "v=STSv1"]
    if not sts:
        return None, "no TXT record starting with v=STSv1"
    if len(sts) > 1:
        return None, f"{len(sts)} TXT records start with v=STSv1 (exactly one is allowed)"
    fields: dict[str, str] = {}
    for part in sts[0].split(";"):
        part = part.strip()
        if not part:
            continue
        key, sep, value = part.partition("=")
        if not sep or not _KEY.fullmatch(key.strip()):
            return None, f"malformed field {part!r} in {sts[0]!r}"
        fields.setdefault(key.strip(), value.strip())
    ident = fields.get("id")
    if ident is None or not _ID.fullmatch(ident):
        return None, f"missing or malformed id (1-32 letters and digits) in {sts[0]!r}"
    return ident, "ok"


def parse_policy(body: bytes) -> Policy | PolicyProblem:
    """Read a policy body (RFC 8461 section 3.2).  Size is checked first: nothing over
    :data:`MAX_POLICY_BYTES` is decoded."""
    if len(body) > MAX_POLICY_BYTES:
        return PolicyProblem(f"policy larger than {MAX_POLICY_BYTES // 1024} KB ({len(body)} bytes)")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return PolicyProblem("policy is not UTF-8 text")
    fields: dict[str, str] = {}
    mx: list[str] = []
    for number, raw in enumerate(text.replace("\r\n", "\n").split("\n"), 1):
        line = raw.strip()
        if not line:
            continue
        key, sep, value = line.partition(":")
        if not sep:
            return PolicyProblem(f"line {number} is not 'key: value' ({line[:40]!r})")
        key, value = key.strip(), value.strip()
        if key == "mx":
            mx.append(value)
        else:
            fields.setdefault(key, value)  # the first occurrence counts; unknown keys are ignored
    if fields.get("version") != "STSv1":
        return PolicyProblem(f"version is {fields.get('version', 'missing')!r}, not 'STSv1'")
    try:
        mode = Mode(fields.get("mode", ""))
    except ValueError:
        return PolicyProblem(f"mode is {fields.get('mode', 'missing')!r}, not enforce, testing or none")
    age = fields.get("max_age", "")
    if not age.isdigit() or len(age) > 10:
        return PolicyProblem(f"max_age is {age or 'missing'!r}, not a number of seconds")
    max_age = int(age)
    if max_age > MAX_AGE_LIMIT:
        return PolicyProblem(f"max_age {max_age} exceeds the limit of {MAX_AGE_LIMIT} seconds (one year)")
    bad = [p for p in mx if not _valid_pattern(p)]
    if bad:
        return PolicyProblem(f"mx pattern {bad[0]!r} is not a host name or *.domain")
    if mode is not Mode.NONE and not mx:
        return PolicyProblem(f"mode {mode.value} but no mx line")
    return Policy("STSv1", mode, tuple(mx), max_age)


def _valid_pattern(pattern: str) -> bool:
    labels = pattern.rstrip(".").split(".")
    if labels[0] == "*":
        labels = labels[1:]
        if len(labels) < 2:
            return False
    return bool(labels) and all(re.fullmatch(r"[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?", lab) for lab in labels)


def mx_matches(pattern: str, host: str) -> bool:
    """RFC 8461 section 4.1: an exact host name (ASCII case ignored), or ``*.domain`` standing
    for exactly one left-most label (``*.example.com`` covers ``mx1.example.com``, not
    ``example.com`` nor ``a.b.example.com``)."""
    p = pattern.rstrip(".").lower()
    h = host.rstrip(".").lower()
    if p.startswith("*."):
        first, dot, rest = h.partition(".")
        return bool(first) and bool(dot) and rest == p[2:]
    return p == h
