"""GnuTLS whole-chain oracle by real handshake: GnuTLS's own client program, ``gnutls-cli``,
connects to each chain of the corpus served on loopback; one loop in one process.

Per case the chain is served with the leaf's key by the same server as the CPython oracle
(``chain_python.server_context``: security level 0, so that SHA-1 and RSA-1024 chains reach
the client), on a fresh 127.0.0.1 port, and the client runs as

    gnutls-cli --x509cafile=<the case's anchors> --verify-hostname=<typed name>
               --sni-hostname=<typed name> (--disable-sni for an IP address) --port=<p> 127.0.0.1

with no other option: GnuTLS's default priority (NORMAL, whose verification profile is LOW),
only the case's anchors (--x509cafile replaces the system store, src/cli.c
init_global_tls_stuff), no CA auto-retrieval, no OCSP, no TOFU, no DANE (all off by default).
Its certificate callback calls ``gnutls_certificate_verify_peers`` with the typed name as
GNUTLS_DT_DNS_HOSTNAME and serverAuth as GNUTLS_DT_KEY_PURPOSE_OID (src/common.c
cert_verify) and aborts the handshake on any status bit; ``canonicalize_host`` drops a
trailing dot and a ":port" from the name first (no corpus name has either).  The verdict is
whether gnutls-cli reports "- Handshake was completed"; the detail is its status line.

Validation is at the real clock, as for the CPython and Node.js handshake oracles: the chain
corpus is built around the current day.  A request without a typed name cannot be asked
(gnutls-cli always verifies one); a request without a key (x509-limbo) cannot be served.

stdin   run_chain_oracle's requests (tests/differential/oracles.py) with "key": base64 PEM
stdout  {"id": ..., "accepted": true|false, "detail": "..."}
"""

from __future__ import annotations

import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
from typing import Final

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from chain_python import CannotServe, pem, server_context  # noqa: E402  (the CPython oracle's server, shared)
from oracle_python import _is_ip, serve  # noqa: E402

_TIMEOUT: Final = 20.0


def _serve_once(listener: socket.socket, context: ssl.SSLContext) -> None:
    """Accept one connection, run the server's side of the handshake, hold it until the client
    closes; a client that refuses ends the handshake with an alert, which is its business."""
    listener.settimeout(_TIMEOUT)
    try:
        conn, _ = listener.accept()
    except OSError:
        return
    with conn:
        conn.settimeout(_TIMEOUT)
        try:
            with context.wrap_socket(conn, server_side=True) as tls:
                tls.recv(1)
        except (ssl.SSLError, OSError):
            pass


def judge(req: dict[str, str], workdir: str, program: str) -> tuple[bool, str]:
    try:
        server = server_context(req, workdir)
    except CannotServe as exc:
        return False, str(exc)
    host = req["host"]
    if not host:
        return False, "gnutls-cli always verifies a host name: the chain alone cannot be asked"
    cafile = os.path.join(workdir, "anchors.pem")
    with open(cafile, "w", encoding="ascii") as fh:
        fh.write(pem(req["roots"]))
    with socket.create_server(("127.0.0.1", 0)) as listener:
        thread = threading.Thread(target=_serve_once, args=(listener, server), daemon=True)
        thread.start()
        sni = ["--disable-sni"] if _is_ip(host) else [f"--sni-hostname={host}"]
        argv = [program, f"--x509cafile={cafile}", f"--verify-hostname={host}", *sni,
                f"--port={listener.getsockname()[1]}", "127.0.0.1"]
        try:
            proc = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=_TIMEOUT, check=False)
        except subprocess.TimeoutExpired:
            return False, f"gnutls-cli did not finish within {_TIMEOUT:.0f}s"
        finally:
            thread.join(_TIMEOUT)
    out = proc.stdout.decode("utf-8", "replace")
    said = [line.strip() for line in out.splitlines() if line.startswith(("- Status:", "***"))]
    said += [line.strip() for line in proc.stderr.decode("utf-8", "replace").splitlines() if line.startswith("***")]
    accepted = "- Handshake was completed" in out
    return accepted, f"exit {proc.returncode}: " + " | ".join(said or ["handshake completed" if accepted else "no status"])


def main() -> int:
    program = shutil.which("gnutls-cli")
    if program is None:
        print("gnutls-cli is missing (Debian package gnutls-bin)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="mailcert-chain-gnutls-cli-") as workdir:
        serve(lambda req: judge(req, workdir, program))
    return 0


if __name__ == "__main__":
    sys.exit(main())
