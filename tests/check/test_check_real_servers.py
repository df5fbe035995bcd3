"""``mailcert check`` against REAL Dovecot and Postfix on loopback (issue 3's integration tests).

Each server is a private instance started here with certificates made here: the SBS-style
leaf (remote.contoso.com second in the SAN), the ordered one (remote.contoso.com first) and an
expired one, all from one fixture CA given with --cafile.  The command runs as a user would
run it (a subprocess, no standard input) and is judged by its exit status and JSON.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.schemas import validate
from tests.servers.certs import FixturePKI
from tests.servers.dovecot import DovecotServer
from tests.servers.postfix import PostfixServer

MakeDovecot = Callable[..., DovecotServer]

pytestmark = pytest.mark.integration
NAME = "remote.contoso.com"


# Servers come from tests/servers/fixtures.py: ``dovecot`` and ``postfix`` (shared, serving the
# SBS-style leaf), ``make_dovecot`` for one with another certificate; ``server_pki`` holds the CA.


def check(url: str, ca: Path, *extra: str, timeout: float = 60) -> tuple[int, dict, str]:  # type: ignore[type-arg]
    proc = subprocess.run(
        [sys.executable, "-m", "mailcert", "check", url, "--name", NAME, "--cafile", str(ca), "--format", "json", *extra],
        capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL, env={**os.environ, "NO_COLOR": "1"},
    )
    doc = validate(json.loads(proc.stdout), "check") if proc.stdout.strip() else {}
    return proc.returncode, doc, proc.stderr


def _dovecot_urls(s: DovecotServer) -> list[str]:
    return [f"imap://127.0.0.1:{s.imap_port}", f"imaps://127.0.0.1:{s.imaps_port}",
            f"pop3://127.0.0.1:{s.pop3_port}", f"pop3s://127.0.0.1:{s.pop3s_port}"]


def test_sbs_certificate_on_every_dovecot_port_warns_for_outlook2007(dovecot: DovecotServer, server_pki: FixturePKI) -> None:
    for url in _dovecot_urls(dovecot):
        rc, doc, err = check(url, server_pki.ca.cert_path)
        assert rc == 1, (url, err)
        refused = {r["client"]: r for r in doc["results"] if not r["accepted"]}
        assert set(refused) == {"outlook2007"}, url
        assert "The target principal name is incorrect" in refused["outlook2007"]["message"]
        assert doc["certificate"]["san"][0] == ["DNS", "sbs.contoso.local"]
        assert doc["trust"]["trusted"] is True
        assert doc["connections"]["with_sni"]["ok"] and doc["connections"]["without_sni"]["ok"]
        assert [f["code"] for f in doc["findings"] if f["severity"] != "info"] == ["first-san-not-name"]


def test_starttls_is_really_used_on_plain_ports(dovecot: DovecotServer, server_pki: FixturePKI) -> None:
    rc, doc, _ = check(f"imap://127.0.0.1:{dovecot.imap_port}", server_pki.ca.cert_path)
    assert doc["connections"]["with_sni"]["starttls_offered"] is True
    rc, doc, _ = check(f"pop3s://127.0.0.1:{dovecot.pop3s_port}", server_pki.ca.cert_path)
    assert doc["connections"]["with_sni"]["starttls_offered"] is None


def test_ordered_certificate_is_clean(make_dovecot: MakeDovecot, server_pki: FixturePKI) -> None:
    server = make_dovecot(server_pki.ordered.cert_path, server_pki.ordered.key_path)
    for url in _dovecot_urls(server):
        rc, doc, err = check(url, server_pki.ca.cert_path)
        assert (rc, doc["status"]) == (0, "OK"), (url, err, doc.get("findings"))
        assert all(r["accepted"] for r in doc["results"])


def test_expired_certificate_is_critical(make_dovecot: MakeDovecot, server_pki: FixturePKI) -> None:
    server = make_dovecot(server_pki.expired.cert_path, server_pki.expired.key_path)
    rc, doc, _ = check(f"imaps://127.0.0.1:{server.imaps_port}", server_pki.ca.cert_path)
    assert rc == 2 and "expired" in [f["code"] for f in doc["findings"]]


def test_untrusted_without_cafile_is_critical(dovecot: DovecotServer) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "mailcert", "check", f"imaps://127.0.0.1:{dovecot.imaps_port}",
         "--name", NAME, "--format", "json"], capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
    )
    doc = json.loads(proc.stdout)
    assert proc.returncode == 2 and doc["trust"]["problem"] == "missing_intermediate"
    assert "chain-incomplete" in [f["code"] for f in doc["findings"]]


def test_postfix_smtp_ports(postfix: PostfixServer, server_pki: FixturePKI) -> None:
    urls = [f"smtp://127.0.0.1:{postfix.smtp_port}", f"smtp://127.0.0.1:{postfix.submission_port}",
            f"smtps://127.0.0.1:{postfix.smtps_port}"]
    for url in urls:
        rc, doc, err = check(url, server_pki.ca.cert_path)
        assert rc == 1, (url, err)
        assert [r["client"] for r in doc["results"] if not r["accepted"]] == ["outlook2007"]


def test_nagios_line(postfix: PostfixServer, server_pki: FixturePKI) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "mailcert", "check", f"smtps://127.0.0.1:{postfix.smtps_port}", "--name", NAME,
         "--cafile", str(server_pki.ca.cert_path), "--format", "nagios"], capture_output=True, text=True, timeout=60,
    )
    line = proc.stdout.strip()
    assert proc.returncode == 1 and line.startswith("MAILCERT WARNING - ") and "| days_left=" in line
    assert len(proc.stdout.splitlines()) == 1


def test_closed_port_is_unknown_within_timeout(server_pki: FixturePKI) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    start = time.monotonic()
    rc, doc, err = check(f"imaps://127.0.0.1:{port}", server_pki.ca.cert_path, "--timeout", "2")
    assert rc == 3 and time.monotonic() - start < 10
    assert len(err.strip().splitlines()) == 1 and "refused" in err


def test_connect_option_keeps_the_typed_name(dovecot: DovecotServer, server_pki: FixturePKI) -> None:
    rc, doc, _ = check(f"imaps://{NAME}:993", server_pki.ca.cert_path, "--connect", f"127.0.0.1:{dovecot.imaps_port}")
    assert rc == 1 and doc["connections"]["with_sni"]["sni"] == NAME
