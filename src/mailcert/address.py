"""The external name (SBS 2008's "Internet Address Management" wizard, KB958977) and its DNS check.

``domain`` + ``prefix`` (default ``remote``) = the FQDN users type into their mail client and
the name that must come first in the certificate.  :func:`check_address` asks DNS what the
world will find under that name (A/AAAA), where mail for the domain goes (MX) and where
clients that auto-configure themselves will connect (SRV, RFC 6186/8314), and turns every
mismatch into a finding: a value, never an exception.

DNS is reached only through a :class:`Resolver` passed in; :class:`DnsResolver` is the real
one (dnspython, with ``--nameserver`` and a timeout), so tests point it at a DNS server on
loopback and the checking logic itself never touches the network.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from mailcert.certs.build import validate_hostname
from mailcert.errors import InputError, ProbeError
from mailcert.findings import Finding, Severity, finding
from mailcert.model import Status

__all__ = [
    "SRV_SERVICES",
    "AddressReport",
    "DnsResolver",
    "MxHost",
    "Resolver",
    "SrvTarget",
    "VerdictLike",
    "check_address",
    "external_fqdn",
    "parse_nameserver",
]

SRV_SERVICES = ("_imaps._tcp", "_imap._tcp", "_submissions._tcp", "_submission._tcp", "_pop3s._tcp", "_pop3._tcp")
"""Services mail clients look up to configure themselves (RFC 6186, RFC 8314)."""


def external_fqdn(domain: str, prefix: str = "remote") -> tuple[str, str, str]:
    """(domain, prefix, fqdn), validated and normalised: ``("contoso.com", "remote", "remote.contoso.com")``.

    An empty prefix means the bare domain is the mail name.  The prefix may have several
    labels (``mail.eu``).
    """
    dom = validate_hostname(domain)
    pre = prefix.strip().strip(".")
    if not pre:
        return dom, "", dom
    try:
        fqdn = validate_hostname(f"{pre}.{dom}")
    except InputError:
        raise InputError(f"prefix {prefix!r} does not make a valid host name with {dom}", field="prefix") from None
    return dom, fqdn[: -len(dom) - 1], fqdn


def parse_nameserver(text: str) -> tuple[str, int]:
    """``IP``, ``IP:PORT``, ``[IPv6]:PORT`` or a bare IPv6 address -> (ip, port)."""
    text = text.strip()
    port = 53
    host = text
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        if rest:
            if not rest.startswith(":"):
                raise InputError(f"nameserver {text!r}: write [IPv6]:PORT", field="nameserver")
            port_text = rest[1:]
            if not port_text.isdigit():
                raise InputError(f"nameserver {text!r}: the port must be a number", field="nameserver")
            port = int(port_text)
    elif text.count(":") == 1:
        host, _, port_text = text.partition(":")
        if not port_text.isdigit():
            raise InputError(f"nameserver {text!r}: the port must be a number", field="nameserver")
        port = int(port_text)
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        raise InputError(f"nameserver {text!r}: give the DNS server's IP address (IP or IP:PORT)", field="nameserver") from None
    if not 0 < port < 65536:
        raise InputError(f"nameserver {text!r}: port must be from 1 to 65535", field="nameserver")
    return str(ip), port


@dataclass(frozen=True)
class MxHost:
    """One MX record of the domain, with what its host resolves to."""

    preference: int
    host: str
    addresses: tuple[str, ...]
    covered: bool | None = None  # by the certificate checked against, None when none was given


@dataclass(frozen=True)
class SrvTarget:
    """One SRV record a self-configuring client would follow."""

    service: str
    priority: int
    weight: int
    port: int
    target: str
    covered: bool | None = None


@dataclass(frozen=True)
class AddressReport:
    """What DNS says about the external name; a value that serialises to JSON as is."""

    fqdn: str
    domain: str
    addresses: tuple[str, ...]
    mx: tuple[MxHost, ...]
    srv: tuple[SrvTarget, ...]
    findings: tuple[Finding, ...] = field(default=())

    @property
    def status(self) -> Status:
        """Worst finding: critical -> CRITICAL, warning -> WARNING, else OK."""
        severities = {f.severity for f in self.findings}
        if Severity.CRITICAL in severities:
            return Status.CRITICAL
        if Severity.WARNING in severities:
            return Status.WARNING
        return Status.OK

    def to_json(self) -> dict[str, Any]:
        """The ``address check --format json`` document (``schema_version`` 1)."""
        return {
            "schema_version": 1,
            "status": self.status.name,
            "fqdn": self.fqdn,
            "domain": self.domain,
            "addresses": list(self.addresses),
            "mx": [
                {"preference": m.preference, "host": m.host, "addresses": list(m.addresses), "covered": m.covered}
                for m in self.mx
            ],
            "srv": [
                {
                    "service": s.service,
                    "priority": s.priority,
                    "weight": s.weight,
                    "port": s.port,
                    "target": s.target,
                    "covered": s.covered,
                }
                for s in self.srv
            ],
            "findings": [f.as_dict() for f in self.findings],
        }


class Resolver(Protocol):
    """The three questions :func:`check_address` asks DNS.  Empty answers mean "no such record"."""

    def addresses(self, name: str) -> tuple[str, ...]: ...

    def mx(self, domain: str) -> tuple[tuple[int, str], ...]: ...

    def srv(self, name: str) -> tuple[tuple[int, int, int, str], ...]: ...


class VerdictLike(Protocol):
    """What :func:`check_address` reads of a name verdict (``mailcert.names.NameVerdict``)."""

    @property
    def client(self) -> str: ...

    @property
    def accepted(self) -> bool: ...

    @property
    def reason(self) -> str: ...


Verdicts = Callable[[str], Sequence[VerdictLike]]


class DnsResolver:
    """:class:`Resolver` over dnspython, asking only the given servers (or the system's)."""

    def __init__(self, nameservers: Sequence[str] = (), *, timeout: float = 5.0) -> None:
        # lazy: dnspython loads when DNS is first asked (address check, scan --domain), not with every scan
        import dns.nameserver
        import dns.resolver

        self._resolver = dns.resolver.Resolver(configure=not nameservers)
        if nameservers:
            parsed = [parse_nameserver(n) for n in nameservers]
            self._resolver.nameservers = [dns.nameserver.Do53Nameserver(ip, port) for ip, port in parsed]
            self._where = ", ".join(n.strip() for n in nameservers)
        else:
            self._where = "the system's DNS servers"
        self._resolver.timeout = timeout
        self._resolver.lifetime = timeout
        self._resolver.search = []
        self._resolver.use_search_by_default = False
        self._timeout = timeout

    def _ask(self, name: str, rdtype: str) -> Any:
        # lazy: dnspython: see __init__; loaded when DNS is asked
        import dns.exception
        import dns.resolver

        try:
            return self._resolver.resolve(name + ".", rdtype, search=False, raise_on_no_answer=False)
        except dns.resolver.NXDOMAIN:
            return None
        except dns.resolver.LifetimeTimeout:
            raise ProbeError(
                f"DNS: no answer from {self._where} within {self._timeout:g}s for {name} {rdtype};"
                " check nameserver or raise timeout",
                mentions=("nameserver", "timeout"),
            ) from None
        except dns.resolver.NoNameservers as exc:
            raise ProbeError(f"DNS: {self._where} could not answer {name} {rdtype} (SERVFAIL or refused): {exc}") from None
        except dns.exception.DNSException as exc:
            raise ProbeError(f"DNS: {name} {rdtype}: {exc}") from None

    def addresses(self, name: str) -> tuple[str, ...]:
        out: list[str] = []
        for rdtype in ("A", "AAAA"):
            answer = self._ask(name, rdtype)
            if answer is not None and answer.rrset is not None:
                out.extend(r.address for r in answer.rrset)
        return tuple(out)

    def mx(self, domain: str) -> tuple[tuple[int, str], ...]:
        answer = self._ask(domain, "MX")
        if answer is None or answer.rrset is None:
            return ()
        records = [(int(r.preference), r.exchange.to_text(omit_final_dot=True).lower()) for r in answer.rrset]
        return tuple(sorted(records))

    def srv(self, name: str) -> tuple[tuple[int, int, int, str], ...]:
        answer = self._ask(name, "SRV")
        if answer is None or answer.rrset is None:
            return ()
        records = [
            (int(r.priority), int(r.weight), int(r.port), r.target.to_text(omit_final_dot=True).lower())
            for r in answer.rrset
        ]
        return tuple(sorted(records, key=lambda r: (r[0], -r[1])))


def _covered(verdicts: Verdicts, name: str) -> bool:
    """Covered = the strict standard (rfc9525) accepts the name; any profile if that one is absent."""
    results = list(verdicts(name))
    strict = [v for v in results if v.client == "rfc9525"]
    return any(v.accepted for v in (strict or results))


def check_address(
    fqdn: str,
    domain: str,
    resolver: Resolver,
    *,
    verdicts: Verdicts | None = None,
    srv_services: Sequence[str] = SRV_SERVICES,
) -> AddressReport:
    """Look the external name up and report every mismatch as a :class:`~mailcert.findings.Finding`.

    ``verdicts(name)`` (the certificate's verdicts per client profile for ``name``, e.g.
    ``lambda n: verdicts_for(cert, n)``) adds the certificate checks: every profile must
    accept the FQDN, and MX and SRV hosts should be covered too.
    """
    findings: list[Finding] = []
    addresses = resolver.addresses(fqdn)
    if not addresses:
        findings.append(finding("address-unresolved", fqdn=fqdn))
    mx_hosts = _mx_hosts(fqdn, domain, resolver, verdicts, findings)
    srv_targets = _srv_targets(fqdn, domain, resolver, verdicts, srv_services, findings)
    if verdicts is not None:
        findings += _name_findings(fqdn, list(verdicts(fqdn)))
    return AddressReport(fqdn, domain, addresses, tuple(mx_hosts), tuple(srv_targets), tuple(findings))


def _mx_hosts(fqdn: str, domain: str, resolver: Resolver, verdicts: Verdicts | None, findings: list[Finding]) -> list[MxHost]:
    """The domain's MX hosts with their addresses and coverage; their findings added to ``findings``."""
    mx_hosts: list[MxHost] = []
    raw_mx = resolver.mx(domain)
    if not raw_mx:
        findings.append(finding("mx-missing", domain=domain, fqdn=fqdn))
    for pref, host in raw_mx:
        if host in ("", "."):
            findings.append(finding("mx-null", domain=domain, fqdn=fqdn))
            continue
        host_addresses = resolver.addresses(host)
        covered = _covered(verdicts, host) if verdicts else None
        mx_hosts.append(MxHost(pref, host, host_addresses, covered))
        if not host_addresses:
            findings.append(finding("mx-unresolved", host=host, domain=domain, fqdn=fqdn))
        if covered is False:
            findings.append(finding("mx-not-covered", host=host, fqdn=fqdn))
    return mx_hosts


def _srv_targets(
    fqdn: str, domain: str, resolver: Resolver, verdicts: Verdicts | None, services: Sequence[str], findings: list[Finding]
) -> list[SrvTarget]:
    """Where self-configuring clients are sent (RFC 6186/8314); their findings added to ``findings``."""
    srv_targets: list[SrvTarget] = []
    for service in services:
        for priority, weight, port, target in resolver.srv(f"{service}.{domain}"):
            if target in ("", "."):
                continue  # "service not available here" (RFC 2782)
            covered = _covered(verdicts, target) if verdicts else None
            srv_targets.append(SrvTarget(service, priority, weight, port, target, covered))
            where = {"service": service, "domain": domain, "target": target, "fqdn": fqdn}
            if target != fqdn:
                findings.append(finding("srv-other-host", **where))
            if covered is False:
                findings.append(finding("srv-not-covered", **where))
    return srv_targets


def _name_findings(fqdn: str, results: list[VerdictLike]) -> list[Finding]:
    """Every profile must accept the name users type."""
    refused = [v for v in results if not v.accepted]
    if results and len(refused) == len(results):
        return [finding("cert-name-refused", fqdn=fqdn, reason=refused[0].reason)]
    return [finding("cert-name-refused-by-client", client=v.client, fqdn=fqdn, reason=v.reason) for v in refused]
