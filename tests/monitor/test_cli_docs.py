"""Shell completion and the man page, generated from the parser: loaded into a real bash and a
real zsh and asked to complete, and rendered by man(1) with warnings on."""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mailcert.cli_docs import command_tree, man_page

GENERATE = [sys.executable, "-m", "mailcert.cli_docs"]


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("contrib")
    subprocess.run([*GENERATE, str(out)], check=True, capture_output=True, timeout=120)
    return out


def _need(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        if os.environ.get("CI"):
            pytest.fail(f"{tool} missing: scripts/deps/monitor.sh installs it")
        pytest.skip(f"{tool} not installed (scripts/deps/monitor.sh)")
    return path


def test_completion_command_prints_the_generated_scripts(generated: Path) -> None:
    for shell, name in (("bash", "mailcert.bash"), ("zsh", "_mailcert")):
        proc = subprocess.run([sys.executable, "-m", "mailcert", "completion", shell], capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0 and proc.stdout == (generated / "completion" / name).read_text()


BASH_CASES = [
    (["mailcert", "ch"], ["check"]),
    (["mailcert", "c"], ["check", "clients", "cert", "completion"]),
    (["mailcert", "cert", ""], ["new", "import", "export", "fix"]),
    (["mailcert", "acme", "i"], ["issue"]),
    (["mailcert", "check", "--format", ""], ["text", "json", "nagios"]),
    (["mailcert", "inspect", "--cri"], ["--critical-days"]),
    (["mailcert", "check", "--client", "outl"], ["outlook2007", "outlook"]),
    (["mailcert", "deploy", ""], ["dovecot", "postfix"]),
    (["mailcert", "check", "--name", "cert", "--oc"], ["--ocsp"]),  # "cert" is --name's value, not the command
    (["mailcert", "--debug", "sc"], ["scan"]),
]


def _bash_complete(script: Path, words: list[str]) -> list[str]:
    quoted = " ".join("'" + w.replace("'", "'\\''") + "'" for w in words)
    code = (f"source '{script}'; complete -p mailcert >/dev/null || exit 9; COMP_WORDS=({quoted}); COMP_CWORD={len(words) - 1};"
            ' _mailcert; printf "%s\\n" "${COMPREPLY[@]}"')
    proc = subprocess.run([_need("bash"), "--norc", "--noprofile", "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and not proc.stderr, proc.stderr
    return [line for line in proc.stdout.splitlines() if line]


@pytest.mark.parametrize(("words", "want"), BASH_CASES)
def test_bash_completes(generated: Path, words: list[str], want: list[str]) -> None:
    assert _bash_complete(generated / "completion" / "mailcert.bash", words) == want


def test_bash_completes_file_names_where_a_file_goes(generated: Path, tmp_path: Path) -> None:
    (tmp_path / "ca-bundle.pem").write_text("x")
    got = _bash_complete(generated / "completion" / "mailcert.bash", ["mailcert", "check", "--cafile", f"{tmp_path}/ca"])
    assert got == [f"{tmp_path}/ca-bundle.pem"]
    assert _bash_complete(generated / "completion" / "mailcert.bash", ["mailcert", "check", "--timeout", f"{tmp_path}/ca"]) == []


def _zsh_complete(script: Path, words: list[str]) -> list[str]:
    """A real zsh runs the script; the completion builtins that only exist inside a completion
    widget (compadd, _describe, _files, _message) are stood in for by functions that print what
    they were given, which is what the test looks at."""
    arr = " ".join("'" + w.replace("'", "'\\''") + "'" for w in words)
    code = "\n".join([
        "compdef() { : }",
        "compadd() { [[ $1 == -- ]] && shift; print -l -- $@ }",
        '_describe() { local -a items; items=("${(@P)${@[-1]}}"); print -l -- ${items%%:*} }',
        "_files() { print -- '<files>' }",
        "_message() { print -- '<message>' }",
        f"source '{script}'",
        f"words=({arr}); CURRENT={len(words)}",
        "_mailcert",
    ])
    proc = subprocess.run([_need("zsh"), "-f", "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and not proc.stderr, proc.stderr
    cur = words[-1]
    return [w for w in proc.stdout.splitlines() if w.startswith(cur) or w.startswith("<")]


@pytest.mark.parametrize(("words", "want"), [
    (["mailcert", "cert", ""], ["new", "import", "export", "fix"]),
    (["mailcert", "check", "--format", ""], ["text", "json", "nagios"]),
    (["mailcert", "scan", "--cri"], ["--critical-days"]),
    (["mailcert", "check", "--cafile", ""], ["<files>"]),
    (["mailcert", "deploy", ""], ["dovecot", "postfix"]),
])
def test_zsh_completes(generated: Path, words: list[str], want: list[str]) -> None:
    script = generated / "completion" / "_mailcert"
    assert subprocess.run([_need("zsh"), "-n", str(script)], timeout=60).returncode == 0
    assert _zsh_complete(script, words) == want


def test_man_renders_every_command_and_option(generated: Path) -> None:
    page = generated / "man" / "mailcert.1"
    proc = subprocess.run([_need("man"), "--warnings", "-l", str(page)], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "MANWIDTH": "200", "MANROFFOPT": "-rHY=0", "PAGER": "cat"})
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    text = re.sub(".\x08", "", proc.stdout).replace("\u2010", "-").replace("\u2011", "-")  # no overstrike bold
    for heading in ("NAME", "SYNOPSIS", "COMMANDS", "EXIT STATUS", "SEE ALSO"):
        assert f"\n{heading}\n" in text
    for command in command_tree().walk():
        if len(command.path) > 1 and not command.subcommands:
            assert f"\n   {' '.join(command.path[1:])}\n" in text, command.path
    for flag in ("--critical-days", "--ocsp", "--openmetrics", "--warn-days"):
        assert flag in text


def test_generated_from_the_parser_not_written_by_hand() -> None:
    parser = argparse.ArgumentParser(prog="mailcert", description="toy")
    sub = parser.add_subparsers()
    p = sub.add_parser("probe-thing", help="a command that does not exist", description="only here.")
    p.add_argument("--fresh-flag", metavar="FILE", help="a .flag with \\ and - in it")
    page = man_page(command_tree(parser))
    assert '.SS "probe\\-thing"' in page and "\\fB\\-\\-fresh\\-flag\\fR \\fIFILE\\fR" in page
    assert "a .flag with \\e and \\- in it" in page
