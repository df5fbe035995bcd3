"""deploy takes its prober as ``issue`` takes a CA factory: the engine's flow with a fake server
and a fake prober, so a listener that serves the wrong certificate after the reload is provoked
on purpose and must be rolled back (the real Dovecot and Postfix runs are in test_deploy_real).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from mailcert.certs.build import TestCA, cert_to_pem, key_to_pem
from mailcert.certs.chain import TrustStore
from mailcert.deploy.apply import DeployOptions, deploy
from mailcert.deploy.base import StepResult
from mailcert.deploy.bundle import CertBundle
from mailcert.deploy.plan import CertLocation, Discovery, Listener
from mailcert.errors import ConnectError, InputError
from mailcert.judgement import Judgement
from mailcert.model import Endpoint, parse_target
from mailcert.probe.driver import ProbeOptions, ProbeResult, SniPair

NOW = dt.datetime(2026, 11, 28, 12, tzinfo=dt.timezone.utc)
NAME = "remote.contoso.com"
ENDPOINT = parse_target("imaps://192.0.2.1:993")  # never dialled: the prober is fake


@dataclass
class FakeServer:
    """A server whose configuration names ``cert`` and ``key``; config test and reload succeed."""

    cert: Path
    key: Path
    name: str = "fake"
    reloads: int = 0

    def discover(self) -> Discovery:
        primary = CertLocation("", self.cert, self.key, (("ssl_cert", f"<{self.cert}"), ("ssl_key", f"<{self.key}")))
        return Discovery(server=self.name, version="1", config=self.cert.parent / "fake.conf", syntax="dovecot",
                         primary=primary, others=(), listeners=(Listener(ENDPOINT, "imaps"),),
                         install_template=(), setting_files=())

    def config_test(self) -> StepResult:
        return StepResult("config test", True)

    def reload(self) -> StepResult:
        self.reloads += 1
        return StepResult("reload", True)

    def commands(self) -> tuple[str, str]:
        return ("fake-test", "fake-reload")


@dataclass
class ServesFromDisk:
    """A prober for a listener that serves the certificate file as it is on disk, except that a
    leaf in ``swap`` is served as its replacement (a stale worker, another virtual host...)."""

    cert: Path
    swap: dict[bytes, x509.Certificate] = field(default_factory=dict)
    calls: list[tuple[Endpoint, str, ProbeOptions]] = field(default_factory=list)

    async def __call__(self, endpoint: Endpoint, name: str, options: ProbeOptions) -> SniPair:
        self.calls.append((endpoint, name, options))
        chain = tuple(c.public_bytes(Encoding.DER) for c in x509.load_pem_x509_certificates(self.cert.read_bytes()))
        if chain[0] in self.swap:
            chain = (self.swap[chain[0]].public_bytes(Encoding.DER), *chain[1:])
        result = ProbeResult(endpoint, ("192.0.2.1", 993), name, chain, True, "TLSv1.3", "TLS_AES_128_GCM_SHA256",
                             None, None, None, (), (), 0.0)
        return SniPair(name, result, result)


@pytest.fixture()
def site(tmp_path: Path) -> tuple[TestCA, FakeServer, CertBundle, bytes]:
    ca = TestCA(now=NOW)
    old = ca.issue_cert(NAME)
    (tmp_path / "fullchain.pem").write_bytes(old.fullchain_pem)
    (tmp_path / "key.pem").write_bytes(old.key_pem)
    (tmp_path / "key.pem").chmod(0o600)
    new = ca.issue_cert(NAME)
    bundle = CertBundle("test", (new.cert, *new.chain), new.key, cert_to_pem(new.cert, *new.chain), key_to_pem(new.key))
    return ca, FakeServer(tmp_path / "fullchain.pem", tmp_path / "key.pem"), bundle, old.fullchain_pem


def _options(ca: TestCA) -> DeployOptions:
    return DeployOptions(NAME, Judgement(store=TrustStore([ca.cert], "test CA"), now=NOW), verify_timeout=0.5, probe_timeout=1)


def test_a_listener_serving_the_new_certificate_is_deployed(site: tuple[TestCA, FakeServer, CertBundle, bytes]) -> None:
    ca, server, bundle, _ = site
    prober = ServesFromDisk(server.cert)
    report = deploy(server, bundle, _options(ca), prober=prober)
    assert report.status == "deployed", report.reason
    assert server.cert.read_bytes() == bundle.fullchain_pem
    assert report.verification[0].served_sha256 == hashlib.sha256(bundle.leaf.public_bytes(Encoding.DER)).hexdigest()
    assert {(e, n, o.timeout) for e, n, o in prober.calls} == {(ENDPOINT, NAME, 1)}


def test_a_wrong_fingerprint_after_the_reload_is_rolled_back(site: tuple[TestCA, FakeServer, CertBundle, bytes]) -> None:
    ca, server, bundle, old_pem = site
    impostor = ca.issue_cert(NAME).cert
    prober = ServesFromDisk(server.cert, swap={bundle.leaf.public_bytes(Encoding.DER): impostor})
    report = deploy(server, bundle, _options(ca), prober=prober)
    assert report.status == "failed" and report.exit_status == 1
    assert report.reason is not None and report.reason.startswith("verify failed: imaps://192.0.2.1:993: serves ")
    assert "neither the old nor the new certificate" in report.reason
    assert report.rollback is not None and report.rollback.ok
    assert server.cert.read_bytes() == old_pem  # the old file is back, proven served again
    assert server.reloads == 2  # the deploy's reload and the rollback's


def test_the_baseline_is_taken_with_the_prober_before_anything_is_written(site: tuple[TestCA, FakeServer, CertBundle, bytes]) -> None:
    ca, server, bundle, old_pem = site

    async def nobody_answers(endpoint: Endpoint, name: str, options: ProbeOptions) -> SniPair:
        return SniPair(name, ConnectError("connection refused"), ConnectError("connection refused"))

    report = deploy(server, bundle, _options(ca), prober=nobody_answers)
    assert report.status == "refused" and "does not answer (connection refused)" in (report.reason or "")
    assert server.cert.read_bytes() == old_pem and server.reloads == 0


@pytest.mark.parametrize("field_name", ["probe_timeout", "verify_timeout"])
def test_deploy_options_name_the_field_of_a_bad_timeout(field_name: str) -> None:
    with pytest.raises(InputError, match=f"^{field_name} must be a positive number") as caught:
        DeployOptions(NAME, **{field_name: 0})
    assert caught.value.field == field_name
