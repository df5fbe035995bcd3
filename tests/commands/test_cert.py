"""``mailcert cert new|import|export|fix`` end to end, and the file writing under them (fsutil).

Every file the commands write is read back by the real ``openssl`` CLI; modes are checked
under umask 000; every bad input must give one line on stderr, a non-zero exit and leave the
output directory as it was.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from cryptography import x509

from mailcert import fsutil
from mailcert.certs import build
from mailcert.certs.build import TestCA
from mailcert.certs.pkcs12 import to_pfx
from mailcert.cli import main
from mailcert.errors import OperationError

FQDN = "remote.contoso.com"
SEED_ORDER = ("sbs.contoso.local", "remote.contoso.com", "sites", "companyweb")
REPO = Path(__file__).resolve().parents[2]


# --- helpers ------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own configuration (never /etc/mailcert, though tests run as root)."""
    path = tmp_path / "config" / "config.toml"
    monkeypatch.setenv("MAILCERT_CONFIG", str(path))
    return path


@pytest.fixture
def umask000() -> Iterator[None]:
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    rc = main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


def one_line_error(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("mailcert: error: "), err
    assert "Traceback" not in err
    return lines[0]


def openssl(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["openssl", *args], capture_output=True, text=True, timeout=60, env={**os.environ, **(env or {})})


def san(path: Path, kind: str = "x509") -> list[str]:
    r = openssl(kind, "-in", str(path), "-noout", "-text")
    assert r.returncode == 0, r.stderr
    line = r.stdout.split("X509v3 Subject Alternative Name:", 1)[1].strip().splitlines()[0]
    return [e.strip() for e in line.split(",")]


def subject(path: Path, kind: str = "x509") -> str:
    return openssl(kind, "-in", str(path), "-noout", "-subject", "-nameopt", "RFC2253").stdout.strip()


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def listing(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir()) if directory.exists() else []


def now() -> datetime:
    return datetime.now(timezone.utc)


def inspect_results(capsys: pytest.CaptureFixture[str], cert: Path, name: str) -> list[dict[str, object]]:
    rc = main(["inspect", str(cert), "--name", name, "--format", "json"])
    doc = json.loads(capsys.readouterr().out)
    assert rc in (0, 1, 2), doc
    results: list[dict[str, object]] = doc["results"]
    return results


# --- fsutil ------------------------------------------------------------------------------------


def test_write_atomic_exact_modes_whatever_the_umask(tmp_path: Path, umask000: None) -> None:
    key = tmp_path / "key.pem"
    assert fsutil.write_private_key(key, b"secret") is None
    assert mode(key) == 0o600 and key.read_bytes() == b"secret"
    os.umask(0o077)
    cert = tmp_path / "cert.pem"
    fsutil.write_atomic(cert, b"cert", mode=0o644)
    assert mode(cert) == 0o644  # not 0600: the umask does not decide


def test_write_atomic_keeps_a_timestamped_backup(tmp_path: Path) -> None:
    target = tmp_path / "key.pem"
    fsutil.write_private_key(target, b"one")
    t = datetime(2026, 3, 4, 5, 6, 7, tzinfo=timezone.utc)
    first = fsutil.write_private_key(target, b"two", now=t)
    second = fsutil.write_private_key(target, b"three", now=t)
    assert first is not None and first.name == "key.pem.mailcert-bak-20260304T050607"
    assert second is not None and second.name == "key.pem.mailcert-bak-20260304T050607-1"
    assert first.read_bytes() == b"one" and second.read_bytes() == b"two" and target.read_bytes() == b"three"
    assert mode(first) == 0o600
    assert fsutil.write_atomic(target, b"four", mode=0o600, backup=False) is None
    assert len(list(tmp_path.glob("key.pem.mailcert-bak-*"))) == 2


def test_write_files_is_all_or_nothing(tmp_path: Path) -> None:
    (tmp_path / "cert.pem").mkdir()  # a directory where a file must go
    (tmp_path / "key.pem").write_bytes(b"old key")
    with pytest.raises(OperationError, match="not a regular file"):
        fsutil.write_files(
            [
                fsutil.PlannedFile(tmp_path / "key.pem", b"new key", 0o600),
                fsutil.PlannedFile(tmp_path / "cert.pem", b"cert", 0o644),
            ]
        )
    assert (tmp_path / "key.pem").read_bytes() == b"old key"
    assert listing(tmp_path) == ["cert.pem", "key.pem"]  # no temp file, no backup left behind


def test_write_files_refuses_to_replace_a_symlink(tmp_path: Path) -> None:
    real = tmp_path / "real.pem"
    real.write_bytes(b"x")
    (tmp_path / "link.pem").symlink_to(real)
    with pytest.raises(OperationError, match="symbolic link"):
        fsutil.write_atomic(tmp_path / "link.pem", b"y", mode=0o644)
    assert real.read_bytes() == b"x"


def test_write_into_missing_directory_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(OperationError, match="does not exist"):
        fsutil.write_atomic(tmp_path / "nope" / "key.pem", b"x", mode=0o600)


# --- cert new ----------------------------------------------------------------------------------


def test_new_self_signed(tmp_path: Path, capsys: pytest.CaptureFixture[str], umask000: None) -> None:
    out = tmp_path / "out"
    rc, stdout, err = run(
        capsys, "cert", "new", "--name", FQDN, "--alt", "sbs.contoso.local", "--alt", "sites",
        "--alt", "companyweb", "--alt", "REMOTE.contoso.com", "--self-signed", "--out", str(out),
    )
    assert rc == 0, err
    assert listing(out) == ["cert.pem", "key.pem"]
    assert mode(out / "key.pem") == 0o600 and mode(out / "cert.pem") == 0o644
    assert mode(out) == 0o700  # a directory made for a key is private too
    assert san(out / "cert.pem") == ["DNS:remote.contoso.com", "DNS:sbs.contoso.local", "DNS:sites", "DNS:companyweb"]
    assert subject(out / "cert.pem") == f"subject=CN={FQDN}"
    r = openssl("x509", "-in", str(out / "cert.pem"), "-noout", "-ext", "extendedKeyUsage,keyUsage")
    assert "TLS Web Server Authentication" in r.stdout and "Digital Signature, Key Encipherment" in r.stdout
    key_pub = openssl("pkey", "-in", str(out / "key.pem"), "-pubout").stdout
    cert_pub = openssl("x509", "-in", str(out / "cert.pem"), "-noout", "-pubkey").stdout
    assert key_pub == cert_pub and "BEGIN PUBLIC KEY" in key_pub
    assert "PRIVATE KEY" not in stdout  # keys are never printed
    assert "every client profile" in stdout
    results = inspect_results(capsys, out / "cert.pem", FQDN)
    assert results and all(r["accepted"] for r in results), results
    assert "outlook2007" in {r["client"] for r in results}


def test_new_csr_uses_the_configured_address(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "address", "set", "contoso.com")[0] == 0
    out = tmp_path / "req"
    rc, stdout, err = run(capsys, "cert", "new", "--alt", "autodiscover.contoso.com", "--csr", "--key-type", "ecdsa-p256", "--out", str(out))
    assert rc == 0, err
    assert listing(out) == ["key.pem", "request.csr"]
    r = openssl("req", "-in", str(out / "request.csr"), "-noout", "-verify")
    assert r.returncode == 0 and "verify OK" in r.stdout + r.stderr
    assert san(out / "request.csr", "req") == ["DNS:remote.contoso.com", "DNS:autodiscover.contoso.com"]
    assert subject(out / "request.csr", "req") == f"subject=CN={FQDN}"
    assert mode(out / "key.pem") == 0o600
    assert "mailcert cert import" in stdout


def test_new_for_exchange_prints_the_shell_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc, stdout, _ = run(
        capsys, "cert", "new", "--name", FQDN, "--alt", "sbs.contoso.local", "--csr", "--out", str(tmp_path / "x"), "--for", "exchange"
    )
    assert rc == 0
    assert (
        "New-ExchangeCertificate -GenerateRequest -SubjectName \"CN=remote.contoso.com\""
        " -DomainName 'remote.contoso.com','sbs.contoso.local'"
    ) in stdout
    assert "Import-ExchangeCertificate" in stdout
    assert "Enable-ExchangeCertificate -Services POP,IMAP,SMTP,IIS" in stdout
    rc, stdout, _ = run(capsys, "cert", "new", "--name", FQDN, "--self-signed", "--out", str(tmp_path / "y"), "--for", "exchange")
    assert rc == 0
    assert "--pfx remote.contoso.com.pfx --legacy" in stdout and "Enable-ExchangeCertificate -Services POP,IMAP,SMTP,IIS" in stdout


@pytest.mark.parametrize(
    ("args", "why"),
    [
        (["--name", "bad_name.contoso.com", "--csr"], "not a valid host name"),
        (["--name", FQDN, "--alt=-x.contoso.com", "--csr"], "starts or ends with '-'"),
        (["--name", "*.contoso.com", "--csr"], "Outlook 2007 compares only the first name"),
        (["--name", "192.0.2.1", "--self-signed"], "is an IP address"),
        (["--name", FQDN, "--key-type", "dsa1024", "--csr"], "unknown key type"),
        (["--name", FQDN, "--days", "0", "--self-signed"], "--days must be at least 1"),
        (["--csr"], "no FQDN: give --name FQDN, or run mailcert address set"),
    ],
)
def test_new_bad_input_one_line_nothing_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], why: str
) -> None:
    out = tmp_path / "out"
    rc, _, err = run(capsys, "cert", "new", *args, "--out", str(out))
    assert rc == 3
    assert why in one_line_error(err)
    assert not out.exists()


