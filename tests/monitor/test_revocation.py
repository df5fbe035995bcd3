"""Revocation end to end: ``mailcert check --ocsp / --crl`` against OpenSSL's own OCSP responder
(``openssl ocsp -index``), a CRL over HTTP and ``openssl s_server -status_file`` stapling; the
stapling handshake also after STARTTLS on a real Dovecot (which cannot staple)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mailcert.model import parse_target
from mailcert.probe.driver import ProbeOptions, probe_sync
from tests.monitor.revocation_lab import RevocationLab
from tests.schemas import validate
from tests.servers.certs import FixturePKI
from tests.servers.dovecot import DovecotServer
from tests.servers.procs import missing_binaries

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RevocationLab]:
    if missing_binaries(["openssl"]):
        pytest.skip("openssl missing")
    lab = RevocationLab(tmp_path_factory.mktemp("revocation"))
    for name in ("good", "revoked", "unknown"):
        lab.issue(name)
    lab.issue("bare", aia=False, cdp=False)
    lab.issue("must-staple", must_staple=True)
    lab.start(revoked=("revoked",), unknown=("unknown",))
    try:
        yield lab
    finally:
        lab.stop()


@pytest.fixture(scope="module")
def servers(lab: RevocationLab) -> dict[str, int]:
    """s_server per case: without staple, and stapling what the real responder said."""
    good, revoked = lab.leaves["good"], lab.leaves["revoked"]
    return {
        "good": lab.tls_server(good, staple=None),
        "revoked": lab.tls_server(revoked, staple=None),
        "unknown": lab.tls_server(lab.leaves["unknown"], staple=None),
        "bare": lab.tls_server(lab.leaves["bare"], staple=None),
        "must-staple": lab.tls_server(lab.leaves["must-staple"], staple=None),
        "good-stapled": lab.tls_server(good, staple=lab.responder_answer(good)),
        "revoked-stapled": lab.tls_server(revoked, staple=lab.responder_answer(revoked)),
        "wrong-staple": lab.tls_server(good, staple=lab.responder_answer(revoked)),
    }


def check(target: str, ca: Path, *extra: str) -> tuple[int, dict[str, Any], str]:
    proc = subprocess.run(
        [sys.executable, "-m", "mailcert", "check", target, "--name", "mail.example.com", "--cafile", str(ca),
         "--format", "json", "--timeout", "10", *extra],
        capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL, env={**os.environ, "NO_COLOR": "1"},
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc.returncode, validate(json.loads(proc.stdout), "check") if proc.stdout.strip() else {}, proc.stderr


def codes(doc: dict[str, Any]) -> list[str]:
    return [f["code"] for f in doc["findings"]]


def answers(doc: dict[str, Any]) -> list[tuple[str, str]]:
    return [(a["source"], a["status"]) for a in doc["revocation"]["answers"]]


@pytest.mark.parametrize(
    ("case", "rc", "status", "code"),
    [("good", 0, "good", None), ("revoked", 2, "revoked", "revoked"), ("unknown", 1, "unknown", "revocation-unknown")],
)
def test_ocsp_responder(lab: RevocationLab, servers: dict[str, int], case: str, rc: int, status: str, code: str | None) -> None:
    got, doc, err = check(f"https://127.0.0.1:{servers[case]}", lab.ca_path, "--ocsp")
    assert got == rc, (err, codes(doc))
    assert answers(doc) == [("ocsp", status)]
    assert doc["revocation"]["answers"][0]["url"] == lab.ocsp_url
    assert doc["revocation"]["stapling_requested"] is True and doc["revocation"]["stapled"] is None
    assert "ocsp-stapling-missing" in codes(doc)
    if code:
        assert code in codes(doc)
    if case == "revoked":
        a = doc["revocation"]["answers"][0]
        assert a["reason"] == "key_compromise" and a["revoked_at"]
        finding = next(f for f in doc["findings"] if f["code"] == "revoked")
        assert finding["severity"] == "critical" and "key_compromise" in finding["explanation"]


def test_without_ocsp_nothing_is_asked(lab: RevocationLab, servers: dict[str, int]) -> None:
    rc, doc, _ = check(f"https://127.0.0.1:{servers['revoked']}", lab.ca_path)
    assert rc == 0 and doc["revocation"] is None and "revoked" not in codes(doc)


@pytest.mark.parametrize(("case", "rc", "status"), [("good", 0, "good"), ("revoked", 2, "revoked"), ("unknown", 0, "good")])
def test_crl(lab: RevocationLab, servers: dict[str, int], case: str, rc: int, status: str) -> None:
    """The CRL lists only what was revoked: a certificate the responder does not know is not on it."""
    got, doc, err = check(f"https://127.0.0.1:{servers[case]}", lab.ca_path, "--crl")
    assert got == rc, (err, codes(doc))
    assert answers(doc) == [("crl", status)] and doc["revocation"]["answers"][0]["url"] == lab.crl_url
    assert doc["revocation"]["stapling_requested"] is False and "ocsp-stapling-missing" not in codes(doc)


def test_stapled_response_is_read_from_the_handshake(lab: RevocationLab, servers: dict[str, int]) -> None:
    rc, doc, err = check(f"https://127.0.0.1:{servers['good-stapled']}", lab.ca_path, "--ocsp")
    assert rc == 0, err
    stapled = doc["revocation"]["stapled"]
    assert (stapled["source"], stapled["status"], stapled["url"]) == ("stapled", "good", None)
    assert stapled["next_update"] and "ocsp-stapling-missing" not in codes(doc)

    rc, doc, _ = check(f"https://127.0.0.1:{servers['revoked-stapled']}", lab.ca_path, "--ocsp")
    assert rc == 2 and doc["revocation"]["stapled"]["status"] == "revoked"
    assert "says the stapled OCSP response" in next(f["title"] for f in doc["findings"] if f["code"] == "revoked")


def test_a_staple_about_another_certificate_is_refused(lab: RevocationLab, servers: dict[str, int]) -> None:
    """The server staples the revoked leaf's (validly signed) response for the good leaf."""
    rc, doc, _ = check(f"https://127.0.0.1:{servers['wrong-staple']}", lab.ca_path, "--ocsp")
    stapled = doc["revocation"]["stapled"]
    assert stapled["status"] == "error" and "another certificate" in stapled["detail"]
    assert rc == 1 and "revocation-check-failed" in codes(doc) and "revoked" not in codes(doc)


