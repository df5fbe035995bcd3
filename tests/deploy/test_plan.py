"""The pure half of deploy: the certificate bundle, the pre-flight checks, the plan.

Certificates come from :class:`mailcert.certs.build.TestCA` (in memory, pinned clock); file
snapshots are values, so the planner is tested without touching a disk it would write.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from pathlib import Path

import pytest

from mailcert.assess import select_profiles
from mailcert.certs.build import TestCA, cert_to_pem, key_to_pem
from mailcert.certs.chain import TrustStore
from mailcert.deploy.bundle import CertBundle, bundle_from_dir, bundle_from_env
from mailcert.deploy.checks import check_bundle
from mailcert.deploy.plan import (
    CertLocation,
    ConfigFile,
    Discovery,
    FileState,
    PlanOptions,
    make_plan,
    target_paths,
)
from mailcert.commands._common import in_flags
from mailcert.errors import InputError, Remark
from mailcert.judgement import Judgement

NOW = dt.datetime(2026, 11, 28, 12, tzinfo=dt.timezone.utc)
NAME = "remote.contoso.com"
PROFILES = tuple(select_profiles(None))


@pytest.fixture(scope="module")
def ca() -> TestCA:
    return TestCA(now=NOW)


def _bundle(ca: TestCA, *names: str, chain: bool = True) -> CertBundle:
    issued = ca.issue_cert(*names)
    certs = (issued.cert, *issued.chain) if chain else (issued.cert,)
    return CertBundle("test", certs, issued.key, cert_to_pem(*certs), key_to_pem(issued.key))


def _write_dir(d: Path, fullchain: bytes, key: bytes, key_name: str = "key.pem") -> Path:
    d.mkdir(parents=True, exist_ok=True)
    (d / "fullchain.pem").write_bytes(fullchain)
    (d / key_name).write_bytes(key)
    return d


# --- bundle ------------------------------------------------------------------------------------


def test_bundle_from_dir_keeps_the_issuers_bytes(tmp_path: Path, ca: TestCA) -> None:
    issued = ca.issue_cert(NAME)
    d = _write_dir(tmp_path / "c", issued.fullchain_pem, issued.key_pem)
    b = bundle_from_dir(d)
    assert b.fullchain_pem == issued.fullchain_pem and b.key_pem == issued.key_pem
    assert b.leaf == issued.cert


def test_bundle_from_env_certbot_and_acme_sh(tmp_path: Path, ca: TestCA) -> None:
    issued = ca.issue_cert(NAME)
    lineage = _write_dir(tmp_path / "live", issued.fullchain_pem, issued.key_pem, key_name="privkey.pem")
    assert bundle_from_env({"RENEWED_LINEAGE": str(lineage)}).leaf == issued.cert
    env = {"CERT_FULLCHAIN_PATH": str(lineage / "fullchain.pem"), "CERT_KEY_PATH": str(lineage / "privkey.pem")}
    assert bundle_from_env(env).leaf == issued.cert
    with pytest.raises(InputError, match="CERT_KEY_PATH is not set"):
        bundle_from_env({"CERT_FULLCHAIN_PATH": "/x"})
    with pytest.raises(InputError, match="RENEWED_LINEAGE"):
        bundle_from_env({})


def test_bundle_from_dir_cert_and_chain_without_fullchain(tmp_path: Path, ca: TestCA) -> None:
    inter = ca.create_child_ca()
    issued = inter.issue_cert(NAME)
    d = tmp_path / "c"
    d.mkdir()
    (d / "cert.pem").write_bytes(issued.cert_pem)
    (d / "chain.pem").write_bytes(issued.chain_pem)
    (d / "key.pem").write_bytes(issued.key_pem)
    assert bundle_from_dir(d).certs == (issued.cert, *issued.chain)


@pytest.mark.parametrize("case, message", [
    ("encrypted", "is encrypted"),
    ("key-in-cert", "holds a private key"),
    ("no-key", "holds no key.pem or privkey.pem"),
    ("not-a-dir", "no such directory"),
])
def test_bundle_refuses_bad_input(tmp_path: Path, ca: TestCA, case: str, message: str) -> None:
    from cryptography.hazmat.primitives import serialization

    issued = ca.issue_cert(NAME)
    d = tmp_path / "c"
    if case == "encrypted":
        enc = issued.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.BestAvailableEncryption(b"pw"))
        _write_dir(d, issued.fullchain_pem, enc)
    elif case == "key-in-cert":
        _write_dir(d, issued.key_pem + issued.fullchain_pem, issued.key_pem)
    elif case == "no-key":
        d.mkdir()
        (d / "fullchain.pem").write_bytes(issued.fullchain_pem)
    else:
        d = tmp_path / "missing"
    with pytest.raises(InputError, match=message):
        bundle_from_dir(d)


# --- checks ------------------------------------------------------------------------------------


def test_checks_accept_an_ordered_certificate(ca: TestCA) -> None:
    store = TrustStore([ca.cert], "test CA")
    c = check_bundle(_bundle(ca, NAME, "sbs.contoso.local"), NAME, Judgement(PROFILES, store, NOW))
    assert c.key_matches and c.trust.trusted
    assert c.refusals == () and c.objections == ()


def test_checks_key_mismatch_is_a_refusal_force_cannot_override(ca: TestCA) -> None:
    b = _bundle(ca, NAME)
    other = ca.issue_cert(NAME).key
    c = check_bundle(CertBundle("test", b.certs, other, b.fullchain_pem, key_to_pem(other)), NAME,
                     Judgement(PROFILES, TrustStore([ca.cert], "test CA"), NOW))
    assert not c.key_matches
    assert any("does not belong" in r for r in c.blocking(force=True))


def test_checks_incomplete_chain_is_a_refusal(ca: TestCA) -> None:
    inter = ca.create_child_ca()
    issued = inter.issue_cert(NAME)
    b = CertBundle("test", (issued.cert,), issued.key, issued.cert_pem, issued.key_pem)
    c = check_bundle(b, NAME, Judgement(PROFILES, TrustStore([ca.cert], "test CA"), NOW))
    assert any(str(r).startswith("chain incomplete") for r in c.blocking(force=True))


def test_checks_sbs_order_and_untrusted_root_are_objections(ca: TestCA) -> None:
    issued = ca.issue_cert("sbs.contoso.local", NAME, "sites", "companyweb")
    certs = (issued.cert, ca.cert)  # the root sent along: the chain is complete, just not trusted
    b = CertBundle("test", certs, issued.key, cert_to_pem(*certs), issued.key_pem)
    c = check_bundle(b, NAME, Judgement(PROFILES, TrustStore([], "empty store"), NOW))
    assert c.refusals == ()
    assert c.blocking(force=True) == ()
    assert any("outlook2007" in str(o) for o in c.objections)
    assert any("not trusted" in str(o) for o in c.objections)
    # the engine names the fields (store, force); the CLI says --cafile and --force
    assert not any("--" in str(o) for o in c.objections)
    said = [in_flags(o) for o in c.objections]
    assert any(s.endswith("(use --force to deploy anyway)") for s in said), said
    assert any("give the CA with --cafile FILE (or --force)" in s for s in said), said
    # whole verdicts: the untrusted root makes every client refuse; Outlook 2007 for the name first
    assert c.refused_by == {p.id for p in PROFILES}
    codes = {v.client: v.code for v in c.assessment.results}
    assert codes["outlook2007"] == "name" and codes["outlook"] == "untrusted"


def test_checks_expired_is_a_refusal(ca: TestCA) -> None:
    issued = ca.issue_cert(NAME, not_before=NOW - dt.timedelta(days=100), not_after=NOW - dt.timedelta(days=1))
    b = CertBundle("test", (issued.cert,), issued.key, issued.cert_pem, issued.key_pem)
    c = check_bundle(b, NAME, Judgement(PROFILES, TrustStore([ca.cert], "test CA"), NOW))
    assert any("expired" in str(r) for r in c.refusals)


# --- plan --------------------------------------------------------------------------------------


def _discovery(cert: Path | None, key: Path | None, *, config_text: str = "ssl_cert = </old/c.pem\nssl_key = </old/k.pem\n",
               config: Path = Path("/etc/dovecot/dovecot.conf")) -> Discovery:
    primary = CertLocation("", cert, key, (("ssl_cert", f"<{cert}"), ("ssl_key", f"<{key}"))) if cert or key else None
    return Discovery(
        server="dovecot", version="2.3", config=config, syntax="dovecot", primary=primary, others=(), listeners=(),
        install_template=(("ssl_cert", "<{cert}"), ("ssl_key", "<{key}")),
        setting_files=(("ssl_cert", config), ("ssl_key", config)),
        config_files=(ConfigFile(config, config_text, 0o644, 0, 0),),
    )


def _state(path: Path, data: bytes, mode: int, gid: int = 0) -> FileState:
    return FileState(path, "file", sha256=hashlib.sha256(data).hexdigest(), mode=mode, uid=0, gid=gid)


def test_plan_in_place_writes_the_configured_files_with_modes(ca: TestCA) -> None:
    b = _bundle(ca, NAME)
    c, k = Path("/etc/ssl/mail.pem"), Path("/etc/ssl/mail.key")
    states = {c: _state(c, b"old cert", 0o644), k: _state(k, b"old key", 0o644)}
    plan = make_plan(_discovery(c, k), b, states, PlanOptions())
    assert plan.problems == ()
    assert [(w.path, w.role, w.mode, w.owner) for w in plan.writes] == [
        (c, "certificate", 0o644, (0, 0)),
        (k, "key", 0o600, (0, 0)),  # a world-readable key is tightened
    ]
    assert plan.writes[0].data == b.fullchain_pem and plan.writes[1].data == b.key_pem
    assert plan.settings == () and plan.diff == ""


def test_plan_keeps_a_group_readable_key_and_honours_key_group(ca: TestCA) -> None:
    b = _bundle(ca, NAME)
    c, k = Path("/s/c.pem"), Path("/s/k.pem")
    states = {c: _state(c, b"x", 0o644), k: _state(k, b"y", 0o640, gid=110)}
    (key_change,) = [w for w in make_plan(_discovery(c, k), b, states, PlanOptions()).writes if w.role == "key"]
    assert (key_change.mode, key_change.owner) == (0o640, (0, 110))
    (key_change,) = [w for w in make_plan(_discovery(c, k), b, states, PlanOptions(key_gid=8)).writes if w.role == "key"]
    assert (key_change.mode, key_change.owner) == (0o640, (0, 8))


def test_plan_one_file_for_key_and_chain(ca: TestCA) -> None:
    b = _bundle(ca, NAME)
    both = Path("/s/both.pem")
    plan = make_plan(_discovery(both, both), b, {both: _state(both, b"x", 0o600)}, PlanOptions())
    (w,) = plan.writes
    assert (w.role, w.mode, w.data) == ("key+certificate", 0o600, b.key_pem + b.fullchain_pem)


def test_plan_identical_files_are_left_alone(ca: TestCA) -> None:
    b = _bundle(ca, NAME)
    c, k = Path("/s/c.pem"), Path("/s/k.pem")
    states = {c: _state(c, b.fullchain_pem, 0o644), k: _state(k, b.key_pem, 0o600)}
    plan = make_plan(_discovery(c, k), b, states, PlanOptions())
    assert plan.writes_nothing and plan.unchanged == (c, k)


def _asks_for_install_dir(problem: str) -> bool:
    """The engine names the field (a library user sets ``PlanOptions.install_dir``); the CLI
    says the flag."""
    return (
        isinstance(problem, Remark) and problem.mentions == ("install_dir",) and "give install_dir DIR" in problem
        and "give --install-dir DIR" in in_flags(problem) and "--" not in str(problem)
    )


def test_plan_refuses_to_write_through_a_symlink(ca: TestCA) -> None:
    b = _bundle(ca, NAME)
    c, k = Path("/etc/letsencrypt/live/x/fullchain.pem"), Path("/etc/letsencrypt/live/x/privkey.pem")
    states = {c: FileState(c, "symlink", link_target="../../archive/x/fullchain1.pem"), k: _state(k, b"k", 0o600)}
    plan = make_plan(_discovery(c, k), b, states, PlanOptions())
    asks = [p for p in plan.problems if "symbolic link" in str(p)]
    assert asks and all(_asks_for_install_dir(p) for p in asks), plan.problems


def test_plan_without_configured_certificate_asks_for_install_dir(ca: TestCA) -> None:
    plan = make_plan(_discovery(None, None), _bundle(ca, NAME), {}, PlanOptions())
    assert any(_asks_for_install_dir(p) for p in plan.problems), plan.problems
    assert target_paths(_discovery(None, None), PlanOptions()) == ()


def test_plan_install_dir_changes_settings_as_a_diff(ca: TestCA) -> None:
    b = _bundle(ca, NAME)
    inst = Path("/srv/tls")
    d = _discovery(Path("/old/c.pem"), Path("/old/k.pem"))
    states = {p: FileState(p, "missing", parent_is_dir=False) for p in target_paths(d, PlanOptions(install_dir=inst))}
    plan = make_plan(d, b, states, PlanOptions(install_dir=inst))
    assert plan.problems == ()
    assert [(w.path, w.role) for w in plan.writes] == [
        (inst / "fullchain.pem", "certificate"), (inst / "key.pem", "key"), (d.config, "config")]
    assert [(s.name, s.old, s.new) for s in plan.settings] == [
        ("ssl_cert", "</old/c.pem", "</srv/tls/fullchain.pem"), ("ssl_key", "</old/k.pem", "</srv/tls/key.pem")]
    assert "-ssl_cert = </old/c.pem\n-ssl_key = </old/k.pem\n+ssl_cert = </srv/tls/fullchain.pem\n" in plan.diff
    config_change = plan.writes[-1]
    assert config_change.data == b"ssl_cert = </srv/tls/fullchain.pem\nssl_key = </srv/tls/key.pem\n"
    assert (config_change.mode, config_change.owner) == (0o644, (0, 0))


def test_snapshot_reads_digest_mode_and_leaf(tmp_path: Path, ca: TestCA) -> None:
    from mailcert.deploy.apply import snapshot

    b = _bundle(ca, NAME)
    f = tmp_path / "c.pem"
    f.write_bytes(b.fullchain_pem)
    os.chmod(f, 0o640)
    s = snapshot(f)
    assert (s.kind, s.mode, s.leaf_sha256) == ("file", 0o640, b.leaf_sha256)
    (tmp_path / "link").symlink_to(f)
    assert snapshot(tmp_path / "link").kind == "symlink"
    assert snapshot(tmp_path / "none" / "x").parent_is_dir is False
    assert snapshot(f / "sub" / "x").dir_problem == f"{f} is not a directory"


def test_plan_refuses_an_unwritable_directory_before_writing(ca: TestCA) -> None:
    c, k = Path("/ro/c.pem"), Path("/ro/k.pem")
    states = {p: FileState(p, "file", dir_problem="/ro is not writable", sha256="0", mode=0o644, uid=0, gid=0) for p in (c, k)}
    plan = make_plan(_discovery(c, k), _bundle(ca, NAME), states, PlanOptions())
    assert plan.problems == ("cannot write /ro/c.pem: /ro is not writable", "cannot write /ro/k.pem: /ro is not writable")


def test_snapshot_follows_trusted_links_only(tmp_path: Path, ca: TestCA) -> None:
    """certbot's live/ links are followed (digests of what they lead to); a link in a directory
    every user may write (no sticky bit) is not."""
    from mailcert.deploy.apply import snapshot

    b = _bundle(ca, NAME)
    archive, live = tmp_path / "archive" / "x", tmp_path / "live" / "x"
    archive.mkdir(parents=True)
    live.mkdir(parents=True)
    (archive / "fullchain1.pem").write_bytes(b.fullchain_pem)
    (live / "fullchain.pem").symlink_to("../../archive/x/fullchain1.pem")
    s = snapshot(live / "fullchain.pem")
    assert (s.kind, s.leaf_sha256, s.link_problem) == ("symlink", b.leaf_sha256, None)
    live.chmod(0o777)
    try:
        s = snapshot(live / "fullchain.pem")
        assert s.sha256 is None and s.link_problem == f"{live} is writable by every user"
    finally:
        live.chmod(0o755)


def test_plan_leaves_a_link_that_already_leads_to_the_new_certificate(ca: TestCA) -> None:
    b = _bundle(ca, NAME)
    c, k = Path("/etc/letsencrypt/live/x/fullchain.pem"), Path("/etc/letsencrypt/live/x/privkey.pem")
    states = {
        c: FileState(c, "symlink", link_target="../../archive/x/fullchain2.pem", leaf_sha256=b.leaf_sha256),
        k: FileState(k, "symlink", link_target="../../archive/x/privkey2.pem", sha256=hashlib.sha256(b.key_pem).hexdigest()),
    }
    plan = make_plan(_discovery(c, k), b, states, PlanOptions())
    assert plan.problems == () and plan.writes_nothing and plan.unchanged == (c, k)