def test_new_twice_keeps_backups(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert run(capsys, "cert", "new", "--name", FQDN, "--self-signed", "--out", str(out))[0] == 0
    old_key, old_cert = (out / "key.pem").read_bytes(), (out / "cert.pem").read_bytes()
    rc, stdout, _ = run(capsys, "cert", "new", "--name", FQDN, "--self-signed", "--out", str(out))
    assert rc == 0 and "previous kept as" in stdout
    key_backups = list(out.glob("key.pem.mailcert-bak-*"))
    cert_backups = list(out.glob("cert.pem.mailcert-bak-*"))
    assert len(key_backups) == 1 and len(cert_backups) == 1
    assert key_backups[0].read_bytes() == old_key and cert_backups[0].read_bytes() == old_cert
    assert mode(key_backups[0]) == 0o600
    assert (out / "key.pem").read_bytes() != old_key


def test_new_out_is_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "out"
    blocker.write_text("not a directory")
    rc, _, err = run(capsys, "cert", "new", "--name", FQDN, "--self-signed", "--out", str(blocker))
    assert rc == 1 and "a file of that name is in the way" in one_line_error(err)
    assert blocker.read_text() == "not a directory"


def test_new_cert_slot_taken_by_a_directory_writes_no_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    (out / "cert.pem").mkdir(parents=True)
    rc, _, err = run(capsys, "cert", "new", "--name", FQDN, "--self-signed", "--out", str(out))
    assert rc == 1 and "cert.pem" in one_line_error(err)
    assert listing(out) == ["cert.pem"]  # no key.pem without its certificate, no temp files


def test_new_unwritable_out_dir(capsys: pytest.CaptureFixture[str]) -> None:
    """Permission denied for real: as root the command runs as nobody (root ignores modes)."""
    base = Path(tempfile.mkdtemp(prefix="mailcert-ro-"))
    try:
        os.chmod(base, 0o755)
        ro = base / "ro"
        ro.mkdir(mode=0o555)
        os.chmod(ro, 0o555)
        argv = ["cert", "new", "--name", FQDN, "--self-signed", "--out", str(ro)]
        if os.geteuid() != 0:
            rc, _, err = run(capsys, *argv)
        else:
            setpriv = shutil.which("setpriv")
            if setpriv is None:
                pytest.skip("setpriv (util-linux) is needed to drop root for this test")
            env = {**os.environ, "MAILCERT_CONFIG": str(base / "none.toml"), "HOME": str(base)}
            p = subprocess.run(
                [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable, "-m", "mailcert", *argv],
                capture_output=True, text=True, timeout=120, env=env, cwd=str(base),
            )
            if "Permission denied" in p.stderr and "mailcert" not in p.stderr:
                pytest.skip(f"nobody cannot run the venv's python here: {p.stderr.strip()}")
            rc, err = p.returncode, p.stderr
        assert rc == 1
        line = one_line_error(err)
        assert "Permission denied" in line and str(ro) in line
        assert listing(ro) == []
    finally:
        os.chmod(base / "ro", 0o755)
        shutil.rmtree(base)


# --- cert import -------------------------------------------------------------------------------


@pytest.fixture
def pending(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """DIR with key.pem + request.csr for remote.contoso.com, as `cert new --csr` leaves it."""
    out = tmp_path / "pending"
    rc, _, err = run(
        capsys, "cert", "new", "--name", FQDN, "--alt", "autodiscover.contoso.com", "--alt", "mail.contoso.com", "--csr", "--out", str(out)
    )
    assert rc == 0, err
    return out


@pytest.fixture
def ca(tmp_path: Path) -> tuple[TestCA, TestCA, Path, Path]:
    """(root, intermediate, root.pem, intermediate.pem)."""
    root = TestCA(now=now())
    inter = root.create_child_ca()
    root_pem = tmp_path / "root.pem"
    root_pem.write_bytes(root.cert_pem)
    inter_pem = tmp_path / "intermediate.pem"
    inter_pem.write_bytes(inter.cert_pem)
    return root, inter, root_pem, inter_pem


def issue(ca_: TestCA, out: Path, path: Path, *, names: list[str] | None = None, **kw: datetime) -> x509.Certificate:
    request = x509.load_pem_x509_csr((out / "request.csr").read_bytes())
    cert = ca_.sign_csr(request, names=names, **kw)
    path.write_bytes(build.cert_to_pem(cert))
    return cert


def test_import_matches_key_completes_chain(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], pending: Path, ca: tuple[TestCA, TestCA, Path, Path]
) -> None:
    _, inter, root_pem, inter_pem = ca
    issued = tmp_path / "issued.pem"
    issue(inter, pending, issued)
    key_before = (pending / "key.pem").stat()
    rc, stdout, err = run(
        capsys, "cert", "import", str(issued), "--chain", str(inter_pem), "--cafile", str(root_pem), "--out", str(pending), "--name", FQDN
    )
    assert rc == 0, stdout + err
    assert {"cert.pem", "chain.pem", "fullchain.pem", "key.pem"} <= set(listing(pending))
    assert (pending / "key.pem").stat().st_ino == key_before.st_ino  # the matching key was left alone
    assert not list(pending.glob("key.pem.mailcert-bak-*"))
    r = openssl("verify", "-CAfile", str(root_pem), "-untrusted", str(pending / "chain.pem"), "-purpose", "sslserver", str(pending / "cert.pem"))
    assert r.returncode == 0, r.stderr
    assert (pending / "fullchain.pem").read_bytes() == (pending / "cert.pem").read_bytes() + (pending / "chain.pem").read_bytes()
    assert san(pending / "cert.pem") == ["DNS:remote.contoso.com", "DNS:autodiscover.contoso.com", "DNS:mail.contoso.com"]
    assert "verifies to a trusted root" in stdout and "every client profile" in stdout
    results = inspect_results(capsys, pending / "cert.pem", FQDN)
    assert all(r["accepted"] for r in results), results


def test_import_warns_when_the_ca_moved_the_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], pending: Path, ca: tuple[TestCA, TestCA, Path, Path]
) -> None:
    _, inter, root_pem, inter_pem = ca
    issued = tmp_path / "issued.pem"
    issue(inter, pending, issued, names=sorted([FQDN, "autodiscover.contoso.com", "mail.contoso.com"]))
    rc, stdout, _ = run(
        capsys, "cert", "import", str(issued), "--chain", str(inter_pem), "--cafile", str(root_pem), "--out", str(pending), "--name", FQDN
    )
    assert rc == 1
    assert "warning: outlook2007 refuses the certificate for remote.contoso.com" in stdout
    assert "The target principal name is incorrect" in stdout
    assert "the CA put autodiscover.contoso.com first" in stdout
    assert (pending / "cert.pem").exists()  # a warning, not a refusal: the administrator decides


