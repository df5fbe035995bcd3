"""``mailcert inspect FILE``: judge a certificate file for every client, offline."""

from __future__ import annotations

import argparse
import dataclasses
import getpass
import sys
from typing import Any

from mailcert.assess import assess_certificate, default_names, ordered_findings, select_profiles, status_of, trust_findings
from mailcert.certs.chain import TrustStore, verify_chain
from mailcert.certs.info import facts_from_certificate
from mailcert.certs.load import load_certificates, password_from_env
from mailcert.commands._common import add_judgement_options, critical_days, emit, parse_when
from mailcert.judgement import Judgement
from mailcert.report.jsonout import assessment_document, certificate_document, dumps
from mailcert.report.nagios import certificate_line
from mailcert.report.text import Style, render_assessment, render_certificate

__all__ = ["register", "run"]


def register(sub: Any) -> None:
    p = sub.add_parser(
        "inspect",
        help="judge a certificate file: which clients accept it for which names, and why not",
        description=(
            "Read a certificate (PEM, DER, chain, PKCS#7, PKCS#12/PFX) and say, for each server"
            " name and each client profile, whether that client accepts it, and why not in the"
            " client's own words. Exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (Nagios/Icinga convention;"
            " --format nagios prints the plugin line with days-left performance data)."
        ),
    )
    p.add_argument("file", metavar="FILE", help="certificate file")
    add_judgement_options(p, formats=("text", "json", "nagios"))
    p.add_argument("--password-env", metavar="VAR", help="environment variable holding the PKCS#12 password")
    p.add_argument(
        "--chain", metavar="FILE",
        help="intermediate certificates the server sends after it (judged with those in FILE itself)",
    )
    p.add_argument(
        "--cafile", metavar="FILE",
        help="judge the chain against these trust anchors (default with --chain: the system store); PEM, DER, PKCS#7,"
             " or a Java keystore (a JDK's cacerts, JKS or PKCS#12)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    profiles = select_profiles(args.client)
    now = parse_when(args.at)
    critical = critical_days(args)
    certs = load_certificates(args.file, password=password_from_env(args.password_env), ask_password=_prompt)
    facts = facts_from_certificate(certs[0], source=args.file)
    chain = [facts_from_certificate(c, source=args.file) for c in certs[1:]]
    names = tuple(args.name) or default_names(facts)
    # the chain is judged when asked for (--chain, --cafile); otherwise each client's own
    # rules on the certificate still apply
    judged = list(certs) + (list(load_certificates(args.chain)) if args.chain else []) if args.chain or args.cafile else None
    store = TrustStore.from_file(args.cafile) if args.cafile else None
    judgement = Judgement(tuple(profiles), store, now, args.warn_days, critical)
    assessment = assess_certificate(facts, names, judgement, source=args.file, chain=judged)
    if judged:
        trust = verify_chain(judged, judgement.trust_store(), now=now)
        found = ordered_findings([*assessment.findings, *trust_findings(trust, names[0] if names else "NAME", args.file, assessment.results)])
        assessment = dataclasses.replace(assessment, findings=tuple(found), status=status_of(found))
    if args.format == "json":
        extra = {"source": args.file, "chain": [certificate_document(c) for c in chain]}
        emit(dumps(assessment_document(assessment, **extra)) + "\n")
    elif args.format == "nagios":
        emit(certificate_line(assessment, args.file, chain))
    else:
        style = Style.for_stream(sys.stdout)
        text = render_assessment(assessment, style=style, source=args.file)
        for i, c in enumerate(chain, 1):
            text += "\n" + "\n".join(render_certificate(c, now, style, f"Also in the file (#{i + 1})")) + "\n"
        emit(text)
    return int(assessment.status)


def _prompt() -> bytes | None:
    """Ask for a PFX password only when a person is there to answer."""
    if not sys.stdin.isatty():
        return None

    return getpass.getpass("PKCS#12 password: ").encode("utf-8")
