"""``mailcert check TARGET``: the doctor for a live POP3/IMAP/SMTP/HTTPS server."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from mailcert.assess import select_profiles
from mailcert.certs.chain import TrustStore
from mailcert.commands._common import add_judgement_options, critical_days, emit, in_flags, parse_when
from mailcert.doctor import diagnose
from mailcert.errors import MailcertError
from mailcert.judgement import Judgement
from mailcert.model import Protocol, Status, parse_connect, parse_target
from mailcert.probe.driver import ProbeOptions, ProbeResult, probe_both_sync
from mailcert.report import checkout
from mailcert.report.text import Style

if TYPE_CHECKING:
    import datetime as dt

    from mailcert.probe.driver import SniPair
    from mailcert.revocation import RevocationFacts

__all__ = ["register", "run"]


def register(sub: Any) -> None:
    p = sub.add_parser(
        "check",
        help="the doctor: connect to a mail server (with and without SNI) and judge what it serves",
        description=(
            "Connect to TARGET the way each client would (implicit TLS or STARTTLS, with and"
            " without SNI), fetch the full chain and report, per client, whether it accepts the"
            " certificate for the server name users type; chain trust, expiry, key and signature"
            " strength. TARGET: host, host:port, or imap:// imaps:// pop3:// pop3s:// smtp://"
            " smtps:// https:// followed by host[:port]. Exit 0 OK, 1 WARNING, 2 CRITICAL,"
            " 3 UNKNOWN (Nagios/Icinga convention)."
        ),
    )
    p.add_argument("target", metavar="TARGET")
    add_judgement_options(p, formats=("text", "json", "nagios"))
    p.add_argument("--connect", metavar="HOST[:PORT]", help="connect here instead of TARGET's host (like curl --connect-to)")
    p.add_argument("--cafile", metavar="FILE", help="trust these CA certificates instead of the system store (PEM, DER, PKCS#7, or a Java keystore: a JDK's cacerts, JKS or PKCS#12)")
    p.add_argument("--timeout", type=float, default=10.0, metavar="S", help="overall deadline per connection, seconds (default 10)")
    p.add_argument("--ehlo", metavar="NAME", help="name to give in SMTP EHLO (default: our address literal)")
    p.add_argument(
        "--ocsp", action="store_true",
        help="check revocation over OCSP: ask the server to staple its response, and ask the responder the certificate names (AIA)",
    )
    p.add_argument("--crl", action="store_true", help="check revocation in the CRL the certificate names (CRL distribution point)")
    p.add_argument(
        "--dane", action="store_true",
        help="judge the sending mail servers (DANE TLSA, MTA-STS) on this SMTP port too (always on for port 25)",
    )
    p.add_argument("--resolver", metavar="ADDR[:PORT]", help="the DNSSEC-validating resolver to ask for TLSA (default: the system's)")
    p.add_argument("--mail-domain", metavar="DOMAIN", help="the mail domain this MX serves: its MTA-STS policy is checked too")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    profiles = select_profiles(args.client)
    now = parse_when(args.at)
    critical = critical_days(args)
    endpoint = parse_target(args.target)
    connect_host, connect_port = parse_connect(args.connect) if args.connect else (None, None)
    options = ProbeOptions(args.timeout, connect_host, connect_port, args.ehlo, ocsp_stapling=args.ocsp)
    names = tuple(args.name) or (endpoint.host,)
    store = TrustStore.from_file(args.cafile) if args.cafile else TrustStore.system()
    senders = endpoint.protocol is Protocol.SMTP and (endpoint.port == 25 or args.dane or args.mail_domain)
    if senders or args.resolver:
        # lazy: dnspython only for a sender check (port 25, --dane): check's start-up
        from mailcert.probe.dane import lookup_sync, parse_resolver
        from mailcert.senders import sender_profiles, with_senders

        resolver = parse_resolver(args.resolver)  # bad input is said before any connection
    try:
        pair = probe_both_sync(endpoint, names[0], options)
        revocation = _revocation(args, pair, store, now)
        diagnosis = diagnose(pair, names, Judgement(tuple(profiles), store, now, args.warn_days, critical), revocation=revocation)
        if senders:
            # the TLSA name has the port a sender connects to: TARGET's, whatever --connect says
            tlsa, sts = lookup_sync(resolver, names[0], endpoint.port, args.mail_domain, timeout=args.timeout,
                                    cadata=store.pem if args.cafile else None)
            diagnosis = with_senders(diagnosis, tlsa, sts, now=now, profiles=sender_profiles(args.client))
    except MailcertError as exc:
        if args.format == "nagios":
            # lazy: only --format nagios renders a plugin line
            from mailcert.report.nagios import unknown_line

            emit(unknown_line(f"{endpoint.url}: {in_flags(exc)}"))
            return int(Status.UNKNOWN)
        raise

    if args.format == "json":
        emit(checkout.json_text(diagnosis))
    elif args.format == "nagios":
        # lazy: only --format nagios renders a plugin line
        from mailcert.report.nagios import certificate_line

        emit(certificate_line(diagnosis.assessment, endpoint.url, diagnosis.chain))
    else:
        emit(checkout.text(diagnosis, Style.for_stream(sys.stdout)))
    return int(diagnosis.assessment.status)


def _revocation(args: argparse.Namespace, pair: SniPair, store: TrustStore, now: dt.datetime) -> RevocationFacts | None:
    """--ocsp / --crl: what the staple, the responder and the CRL say about the served leaf."""
    if not (args.ocsp or args.crl):
        return None
    # lazy: OCSP/CRL fetching only with --ocsp/--crl: check's start-up
    from mailcert.revocation import RevocationRequest, gather_revocation

    served = pair.with_sni if isinstance(pair.with_sni, ProbeResult) else pair.without_sni
    if not isinstance(served, ProbeResult):
        return None  # nothing was served: diagnose reports the connection error
    request = RevocationRequest(ocsp=args.ocsp, crl=args.crl, timeout=args.timeout)
    return gather_revocation(served, store, request, now=now)