def test_import_finds_the_key_of_an_older_request(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], pending: Path, ca: tuple[TestCA, TestCA, Path, Path]
) -> None:
    _, inter, root_pem, inter_pem = ca
    issued = tmp_path / "issued.pem"
    cert = issue(inter, pending, issued)  # the CA answers the first request...
    first_key = (pending / "key.pem").read_bytes()
    assert run(capsys, "cert", "new", "--name", FQDN, "--csr", "--out", str(pending))[0] == 0  # ...after a second one
    rc, stdout, err = run(capsys, "cert", "import", str(issued), "--chain", str(inter_pem), "--cafile", str(root_pem), "--out", str(pending))
    assert rc == 0, stdout + err
    assert "key.pem.mailcert-bak-" in stdout
    assert (pending / "key.pem").read_bytes() == first_key and mode(pending / "key.pem") == 0o600
    r = openssl("x509", "-in", str(pending / "cert.pem"), "-noout", "-pubkey")
    assert r.stdout == openssl("pkey", "-in", str(pending / "key.pem"), "-pubout").stdout
    assert build.san_names(cert)[0] == FQDN


def test_import_without_matching_key_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], pending: Path, ca: tuple[TestCA, TestCA, Path, Path]
) -> None:
    root, *_ = ca
    stranger = root.issue_cert(FQDN)  # issued for a key that is not ours
    issued = tmp_path / "issued.pem"
    issued.write_bytes(stranger.cert_pem)
    before = listing(pending)
    rc, _, err = run(capsys, "cert", "import", str(issued), "--out", str(pending))
    assert rc == 3
    assert "no pending key matches the certificate for remote.contoso.com" in one_line_error(err)
    assert listing(pending) == before


