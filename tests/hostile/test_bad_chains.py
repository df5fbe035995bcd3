"""Hostile chains through the command line: a file given to ``inspect --chain`` and a chain a
server sends to ``check``.  Issue 11's bad input: a chain of 1,000 certificates, a loop of
cross-signs, a 10 MB certificate.  Each must end in bounded time and memory with its reason on
one line (stdout for a verdict, stderr for input mailcert cannot judge) and no traceback.

The bounds are generous (this machine is shared): what they catch is a hang, a path search
that explodes, or a copy of the input per certificate, not a slow second.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from mailcert.testing import MailEndpoint
from tests.test_verdicts import NAME, NOW, Node, build

SECONDS = 30.0
PEAK_MB = 600  # the 10 MB certificate is read, parsed twice (cryptography, OpenSSL) and hashed
AT = NOW.isoformat()
# `python -m mailcert ARGS` that writes its peak memory (KB) to the file PEAK as it exits.
# VmHWM, not getrusage's ru_maxrss: Linux carries ru_maxrss across fork and exec, so it would
# report the test process's own size (large after the suites that hold x509-limbo in memory).
_RUNNER = (
    "import runpy, sys\n"
    "sys.argv = ['mailcert', *sys.argv[2:]]\n"
    "try:\n"
    "    runpy.run_module('mailcert', run_name='__main__')\n"
    "finally:\n"
    "    hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM:')][0].split()[1]\n"
    "    open(PEAK, 'w').write(hwm)\n"
)


def _pem(*certs: x509.Certificate) -> bytes:
    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs)


def _key_pem(node: Node) -> bytes:
    return node.key.private_bytes(  # type: ignore[attr-defined]
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


class Run:
    """One command line's outcome: exit code, output, wall time and peak memory (MB)."""

    def __init__(self, tmp: Path, *args: str) -> None:
        peak = tmp / "peak"
        code = _RUNNER.replace("PEAK", repr(str(peak)))
        start = time.monotonic()
        done = subprocess.run([sys.executable, "-c", code, "-", *args], capture_output=True, text=True,
                              timeout=SECONDS * 4, stdin=subprocess.DEVNULL)
        self.seconds = time.monotonic() - start
        self.code, self.out, self.err = done.returncode, done.stdout, done.stderr
        self.peak_mb = int(peak.read_text()) / 1024

    def assert_bounded(self) -> None:
        assert "Traceback" not in self.err and "Traceback" not in self.out, self.err[-2000:]
        assert self.seconds < SECONDS, f"took {self.seconds:.1f} s"
        assert self.peak_mb < PEAK_MB, f"peak memory {self.peak_mb:.0f} MB"

    def one_line(self, needle: str) -> str:
        """The one output line holding ``needle`` (the reason must not spill over lines)."""
        lines = [ln for ln in (self.out + self.err).splitlines() if needle in ln]
        assert lines, f"{needle!r} not in the output:\n{self.out[-3000:]}\n{self.err[-2000:]}"
        return lines[0]


@pytest.fixture(scope="module")
def pki() -> dict[str, Node]:
    root = build("Test Root", ca=True, days=(-1000, 3000), key=ec.generate_private_key(ec.SECP256R1()))
    inter = build("Test Intermediate", root, ca=True, days=(-500, 2000), key=ec.generate_private_key(ec.SECP256R1()))
    return {"root": root, "inter": inter, "leaf": build(NAME, inter, san=(NAME,))}


@pytest.fixture(scope="module")
def loop() -> dict[str, Node]:
    """Two CAs that sign each other (A by B, B by A) and a leaf under A."""
    ka, kb = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    b = build("Loop B", Node(build("Loop A", ca=True, key=ka).cert, ka), ca=True, key=kb)
    a = build("Loop A", Node(b.cert, kb), ca=True, key=ka)
    return {"a": a, "b": b, "leaf": build(NAME, a, san=(NAME,))}


@pytest.fixture(scope="module")
def big(pki: dict[str, Node]) -> Node:
    """A leaf issued by the trusted intermediate, 10 MB long (a non-critical private extension)."""
    node = build(NAME, pki["inter"], san=(NAME,))
    blob = x509.UnrecognizedExtension(x509.ObjectIdentifier("1.3.6.1.4.1.55555.1"), b"\x04\x83" + (10 * 2**20).to_bytes(3, "big") + b"\0" * (10 * 2**20))
    builder = (x509.CertificateBuilder().subject_name(node.cert.subject).issuer_name(node.cert.issuer)
               .public_key(node.cert.public_key()).serial_number(node.cert.serial_number)
               .not_valid_before(node.cert.not_valid_before_utc).not_valid_after(node.cert.not_valid_after_utc))
    for ext in node.cert.extensions:
        builder = builder.add_extension(ext.value, ext.critical)
    from cryptography.hazmat.primitives import hashes

    cert = builder.add_extension(blob, critical=False).sign(pki["inter"].key, hashes.SHA256())  # type: ignore[arg-type]
    assert len(cert.public_bytes(serialization.Encoding.DER)) > 10 * 2**20
    return Node(cert, node.key)


