"""``mailcert deploy`` against REAL Dovecot and Postfix on loopback (issue 6).

Each test that writes gets its own server (``make_dovecot``/``make_postfix``) serving *copies* of
the SBS-style certificate in a directory of its own, so a deploy may overwrite them.  Tests that
must not write (dry run, pre-flight refusals) use the shared servers, and prove they wrote
nothing with checksums.  What a server serves is read over the wire with the fixtures' own TLS
client (``tests/servers/tlsclient.py``), not with mailcert's probe: the deploy's verification is
what is under test, so the judge must be independent of it.

The command runs as an administrator or certbot would run it: a subprocess, no stdin, judged by
its exit status, its one-line error and (where handy) its JSON.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from mailcert.certs.build import TestCA
from mailcert.names.profiles import DEFAULT_CLIENTS
from tests.schemas import validate
from tests.servers.certs import CertFiles, FixturePKI
from tests.servers.dovecot import DovecotServer
from tests.servers.postfix import PostfixServer

pytestmark = pytest.mark.integration
NAME = "remote.contoso.com"
SERVERS = ["dovecot", "postfix"]


def mailcert(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "MAILCERT_CONFIG": "/nonexistent/mailcert-test.toml", "NO_COLOR": "1"}
    for var in ("RENEWED_LINEAGE", "CERT_FULLCHAIN_PATH", "CERT_KEY_PATH"):
        full_env.pop(var, None)
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "mailcert", *args], capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL, env=full_env)


def one_line(stderr: str) -> str:
    lines = [ln for ln in stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


def checksums(*roots: Path) -> dict[str, tuple[str, int]]:
    """Every file under ``roots``: content digest and mode (what a dry run must not change)."""
    out: dict[str, tuple[str, int]] = {}
    for root in roots:
        for path in sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink()):
            if path.suffix == ".log" or "log" in path.parts or "run" in path.parts or "spool" in path.parts:
                continue  # the servers' own logs and runtime state change while they run
            out[str(path)] = (hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mode & 0o7777)
    return out


def cert_dir(base: Path, leaf_pem: bytes, key_pem: bytes, *, key_name: str = "key.pem") -> Path:
    """A directory laid out as ``mailcert cert import``/``acme`` (or certbot) leave it."""
    base.mkdir(parents=True, exist_ok=True)
    (base / "fullchain.pem").write_bytes(leaf_pem)
    (base / key_name).write_bytes(key_pem)
    os.chmod(base / key_name, 0o600)
    return base


def from_files(base: Path, leaf: CertFiles, key_from: CertFiles | None = None) -> Path:
    return cert_dir(base, leaf.cert_path.read_bytes(), (key_from or leaf).key_path.read_bytes())


@dataclass
class Site:
    """A running server whose certificate files are copies this test may overwrite."""

    kind: str
    server: DovecotServer | PostfixServer
    live: Path

    @property
    def config(self) -> Path:
        return self.server.config_path if isinstance(self.server, DovecotServer) else self.server.config_dir

    @property
    def cert(self) -> Path:
        return self.live / "mail.crt"

    @property
    def key(self) -> Path:
        return self.live / "mail.key"

    def served(self, sni: str | None = NAME) -> list[bytes]:
        return [ep.leaf_der(server_hostname=sni) for ep in self.server.endpoints()]

    def serves_only(self, der: bytes) -> bool:
        return set(self.served()) == {der} and set(self.served(None)) == {der}

    def deploy(self, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return mailcert("deploy", self.kind, "--server-config", str(self.config), *args, env=env)

    def backups(self) -> list[Path]:
        return sorted(p for p in self.live.iterdir() if ".mailcert-bak-" in p.name)

    def urls(self) -> list[str]:
        """``check`` targets for every endpoint, by name (the connection goes to 127.0.0.1)."""
        scheme = {"imap": "imap", "imaps": "imaps", "pop3": "pop3", "pop3s": "pop3s",
                  "smtp": "smtp", "submission": "smtp", "smtps": "smtps"}
        return [f"{scheme[ep.name]}://{NAME}:{ep.port}" for ep in self.server.endpoints()]


@pytest.fixture
def new_site(request: pytest.FixtureRequest, servers_root: Path, server_pki: FixturePKI) -> Callable[..., Site]:
    """``new_site(kind)``: a fresh Dovecot or Postfix serving copies of the SBS-style certificate."""

    def make(kind: str, **kwargs: str) -> Site:
        live = Path(tempfile.mkdtemp(prefix="live-", dir=servers_root))
        shutil.copy2(server_pki.sbs.cert_path, live / "mail.crt")
        shutil.copy2(server_pki.sbs.key_path, live / "mail.key")
        factory = request.getfixturevalue("make_dovecot" if kind == "dovecot" else "make_postfix")
        return Site(kind, factory(live / "mail.crt", live / "mail.key", **kwargs), live)

    return make


@pytest.fixture(params=SERVERS)
def site(request: pytest.FixtureRequest, new_site: Callable[..., Site]) -> Site:
    return new_site(request.param)


@pytest.fixture(params=SERVERS)
def shared(request: pytest.FixtureRequest, server_pki: FixturePKI) -> Site:
    """The session's shared server (serving server_pki.sbs itself): only for tests that must not write."""
    server = request.getfixturevalue(request.param)
    return Site(request.param, server, server_pki.sbs.cert_path.parent)


