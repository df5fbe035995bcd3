"""Every command mailcert prints for the administrator to run runs as printed.

The commands are collected from real outputs (``check`` text and JSON against local
endpoints, ``inspect`` text and JSON of problem certificates, ``report`` HTML, JSON and CSV
of a scan of those endpoints): a command is what a remedy quotes in backticks.  Each one is
then run in a sandbox (its own directory, HOME, configuration and ACME state), with only the
placeholders for what the administrator alone has (``KEY``, ``ISSUED.pem``,
``INTERMEDIATE.pem``, ``ROOT.pem``, ``THE-CERT.pem``) replaced by the sandbox's files, and it
must do what it says: ``cert fix`` puts the name first, ``cert new --csr`` writes a request
with the name first, ``cert import`` installs what the CA issued for that request, ``check
--cafile`` trusts the chain.  Commands that need the outside world (``acme issue`` needs a CA,
``deploy`` a running server) must parse with mailcert's own parser and find what the earlier
steps made (``deploy --cert DIR`` gets a directory ``deploy`` accepts).
"""

from __future__ import annotations

import datetime as dt
import html
import json
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from mailcert.certs.build import TestCA, cert_to_pem, key_to_pem, new_key, san_names, self_signed
from mailcert.cli import build_parser
from mailcert.deploy.bundle import bundle_from_dir
from mailcert.testing import MailEndpoint

NAME = "remote.contoso.com"
NOW = dt.datetime.now(dt.timezone.utc)
PLACEHOLDERS = ("KEY", "ISSUED.pem", "INTERMEDIATE.pem", "ROOT.pem", "THE-CERT.pem")
COMMAND = re.compile(r"`([^`]+)`")


@dataclass(frozen=True)
class Case:
    """A certificate with a problem, its key, and who signed it."""

    label: str
    cert: x509.Certificate
    key_pem: bytes
    root_pem: bytes  # the certificate that anchors it (itself when self-signed)

    def write(self, where: Path) -> tuple[Path, Path]:
        cert, key = where / f"{self.label}.pem", where / f"{self.label}.key"
        cert.write_bytes(cert_to_pem(self.cert))
        key.write_bytes(self.key_pem)
        key.chmod(0o600)
        return cert, key


@pytest.fixture(scope="module")
def ca() -> TestCA:
    return TestCA(now=NOW)


def _issued(ca: TestCA, label: str, *names: str, **kwargs: object) -> Case:
    got = ca.issue_cert(*names, **kwargs)  # type: ignore[arg-type]
    return Case(label, got.cert, got.key_pem, cert_to_pem(ca.cert))


@pytest.fixture(scope="module")
def cases(ca: TestCA) -> dict[str, Case]:
    sbs_key = new_key()
    sbs = self_signed(sbs_key, ["sbs.contoso.local", NAME, "companyweb.contoso.local"], now=NOW)
    made = {
        "sbs": Case("sbs", sbs, key_to_pem(sbs_key), cert_to_pem(sbs)),  # KB958977, self-signed
        "ordered-by-ca": _issued(ca, "ordered-by-ca", "mail.contoso.local", NAME),
        "expired": _issued(ca, "expired", NAME, not_before=NOW - dt.timedelta(days=400), not_after=NOW - dt.timedelta(days=3)),
        "soon": _issued(ca, "soon", NAME, not_before=NOW - dt.timedelta(days=80), not_after=NOW + dt.timedelta(days=5)),
        "weak": _issued(ca, "weak", NAME, rsa_bits=1024),
        "wildcard-first": _issued(ca, "wildcard-first", "*.contoso.com", NAME),
        "other-name": _issued(ca, "other-name", "www.fabrikam.com"),
        "cn-only": _issued(ca, "cn-only", exact=True, common_name=NAME),
    }
    return made


