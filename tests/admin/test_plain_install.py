"""``pip install mailcert`` with no extras, as a new user does it: a wheel built from this
tree, installed into a fresh venv, then every command that runs on the SQLite default
(scan, report) against a local endpoint.  PostgreSQL and Dask stay extras and say so.

The venv installs from the same package sources ``scripts/setup.sh`` uses (pip's own
configuration); about a minute, most of it pip resolving and unpacking cryptography & co.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from mailcert.certs.build import TestCA
from mailcert.testing import MailEndpoint
from tests.scan.helpers import closed_port

ROOT = Path(__file__).resolve().parents[2]
NAME = "mail.contoso.test"


def _pip(python: str, *args: str, cwd: Path) -> None:
    done = subprocess.run(
        [python, "-m", "pip", "--disable-pip-version-check", "-q", *args],
        capture_output=True, text=True, timeout=900, cwd=cwd, stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stderr[-3000:]


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The ``bin`` directory of a fresh venv holding the wheel of this tree, no extras."""
    work = tmp_path_factory.mktemp("plain-install")
    tree = work / "src-tree"
    shutil.copytree(
        ROOT, tree,
        ignore=shutil.ignore_patterns(".git", ".venv*", "__pycache__", "*.egg-info", "build", ".*_cache", ".hypothesis", ".build"),
    )
    _pip(sys.executable, "wheel", "--no-deps", "-w", str(work / "dist"), str(tree), cwd=work)
    (wheel,) = (work / "dist").glob("mailcert-*.whl")
    subprocess.run([sys.executable, "-m", "venv", str(work / "venv")], check=True, timeout=300)
    python = str(work / "venv" / "bin" / "python")
    _pip(python, "install", "--only-binary", ":all:", str(wheel), cwd=work)
    yield work / "venv" / "bin"


def run(bin_dir: Path, *args: str, home: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "PYTHON", "VIRTUAL_ENV"))}
    env.update(HOME=str(home), NO_COLOR="1", PATH=f"{bin_dir}:/usr/bin:/bin")
    return subprocess.run(
        [str(bin_dir / "mailcert"), *args], input=stdin, capture_output=True, text=True, timeout=120, env=env, cwd=home,
        stdin=None if stdin is not None else subprocess.DEVNULL,
    )


def test_no_extras_installed(plain: Path) -> None:
    done = subprocess.run(
        [str(plain / "python"), "-c", "import importlib.util as u; print([m for m in ('psycopg', 'distributed', 'dask') if u.find_spec(m)])"],
        capture_output=True, text=True, timeout=60,
    )
    assert done.stdout.strip() == "[]", done


def test_scan_and_report_on_the_default_inventory(plain: Path, tmp_path: Path) -> None:
    """The issue's crash: scan and report needed sqlalchemy, which no install step named."""
    ca = TestCA(now=dt.datetime.now(dt.timezone.utc))
    issued = ca.issue_cert(NAME)
    (tmp_path / "ca.pem").write_bytes(ca.cert_pem)
    home = tmp_path / "home"
    home.mkdir()
    with MailEndpoint(issued.cert_pem, issued.key_pem, issued.chain_pem) as server:
        targets = f"{server.url('imaps')} {NAME}\n{server.url('smtp')} {NAME}\nimaps://127.0.0.1:{closed_port()} {NAME}\n"
        scanned = run(plain, "scan", "-", "--cafile", str(tmp_path / "ca.pem"), "--quiet", home=home, stdin=targets)
    assert scanned.returncode == 3, scanned.stderr  # the closed port is UNKNOWN, the worst here
    lines = [json.loads(line) for line in scanned.stdout.splitlines()]
    assert sorted(line["status"] for line in lines) == ["OK", "OK", "UNKNOWN"], scanned.stdout
    assert (home / ".local/share/mailcert/inventory.sqlite3").is_file()
    reported = run(plain, "report", "--html", "r.html", "--csv", "r.csv", "--json", "r.json", home=home)
    assert reported.returncode == 0, reported.stderr
    assert NAME in (home / "r.html").read_text() and len((home / "r.csv").read_text().splitlines()) == 4
    summary = run(plain, "report", home=home)
    assert summary.returncode == 0 and "3" in summary.stdout, summary


@pytest.mark.parametrize(
    ("args", "extra"),
    [
        (("report", "--db", "postgresql://mailcert@127.0.0.1:1/inventory"), "mailcert[postgres]"),
        (("scan", "-", "--dask", "local:1", "--quiet"), "mailcert[dask]"),
    ],
)
def test_missing_extra_is_named_in_one_line(plain: Path, tmp_path: Path, args: tuple[str, ...], extra: str) -> None:
    done = run(plain, *args, home=tmp_path, stdin="imaps://127.0.0.1:1\n")
    assert done.returncode == 3, done
    assert done.stderr.count("\n") == 1 and f"pip install '{extra}'" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / ".local/share/mailcert/inventory.sqlite3").exists() or args[0] == "report"


def test_address_set_edits_the_file_on_a_plain_install(plain: Path, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("# kept\n[address]\ndomain = \"contoso.com\"  # kept too\n")
    done = run(plain, "address", "set", "fabrikam.com", "--config", str(config), home=tmp_path)
    assert done.returncode == 0, done.stderr
    assert config.read_text().startswith("# kept\n[address]\ndomain = \"fabrikam.com\"  # kept too\n")
