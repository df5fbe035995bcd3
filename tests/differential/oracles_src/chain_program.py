"""Whole-chain oracles by real handshake with a real client program: each chain of the corpus
is served on loopback and the program connects to it; one loop in one process.

Per case the chain is served with the leaf's key by the same server as the CPython oracle
(``chain_python.server_context``: security level 0, so that SHA-1 and RSA-1024 chains reach
the client) on a fresh 127.0.0.1 port; after the handshake it speaks just enough SMTP (a 220
greeting, 250 to EHLO, 354 to DATA and 250 after its final dot, 221 to QUIT) for a mail client
to finish.  The program (first argument):

``gnutls-cli`` (GnuTLS's own client, package gnutls-bin)
    gnutls-cli --x509cafile=<anchors> --verify-hostname=<typed name> --sni-hostname=<typed name>
    (--disable-sni for an IP address) --port=<p> 127.0.0.1, no other option: GnuTLS's default
    priority (NORMAL, verification profile LOW), only the case's anchors (--x509cafile replaces
    the system store, src/cli.c), no CA auto-retrieval, OCSP, TOFU or DANE.  Its certificate
    callback calls gnutls_certificate_verify_peers with the typed name and serverAuth
    (src/common.c cert_verify) and aborts on any status bit; canonicalize_host drops a trailing
    dot and a ":port" first (no corpus name has either).  Accepted: "- Handshake was completed".

``mutt`` (mutt 2.2 built with GnuTLS, as Debian ships it)
    printf 'body' | mutt -n -F /dev/null -e 'set smtp_url=smtps://127.0.0.1:<p>/'
    -e 'set ssl_ca_certificates_file=<anchors>' -e 'set ssl_verify_host_override=<typed name>'
    -e 'set from=...' -s test <recipient>: mutt in batch mode (no terminal) sends one message over
    SMTPS, so a certificate it would ask the user about is refused ("Untrusted server
    certificate", mutt_ssl_gnutls.c tls_check_one_certificate).  Accepted: exit status 0.

``msmtp`` (msmtp 1.8 built with GnuTLS, as Debian ships it)
    msmtp --file=/dev/null --serverinfo --host=127.0.0.1 --port=<p> --tls=on --tls-starttls=off
    --tls-trust-file=<anchors> --tls-host-override=<typed name>: SMTPS to the server, the
    case's anchors only, the typed name as the name to verify (msmtp's mtls_check_cert:
    gnutls_certificate_verify_peers3 with that name, no purpose).  Accepted: exit status 0.

Validation is at the real clock, as for the CPython and Node.js handshake oracles: the chain
corpus is built around the current day.  A request without a typed name cannot be asked (both
programs always verify one); a request without a key (x509-limbo) cannot be served.

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
from typing import Callable, Final, NamedTuple

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from chain_python import CannotServe, pem, server_context  # noqa: E402  (the CPython oracle's server, shared)
from oracle_python import _is_ip, serve  # noqa: E402

_TIMEOUT: Final = 20.0
_SMTP: Final = {b"EHLO": b"250-mailcert chain oracle\r\n250 SIZE 100000\r\n", b"DATA": b"354 end with .\r\n",
                b"QUIT": b"221 bye\r\n"}


class Program(NamedTuple):
    """How one client program is run against a served chain and how its verdict is read."""

    executable: str
    argv: Callable[[str, str, str, int], list[str]]  # (program path, anchors file, typed name, port)
    accepted: Callable[[subprocess.CompletedProcess[bytes]], bool]
    said: tuple[str, ...]  # prefixes of the output lines that carry the program's verdict


def _gnutls_cli(path: str, cafile: str, host: str, port: int) -> list[str]:
    sni = ["--disable-sni"] if _is_ip(host) else [f"--sni-hostname={host}"]
    return [path, f"--x509cafile={cafile}", f"--verify-hostname={host}", *sni, f"--port={port}", "127.0.0.1"]


def _mutt(path: str, cafile: str, host: str, port: int) -> list[str]:
    settings = (f"smtp_url=smtps://127.0.0.1:{port}/", f"ssl_ca_certificates_file={cafile}",
                f"ssl_verify_host_override={host}", "ssl_force_tls=yes", "from=oracle@example.com",
                f"certificate_file={os.path.dirname(cafile)}/mutt-certificates")
    return [path, "-n", "-F", "/dev/null", *(a for s in settings for a in ("-e", f"set {s}")), "-s", "chain oracle",
            "postmaster@example.com"]


def _msmtp(path: str, cafile: str, host: str, port: int) -> list[str]:
    return [path, "--file=/dev/null", "--serverinfo", "--host=127.0.0.1", f"--port={port}", "--tls=on",
            "--tls-starttls=off", f"--tls-trust-file={cafile}", f"--tls-host-override={host}"]


PROGRAMS: Final = {
    "gnutls-cli": Program("gnutls-cli", _gnutls_cli, lambda p: b"- Handshake was completed" in p.stdout, ("- Status:", "***")),
    "msmtp": Program("msmtp", _msmtp, lambda p: p.returncode == 0, ("msmtp:",)),
    "mutt": Program("mutt", _mutt, lambda p: p.returncode == 0, ("Untrusted", "Could not", "SSL", "TLS")),
}


def _serve_once(listener: socket.socket, context: ssl.SSLContext) -> None:
    """Accept one connection, run the server's side of the handshake, then answer SMTP until the
    client closes; a client that refuses ends the handshake with an alert, which is its business."""
    listener.settimeout(_TIMEOUT)
    try:
        conn, _ = listener.accept()
    except OSError:
        return
    with conn:
        conn.settimeout(_TIMEOUT)
        try:
            with context.wrap_socket(conn, server_side=True) as tls, tls.makefile("rwb") as stream:
                stream.write(b"220 mailcert chain oracle ESMTP\r\n")
                stream.flush()
                data = False
                for line in stream:
                    if data:  # the message, up to its final dot
                        data = line != b".\r\n"
                        reply = b"" if data else b"250 queued\r\n"
                    else:
                        verb = line[:4].upper()
                        data, reply = verb == b"DATA", _SMTP.get(verb, b"250 ok\r\n")
                    stream.write(reply)
                    stream.flush()
                    if line[:4].upper() == b"QUIT" and not data:
                        break
        except (ssl.SSLError, OSError):
            pass


def judge(req: dict[str, str], workdir: str, program: Program, path: str) -> tuple[bool, str]:
    try:
        server = server_context(req, workdir)
    except CannotServe as exc:
        return False, str(exc)
    host = req["host"]
    if not host:
        return False, f"{program.executable} always verifies a host name: the chain alone cannot be asked"
    cafile = os.path.join(workdir, "anchors.pem")
    with open(cafile, "w", encoding="ascii") as fh:
        fh.write(pem(req["roots"]))
    with socket.create_server(("127.0.0.1", 0)) as listener:
        thread = threading.Thread(target=_serve_once, args=(listener, server), daemon=True)
        thread.start()
        argv = program.argv(path, cafile, host, listener.getsockname()[1])
        env = {**os.environ, "HOME": workdir}  # no user configuration
        try:
            proc = subprocess.run(argv, input=b"mailcert chain oracle\n", capture_output=True, timeout=_TIMEOUT, env=env,
                                  check=False)
        except subprocess.TimeoutExpired:
            return False, f"{program.executable} did not finish within {_TIMEOUT:.0f}s"
        finally:
            thread.join(_TIMEOUT)
    out = (proc.stdout + proc.stderr).decode("utf-8", "replace").splitlines()
    said = [line.strip() for line in out if line.startswith(program.said)]
    accepted = program.accepted(proc)
    return accepted, f"exit {proc.returncode}: " + " | ".join(said or ["handshake completed" if accepted else "no status"])


def main(argv: list[str]) -> int:
    program = PROGRAMS.get(argv[1]) if len(argv) == 2 else None
    if program is None:
        print(f"usage: chain_program.py {{{','.join(PROGRAMS)}}}", file=sys.stderr)
        return 2
    path = shutil.which(program.executable)
    if path is None:
        print(f"{program.executable} is missing", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix=f"mailcert-chain-{program.executable}-") as workdir:
        serve(lambda req: judge(req, workdir, program, path))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