def _files(tmp: Path, **parts: bytes) -> dict[str, str]:
    out = {}
    for name, data in parts.items():
        (tmp / f"{name}.pem").write_bytes(data)
        out[name] = str(tmp / f"{name}.pem")
    return out


# --- inspect --chain: the chain is a file -------------------------------------------------------


def test_inspect_a_chain_of_a_thousand_certificates(tmp_path: Path, pki: dict[str, Node]) -> None:
    f = _files(tmp_path, leaf=_pem(pki["leaf"].cert), chain=_pem(pki["inter"].cert) * 999, root=_pem(pki["root"].cert))
    run = Run(tmp_path, "inspect", f["leaf"], "--chain", f["chain"], "--cafile", f["root"], "--name", NAME, "--at", AT)
    run.assert_bounded()
    assert run.code == 2  # CRITICAL: every client refuses
    assert "1000 certificates" in run.one_line("Thunderbird / mail.example.com")


def test_inspect_a_loop_of_cross_signs(tmp_path: Path, pki: dict[str, Node], loop: dict[str, Node]) -> None:
    f = _files(tmp_path, leaf=_pem(loop["leaf"].cert), chain=_pem(loop["a"].cert, loop["b"].cert) * 40, root=_pem(pki["root"].cert))
    run = Run(tmp_path, "inspect", f["leaf"], "--chain", f["chain"], "--cafile", f["root"], "--name", NAME, "--at", AT)
    run.assert_bounded()
    assert run.code == 2
    assert "CN=Loop" in run.one_line("curl / mail.example.com")


def test_inspect_a_ten_megabyte_certificate(tmp_path: Path, pki: dict[str, Node], big: Node) -> None:
    f = _files(tmp_path, leaf=_pem(big.cert), chain=_pem(pki["inter"].cert), root=_pem(pki["root"].cert))
    for args in ((f["leaf"],), (f["root"], "--chain", f["leaf"])):
        run = Run(tmp_path, "inspect", *args, "--cafile", f["root"], "--name", NAME, "--at", AT)
        run.assert_bounded()
        assert run.code == 3  # UNKNOWN: no certificate file is that large; mailcert says so before reading it
        assert len(run.err.strip().splitlines()) == 1 and "MiB" in run.err


# --- check: the chain is what a server sends ----------------------------------------------------


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[object]:
    servers: list[MailEndpoint] = []

    def start(leaf: Node, chain: bytes) -> MailEndpoint:
        server = MailEndpoint(_pem(leaf.cert), _key_pem(leaf), chain, hostname=NAME).start()
        servers.append(server)
        return server

    yield start
    for s in servers:
        s.stop()


def _check(tmp: Path, server: MailEndpoint, root: Node) -> Run:
    f = _files(tmp, root=_pem(root.cert))
    return Run(tmp, "check", server.url("imaps"), "--name", NAME, "--cafile", f["root"], "--at", AT, "--timeout", "20")


def _refused_at_the_handshake(run: Run) -> None:
    """OpenSSL's client (the probe's, and every OpenSSL mail client's) refuses a Certificate
    message over 100 KB (SSL_MAX_CERT_LIST_DEFAULT): UNKNOWN, one line, as curl or mutt would fail."""
    assert run.code == 3
    assert len(run.err.strip().splitlines()) == 1 and "handshake failed" in run.err


def test_check_a_server_sending_a_thousand_certificates(tmp_path: Path, pki: dict[str, Node], serve: object) -> None:
    server = serve(pki["leaf"], _pem(pki["inter"].cert) * 999)  # type: ignore[operator]
    run = _check(tmp_path, server, pki["root"])
    run.assert_bounded()
    _refused_at_the_handshake(run)


def test_check_a_server_sending_a_loop_of_cross_signs(tmp_path: Path, pki: dict[str, Node], loop: dict[str, Node], serve: object) -> None:
    server = serve(loop["leaf"], _pem(loop["a"].cert, loop["b"].cert) * 20)  # type: ignore[operator]
    run = _check(tmp_path, server, pki["root"])
    run.assert_bounded()
    assert run.code == 2
    assert "CN=Loop" in run.one_line("curl / mail.example.com")


def test_check_a_server_sending_a_ten_megabyte_certificate(tmp_path: Path, pki: dict[str, Node], big: Node, serve: object) -> None:
    server = serve(big, _pem(pki["inter"].cert))  # type: ignore[operator]
    run = _check(tmp_path, server, pki["root"])
    run.assert_bounded()
    _refused_at_the_handshake(run)
