"""Every mail client profile that has a real client here, against the real client, on the wire.

One real Dovecot (IMAPS) and one real Postfix (submission, STARTTLS) serve every certificate of
``cases.py`` at once, each on its own loopback address.  Each real client (``clients.py``) is
run once per case with the case's typed name; its accept / refuse must equal mailcert's
verdict for the client's profile on every case, and when it refuses, it must say what the
profile says it says.  The runs go in parallel (a few at a time: the machine has two cores).
"""

from __future__ import annotations

import base64
import os
import shutil
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from mailcert.certs.info import facts_from_certificate
from mailcert.certs.lenient import parse_leniently
from mailcert.names import PROFILES, PresentedIdentifiers, check_name
from mailcert.names.matcher import NameVerdict
from tests.differential.corpus import ca_pem, leaf_key_pem
from tests.servers.dovecot import DovecotServer
from tests.servers.fixtures import DOVECOT_BINARIES, POSTFIX_BINARIES, in_ci, require_servers
from tests.servers.postfix import PostfixServer

from .cases import CASES, WireCase, address_of
from .clients import RUNNERS, Outcome, Ports, hosts_file, node_modules_present

pytestmark = [pytest.mark.wire, pytest.mark.integration]

PARALLEL = 4

#: the library profile each client was said to follow before it had a profile of its own
#: (printed beside the client's own agreement, for the record; never asserted)
STAND_INS = {"curl": "openssl", "fetchmail": "openssl", "s-nail": "openssl", "mbsync": "openssl",
             "mutt": "gnutls", "neomutt": "gnutls", "msmtp": "gnutls", "jakarta": "java", "jakarta-default": "java"}


@dataclass(frozen=True)
class Run:
    case: WireCase
    typed: str
    ids: PresentedIdentifiers
    verdict: NameVerdict
    outcome: Outcome


def _pem(der: bytes) -> bytes:
    return b"-----BEGIN CERTIFICATE-----\n" + base64.encodebytes(der) + b"-----END CERTIFICATE-----\n"


def _usable_clients() -> list[str]:
    if shutil.which("unshare") is None:
        pytest.skip("unshare is missing (util-linux)")
    missing = {c: [b for b in client.needs if shutil.which(b) is None] for c, client in RUNNERS.items()}
    if not node_modules_present():
        missing["node-imapflow"] = missing["node-nodemailer"] = ["tests/wire/.node (npm)"]
    absent = {c: m for c, m in missing.items() if m}
    if absent and in_ci():
        pytest.fail(f"CI is set but mail clients are missing (scripts/deps/clients.sh): {absent}", pytrace=False)
    # MAILCERT_WIRE_CLIENTS=curl,swaks runs only those (while working on one client)
    only = [c for c in os.environ.get("MAILCERT_WIRE_CLIENTS", "").split(",") if c]
    return [c for c in RUNNERS if c not in absent and (not only or c in only)]


@pytest.fixture(scope="module")
def wire_runs(servers_root: Path) -> Iterator[dict[str, list[Run]]]:
    """Serve every case, run every usable client on every case; ``{client: [Run, ...]}``."""
    require_servers(DOVECOT_BINARIES + POSTFIX_BINARIES)
    clients = _usable_clients()
    root = servers_root / "wire"
    certs = root / "certs"
    certs.mkdir(parents=True)
    ca = certs / "ca.pem"
    ca.write_bytes(ca_pem())
    key = certs / "leaf.key"
    key.write_bytes(leaf_key_pem())
    key.chmod(0o600)
    local: dict[str, tuple[Path, Path]] = {}
    ders: dict[str, bytes] = {}
    for index, case in enumerate(CASES):
        address = address_of(index)
        ders[case.id] = case.der(address)
        path = certs / f"{case.id}.pem"
        path.write_bytes(_pem(ders[case.id]))
        local[address] = (path, key)
    started = time.monotonic()
    dovecot = DovecotServer(root / "dovecot", certs / f"{CASES[0].id}.pem", key, local_certs=local)
    postfix = PostfixServer(root / "postfix", certs / f"{CASES[0].id}.pem", key, local_certs=local)
    dovecot.start()
    try:
        postfix.start()
        try:
            ports = Ports(imaps=dovecot.imaps_port, submission=postfix.submission_port)
            jobs = [(client, index, case) for client in clients for index, case in enumerate(CASES)]

            def one(job: tuple[str, int, WireCase]) -> tuple[str, Run]:
                client, index, case = job
                typed = case.typed(address_of(index))
                work = root / "run" / f"{client}-{case.id}"
                work.mkdir(parents=True)
                # one hosts file per run: the same name points at another address in another case
                hosts = hosts_file(work / "hosts", {typed: address_of(index)})
                outcome = RUNNERS[client].run(typed, ports, ca, hosts, work)
                ids = facts_from_certificate(parse_leniently(ders[case.id])).identifiers
                verdict = check_name(PROFILES[RUNNERS[client].profile], ids, typed)
                return client, Run(case, typed, ids, verdict, outcome)

            runs: dict[str, list[Run]] = {c: [] for c in clients}
            with ThreadPoolExecutor(PARALLEL) as pool:
                for client, run in pool.map(one, jobs):
                    runs[client].append(run)
            print(f"\n  wire suite: {len(jobs)} client runs on {len(CASES)} certificates in {time.monotonic() - started:.1f}s")
            yield runs
        finally:
            postfix.stop()
    finally:
        dovecot.stop()


