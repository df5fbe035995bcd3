"""``mailcert acme issue|renew`` against a real Pebble (ACME test CA) on loopback.

Pebble validates for real: HTTP-01 requests go to 127.0.0.1 on its ``httpPort`` (challtestsrv,
its DNS, answers every A query with 127.0.0.1), DNS-01 TXT lookups go to challtestsrv, whose
records the hook script sets through the management API.  The session-scoped ``pebble``
fixture is shared; tests that need other Pebble settings (nonce rejection) start their own.
Each test has its own state directory, hence its own account: no authorization is reused
between tests.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import io
import json
import logging
import os
import re
import signal
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import pytest
from cryptography import x509

from mailcert.certs.build import san_names
from mailcert.cli import main
from mailcert.issue.clock import SystemClock
from mailcert.issue.issuer import IssueRequest, IssueStatus, issue
from mailcert.issue.state import ChallengeSpec, LineageStore
from tests.servers.pebble import PebbleServer

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
BUNDLE = ("cert.pem", "chain.pem", "fullchain.pem", "key.pem")


@dataclass
class Run:
    rc: int
    out: str
    err: str

    @property
    def text(self) -> str:
        return self.out + self.err


def cli(*argv: str) -> Run:
    """``mailcert ARGV`` in this process (the real parser and handler; stdout/stderr captured)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = main(list(argv))
    run = Run(rc, out.getvalue(), err.getvalue())
    assert "PRIVATE KEY" not in run.text  # keys are never printed
    return run


def acme_args(pebble: PebbleServer, state: Path, out: Path, *names: str, http: bool = True) -> list[str]:
    args = ["acme", "issue", "--name", names[0]]
    for n in names[1:]:
        args += ["--alt", n]
    args += ["--directory", pebble.directory_url, "--ca-bundle", str(pebble.listener_ca_path),
             "--out", str(out), "--state-dir", str(state), "--agree-tos", "--timeout", "30"]
    if http:
        args += ["--http-port", str(pebble.http_port), "--http-address", "127.0.0.1"]
    return args


def snapshot(d: Path) -> dict[str, bytes]:
    """Every file in ``d`` (names and contents): "untouched" means equal snapshots."""
    return {p.name: p.read_bytes() for p in sorted(d.iterdir())} if d.is_dir() else {}


def openssl_verify(pebble: PebbleServer, out: Path) -> str:
    root = pebble.root_pem_path
    pebble.root_pem()
    cp = subprocess.run(
        ["openssl", "verify", "-CAfile", str(root), "-untrusted", str(out / "chain.pem"), str(out / "cert.pem")],
        capture_output=True, text=True, timeout=30,
    )
    assert cp.returncode == 0, cp.stdout + cp.stderr
    return cp.stdout