# --- the deploy itself ------------------------------------------------------------------------------


def test_deploy_replaces_the_sbs_certificate_and_check_is_clean(site: Site, server_pki: FixturePKI, tmp_path: Path) -> None:
    ca = str(server_pki.ca.cert_path)
    assert site.serves_only(server_pki.sbs.der)
    before = mailcert("check", site.urls()[0], "--connect", "127.0.0.1", "--name", NAME, "--cafile", ca)
    assert before.returncode == 1, before.stdout  # Outlook 2007 warns: the seed's problem

    r = site.deploy("--cert", str(from_files(tmp_path / "new", server_pki.ordered)), "--cafile", ca)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "result: deployed" in r.stdout

    assert site.serves_only(server_pki.ordered.der)
    assert site.cert.read_bytes() == server_pki.ordered.cert_path.read_bytes()
    assert site.key.read_bytes() == server_pki.ordered.key_path.read_bytes()
    assert (site.cert.stat().st_mode & 0o7777, site.key.stat().st_mode & 0o7777) == (0o644, 0o600)
    backups = site.backups()
    assert len(backups) == 2 and all(str(b) in r.stdout for b in backups)
    assert {b.read_bytes() for b in backups} == {server_pki.sbs.cert_path.read_bytes(), server_pki.sbs.key_path.read_bytes()}

    for url in site.urls():
        after = mailcert("check", url, "--connect", "127.0.0.1", "--name", NAME, "--cafile", ca)
        assert after.returncode == 0, (url, after.stdout, after.stderr)


def test_second_deploy_of_the_same_certificate_changes_nothing(site: Site, server_pki: FixturePKI, tmp_path: Path) -> None:
    new = from_files(tmp_path / "new", server_pki.ordered)
    ca = str(server_pki.ca.cert_path)
    assert site.deploy("--cert", str(new), "--cafile", ca).returncode == 0
    state = checksums(site.live)
    mtimes = {p.name: p.stat().st_mtime_ns for p in site.live.iterdir()}

    again = site.deploy("--cert", str(new), "--cafile", ca, "--format", "json")
    assert again.returncode == 0, again.stderr
    doc = validate(json.loads(again.stdout), "deploy")
    assert doc["status"] == "already-deployed"
    assert doc["plan"]["files"] == [] and doc["backups"] == [] and doc["steps"][-1]["step"] == "config test (before)"
    assert checksums(site.live) == state
    assert {p.name: p.stat().st_mtime_ns for p in site.live.iterdir()} == mtimes
    assert site.serves_only(server_pki.ordered.der)


def test_certbot_deploy_hook_from_env(new_site: Callable[..., Site], server_pki: FixturePKI, tmp_path: Path) -> None:
    s = new_site("dovecot")
    lineage = from_files(tmp_path / "live" / NAME, server_pki.ordered)
    (lineage / "key.pem").rename(lineage / "privkey.pem")  # certbot's names
    r = s.deploy("--from-env", "--cafile", str(server_pki.ca.cert_path), env={"RENEWED_LINEAGE": str(lineage)})
    assert r.returncode == 0, r.stdout + r.stderr
    assert s.serves_only(server_pki.ordered.der)


