"""Java keystores as trust stores (``certs.keystore``, ``TrustStore.from_file``, ``--cafile``),
proven on keystores the real ``keytool`` makes: JKS (Debian's cacerts format), PKCS#12 under the
default password (keytool's own before JDK 18) and password-less PKCS#12 (JDK 18+'s cacerts),
with `` [jdk]`` and plain aliases and a private-key entry; then hostile files.

The real JDK's verdicts with such a keystore as its cacerts: tests/differential/test_jdk_ca.py.
"""

from __future__ import annotations

import json
import os
import shutil
import ssl
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from mailcert.certs.chain import TrustStore, jdk_name
from mailcert.certs.keystore import is_keystore, read_keystore
from mailcert.errors import CertificateError, InputError
from mailcert.scan.runner import ScanSettings, _sts_cadata, judgement_for
from tests.differential.chain_corpus import generate

RSA_ROOT, ROOT = "corpus rsa root [jdk]", "corpus root"


def _keytool() -> str:
    found = shutil.which("keytool")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("keytool (openjdk-17-jdk-headless, scripts/deps/differential.sh) must be installed in CI")
        pytest.skip("keytool is not installed")
    return found


def _run(*argv: str) -> None:
    subprocess.run(argv, check=True, capture_output=True, timeout=120)


@pytest.fixture(scope="module")
def corpus() -> dict[str, object]:
    return {c.id: c for c in generate()}


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory, corpus: dict[str, object]) -> dict[str, Path]:
    """keytool's stores: the corpus's RSA root under a [jdk] alias, its EC root under a plain one,
    and a private-key entry; the same entries as PKCS#12, with the default password and without."""
    keytool = _keytool()
    where = tmp_path_factory.mktemp("keystores")
    jks = where / "cacerts.jks"
    for alias, case in ((RSA_ROOT, "sha1-intermediate"), (ROOT, "good")):
        der = where / f"{case}.der"
        der.write_bytes(corpus[case].roots[0])  # type: ignore[attr-defined]
        _run(keytool, "-importcert", "-noprompt", "-storetype", "JKS", "-storepass", "changeit", "-keystore", str(jks),
             "-alias", alias, "-file", str(der))
    _run(keytool, "-genkeypair", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=Key Entry", "-storetype", "JKS",
         "-storepass", "changeit", "-keypass", "changeit", "-keystore", str(jks), "-alias", "server key")
    out = {"jks": jks}
    for name, extra in (("p12", []), ("p12-nopass", ["-J-Dkeystore.pkcs12.certProtectionAlgorithm=NONE",
                                                     "-J-Dkeystore.pkcs12.macAlgorithm=NONE"])):
        out[name] = where / f"cacerts.{name}"
        _run(keytool, *extra, "-importkeystore", "-noprompt", "-srckeystore", str(jks), "-srcstoretype", "JKS",
             "-srcstorepass", "changeit", "-destkeystore", str(out[name]), "-deststoretype", "PKCS12", "-deststorepass", "changeit")
    return out


@pytest.mark.parametrize("kind", ["jks", "p12", "p12-nopass"])
def test_keytool_stores_give_their_trusted_entries_and_key_entries_certificates(stores: dict[str, Path], kind: str,
                                                                                 corpus: dict[str, object]) -> None:
    data = stores[kind].read_bytes()
    assert is_keystore(data)
    ks = read_keystore(data, str(stores[kind]))
    by_alias = {e.alias: e for e in ks.anchors}
    assert set(by_alias) == {RSA_ROOT, ROOT, "server key"}
    assert by_alias[RSA_ROOT].certificate.public_bytes(serialization.Encoding.DER) == corpus["sha1-intermediate"].roots[0]  # type: ignore[attr-defined]
    assert {a for a, e in by_alias.items() if e.jdk_ca} == {RSA_ROOT}
    # the JDK trusts the first certificate of a private-key entry (TrustStoreUtil.getTrustedCerts)
    assert by_alias["server key"].certificate.subject.rfc4514_string() == "CN=Key Entry"
    assert ks.key_entries == 1 and "1 of them private-key entries' certificates" in ks.description
    assert ks.kind == ("JKS" if kind == "jks" else "PKCS#12")
    if kind == "jks":
        assert "integrity checked with the default password" in ks.integrity

    store = TrustStore.from_file(str(stores[kind]))
    assert len(store.anchors) == 3 and store.jdk_ca
    assert [store.is_jdk_ca(e.certificate) for e in (by_alias[RSA_ROOT], by_alias[ROOT], by_alias["server key"])] == [True, False, False]
    assert "1 marked [jdk]" in store.description