def leaf(out: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate((out / "cert.pem").read_bytes())


def assert_installed(out: Path) -> None:
    """The four files, the key 0600 (earlier ones may be kept as backups beside them)."""
    assert sorted(p.name for p in out.iterdir() if ".mailcert-bak-" not in p.name) == sorted(BUNDLE)
    assert stat.S_IMODE((out / "key.pem").stat().st_mode) == 0o600
    assert (out / "fullchain.pem").read_bytes() == (out / "cert.pem").read_bytes() + (out / "chain.pem").read_bytes()


@pytest.fixture
def work(tmp_path: Path) -> tuple[Path, Path]:
    return tmp_path / "state", tmp_path / "out"


# --- issuing --------------------------------------------------------------------------------------


def test_http01_builtin_listener_chain_verifies_san_order_reported(pebble: PebbleServer, work: tuple[Path, Path]) -> None:
    state, out = work
    names = ("remote.contoso.com", "sbs.contoso.local", "sites", "companyweb")
    run = cli(*acme_args(pebble, state, out, *names))
    assert run.rc == 0, run.text
    assert "Issued: names in certificate order: remote.contoso.com, sbs.contoso.local, sites, companyweb" in run.out
    assert "every configured client accepts it for remote.contoso.com" in run.out
    assert_installed(out)
    assert san_names(leaf(out)) == names
    assert "OK" in openssl_verify(pebble, out)
    # the account: key 0600 in the state dir, registered once and reused
    (acct,) = (state / "acme" / "accounts").iterdir()
    assert stat.S_IMODE((acct / "key.pem").stat().st_mode) == 0o600
    assert "Account: registered" in run.out
    # the stored account is used: no --agree-tos needed any more
    again = cli(*[a for a in acme_args(pebble, state, out, *names) if a != "--agree-tos"])
    assert again.rc == 0, again.text
    assert "Account: registered" not in again.out and "Account: https://" in again.out
    assert list((state / "acme" / "accounts").iterdir()) == [acct]
    assert "previous kept as" in again.out  # the earlier certificate is backed up, not lost


def test_no_agree_tos_no_account(pebble: PebbleServer, work: tuple[Path, Path]) -> None:
    state, out = work
    args = [a for a in acme_args(pebble, state, out, "noterms.contoso.com") if a != "--agree-tos"]
    run = cli(*args)
    assert run.rc == 3
    assert run.err.count("\n") == 1 and "--agree-tos" in run.err and "terms of service" in run.err
    assert not (state / "acme" / "accounts").exists() and not out.exists()


def test_webroot(pebble: PebbleServer, tmp_path: Path) -> None:
    state, out, www = tmp_path / "state", tmp_path / "out", tmp_path / "www"
    www.mkdir()
    (www / "index.html").write_text("hello")
    seen: list[str] = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, fmt: str, *args: object) -> None:
            seen.append(self.path)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", pebble.http_port), functools.partial(Handler, directory=str(www)))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        run = cli(*acme_args(pebble, state, out, "www.contoso.com", "webmail.contoso.com", http=False), "--webroot", str(www))
    finally:
        server.shutdown()
        server.server_close()
    assert run.rc == 0, run.text
    assert "through files under" in run.out
    assert any(p.startswith("/.well-known/acme-challenge/") for p in seen)  # Pebble really fetched them
    assert sorted(p.name for p in www.iterdir()) == ["index.html"]  # tokens and the dirs we made are gone
    assert_installed(out)
    assert san_names(leaf(out)) == ("www.contoso.com", "webmail.contoso.com")
    openssl_verify(pebble, out)


def dns_hook_script(tmp_path: Path, pebble: PebbleServer, *, fail_add: bool = False) -> tuple[Path, Path]:
    """A DNS-01 hook as an administrator would write it: curl to the DNS provider's API (challtestsrv)."""
    log = tmp_path / "hook.log"
    script = tmp_path / "dns-hook.sh"
    api = f"http://127.0.0.1:{pebble.challtestsrv_port}"
    script.write_text(
        "#!/bin/sh\nset -eu\n"
        f'echo "$MAILCERT_DNS_ACTION $MAILCERT_DNS_DOMAIN $MAILCERT_DNS_NAME" >> {log}\n'
        + ("[ \"$MAILCERT_DNS_ACTION\" = add ] && { echo 'provider says: zone locked' >&2; exit 7; }\n" if fail_add else "")
        + 'case "$MAILCERT_DNS_ACTION" in\n'
        f'  add) curl -sS --fail --noproxy "*" -d "{{\\"host\\":\\"$MAILCERT_DNS_NAME.\\",\\"value\\":\\"$MAILCERT_DNS_VALUE\\"}}" {api}/set-txt ;;\n'
        f'  remove) curl -sS --fail --noproxy "*" -d "{{\\"host\\":\\"$MAILCERT_DNS_NAME.\\"}}" {api}/clear-txt ;;\n'
        "esac\n"
    )
    script.chmod(0o755)
    return script, log