def test_import_missing_intermediate_warns_and_says_how(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], pending: Path, ca: tuple[TestCA, TestCA, Path, Path]
) -> None:
    _, inter, root_pem, _ = ca
    issued = tmp_path / "issued.pem"
    issue(inter, pending, issued)
    rc, stdout, _ = run(capsys, "cert", "import", str(issued), "--cafile", str(root_pem), "--out", str(pending), "--name", FQDN)
    assert rc == 1
    assert "the server does not send it" in stdout and "with --chain FILE" in stdout
    assert (pending / "chain.pem").read_bytes() == b""


def test_import_expired_certificate_warns(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], pending: Path, ca: tuple[TestCA, TestCA, Path, Path]
) -> None:
    _, inter, root_pem, inter_pem = ca
    issued = tmp_path / "issued.pem"
    issue(inter, pending, issued, not_before=now() - timedelta(days=100), not_after=now() - timedelta(days=1))
    rc, stdout, _ = run(
        capsys, "cert", "import", str(issued), "--chain", str(inter_pem), "--cafile", str(root_pem), "--out", str(pending), "--name", FQDN
    )
    assert rc == 1 and "warning: the certificate expired" in stdout


# --- cert export -------------------------------------------------------------------------------


@pytest.fixture
def imported(tmp_path: Path, capsys: pytest.CaptureFixture[str], pending: Path, ca: tuple[TestCA, TestCA, Path, Path]) -> Path:
    _, inter, root_pem, inter_pem = ca
    issued = tmp_path / "issued.pem"
    issue(inter, pending, issued)
    rc, out, err = run(capsys, "cert", "import", str(issued), "--chain", str(inter_pem), "--cafile", str(root_pem), "--out", str(pending))
    assert rc == 0, out + err
    return pending