def test_install_dir_points_postfix_at_new_files(new_site: Callable[..., Site], server_pki: FixturePKI, tmp_path: Path) -> None:
    s = new_site("postfix")
    assert isinstance(s.server, PostfixServer)
    main_cf = s.server.main_cf
    old_main = main_cf.read_bytes()
    inst = s.live / "installed"
    r = s.deploy("--cert", str(from_files(tmp_path / "new", server_pki.ordered)), "--cafile", str(server_pki.ca.cert_path),
                 "--install-dir", str(inst), "--key-group", "postfix", "--format", "json")
    assert r.returncode == 0, r.stdout + r.stderr
    doc = validate(json.loads(r.stdout), "deploy")
    assert f"+smtpd_tls_chain_files = {inst}/key.pem, {inst}/fullchain.pem" in doc["plan"]["diff"]
    assert s.server.postconf("-h", "smtpd_tls_chain_files").strip() == f"{inst}/key.pem, {inst}/fullchain.pem"
    (main_backup,) = [b["backup"] for b in doc["backups"]]
    assert Path(main_backup).read_bytes() == old_main
    assert s.cert.read_bytes() == server_pki.sbs.cert_path.read_bytes()  # the old files are not touched
    import grp

    key_stat = (inst / "key.pem").stat()
    assert (key_stat.st_mode & 0o7777, key_stat.st_uid, key_stat.st_gid) == (0o640, 0, grp.getgrnam("postfix").gr_gid)
    assert ((inst / "fullchain.pem").stat().st_mode & 0o7777) == 0o644
    assert s.serves_only(server_pki.ordered.der)


def test_install_dir_edits_the_included_file_that_sets_ssl_cert(new_site: Callable[..., Site], server_pki: FixturePKI,
                                                                 tmp_path: Path) -> None:
    """Debian's layout: ssl_cert/ssl_key live in conf.d/10-ssl.conf, pulled in by !include."""
    s = new_site("dovecot", layout="debian")
    assert isinstance(s.server, DovecotServer)
    ssl_conf = s.server.ssl_config_path
    assert ssl_conf.name == "10-ssl.conf"
    main_before = s.config.read_bytes()
    inst = s.live / "installed"
    r = s.deploy("--cert", str(from_files(tmp_path / "new", server_pki.ordered)), "--cafile", str(server_pki.ca.cert_path),
                 "--install-dir", str(inst))
    assert r.returncode == 0, r.stdout + r.stderr
    assert f"+ssl_cert = <{inst}/fullchain.pem" in r.stdout
    assert f"ssl_cert = <{inst}/fullchain.pem\n" in ssl_conf.read_text()
    assert f"ssl_key = <{inst}/key.pem\n" in ssl_conf.read_text()
    assert s.config.read_bytes() == main_before
    assert s.serves_only(server_pki.ordered.der)


# --- changing nothing --------------------------------------------------------------------------------


@pytest.mark.parametrize("install_dir", [False, True])
def test_dry_run_changes_nothing(shared: Site, server_pki: FixturePKI, tmp_path: Path, install_dir: bool) -> None:
    config_dir = shared.config.parent if shared.kind == "dovecot" else shared.config
    before = checksums(shared.live, config_dir)
    extra = ["--install-dir", str(tmp_path / "inst")] if install_dir else []
    r = shared.deploy("--cert", str(from_files(tmp_path / "new", server_pki.ordered)),
                      "--cafile", str(server_pki.ca.cert_path), "--dry-run", *extra)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "result: dry run: nothing was changed" in r.stdout
    old_fp = ":".join(f"{b:02X}" for b in hashlib.sha256(server_pki.sbs.der).digest()[:8])
    new_fp = ":".join(f"{b:02X}" for b in hashlib.sha256(server_pki.ordered.der).digest()[:8])
    if install_dir:
        assert "+smtpd_tls_chain_files" in r.stdout or "+ssl_cert = <" in r.stdout  # the settings diff
        assert not (tmp_path / "inst").exists()
    else:
        assert f"{old_fp} -> {new_fp}" in r.stdout
        assert "0600 -> 0600" in r.stdout
    assert checksums(shared.live, config_dir) == before
    assert shared.serves_only(server_pki.sbs.der)


def _chain_incomplete(tmp_path: Path, pki: FixturePKI) -> tuple[Path, Path]:
    """A leaf from an intermediate, the intermediate left out; the root given as --cafile."""
    import datetime as dt

    root = TestCA(now=dt.datetime.now(dt.timezone.utc), name="Deploy Test Root")
    issued = root.create_child_ca().issue_cert(NAME, "sbs.contoso.local")
    ca = tmp_path / "root.pem"
    ca.write_bytes(root.cert_pem)
    return cert_dir(tmp_path / "gap", issued.cert_pem, issued.key_pem), ca