@dataclass
class Sandbox:
    root: Path
    env: dict[str, str]

    def run(self, argv: list[str], *, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        if argv[0] == "mailcert":
            argv = [sys.executable, "-m", "mailcert", *argv[1:]]
        return subprocess.run(argv, cwd=self.root, env=self.env, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)


def sandbox(base: Path, name: str) -> Sandbox:
    root = base / name
    root.mkdir(parents=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MAILCERT_", "XDG_", "RENEWED_", "CERT_"))}
    env.update(HOME=str(root), MAILCERT_CONFIG=str(root / "config.toml"), MAILCERT_STATE_DIR=str(root / "state"), NO_COLOR="1", COLUMNS="100")
    return Sandbox(root, env)


@dataclass
class Printed:
    """A command as printed, where it was printed, and the case it was printed for."""

    command: str
    where: str
    case: Case


def commands_in(text: str) -> list[str]:
    return [c.strip() for c in COMMAND.findall(text) if c.strip()]


@pytest.fixture(scope="module")
def printed(cases: dict[str, Case], tmp_path_factory: pytest.TempPathFactory) -> list[Printed]:
    """Every command in the outputs of check, inspect and report for the cases above."""
    files = tmp_path_factory.mktemp("printed-by")
    box = sandbox(files, "run")
    found: list[Printed] = []

    def collect(text: str, where: str, case: Case) -> None:
        found.extend(Printed(c, where, case) for c in commands_in(text))

    for label in ("expired", "soon", "weak", "wildcard-first", "other-name", "cn-only", "sbs"):
        case = cases[label]
        cert, _ = case.write(files)
        for fmt in ("text", "json"):
            out = box.run(["mailcert", "inspect", str(cert), "--name", NAME, "--format", fmt])
            assert out.returncode in (0, 1, 2), out.stderr
            collect(out.stdout, f"inspect {label} {fmt}", case)
    for label in ("sbs", "ordered-by-ca"):
        case = cases[label]
        with MailEndpoint(cert_to_pem(case.cert), case.key_pem) as server:
            url = server.url("imap")
            for fmt in ("text", "json"):
                out = box.run(["mailcert", "check", url, "--name", NAME, "--format", fmt])
                assert out.returncode in (0, 1, 2), out.stderr
                collect(out.stdout, f"check {label} {fmt}", case)
            (files / f"targets-{label}").write_text(f"{url} {NAME}\n")
            scan = box.run(["mailcert", "scan", str(files / f"targets-{label}"), "--quiet", "--db", str(files / "inv.sqlite3")])
            assert scan.returncode in (0, 1, 2), scan.stderr
            report = box.run(["mailcert", "report", "--db", str(files / "inv.sqlite3"),
                              "--html", str(files / "r.html"), "--json", str(files / "r.json"), "--csv", str(files / "r.csv")])
            assert report.returncode == 0, report.stderr
            page = (files / "r.html").read_text()
            for code in re.findall(r"<code>(.*?)</code>", page, re.S):
                text = html.unescape(code)
                if text.startswith(("mailcert ", "date ")):
                    found.append(Printed(text, f"report html {label}", case))
            doc = json.loads((files / "r.json").read_text())
            for row in doc["results"]:
                for f in row.get("findings", []):
                    collect(f["remedy"], f"report json {label}", case)
    return found


def _placeholder_files(box: Sandbox, case: Case, ca: TestCA) -> dict[str, str]:
    cert, key = case.write(box.root)
    (box.root / "ROOT.pem").write_bytes(case.root_pem)
    (box.root / "THE-CERT.pem").write_bytes(case.root_pem)
    (box.root / "INTERMEDIATE.pem").write_bytes(cert_to_pem(ca.cert))
    return {"KEY": str(key)}


def _first_name(path: Path) -> str:
    data = path.read_bytes()
    if b"CERTIFICATE REQUEST" in data:
        return san_names(x509.load_pem_x509_csr(data))[0]
    return san_names(x509.load_pem_x509_certificate(data))[0]


def _option(argv: list[str], flag: str) -> str:
    return argv[argv.index(flag) + 1]


def run_as_printed(p: Printed, box: Sandbox, ca: TestCA) -> None:
    """Run one printed command in ``box`` and check it did what it says."""
    words = shlex.split(p.command)
    swap = _placeholder_files(box, p.case, ca)
    argv = [swap.get(w, w) for w in words]
    if argv[0] == "date":
        assert box.run(argv).returncode == 0
        return
    assert argv[0] == "mailcert", p
    args = build_parser().parse_args(argv[1:])  # parses as mailcert's own command line
    verb = (args.command, getattr(args, "cert_command", None) or getattr(args, "acme_command", None))
    if verb == ("cert", "new"):
        done = box.run(argv)
        assert done.returncode == 0, (p, done.stderr)
        request = box.root / args.out / "request.csr"
        assert _first_name(request) == args.name.lower()
        if args.alt:
            assert san_names(x509.load_pem_x509_csr(request.read_bytes()))[1:] == tuple(a.lower() for a in args.alt)
        return
    if verb == ("cert", "fix"):
        done = box.run(argv)
        assert done.returncode in (0, 1), (p, done.stdout, done.stderr)
        if done.returncode == 0:
            assert _first_name(box.root / args.out / "cert.pem") == args.first
        else:
            assert "not self-signed" in done.stdout  # a CA-issued one: it says to ask the CA
        return
    if verb == ("cert", "import"):
        # the step before it in the remedy: the request, then the CA answers it
        made = box.run(["mailcert", "cert", "new", "--name", NAME, "--csr", "--out", args.out])
        assert made.returncode == 0, made.stderr
        csr = x509.load_pem_x509_csr((box.root / args.out / "request.csr").read_bytes())
        (box.root / "ISSUED.pem").write_bytes(cert_to_pem(ca.sign_csr(csr)))
        done = box.run([*argv, "--cafile", str(box.root / "INTERMEDIATE.pem")])
        assert done.returncode in (0, 1), (p, done.stdout, done.stderr)
        assert _first_name(box.root / args.out / "fullchain.pem") == NAME
        return
    if verb[0] == "deploy":
        # deploy needs a running server; what it reads must be what the remedy's steps made
        box.run(["mailcert", "cert", "new", "--name", NAME, "--self-signed", "--out", args.cert])
        bundle_from_dir(box.root / args.cert)
        return
    if verb == ("acme", "renew"):
        done = box.run(argv)  # nothing issued in this sandbox: nothing due, exit 0
        assert done.returncode == 0, (p, done.stdout, done.stderr)
        return
    if verb == ("acme", "issue"):
        assert args.name and args.out  # needs a CA on the network: parsed, not run
        return
    if verb[0] == "check":
        done = box.run([*argv, "--format", "json"])
        assert done.returncode in (0, 1), (p, done.stdout, done.stderr)
        assert json.loads(done.stdout)["trust"]["trusted"] is True
        return
    raise AssertionError(f"a printed command this test does not know how to run: {p.command} ({p.where})")


def test_outputs_print_commands_and_no_placeholder_but_the_administrators(printed: list[Printed]) -> None:
    assert len({p.command for p in printed}) >= 8, [p.command for p in printed]
    wheres = {p.where.split()[0] for p in printed}
    assert {"inspect", "check", "report"} <= wheres
    for p in printed:
        assert "DIR" not in shlex.split(p.command) and "dovecot|postfix" not in p.command, p
        leftovers = [w for w in re.findall(r"\b[A-Z][A-Z0-9_-]{2,}(?:\.pem)?\b", p.command) if w not in PLACEHOLDERS]
        assert not leftovers, (p.command, leftovers)


def test_every_printed_command_runs_as_printed(printed: list[Printed], ca: TestCA, tmp_path: Path) -> None:
    seen: set[tuple[str, str]] = set()
    for i, p in enumerate(printed):
        key = (p.command, p.case.label)
        if key in seen:
            continue
        seen.add(key)
        endpoint_needed = "://127.0.0.1:" in p.command
        box = sandbox(tmp_path, f"c{i}")
        if endpoint_needed:
            port = int(re.search(r"://127\.0\.0\.1:(\d+)", p.command).group(1))  # type: ignore[union-attr]
            with MailEndpoint(cert_to_pem(p.case.cert), p.case.key_pem, ports={"imap": port}):
                run_as_printed(p, box, ca)
        else:
            run_as_printed(p, box, ca)


def test_a_hostile_name_stays_one_word_in_a_printed_command() -> None:
    """A wildcard read from a certificate goes into `--alt`: pasted into a shell it is one
    argument, never a second command."""
    from mailcert.findings import finding

    hostile = "*.contoso.com';touch /tmp/pwned;'"
    remedy = finding("wildcard-first-san", pattern=hostile, name=NAME).remedy
    (command,) = commands_in(remedy)
    words = shlex.split(command)
    assert words[words.index("--alt") + 1] == hostile and "touch" not in words


def test_address_set_hints_run_as_printed(tmp_path: Path) -> None:
    """`address set` tells what to run next; those commands run in the same place."""
    box = sandbox(tmp_path, "address")
    done = box.run(["mailcert", "address", "set", "contoso.com"])
    assert done.returncode == 0, done.stderr
    commands = commands_in(done.stdout)
    assert [c.split()[:3] for c in commands] == [["mailcert", "address", "check"], ["mailcert", "cert", "new"]]
    build_parser().parse_args(shlex.split(commands[0])[1:])  # needs DNS: parsed, not run
    made = box.run(shlex.split(commands[1]))
    assert made.returncode == 0, made.stderr
    assert _first_name(box.root / NAME / "request.csr") == NAME


def _verbs(parser: object, command: str) -> set[str]:
    sub = parser._subparsers._group_actions[0].choices[command]  # type: ignore[attr-defined]
    nested = [a for a in sub._actions if a.__class__.__name__ == "_SubParsersAction"]
    return set(nested[0].choices) if nested else set()


def test_every_catalogue_remedy_quotes_commands_that_parse() -> None:
    """The rule for every finding, also ones no test above provokes: a command to run is in
    backticks, filled it parses as mailcert's own command line, and no remedy leaves the
    administrator a DIR or a "dovecot|postfix" to work out."""
    from mailcert.commands import COMMANDS
    from mailcert.findings import CATALOGUE, fill

    parser = build_parser()
    offences = []
    for code, spec in CATALOGUE.items():
        numbers = {"port": 25, "days": 9, "bits": 1024, "position": 2, "warn_days": 30, "critical_days": 7}
        facts = {k: numbers.get(k, "mail.example.com") for k in re.findall(r"\{(\w+)\}", spec.remedy)}
        remedy = fill(spec.remedy, facts)
        named = set(re.findall(r"\bmailcert ([a-z][a-z-]*)", remedy))
        if named - set(COMMANDS):
            # a command another issue is still building (issue 15's `mailcert dane`): held to
            # this rule from the day it is registered
            continue
        outside = " ".join(remedy.split("`")[::2])
        for command, verb in re.findall(r"\bmailcert ([a-z-]+)(?: ([a-z-]+))? --", outside):
            if command in COMMANDS and (not verb or verb in _verbs(parser, command)):
                offences.append(f"{code}: unquoted command mailcert {command} {verb}")
        if "DIR" in remedy.split() or "dovecot|postfix" in remedy:
            offences.append(f"{code}: leaves DIR or dovecot|postfix to the reader")
        for command in commands_in(remedy):
            words = [w for w in shlex.split(command) if w not in PLACEHOLDERS]
            if words[0] == "mailcert":
                try:
                    build_parser().parse_args(shlex.split(command)[1:])
                except BaseException as exc:  # noqa: BLE001 - the usage error says what is wrong
                    offences.append(f"{code}: {command}: {exc}")
    assert offences == []


def test_demo_prints_a_runnable_next_step(tmp_path: Path) -> None:
    """The demo's advice for the real server parses as printed (it needs a CA, so it is not run)."""
    box = sandbox(tmp_path, "demo")
    done = box.run(["mailcert", "demo"], timeout=300)
    assert done.returncode == 0, done.stderr
    commands = commands_in(done.stdout)
    assert commands and all(c.startswith("mailcert acme issue") for c in commands), commands
    for command in commands:
        args = build_parser().parse_args(shlex.split(command)[1:])
        assert args.name == NAME and args.out == NAME
    assert "dovecot|postfix" not in done.stdout


def test_cert_new_next_step_runs_as_printed(tmp_path: Path, ca: TestCA) -> None:
    """`cert new --csr` says what to run when the CA has answered; it runs in the same place."""
    box = sandbox(tmp_path, "csr")
    made = box.run(["mailcert", "cert", "new", "--name", NAME, "--csr", "--out", "my certs"])
    assert made.returncode == 0, made.stderr
    (command,) = commands_in(made.stdout)
    csr = x509.load_pem_x509_csr((box.root / "my certs" / "request.csr").read_bytes())
    (box.root / "ISSUED.pem").write_bytes(cert_to_pem(ca.sign_csr(csr)))
    (box.root / "ca.pem").write_bytes(cert_to_pem(ca.cert))
    done = box.run([*shlex.split(command), "--cafile", "ca.pem"])
    assert done.returncode in (0, 1), done.stdout + done.stderr
    assert _first_name(box.root / "my certs" / "fullchain.pem") == NAME
