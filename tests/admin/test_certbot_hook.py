"""``mailcert deploy dovecot|postfix --from-env`` as certbot's deploy hook, in certbot's own
layout: ``live/NAME/{cert,chain,fullchain,privkey}.pem`` are relative symbolic links into
``archive/NAME/`` whose files carry a version number (``fullchain1.pem``, ``fullchain2.pem``...),
and the server's configuration names the live/ paths (as certbot's documentation and every
howto say).  A renewal writes version N+1 into archive/, moves the live/ links, then runs the
hook with ``RENEWED_LINEAGE=.../live/NAME``: the files the server reads are already the new
ones, so deploy must not refuse the links, must reload, and must prove the new certificate is
served.  Real Dovecot and Postfix on loopback."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.servers.certs import CertFiles, FixturePKI
from tests.servers.dovecot import DovecotServer
from tests.servers.postfix import PostfixServer

pytestmark = pytest.mark.integration
NAME = "remote.contoso.com"
KINDS = ("cert", "chain", "fullchain", "privkey")


class Lineage:
    """A certbot lineage under ``root`` (the /etc/letsencrypt of this test)."""

    def __init__(self, root: Path, name: str = NAME) -> None:
        self.root, self.name = root, name
        self.archive = root / "archive" / name
        self.live = root / "live" / name
        self.archive.mkdir(parents=True, mode=0o700)
        self.live.mkdir(parents=True)
        (self.live / "README").write_text("This directory contains your keys and certificates.\n")
        self.version = 0

    def renew(self, files: CertFiles, ca_pem: bytes) -> None:
        """What certbot's storage does on a renewal: archive/X{N+1}.pem, then the live/ links moved."""
        self.version += 1
        leaf, key = files.cert_path.read_bytes(), files.key_path.read_bytes()
        content = {"cert": leaf, "chain": ca_pem, "fullchain": leaf + ca_pem, "privkey": key}
        for kind in KINDS:
            target = self.archive / f"{kind}{self.version}.pem"
            target.write_bytes(content[kind])
            target.chmod(0o600 if kind == "privkey" else 0o644)
            link = self.live / f"{kind}.pem"
            tmp = self.live / f"{kind}.pem.new"
            tmp.symlink_to(os.path.join("..", "..", "archive", self.name, target.name))
            os.replace(tmp, link)

    def path(self, kind: str) -> Path:
        return self.live / f"{kind}.pem"