@pytest.mark.parametrize(
    ("legacy", "fragments"),
    [(False, ("AES-256-CBC", "MAC: sha256")), (True, ("pbeWithSHA1And3-KeyTripleDES-CBC", "MAC: sha1"))],
)
def test_export_pfx_read_back_by_openssl(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], imported: Path, monkeypatch: pytest.MonkeyPatch,
    umask000: None, legacy: bool, fragments: tuple[str, ...],
) -> None:
    monkeypatch.setenv("PFX_PASSWORD", "correct horse")
    pfx = tmp_path / "remote.pfx"
    argv = ["cert", "export", str(imported), "--pfx", str(pfx), "--password-env", "PFX_PASSWORD", *(["--legacy"] if legacy else [])]
    rc, stdout, err = run(capsys, *argv)
    assert rc == 0, err
    assert mode(pfx) == 0o600
    assert "correct horse" not in stdout + err and "PRIVATE KEY" not in stdout
    extra = ["-legacy"] if legacy else []
    r = openssl("pkcs12", "-info", "-nokeys", "-passin", "env:PFX_PASSWORD", "-in", str(pfx), *extra)
    assert r.returncode == 0, r.stderr
    for fragment in fragments:
        assert fragment in r.stdout + r.stderr
    assert (r.stdout + r.stderr).count("BEGIN CERTIFICATE") == 2
    wrong = openssl("pkcs12", "-info", "-nokeys", "-passin", "pass:wrong", "-in", str(pfx), *extra)
    assert wrong.returncode != 0
    # the key inside is the key on disk
    k = openssl("pkcs12", "-in", str(pfx), "-nocerts", "-nodes", "-passin", "env:PFX_PASSWORD", *extra)
    assert k.returncode == 0
    pub_in_pfx = subprocess.run(["openssl", "pkey", "-pubout"], input=k.stdout, capture_output=True, text=True).stdout
    assert pub_in_pfx == openssl("pkey", "-in", str(imported / "key.pem"), "-pubout").stdout


