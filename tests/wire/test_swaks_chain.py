"""swaks --tls-verify against served chains: its whole verdict, proven with the real swaks.

swaks verifies the chain (OpenSSL through IO::Socket::SSL, Debian's security level 2) and no
host name.  A loopback SMTP server (``MailEndpoint``) serves each chain; swaks runs with the
root as ``--tls-ca-path`` and must accept or refuse exactly as mailcert's verdict for the
``swaks`` profile says, in the words the profile gives.  The certificates are made for the
real clock, as swaks has no other.
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from mailcert.assess import assess_certificate
from mailcert.certs.build import IssuedCert, TestCA
from mailcert.certs.chain import TrustStore
from mailcert.certs.info import facts_from_certificate
from mailcert.judgement import Judgement
from mailcert.names.profiles import PROFILES
from mailcert.testing import MailEndpoint
from tests.servers.fixtures import in_ci

pytestmark = [pytest.mark.wire]

NAME = "mail.mailcert.test"
NOW = dt.datetime.now(dt.timezone.utc)
ROOT = TestCA(now=NOW, key_type="ecdsa-p256")
INTER = ROOT.create_child_ca("mailcert swaks Intermediate")
STRANGER = TestCA(now=NOW, key_type="ecdsa-p256")  # a root swaks is not given


# case -> (the certificate issued, whether the server sends its intermediates)
CASES: dict[str, Callable[[], tuple[IssuedCert, bool]]] = {
    "trusted": lambda: (INTER.issue_cert(NAME), True),
    "another-name": lambda: (INTER.issue_cert("elsewhere.example"), True),  # swaks checks no name
    "missing-intermediate": lambda: (INTER.issue_cert(NAME), False),
    "untrusted-root": lambda: (STRANGER.create_child_ca().issue_cert(NAME), True),
    "expired": lambda: (INTER.issue_cert(NAME, not_before=NOW - dt.timedelta(days=100), not_after=NOW - dt.timedelta(days=1)), True),
}
# Not served here: an RSA-1024 leaf (Debian's OpenSSL refuses to load it into the server at
# security level 2, the same rule swaks applies; tests/test_verdicts.py judges it offline).


def _pem(*certs: x509.Certificate) -> bytes:
    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs)


@pytest.fixture(scope="module")
def swaks() -> str:
    found = shutil.which("swaks")
    if found is None:
        if in_ci():
            pytest.fail("swaks is missing (scripts/deps/clients.sh)")
        pytest.skip("swaks is missing (scripts/deps/clients.sh)")
    return found


@pytest.mark.parametrize("case", sorted(CASES))
def test_swaks_verdict_on_a_served_chain(case: str, swaks: str, tmp_path: Path) -> None:
    issued, send = CASES[case]()
    leaf, chain = issued.cert, (issued.chain if send else ())
    ca = tmp_path / "root.pem"
    ca.write_bytes(_pem(ROOT.cert))
    judgement = Judgement(profiles=(PROFILES["swaks"],), store=TrustStore([ROOT.cert], "root.pem"), now=NOW)
    ours = assess_certificate(facts_from_certificate(leaf), [NAME], judgement, chain=[leaf, *chain]).results[0]
    with MailEndpoint(_pem(leaf), issued.key_pem, _pem(*chain)) as server:
        done = subprocess.run(
            [swaks, "--server", "127.0.0.1", "--port", str(server.ports["smtp"]), "--tls", "--tls-verify",
             "--tls-ca-path", str(ca), "--quit-after", "TLS", "--to", f"postmaster@{NAME}"],
            capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
        )
    said = done.stdout + done.stderr
    accepted = done.returncode == 0 and "TLS startup failed" not in said
    assert accepted == ours.accepted, (case, ours, said[-600:])
    if not accepted:
        assert ours.message and ours.message in said, (ours.message, said[-600:])
