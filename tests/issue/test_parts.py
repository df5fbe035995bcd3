"""The parts of mailcert.issue that need no CA: state, polling arithmetic, solvers, renewal choice."""

from __future__ import annotations

import http.client
import json
import os
import stat
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from mailcert.certs import build
from mailcert.commands._common import in_flags
from mailcert.errors import InputError, OperationError
from mailcert.issue.challenges import DnsHook, StandaloneHttp, Webroot, ChallengeTask, run_hook
from mailcert.issue.client import poll_waits, retry_after_seconds
from mailcert.issue.renew import check_due, deploy_env, request_for
from mailcert.issue.state import (
    AccountStore,
    ChallengeSpec,
    Lineage,
    LineageStore,
    StoredAccount,
    exclusive,
    state_dir,
)
from tests.servers.ports import pick_free_ports, release_ports

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("explicit", "env", "euid", "expected"),
    [
        ("/tmp/s", {"MAILCERT_STATE_DIR": "/x"}, 0, "/tmp/s"),
        (None, {"MAILCERT_STATE_DIR": "/x"}, 0, "/x"),
        (None, {}, 0, "/var/lib/mailcert"),
        (None, {"XDG_STATE_HOME": "/home/a/.st", "HOME": "/home/a"}, 1000, "/home/a/.st/mailcert"),
        (None, {"XDG_STATE_HOME": "relative", "HOME": "/home/a"}, 1000, "/home/a/.local/state/mailcert"),
        (None, {"HOME": "/home/b"}, 1000, "/home/b/.local/state/mailcert"),
    ],
)
def test_state_dir(explicit: str | None, env: dict[str, str], euid: int, expected: str) -> None:
    assert state_dir(explicit, env=env, euid=euid) == Path(expected)


def test_account_store_round_trip_key_0600(tmp_path: Path) -> None:
    os.umask(0o000)
    try:
        store = AccountStore(tmp_path / "state")
        url = "https://127.0.0.1:14000/dir"
        assert store.load(url) is None
        key_pem = build.key_to_pem(build.new_key("ecdsa-p256"))
        folder = store.save(StoredAccount(url, "https://ca/acct/1", key_pem, ("mailto:a@b.c",)))
    finally:
        os.umask(0o022)
    assert stat.S_IMODE(os.stat(folder / "key.pem").st_mode) == 0o600
    assert stat.S_IMODE(os.stat(tmp_path / "state").st_mode) == 0o700
    assert stat.S_IMODE(os.stat(tmp_path / "state" / "acme").st_mode) == 0o700
    got = store.load(url)
    assert got == StoredAccount(url, "https://ca/acct/1", key_pem, ("mailto:a@b.c",))
    assert store.load("https://127.0.0.1:14001/dir") is None  # another CA, another account


def test_account_store_broken_metadata_is_one_line(tmp_path: Path) -> None:
    store = AccountStore(tmp_path)
    url = "https://ca.example/dir"
    folder = store.folder(url)
    folder.mkdir(parents=True)
    (folder / "account.json").write_text("{not json")
    (folder / "key.pem").write_text("x")
    with pytest.raises(InputError, match="move the folder away"):
        store.load(url)


def test_lineages_replace_by_out(tmp_path: Path) -> None:
    store = LineageStore(tmp_path)
    a = Lineage(out="/srv/a", names=("remote.contoso.com",), directory="https://ca/dir",
                challenge=ChallengeSpec(method="dns", dns_hook="/bin/hook"), clients=("outlook2007",))
    store.record(a)
    store.record(Lineage(out="/srv/b", names=("b.example",), directory="https://ca/dir"))
    store.record(Lineage(out="/srv/a", names=("remote.contoso.com", "sites"), directory="https://ca/dir"))
    got = store.load()
    assert [lin.out for lin in got] == ["/srv/b", "/srv/a"]
    assert got[1].names == ("remote.contoso.com", "sites")
    assert Lineage.from_json(json.loads(json.dumps(a.to_json()))) == a


def test_exclusive_lock(tmp_path: Path) -> None:
    with exclusive(tmp_path):
        with pytest.raises(OperationError, match="another mailcert acme run"):
            with exclusive(tmp_path):
                pass
    with exclusive(tmp_path):  # released
        pass


def test_poll_waits_short_first_then_capped() -> None:
    waits = poll_waits()
    first = [next(waits) for _ in range(15)]
    assert first[0] == 0.05 and first == sorted(first) and max(first) == 3.0


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, None), ("", None), ("3", 3.0), (" 10 ", 10.0), ("soon", None),
     ("Sat, 28 Nov 2026 12:00:05 GMT", 5.0), ("Sat, 28 Nov 2026 11:00:00 GMT", 0.0)],
)
def test_retry_after(value: str | None, expected: float | None) -> None:
    assert retry_after_seconds(value, NOW) == expected


def _cert_in(out: Path, days: int) -> None:
    ca = build.TestCA(now=NOW - timedelta(days=1))
    issued = ca.issue_cert("remote.contoso.com", not_after=NOW + timedelta(days=days))
    out.mkdir(parents=True, exist_ok=True)
    (out / "cert.pem").write_bytes(issued.cert_pem)