def test_export_pem_bundle(tmp_path: Path, capsys: pytest.CaptureFixture[str], imported: Path, umask000: None) -> None:
    bundle = tmp_path / "bundle.pem"
    rc, _, err = run(capsys, "cert", "export", str(imported), "--pem-bundle", str(bundle))
    assert rc == 0, err
    assert mode(bundle) == 0o600
    data = bundle.read_bytes()
    assert data.startswith(b"-----BEGIN PRIVATE KEY-----")
    assert data.endswith((imported / "fullchain.pem").read_bytes())
    assert openssl("pkey", "-in", str(bundle), "-noout").returncode == 0
    assert san(bundle)[0] == "DNS:remote.contoso.com"


def test_export_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str], imported: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pfx = tmp_path / "x.pfx"
    monkeypatch.delenv("NOT_SET", raising=False)
    rc, _, err = run(capsys, "cert", "export", str(imported), "--pfx", str(pfx), "--password-env", "NOT_SET")
    assert rc == 3 and "NOT_SET: that environment variable is not set" in one_line_error(err)
    rc, _, err = run(capsys, "cert", "export", str(imported), "--pfx", str(pfx))  # no terminal: no prompt
    assert rc == 3 and "--password-env" in one_line_error(err)
    monkeypatch.setenv("EMPTY", "")
    rc, _, err = run(capsys, "cert", "export", str(imported), "--pfx", str(pfx), "--password-env", "EMPTY")
    assert rc == 3 and "password is empty" in one_line_error(err)
    rc, _, err = run(capsys, "cert", "export", str(imported))
    assert rc == 3 and "--pfx FILE and/or --pem-bundle FILE" in one_line_error(err)
    monkeypatch.setenv("PW", "x")
    rc, _, err = run(capsys, "cert", "export", str(imported), "--pfx", str(tmp_path / "nodir" / "x.pfx"), "--password-env", "PW")
    assert rc == 3 and "does not exist" in one_line_error(err)
    (imported / "key.pem").write_bytes(build.key_to_pem(build.new_key("ecdsa-p256")))
    rc, _, err = run(capsys, "cert", "export", str(imported), "--pfx", str(pfx), "--password-env", "PW")
    assert rc == 3 and "does not belong to" in one_line_error(err)
    assert not pfx.exists()


