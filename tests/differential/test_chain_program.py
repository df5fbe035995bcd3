"""The served-chain oracle itself (oracles_src/chain_program.py), beyond the verdicts that
test_chains_vs_real.py compares: a program that must reach the server under the typed name
(NeoMutt) runs in network and mount namespaces of its own and leaves the machine's /etc/hosts
and network as they were; outside them it refuses to start; and a program that never reaches
the server stops the oracle instead of passing for a refusal of the certificate.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from tests.differential.chains import corpus_requests
from tests.differential.oracles import SRC_DIR, _RECIPES, chain_request, run_chain_oracle
from tests.differential.test_chains_vs_real import _require

pytestmark = [pytest.mark.differential]


def _machine() -> tuple[bytes, str]:
    """What a run must not change: /etc/hosts and the loopback device's addresses."""
    with open("/etc/hosts", "rb") as fh:
        hosts = fh.read()
    lo = subprocess.run(["ip", "-o", "addr", "show", "dev", "lo"], capture_output=True, text=True, timeout=10, check=True)
    return hosts, lo.stdout


def _chain_program() -> ModuleType:
    spec = importlib.util.spec_from_file_location("chain_program", SRC_DIR / "chain_program.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_neomutt_reaches_names_and_addresses_in_its_own_namespaces_only() -> None:
    """A typed name (through the private hosts file) and a typed IP address (added to the
    private loopback) both reach the served chain; the machine sees none of it."""
    _require("neomutt-chain")
    cases = [r for r in corpus_requests() if r.id in ("corpus:good", "corpus:ip-san", "corpus:good-wrong-name")]
    before = _machine()
    verdicts = run_chain_oracle("neomutt-chain", cases, timeout=120)
    assert _machine() == before
    assert {k: v.accepted for k, v in verdicts.items()} == {
        "corpus:good": True, "corpus:ip-san": True, "corpus:good-wrong-name": False}
    # the refusal is NeoMutt's own, after a completed handshake: not a connection that failed
    assert "handshake completed" in verdicts["corpus:good-wrong-name"].detail


def test_outside_its_namespaces_the_oracle_refuses_to_start() -> None:
    """Told it is already inside (the marker main sets before unshare), but not: it must not
    bind-mount over the machine's /etc/hosts."""
    _require("neomutt-chain")
    before = _machine()
    proc = subprocess.run([sys.executable, str(SRC_DIR / "chain_program.py"), "neomutt"], input=b"",
                          capture_output=True, timeout=60, env={**os.environ, "MAILCERT_CHAIN_PROGRAM_NAMESPACES": "1"},
                          check=False)
    assert proc.returncode != 0
    assert b"namespace of its own" in proc.stderr
    assert _machine() == before


def test_a_program_that_never_reaches_the_server_is_no_refusal(tmp_path: Path) -> None:
    """``false`` exits 1 without connecting, as a client would whose set-up is broken: the
    oracle raises rather than answer "refused"."""
    module = _chain_program()
    program = module.Program("false", lambda path, cafile, host, port: [path], lambda proc: proc.returncode == 0, ())
    request = chain_request(next(r for r in corpus_requests() if r.id == "corpus:good"))
    with pytest.raises(RuntimeError, match="never reached the server"):
        module.judge(request, str(tmp_path), program, "/bin/false")


def test_the_namespace_tools_are_named_for_the_oracle() -> None:
    """A machine without unshare or ip is told which package to install, not a traceback."""
    assert {"unshare", "ip"} <= {exe for exe, _ in _RECIPES["neomutt-chain"].needs}


def test_gio_refuses_to_pass_for_evolution_without_glib_networking(tmp_path: Path) -> None:
    """Without glib-networking GIO's TLS is a dummy that refuses every handshake, which would
    read as refusals of the certificates: the build probe stops there, naming the package."""
    _require("gio-chain")
    (probe,) = _RECIPES["gio-chain"].steps(tmp_path)
    assert subprocess.run(probe, capture_output=True, timeout=60, check=False).returncode == 0
    dummy = subprocess.run(probe, capture_output=True, text=True, timeout=60, check=False,
                           env={**os.environ, "GIO_USE_TLS": "dummy"})
    assert dummy.returncode != 0
    assert "glib-networking" in dummy.stderr


def test_gio_says_which_check_failed() -> None:
    """GIO's own flags come back in the detail: the typed name checked through the server
    identity, not a connection that failed."""
    _require("gio-chain")
    cases = [r for r in corpus_requests() if r.id in ("corpus:good", "corpus:good-wrong-name")]
    verdicts = run_chain_oracle("gio-chain", cases, timeout=120)
    assert verdicts["corpus:good"].accepted
    assert not verdicts["corpus:good-wrong-name"].accepted
    assert "REFUSED: bad-identity" in verdicts["corpus:good-wrong-name"].detail
