"""JDK whole-chain oracle by real handshake: each chain of the corpus is served on loopback and
one JVM (ChainClient.java, a JSSE client set up as a Java mail client sets it up) connects to it.

Per case the chain is served with the leaf's key by the CPython oracle's server
(``chain_python.server_context``, security level 0, so that SHA-1 and RSA-1024 chains reach
the client), one connection on a fresh 127.0.0.1 port (``chain_program._serve_once``); the
request goes to the JVM, which connects, handshakes and answers.  A request without a key
(x509-limbo) cannot be served; one without a typed name is asked without endpoint
identification being possible, so it is refused as the other handshake oracles refuse it.

Usage: chain_jsse.py BUILD_DIR (where ChainClient.class is)
stdin   run_chain_oracle's requests (tests/differential/oracles.py) with "key": base64 PEM
stdout  {"id": ..., "accepted": true|false, "detail": "..."}
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from chain_program import _TIMEOUT, _serve_once  # noqa: E402  (the served-chain oracles' server, shared)
from chain_python import CannotServe, server_context  # noqa: E402
from oracle_python import serve  # noqa: E402


def judge(req: dict[str, str], workdir: str, jvm: subprocess.Popen[str]) -> tuple[bool, str]:
    try:
        server = server_context(req, workdir)
    except CannotServe as exc:
        return False, str(exc)
    if not req["host"]:
        return False, "a JSSE client with endpoint identification needs a host name: the chain alone cannot be asked"
    assert jvm.stdin is not None and jvm.stdout is not None
    with socket.create_server(("127.0.0.1", 0)) as listener:
        thread = threading.Thread(target=_serve_once, args=(listener, server, []), daemon=True)
        thread.start()
        ask = {"id": req["id"], "host": req["host"], "port": str(listener.getsockname()[1]), "roots": req["roots"]}
        jvm.stdin.write(json.dumps(ask) + "\n")
        jvm.stdin.flush()
        answer = jvm.stdout.readline()
        thread.join(_TIMEOUT)
    if not answer:
        return False, f"the JVM ended: exit {jvm.wait()}"
    verdict = json.loads(answer)
    return bool(verdict["accepted"]), str(verdict["detail"])


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: chain_jsse.py BUILD_DIR", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="mailcert-chain-jsse-") as workdir, subprocess.Popen(
        ["java", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp", argv[1], "ChainClient"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, encoding="utf-8",
    ) as jvm:
        serve(lambda req: judge(req, workdir, jvm))
        assert jvm.stdin is not None
        jvm.stdin.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