def test_dns01_hook_with_wildcard(pebble: PebbleServer, tmp_path: Path) -> None:
    state, out = tmp_path / "state", tmp_path / "out"
    script, log = dns_hook_script(tmp_path, pebble)
    run = cli(*acme_args(pebble, state, out, "mail.fabrikam.com", "*.fabrikam.com", http=False), "--dns-hook", str(script))
    assert run.rc == 0, run.text
    assert san_names(leaf(out)) == ("mail.fabrikam.com", "*.fabrikam.com")
    openssl_verify(pebble, out)
    lines = log.read_text().splitlines()
    adds = sorted(line for line in lines if line.startswith("add "))
    removes = sorted(line for line in lines if line.startswith("remove "))
    # the wildcard is validated at the base name: both records live at _acme-challenge.fabrikam.com
    assert adds == ["add fabrikam.com _acme-challenge.fabrikam.com", "add mail.fabrikam.com _acme-challenge.mail.fabrikam.com"]
    assert [r.replace("remove", "add") for r in removes] == adds  # every record added is removed again
    assert lines.index(removes[0]) > lines.index(adds[-1])


def test_wildcard_without_dns_hook_refused_before_ordering(pebble: PebbleServer, work: tuple[Path, Path]) -> None:
    state, out = work
    run = cli(*acme_args(pebble, state, out, "mail.fabrikam.com", "*.fabrikam.com"))
    assert run.rc == 3 and "only with dns-01" in run.err
    assert not (state / "acme" / "accounts").exists()


# --- the client plan --------------------------------------------------------------------------------


def test_plan_refuses_what_a_sorting_ca_would_break(pebble: PebbleServer, work: tuple[Path, Path]) -> None:
    state, out = work
    out.mkdir()
    (out / "cert.pem").write_text("live\n")
    names = ("remote.contoso.com", "sites", "autodiscover.contoso.com", "companyweb")
    run = cli(*acme_args(pebble, state, out, *names), "--ca-sorts-names", "yes")
    assert run.rc == 1, run.text
    assert "expected:  autodiscover.contoso.com, companyweb, remote.contoso.com, sites" in run.out
    assert "outlook2007 would refuse it for remote.contoso.com" in run.out
    assert "certificate 1 for remote.contoso.com (mail): remote.contoso.com, sites" in run.out
    assert "certificate 2 for the other names: autodiscover.contoso.com, companyweb" in run.out
    # the engine's plan says names; the CLI says the flags that order each certificate
    assert "certificate 1: --name remote.contoso.com --alt sites\n" in run.out
    assert "certificate 2: --name autodiscover.contoso.com --alt companyweb\n" in run.out
    assert "Not ordered" in run.out
    assert snapshot(out) == {"cert.pem": b"live\n"}
    assert not (state / "acme" / "accounts").exists()  # nothing went to the CA

    # the proposed layout is accepted, ordered and issued
    alone = cli(*acme_args(pebble, state, out, "remote.contoso.com", "sites"), "--ca-sorts-names", "yes")
    assert alone.rc == 0, alone.text
    assert "every configured client accepts the expected certificate" in alone.out
    assert san_names(leaf(out)) == ("remote.contoso.com", "sites")


def test_plan_only_for_configured_clients(pebble: PebbleServer, work: tuple[Path, Path]) -> None:
    state, out = work
    args = acme_args(pebble, state, out, "remote.contoso.com", "autodiscover.contoso.com")
    run = cli(*args, "--ca-sorts-names", "yes", "--client", "thunderbird", "--client", "outlook")
    assert run.rc == 0, run.text  # neither reads only the first name
    assert "for 2 client profile(s)" in run.out


def test_force_orders_and_still_checks(pebble: PebbleServer, work: tuple[Path, Path]) -> None:
    state, out = work
    run = cli(*acme_args(pebble, state, out, "remote.contoso.com", "autodiscover.contoso.com"), "--ca-sorts-names", "yes", "--force")
    # Pebble keeps the CSR order, so the check after issuance passes and the result is installed
    assert run.rc == 0, run.text
    assert "outlook2007 would refuse" in run.out and "every configured client accepts it" in run.out
    assert san_names(leaf(out))[0] == "remote.contoso.com"


