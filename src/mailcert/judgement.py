"""The one judgement value: what every verdict is judged against.

A verdict depends on four things besides the certificate: which clients (their profiles),
which roots they trust (the trust store), when (the clock) and how early to warn (the
thresholds).  They travel together as one frozen :class:`Judgement` through ``assess``,
``doctor``, ``deploy`` and ``scan`` instead of four loose arguments, and results keep it, so a
renderer can say what a verdict was judged against.

Layer: judge (above names, certs and findings; below the engines).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from mailcert.certs.chain import TrustStore
from mailcert.errors import InputError
from mailcert.names.profiles import DEFAULT_CLIENTS, PROFILES, ClientProfile

__all__ = ["Judgement", "Judged", "DEFAULT_WARN_DAYS"]

DEFAULT_WARN_DAYS = 30


@dataclass(frozen=True)
class Judgement:
    """Profiles, trust store, clock and thresholds of one judgement.

    ``profiles`` are judged in the order given (all built-in profiles, in table order, by
    default).  ``store`` is the trust store chains are verified against (``None``: the
    operating system's, loaded when a chain is first judged; a certificate file alone is
    judged without one).  ``now`` is the clock (``None``: the time of each judgement, as a
    long scan wants).  ``warn_days``: a certificate expiring within this many days is a
    warning; ``critical_days``: within this many it is critical (``None``: only an expired
    certificate is).
    """

    profiles: tuple[ClientProfile, ...] = ()
    store: TrustStore | None = None
    now: dt.datetime | None = None
    warn_days: int = DEFAULT_WARN_DAYS
    critical_days: int | None = None

    def __post_init__(self) -> None:
        if not self.profiles:
            object.__setattr__(self, "profiles", tuple(PROFILES[c] for c in DEFAULT_CLIENTS))
        elif not isinstance(self.profiles, tuple):
            object.__setattr__(self, "profiles", tuple(self.profiles))
        if isinstance(self.warn_days, bool) or not isinstance(self.warn_days, int) or self.warn_days < 0:
            raise InputError(f"warn_days must be a whole number of days, 0 or more, not {self.warn_days!r}", field="warn_days")
        crit = self.critical_days
        if crit is not None and (isinstance(crit, bool) or not isinstance(crit, int) or not 0 <= crit <= self.warn_days):
            raise InputError(f"critical_days must be a whole number of days from 0 to warn_days ({self.warn_days}), not {crit!r}", field="critical_days")
        if self.now is not None and self.now.tzinfo is None:
            raise InputError("now must be an aware datetime (with a time zone), e.g. in UTC", field="now")

    def clock(self) -> dt.datetime:
        """The time to judge by: ``now``, or this moment (UTC) when ``now`` is ``None``."""
        return self.now if self.now is not None else dt.datetime.now(dt.timezone.utc)

    def trust_store(self) -> TrustStore:
        """The store to verify chains against: ``store``, or the system's."""
        return self.store if self.store is not None else _system_store()

    @property
    def store_label(self) -> str:
        """How the store is named in reports (its file, or the system store's description)."""
        return self.trust_store().description

    def judged(self, now: dt.datetime, *, with_store: bool) -> Judged:
        """The record a result keeps of this judgement at ``now`` (``with_store``: a chain was
        judged, so the store's label belongs in it)."""
        label = self.store_label if with_store else ""
        return Judged(self._client_ids, label, now, self.warn_days, self.critical_days)

    @functools.cached_property
    def _client_ids(self) -> tuple[str, ...]:
        return tuple(p.id for p in self.profiles)


class Judged(NamedTuple):
    """What one result was judged against, as plain values: the client ids, the trust store's
    label (empty when no chain was judged), the clock and the thresholds.

    Results keep this instead of the :class:`Judgement` itself: a trust store holds parsed
    certificates that do not pickle, and a renderer needs only these words and numbers.
    (A NamedTuple: defined at every start-up of ``check``, it costs less than a dataclass.)
    """

    clients: tuple[str, ...]
    store: str
    now: dt.datetime
    warn_days: int
    critical_days: int | None


@functools.cache
def _system_store() -> TrustStore:
    """The system store, read once per process (a scan judges thousands of chains)."""
    return TrustStore.system()
