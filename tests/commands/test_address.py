"""``mailcert address set|show|check``: the configuration, and DNS answers from a real server.

``address check`` is tested against dnsmasq on loopback serving a test zone under ``.test``
(tests/dns/testzone.py); nothing here asks a DNS server on the internet.
"""

from __future__ import annotations

import importlib.util
import json
import socket
import sys
import time
import tomllib
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from mailcert.address import external_fqdn, parse_nameserver
from mailcert.certs.build import TestCA
from mailcert.cli import main
from mailcert.config import AddressConfig, config_path, load_address, save_address
from tests.schemas import validate


def load_testzone() -> Any:
    """tests/dns/testzone.py by path: that directory must not be a package named ``dns``."""
    name = "mailcert_tests_testzone"
    if name not in sys.modules:
        path = Path(__file__).resolve().parents[1] / "dns" / "testzone.py"
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


@pytest.fixture(scope="module")
def dns_server() -> Iterator[Any]:
    with load_testzone().dnsmasq_server() as server:
        yield server


@pytest.fixture(autouse=True)
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "etc" / "config.toml"
    monkeypatch.setenv("MAILCERT_CONFIG", str(path))
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    rc = main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


def one_line_error(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("mailcert: error: "), err
    return lines[0]


# --- configuration -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("explicit", "env", "euid", "expected"),
    [
        ("/x/c.toml", {"MAILCERT_CONFIG": "/y/c.toml"}, 0, "/x/c.toml"),
        (None, {"MAILCERT_CONFIG": "/y/c.toml"}, 0, "/y/c.toml"),
        (None, {"XDG_CONFIG_HOME": "/home/a/.cfg", "HOME": "/home/a"}, 0, "/etc/mailcert/config.toml"),
        (None, {"XDG_CONFIG_HOME": "/home/a/.cfg", "HOME": "/home/a"}, 1000, "/home/a/.cfg/mailcert/config.toml"),
        (None, {"HOME": "/home/a"}, 1000, "/home/a/.config/mailcert/config.toml"),
        (None, {"XDG_CONFIG_HOME": "relative", "HOME": "/home/a"}, 1000, "/home/a/.config/mailcert/config.toml"),
    ],
)
def test_config_path_rules(explicit: str | None, env: dict[str, str], euid: int, expected: str) -> None:
    assert config_path(explicit, env=env, euid=euid) == Path(expected)


@pytest.mark.parametrize(
    ("domain", "prefix", "expected"),
    [
        ("contoso.com", "remote", ("contoso.com", "remote", "remote.contoso.com")),
        ("Contoso.COM.", "remote", ("contoso.com", "remote", "remote.contoso.com")),
        ("contoso.com", "", ("contoso.com", "", "contoso.com")),
        ("contoso.com", "Mail.EU.", ("contoso.com", "mail.eu", "mail.eu.contoso.com")),
        ("bücher.example", "mail", ("xn--bcher-kva.example", "mail", "mail.xn--bcher-kva.example")),
    ],
)
def test_external_fqdn(domain: str, prefix: str, expected: tuple[str, str, str]) -> None:
    assert external_fqdn(domain, prefix) == expected


