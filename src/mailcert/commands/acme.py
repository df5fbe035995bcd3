"""``mailcert acme issue|renew``: a trusted certificate from an ACME CA, planned for the mail clients.

Exit status: 0 issued and installed (renew: every due certificate renewed, or nothing due);
1 not installed: the plan or the issued certificate fails a configured client, the CA or a
challenge failed, a hook failed; 3 bad input.  Heavy libraries (acme, josepy, requests) are
imported inside the handlers only.
"""

from __future__ import annotations

import argparse
import os
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from mailcert.certs.build import normalise_names, parse_key_type
from mailcert.commands._common import add_tlsa_guard_options, add_verbs, client_help, emit, in_flags, say, tlsa_guard_for
from mailcert.commands._places import configured_fqdn, state_path
from mailcert.errors import InputError, MailcertError
from mailcert.issue.clock import SystemClock
from mailcert.issue.issuer import IssueRequest, IssueStatus, issue
from mailcert.issue.plan import CaSortsNames
from mailcert.issue.renew import check_due, request_for, run_deploy_hook
from mailcert.issue.state import ChallengeSpec, LineageStore, exclusive
from mailcert.report.acme import document
from mailcert.textsafe import json_dumps

__all__ = ["register", "run_issue", "run_renew"]

DIRECTORY_ALIASES = {
    "letsencrypt": "https://acme-v02.api.letsencrypt.org/directory",
    "letsencrypt-staging": "https://acme-staging-v02.api.letsencrypt.org/directory",
}


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--state-dir", metavar="DIR",
        help="accounts and the list of issued certificates (default: /var/lib/mailcert as root, else ~/.local/state/mailcert;"
        " or $MAILCERT_STATE_DIR)",
    )
    p.add_argument("--timeout", type=float, default=90.0, metavar="S", help="deadline for validation and issuance, seconds (default 90)")
    p.add_argument("--hook-timeout", type=float, default=300.0, metavar="S", help="deadline for each hook command, seconds (default 300)")
    keys = p.add_mutually_exclusive_group()
    keys.add_argument("--reuse-key", action="store_true", help="certify the key already in the output directory (key.pem): published TLSA 3 1 1 records stay valid")
    keys.add_argument("--next-key", action="store_true", help="certify the pre-generated next key (next-key.pem, made by mailcert dane) once its TLSA record is out")
    add_tlsa_guard_options(p, "install")


def register(sub: Any) -> None:
    p = sub.add_parser(
        "acme",
        help="obtain and renew a trusted certificate over ACME, planned so every mail client accepts it",
        description=(
            "Obtain a certificate from an ACME CA (Let's Encrypt and others) with the mail name first,"
            " checked against every client profile before it is ordered and after it is issued, and renew it."
        ),
    )
    verbs = add_verbs(p, "acme_command")

    i = verbs.add_parser(
        "issue",
        help="order a certificate: plan for the clients, answer the challenge, check, install",
        description=(
            "Order a certificate for --name (first SAN and CN) and the --alt names, answer the CA's"
            " challenge (http-01 on a built-in listener, --webroot, or dns-01 through --dns-hook), check the"
            " issued certificate with every client profile, and write cert.pem, chain.pem, fullchain.pem and"
            " key.pem into --out. Nothing in --out changes unless every configured client accepts the result."
            " Exit 0 installed, 1 not installed, 3 bad input."
        ),
    )
    i.add_argument("--name", metavar="FQDN", help="the name users type into their mail client (default: the configured address)")
    i.add_argument("--alt", action="append", default=[], metavar="NAME", help="another name, after the FQDN (repeatable)")
    i.add_argument(
        "--directory", required=True, metavar="URL",
        help="the CA's ACME directory URL (or letsencrypt, letsencrypt-staging)",
    )
    i.add_argument("--out", required=True, metavar="DIR", help="where cert.pem, chain.pem, fullchain.pem and key.pem go")
    i.add_argument("--agree-tos", action="store_true", help="agree to the CA's terms of service (needed once, to register the account)")
    i.add_argument("--email", metavar="ADDR", help="contact address for the new account (optional)")
    i.add_argument("--ca-bundle", metavar="FILE", help="CA certificate(s) to verify the directory's HTTPS with (a private CA, Pebble)")
    how = i.add_mutually_exclusive_group()
    how.add_argument("--webroot", metavar="DIR", help="answer http-01 with files under the document root of the web server on port 80")
    how.add_argument(
        "--dns-hook", metavar="CMD",
        help="answer dns-01: CMD adds/removes the TXT record (MAILCERT_DNS_ACTION, MAILCERT_DNS_NAME, MAILCERT_DNS_VALUE; see README)",
    )
    i.add_argument("--http-port", type=int, default=80, metavar="N", help="port of the built-in http-01 listener (default 80)")
    i.add_argument("--http-address", default="", metavar="ADDR", help="address of the built-in listener (default: every address)")
    i.add_argument("--key-type", default="rsa2048", metavar="TYPE", help="rsa2048 (default, for old clients), rsa3072, rsa4096, ecdsa-p256, ecdsa-p384")
    i.add_argument("--client", action="append", default=[], metavar="ID", help=client_help("plan and check for"))
    i.add_argument(
        "--ca-sorts-names", choices=["auto", "yes", "no"], default="auto",
        help="whether the CA sorts the names itself (auto: yes for Let's Encrypt, no otherwise)",
    )
    i.add_argument("--force", action="store_true", help="order even when the plan predicts a client refusal (the result is still checked)")
    i.add_argument("--config", metavar="FILE", help="configuration file holding the external name (see mailcert address)")
    i.add_argument(
        "--format", choices=["text", "json"], default="text",
        help="text (default), or json: the outcome as one document on standard output, progress on standard error",
    )
    _common(i)
    i.set_defaults(func=run_issue)

    r = verbs.add_parser(
        "renew",
        help="renew every certificate mailcert issued that expires within --days, then run the deploy hook",
        description=(
            "Renew the certificates recorded by acme issue that expire within --days, with the settings they were"
            " issued with; after each renewal run --deploy-hook with RENEWED_LINEAGE and RENEWED_DOMAINS set"
            " (as certbot does). Exit 0 when everything due was renewed or nothing was due, 1 otherwise."
        ),
    )
    r.add_argument("--days", type=int, default=30, metavar="N", help="renew what expires within N days (default 30)")
    r.add_argument("--deploy-hook", metavar="CMD", help="run after each renewal (certbot variables: RENEWED_LINEAGE, RENEWED_DOMAINS)")
    r.add_argument("--dry-run", action="store_true", help="only say what is due")
    _common(r)
    r.set_defaults(func=run_renew)



