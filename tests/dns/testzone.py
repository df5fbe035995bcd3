"""A real DNS server on loopback serving a test zone: dnsmasq, run privately.

Used by the ``mailcert address check`` tests (and anyone who needs DNS answers without the
internet).  dnsmasq comes from Debian's ``dnsmasq-base`` (``scripts/deps/wizards.sh``); it is
started with no configuration file, no upstream servers, no /etc/hosts, on 127.0.0.1 and a
free high port, and answers only from the records given on its command line.  Names in the
zone's domains that are not listed get NXDOMAIN (``--local``), so nothing is ever forwarded.

The zone lives under ``.test`` (RFC 6761): even a mistake cannot send a query for it to a
public server and get a real answer.

This directory has no ``__init__.py`` on purpose: as a package it would be importable as
``dns`` and shadow dnspython.  Tests load this file by path (see tests/commands/test_address.py).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import pytest

DOMAINS = ("contoso.test", "broken.test", "nomx.test")

# contoso.test: everything in order (A+AAAA, two MX hosts, SRV for IMAPS and submission).
# broken.test: the external name does not resolve and its MX host has no address.
# nomx.test: a name but no MX at all.
ZONE_ARGS: tuple[str, ...] = (
    "--host-record=remote.contoso.test,192.0.2.10,2001:db8::10",
    "--host-record=mail.contoso.test,192.0.2.25",
    "--mx-host=contoso.test,mail.contoso.test,10",
    "--mx-host=contoso.test,remote.contoso.test,20",
    "--srv-host=_imaps._tcp.contoso.test,remote.contoso.test,993,0,1",
    "--srv-host=_submission._tcp.contoso.test,mail.contoso.test,587,0,1",
    "--txt-record=contoso.test,v=spf1 mx -all",
    "--mx-host=broken.test,gone.broken.test,10",
    "--host-record=remote.nomx.test,192.0.2.99",
)


def find_dnsmasq() -> str | None:
    return shutil.which("dnsmasq") or next(
        (p for p in ("/usr/sbin/dnsmasq", "/sbin/dnsmasq") if os.access(p, os.X_OK)), None
    )


def _free_port() -> int:
    """A port free for both UDP and TCP on 127.0.0.1 (dnsmasq listens on both)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
            u.bind(("127.0.0.1", 0))
            port = int(u.getsockname()[1])
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as t:
                try:
                    t.bind(("127.0.0.1", port))
                except OSError:
                    continue
                return port
    raise RuntimeError("no free port on 127.0.0.1")


@dataclass(frozen=True)
class DnsServer:
    host: str
    port: int

    @property
    def nameserver(self) -> str:
        """The ``--nameserver`` argument that reaches this server."""
        return f"{self.host}:{self.port}"


def _ready(port: int) -> bool:
    import dns.message
    import dns.query

    query = dns.message.make_query("remote.contoso.test.", "A")
    try:
        dns.query.udp(query, "127.0.0.1", port=port, timeout=0.2)
    except Exception:  # noqa: BLE001 - not up yet
        return False
    return True


@contextmanager
def dnsmasq_server(zone: Sequence[str] = ZONE_ARGS, domains: Sequence[str] = DOMAINS) -> Iterator[DnsServer]:
    """Start dnsmasq on 127.0.0.1:<free port> serving ``zone``; stop it on exit.

    Skips the test when dnsmasq is missing, except under CI (``CI=true``), where a missing
    dnsmasq is a broken setup and fails loudly instead of hiding the tests.
    """
    binary = find_dnsmasq()
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("dnsmasq is not installed; scripts/deps/wizards.sh installs it")
        pytest.skip("dnsmasq is not installed (run scripts/deps/wizards.sh)")
    last_error = ""
    for _attempt in range(3):
        port = _free_port()
        args = [
            binary,
            "--no-daemon",
            f"--port={port}",
            "--listen-address=127.0.0.1",
            "--bind-interfaces",
            "--no-resolv",
            "--no-hosts",
            "--conf-file=/dev/null",
            "--pid-file",  # no pid file
            *(["--user=nobody"] if os.geteuid() == 0 else []),  # drop root once the port is bound
            *[f"--local=/{d}/" for d in domains],
            *zone,
        ]
        proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and proc.poll() is None and not _ready(port):
            time.sleep(0.05)
        if proc.poll() is None:
            try:
                yield DnsServer("127.0.0.1", port)
            finally:
                proc.terminate()
                try:
                    proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
                if proc.stderr:
                    proc.stderr.close()
            return
        last_error = proc.stderr.read().decode(errors="replace").strip() if proc.stderr else ""
        if proc.stderr:
            proc.stderr.close()
    raise RuntimeError(f"dnsmasq did not start: {last_error}")