# --- cert fix ----------------------------------------------------------------------------------


@pytest.fixture
def sbs(tmp_path: Path) -> tuple[Path, Path, build.PrivateKey]:
    """The seed's self-signed certificate and its key, as SBS 2008 made them."""
    from mailcert.examples.make_examples import sbs2008

    cert, key = sbs2008()
    c, k = tmp_path / "sbs.pem", tmp_path / "sbs.key"
    c.write_bytes(build.cert_to_pem(cert))
    k.write_bytes(build.key_to_pem(key))
    return c, k, key


def test_fix_moves_the_fqdn_first(tmp_path: Path, capsys: pytest.CaptureFixture[str], sbs: tuple[Path, Path, build.PrivateKey], umask000: None) -> None:
    cert, key, _ = sbs
    assert san(cert) == [f"DNS:{n}" for n in SEED_ORDER]
    out = tmp_path / "fixed"
    rc, stdout, err = run(capsys, "cert", "fix", str(cert), "--key", str(key), "--first", FQDN, "--out", str(out))
    assert rc == 0, err
    assert san(out / "cert.pem") == ["DNS:remote.contoso.com", "DNS:sbs.contoso.local", "DNS:sites", "DNS:companyweb"]
    assert subject(out / "cert.pem") == f"subject=CN={FQDN}"
    assert mode(out / "key.pem") == 0o600
    assert openssl("x509", "-in", str(out / "cert.pem"), "-noout", "-pubkey").stdout == openssl("pkey", "-in", str(key), "-pubout").stdout
    assert "warning: outlook2007 refuses" in stdout.split("After:")[0]  # before: the seed's warning
    assert "every client profile" in stdout.split("After:")[1]
    results = inspect_results(capsys, out / "cert.pem", FQDN)
    assert all(r["accepted"] for r in results), results


def test_fix_default_first_is_the_configured_address_and_pfx_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], sbs: tuple[Path, Path, build.PrivateKey], monkeypatch: pytest.MonkeyPatch
) -> None:
    cert_path, _, key = sbs
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    pfx = tmp_path / "sbs.pfx"
    pfx.write_bytes(to_pfx(key, cert, password=b"windows", legacy=True))  # as exported from the SBS console
    assert run(capsys, "address", "set", "contoso.com")[0] == 0
    monkeypatch.setenv("SBS_PFX", "windows")
    out = tmp_path / "fixed"
    rc, _, err = run(capsys, "cert", "fix", str(pfx), "--password-env", "SBS_PFX", "--out", str(out))
    assert rc == 0, err
    assert san(out / "cert.pem")[0] == "DNS:remote.contoso.com"

    monkeypatch.setenv("SBS_PFX", "wrong")
    out2 = tmp_path / "fixed2"
    rc, _, err = run(capsys, "cert", "fix", str(pfx), "--password-env", "SBS_PFX", "--out", str(out2))
    assert rc == 3 and "wrong" in one_line_error(err) and "password" in one_line_error(err)
    assert not out2.exists()