def test_must_staple_without_staple_is_critical(lab: RevocationLab, servers: dict[str, int]) -> None:
    rc, doc, _ = check(f"https://127.0.0.1:{servers['must-staple']}", lab.ca_path, "--ocsp")
    assert rc == 2 and "must-staple-not-stapled" in codes(doc) and answers(doc) == [("ocsp", "good")]


def test_unreachable_responder_and_unnamed_sources(lab: RevocationLab, servers: dict[str, int], tmp_path: Path) -> None:
    rc, doc, _ = check(f"https://127.0.0.1:{servers['bare']}", lab.ca_path, "--ocsp", "--crl")
    assert rc == 0 and doc["revocation"]["unnamed"] == ["ocsp", "crl"]
    assert codes(doc).count("revocation-unpublished") == 2

    other = RevocationLab(tmp_path)  # names a responder and a CRL on ports nobody listens on
    try:
        port = other.tls_server(other.issue("orphan"), staple=None)
        rc, doc, _ = check(f"https://127.0.0.1:{port}", other.ca_path, "--ocsp", "--crl")
    finally:
        other.stop()
    assert rc == 1 and answers(doc) == [("ocsp", "error"), ("crl", "error")]
    assert all("refused" in a["detail"] for a in doc["revocation"]["answers"])
    assert "revocation-check-failed" in codes(doc)


def test_nagios_line_says_revoked(lab: RevocationLab, servers: dict[str, int]) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "mailcert", "check", f"https://127.0.0.1:{servers['revoked']}", "--name", "mail.example.com",
         "--cafile", str(lab.ca_path), "--ocsp", "--format", "nagios"], capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 2 and proc.stdout.startswith("MAILCERT CRITICAL - ") and "[revoked" in proc.stdout


def test_stapling_handshake_after_starttls_on_real_dovecot(dovecot: DovecotServer, server_pki: FixturePKI) -> None:
    """pyOpenSSL's handshake takes over after the IMAP STARTTLS dialogue and gives the same
    facts as the stdlib one; implicit TLS still reads the greeting inside TLS."""
    for url in (f"imap://127.0.0.1:{dovecot.imap_port}", f"imaps://127.0.0.1:{dovecot.imaps_port}"):
        endpoint = parse_target(url)
        plain = probe_sync(endpoint, sni="remote.contoso.com", options=ProbeOptions(timeout=10))
        asked = probe_sync(endpoint, sni="remote.contoso.com", options=ProbeOptions(timeout=10, ocsp_stapling=True))
        assert asked.ocsp_requested and asked.ocsp_staple is None  # Dovecot cannot staple
        assert asked.chain == plain.chain and asked.tls_version == plain.tls_version
        assert asked.banner and asked.banner == plain.banner
    rc, doc, _ = check(f"imap://127.0.0.1:{dovecot.imap_port}", server_pki.ca.cert_path, "--ocsp", "--name", "remote.contoso.com")
    assert "ocsp-stapling-missing" in codes(doc) and doc["revocation"]["unnamed"] == ["ocsp"]
