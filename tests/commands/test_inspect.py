"""``mailcert inspect`` end to end through ``cli.main``: contract, exit codes, bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import BestAvailableEncryption, pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID

from mailcert.cli import main
from mailcert.names.profiles import DEFAULT_CLIENTS, PROFILES
from tests.factory import NOW, der, make_cert, pem, rsa_key
from tests.schemas import validate

SBS = ("DNS:sbs.contoso.local", "DNS:remote.contoso.com", "DNS:sites", "DNS:companyweb")
AT = ["--at", NOW.isoformat()]


def write(tmp_path: Path, name: str, data: bytes) -> str:
    p = tmp_path / name
    p.write_bytes(data)
    return str(p)


def inspect_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    rc = main(["inspect", *args, "--format", "json", *AT])
    return rc, validate(json.loads(capsys.readouterr().out), "inspect")


def test_seed_certificate_json_contract(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = write(tmp_path, "sbs.pem", pem(make_cert(SBS, cn=("sbs.contoso.local",))))
    rc, doc = inspect_json(capsys, f, "--name", "remote.contoso.com")
    assert rc == 1 and doc["status"] == "WARNING" and doc["schema_version"] == 1
    assert doc["certificate"]["san"] == [["DNS", "sbs.contoso.local"], ["DNS", "remote.contoso.com"], ["DNS", "sites"], ["DNS", "companyweb"]]
    assert doc["certificate"]["subject"] == "CN=sbs.contoso.local"
    assert doc["certificate"]["not_after"].startswith("2027-11-28")
    refused = [r for r in doc["results"] if not r["accepted"]]
    assert [r["client"] for r in refused] == ["outlook2007"]
    assert "The target principal name is incorrect" in refused[0]["message"]
    assert {r["name"] for r in doc["results"]} == {"remote.contoso.com"}
    assert "first-san-not-name" in [f["code"] for f in doc["findings"]]
    for f in doc["findings"]:
        assert set(f) == {"code", "severity", "title", "explanation", "remedy", "facts"}
    first = next(f for f in doc["findings"] if f["code"] == "first-san-not-name")
    # the structured facts the words were filled from travel with them (schema 1, extended)
    assert first["facts"]["name"] == "remote.contoso.com" and first["facts"]["position"] == 2
    assert first["facts"]["first"] == "sbs.contoso.local"


def test_fixed_certificate_is_ok(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fixed = ("DNS:remote.contoso.com", "DNS:sbs.contoso.local", "DNS:sites", "DNS:companyweb")
    f = write(tmp_path, "fixed.pem", pem(make_cert(fixed, cn=("remote.contoso.com",))))
    rc, doc = inspect_json(capsys, f, "--name", "remote.contoso.com")
    assert (rc, doc["status"]) == (0, "OK")
    assert all(r["accepted"] for r in doc["results"]) and len(doc["results"]) == len(DEFAULT_CLIENTS)


def test_name_echoed_and_client_filter(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = write(tmp_path, "c.der", der(make_cert()))
    rc, doc = inspect_json(capsys, f, "--name", "MAIL.example.com.", "--client", "go", "--client", "outlook2007")
    assert [(r["name"], r["client"]) for r in doc["results"]] == [("MAIL.example.com.", "outlook2007"), ("MAIL.example.com.", "go")]
    assert [r["accepted"] for r in doc["results"]] == [False, True]
    assert rc == 1


def test_name_absent_everywhere_is_critical(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = write(tmp_path, "c.pem", pem(make_cert()))
    rc, doc = inspect_json(capsys, f, "--name", "imap.other.org")
    assert rc == 2 and "name-absent" in [x["code"] for x in doc["findings"]]


@pytest.mark.parametrize(
    ("kwargs", "code", "rc"),
    [
        ({"days": (-400, -1)}, "expired", 2),
        ({"days": (5, 100)}, "not-yet-valid", 2),
        ({"days": (-1, 10)}, "expiring-soon", 1),
        ({"san": (), "cn": ("mail.example.com",)}, "cn-only", 1),
        ({"eku": (ExtendedKeyUsageOID.CLIENT_AUTH,)}, "no-server-auth-eku", 1),
        ({"ca": True}, "ca-as-server", 1),
        ({"key": rsa_key(1024)}, "weak-rsa-key", 1),
        ({"san": ("DNS:m*.example.com",)}, "partial-wildcard", 1),
        ({"san": ("DNS:*.com",)}, "wildcard-too-broad", 1),
        ({"days": (-1, 900)}, "validity-too-long", 1),
        ({"cn": ("other.example.com",)}, "cn-not-in-san", 0),
    ],
)
def test_findings_catalogue(tmp_path: Path, capsys: pytest.CaptureFixture[str], kwargs: dict, code: str, rc: int) -> None:  # type: ignore[type-arg]
    f = write(tmp_path, "c.pem", pem(make_cert(**kwargs)))
    name = "mail.example.com"
    got_rc, doc = inspect_json(capsys, f, "--name", name)
    assert code in [x["code"] for x in doc["findings"]]
    assert got_rc >= rc


def test_sha1_signature(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # cryptography no longer signs with SHA-1; the openssl CLI still does, as old CAs did
    out = tmp_path / "sha1.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-sha1", "-newkey", "rsa:2048", "-nodes", "-keyout", str(tmp_path / "k"),
         "-out", str(out), "-days", "30", "-subj", "/CN=mail.example.com", "-addext", "subjectAltName=DNS:mail.example.com"],
        check=True, capture_output=True, timeout=60,
    )
    rc, doc = main(["inspect", str(out), "--format", "json"]), json.loads(capsys.readouterr().out)
    assert "sha1-signature" in [x["code"] for x in doc["findings"]] and rc == 1


def test_self_signed_is_reported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = write(tmp_path, "c.pem", pem(make_cert()))
    _, doc = inspect_json(capsys, f, "--name", "mail.example.com")
    assert "self-signed" in [x["code"] for x in doc["findings"]]


def test_default_names_are_the_san_dns_names(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = write(tmp_path, "sbs.pem", pem(make_cert(SBS, cn=("sbs.contoso.local",))))
    _, doc = inspect_json(capsys, f)
    assert doc["names"] == ["sbs.contoso.local", "remote.contoso.com", "sites", "companyweb"]


def test_pkcs12_with_password_from_env(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    key = rsa_key()
    cert = make_cert(key=key)
    blob = pkcs12.serialize_key_and_certificates(b"x", key, cert, None, BestAvailableEncryption(b"s3cret"))
    f = write(tmp_path, "c.pfx", blob)
    monkeypatch.setenv("PFXPASS", "s3cret")
    rc, doc = inspect_json(capsys, f, "--password-env", "PFXPASS", "--name", "mail.example.com")
    assert doc["certificate"]["subject"] == "CN=mail.example.com"
    monkeypatch.setenv("PFXPASS", "wrong")
    assert main(["inspect", f, "--password-env", "PFXPASS"]) == 3
    assert "wrong PKCS#12 password" in capsys.readouterr().err


def test_chain_file_lists_the_rest(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ca = make_cert((), cn=("Test CA",), ca=True, eku=None)
    from tests.factory import _KEY

    leaf = make_cert(issuer=(ca, _KEY))
    f = write(tmp_path, "chain.pem", pem(leaf, ca))
    _, doc = inspect_json(capsys, f, "--name", "mail.example.com")
    assert doc["certificate"]["issuer"] == "CN=Test CA" and doc["chain"][0]["subject"] == "CN=Test CA"


BAD_INPUTS = {
    "truncated.der": lambda: der(make_cert())[:200],
    "garbage.pem": lambda: b"-----BEGIN CERTIFICATE-----\nnot base64 at all!!\n-----END CERTIFICATE-----\n",
    "key-only.pem": lambda: b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
    "empty.pem": lambda: b"",
    "text.txt": lambda: b"hello world\n",
    "big.bin": lambda: b"\0" * (50 * 1024 * 1024),
}


@pytest.mark.parametrize("name", sorted(BAD_INPUTS))
def test_bad_input_one_line_exit_3(tmp_path: Path, name: str) -> None:
    f = write(tmp_path, name, BAD_INPUTS[name]())
    _assert_one_line_error(["inspect", f])


def test_missing_file_and_directory(tmp_path: Path) -> None:
    _assert_one_line_error(["inspect", str(tmp_path / "nope.pem")], "no such file")
    _assert_one_line_error(["inspect", str(tmp_path)], "directory")


def test_unknown_client_and_bad_date(tmp_path: Path) -> None:
    f = write(tmp_path, "c.pem", pem(make_cert()))
    _assert_one_line_error(["inspect", f, "--client", "lotus-notes"], "unknown client")
    _assert_one_line_error(["inspect", f, "--at", "yesterday"], "--at")


def test_malformed_extension(tmp_path: Path) -> None:
    good = der(make_cert(("DNS:a.example.com",)))
    # corrupt the SAN's inner GeneralName tag (0x82 dNSName -> 0x9f, an invalid high tag)
    i = good.index(b"\x82\x0da.example.com")
    bad = good[:i] + b"\x9f" + good[i + 1 :]
    f = write(tmp_path, "bad-ext.der", bad)
    _assert_one_line_error(["inspect", f])


def _assert_one_line_error(argv: list[str], needle: str = "") -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "mailcert", *argv], capture_output=True, text=True, timeout=60,
        stdin=subprocess.DEVNULL, env={**os.environ, "NO_COLOR": "1"},
    )
    assert proc.returncode == 3, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("mailcert"), proc.stderr
    assert "Traceback" not in proc.stderr and needle in lines[0]


def test_apple_needs_eku_after_2019(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = write(tmp_path, "c.pem", pem(make_cert(eku=None)))
    rc, doc = inspect_json(capsys, f, "--name", "mail.example.com")
    assert "apple-eku-missing" in [x["code"] for x in doc["findings"]] and rc == 1


def test_unknown_x509_version(tmp_path: Path) -> None:
    # found by the fuzz test: cryptography raises InvalidVersion, not ValueError
    good = der(make_cert())
    bad = good.replace(b"\xa0\x03\x02\x01\x02", b"\xa0\x03\x02\x01\x05", 1)
    assert bad != good
    _assert_one_line_error(["inspect", write(tmp_path, "v6.der", bad)], "version")
    block = b"-----BEGIN CERTIFICATE-----\n" + __import__("base64").encodebytes(bad) + b"-----END CERTIFICATE-----\n"
    _assert_one_line_error(["inspect", write(tmp_path, "v6.pem", block)])


def test_purpose_finding_names_clients_from_their_verdicts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A clientAuth-only leaf: the finding names who refuses it and who does not check the
    purpose (the GnuTLS mail clients, proven over the wire with msmtp and mutt) from the
    verdicts, so it never says a client refuses that the table shows connecting."""
    f = write(tmp_path, "c.pem", pem(make_cert(eku=(ExtendedKeyUsageOID.CLIENT_AUTH,))))
    _, doc = inspect_json(capsys, f, "--name", "mail.example.com", "--client", "all")
    (found,) = [x for x in doc["findings"] if x["code"] == "no-server-auth-eku"]
    titles = {p.id: p.title for p in PROFILES.values()}
    refused = {titles[r["client"]] for r in doc["results"] if r["code"] == "eku"}
    accepted = {titles[r["client"]] for r in doc["results"] if r["accepted"]}
    assert set(found["facts"]["refuse"].split(", ")) == refused
    assert set(found["facts"]["unchecked"].split(", ")) == accepted
    assert "msmtp (GnuTLS)" in accepted and "OpenSSL" in refused
    assert found["facts"]["unchecked"] in found["explanation"]