@pytest.mark.parametrize(
    ("first", "why"),
    [("*.contoso.com", "Outlook 2007 compares only the first name"), ("bad_name", "not a valid host name")],
)
def test_fix_bad_first_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], sbs: tuple[Path, Path, build.PrivateKey], first: str, why: str
) -> None:
    cert, key, _ = sbs
    rc, _, err = run(capsys, "cert", "fix", str(cert), "--key", str(key), "--first", first, "--out", str(tmp_path / "o"))
    assert rc == 3 and why in one_line_error(err)
    assert not (tmp_path / "o").exists()


def test_fix_with_a_foreign_key(tmp_path: Path, capsys: pytest.CaptureFixture[str], sbs: tuple[Path, Path, build.PrivateKey]) -> None:
    cert, _, _ = sbs
    other = tmp_path / "other.key"
    other.write_bytes(build.key_to_pem(build.new_key("ecdsa-p256")))
    rc, _, err = run(capsys, "cert", "fix", str(cert), "--key", str(other), "--first", FQDN, "--out", str(tmp_path / "o"))
    assert rc == 3 and "the key does not belong to" in one_line_error(err)
    assert not (tmp_path / "o").exists()


def test_fix_ca_issued_explains_and_prints_the_request(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    leaf = TestCA(now=now()).issue_cert(*SEED_ORDER)
    cert = tmp_path / "issued.pem"
    cert.write_bytes(leaf.cert_pem)
    rc, stdout, _ = run(capsys, "cert", "fix", str(cert), "--first", FQDN, "--out", str(tmp_path / "o"))
    assert rc == 1
    assert "not self-signed" in stdout
    assert (
        "mailcert cert new --name remote.contoso.com --alt sbs.contoso.local --alt sites --alt companyweb --csr" in stdout
    )
    assert not (tmp_path / "o").exists()


# --- the shipped example -----------------------------------------------------------------------


def test_sbs2008_example_is_the_seed_certificate(tmp_path: Path) -> None:
    from mailcert.examples import example_bytes
    from mailcert.examples.make_examples import main as make

    shipped = REPO / "src" / "mailcert" / "examples" / "sbs2008.pem"
    assert example_bytes() == shipped.read_bytes()
    assert b"PRIVATE KEY" not in shipped.read_bytes()
    assert san(shipped) == [f"DNS:{n}" for n in SEED_ORDER]
    assert subject(shipped) == "subject=CN=sbs.contoso.local"
    dates = openssl("x509", "-in", str(shipped), "-noout", "-dates").stdout
    assert "notBefore=Jan  1 00:00:00 2026 GMT" in dates and "notAfter=Jan  1 00:00:00 2031 GMT" in dates
    r = openssl("x509", "-in", str(shipped), "-noout", "-text")
    assert "Public-Key: (2048 bit)" in r.stdout
    assert make([str(tmp_path)]) == 0  # the script regenerates the same certificate (new key)
    assert san(tmp_path / "sbs2008.pem") == san(shipped)


def test_password_is_never_taken_nor_echoed_from_argv(tmp_path: Path, capsys: pytest.CaptureFixture[str], imported: Path) -> None:
    pfx = tmp_path / "x.pfx"
    assert main(["cert", "export", str(imported), "--pfx", str(pfx), "--password", "hunter2"]) == 3
    err = capsys.readouterr().err
    assert "--password-env VAR" in err and "hunter2" not in err
    rc, _, err = run(capsys, "cert", "export", str(imported), "--pfx", str(pfx), "--password-env", "hunter 2!")
    assert rc == 3 and "NAME of an environment variable" in one_line_error(err) and "hunter" not in err
    assert not pfx.exists()