class SortingCA:
    """A CA that sorts the SAN names, like Let's Encrypt: Pebble cannot be made to, so this one
    (the network class passed in) signs with mailcert's TestCA and ``sorted()`` names."""

    def __init__(self, key: object) -> None:
        from mailcert.certs.build import TestCA

        self.ca = TestCA(now=datetime.now(timezone.utc))
        self.csr: x509.CertificateSigningRequest | None = None
        self.terms_of_service = None

    def __enter__(self) -> SortingCA:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def connect(self) -> None:
        pass

    def register(self, email: str | None) -> str:
        return "https://sorting.example/acct/1"

    def use_account(self, uri: str) -> None:
        pass

    def new_order(self, csr_pem: bytes) -> object:
        from mailcert.issue.client import Order

        self.csr = x509.load_pem_x509_csr(csr_pem)
        return Order(None, tuple(san_names(self.csr)))

    def tasks(self, order: object, kind: str) -> list[object]:
        return []

    def finalize(self, order: object, deadline: datetime) -> str:
        from mailcert.certs.build import cert_to_pem

        assert self.csr is not None
        issued = self.ca.sign_csr(self.csr, names=sorted(san_names(self.csr)))
        return cert_to_pem(issued, self.ca.cert).decode()


def test_issued_certificate_refused_by_a_client_is_not_installed(tmp_path: Path) -> None:
    state, out = tmp_path / "state", tmp_path / "out"
    out.mkdir()
    live = {"cert.pem": b"live cert\n", "key.pem": b"live key\n"}
    for name, data in live.items():
        (out / name).write_bytes(data)
    request = IssueRequest(
        names=("remote.contoso.com", "autodiscover.contoso.com"), directory="https://sorting.example/dir", out=out,
        challenge=ChallengeSpec(method="dns", dns_hook="true"), agree_tos=True,
        # the plan is told the CA keeps the order: only the check after issuance can catch it
    )
    lines: list[str] = []
    outcome = issue(request, state=state, clock=SystemClock(), env={}, say=lines.append, ca_factory=SortingCA)  # type: ignore[arg-type]
    assert outcome.status is IssueStatus.CLIENT_REFUSED
    assert outcome.issued_names == ("autodiscover.contoso.com", "remote.contoso.com")
    assert [v.client for v in outcome.refusals] == ["outlook2007"]
    assert snapshot(out) == live  # the live files are untouched
    assert outcome.kept_in is not None and sorted(p.name for p in outcome.kept_in.iterdir()) == sorted(BUNDLE)
    assert stat.S_IMODE((outcome.kept_in / "key.pem").stat().st_mode) == 0o600
    assert LineageStore(state).load() == []  # not recorded for renewal either
    assert "Issued: names in certificate order: autodiscover.contoso.com, remote.contoso.com" in lines


# --- faults ---------------------------------------------------------------------------------------


