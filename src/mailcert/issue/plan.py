"""The client plan: will the certificate the CA issues satisfy every configured client?

Asking for the mail name first is not enough.  Some CAs sort the SAN names themselves (Let's
Encrypt's Boulder issues them in sorted order), so a request for ``remote.contoso.com,
companyweb, sites`` comes back as ``companyweb, remote.contoso.com, sites`` and Outlook 2007,
which reads only the first DNS name, shows "The target principal name is incorrect".

So before ordering, :func:`plan_for` predicts the SAN order the CA will issue, runs every
configured client profile on that prediction (the same name engine ``inspect`` uses, on
:class:`~mailcert.names.PresentedIdentifiers` built from the prediction: no certificate is
made) and, when a client would refuse, proposes a layout that works: the mail name with the
names that sort after it in one certificate, the rest in a second one (or the mail name
alone).  After issuance :func:`judge_issued` runs the same profiles on the real certificate.

Everything here is pure: no network, no files, no clock.
"""

from __future__ import annotations

import enum
import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from cryptography import x509

from mailcert import assess
from mailcert.certs.info import facts_from_certificate
from mailcert.errors import InputError
from mailcert.names import ClientProfile, NameVerdict, PresentedIdentifiers, verdicts_for
from mailcert.verdicts import refusals_for, whole_verdict

__all__ = [
    "SORTING_CA_HOSTS",
    "CaSortsNames",
    "ClientPlan",
    "ca_sorts_names",
    "judge_issued",
    "plan_for",
    "predicted_order",
    "select_profiles",
]

SORTING_CA_HOSTS = frozenset({"acme-v02.api.letsencrypt.org", "acme-staging-v02.api.letsencrypt.org"})
"""Directory hosts of CAs known to issue SAN names in sorted order (Let's Encrypt's Boulder)."""


class CaSortsNames(str, enum.Enum):
    """``--ca-sorts-names``: whether the CA re-orders the requested names."""

    AUTO = "auto"
    YES = "yes"
    NO = "no"


def ca_sorts_names(directory_url: str, choice: CaSortsNames | str = CaSortsNames.AUTO) -> bool:
    """True when the CA is taken to sort the names: ``yes``, or ``auto`` and a known sorting CA."""
    try:
        choice = CaSortsNames(choice)
    except ValueError:
        raise InputError(f"ca_sorts_names {choice!r}: choose auto, yes or no", field="ca_sorts_names") from None
    if choice is CaSortsNames.AUTO:
        host = (urlsplit(directory_url).hostname or "").lower().rstrip(".")
        return host in SORTING_CA_HOSTS
    return choice is CaSortsNames.YES


def select_profiles(ids: Sequence[str]) -> tuple[ClientProfile, ...]:
    """The profiles named (the default set when none, ``all`` for every one), in table order;
    an unknown id is refused: the judge's selection, as a tuple."""
    return tuple(assess.select_profiles(ids))


def _ip(name: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(name)
    except ValueError:
        return None


def predicted_order(names: Sequence[str], *, sorts: bool) -> tuple[str, ...]:
    """The SAN order the CA will issue for a request of ``names`` (normalised, in CSR order).

    A sorting CA (Boulder) sorts the lower-cased DNS names as byte strings and encodes IP
    addresses after them, as Go's x509 writes SAN entries (DNS names, then IP addresses).
    """
    if not sorts:
        return tuple(names)
    dns = sorted(n for n in names if _ip(n) is None)
    ips = sorted((ip for ip in map(_ip, names) if ip is not None), key=lambda a: (a.version, int(a)))
    return (*dns, *(str(a) for a in ips))


def _identifiers(order: Sequence[str], common_name: str) -> PresentedIdentifiers:
    san = tuple(("IP" if _ip(n) is not None else "DNS", n) for n in order)
    return PresentedIdentifiers(san=san, has_san_extension=True, common_names=(common_name,))


def _refusals(order: Sequence[str], mail_name: str, profiles: Sequence[ClientProfile]) -> tuple[NameVerdict, ...]:
    verdicts = verdicts_for(_identifiers(order, mail_name), mail_name, profiles)
    return tuple(v for v in verdicts if not v.accepted)


@dataclass(frozen=True)
class ClientPlan:
    """What was asked, what the CA is predicted to issue, and who would refuse it.

    ``layout`` is empty when the requested certificate works; otherwise the certificates to
    ask for instead (the first one carries the mail name), or empty with ``refusals`` set when
    no layout of these names satisfies every client (the name itself is the problem).
    """

    mail_name: str
    requested: tuple[str, ...]
    predicted: tuple[str, ...]
    ca_sorts: bool
    clients: tuple[str, ...]
    refusals: tuple[NameVerdict, ...]
    layout: tuple[tuple[str, ...], ...] = ()

    @property
    def ok(self) -> bool:
        return not self.refusals

    @property
    def order_is_the_problem(self) -> bool:
        """A different layout would satisfy every client: the refusal comes from the SAN order."""
        return bool(self.layout)


def plan_for(names: Sequence[str], profiles: Sequence[ClientProfile], *, ca_sorts: bool) -> ClientPlan:
    """The plan for a certificate requested with ``names`` (normalised; the mail name first)."""
    if not names:
        raise InputError("no name to plan a certificate for")
    mail_name = names[0]
    requested = tuple(names)
    predicted = predicted_order(requested, sorts=ca_sorts)
    refusals = _refusals(predicted, mail_name, profiles)
    clients = tuple(p.id for p in profiles)
    if not refusals:
        return ClientPlan(mail_name, requested, predicted, ca_sorts, clients, ())
    return ClientPlan(mail_name, requested, predicted, ca_sorts, clients, refusals, _working_layout(requested, profiles, ca_sorts))


def _working_layout(
    names: tuple[str, ...], profiles: Sequence[ClientProfile], ca_sorts: bool
) -> tuple[tuple[str, ...], ...]:
    """Certificates to request instead, the first for the mail name; () when none would do.

    Keep as many names with the mail name as the CA leaves behind it: for a sorting CA the
    names that sort after it (and IP addresses, which follow the DNS names).  The names left
    over go into a second certificate, which mail clients never see under the mail name.
    """
    mail_name, rest = names[0], names[1:]
    candidates: list[tuple[str, ...]] = []
    if ca_sorts:
        behind = tuple(n for n in rest if _ip(n) is not None or n > mail_name)
        if behind:
            candidates.append((mail_name, *behind))
    candidates.append((mail_name,))
    for first in candidates:
        order = predicted_order(first, sorts=ca_sorts)
        if not _refusals(order, mail_name, profiles):
            others = tuple(n for n in rest if n not in first)
            return (first, others) if others else (first,)
    return ()


def judge_issued(
    cert: x509.Certificate | PresentedIdentifiers, mail_name: str, profiles: Sequence[ClientProfile]
) -> list[NameVerdict]:
    """Every configured profile's verdict for ``mail_name`` on the issued certificate: its
    name rules and its own rules on the certificate (EKU, validity caps for a public CA, key
    size, signature), as ``check`` will judge it once deployed.

    ``cert`` is a cryptography ``Certificate`` (or already-read ``PresentedIdentifiers``, then
    names only).  The chain is the CA's and is judged by ``deploy`` against the trust store.
    """
    verdicts = verdicts_for(cert, mail_name, profiles)
    if not isinstance(cert, x509.Certificate):
        return verdicts
    facts = facts_from_certificate(cert)
    by_id = {p.id: p for p in profiles}
    return [whole_verdict(v, refusals_for(by_id[v.client], facts, None, True)) for v in verdicts]