def test_debian_cacerts_marks_no_anchor_as_the_jdks_own() -> None:
    """Debian's cacerts (ca-certificates-java): JKS, 'debian:' aliases: every root an anchor, none a jdkCA."""
    path = Path("/etc/ssl/certs/java/cacerts")
    if not path.is_file():
        pytest.skip("no Debian cacerts here")
    store = TrustStore.from_file(str(path))
    assert len(store.anchors) > 50 and not store.jdk_ca
    assert store.description == f"{path} (JKS keystore, {len(store.anchors)} anchors)"


def test_jdk_name_is_the_jdks_way_of_writing_a_name() -> None:
    assert jdk_name(x509.Name.from_rfc4514_string("CN=Leaf,O=Org")) == "CN=Leaf, O=Org"


def test_cafile_keystore_marks_sha1_below_its_jdk_root_for_the_java_rows_only(stores: dict[str, Path], tmp_path: Path,
                                                                              corpus: dict[str, object]) -> None:
    """``inspect --cafile KEYSTORE``: SHA-1 below the [jdk] root refused by the java row (the JDK's
    words), taken by it below the plain root; other rows judge with the same anchors."""
    def run(case: str) -> dict[str, dict[str, object]]:
        c = corpus[case]
        leaf, chain = tmp_path / f"{case}.pem", tmp_path / f"{case}-chain.pem"
        pems = [x509.load_der_x509_certificate(d).public_bytes(serialization.Encoding.PEM) for d in c.chain]  # type: ignore[attr-defined]
        leaf.write_bytes(pems[0])
        chain.write_bytes(b"".join(pems[1:]))
        done = subprocess.run([sys.executable, "-m", "mailcert", "inspect", str(leaf), "--chain", str(chain), "--cafile", str(stores["jks"]),
                               "--name", c.name, "--client", "java", "--client", "gnutls", "--format", "json"],  # type: ignore[attr-defined]
                              capture_output=True, text=True, timeout=120)
        assert done.returncode in (0, 1, 2), done.stderr
        return {r["client"]: r for r in json.loads(done.stdout)["results"]}

    below_jdk = run("sha1-intermediate")
    assert below_jdk["java"]["accepted"] is False
    assert below_jdk["java"]["message"] == ("PKIX path validation failed: java.security.cert.CertPathValidatorException: Usage constraint"
                                            " TLSServer check failed: SHA1 used with certificate: CN=Corpus SHA-1 Signed Intermediate,"
                                            " O=mailcert chain corpus")
    assert below_jdk["gnutls"]["accepted"] is False  # GnuTLS refuses SHA-1 anywhere below the anchor
    assert run("good")["java"]["accepted"] is True


def _jks(*entries: bytes, version: int = 2, count: int | None = None) -> bytes:
    body = b"\xfe\xed\xfe\xed" + struct.pack(">ii", version, len(entries) if count is None else count) + b"".join(entries)
    return body + b"\0" * 20


def _trusted(alias: bytes, der: bytes, *, length: int | None = None) -> bytes:
    return (struct.pack(">i", 2) + struct.pack(">H", len(alias)) + alias + b"\0" * 8 + struct.pack(">H", 5) + b"X.509"
            + struct.pack(">i", len(der) if length is None else length) + der)


