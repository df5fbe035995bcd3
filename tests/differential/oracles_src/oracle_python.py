"""CPython `ssl` oracle: a real TLS handshake per case, in memory, in one process.

Why a handshake and not `ssl.match_hostname`: since Python 3.7 the name check is done by
OpenSSL inside the handshake (X509_VERIFY_PARAM_set1_host / set1_ip_asc with the flags
CPython chooses), and `server_hostname` goes through CPython's own checks and IDNA 2003
encoding first.  Only a handshake asks all of that exactly as imaplib, smtplib and
requests do.

Usage: oracle_python.py CA_PEM LEAF_KEY_PEM < cases.jsonl > verdicts.jsonl
"""

from __future__ import annotations

import base64
import ipaddress
import json
import os
import ssl
import sys
import tempfile
from typing import Callable, Final

_MAX_ROUNDS: Final = 64


def _pump(src: ssl.MemoryBIO, dst: ssl.MemoryBIO) -> None:
    data = src.read()
    if data:
        dst.write(data)


class HandshakeOracle:
    """Holds the client context (trusting only the test CA) and one server context per leaf."""

    def __init__(self, ca_pem: str, key_path: str, workdir: str) -> None:
        self._client = ssl.create_default_context(cadata=ca_pem)
        assert self._client.check_hostname and self._client.verify_mode == ssl.CERT_REQUIRED
        self._key_path = key_path
        self._workdir = workdir
        self._servers: dict[str, ssl.SSLContext] = {}

    def _server(self, cert_b64: str) -> ssl.SSLContext:
        ctx = self._servers.get(cert_b64)
        if ctx is None:
            pem = ssl.DER_cert_to_PEM_cert(base64.b64decode(cert_b64))
            path = os.path.join(self._workdir, f"leaf{len(self._servers)}.pem")
            with open(path, "w", encoding="ascii") as fh:
                fh.write(pem)
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(path, self._key_path)
            self._servers[cert_b64] = ctx
        return ctx

    def judge(self, cert_b64: str, host: str) -> tuple[bool, str]:
        """Run one handshake; the client's success is the verdict."""
        try:
            server_ctx = self._server(cert_b64)
        except Exception as exc:  # the server cannot even load it: no client can accept it
            return False, f"server could not load the certificate: {type(exc).__name__}: {exc}"
        return handshake(self._client, server_ctx, host)


def handshake(client_ctx: ssl.SSLContext, server_ctx: ssl.SSLContext, host: str | None) -> tuple[bool, str]:
    """One TLS handshake in memory between the two contexts; the client's success is the verdict."""
    c_in, c_out, s_in, s_out = (ssl.MemoryBIO() for _ in range(4))
    try:
        client = client_ctx.wrap_bio(c_in, c_out, server_side=False, server_hostname=host)
    except Exception as exc:  # ValueError / UnicodeError for hosts CPython refuses
        return False, f"wrap_bio(server_hostname=...) raised {type(exc).__name__}: {exc}"
    server = server_ctx.wrap_bio(s_in, s_out, server_side=True)
    client_done = server_done = False
    server_error = ""
    for _ in range(_MAX_ROUNDS):
        if not client_done:
            try:
                client.do_handshake()
                client_done = True
            except ssl.SSLWantReadError:
                pass
            except ssl.SSLCertVerificationError as exc:
                return False, f"SSLCertVerificationError: {exc.verify_message} (verify_code={exc.verify_code})"
            except Exception as exc:
                suffix = f"; server said: {server_error}" if server_error else ""
                return False, f"client handshake failed: {type(exc).__name__}: {exc}{suffix}"
        _pump(c_out, s_in)
        if not server_done and not server_error:
            try:
                server.do_handshake()
                server_done = True
            except ssl.SSLWantReadError:
                pass
            except Exception as exc:
                server_error = f"{type(exc).__name__}: {exc}"
        _pump(s_out, c_in)
        if client_done and (server_done or server_error):
            break
    if not client_done:
        return False, f"handshake did not complete{'; server: ' + server_error if server_error else ''}"
    sni = "SNI sent" if client.server_hostname and not _is_ip(host or "") else "no SNI"
    return True, f"handshake completed ({client.version()}, server_hostname={client.server_hostname!r}, {sni})"


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[1], encoding="ascii") as fh:
        ca_pem = fh.read()
    with tempfile.TemporaryDirectory(prefix="mailcert-oracle-python-") as workdir:
        oracle = HandshakeOracle(ca_pem, argv[2], workdir)
        serve(lambda req: oracle.judge(req["cert"], req["host"]))
    return 0


def serve(judge: Callable[[dict[str, str]], tuple[bool, str]]) -> None:
    """Answer each request line on stdin with ``judge``'s verdict on stdout (JSON lines)."""
    stdin = open(sys.stdin.fileno(), encoding="utf-8", errors="surrogateescape", closefd=False)
    stdout = open(sys.stdout.fileno(), "w", encoding="utf-8", closefd=False)
    for line in stdin:
        if not line.strip():
            continue
        try:
            req = json.loads(line)
            accepted, detail = judge(req)
            case_id = req["id"]
        except Exception as exc:  # a broken line is reported, never fatal to the batch
            case_id, accepted, detail = None, False, f"oracle: malformed input line: {exc}"
        stdout.write(json.dumps({"id": case_id, "accepted": accepted, "detail": detail}) + "\n")
    stdout.flush()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
