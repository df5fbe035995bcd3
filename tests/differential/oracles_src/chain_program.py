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

``neomutt`` (NeoMutt 20220429 built with GnuTLS, as Debian ships it)
    the same command line, but NeoMutt has no ssl_verify_host_override: it verifies the host of
    smtp_url, so the URL carries the typed name (smtps://<typed name>:<p>/) and the program
    reaches the server under it (``Program.by_name``, below).  In batch mode NeoMutt's
    certificate dialog cannot be answered and ends as a refusal (conn/gnutls.c
    tls_check_one_certificate: dlg_verify_certificate), silently: exit status 1 and no text, so
    the detail of a refusal is what the server saw (the handshake completed and the client left
    without a command: its own check after the handshake).  Accepted: exit status 0.

``msmtp`` (msmtp 1.8 built with GnuTLS, as Debian ships it)
    msmtp --file=/dev/null --serverinfo --host=127.0.0.1 --port=<p> --tls=on --tls-starttls=off
    --tls-trust-file=<anchors> --tls-host-override=<typed name>: SMTPS to the server, the
    case's anchors only, the typed name as the name to verify (msmtp's mtls_check_cert:
    gnutls_certificate_verify_peers3 with that name, no purpose).  Accepted: exit status 0.

``gio`` (GIO with glib-networking 2.74's GnuTLS backend, as Evolution's camel uses it)
    /usr/bin/python3 gio_client.py <anchors> <typed name> <port> (oracles_src/gio_client.py): a
    GTlsClientConnection to 127.0.0.1 whose server identity is the typed name, a GTlsFileDatabase
    of the anchors, "accept-certificate" answered no (camel's unanswered trust prompt).  The
    library Evolution's TLS goes through, not the Evolution program.  Accepted: "ACCEPTED".

A program that verifies the host it connects to (``Program.by_name``: neomutt) runs with the
whole oracle in a network and mount namespace of its own (``unshare --net --mount``, entered by
``main`` itself): loopback only, the typed name in a hosts file bind-mounted over /etc/hosts
(pointing to 127.0.0.1), a typed IP address added to the namespace's loopback device and served
there.  Neither the machine's /etc/hosts nor its network change, and the program can reach
nothing but the served chain.

Validation is at the real clock, as for the CPython and Node.js handshake oracles: the chain
corpus is built around the current day.  A request without a typed name cannot be asked (the
programs always verify one); a request without a key (x509-limbo) cannot be served.  A program
that never reached the server is not a refusal: the oracle stops with the reason (its setup,
not the certificate, failed).

stdin   run_chain_oracle's requests (tests/differential/oracles.py) with "key": base64 PEM
stdout  {"id": ..., "accepted": true|false, "detail": "..."}
"""

from __future__ import annotations

import contextlib
import ipaddress
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
_GIO_CLIENT: Final = os.path.join(os.path.dirname(os.path.abspath(__file__)), "gio_client.py")
_SMTP: Final = {b"EHLO": b"250-mailcert chain oracle\r\n250 SIZE 100000\r\n", b"DATA": b"354 end with .\r\n",
                b"QUIT": b"221 bye\r\n"}


class Program(NamedTuple):
    """How one client program is run against a served chain and how its verdict is read."""

    executable: str
    argv: Callable[[str, str, str, int], list[str]]  # (program path, anchors file, typed name, port)
    accepted: Callable[[subprocess.CompletedProcess[bytes]], bool]
    said: tuple[str, ...]  # prefixes of the output lines that carry the program's verdict
    #: the program verifies the host it connects to and has no setting for another name: it must
    #: reach the server under the typed name (in the oracle's own namespaces, see the module doc)
    by_name: bool = False


def _gnutls_cli(path: str, cafile: str, host: str, port: int) -> list[str]:
    sni = ["--disable-sni"] if _is_ip(host) else [f"--sni-hostname={host}"]
    return [path, f"--x509cafile={cafile}", f"--verify-hostname={host}", *sni, f"--port={port}", "127.0.0.1"]


def _mutt(*, host_override: bool) -> Callable[[str, str, str, int], list[str]]:
    """mutt's and NeoMutt's batch-mode send over SMTPS, one command line for both: mutt connects
    to 127.0.0.1 and verifies the typed name (ssl_verify_host_override); NeoMutt, which has no
    such setting, connects to the typed name itself and verifies that."""

    def argv(path: str, cafile: str, host: str, port: int) -> list[str]:
        server = "127.0.0.1" if host_override else f"[{host}]" if ":" in host else host
        settings = (f"smtp_url=smtps://{server}:{port}/", f"ssl_ca_certificates_file={cafile}",
                    *([f"ssl_verify_host_override={host}"] if host_override else []), "ssl_force_tls=yes",
                    "from=oracle@example.com", f"certificate_file={os.path.dirname(cafile)}/mutt-certificates")
        return [path, "-n", "-F", "/dev/null", *(a for s in settings for a in ("-e", f"set {s}")), "-s",
                "chain oracle", "postmaster@example.com"]

    return argv


def _msmtp(path: str, cafile: str, host: str, port: int) -> list[str]:
    return [path, "--file=/dev/null", "--serverinfo", "--host=127.0.0.1", f"--port={port}", "--tls=on",
            "--tls-starttls=off", f"--tls-trust-file={cafile}", f"--tls-host-override={host}"]


PROGRAMS: Final = {
    "gnutls-cli": Program("gnutls-cli", _gnutls_cli, lambda p: b"- Handshake was completed" in p.stdout, ("- Status:", "***")),
    "msmtp": Program("msmtp", _msmtp, lambda p: p.returncode == 0, ("msmtp:",)),
    "mutt": Program("mutt", _mutt(host_override=True), lambda p: p.returncode == 0, ("Untrusted", "Could not", "SSL", "TLS")),
    "neomutt": Program("neomutt", _mutt(host_override=False), lambda p: p.returncode == 0,
                       ("Untrusted", "Could not", "SSL", "TLS", "gnutls"), by_name=True),
    # Debian's python3, for which python3-gi is built
    "gio": Program("/usr/bin/python3", lambda path, cafile, host, port: [path, _GIO_CLIENT, cafile, host, str(port)],
                   lambda p: p.returncode == 0 and p.stdout.strip() == b"ACCEPTED", ("ACCEPTED", "REFUSED", "Traceback")),
}


def _serve_once(listener: socket.socket, context: ssl.SSLContext, seen: list[str]) -> None:
    """Accept one connection, run the server's side of the handshake, then answer SMTP until the
    client closes; a client that refuses ends the handshake with an alert, which is its business.
    What the server saw goes into ``seen``: a program that refuses without a word (NeoMutt in
    batch mode) is told apart from one that never connected."""
    listener.settimeout(_TIMEOUT)
    try:
        conn, _ = listener.accept()
    except OSError:
        seen.append("no connection")
        return
    verbs: list[str] = []
    with conn:
        conn.settimeout(_TIMEOUT)
        try:
            with context.wrap_socket(conn, server_side=True) as tls, tls.makefile("rwb") as stream:
                seen.append("handshake completed")
                stream.write(b"220 mailcert chain oracle ESMTP\r\n")
                stream.flush()
                data = False
                for line in stream:
                    if data:  # the message, up to its final dot
                        data = line != b".\r\n"
                        reply = b"" if data else b"250 queued\r\n"
                    else:
                        verb = line[:4].upper()
                        verbs.append(verb.decode("ascii", "replace"))
                        data, reply = verb == b"DATA", _SMTP.get(verb, b"250 ok\r\n")
                    stream.write(reply)
                    stream.flush()
                    if line[:4].upper() == b"QUIT" and not data:
                        break
        except (ssl.SSLError, OSError) as exc:
            seen.append(f"{'after' if seen else 'in'} the handshake: {exc}")
    seen.append(f"the client sent {' '.join(verbs)}" if verbs else "the client left without a command")


def _reach(host: str, hosts: str) -> str:
    """Make the typed name lead to the server inside the oracle's namespaces; the address to
    serve on.  A name: the hosts file (bind-mounted over /etc/hosts) maps it to 127.0.0.1,
    rewritten in place so that the mount keeps showing it; an IP address: added to loopback."""
    if _is_ip(host):
        address = ipaddress.ip_address(host)
        subprocess.run(["ip", "addr", "replace", f"{address}/{address.max_prefixlen}", "dev", "lo"], check=True,
                       capture_output=True, timeout=_TIMEOUT)
        return host
    with open(hosts, "w", encoding="utf-8") as fh:  # same inode: the bind mount shows the new text
        fh.write(f"127.0.0.1 localhost {host}\n")
    return "127.0.0.1"


def judge(req: dict[str, str], workdir: str, program: Program, path: str) -> tuple[bool, str]:
    """Serve the request's chain once and run the program against it: its verdict, with what it
    said and what the server saw (so that a refusal without words still shows where it came)."""
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
    address = _reach(host, os.path.join(workdir, "hosts")) if program.by_name else "127.0.0.1"
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    seen: list[str] = []
    with socket.create_server((address, 0), family=family) as listener:
        thread = threading.Thread(target=_serve_once, args=(listener, server, seen), daemon=True)
        thread.start()
        argv = program.argv(path, cafile, host, listener.getsockname()[1])
        env = {**os.environ, "HOME": workdir}  # no user configuration
        try:
            proc = subprocess.run(argv, input=b"mailcert chain oracle\n", capture_output=True, timeout=_TIMEOUT, env=env,
                                  check=False)
        except subprocess.TimeoutExpired:
            return False, f"{program.executable} did not finish within {_TIMEOUT:.0f}s"
        finally:
            with contextlib.suppress(OSError):  # a program that never connected: the accept ends now
                listener.shutdown(socket.SHUT_RDWR)
            thread.join(_TIMEOUT)
    out = (proc.stdout + proc.stderr).decode("utf-8", "replace").splitlines()
    said = [line.strip() for line in out if line.startswith(program.said)]
    accepted = program.accepted(proc)
    if not accepted and seen[:1] == ["no connection"]:
        raise RuntimeError(f"{program.executable} never reached the server at {address} for {host!r} (exit"
                           f" {proc.returncode}: {' | '.join(out[-3:])}): the oracle's set-up failed, not the certificate")
    return accepted, (f"exit {proc.returncode}: " + " | ".join(said or ["handshake completed" if accepted else "nothing said"])
                      + f" (server: {', '.join(seen)})")


def _private_namespaces(workdir: str) -> str:
    """Check that this process has a network and a mount namespace of its own (``main`` entered
    them with unshare), bring its loopback up and bind-mount a hosts file over /etc/hosts; the
    hosts file's path.  Refuses rather than touch the machine's /etc/hosts or network."""
    parent = os.getppid()
    for kind in ("net", "mnt"):
        if os.readlink(f"/proc/self/ns/{kind}") == os.readlink(f"/proc/{parent}/ns/{kind}"):
            raise SystemExit(f"chain_program.py: not in a {kind} namespace of its own; refusing to change the machine's")
    hosts = os.path.join(workdir, "hosts")
    with open(hosts, "w", encoding="utf-8") as fh:
        fh.write("127.0.0.1 localhost\n")
    for step in (["ip", "link", "set", "lo", "up"], ["mount", "--bind", hosts, "/etc/hosts"]):
        subprocess.run(step, check=True, capture_output=True, timeout=_TIMEOUT)
    return hosts


_IN_NAMESPACES: Final = "MAILCERT_CHAIN_PROGRAM_NAMESPACES"


def main(argv: list[str]) -> int:
    program = PROGRAMS.get(argv[1]) if len(argv) == 2 else None
    if program is None:
        print(f"usage: chain_program.py {{{','.join(PROGRAMS)}}}", file=sys.stderr)
        return 2
    path = shutil.which(program.executable)
    if path is None:
        print(f"{program.executable} is missing", file=sys.stderr)
        return 2
    if program.by_name and not os.environ.get(_IN_NAMESPACES):
        # once: the same process goes on in new network and mount namespaces (unshare execs it)
        os.environ[_IN_NAMESPACES] = "1"
        os.execvp("unshare", ["unshare", "--net", "--mount", "--propagation", "private", sys.executable,
                              os.path.abspath(__file__), *argv[1:]])
    with tempfile.TemporaryDirectory(prefix=f"mailcert-chain-{os.path.basename(program.executable)}-") as workdir:
        if program.by_name:
            _private_namespaces(workdir)
        serve(lambda req: judge(req, workdir, program, path))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