@pytest.mark.parametrize("client", list(RUNNERS))
def test_client_agrees_with_its_profile(client: str, wire_runs: dict[str, list[Run]], capsys: pytest.CaptureFixture[str]) -> None:
    if client not in wire_runs:
        pytest.skip(f"{client} is not installed (scripts/deps/clients.sh)")
    runs = wire_runs[client]
    broken = [r for r in runs if r.outcome.accepted is None]
    assert not broken, f"{client}: neither accepted nor refused:\n" + "\n".join(
        f"  {r.case.id} {r.typed!r}: {r.outcome.output[-400:]}" for r in broken)
    differ = [r for r in runs if r.outcome.accepted != r.verdict.accepted]
    with capsys.disabled():
        agree = len(runs) - len(differ)
        before = ""
        if client in STAND_INS:
            old = PROFILES[STAND_INS[client]]
            same = sum(check_name(old, r.ids, r.typed).accepted == r.outcome.accepted for r in runs)
            before = f" (the {old.id} profile it was said to follow: {same}/{len(runs)})"
        print(f"\n  {client:16} agrees with the real client on {agree}/{len(runs)} wire cases{before}")
    assert not differ, f"{client}: {len(differ)} case(s) differ from the real client:\n" + "\n".join(
        f"  {r.case.id} {r.typed!r}: real {'accepts' if r.outcome.accepted else 'refuses'}"
        f" ({r.outcome.output[-300:]!r}); mailcert: {r.verdict.reason}" for r in differ)


@pytest.mark.parametrize("client", [c for c, spec in RUNNERS.items() if PROFILES[spec.profile].message])
def test_refusals_are_in_the_clients_own_words(client: str, wire_runs: dict[str, list[Run]]) -> None:
    """Where mailcert and the client both refuse, the client's output holds mailcert's message."""
    if client not in wire_runs:
        pytest.skip(f"{client} is not installed (scripts/deps/clients.sh)")
    refused = [r for r in wire_runs[client] if r.outcome.accepted is False and not r.verdict.accepted]
    assert refused, f"{client}: no refusal among the wire cases"
    port = str(_port_of(client, wire_runs))
    def words(message: str) -> str:
        text = message.replace("PORT", port).rstrip()  # the client's output is stripped too
        return text.partition(": ")[2] if RUNNERS[client].words_without_code else text

    wrong = [r for r in refused if r.verdict.message is None or words(r.verdict.message) not in r.outcome.output]
    assert not wrong, f"{client}: the client said something else:\n" + "\n".join(
        f"  {r.case.id}: mailcert {r.verdict.message!r}; client {r.outcome.output[-300:]!r}" for r in wrong)


def _port_of(client: str, runs: dict[str, list[Run]]) -> int:
    """The port in the client's output (s-nail quotes host:port)."""
    for r in runs[client]:
        text = r.outcome.output
        marker = f"{r.typed}:"
        if marker in text:
            digits = text.split(marker, 1)[1][:5]
            return int("".join(ch for ch in digits if ch.isdigit()) or 0)
    return 0
