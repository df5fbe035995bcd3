"""``mailcert address set|show|check``: the external name, as SBS 2008's Internet Address Management wizard (KB958977).

``address set contoso.com`` stores ``remote.contoso.com`` (the wizard's default prefix) in the
configuration; ``cert new``, ``cert import`` and ``cert fix`` use it as the first name.
``address check`` asks DNS whether the world agrees: exit 0 OK, 1 WARNING, 2 CRITICAL,
3 UNKNOWN (DNS did not answer), like ``mailcert check``.
"""

from __future__ import annotations

import argparse
import functools
import json
import shlex
from collections.abc import Callable, Sequence
from typing import Any

from mailcert.address import DnsResolver, SRV_SERVICES, check_address, external_fqdn
from mailcert.certs.load import load_certificates, password_from_env
from mailcert.commands._common import add_verbs, say
from mailcert.commands._places import config_file
from mailcert.config import AddressConfig, load_address, save_address
from mailcert.errors import InputError
from mailcert.names import verdicts_for

__all__ = ["register", "run_check", "run_set", "run_show"]


def _config_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config", metavar="FILE",
        help="configuration file (default: $MAILCERT_CONFIG, /etc/mailcert/config.toml as root,"
        " else ~/.config/mailcert/config.toml)",
    )


def register(sub: Any) -> None:
    p = sub.add_parser(
        "address",
        help="the external name (domain + prefix): set, show, check in DNS",
        description=(
            "The server's external FQDN, the name users type into their mail client and the name"
            " that must come first in the certificate: prefix (default 'remote') + domain."
        ),
    )
    verbs = add_verbs(p, "address_command")

    s = verbs.add_parser("set", help="store the external name: DOMAIN with --prefix (default remote)")
    s.add_argument("domain", metavar="DOMAIN", help="your mail domain, e.g. contoso.com")
    s.add_argument("--prefix", default="remote", help="host part before the domain (default: remote; '' for the bare domain)")
    _config_option(s)
    s.set_defaults(func=run_set)

    sh = verbs.add_parser("show", help="print the configured external name")
    sh.add_argument("--format", choices=["text", "json"], default="text")
    _config_option(sh)
    sh.set_defaults(func=run_show)

    c = verbs.add_parser(
        "check",
        help="look the name up in DNS (A/AAAA, MX, SRV) and report mismatches",
        description=(
            "Look the external name up in DNS: its A/AAAA records, the domain's MX hosts and the SRV"
            " records self-configuring clients follow; with --cert also whether the certificate"
            " covers them for every client profile. Exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN."
        ),
    )
    c.add_argument("domain", nargs="?", metavar="DOMAIN", help="check this domain instead of the configured one")
    c.add_argument("--prefix", default=None, help="with DOMAIN: the host part (default remote)")
    c.add_argument("--nameserver", action="append", default=[], metavar="IP[:PORT]", help="ask this DNS server (repeatable; default: the system's)")
    c.add_argument("--timeout", type=float, default=5.0, metavar="S", help="seconds to wait for each DNS answer (default 5)")
    c.add_argument("--cert", metavar="FILE", help="also check that this certificate covers the FQDN, MX and SRV hosts")
    c.add_argument("--password-env", metavar="VAR", help="environment variable holding the password of a PFX --cert")
    c.add_argument("--no-srv", action="store_true", help="skip the SRV lookups")
    c.add_argument("--format", choices=["text", "json"], default="text")
    _config_option(c)
    c.set_defaults(func=run_check)



def run_set(args: argparse.Namespace) -> int:
    domain, prefix, fqdn = external_fqdn(args.domain, args.prefix)
    path = config_file(args.config)
    backup = save_address(path, AddressConfig(domain=domain, prefix=prefix))
    say(
        f"External FQDN: {fqdn}",
        f"  saved in {path}" + (f" (previous file kept as {backup.name})" if backup else ""),
        f"  next: `mailcert address check`, then `mailcert cert new --csr --out {shlex.quote(fqdn)}` (CN and first name {fqdn})",
    )
    return 0


def run_show(args: argparse.Namespace) -> int:
    path = config_file(args.config)
    address = load_address(path)
    if address is None:
        raise InputError(f"no external name configured in {path}; run: mailcert address set DOMAIN")
    if args.format == "json":
        doc = {"fqdn": address.fqdn, "domain": address.domain, "prefix": address.prefix, "config": str(path)}
        print(json.dumps(doc, indent=2))
    else:
        how = f"prefix {address.prefix!r} + domain {address.domain}" if address.prefix else f"the bare domain {address.domain}"
        say(f"External FQDN: {address.fqdn} ({how})", f"  configuration: {path}")
    return 0


def run_check(args: argparse.Namespace) -> int:
    if args.domain:
        domain, _, fqdn = external_fqdn(args.domain, "remote" if args.prefix is None else args.prefix)
    else:
        if args.prefix is not None:
            raise InputError("--prefix goes with DOMAIN; to change the configured name run: mailcert address set DOMAIN --prefix P")
        path = config_file(args.config)
        address = load_address(path)
        if address is None:
            raise InputError(f"no external name configured in {path}; run: mailcert address set DOMAIN (or give DOMAIN)")
        domain, fqdn = address.domain, address.fqdn
    if args.timeout <= 0:
        raise InputError("--timeout must be a positive number of seconds")

    verdicts: Callable[[str], Sequence[Any]] | None = None
    if args.cert:
        leaf = load_certificates(args.cert, password=password_from_env(args.password_env))[0]
        verdicts = functools.partial(verdicts_for, leaf)

    resolver = DnsResolver(args.nameserver, timeout=args.timeout)
    report = check_address(fqdn, domain, resolver, verdicts=verdicts, srv_services=() if args.no_srv else SRV_SERVICES)
    if args.format == "json":
        print(json.dumps(report.to_json(), indent=2))
    else:
        say(*_render(report))
    return int(report.status)


def _render(report: Any) -> list[str]:
    def cover(c: bool | None) -> str:
        return "" if c is None else ("  [covered by the certificate]" if c else "  [NOT covered by the certificate]")

    lines = [f"External FQDN: {report.fqdn} (domain {report.domain})"]
    lines.append(f"  A/AAAA  {report.fqdn} -> {', '.join(report.addresses) or '(none)'}")
    if not report.mx:
        lines.append(f"  MX      {report.domain} -> (none)")
    for m in report.mx:
        lines.append(f"  MX {m.preference:<4} {m.host} -> {', '.join(m.addresses) or '(does not resolve)'}{cover(m.covered)}")
    for s in report.srv:
        lines.append(f"  SRV     {s.service}.{report.domain} -> {s.target}:{s.port}{cover(s.covered)}")
    if report.findings:
        lines.append("Findings:")
        for f in report.findings:
            lines.append(f"  {f.severity.value.upper():<8} {f.code}: {f.title}")
            lines.append(f"           remedy: {f.remedy}")
    lines.append(f"Status: {report.status.name}")
    return lines