def test_nonce_rejection_survived(make_pebble: Callable[..., PebbleServer], tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    pebble = make_pebble(nonce_reject_percent=50)
    caplog.set_level(logging.DEBUG, logger="mailcert.issue.client")
    for i in range(3):
        state, out = tmp_path / f"state{i}", tmp_path / f"out{i}"
        run = cli(*acme_args(pebble, state, out, f"n{i}.contoso.com", f"m{i}.contoso.com"))
        assert run.rc == 0, run.text
        assert_installed(out)
    attempts = [int(m.group(1)) for r in caplog.records if (m := re.match(r"badNonce on attempt (\d+)", r.getMessage()))]
    assert attempts, "Pebble rejected no nonce: the test proved nothing"
    # acme's own ClientNetwork retries once; Pebble rejected the same request twice or more here
    assert max(attempts) >= 2, attempts


def test_failed_challenge_clear_error_out_untouched(pebble: PebbleServer, work: tuple[Path, Path]) -> None:
    state, out = work
    out.mkdir()
    (out / "fullchain.pem").write_text("live\n")
    args = acme_args(pebble, state, out, "broken.contoso.com", http=False)
    # listen on a port Pebble does not connect to: it is refused
    args += ["--http-port", str(pebble.http_port + 1 if pebble.http_port < 65000 else pebble.http_port - 1), "--http-address", "127.0.0.1"]
    run = cli(*args)
    assert run.rc == 1, run.text
    assert run.err.count("\n") == 1, run.err
    assert run.err.startswith("mailcert: error: validating and issuing: http-01 for broken.contoso.com failed:")
    assert "connection refused" in run.err.lower()
    assert snapshot(out) == {"fullchain.pem": b"live\n"}


def test_failing_dns_hook_clear_error(pebble: PebbleServer, tmp_path: Path) -> None:
    state, out = tmp_path / "state", tmp_path / "out"
    script, log = dns_hook_script(tmp_path, pebble, fail_add=True)
    run = cli(*acme_args(pebble, state, out, "locked.contoso.com", http=False), "--dns-hook", str(script))
    assert run.rc == 1
    assert run.err == (
        "mailcert: error: --dns-hook (add TXT _acme-challenge.locked.contoso.com) failed with exit status 7:"
        " provider says: zone locked\n"
    )
    assert log.read_text().split("\n")[1].startswith("remove ")  # cleaned up all the same
    assert not out.exists()


def test_untrusted_listener_and_unreachable_ca_are_one_line(pebble: PebbleServer, work: tuple[Path, Path]) -> None:
    state, out = work
    args = acme_args(pebble, state, out, "tls.contoso.com")
    i = args.index("--ca-bundle")
    untrusted = cli(*args[:i], *args[i + 2:])
    assert untrusted.rc == 1 and untrusted.err.count("\n") == 1
    assert "reading the CA's directory: cannot verify the TLS certificate of 127.0.0.1:" in untrusted.err
    assert "--ca-bundle FILE" in untrusted.err
    gone = list(args)
    gone[gone.index("--directory") + 1] = "https://127.0.0.1:1/dir"
    refused = cli(*gone)
    assert refused.rc == 1 and refused.err.count("\n") == 1
    assert "cannot connect to 127.0.0.1:1: Connection refused" in refused.err
    assert not out.exists()


def test_account_unknown_to_the_ca(pebble: PebbleServer, work: tuple[Path, Path]) -> None:
    """A stored account the CA no longer knows (a CA reset): a clear line, or a new account with --agree-tos."""
    state, out = work
    assert cli(*acme_args(pebble, state, out, "acct.contoso.com")).rc == 0
    (folder,) = (state / "acme" / "accounts").iterdir()
    meta = json.loads((folder / "account.json").read_text())
    meta["uri"] = meta["uri"].rsplit("/", 1)[0] + "/0000000000000000"
    (folder / "account.json").write_text(json.dumps(meta))
    args = acme_args(pebble, state, out, "acct.contoso.com")
    without = cli(*[a for a in args if a != "--agree-tos"])
    assert without.rc == 3 and "does not know the account stored in" in without.err and "--agree-tos" in without.err
    again = cli(*args)
    assert again.rc == 0, again.text
    assert "Account: registered" in again.out
    assert json.loads((folder / "account.json").read_text())["uri"] != meta["uri"]


class InterruptingClock(SystemClock):
    """Ctrl-C in the middle of polling the order."""

    def sleep(self, seconds: float) -> None:
        raise KeyboardInterrupt


def test_interrupted_mid_order_leaves_nothing(pebble: PebbleServer, tmp_path: Path) -> None:
    state, out, www = tmp_path / "state", tmp_path / "out", tmp_path / "www"
    www.mkdir()
    request = IssueRequest(
        names=("ctrlc.contoso.com",), directory=pebble.directory_url, out=out,
        challenge=ChallengeSpec(method="webroot", webroot=str(www)), ca_bundle=str(pebble.listener_ca_path), agree_tos=True,
    )
    with pytest.raises(KeyboardInterrupt):
        issue(request, state=state, clock=InterruptingClock(), env={})
    assert not out.exists()
    assert list(www.iterdir()) == []  # the challenge files were taken down


def test_sigint_during_dns_hook(pebble: PebbleServer, tmp_path: Path) -> None:
    """A real Ctrl-C (SIGINT to the process group) while the hook waits: exit 130, records removed, --out untouched."""
    state, out = tmp_path / "state", tmp_path / "out"
    out.mkdir()
    (out / "cert.pem").write_text("live\n")
    marker, log = tmp_path / "waiting", tmp_path / "hook.log"
    hook = tmp_path / "slow-hook.sh"
    hook.write_text(
        "#!/bin/sh\n"
        f'echo "$MAILCERT_DNS_ACTION" >> {log}\n'
        f'[ "$MAILCERT_DNS_ACTION" = add ] && {{ touch {marker}; sleep 30; }}\n'
        "exit 0\n"
    )
    hook.chmod(0o755)
    argv = [sys.executable, "-m", "mailcert", *acme_args(pebble, state, out, "sigint.contoso.com", http=False), "--dns-hook", str(hook)]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True, cwd=ROOT)
    try:
        deadline = time.monotonic() + 30
        while not marker.exists():
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the hook was never called"
            time.sleep(0.02)
        os.killpg(proc.pid, signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 130, stdout + stderr
    assert stderr == "mailcert: interrupted\n"
    assert log.read_text().split() == ["add", "remove"]
    assert snapshot(out) == {"cert.pem": b"live\n"}


# --- renewal --------------------------------------------------------------------------------------


def test_renew_nothing_due_then_forced_with_deploy_hook(pebble: PebbleServer, tmp_path: Path) -> None:
    state = tmp_path / "state"
    outs = [tmp_path / "mail", tmp_path / "web"]
    assert cli(*acme_args(pebble, state, outs[0], "renew-mail.contoso.com", "renew-sbs.contoso.local")).rc == 0
    assert cli(*acme_args(pebble, state, outs[1], "renew-www.contoso.com")).rc == 0
    before = {o: snapshot(o) for o in outs}

    empty = cli("acme", "renew", "--state-dir", str(tmp_path / "other-state"))
    assert empty.rc == 0 and "Nothing to renew: mailcert has issued no certificate" in empty.out

    quiet = cli("acme", "renew", "--state-dir", str(state), "--deploy-hook", "false")
    assert quiet.rc == 0, quiet.text
    assert "Nothing to renew: none of 2 certificate(s) expires within 30 day(s)" in quiet.out
    assert {o: snapshot(o) for o in outs} == before

    dry = cli("acme", "renew", "--state-dir", str(state), "--days", "9999", "--dry-run")
    assert dry.rc == 0 and "Dry run: 2 certificate(s) would be renewed" in dry.out
    assert {o: snapshot(o) for o in outs} == before

    hook_log = tmp_path / "deploy.log"
    hook = f'echo "$RENEWED_LINEAGE|$RENEWED_DOMAINS" >> {hook_log}'
    forced = cli("acme", "renew", "--state-dir", str(state), "--days", "9999", "--deploy-hook", hook)
    assert forced.rc == 0, forced.text
    assert "Renewed 2 certificate(s)" in forced.out
    assert hook_log.read_text().splitlines() == [
        f"{outs[0].resolve()}|renew-mail.contoso.com renew-sbs.contoso.local",
        f"{outs[1].resolve()}|renew-www.contoso.com",
    ]
    for o in outs:
        assert leaf(o).serial_number != x509.load_pem_x509_certificate(before[o]["cert.pem"]).serial_number
        assert (o / "key.pem").read_bytes() != before[o]["key.pem"]  # a new key each time
        openssl_verify(pebble, o)
    assert san_names(leaf(outs[0])) == ("renew-mail.contoso.com", "renew-sbs.contoso.local")


def test_renew_deploy_hook_failure_is_reported(pebble: PebbleServer, tmp_path: Path) -> None:
    state, out = tmp_path / "state", tmp_path / "out"
    assert cli(*acme_args(pebble, state, out, "hookfail.contoso.com")).rc == 0
    run = cli("acme", "renew", "--state-dir", str(state), "--days", "9999", "--deploy-hook", "echo 'reload refused' >&2; exit 3")
    assert run.rc == 1
    assert "--deploy-hook for hookfail.contoso.com failed with exit status 3: reload refused" in run.err
    assert_installed(out)  # the renewal itself is installed; only the deploy step failed
    assert len(list(out.glob("cert.pem.mailcert-bak-*"))) == 1