@pytest.mark.parametrize(("data", "words"), [
    (_jks(version=3), "unknown version 3"),
    (_jks(count=0x7FFFFFFF), "entries cannot fit"),
    (_jks(count=-1), "entries cannot fit"),
    (_jks(_trusted(b"a", b"\x30\x03\x02\x01\x01", length=0x7FFFFFFF)), "runs past the end"),
    (_jks(_trusted(b"a", b"\x30\x03\x02\x01\x01", length=-5)), "runs past the end"),
    (_jks(_trusted(b"a", b"\x30\x03\x02\x01\x01")), "cannot be read"),
    (_jks(struct.pack(">i", 7) + b"\0\x01a" + b"\0" * 8 + b"\0" * 8), "unknown kind 7"),
    (b"\xce\xce\xce\xce" + b"\0" * 40, "JCEKS"),
    (b"\xfe\xed\xfe\xed\0\0", "truncated"),
])
def test_hostile_jks_is_one_line(data: bytes, words: str) -> None:
    with pytest.raises(CertificateError) as caught:
        read_keystore(data, "evil.jks")
    assert words in str(caught.value) and "\n" not in str(caught.value)


def test_every_truncation_of_a_real_jks_is_one_line_and_quick(stores: dict[str, Path]) -> None:
    data = stores["jks"].read_bytes()
    started = time.monotonic()
    for cut in range(0, len(data), 7):
        with pytest.raises(CertificateError):
            read_keystore(data[:cut] if cut > 4 else b"\xfe\xed\xfe\xed", "cut.jks")
    assert time.monotonic() - started < 20


def test_a_jks_under_another_password_is_read_and_says_its_integrity_is_unchecked(stores: dict[str, Path], tmp_path: Path) -> None:
    data = bytearray(stores["jks"].read_bytes())
    data[-1] ^= 1  # the digest no longer matches the default password: the JDK loads it without one all the same
    ks = read_keystore(bytes(data), "other.jks")
    assert len(ks.anchors) == 3 and "not checked" in ks.integrity and ks.description.endswith(ks.integrity)


def test_a_bad_keystore_given_as_cafile_is_one_line_on_stderr(tmp_path: Path, corpus: dict[str, object]) -> None:
    leaf = tmp_path / "leaf.pem"
    leaf.write_bytes(x509.load_der_x509_certificate(corpus["good"].chain[0]).public_bytes(serialization.Encoding.PEM))  # type: ignore[attr-defined]
    bad = tmp_path / "cacerts"
    bad.write_bytes(_jks(count=1000))
    done = subprocess.run([sys.executable, "-m", "mailcert", "inspect", str(leaf), "--cafile", str(bad)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 3
    assert done.stderr.count("\n") == 1 and "entries cannot fit" in done.stderr and "Traceback" not in done.stderr
    with pytest.raises(InputError, match="^cafile: "):
        TrustStore.from_file(str(bad))


@pytest.mark.parametrize("kind", ["jks", "p12-nopass"])
def test_a_scan_and_its_mta_sts_fetch_trust_a_keystore_as_check_does(stores: dict[str, Path], kind: str) -> None:
    """``scan --cafile KEYSTORE`` carries the file's bytes to its workers: they read the same
    anchors and [jdk] marks as ``check --cafile``, and the MTA-STS policy fetch (Python's ``ssl``,
    which reads no keystore) is given those anchors as PEM."""
    data = stores[kind].read_bytes()
    settings = ScanSettings(cafile_pem=data, cafile_label=str(stores[kind]))
    scanned, checked = judgement_for(settings).trust_store(), TrustStore.from_file(str(stores[kind]))
    assert scanned.anchors == checked.anchors and scanned.description == checked.description
    assert [scanned.is_jdk_ca(a) for a in scanned.anchors] == [checked.is_jdk_ca(a) for a in checked.anchors]
    assert sum(map(scanned.is_jdk_ca, scanned.anchors)) == 1
    cadata = _sts_cadata(settings)
    assert cadata is not None and x509.load_pem_x509_certificates(cadata) == list(checked.anchors)
    ctx = ssl.create_default_context(cadata=cadata.decode("ascii"))
    assert ctx.cert_store_stats()["x509"] == len(checked.anchors)
    assert _sts_cadata(ScanSettings()) is None  # no --cafile: the system's store


def test_a_scan_given_no_certificates_as_cafile_says_so_in_one_line() -> None:
    with pytest.raises(InputError, match=r"^cafile_pem: ") as caught:
        judgement_for(ScanSettings(cafile_pem=b"not a certificate", cafile_label="ca.txt"))
    assert "\n" not in str(caught.value) and caught.value.field == "cafile_pem"