def test_set_show_roundtrip_keeps_other_sections(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config.parent.mkdir(parents=True)
    config.write_text('[deploy]\nservices = ["dovecot", "postfix"]\nreload = true\n\n[deploy.paths]\ncert = "/etc/ssl/x \\"y\\".pem"\n')
    rc, out, err = run(capsys, "address", "set", "contoso.com")
    assert rc == 0, err
    assert "remote.contoso.com" in out and "previous file kept as" in out
    data = tomllib.loads(config.read_text())
    assert data["address"] == {"domain": "contoso.com", "prefix": "remote", "fqdn": "remote.contoso.com"}
    assert data["deploy"] == {"services": ["dovecot", "postfix"], "reload": True, "paths": {"cert": '/etc/ssl/x "y".pem'}}
    assert len(list(config.parent.glob("config.toml.mailcert-bak-*"))) == 1
    rc, out, _ = run(capsys, "address", "show", "--format", "json")
    assert rc == 0
    assert json.loads(out) == {"fqdn": "remote.contoso.com", "domain": "contoso.com", "prefix": "remote", "config": str(config)}
    rc, out, _ = run(capsys, "address", "set", "contoso.com", "--prefix", "")
    assert rc == 0
    rc, out, _ = run(capsys, "address", "show")
    assert "External FQDN: contoso.com (the bare domain contoso.com)" in out


def test_config_option_overrides_everything(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    mine = tmp_path / "mine.toml"
    assert run(capsys, "address", "set", "fabrikam.com", "--prefix", "mail", "--config", str(mine))[0] == 0
    assert load_address(mine) == AddressConfig("fabrikam.com", "mail")
    rc, out, _ = run(capsys, "address", "show", "--config", str(mine))
    assert rc == 0 and "mail.fabrikam.com" in out


@pytest.mark.parametrize(
    ("argv", "why"),
    [
        (["address", "show"], "no external name configured"),
        (["address", "set", "bad_domain.com"], "not a valid host name"),
        (["address", "set", "contoso.com", "--prefix", "re mote"], "does not make a valid host name"),
        (["address", "check"], "no external name configured"),
        (["address", "check", "contoso.test", "--nameserver", "dns.example"], "give the DNS server's IP address"),
    ],
)
def test_address_bad_input(capsys: pytest.CaptureFixture[str], argv: list[str], why: str) -> None:
    rc, _, err = run(capsys, *argv)
    assert rc == 3 and why in one_line_error(err)


def test_broken_config_is_one_line(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config.parent.mkdir(parents=True)
    config.write_text("[address\n")
    rc, _, err = run(capsys, "address", "show")
    assert rc == 3 and "is not valid TOML" in one_line_error(err)


ADMIN_FILE = """\
# mailcert on mail1 - managed by hand, see ticket 4711
[address]
# the name on the users' phones; do NOT change without telling the helpdesk
domain = "contoso.com"   # the mail domain
prefix = "remote"
fqdn = "remote.contoso.com"

[deploy]  # written by a later version
server = "dovecot"
reload = ["systemctl", "reload", "dovecot"]
"""


def test_address_set_keeps_the_administrators_comments(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """address set changes the values it owns and nothing else of the administrator's file."""
    config.parent.mkdir(parents=True)
    config.write_text(ADMIN_FILE)
    rc, _, _ = run(capsys, "address", "set", "fabrikam.com", "--prefix", "mail")
    assert rc == 0
    expected = (
        ADMIN_FILE.replace('domain = "contoso.com"', 'domain = "fabrikam.com"')
        .replace('prefix = "remote"', 'prefix = "mail"')
        .replace('fqdn = "remote.contoso.com"', 'fqdn = "mail.fabrikam.com"')
    )
    assert config.read_text() == expected
    assert load_address(config) == AddressConfig("fabrikam.com", "mail")
    assert tomllib.loads(config.read_text())["deploy"]["reload"] == ["systemctl", "reload", "dovecot"]


def test_address_set_adds_the_section_to_a_file_without_it(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config.parent.mkdir(parents=True)
    config.write_text("# just a comment\nother = 1  # keep me\n")
    assert run(capsys, "address", "set", "contoso.com")[0] == 0
    text = config.read_text()
    assert text.startswith("# just a comment\nother = 1  # keep me\n")
    assert load_address(config) == AddressConfig("contoso.com") and tomllib.loads(text)["other"] == 1


def test_save_address_backup_name_uses_the_clock_given(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    assert save_address(path, AddressConfig("contoso.com")) is None
    backup = save_address(path, AddressConfig("fabrikam.com"), now=datetime(2026, 2, 3, 4, 5, 6, tzinfo=timezone.utc))
    assert backup is not None and backup.name == "c.toml.mailcert-bak-20260203T040506"
    assert load_address(backup) == AddressConfig("contoso.com")


@pytest.mark.parametrize(
    ("text", "expected"),
    [("127.0.0.1", ("127.0.0.1", 53)), ("127.0.0.1:5353", ("127.0.0.1", 5353)), ("::1", ("::1", 53)), ("[::1]:5353", ("::1", 5353))],
)
def test_parse_nameserver(text: str, expected: tuple[str, int]) -> None:
    assert parse_nameserver(text) == expected


# --- address check against a real DNS server -------------------------------------------------------


def check(capsys: pytest.CaptureFixture[str], server: Any, *argv: str) -> tuple[int, dict[str, Any]]:
    rc, out, err = run(capsys, "address", "check", *argv, "--nameserver", server.nameserver, "--timeout", "3", "--format", "json")
    assert err == "", err
    return rc, validate(json.loads(out), "address")


def write_cert(tmp_path: Path, *names: str) -> str:
    leaf = TestCA(now=datetime.now(timezone.utc)).issue_cert(*names)
    path = tmp_path / "cert.pem"
    path.write_bytes(leaf.cert_pem)
    return str(path)


def test_check_clean_zone(capsys: pytest.CaptureFixture[str], dns_server: Any) -> None:
    assert run(capsys, "address", "set", "contoso.test")[0] == 0
    rc, doc = check(capsys, dns_server)
    assert rc == 0 and doc["status"] == "OK"
    assert doc["fqdn"] == "remote.contoso.test"
    assert doc["addresses"] == ["192.0.2.10", "2001:db8::10"]
    assert [(m["preference"], m["host"], m["addresses"]) for m in doc["mx"]] == [
        (10, "mail.contoso.test", ["192.0.2.25"]),
        (20, "remote.contoso.test", ["192.0.2.10", "2001:db8::10"]),
    ]
    assert [(s["service"], s["target"], s["port"]) for s in doc["srv"]] == [
        ("_imaps._tcp", "remote.contoso.test", 993),
        ("_submission._tcp", "mail.contoso.test", 587),
    ]
    # submission goes to another host: worth knowing, not a problem by itself
    assert [(f["code"], f["severity"]) for f in doc["findings"]] == [("srv-other-host", "info")]
    # the one finding shape: catalogue words filled from structured facts; the explanation is
    # its own text, not the title again
    (other,) = doc["findings"]
    assert other["facts"] == {"service": "_submission._tcp", "domain": "contoso.test", "target": "mail.contoso.test",
                              "fqdn": "remote.contoso.test"}
    assert other["title"] == "_submission._tcp.contoso.test sends self-configuring clients to mail.contoso.test, not remote.contoso.test"
    assert other["explanation"] != other["title"] and "RFC 6186" in other["explanation"]


def test_check_text_output(capsys: pytest.CaptureFixture[str], dns_server: Any) -> None:
    rc, out, _ = run(capsys, "address", "check", "contoso.test", "--nameserver", dns_server.nameserver, "--no-srv")
    assert rc == 0
    assert "A/AAAA  remote.contoso.test -> 192.0.2.10, 2001:db8::10" in out
    assert "MX 10   mail.contoso.test -> 192.0.2.25" in out
    assert "SRV" not in out and out.rstrip().endswith("Status: OK")


def test_check_certificate_that_misses_the_mx_host(tmp_path: Path, capsys: pytest.CaptureFixture[str], dns_server: Any) -> None:
    cert = write_cert(tmp_path, "remote.contoso.test")
    rc, doc = check(capsys, dns_server, "contoso.test", "--cert", cert)
    assert rc == 1 and doc["status"] == "WARNING"
    assert [(m["host"], m["covered"]) for m in doc["mx"]] == [("mail.contoso.test", False), ("remote.contoso.test", True)]
    codes = [f["code"] for f in doc["findings"]]
    assert "mx-not-covered" in codes and "srv-not-covered" in codes
    remedy = next(f["remedy"] for f in doc["findings"] if f["code"] == "mx-not-covered")
    assert "--alt mail.contoso.test" in remedy


def test_check_certificate_covering_everything(tmp_path: Path, capsys: pytest.CaptureFixture[str], dns_server: Any) -> None:
    cert = write_cert(tmp_path, "remote.contoso.test", "mail.contoso.test")
    rc, doc = check(capsys, dns_server, "contoso.test", "--cert", cert)
    assert rc == 0, doc["findings"]


def test_check_seed_certificate_warns_for_outlook2007(tmp_path: Path, capsys: pytest.CaptureFixture[str], dns_server: Any) -> None:
    cert = write_cert(tmp_path, "sbs.contoso.local", "remote.contoso.test", "mail.contoso.test")
    rc, doc = check(capsys, dns_server, "contoso.test", "--cert", cert)
    assert rc == 1
    refused = [f for f in doc["findings"] if f["code"] == "cert-name-refused-by-client"]
    assert len(refused) == 1 and refused[0]["title"].startswith("outlook2007 refuses the certificate for remote.contoso.test")


def test_check_name_that_does_not_resolve(capsys: pytest.CaptureFixture[str], dns_server: Any) -> None:
    rc, doc = check(capsys, dns_server, "broken.test")
    assert rc == 2 and doc["status"] == "CRITICAL"
    codes = {f["code"]: f["severity"] for f in doc["findings"]}
    assert codes["address-unresolved"] == "critical" and codes["mx-unresolved"] == "warning"
    assert doc["mx"] == [{"preference": 10, "host": "gone.broken.test", "addresses": [], "covered": None}]


def test_check_domain_without_mx(capsys: pytest.CaptureFixture[str], dns_server: Any) -> None:
    rc, doc = check(capsys, dns_server, "nomx.test")
    assert rc == 1
    assert [f["code"] for f in doc["findings"]] == ["mx-missing"]
    assert doc["addresses"] == ["192.0.2.99"]


def test_check_dns_server_that_does_not_answer(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:  # bound, never answers
        silent.bind(("127.0.0.1", 0))
        port = silent.getsockname()[1]
        started = time.monotonic()
        rc, _, err = run(capsys, "address", "check", "contoso.test", "--nameserver", f"127.0.0.1:{port}", "--timeout", "0.5")
    assert rc == 3
    assert f"no answer from 127.0.0.1:{port} within 0.5s" in one_line_error(err)
    assert time.monotonic() - started < 5