@pytest.mark.parametrize("fault, words", [
    ("key-mismatch", "the key does not belong to the certificate"),
    ("chain-incomplete", "chain incomplete"),
    ("client-refuses", f"1 of {len(DEFAULT_CLIENTS)} clients would refuse remote.contoso.com (outlook2007)"),
])
def test_refused_before_touching_anything(shared: Site, server_pki: FixturePKI, tmp_path: Path, fault: str, words: str) -> None:
    ca = server_pki.ca.cert_path
    env = {}
    if fault == "key-mismatch":
        new = from_files(tmp_path / "new", server_pki.ordered, key_from=server_pki.sbs)
    elif fault == "chain-incomplete":
        new, ca = _chain_incomplete(tmp_path, server_pki)
    else:
        # The SBS-style certificate itself, judged for the external name configured with
        # `mailcert address set` (without it the default name would be the first SAN, which
        # every client accepts: the seed's trap).
        new = from_files(tmp_path / "new", server_pki.sbs)
        config = tmp_path / "mailcert.toml"
        config.write_text('[address]\ndomain = "contoso.com"\nprefix = "remote"\n')
        env = {"MAILCERT_CONFIG": str(config)}
    before = checksums(shared.live)
    r = shared.deploy("--cert", str(new), "--cafile", str(ca), env=env)
    assert r.returncode == 1, r.stdout
    line = one_line(r.stderr)
    assert line.startswith("mailcert: error: refused, nothing changed:") and words in line, line
    assert checksums(shared.live) == before
    assert shared.serves_only(server_pki.sbs.der)


def test_force_deploys_what_only_some_clients_refuse(site: Site, server_pki: FixturePKI, tmp_path: Path) -> None:
    """--force overrides client objections (not a broken key or chain); verification then expects
    exactly the clients that refused offline to refuse live."""
    other = server_pki.ca.issue(tmp_path, "sbs2", common_name="sbs.contoso.local",
                                dns_names=("sbs.contoso.local", NAME, "sites", "companyweb"))
    new = str(from_files(tmp_path / "new", other))
    ca = str(server_pki.ca.cert_path)
    refused = site.deploy("--cert", new, "--cafile", ca, "--name", NAME)
    assert refused.returncode == 1 and "(use --force to deploy anyway)" in refused.stderr
    r = site.deploy("--cert", new, "--cafile", ca, "--name", NAME, "--force")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "refused by outlook2007" in r.stdout
    assert site.serves_only(other.der)


def test_config_already_invalid_is_refused(new_site: Callable[..., Site], server_pki: FixturePKI, tmp_path: Path) -> None:
    s = new_site("dovecot")
    with open(s.config, "a") as f:  # a block pointing at a file that does not exist: doveconf -x fails
        f.write("local 192.0.2.9 {\n  ssl_cert = </nonexistent/mailcert-test.pem\n}\n")
    r = s.deploy("--cert", str(from_files(tmp_path / "new", server_pki.ordered)), "--cafile", str(server_pki.ca.cert_path))
    assert r.returncode == 1
    line = one_line(r.stderr)
    assert "configuration is invalid before any change" in line and "nonexistent/mailcert-test.pem" in line, line
    assert s.backups() == []
    assert s.serves_only(server_pki.sbs.der)


# --- faults during apply: each ends with the old certificate served ------------------------------------


FAULTS = {
    # a config test that passes before the write and fails after it (e.g. a wrapper that validates the files)
    "config-test-fails": ("deploy failed: config test failed", True),
    "reload-fails": ("deploy failed: reload failed: false exited 1", True),
    # nothing reloads, so Dovecot keeps serving the old certificate: verification must notice
    "not-reloaded": ("deploy failed: verify failed", True),
    # something else replaced the files before the reload (once): the server serves a third certificate
    "serves-another": ("deploy failed: verify failed", True),
    # an unwritable target is found before the first write: refused, nothing to roll back
    "dir-not-writable": ("refused, nothing changed: cannot write", False),
    "install-dir-blocked": ("refused, nothing changed: cannot write", False),
}


# Postfix is left out of "not-reloaded": its master starts new smtpd processes that read the new
# files without any reload, so "nothing reloads" does not mean "old certificate served" there.
FAULT_CASES = [(k, f) for f in FAULTS for k in SERVERS if (k, f) != ("postfix", "not-reloaded")]


