"""What to scan: targets files, standard input and ``--domain`` lookups, as frozen :class:`Target` values.

A targets file holds one ``TARGET [NAME]`` per line (PRODUCT.md): TARGET is where to connect
(anything :func:`mailcert.model.parse_target` takes), NAME the server name users type (default:
the host of TARGET); ``#`` starts a comment.  Input is read forgivingly and lazily (a file of a
million lines is never held in memory), and a line that cannot be used does not stop the scan:
it becomes a Target whose :attr:`Target.problem` says why, so it still gets its one result.

``--domain D`` asks DNS (through :class:`mailcert.address.Resolver`, so ``--nameserver`` works
and tests stay on loopback) for D's MX hosts, scanned as SMTP with STARTTLS on port 25, and with
``services=True`` for the places mail clients are sent to: the RFC 6186/8314 SRV records and the
conventional names (imap., pop., smtp., mail.) that resolve.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Final

from mailcert.address import Resolver
from mailcert.errors import InputError, MailcertError
from mailcert.model import Endpoint, parse_target

__all__ = [
    "Target", "parse_line", "read_targets", "count_targets", "domain_targets", "targets_of_domains",
    "SRV_SCHEMES", "CONVENTIONAL",
]


@dataclass(frozen=True)
class Target:
    """One thing to check: plain data that pickles (Dask) and compares (tests).

    ``text`` is TARGET exactly as given (the ``"target"`` of its JSON line); ``name`` the server
    name judged and sent as SNI; ``connect`` an address to connect to instead of the endpoint's
    host (set for ``--domain`` targets, whose names were resolved with the chosen DNS server);
    ``problem`` is set when the target cannot be checked at all (its result is UNKNOWN with this
    reason); ``origin`` says where it came from (``FILE:LINE``, ``MX of example.com``).
    """

    text: str
    name: str
    endpoint: Endpoint | None
    connect: str | None = None
    problem: str | None = None
    origin: str = ""
    mail_domain: str | None = None  # the domain whose MX this is (--domain): its MTA-STS policy applies

    @property
    def host(self) -> str:
        """The host the per-host limit counts connections to."""
        if self.connect:
            return self.connect
        return self.endpoint.host.lower() if self.endpoint is not None else self.text


def parse_line(line: str, origin: str = "") -> Target | None:
    """One line of a targets file -> a Target, or ``None`` for a blank or comment line."""
    text = line.split("#", 1)[0].strip()
    if not text:
        return None
    words = text.split()
    raw = words[0]
    where = f"{origin}: " if origin else ""
    if len(words) > 2:
        return Target(raw, raw, None, problem=f"{where}expected TARGET [NAME], got {len(words)} words", origin=origin)
    try:
        endpoint = parse_target(raw)
    except InputError as exc:
        return Target(raw, words[1] if len(words) > 1 else raw, None, problem=f"{where}{exc}", origin=origin)
    except ValueError as exc:  # urlsplit's own complaints, e.g. "imaps://[::1" (unbalanced bracket)
        return Target(raw, words[1] if len(words) > 1 else raw, None, problem=f"{where}target {raw!r}: {exc}", origin=origin)
    name = words[1] if len(words) > 1 else endpoint.host
    return Target(raw, name, endpoint, origin=origin)


def read_targets(lines: Iterable[str], source: str = "-") -> Iterator[Target]:
    """Targets of a file or stream, lazily, in order; ``source`` names it in problems (``FILE:LINE``)."""
    for number, line in enumerate(lines, 1):
        target = parse_line(line, f"{source}:{number}")
        if target is not None:
            yield target


def count_targets(lines: Iterable[str]) -> int:
    """How many targets ``lines`` hold (for the progress bar), without keeping them."""
    return sum(1 for line in lines if line.split("#", 1)[0].strip())


SRV_SCHEMES: Final[tuple[tuple[str, str], ...]] = (
    ("_imaps._tcp", "imaps"),
    ("_imap._tcp", "imap"),
    ("_submissions._tcp", "smtps"),
    ("_submission._tcp", "smtp"),
    ("_pop3s._tcp", "pop3s"),
    ("_pop3._tcp", "pop3"),
)
"""SRV services (RFC 6186, RFC 8314) and the scheme to check each with."""

CONVENTIONAL: Final[tuple[tuple[str, str, int], ...]] = (
    ("imap", "imaps", 993),
    ("mail", "imaps", 993),
    ("pop", "pop3s", 995),
    ("pop3", "pop3s", 995),
    ("smtp", "smtp", 587),
    ("mail", "smtp", 587),
)
"""Host names mail clients guess when a domain publishes no SRV record (prefix, scheme, port)."""


def domain_targets(domain: str, resolver: Resolver, *, services: bool = False) -> list[Target]:
    """The targets of ``domain``: its MX hosts on port 25, and the client-facing services if asked.

    Never raises for what DNS says: a failed lookup, a null MX or an MX host without an address
    is a Target with a ``problem``.  A domain without MX is checked at its own name (RFC 5321
    §5.1, the implicit MX).  Guessed names (``services``) that do not resolve are left out.
    """
    domain = domain.strip().rstrip(".").lower()
    origin = f"--domain {domain}"
    out: list[Target] = []
    try:
        mx = resolver.mx(domain)
        if not mx:
            mx = ((0, domain),)
            origin_mx = f"{origin} (no MX: its own address)"
        else:
            origin_mx = f"{origin} MX"
        for _pref, host in mx:
            text = f"smtp://{host}:25"
            if host in ("", "."):
                out.append(Target(f"smtp://{domain}:25", domain, None, problem=f"{domain} has a null MX: it accepts no mail (RFC 7505)", origin=origin))
                continue
            out.append(replace(_resolved(text, host, resolver, origin_mx), mail_domain=domain))
        if services:
            seen = {t.text for t in out}
            for service, scheme in SRV_SCHEMES:
                for _prio, _weight, port, host in resolver.srv(f"{service}.{domain}"):
                    if host in ("", "."):
                        continue  # "not offered here" (RFC 2782)
                    text = f"{scheme}://{host}:{port}"
                    if text not in seen:
                        seen.add(text)
                        out.append(_resolved(text, host, resolver, f"{origin} SRV {service}"))
            for prefix, scheme, port in CONVENTIONAL:
                host = f"{prefix}.{domain}"
                text = f"{scheme}://{host}:{port}"
                if text in seen:
                    continue
                try:
                    addresses = resolver.addresses(host)
                except MailcertError:
                    continue  # a guess that DNS cannot answer is not a target
                if addresses:
                    seen.add(text)
                    out.append(Target(text, host, parse_target(text), connect=addresses[0], origin=f"{origin} guessed name"))
    except MailcertError as exc:
        out.append(Target(f"smtp://{domain}:25", domain, None, problem=str(exc), origin=origin))
    return out


def _resolved(text: str, host: str, resolver: Resolver, origin: str) -> Target:
    try:
        endpoint = parse_target(text)
    except InputError as exc:
        return Target(text, host, None, problem=str(exc), origin=origin)
    try:
        addresses = resolver.addresses(host)
    except MailcertError as exc:
        return Target(text, host, endpoint, problem=str(exc), origin=origin)
    if not addresses:
        return Target(text, host, endpoint, problem=f"{host} does not resolve (no A or AAAA record)", origin=origin)
    return Target(text, host, endpoint, connect=addresses[0], origin=origin)


def targets_of_domains(domains: Sequence[str], resolver: Resolver, *, services: bool = False) -> Iterator[Target]:
    """:func:`domain_targets` of each domain in turn."""
    for domain in domains:
        yield from domain_targets(domain, resolver, services=services)
