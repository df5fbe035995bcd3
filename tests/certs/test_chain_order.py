"""order_chain: the one chain builder (cert import and the doctor follow the same links)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from mailcert.certs.chain import TrustStore, order_chain, verify_chain
from tests.servers.certs import FixtureCA, make_ca

NOW = dt.datetime.now(dt.timezone.utc)


def _sub_ca(parent: FixtureCA, tmp_path: Path, cn: str) -> FixtureCA:
    """An intermediate CA under ``parent`` (EC keys: quick to make)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(parent.cert.subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - dt.timedelta(days=1)).not_valid_after(NOW + dt.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(parent.key, hashes.SHA256())
    )
    return FixtureCA(cert, key, tmp_path / f"{cn}.crt", tmp_path / f"{cn}.key")  # type: ignore[arg-type]


def test_a_shuffled_bundle_with_a_stray_and_a_namesake_is_ordered_by_signature(tmp_path: Path) -> None:
    root = make_ca(tmp_path)
    inter1 = _sub_ca(root, tmp_path, "Issuing CA 1")
    inter2 = _sub_ca(inter1, tmp_path, "Issuing CA 2")
    namesake = _sub_ca(make_ca(tmp_path, name="other"), tmp_path, "Issuing CA 2")  # same name, other key
    stray = make_ca(tmp_path, "Unrelated CA", name="stray").cert
    leaf = inter2.issue(tmp_path, "leaf", common_name="mail.example.com", dns_names=["mail.example.com"]).cert

    order = order_chain(leaf, [stray, root.cert, namesake.cert, inter1.cert, inter2.cert, inter1.cert])
    assert order.intermediates == (inter2.cert, inter1.cert)
    assert order.root == root.cert
    assert set(order.leftover) == {stray, namesake.cert}

    # the doctor follows the same links to the same anchor
    trust = verify_chain([leaf, *order.intermediates], TrustStore([root.cert], "test"), now=NOW)
    assert trust.trusted and trust.path[1:] == ("CN=Issuing CA 2", "CN=Issuing CA 1")


def test_a_missing_link_stops_the_chain_and_a_self_signed_leaf_has_none(tmp_path: Path) -> None:
    root = make_ca(tmp_path)
    inter1 = _sub_ca(root, tmp_path, "Issuing CA 1")
    inter2 = _sub_ca(inter1, tmp_path, "Issuing CA 2")
    leaf = inter2.issue(tmp_path, "leaf", common_name="mail.example.com", dns_names=["mail.example.com"]).cert
    order = order_chain(leaf, [root.cert, inter2.cert])  # inter1 missing
    assert order.intermediates == (inter2.cert,) and order.root is None and order.leftover == (root.cert,)
    alone = order_chain(root.cert, [inter1.cert])
    assert alone.intermediates == () and alone.root is None and alone.leftover == (inter1.cert,)