@pytest.mark.parametrize("kind, fault", FAULT_CASES)
def test_fault_leaves_the_old_certificate_served(
    new_site: Callable[..., Site], server_pki: FixturePKI, tmp_path: Path, kind: str, fault: str
) -> None:
    s = new_site(kind)
    words, writes = FAULTS[fault]
    new = from_files(tmp_path / "new", server_pki.ordered)
    args = ["--cert", str(new), "--cafile", str(server_pki.ca.cert_path), "--format", "json", "--verify-timeout", "3"]
    immutable = False
    if fault == "config-test-fails":
        args += ["--config-test-cmd",
                 f"sh -c 'cmp -s {s.cert} {server_pki.sbs.cert_path} || {{ echo \"fatal: {s.cert} rejected\" >&2; exit 1; }}'"]
    elif fault == "reload-fails":
        args += ["--reload-cmd", "false"]
    elif fault == "not-reloaded":
        args += ["--reload-cmd", "true"]
    elif fault == "serves-another":
        another = server_pki.expired  # any third certificate
        once = tmp_path / "sabotaged"
        native = (f"doveadm -c {s.config} reload" if kind == "dovecot" else f"postfix -c {s.config} reload")
        args += ["--reload-cmd", f"sh -c 'if [ ! -e {once} ]; then touch {once}; cp {another.cert_path} {s.cert};"
                                 f" cp {another.key_path} {s.key}; fi; {native}'"]
    elif fault == "dir-not-writable":
        if subprocess.run(["chattr", "+i", str(s.live)], capture_output=True).returncode != 0:
            pytest.skip("chattr +i is not supported here")
        immutable = True
    else:
        blocker = tmp_path / "a-file"
        blocker.write_text("in the way\n")
        args += ["--install-dir", str(blocker / "tls")]
    before = checksums(s.live)
    try:
        r = s.deploy(*args)
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", str(s.live)], check=True)
    assert r.returncode == 1, r.stdout + r.stderr
    line = one_line(r.stderr)
    assert line.startswith(f"mailcert: error: {words}"), line
    doc = validate(json.loads(r.stdout), "deploy")
    if writes:
        assert "rolled back: the old certificate is served again" in line, line
        assert doc["status"] == "failed" and doc["rollback"]["ok"] is True
    else:
        assert doc["status"] == "refused" and doc["rollback"] is None

    assert s.serves_only(server_pki.sbs.der)
    assert s.cert.read_bytes() == server_pki.sbs.cert_path.read_bytes()
    assert s.key.read_bytes() == server_pki.sbs.key_path.read_bytes()
    if fault == "serves-another":
        assert "neither the old nor the new certificate" in line, line
    if writes:
        backups = s.backups()
        assert len(backups) == 2 and [b["backup"] for b in doc["backups"]] == [str(b) for b in backups]
        assert {b.read_bytes() for b in backups} == {server_pki.sbs.cert_path.read_bytes(), server_pki.sbs.key_path.read_bytes()}
    else:
        assert checksums(s.live) == before and doc["backups"] == []


def test_rollback_restores_the_config_file_with_install_dir(new_site: Callable[..., Site], server_pki: FixturePKI,
                                                             tmp_path: Path) -> None:
    s = new_site("postfix")
    assert isinstance(s.server, PostfixServer)
    main_before = s.server.main_cf.read_bytes()
    inst = s.live / "installed"
    r = s.deploy("--cert", str(from_files(tmp_path / "new", server_pki.ordered)), "--cafile", str(server_pki.ca.cert_path),
                 "--install-dir", str(inst), "--reload-cmd", "false", "--format", "json")
    assert r.returncode == 1
    doc = validate(json.loads(r.stdout), "deploy")
    assert doc["rollback"]["ok"] is True
    assert sorted(doc["rollback"]["removed"]) == [str(inst / "fullchain.pem"), str(inst / "key.pem")]
    assert s.server.main_cf.read_bytes() == main_before
    assert not inst.exists()
    (backup,) = doc["backups"]
    assert Path(backup["backup"]).read_bytes() == main_before  # the checkpoint is kept
    assert s.serves_only(server_pki.sbs.der)


@pytest.mark.parametrize("kind, content, words", [
    ("dovecot", None, "no such Dovecot configuration file"),
    ("dovecot", "protocols = imap\nservice imap-login {\n", "cannot read the Dovecot configuration"),
    ("postfix", None, "no main.cf there"),
])
def test_unreadable_server_configuration_is_one_line(tmp_path: Path, server_pki: FixturePKI, kind: str,
                                                     content: str | None, words: str) -> None:
    if shutil.which("doveconf") is None:
        pytest.skip("doveconf is not installed")
    config = tmp_path / ("dovecot.conf" if kind == "dovecot" else "postfix")
    if content is not None:
        config.write_text(content)
    r = mailcert("deploy", kind, "--server-config", str(config), "--cert", str(from_files(tmp_path / "new", server_pki.ordered)))
    assert r.returncode == 3, r.stdout + r.stderr
    assert words in one_line(r.stderr)
    assert r.stdout == ""
