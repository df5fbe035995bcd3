"""``mailcert demo``: the KB958977 / SBS 2008 case reproduced, explained and fixed, in seconds.

Nothing needs installing: an embedded mail endpoint (``mailcert.testing``) serves an SBS
2008-style self-signed certificate on loopback; the doctor predicts Outlook 2007's warning;
the certificate is re-issued with the public name first (what ``mailcert cert fix`` does);
the re-check comes back clean.  The demo is also a self-test: it exits 1 if any step does
not come out as KB958977 says.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sys
from typing import Any

from cryptography import x509

from mailcert.certs import build
from mailcert.certs.chain import TrustStore
from mailcert.commands._common import emit
from mailcert.doctor import diagnose
from mailcert.judgement import Judgement
from mailcert.names.profiles import DEFAULT_CLIENTS, PROFILES
from mailcert.probe.driver import ProbeOptions, probe_both
from mailcert.report.text import Style, render_table
from mailcert.testing import MailEndpoint

__all__ = ["register", "run"]

INTERNAL, PUBLIC = "sbs.contoso.local", "remote.contoso.com"
SBS_NAMES = (INTERNAL, PUBLIC, "sites", "companyweb")
SCHEMES = ("imap", "pop3", "smtp")  # KB958977's POP3, IMAP4 and SMTP, each with STARTTLS


def register(sub: Any) -> None:
    p = sub.add_parser(
        "demo",
        help="the KB958977 / SBS 2008 case end to end: Outlook 2007's 'target principal name is incorrect', found and fixed",
        description=(
            "Reproduce Microsoft KB958977 on this machine: a local IMAP/POP3/SMTP endpoint with an"
            " SBS 2008-style certificate, the doctor predicting Outlook 2007's warning, the fix"
            " (the public name first), and the re-check coming back clean."
        ),
    )
    p.add_argument("--timeout", type=float, default=5.0, help="per-connection deadline, seconds")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    return asyncio.run(_demo(args.timeout))


async def _demo(timeout: float) -> int:
    style = Style.for_stream(sys.stdout)
    now = dt.datetime.now(dt.timezone.utc)
    say = _Narrator(style)

    say.title("mailcert demo: Microsoft KB958977, reproduced on this machine")
    key = build.new_key("rsa2048")
    sbs = build.self_signed(key, SBS_NAMES, now=now)
    say.step(1, "A Small Business Server 2008-style mail server")
    say.line(f"self-signed certificate, CN {INTERNAL}, SAN in this order: {', '.join(SBS_NAMES)}")
    say.line(f"users have typed {PUBLIC} into Outlook as their POP3, IMAP and SMTP server")
    say.line("(the SBS wizard installed this certificate on every client PC, so it is trusted there)")

    before = await _check_all(build.cert_to_pem(sbs), build.key_to_pem(key), now, timeout, say)
    case_ok = all(
        d.assessment.status.name == "WARNING"
        and {v.client for v in d.assessment.results if not v.accepted} == {"outlook2007"}
        for d in before
    )
    first = before[0].assessment
    say.step(2, f"The doctor, for the name users type ({PUBLIC}), on each protocol the way each client connects")
    for d in before:
        say.verdict(d)
    say.blank()
    for line in render_table(first, style):
        say.line(line, indent=3)
    outlook = next(v for v in first.results if v.client == "outlook2007")
    say.blank()
    say.line(f"Why: {outlook.reason}.")
    say.line(f'What Outlook 2007 shows at every start: "{outlook.message}"')
    others = [PROFILES[v.client].title for v in first.results if v.accepted]
    say.line(f"Every other client accepts it ({', '.join(others[:4])}, ... {len(others)} in all), as the article says.")

    say.step(3, f"The fix: the same key and names, {PUBLIC} first (CN and first SAN)")
    fixed_names = build.normalise_names([PUBLIC, *build.san_names(sbs)])
    fixed = build.self_signed(key, fixed_names, now=now)
    say.line(f"(in the demo's own directory) mailcert cert fix sbs.pem --key sbs.key --first {PUBLIC} --out fixed")
    say.line(f"new SAN order: {', '.join(build.san_names(fixed))}")
    say.line("then install it: mailcert deploy dovecot --cert fixed, and mailcert deploy postfix --cert fixed"
             " (on SBS: the 'Add a trusted certificate' wizard)")

    say.step(4, "The re-check")
    after = await _check_all(build.cert_to_pem(fixed), build.key_to_pem(key), now, timeout, say)
    for d in after:
        say.verdict(d)
    fixed_ok = all(d.assessment.status.name == "OK" for d in after)
    say.blank()
    if case_ok and fixed_ok:
        say.line(style("Fixed: every client profile accepts remote.contoso.com on IMAP, POP3 and SMTP.", "green"))
        say.line(
            "For a certificate trusted by phones and new PCs too:"
            f" `mailcert acme issue --name {PUBLIC} --directory letsencrypt --agree-tos --out {PUBLIC}`"
        )
        return 0
    say.line(style("The demo did not come out as KB958977 says; see the verdicts above.", "red"))
    return 1


async def _check_all(cert_pem: bytes, key_pem: bytes, now: dt.datetime, timeout: float, say: _Narrator) -> list[Any]:
    """Serve the certificate on IMAP, POP3 and SMTP (STARTTLS) and diagnose all three at once."""
    store = TrustStore([x509.load_pem_x509_certificate(cert_pem)], "certificate installed on the clients")
    async with MailEndpoint(cert_pem, key_pem, hostname=INTERNAL) as server:
        pairs = await asyncio.gather(*(probe_both(server.endpoint(s), PUBLIC, ProbeOptions(timeout=timeout)) for s in SCHEMES))
    judgement = Judgement(tuple(PROFILES[c] for c in DEFAULT_CLIENTS), store, now)
    return [diagnose(p, (PUBLIC,), judgement) for p in pairs]


class _Narrator:
    """Numbered steps and indented lines; the story a person reads top to bottom."""

    def __init__(self, style: Any) -> None:
        self.style = style

    def title(self, text: str) -> None:
        emit(self.style(text, "bold") + "\n")

    def step(self, n: int, text: str) -> None:
        emit("\n" + self.style(f"{n}. {text}", "bold") + "\n")

    def line(self, text: str, indent: int = 3) -> None:
        emit(" " * indent + text + "\n")

    def blank(self) -> None:
        emit("\n")

    def verdict(self, d: Any) -> None:
        a = d.assessment
        refused = [v.client for v in a.results if not v.accepted]
        colour = {"OK": "green", "WARNING": "yellow"}.get(a.status.name, "red")
        who = f"refused by {', '.join(refused)}" if refused else f"accepted by all {len(a.results)} client profiles"
        codes = ", ".join(f.code for f in a.findings if f.severity.value != "info")
        url = d.served.endpoint.url
        self.line(f"{url:<28} {self.style(a.status.name, colour):<8} {who}" + (f" [{codes}]" if codes else ""))