def _check_timeouts(args: argparse.Namespace) -> None:
    if not args.timeout > 0 or not args.hook_timeout > 0:
        raise InputError("--timeout and --hook-timeout must be positive numbers of seconds")


def _directory(text: str) -> str:
    url = DIRECTORY_ALIASES.get(text.strip().lower(), text.strip())
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise InputError(f"--directory {text!r}: give the CA's ACME directory URL (https://...) or letsencrypt")
    return url


def _report(outcome: Any, out: Path, say: Any = say) -> int:
    """Say how it ended (``say``: where the lines go); the exit status."""
    if outcome.status is IssueStatus.PLAN_REFUSED:
        say(f"Not ordered: a configured client would refuse the certificate; nothing changed in {out}")
        if outcome.plan.layout:
            say("  order the layout above, one certificate per run:")
            for i, names in enumerate(outcome.plan.layout, 1):
                say(f"    certificate {i}: --name {names[0]}" + "".join(f" --alt {n}" for n in names[1:]))
        say("  or add --force to order this one anyway (it is still checked before install)")
        return 1
    if outcome.refusals:
        for v in outcome.refusals:
            say(f"  {v.client} refuses it for {v.name}: {v.reason}")
            if v.message:
                say(f"    the user sees: {v.message}")
    else:
        say(f"  every configured client accepts it for {outcome.plan.mail_name}")
    for line in outcome.tlsa:
        say(f"  TLSA: {in_flags(line)}")
    if outcome.status is IssueStatus.TLSA_REFUSED:
        say(f"Not installed: DANE senders would refuse the new key; {out} is unchanged")
        say(f"  the issued certificate and its key are kept in {outcome.kept_in};"
            " run mailcert dane --cert OUT for the records to publish, or add --allow-tlsa-break to install anyway")
        return 1
    if not outcome.tlsa_ok and outcome.status is IssueStatus.INSTALLED:
        say("  going ahead (--allow-tlsa-break): DANE senders will defer mail to this MX until a TLSA record names the new key")
    if outcome.status is IssueStatus.CLIENT_REFUSED:
        say(f"Not installed: {len(outcome.refusals)} configured client(s) would refuse the issued certificate; {out} is unchanged")
        say(f"  the issued certificate and its key are kept in {outcome.kept_in}")
        return 1
    when = f"{outcome.not_after:%Y-%m-%d}" if outcome.not_after else "?"
    say(f"  chain: {outcome.chain_length} intermediate(s); valid until {when}")
    for line in outcome.written:
        say(line)
    say(f"Done in {outcome.seconds:.2f} s; acme renew will renew it")
    return 0


def _key_choice(args: argparse.Namespace, out: Path) -> tuple[bytes | None, bool]:
    """--reuse-key / --next-key: the key PEM to certify, and whether it is the next key."""
    # lazy: rollover brings dnspython: only --reuse-key/--next-key need it
    from mailcert.rollover import NEXT_KEY_FILE

    if not (args.reuse_key or args.next_key):
        return None, False
    path = out / ("key.pem" if args.reuse_key else NEXT_KEY_FILE)
    try:
        return path.read_bytes(), bool(args.next_key)
    except FileNotFoundError:
        hint = "nothing to reuse yet: issue once without --reuse-key" if args.reuse_key else f"make one first: mailcert dane --cert {out}"
        raise InputError(f"{path}: no such file ({hint})") from None
    except OSError as exc:
        raise InputError(f"{path}: {exc.strerror or exc}") from None


