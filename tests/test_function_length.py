"""No function in src/ over 60 lines, unless it is a table or a linear parser that says why.

Long functions hide concepts (two closures in ``issue``, nine inline finding texts in
``check_address``...).  The allow-list below names each exception and why; the test fails when
a new long function appears, when one on the list grows past its recorded length (so debt only
shrinks), and when one on the list is short again or gone (so the list stays true).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
LIMIT = 60

ALLOWED: dict[str, tuple[int, str]] = {
    # "path:function": (lines at most, why)
    # -- tables and linear parsers: one row or one line of input per statement, nothing to extract
    "mailcert/commands/cert.py:register": (80, "table: argparse declarations of cert new/import/fix/csr"),
    "mailcert/commands/acme.py:register": (75, "table: argparse declarations of acme issue/renew"),
    "mailcert/deploy/dovecot.py:discovery_from_doveconf": (105, "linear parser of doveconf -n output, one branch per setting"),
    "mailcert/deploy/postfix.py:discovery_from_postconf": (105, "linear parser of postconf output, one branch per parameter"),
    "mailcert/certs/build.py:validate_hostname": (75, "linear parser: one check per RFC 1123/5890 rule, each with its message"),
    "mailcert/report/deploy.py:text": (70, "linear renderer: one report section after another"),
    "mailcert/report/deploy.py:document": (70, "table: the deploy JSON document, one key per line"),
}


def long_functions(root: Path) -> dict[str, int]:
    """``path:function`` -> length in lines, for every function longer than LIMIT under ``root``."""
    out: dict[str, int] = {}
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > LIMIT:
                    out[f"{path.relative_to(root).as_posix()}:{node.name}"] = length
    return out


def problems(found: dict[str, int], allowed: dict[str, tuple[int, str]]) -> list[str]:
    out = []
    for name, length in sorted(found.items()):
        if name not in allowed:
            out.append(f"{name} is {length} lines (over {LIMIT}): split it, or if it is a table or a linear parser add it to ALLOWED saying why")
        elif length > allowed[name][0]:
            out.append(f"{name} grew to {length} lines (allowed {allowed[name][0]}: {allowed[name][1]})")
    for name in sorted(set(allowed) - set(found)):
        out.append(f"{name} is no longer over {LIMIT} lines (or gone): take it off ALLOWED")
    return out


def test_no_long_function_outside_the_allow_list() -> None:
    assert problems(long_functions(SRC), ALLOWED) == []


def test_every_exception_says_why() -> None:
    assert all(why.strip() and limit > LIMIT for limit, why in ALLOWED.values())


@pytest.mark.parametrize(
    ("body_lines", "allowed", "expect"),
    [
        (LIMIT - 2, {}, []),
        (LIMIT + 5, {}, ["toy.py:f is 66 lines"]),
        (LIMIT + 5, {"toy.py:f": (70, "table")}, []),
        (LIMIT + 15, {"toy.py:f": (70, "table")}, ["toy.py:f grew to 76 lines"]),
        (LIMIT - 2, {"toy.py:f": (70, "table")}, ["toy.py:f is no longer over"]),
    ],
)
def test_the_count_itself(tmp_path: Path, body_lines: int, allowed: dict[str, tuple[int, str]], expect: list[str]) -> None:
    (tmp_path / "toy.py").write_text("def f():\n" + "    x = 1\n" * body_lines)
    got = problems(long_functions(tmp_path), allowed)
    assert len(got) == len(expect) and all(g.startswith(e) for g, e in zip(got, expect)), got
