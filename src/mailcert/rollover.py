"""DANE key rollover: the records to publish, the pre-generated next key, and the guard that
keeps ``acme renew`` and ``deploy`` from installing a key no published TLSA record names.

Why a guard: a DANE sender (Postfix ``smtp_tls_security_level = dane``...) defers every message
to an MX whose key matches no TLSA record, and it caches the RRset it saw for the record's TTL.
So a new key is safe only once a record naming it has been published for at least one TTL.
mailcert cannot know when a record was published, so it remembers when it *first saw* each
record (``STATE/dane/seen.json``), and counts the TTL from there: the first sighting is the
conservative answer.

The judgement (:func:`judge_switch`) is pure; :func:`tlsa_guard` adds the lookup and the
memory.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from mailcert import fsutil
from mailcert.certs.tlsa import DnsStatus, TlsaLookup, match_chain, records_for
from mailcert.errors import Remark
from mailcert.probe.dane import Resolver, lookup_tlsa

__all__ = ["GuardResult", "SeenStore", "judge_switch", "tlsa_guard", "NEXT_KEY_FILE"]

NEXT_KEY_FILE = "next-key.pem"
"""The pre-generated next key, beside ``key.pem`` in a certificate directory (mode 0600)."""


@dataclass(frozen=True)
class GuardResult:
    """``ok``: installing the chain keeps DANE senders delivering (or DANE does not apply).
    ``lines``: what to tell the administrator, one fact per line (a
    :class:`~mailcert.errors.Remark` where it names an option)."""

    ok: bool
    lines: tuple[str, ...]


class SeenStore:
    """When mailcert first saw each TLSA record, and the largest TTL seen, per owner name."""

    def __init__(self, state: Path) -> None:
        self.path = state / "dane" / "seen.json"

    def load(self) -> dict[str, dict[str, object]]:
        try:
            data = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def observe(self, lookup: TlsaLookup, now: dt.datetime) -> tuple[dict[str, dt.datetime], int]:
        """Record ``lookup``'s records (first sighting kept) and its TTL; return the first-seen
        times of the records published now, and the largest TTL seen for the name."""
        data = self.load()
        entry = data.setdefault(lookup.name, {"records": {}, "ttl": 0})
        seen = entry.setdefault("records", {})
        assert isinstance(seen, dict)
        for r in lookup.records:
            seen.setdefault(r.to_text(), now.isoformat(timespec="seconds"))
        ttl = max(int(entry.get("ttl", 0) or 0), lookup.ttl)  # type: ignore[call-overload]
        entry["ttl"] = ttl
        fsutil.ensure_dir(self.path.parent, mode=0o700)
        fsutil.write_atomic(self.path, (json.dumps(data, indent=1, sort_keys=True) + "\n").encode(), mode=0o600, backup=False)
        first = {r.to_text(): dt.datetime.fromisoformat(str(seen[r.to_text()])) for r in lookup.records}
        return first, ttl


def judge_switch(
    new: Sequence[bytes],
    current: Sequence[bytes] | None,
    lookup: TlsaLookup,
    first_seen: Mapping[str, dt.datetime],
    ttl: int,
    *,
    now: dt.datetime,
) -> GuardResult:
    """May ``new`` (DER chain, leaf first) replace ``current`` without DANE senders refusing it?"""
    where = lookup.name.rstrip(".")
    if lookup.status is DnsStatus.ERROR:
        return GuardResult(True, (f"TLSA at {where} not checked: {lookup.detail}",))
    if lookup.status is DnsStatus.BOGUS or lookup.host_status is DnsStatus.BOGUS:
        return GuardResult(True, (f"DNSSEC for {where} is bogus ({lookup.detail}): DANE senders defer already, whatever the key",))
    if lookup.status is DnsStatus.INSECURE or lookup.host_status is DnsStatus.INSECURE or not lookup.records:
        return GuardResult(True, (f"no DNSSEC-validated TLSA record at {where}: DANE does not apply",))
    m = match_chain(lookup.records, new)
    if not m.usable:
        return GuardResult(True, (f"no usable TLSA record at {where}: senders require TLS but check no key",))
    publish = " and ".join(f"{where}. IN TLSA {r.to_text()}" for r in records_for(new[0], issuer_der=new[1] if len(new) > 1 else None))
    if m.matched is None:
        published = ", ".join(r.short() for r in m.usable)
        return GuardResult(False, (
            f"the new certificate's key matches no TLSA record at {where} (published: {published}):"
            " DANE senders would defer all mail to this MX",
            Remark(f"publish {publish}, wait its TTL, then install (or keep the current key when renewing: reuse_key)", mentions=("reuse_key",)),
        ))
    if current and match_chain(lookup.records, current).matched == m.matched:
        return GuardResult(True, (f"TLSA {m.matched.short()} at {where} matches the new certificate, as it does the current one",))
    first = first_seen.get(m.matched.to_text(), now)
    ready = first + dt.timedelta(seconds=ttl)
    if now < ready:
        return GuardResult(False, (
            f"TLSA {m.matched.short()} at {where} names the new key, but mailcert first saw it {first:%Y-%m-%d %H:%M:%S} UTC;"
            f" senders may cache the old records for the TTL ({ttl} s)",
            f"install at {ready:%Y-%m-%d %H:%M:%S} UTC or later",
        ))
    return GuardResult(True, (f"TLSA {m.matched.short()} at {where} names the new key, published at least one TTL ({ttl} s) ago",))


def tlsa_guard(
    new: Sequence[bytes],
    current: Sequence[bytes] | None,
    *,
    host: str,
    port: int,
    resolver: Resolver,
    state: Path,
    now: dt.datetime,
    timeout: float = 5.0,
) -> tuple[GuardResult, TlsaLookup]:
    """Look up ``_PORT._tcp.HOST`` TLSA, remember what was seen, and judge the switch."""
    lookup = asyncio.run(lookup_tlsa(resolver, host, port, timeout=timeout))
    first, ttl = SeenStore(state).observe(lookup, now) if lookup.status is DnsStatus.SECURE else ({}, lookup.ttl)
    return judge_switch(new, current, lookup, first, ttl, now=now), lookup
