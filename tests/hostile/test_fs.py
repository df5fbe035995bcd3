"""Issue 13, cases 7, 8 and the file parts of 12: what mailcert writes, where another user
(``nobody``, from a forked child that drops to its uid) has prepared the ground.

Each case ends in one line on stderr and leaves the other user's files exactly as they were.
"""

from __future__ import annotations

import os
import pwd
import stat
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from mailcert import fsutil
from mailcert.cli import main
from mailcert.errors import OperationError
from tests.commands.test_cert import run, umask000  # noqa: F401  (umask000: a fixture)

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root to act as another user")

NOBODY = pwd.getpwnam("nobody")


def as_nobody(action: Callable[[], None]) -> None:
    """Run ``action`` in a forked child with nobody's uid and gid (the attacker)."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        code = 1
        try:
            os.setgroups([])
            os.setgid(NOBODY.pw_gid)
            os.setuid(NOBODY.pw_uid)
            action()
            code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, "the attacker's set-up failed"


@pytest.fixture
def public() -> Iterator[Path]:
    """A sticky world-writable directory owned by root, like /tmp, that nobody can reach
    (pytest's tmp_path lies under a 0700 directory)."""
    import shutil
    import tempfile

    base = Path(tempfile.mkdtemp(prefix="mc-hostile-", dir="/tmp"))
    base.chmod(0o755)
    d = base / "public"
    d.mkdir()
    d.chmod(0o1777)
    try:
        yield d
    finally:
        shutil.rmtree(base, ignore_errors=True)


def assert_refused(rc: int, err: str, *words: str) -> None:
    assert rc != 0, err
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("mailcert: error: "), err
    for w in words:
        assert w in lines[0], lines[0]


def plant(path: Path, *, link_to: Path | None = None, data: bytes | None = None, mode: int = 0o644, directory: bool = False) -> None:
    def act() -> None:
        if link_to is not None:
            os.symlink(link_to, path)
        elif directory:
            os.mkdir(path)
            os.chmod(path, mode)
        else:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
            os.write(fd, data or b"")
            os.close(fd)

    as_nobody(act)


# --- case 7: directories under umask 000 ------------------------------------------------------


def test_cert_new_under_umask_000_makes_parents_0755_and_the_key_dir_0700(tmp_path: Path, umask000: None, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "A" / "B" / "DIR"
    rc, _, err = run(capsys, "cert", "new", "--name", "mail.example.com", "--key-type", "ecdsa-p256", "--csr", "--out", str(out))
    assert rc == 0, err
    assert stat.S_IMODE((tmp_path / "A").stat().st_mode) == 0o755
    assert stat.S_IMODE((tmp_path / "A" / "B").stat().st_mode) == 0o755
    assert stat.S_IMODE(out.stat().st_mode) == 0o700
    assert stat.S_IMODE((out / "key.pem").stat().st_mode) == 0o600


def test_acme_account_dirs_under_umask_000_are_0700(tmp_path: Path, umask000: None) -> None:
    from mailcert.issue.state import AccountStore, StoredAccount

    state = tmp_path / "state"
    folder = AccountStore(state).save(StoredAccount("https://ca.example/dir", "https://ca.example/acct/1", b"KEY\n"))
    for d in (state, state / "acme", state / "acme" / "accounts", folder):
        assert stat.S_IMODE(d.stat().st_mode) == 0o700, d
    assert stat.S_IMODE((folder / "key.pem").stat().st_mode) == 0o600


def test_world_writable_acme_state_is_tightened_when_ours_refused_when_not(public: Path) -> None:
    from mailcert.issue.state import AccountStore, StoredAccount, acme_dir

    ours = public.parent / "ours"
    (ours / "acme").mkdir(parents=True)
    ours.chmod(0o777)
    (ours / "acme").chmod(0o777)
    (ours / "acme" / "accounts").mkdir()
    (ours / "acme" / "accounts").chmod(0o777)  # what an earlier run under umask 000 left
    acme_dir(ours)
    assert stat.S_IMODE(ours.stat().st_mode) == 0o700 and stat.S_IMODE((ours / "acme").stat().st_mode) == 0o700
    folder = AccountStore(ours).save(StoredAccount("https://ca.example/dir", "https://ca.example/acct/1", b"KEY\n"))
    assert stat.S_IMODE(folder.parent.stat().st_mode) == 0o700

    theirs = public / "theirs"
    plant(theirs, directory=True, mode=0o777)
    with pytest.raises(OperationError, match="theirs"):
        acme_dir(theirs)
    assert list(theirs.iterdir()) == []


# --- case 8: planted links and foreign files --------------------------------------------------


def _targets(tmp_path: Path) -> Path:
    t = tmp_path / "targets"
    t.write_text("imaps://127.0.0.1:1 mail.example.com\n")
    return t


@pytest.mark.parametrize("victim_owner", ["nobody", "root"])
def test_scan_out_never_follows_a_planted_link(public: Path, tmp_path: Path, victim_owner: str, capsys: pytest.CaptureFixture[str]) -> None:
    victim = (public if victim_owner == "nobody" else tmp_path) / "victim"
    if victim_owner == "nobody":
        plant(victim, data=b"precious\n")
    else:
        victim.write_bytes(b"precious\n")
    out = public / "scan.jsonl"
    plant(out, link_to=victim)
    rc, _, err = run(capsys, "scan", str(_targets(tmp_path)), "--out", str(out), "--db", str(tmp_path / "inv.sqlite"), "--quiet")
    assert_refused(rc, err, str(out), "symbolic link")
    assert victim.read_bytes() == b"precious\n"


def test_scan_out_does_not_take_over_another_users_file(public: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = public / "scan.jsonl"
    plant(out, data=b"theirs\n")
    rc, _, err = run(capsys, "scan", str(_targets(tmp_path)), "--out", str(out), "--db", str(tmp_path / "inv.sqlite"), "--quiet")
    assert_refused(rc, err, str(out), "uid")
    assert out.read_bytes() == b"theirs\n" and out.stat().st_uid == NOBODY.pw_uid


def test_scan_out_new_file_in_tmp_like_dir_is_fine(public: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = public / "mine.jsonl"
    rc, _, err = run(capsys, "scan", str(_targets(tmp_path)), "--out", str(out), "--db", str(tmp_path / "inv.sqlite"), "--quiet")
    assert rc == 3 and len(out.read_text().splitlines()) == 1, err
    assert out.stat().st_uid == 0 and not os.path.islink(out)


@pytest.mark.parametrize("where", ["file", "journal"])
def test_scan_db_through_a_planted_link_is_refused(public: Path, tmp_path: Path, where: str, capsys: pytest.CaptureFixture[str]) -> None:
    """The database file or SQLite's journal beside it: both are opened by name."""
    victim = public / "victim"
    plant(victim, data=b"their data\n")
    db = tmp_path / "db"
    db.mkdir(mode=0o755)
    if where == "file":
        dbfile = public / "inv.sqlite"
        plant(dbfile, link_to=victim)
    else:  # the directory is safe but someone (root, earlier) left a link at the journal's name
        dbfile = db / "inv.sqlite"
        os.symlink(victim, db / "inv.sqlite-journal")
    rc, _, err = run(capsys, "scan", str(_targets(tmp_path)), "--db", str(dbfile), "--out", str(tmp_path / "o"), "--quiet")
    assert_refused(rc, err, str(dbfile))
    assert victim.read_bytes() == b"their data\n" and victim.stat().st_uid == NOBODY.pw_uid


def test_scan_db_in_a_world_writable_directory_is_refused(public: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dbfile = public / "inv.sqlite"
    rc, _, err = run(capsys, "scan", str(_targets(tmp_path)), "--db", str(dbfile), "--out", str(tmp_path / "o"), "--quiet")
    assert_refused(rc, err, str(dbfile), "journal")
    assert not dbfile.exists()


def test_cert_new_never_writes_through_a_directory_link_into_their_directory(public: Path, capsys: pytest.CaptureFixture[str]) -> None:
    evil = public / "evil"
    plant(evil, directory=True, mode=0o777)
    link = public / "keys"
    plant(link, link_to=evil)
    rc, _, err = run(capsys, "cert", "new", "--name", "mail.example.com", "--key-type", "ecdsa-p256", "--csr", "--out", str(link))
    assert_refused(rc, err, str(link), "symbolic link")
    assert list(evil.iterdir()) == []
    rc, _, err = run(capsys, "cert", "new", "--name", "mail.example.com", "--key-type", "ecdsa-p256", "--csr", "--out", str(evil / "sub"))
    assert_refused(rc, err, str(evil), "any user can write")
    assert list(evil.iterdir()) == []


def test_cert_export_into_their_directory_is_refused(public: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "src"
    rc, _, err = run(capsys, "cert", "new", "--name", "mail.example.com", "--key-type", "ecdsa-p256", "--self-signed", "--out", str(src))
    assert rc == 0, err
    evil = public / "evil"
    plant(evil, directory=True, mode=0o777)
    os.environ["PFXPW"] = "secret"
    try:
        rc, _, err = run(capsys, "cert", "export", str(src), "--pfx", str(evil / "mail.pfx"), "--password-env", "PFXPW")
    finally:
        del os.environ["PFXPW"]
    assert_refused(rc, err, str(evil))
    assert list(evil.iterdir()) == []


def test_symlinks_made_by_root_or_us_are_followed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Not every link is an attack: /var/run -> /run style links made by root still work."""
    tmp_path.chmod(0o755)
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "alias").symlink_to(real)
    rc, _, err = run(capsys, "cert", "new", "--name", "mail.example.com", "--key-type", "ecdsa-p256", "--csr", "--out", str(tmp_path / "alias" / "keys"))
    assert rc == 0, err
    assert (real / "keys" / "key.pem").is_file()


# --- backups by copy (case 12) --------------------------------------------------------------


def test_copied_backup_never_follows_a_link_at_its_name(public: Path, tmp_path: Path) -> None:
    key = tmp_path / "key.pem"
    key.write_bytes(b"SECRET\n")
    key.chmod(0o600)
    victim = public / "victim"
    plant(victim, data=b"theirs\n")
    planted = public / "key.pem.mailcert-bak-20261201T000000"
    plant(planted, link_to=victim)
    with pytest.raises(OperationError):
        fsutil._copy_backup(key, planted)
    assert victim.read_bytes() == b"theirs\n"


def test_copied_backup_keeps_the_originals_mode_under_umask_000(tmp_path: Path, umask000: None) -> None:
    """Forced down the copy path by the file system's own limit: more hard links than ext4
    allows (65000) make os.link fail with EMLINK, as it fails across file systems."""
    d = tmp_path / "d"
    d.mkdir(mode=0o755)
    key = d / "key.pem"
    key.write_bytes(b"SECRET\n")
    key.chmod(0o600)
    links = tmp_path / "links"
    links.mkdir()
    try:
        for i in range(70000):
            os.link(key, links / str(i))
    except OSError as exc:
        import errno

        if exc.errno != errno.EMLINK:
            raise
    else:
        pytest.skip("this file system has no hard link limit")
    saved = fsutil.write_private_key(key, b"NEW\n")
    assert saved is not None and saved.read_bytes() == b"SECRET\n"
    assert os.stat(saved).st_nlink == 1, "a copy, not a link"
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