def hook(server: str, config: Path, lineage: Lineage, ca: Path, env_extra: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The hook as certbot runs it: a shell command line, RENEWED_LINEAGE and RENEWED_DOMAINS set."""
    env = {k: v for k, v in os.environ.items() if k not in ("CERT_FULLCHAIN_PATH", "CERT_KEY_PATH")}
    env.update(RENEWED_LINEAGE=str(lineage.live), RENEWED_DOMAINS=NAME, MAILCERT_CONFIG="/nonexistent/mailcert.toml", NO_COLOR="1")
    env.update(env_extra or {})
    command = f"{sys.executable} -m mailcert deploy {server} --from-env --server-config {config} --cafile {ca}"
    return subprocess.run(["/bin/sh", "-c", command], capture_output=True, text=True, timeout=180, env=env, stdin=subprocess.DEVNULL)


def served(server: DovecotServer | PostfixServer, sni: str | None) -> set[bytes]:
    return {ep.leaf_der(server_hostname=sni) for ep in server.endpoints()}


@pytest.fixture
def lineage(servers_root: Path, server_pki: FixturePKI) -> Lineage:
    made = Lineage(Path(tempfile.mkdtemp(prefix="letsencrypt-", dir=servers_root)))
    made.renew(server_pki.sbs, server_pki.ca.cert_path.read_bytes())  # the first issuance
    return made


def dovecot_on_live(make_dovecot: Callable[..., DovecotServer], lineage: Lineage) -> tuple[DovecotServer, Path]:
    server = make_dovecot(lineage.path("fullchain"), lineage.path("privkey"), start=False)
    text = server.config_path.read_text()
    for kind in ("fullchain", "privkey"):  # the fixture resolved the links; name live/ as admins do
        text = text.replace(str(lineage.path(kind).resolve()), str(lineage.path(kind)))
    server.config_path.write_text(text)
    server.start()
    return server, server.config_path


def postfix_on_live(make_postfix: Callable[..., PostfixServer], lineage: Lineage) -> tuple[PostfixServer, Path]:
    server = make_postfix(lineage.path("fullchain"), lineage.path("privkey"), start=False)
    server.postconf("-X", "smtpd_tls_chain_files")
    server.postconf("-e", f"smtpd_tls_cert_file = {lineage.path('fullchain')}", f"smtpd_tls_key_file = {lineage.path('privkey')}")
    server.start()
    return server, server.config_dir


@pytest.mark.parametrize("kind", ["dovecot", "postfix"])
def test_renewal_hook_reloads_and_the_new_certificate_is_served(
    kind: str, request: pytest.FixtureRequest, lineage: Lineage, server_pki: FixturePKI
) -> None:
    if kind == "dovecot":
        server, config = dovecot_on_live(request.getfixturevalue("make_dovecot"), lineage)
    else:
        server, config = postfix_on_live(request.getfixturevalue("make_postfix"), lineage)
    assert served(server, NAME) == {server_pki.sbs.der}
    config_text = config.read_text() if config.is_file() else (config / "main.cf").read_text()
    assert str(lineage.path("fullchain")) in config_text and "archive" not in config_text

    lineage.renew(server_pki.ordered, server_pki.ca.cert_path.read_bytes())  # certbot renews
    assert served(server, NAME) == {server_pki.sbs.der}  # the server still holds the old one
    archive_before = {p.name: p.read_bytes() for p in lineage.archive.iterdir()}

    done = hook(kind, config, lineage, server_pki.ca.cert_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "result: deployed" in done.stdout
    assert served(server, NAME) == {server_pki.ordered.der} and served(server, None) == {server_pki.ordered.der}
    # certbot's bookkeeping untouched: links still links to version 2, archive as certbot left it
    for kind_ in KINDS:
        assert os.readlink(lineage.path(kind_)) == os.path.join("..", "..", "archive", NAME, f"{kind_}2.pem")
    assert {p.name: p.read_bytes() for p in lineage.archive.iterdir()} == archive_before
    assert not [p for p in lineage.live.iterdir() if ".mailcert-bak-" in p.name]

    again = hook(kind, config, lineage, server_pki.ca.cert_path)  # certbot runs hooks once more
    assert again.returncode == 0 and "already" in again.stdout, again.stdout + again.stderr


def test_links_that_lead_elsewhere_are_refused_not_written(
    make_dovecot: Callable[..., DovecotServer], lineage: Lineage, server_pki: FixturePKI, tmp_path: Path
) -> None:
    """A deploy of another certificate onto certbot's links: refused with the reason, nothing
    written.  (Spelled with the old ``--config``, which keeps working with a note.)"""
    server, config = dovecot_on_live(make_dovecot, lineage)
    other = tmp_path / "other"
    other.mkdir()
    shutil.copy(server_pki.ordered.cert_path, other / "fullchain.pem")
    shutil.copy(server_pki.ordered.key_path, other / "key.pem")
    archive_before = {p.name: p.read_bytes() for p in lineage.archive.iterdir()}
    done = subprocess.run(
        [sys.executable, "-m", "mailcert", "deploy", "dovecot", "--config", str(config), "--cert", str(other),
         "--cafile", str(server_pki.ca.cert_path)],
        capture_output=True, text=True, timeout=180, stdin=subprocess.DEVNULL,
        env={**os.environ, "MAILCERT_CONFIG": "/nonexistent/mailcert.toml"},
    )
    assert done.returncode == 1
    assert "symbolic link" in done.stderr and "leads to another certificate" in done.stderr
    assert "note: deploy --config is the old spelling of --server-config" in done.stderr
    assert {p.name: p.read_bytes() for p in lineage.archive.iterdir()} == archive_before
    assert served(server, NAME) == {server_pki.sbs.der}


def test_links_owned_by_another_user_are_not_followed(
    make_dovecot: Callable[..., DovecotServer], lineage: Lineage, server_pki: FixturePKI
) -> None:
    """The links are followed only when root or the user running mailcert made them."""
    if os.geteuid() != 0:
        pytest.skip("needs root to make a link owned by another user")
    server, config = dovecot_on_live(make_dovecot, lineage)
    lineage.renew(server_pki.ordered, server_pki.ca.cert_path.read_bytes())
    os.lchown(lineage.path("fullchain"), 65534, 65534)
    done = hook("dovecot", config, lineage, server_pki.ca.cert_path)
    assert done.returncode == 1
    assert "not followed" in done.stderr and "uid 65534" in done.stderr
    assert served(server, NAME) == {server_pki.sbs.der}


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({"RENEWED_LINEAGE": ""}, "RENEWED_LINEAGE is not set"),
        ({"RENEWED_LINEAGE": "/nonexistent/live/x"}, "RENEWED_LINEAGE=/nonexistent/live/x"),
    ],
)
def test_missing_lineage_names_the_variable_not_a_flag(env: dict[str, str], says: str) -> None:
    full = {k: v for k, v in os.environ.items() if k not in ("RENEWED_LINEAGE", "CERT_FULLCHAIN_PATH", "CERT_KEY_PATH")}
    full.update(env)
    done = subprocess.run([sys.executable, "-m", "mailcert", "deploy", "dovecot", "--from-env"],
                          capture_output=True, text=True, timeout=60, env=full, stdin=subprocess.DEVNULL)
    assert done.returncode == 3
    assert says in done.stderr and "--cert /" not in done.stderr and done.stderr.count("\n") == 1
