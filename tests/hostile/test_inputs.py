"""Issue 13, cases 5 and 6 (and the 1.9 MB certificate of 12): hostile input files.

Every command that reads a file the user names (``inspect FILE``, ``check --cafile``, ``scan
FILE``, ``scan --cafile``, ``cert import``, ``cert fix``, ``deploy --from-env``) is given a named
pipe, a device, a directory and an oversized file: one line on stderr, exit 3, and never a hang
(each run has a deadline far below what a hang would take).  A PKCS#12 file asking for 2^31-1
MAC or key-derivation iterations is refused before any password is tried.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import BestAvailableEncryption, pkcs12

from mailcert.certs.pfxwork import MAX_PFX_ITERATIONS, pfx_iterations
from tests.factory import _KEY, make_cert, pem
from tests.hostile.hostile import set_kdf_iterations, set_mac_iterations

DEADLINE = 30.0  # a FIFO hangs forever, 2^31-1 iterations take minutes: far past this


def mailcert(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mailcert", *args], capture_output=True, text=True, stdin=subprocess.DEVNULL,
        timeout=DEADLINE, env={**os.environ, **(env or {})},
    )


def assert_one_line(done: subprocess.CompletedProcess[str], *words: str) -> None:
    assert done.returncode == 3, (done.returncode, done.stdout, done.stderr)
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("mailcert: error: "), done.stderr
    for w in words:
        assert w in lines[0], lines[0]


@pytest.fixture(scope="module")
def hostile_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, str]]:
    """kind -> (path, the words its one line must say)."""
    d = tmp_path_factory.mktemp("inputs")
    fifo = d / "fifo.pem"
    os.mkfifo(fifo)
    big = d / "big.pem"
    with open(big, "wb") as f:
        f.truncate(3 * 1024 * 1024)  # sparse: costs no disk
    return {
        "fifo": (fifo, "named pipe"),
        "device": (Path("/dev/zero"), "device"),
        "directory": (d, "directory"),
        "oversized": (big, "far smaller"),
    }


KINDS = ["fifo", "device", "directory", "oversized"]


def _commands(path: Path, tmp: Path) -> dict[str, tuple[list[str], dict[str, str]]]:
    good = tmp / "good.pem"
    good.write_bytes(pem(make_cert()))
    targets = tmp / "targets"
    targets.write_text("imaps://127.0.0.1:1 mail.example.com\n")
    db = str(tmp / "inv.sqlite")
    return {
        "inspect": (["inspect", str(path)], {}),
        "check --cafile": (["check", "imaps://127.0.0.1:1", "--cafile", str(path)], {}),
        "scan FILE": (["scan", str(path), "--db", db, "--quiet"], {}),
        "scan --cafile": (["scan", str(targets), "--cafile", str(path), "--db", db, "--quiet"], {}),
        "cert import": (["cert", "import", str(path), "--out", str(tmp / "out")], {}),
        "cert fix --key": (["cert", "fix", str(good), "--key", str(path), "--first", "mail.example.com", "--out", str(tmp / "fix")], {}),
        "deploy --from-env": (
            ["deploy", "dovecot", "--from-env"],
            {"CERT_FULLCHAIN_PATH": str(path), "CERT_KEY_PATH": str(path)},
        ),
    }


COMMANDS = ["inspect", "check --cafile", "scan FILE", "scan --cafile", "cert import", "cert fix --key", "deploy --from-env"]


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("kind", KINDS)
def test_non_regular_and_oversized_inputs(kind: str, command: str, hostile_files: dict[str, tuple[Path, str]], tmp_path: Path) -> None:
    path, words = hostile_files[kind]
    if command == "scan FILE" and kind == "oversized":
        pytest.skip("a targets list is read line by line: its cap is 1 GiB, not the certificate cap")
    argv, env = _commands(path, tmp_path)[command]
    assert_one_line(mailcert(*argv, env=env), str(path), words)


# --- PKCS#12 iteration counts (case 5) ----------------------------------------------------


@pytest.fixture(scope="module")
def pfx() -> bytes:
    return pkcs12.serialize_key_and_certificates(b"mail", _KEY, make_cert(), None, BestAvailableEncryption(b"secret"))


@pytest.mark.parametrize("where", ["MAC", "PBKDF2 key derivation"])
@pytest.mark.parametrize("password", [None, "secret", "wrong"])
def test_pfx_with_huge_iteration_counts_is_refused_at_once(pfx: bytes, where: str, password: str | None, tmp_path: Path) -> None:
    hostile = set_mac_iterations(pfx, 2**31 - 1) if where == "MAC" else set_kdf_iterations(pfx, 2**31 - 1)
    assert (where, 2**31 - 1) in pfx_iterations(hostile)
    f = tmp_path / "hostile.pfx"
    f.write_bytes(hostile)
    env = {"PFXPW": password} if password is not None else {}
    pw = ["--password-env", "PFXPW"] if password is not None else []
    for argv in (["inspect", str(f), *pw], ["cert", "import", str(f), "--out", str(tmp_path / "o"), *pw]):
        started = time.monotonic()
        done = mailcert(*argv, env=env)
        assert time.monotonic() - started < 10
        assert_one_line(done, "2,147,483,647", where, "iterations")


def test_pfx_with_sane_counts_still_opens(pfx: bytes, tmp_path: Path) -> None:
    """The cap is far above what real exporters write (checked: this file, 2048 MAC rounds)."""
    at_cap = set_mac_iterations(pfx, 2048)
    f = tmp_path / "ok.pfx"
    f.write_bytes(at_cap)
    done = mailcert("inspect", str(f), "--password-env", "PFXPW", "--format", "json", env={"PFXPW": "secret"})
    assert done.returncode in (0, 1, 2), done.stderr
    assert max(n for _, n in pfx_iterations(pfx)) < MAX_PFX_ITERATIONS


@pytest.mark.parametrize("data", [b"\x30\x80", b"\x30\x03\x02\x01\x03", b"\x30\x84\xff\xff\xff\xff\x02\x01\x03", b"\x30" + b"\x30\x80" * 5000])
def test_damaged_pfx_structure_is_one_line(data: bytes) -> None:
    from mailcert.errors import CertificateError

    with pytest.raises(CertificateError):
        pfx_iterations(data)


# --- huge and over-long certificate fields (case 12) -----------------------------------------


@pytest.fixture(scope="module")
def giant_certs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two ways to make a 1.6-1.9 MB certificate: tens of thousands of SAN names, or a few
    names each hundreds of kilobytes long."""
    import warnings

    from cryptography.hazmat.primitives.serialization import Encoding

    from tests.hostile.hostile import hostile_cert

    d = tmp_path_factory.mktemp("giant")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        many = hostile_cert("mail.example.com", san=[f"host{i:06d}-aaaaaaaaaaaaaaaaaaaaaaaaaa.example.com" for i in range(38000)])
        long = hostile_cert("c" * 400_000, san=["d" * 400_000 + ".example.com", "mail.example.com"], org="o" * 200_000)
    out = {}
    for name, cert in (("many-names", many), ("long-names", long)):
        out[name] = d / f"{name}.der"
        out[name].write_bytes(cert.public_bytes(Encoding.DER))
        assert 1_500_000 < out[name].stat().st_size < 2 * 1024 * 1024
    return out


