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

import datetime as dt
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from mailcert.certs.chain import TrustStore, verify_chain_for
from mailcert.certs.info import facts_from_certificate
from mailcert.names.profiles import PROFILES
from mailcert.verdicts import settings_for
from tests.differential.chains import _load, corpus_requests, whole_verdict
from tests.differential.oracles import run_chain_oracle, unavailable_reason

pytestmark = [pytest.mark.differential]

CASES = ("corpus:sha1-leaf", "corpus:sha1-intermediate", "corpus:rsa-chain", "corpus:good")


def _jdk_with_own_cacerts(home: Path, anchors: list[bytes], where: Path) -> Path:
    """A JDK at ``where`` that is ``home`` but for its cacerts: ``anchors``, each under a ``[jdk]`` alias."""
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
    for n, der in enumerate(anchors):
        cert = where / f"anchor-{n}.der"
        cert.write_bytes(der)
        subprocess.run([str(home / "bin" / "keytool"), "-importcert", "-noprompt", "-storetype", "JKS", "-storepass", "changeit",
                        "-keystore", str(where / "lib" / "security" / "cacerts"), "-alias", f"corpus{n} [jdk]", "-file", str(cert)],
                       check=True, capture_output=True, timeout=120)
    return where


def test_sha1_below_an_anchor_the_jdk_ships_is_refused_as_the_java_row_says(tmp_path: Path) -> None:
    reason = unavailable_reason("java-tls-chain")
    if reason is not None:
        if os.environ.get("CI"):
            pytest.fail(f"oracle 'java-tls-chain' must be available in CI: {reason}")
        pytest.skip(f"oracle 'java-tls-chain' unavailable: {reason}")
    java = shutil.which("java")
    assert java is not None
    requests = [r for r in corpus_requests() if r.id in CASES]
    anchors = sorted({root for r in requests for root in r.roots})
    jdk = _jdk_with_own_cacerts(Path(java).resolve().parents[1], anchors, tmp_path / "jdk")
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