def run_issue(args: argparse.Namespace) -> int:
    _check_timeouts(args)
    fqdn = args.name or configured_fqdn(args.config)
    if not fqdn:
        raise InputError("no FQDN: give --name FQDN, or run mailcert address set DOMAIN first")
    names = normalise_names([fqdn, *args.alt])
    if args.dns_hook:
        spec = ChallengeSpec(method="dns", dns_hook=args.dns_hook)
    elif args.webroot:
        spec = ChallengeSpec(method="webroot", webroot=str(Path(args.webroot).resolve()))
    else:
        spec = ChallengeSpec(method="http", http_port=args.http_port, http_address=args.http_address)
    if args.ca_bundle and not Path(args.ca_bundle).is_file():
        raise InputError(f"--ca-bundle {args.ca_bundle}: no such file")
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out} is not a directory")
    key_pem, from_next = _key_choice(args, out)
    request = IssueRequest(
        names=names,
        directory=_directory(args.directory),
        out=out,
        challenge=spec,
        key_type=parse_key_type(args.key_type),
        clients=tuple(args.client),
        ca_sorts_names=CaSortsNames(args.ca_sorts_names),
        ca_bundle=str(Path(args.ca_bundle).resolve()) if args.ca_bundle else None,
        email=args.email,
        agree_tos=args.agree_tos,
        force=args.force,
        timeout=args.timeout,
        hook_timeout=args.hook_timeout,
        key_pem=key_pem,
        consume_next_key=from_next,
        allow_tlsa_break=args.allow_tlsa_break,
    )
    state = state_path(args.state_dir)
    speak = _to_stderr if args.format == "json" else say  # JSON alone on standard output
    guard = tlsa_guard_for(args, state, names[0], timeout=args.timeout)
    with exclusive(state):
        outcome = issue(request, state=state, clock=SystemClock(), env=dict(os.environ), say=speak, tlsa_guard=guard)
    status = _report(outcome, out, speak)
    if args.format == "json":
        emit(json_dumps(document(outcome, out, status, in_flags)) + "\n")
    return status


def _to_stderr(*lines: str) -> None:
    say(*lines, err=True)


def run_renew(args: argparse.Namespace) -> int:
    _check_timeouts(args)
    if args.days < 0:
        raise InputError(f"--days must be 0 or more, not {args.days}")
    state = state_path(args.state_dir)
    clock = SystemClock()
    store = LineageStore(state)
    lineages = store.load()
    if not lineages:
        say(f"Nothing to renew: mailcert has issued no certificate ({store.path} lists none)")
        return 0
    checks = check_due(lineages, now=clock.now(), days=args.days)
    due = [c for c in checks if c.due]
    if not due:
        nxt = min((c for c in checks if c.not_after), key=lambda c: c.not_after or clock.now())
        say(
            f"Nothing to renew: none of {len(checks)} certificate(s) expires within {args.days} day(s);"
            f" next: {nxt.lineage.names[0]}, {nxt.why}"
        )
        return 0
    for c in checks:
        say(f"{c.lineage.names[0]} ({c.lineage.out}): {'due, ' if c.due else ''}{c.why}")
    if args.dry_run:
        say(f"Dry run: {len(due)} certificate(s) would be renewed")
        return 0
    failed = 0
    env = dict(os.environ)
    with exclusive(state):
        for c in due:
            lin = c.lineage
            say(f"Renewing {lin.names[0]} into {lin.out}")
            try:
                key_pem, from_next = _key_choice(args, Path(lin.out))
                request = replace(
                    request_for(lin, timeout=args.timeout, hook_timeout=args.hook_timeout),
                    key_pem=key_pem, consume_next_key=from_next, allow_tlsa_break=args.allow_tlsa_break,
                )
                guard = tlsa_guard_for(args, state, lin.names[0], timeout=args.timeout)
                outcome = issue(request, state=state, clock=clock, env=env, say=say, tlsa_guard=guard)
                if _report(outcome, Path(lin.out)) != 0 or outcome.status is not IssueStatus.INSTALLED:
                    failed += 1
                    continue
                if args.deploy_hook:
                    run_deploy_hook(args.deploy_hook, lin, env=env, timeout=args.hook_timeout)
                    say(f"  deploy hook done for {lin.out}")
            except MailcertError as exc:
                failed += 1
                say(f"mailcert: error: renewing {lin.names[0]}: {in_flags(exc)}", err=True)
    if failed:
        say(f"Renewed {len(due) - failed} of {len(due)}; {failed} failed")
        return 1
    say(f"Renewed {len(due)} certificate(s)")
    return 0
