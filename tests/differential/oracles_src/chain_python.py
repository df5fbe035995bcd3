"""CPython whole-chain oracle: a real TLS handshake per case, in memory, in one process.

The client is ``ssl.create_default_context(cadata=<the case's anchors>)`` with
``server_hostname=<typed name>`` - what imaplib, smtplib and requests run - so CPython's own
OpenSSL set-up (its verify flags, security level, host checks) decides.  The server serves the
case's chain with the leaf's key at security level 0, so that it can serve what a client must
judge (SHA-1, RSA-1024).  Validation is at the real clock: the chain corpus is built around
the current day.  Cases without a key (x509-limbo) cannot be served: refused with that detail.

``server_context`` and ``pem`` are shared with the other handshake oracles written in Python
(chain_program.py), so every client is served the same bytes the same way.

stdin   run_chain_oracle's requests (tests/differential/oracles.py) with "key": base64 PEM
stdout  {"id": ..., "accepted": true|false, "detail": "..."}
"""

from __future__ import annotations

import base64
import os
import ssl
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from oracle_python import handshake, serve  # noqa: E402  (the name oracle's handshake and loop, shared)


class CannotServe(Exception):
    """No server can serve the case's chain (no key for the leaf, or the chain does not load):
    no client can accept it; the message says why."""


def pem(field: str) -> str:
    """A request's space-separated base64 DER certificates as one PEM text."""
    return "".join(ssl.DER_cert_to_PEM_cert(base64.b64decode(b)) for b in field.split())


def server_context(req: dict[str, str], workdir: str) -> ssl.SSLContext:
    """A TLS server context serving the case's chain (leaf first) with the leaf's key, at
    security level 0 so that it serves what the client must judge; CannotServe otherwise."""
    if not req.get("key"):
        raise CannotServe("no private key for the leaf: no server can serve it")
    chain_path, key_path = os.path.join(workdir, "chain.pem"), os.path.join(workdir, "key.pem")
    with open(chain_path, "w", encoding="ascii") as fh:
        fh.write(pem(req["cert"] + " " + req["chain"]))
    with open(key_path, "wb") as fh:
        fh.write(base64.b64decode(req["key"]))
    os.chmod(key_path, 0o600)
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.set_ciphers("DEFAULT:@SECLEVEL=0")
    try:
        server.load_cert_chain(chain_path, key_path)
    except (ssl.SSLError, OSError) as exc:
        raise CannotServe(f"server could not load the chain: {exc}") from exc
    return server


def judge(req: dict[str, str], workdir: str) -> tuple[bool, str]:
    try:
        server = server_context(req, workdir)
    except CannotServe as exc:
        return False, str(exc)
    if not req["roots"].strip():
        return False, "no trust anchors (create_default_context would load the system's)"
    try:
        client = ssl.create_default_context(cadata=pem(req["roots"]))
    except ssl.SSLError as exc:
        return False, f"create_default_context(cadata=...): {exc}"
    host = req["host"] or None
    if host is None:
        client.check_hostname = False  # the chain alone
    return handshake(client, server, host)


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="mailcert-chain-python-") as workdir:
        serve(lambda req: judge(req, workdir))
    return 0


if __name__ == "__main__":
    sys.exit(main())
