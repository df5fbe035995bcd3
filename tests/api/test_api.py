"""The public Python API: what `from mailcert import ...` promises, the README's example run as
it is written, and the typing promise checked by mypy --strict over a usage file."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import mailcert
from mailcert.errors import InputError

ROOT = Path(__file__).resolve().parents[2]
NOW = dt.datetime(2026, 12, 1, tzinfo=dt.timezone.utc)


def readme_example() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Python API", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, re.S)
    assert len(blocks) == 1, "the Python API section has one example, and the tests run it"
    return blocks[0]


def test_the_readme_example_runs_as_written() -> None:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(readme_example(), "README.md#python-api", "exec"), {"__name__": "readme_example"})
    lines = out.getvalue().splitlines()
    assert lines[0] == "WARNING"
    assert any(line.startswith("Outlook 2007 refuses:") for line in lines)
    assert any(line.startswith("warning first-san-not-name {") and "'position': 2" in line for line in lines)
    assert "TLSv1.3 True WARNING" in lines  # trusted as installed; Outlook 2007 still warns
    scanned = [line for line in lines if line.startswith(("imap://", "imaps://", "pop3://", "smtp://"))]
    assert len(scanned) == 4
    assert sum(" CRITICAL" in line for line in scanned) == 3  # self-signed: untrusted by the system store
    assert any(line.startswith("imaps://127.0.0.1:1 UNKNOWN") for line in scanned)


def test_every_public_name_resolves_and_is_documented() -> None:
    for name in mailcert.__all__:
        value = getattr(mailcert, name)
        if callable(value) and not isinstance(value, type):
            assert value.__doc__, name
    assert sorted(mailcert.__all__) == sorted(set(mailcert.__all__))
    with pytest.raises(AttributeError):
        mailcert.no_such_name  # noqa: B018
    for verb in (mailcert.inspect_certificate, mailcert.check_server, mailcert.scan_fleet):
        assert "Raises:" in (verb.__doc__ or ""), verb.__name__


def test_importing_mailcert_loads_none_of_the_api() -> None:
    code = "import sys, mailcert; print(sorted(m for m in sys.modules if m.startswith('mailcert')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "['mailcert', 'mailcert._version']"


def test_the_profile_table_is_read_only() -> None:
    """Verdicts of built-in profiles are remembered by id; an editable table would answer stale."""
    with pytest.raises(TypeError):
        mailcert.PROFILES["outlook2007"] = mailcert.PROFILES["thunderbird"]  # type: ignore[index]
    with pytest.raises(TypeError):
        del mailcert.PROFILES["outlook2007"]  # type: ignore[attr-defined]
    assert "outlook2007" in mailcert.PROFILES


def test_a_variant_of_a_profile_is_judged_by_its_own_rules() -> None:
    """Rows are NamedTuples: ``_replace`` makes a variant, and a variant keeping the built-in
    id must not be answered from the built-in row's remembered verdicts."""
    from mailcert.examples import example_bytes
    from mailcert.names.profiles import CnFallback, NameSource

    builtin = mailcert.PROFILES["outlook2007"]
    lenient = builtin._replace(reads=NameSource.ALL_DNS, cn_fallback=CnFallback.NEVER)
    assert mailcert.PROFILES["outlook2007"] is builtin and lenient != builtin
    verdicts = {
        p is builtin: mailcert.inspect_certificate(example_bytes(), ["remote.contoso.com"], judgement=mailcert.Judgement((p,), now=NOW)).results[0]
        for p in (builtin, lenient)
    }
    assert not verdicts[True].accepted and verdicts[False].accepted


def test_inspect_certificate_reads_a_file_and_bytes_alike(tmp_path: Path) -> None:
    from mailcert.examples import example_bytes

    path = tmp_path / "sbs.pem"
    path.write_bytes(example_bytes())
    judgement = mailcert.Judgement(now=NOW)
    from_file = mailcert.inspect_certificate(path, ["remote.contoso.com"], judgement=judgement)
    from_bytes = mailcert.inspect_certificate(example_bytes(), ["remote.contoso.com"], judgement=judgement)
    assert from_file.results == from_bytes.results and from_file.status is mailcert.Status.WARNING
    with pytest.raises(mailcert.CertificateError):
        mailcert.inspect_certificate(b"not a certificate")


def test_errors_name_the_field() -> None:
    with pytest.raises(InputError) as caught:
        mailcert.Judgement(warn_days=-1)
    assert caught.value.field == "warn_days" and str(caught.value).startswith("warn_days ")
    with pytest.raises(InputError) as caught:
        mailcert.ScanSettings(timeout=0)
    assert caught.value.field == "timeout" and str(caught.value).startswith("timeout ")


def test_scan_fleet_refuses_what_is_not_a_target() -> None:
    with pytest.raises(InputError, match="not int"):
        mailcert.scan_fleet([42])  # type: ignore[list-item]


@pytest.mark.skipif(shutil.which("true") is None, reason="needs a POSIX userland")
def test_the_api_and_all_of_src_are_mypy_strict_clean() -> None:
    """As service-identity does: mypy --strict over a file that uses the API as users would, and
    in the same run (one analysis, ~16 s of CPU) over all of src/mailcert, so the promise of
    ``py.typed`` holds for every module a user may import, not only for the API's names."""
    usage = Path(__file__).with_name("typing_usage.py")
    run = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(ROOT / "src" / "mailcert"), str(usage)],
        capture_output=True, text=True, cwd=ROOT, timeout=600,
    )
    assert run.returncode == 0, run.stdout + run.stderr