@pytest.mark.parametrize("kind", ["many-names", "long-names"])
def test_giant_certificate_output_is_bounded(kind: str, giant_certs: dict[str, Path]) -> None:
    """Text at most 100 kB (fields cut with a note), nagios one short line, JSON no bigger than
    the certificate's own values twice over (exact values, derived texts cut); each in seconds."""
    f = giant_certs[kind]
    size = f.stat().st_size
    for fmt, bound in (("text", 100_000), ("nagios", 2_000), ("json", 2 * size)):
        started = time.monotonic()
        done = mailcert("inspect", str(f), "--format", fmt)
        assert time.monotonic() - started < 20
        assert done.returncode in (0, 1, 2) and done.stderr == "", done.stderr[-2000:]
        assert len(done.stdout.encode()) < bound, (fmt, len(done.stdout))
    done = mailcert("inspect", str(f))
    assert "more characters not shown" in done.stdout


def test_cn_over_64_characters_gives_no_warning(tmp_path: Path) -> None:
    """cryptography's UserWarning about the X.520 length reaches stderr neither from inspect
    nor from check of a server presenting such a certificate."""
    import warnings

    from cryptography.hazmat.primitives.serialization import Encoding

    from mailcert.testing import MailEndpoint
    from tests.hostile.hostile import hostile_cert, key_pem

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cert = hostile_cert("x" * 100 + ".example.com", san=["mail.example.com"], issuer_cn="I" * 300)
    f = tmp_path / "long-cn.pem"
    f.write_bytes(cert.public_bytes(Encoding.PEM))
    for fmt in ("text", "json", "nagios"):
        done = mailcert("inspect", str(f), "--format", fmt)
        assert done.returncode in (0, 1, 2) and done.stderr == "", done.stderr
    with MailEndpoint(f.read_bytes(), key_pem()) as server:
        for fmt in ("text", "json", "nagios"):
            done = mailcert("check", server.url("imaps"), "--name", "mail.example.com", "--cafile", str(f), "--format", fmt)
            assert done.returncode in (0, 1, 2) and done.stderr == "", done.stderr