def test_check_due(tmp_path: Path) -> None:
    _cert_in(tmp_path / "soon", 10)
    _cert_in(tmp_path / "later", 80)
    lins = [Lineage(out=str(tmp_path / d), names=(f"{d}.example",), directory="https://ca/dir") for d in ("soon", "later", "gone")]
    got = {Path(c.lineage.out).name: c for c in check_due(lins, now=NOW, days=30)}
    assert got["soon"].due and "within 30" in got["soon"].why
    assert not got["later"].due
    assert got["gone"].due and "no readable certificate" in got["gone"].why
    assert all(c.due for c in check_due(lins, now=NOW, days=9999))


def test_request_for_and_deploy_env() -> None:
    lin = Lineage(out="/srv/mail", names=("remote.contoso.com", "sites"), directory="https://ca/dir", key_type="ecdsa-p256",
                  ca_sorts_names="yes")
    req = request_for(lin)
    assert req.names == lin.names and req.out == Path("/srv/mail") and req.key_type.value == "ecdsa-p256"
    assert req.agree_tos is False  # renewal never agrees to terms on the user's behalf
    env = deploy_env(lin, {"PATH": "/bin"})
    assert env == {"PATH": "/bin", "RENEWED_LINEAGE": "/srv/mail", "RENEWED_DOMAINS": "remote.contoso.com sites"}


def test_run_hook_failure_is_one_line() -> None:
    with pytest.raises(OperationError) as info:
        run_hook("echo noise; echo 'zone not found' >&2; exit 4", {"PATH": "/usr/bin:/bin"}, timeout=5, what="dns_hook (add)",
                 field="dns_hook")
    assert str(info.value) == "dns_hook (add) failed with exit status 4: zone not found"
    assert in_flags(info.value) == "--dns-hook (add) failed with exit status 4: zone not found"
    with pytest.raises(OperationError, match="did not finish within 0.2 s"):
        run_hook("sleep 5", {"PATH": "/usr/bin:/bin"}, timeout=0.2, what="hook")


TASK = ChallengeTask("remote.contoso.com", "dns-01", "dG9rZW4", "VALUE", "_acme-challenge.remote.contoso.com")


def test_dns_hook_adds_then_removes_even_on_error(tmp_path: Path) -> None:
    log = tmp_path / "log"
    cmd = f'echo "$MAILCERT_DNS_ACTION $MAILCERT_DNS_NAME $MAILCERT_DNS_VALUE $CERTBOT_DOMAIN" >> {log}'
    hook = DnsHook(cmd, env={"PATH": "/usr/bin:/bin"}, timeout=5)
    with pytest.raises(KeyboardInterrupt):
        with hook.publish([TASK]):
            raise KeyboardInterrupt
    assert log.read_text().splitlines() == [
        "add _acme-challenge.remote.contoso.com VALUE remote.contoso.com",
        "remove _acme-challenge.remote.contoso.com VALUE remote.contoso.com",
    ]


def test_dns_hook_failing_add_still_removes(tmp_path: Path) -> None:
    log = tmp_path / "log"
    cmd = f'echo "$MAILCERT_DNS_ACTION" >> {log}; [ "$MAILCERT_DNS_ACTION" = remove ] || {{ echo denied >&2; exit 1; }}'
    with pytest.raises(OperationError, match="add TXT _acme-challenge.remote.contoso.com.*exit status 1: denied"):
        with DnsHook(cmd, env={"PATH": "/usr/bin:/bin"}, timeout=5).publish([TASK]):
            pass
    assert log.read_text().split() == ["add", "remove"]


def test_webroot_publishes_and_cleans_up(tmp_path: Path) -> None:
    root = tmp_path / "www"
    root.mkdir()
    task = ChallengeTask("remote.contoso.com", "http-01", "tok-123_x", "tok-123_x.thumb")
    with Webroot(root).publish([task]):
        f = root / ".well-known" / "acme-challenge" / "tok-123_x"
        assert f.read_text() == "tok-123_x.thumb"
        assert stat.S_IMODE(f.stat().st_mode) == 0o644
    assert list(root.iterdir()) == []  # the directories it made are gone too


def test_webroot_keeps_existing_directories(tmp_path: Path) -> None:
    keep = tmp_path / ".well-known" / "acme-challenge"
    keep.mkdir(parents=True)
    (keep / "other").write_text("x")
    with Webroot(tmp_path).publish([ChallengeTask("a", "http-01", "t", "t.v")]):
        pass
    assert sorted(p.name for p in keep.iterdir()) == ["other"]


def test_standalone_serves_token_and_frees_port() -> None:
    (port,) = pick_free_ports(1)
    try:
        task = ChallengeTask("remote.contoso.com", "http-01", "dG9rZW4tMQ", "dG9rZW4tMQ.thumb")
        with StandaloneHttp(port, "127.0.0.1").publish([task]):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/.well-known/acme-challenge/dG9rZW4tMQ")
            resp = conn.getresponse()
            assert (resp.status, resp.read()) == (200, b"dG9rZW4tMQ.thumb")
            conn.close()
        with StandaloneHttp(port, "127.0.0.1").publish([task]):  # the port is free again
            pass
    finally:
        release_ports([port])


def test_standalone_port_taken_is_one_line() -> None:
    (port,) = pick_free_ports(1)
    try:
        with StandaloneHttp(port, "127.0.0.1").publish([]):
            with pytest.raises(OperationError, match=rf"cannot listen on 127.0.0.1:{port} for http-01: .*use webroot DIR") as info:
                with StandaloneHttp(port, "127.0.0.1").publish([]):
                    pass
            assert in_flags(info.value).endswith("use --webroot DIR)")
    finally:
        release_ports([port])
