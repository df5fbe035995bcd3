"""Test certificates for the probe tests, made with ``cryptography`` directly.

``mailcert.certs.build`` is written in parallel; these tests must not depend on it.  The chain
is the seed's shape: a root, an intermediate, and an SBS-2008-style leaf whose first SAN is the
internal name.  EC P-256 keys keep generation in the milliseconds.
"""

from __future__ import annotations

import asyncio
import datetime
import ssl
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from mailcert.testing import MailEndpoint

LEAF_NAMES = ("sbs.contoso.local", "remote.contoso.com", "localhost")

T = TypeVar("T")
Run = Callable[[Coroutine[Any, Any, T]], T]


@pytest.fixture(params=["asyncio", "uvloop"])
def run(request: pytest.FixtureRequest) -> Run[Any]:
    """``asyncio.run`` on each event loop the probe runs on: asyncio's own (``check``, and the
    scan where uvloop is missing) and uvloop (the scan's, :mod:`mailcert.probe.loop`).  The
    driver is one code path, so every outcome and message must be the same on both."""
    if request.param == "uvloop":
        factory = pytest.importorskip("uvloop").new_event_loop
    else:
        factory = asyncio.new_event_loop

    def run_on_loop(main: Coroutine[Any, Any, T]) -> T:
        with asyncio.Runner(loop_factory=factory) as runner:
            return runner.run(main)

    return run_on_loop


@dataclass(frozen=True)
class CertChain:
    leaf_pem: bytes
    key_pem: bytes
    intermediate_pem: bytes
    root_pem: bytes
    leaf_der: bytes
    intermediate_der: bytes


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _cert(
    subject: str, key: ec.EllipticCurvePrivateKey, issuer: str, issuer_key: ec.EllipticCurvePrivateKey, *, ca: bool,
    names: tuple[str, ...] = (),
) -> x509.Certificate:
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(issuer))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=90))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if names:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False)
        builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def make_chain() -> CertChain:
    root_key, mid_key, leaf_key = (ec.generate_private_key(ec.SECP256R1()) for _ in range(3))
    root = _cert("mailcert test root", root_key, "mailcert test root", root_key, ca=True)
    mid = _cert("mailcert test intermediate", mid_key, "mailcert test root", root_key, ca=True)
    leaf = _cert(LEAF_NAMES[0], leaf_key, "mailcert test intermediate", mid_key, ca=False, names=LEAF_NAMES)
    pem = serialization.Encoding.PEM
    der = serialization.Encoding.DER
    return CertChain(
        leaf_pem=leaf.public_bytes(pem),
        key_pem=leaf_key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()),
        intermediate_pem=mid.public_bytes(pem),
        root_pem=root.public_bytes(pem),
        leaf_der=leaf.public_bytes(der),
        intermediate_der=mid.public_bytes(der),
    )


@pytest.fixture(scope="session")
def chain() -> CertChain:
    return make_chain()


@pytest.fixture(scope="session")
def endpoint(chain: CertChain) -> Iterator[MailEndpoint]:
    """One embedded endpoint for the whole session, in its background thread."""
    server = MailEndpoint(chain.leaf_pem, chain.key_pem, chain.intermediate_pem).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def chain_files(chain: CertChain, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The chain on disk: ``ssl.SSLContext.load_cert_chain`` and ``cafile=`` take only paths."""
    folder = tmp_path_factory.mktemp("chain")
    paths = {
        "fullchain": folder / "fullchain.pem",
        "key": folder / "key.pem",
        "root": folder / "root.pem",
    }
    paths["fullchain"].write_bytes(chain.leaf_pem + chain.intermediate_pem)
    paths["key"].write_bytes(chain.key_pem)
    paths["root"].write_bytes(chain.root_pem)
    return {name: str(path) for name, path in paths.items()}


@pytest.fixture(scope="session")
def server_context(chain_files: dict[str, str]) -> ssl.SSLContext:
    """A TLS server context serving leaf + intermediate, for the hostile harness."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(chain_files["fullchain"], chain_files["key"])
    return ctx
