"""The JDK's "SHA1 jdkCA & usage TLSServer" proven both ways with the real JDK over the wire.

``jdk.certpath.disabledAlgorithms`` refuses SHA-1 only in chains that end at an anchor
``sun.security.util.AnchorCertificates`` counts as the JDK's own: an entry of
``$JAVA_HOME/lib/security/cacerts`` whose alias holds `` [jdk``.  Debian's cacerts (made by
ca-certificates-java, ``debian:`` aliases) marks none, so the chain corpus's SHA-1 cases pass
the JSSE handshake under their private root (``test_chains_vs_real.py``).  Here the same
handshakes run on a copy of the installed JDK whose cacerts holds the corpus's root under a
``[jdk]`` alias: the JDK then refuses them, and the ``java`` row must too when its store is
marked as the JDK's own (``TrustStore(jdk_ca=True)``).

The copy: the launcher and libjvm.so copied (the JVM takes java.home from where libjvm.so
really is), everything else linked, ``lib/security/cacerts`` made with ``keytool``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from mailcert.certs.chain import TrustStore, verify_chain_for
from mailcert.certs.info import facts_from_certificate
from mailcert.names.profiles import PROFILES
from mailcert.verdicts import refusals_for, settings_for
from tests.differential.chains import _load, corpus_requests, whole_verdict
from tests.differential.oracles import run_chain_oracle, unavailable_reason

pytestmark = [pytest.mark.differential]

CASES = ("corpus:sha1-leaf", "corpus:sha1-intermediate", "corpus:rsa-chain", "corpus:good")


def _jdk_with_own_cacerts(home: Path, anchors: list[bytes], where: Path) -> Path:
    """A JDK at ``where`` that is ``home`` but for its cacerts: ``anchors``, each under a ``[jdk]`` alias."""
    return _jdk_with_cacerts(home, [(f"corpus{n} [jdk]", der) for n, der in enumerate(anchors)], where)


def _jdk_with_cacerts(home: Path, entries: list[tuple[str, bytes]], where: Path, storetype: str = "JKS") -> Path:
    """A JDK at ``where`` that is ``home`` but for its cacerts: keytool's ``storetype`` keystore of
    ``entries`` (alias, DER).  PKCS#12 as JDK 18+ write their cacerts: without a password (the
    default trust manager opens cacerts without one, so certificates under one would not be read)."""
    (where / "bin").mkdir(parents=True)
    shutil.copy2(home / "bin" / "java", where / "bin" / "java")
    (where / "lib" / "security").mkdir(parents=True)
    (where / "lib" / "server").mkdir()
    (where / "conf").symlink_to(home / "conf")
    for part in (home / "lib").iterdir():
        if part.name not in ("security", "server"):
            (where / "lib" / part.name).symlink_to(part.resolve())
    for part in (home / "lib" / "server").iterdir():
        if part.name == "libjvm.so":
            shutil.copy2(part.resolve(), where / "lib" / "server" / part.name)
        else:
            (where / "lib" / "server" / part.name).symlink_to(part.resolve())
    for n, (alias, der) in enumerate(entries):
        cert = where / f"anchor-{n}.der"
        cert.write_bytes(der)
        plain = ["-J-Dkeystore.pkcs12.certProtectionAlgorithm=NONE", "-J-Dkeystore.pkcs12.macAlgorithm=NONE"] if storetype == "PKCS12" else []
        subprocess.run([str(home / "bin" / "keytool"), *plain, "-importcert", "-noprompt", "-storetype", storetype, "-storepass", "changeit",
                        "-keystore", str(where / "lib" / "security" / "cacerts"), "-alias", alias, "-file", str(cert)],
                       check=True, capture_output=True, timeout=120)
    return where


def _java_home() -> Path:
    """The installed JDK (the JSSE oracle's), or a skip outside CI."""
    reason = unavailable_reason("java-tls-chain")
    if reason is not None:
        if os.environ.get("CI"):
            pytest.fail(f"oracle 'java-tls-chain' must be available in CI: {reason}")
        pytest.skip(f"oracle 'java-tls-chain' unavailable: {reason}")
    java = shutil.which("java")
    assert java is not None
    return Path(java).resolve().parents[1]


def test_sha1_below_an_anchor_the_jdk_ships_is_refused_as_the_java_row_says(tmp_path: Path) -> None:
    home = _java_home()
    requests = [r for r in corpus_requests() if r.id in CASES]
    anchors = sorted({root for r in requests for root in r.roots})
    jdk = _jdk_with_own_cacerts(home, anchors, tmp_path / "jdk")
    real = run_chain_oracle("java-tls-chain", requests, env={"PATH": f"{jdk / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"})
    profile = PROFILES["java"]
    settings = settings_for(profile.chain)
    ours = {}
    for r in requests:
        chain = _load(r.chain)
        store = TrustStore(_load(r.roots), "the JDK's own cacerts", jdk_ca=True)
        trust = verify_chain_for(chain, store, now=dt.datetime.fromtimestamp(r.time, dt.timezone.utc), settings=[settings])
        ours[r.id] = whole_verdict(profile, r, trust[settings], facts_from_certificate(chain[0]))
    assert {i: v.accepted for i, v in real.items()} == {"corpus:sha1-leaf": False, "corpus:sha1-intermediate": False,
                                                        "corpus:rsa-chain": True, "corpus:good": True}, real
    assert "Usage constraint TLSServer check failed: SHA1" in real["corpus:sha1-intermediate"].detail
    assert {i: v.accepted for i, v in ours.items()} == {i: v.accepted for i, v in real.items()}
    assert {ours[i].code for i in CASES[:2]} == {"weak-signature"}


@pytest.mark.parametrize(("storetype", "jdk_root"), [("JKS", "rsa"), ("PKCS12", "ec")])
def test_the_jdks_cacerts_as_cafile_judges_as_the_jdk_with_that_cacerts(tmp_path: Path, storetype: str, jdk_root: str) -> None:
    """A keytool-made cacerts (JKS as Debian's, PKCS#12 as JDK 18+'s), one root under a ``[jdk]``
    alias and one under a plain alias, is the whole trust of a real JDK (its default trust
    manager: lib/security/cacerts, and AnchorCertificates reads the same file) and mailcert's
    ``--cafile`` (``TrustStore.from_file``): the JSSE handshake and the java row agree on SHA-1
    chains below each root, and on the SHA-256 controls, words included."""
    home = _java_home()
    requests = [dataclasses.replace(r, roots=()) for r in corpus_requests() if r.id in CASES]
    rsa_root = next(r.roots[0] for r in corpus_requests() if r.id == "corpus:rsa-chain")
    ec_root = next(r.roots[0] for r in corpus_requests() if r.id == "corpus:good")
    marked = {"rsa": "corpus rsa root [jdk]", "ec": "corpus root [jdk]"}
    entries = [(marked["rsa"] if jdk_root == "rsa" else "corpus rsa root", rsa_root),
               (marked["ec"] if jdk_root == "ec" else "corpus root", ec_root)]
    jdk = _jdk_with_cacerts(home, entries, tmp_path / "jdk", storetype)
    cacerts = jdk / "lib" / "security" / "cacerts"
    real = run_chain_oracle("java-tls-chain", requests, env={"PATH": f"{jdk / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
                                                              "MAILCERT_JSSE_TRUST": "default"})
    store = TrustStore.from_file(str(cacerts))
    assert store.description.startswith(f"{cacerts} ({'JKS' if storetype == 'JKS' else 'PKCS#12'} keystore, 2 anchors, 1 marked [jdk])")
    profile = PROFILES["java"]
    settings = settings_for(profile.chain)
    ours, words = {}, {}
    for r in requests:
        chain = _load(r.chain)
        trust = verify_chain_for(chain, store, now=dt.datetime.fromtimestamp(r.time, dt.timezone.utc), settings=[settings])[settings]
        ours[r.id] = whole_verdict(profile, r, trust, facts_from_certificate(chain[0]))
        refused = refusals_for(profile, facts_from_certificate(chain[0]), {"java": trust}, public=False)
        words[r.id] = refused[0].message if refused else None
    sha1_refused = jdk_root == "rsa"  # the SHA-1 cases are below the RSA root
    assert {i: v.accepted for i, v in real.items()} == {"corpus:sha1-leaf": not sha1_refused, "corpus:sha1-intermediate": not sha1_refused,
                                                        "corpus:rsa-chain": True, "corpus:good": True}, real
    assert {i: v.accepted for i, v in ours.items()} == {i: v.accepted for i, v in real.items()}
    for i in CASES[:2] if sha1_refused else ():
        assert real[i].detail.startswith(f"SSLHandshakeException: {words[i]} <- "), (words[i], real[i].detail)
