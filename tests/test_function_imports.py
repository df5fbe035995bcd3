"""Every import inside a function of src/mailcert says why it is there (issue 10, item 1).

Imports belong at the top of a module.  One inside a function is allowed only for a reason a
reader can check, written as a comment on its line or directly above it (above the first of a
run of imports that stand together): start-up time (``mailcert check`` must start within 1.5x
of a bare Python, so what only some options need loads when they are used), an optional heavy
library (rich, sqlalchemy, dask, tomlkit, pyOpenSSL, certbot's acme, dnspython), or keeping a
pure layer free of a library.  Never to dodge an import cycle: ``tests/test_layers.py`` counts
function-level imports as edges, so a hidden cycle fails there.

The syntax tree finds the imports (at any depth: in a nested block, a method, a closure); the
tokenizer finds the comments, so a ``#`` inside a string is never taken for one.  Pragmas
(``noqa``, ``type: ignore``) are not reasons.  The checker is tested on synthetic modules too.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from collections.abc import Iterator
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "mailcert"
PRAGMA = re.compile(r"\b(noqa(:\s*[A-Z0-9, ]+)?|type:\s*ignore(\[[^\]]*\])?|pragma:[^#]*)", re.IGNORECASE)
MIN_WORDS = 3


def _comments(source: str) -> dict[int, str]:
    """Line -> the comment on it, pragmas taken out."""
    out: dict[int, str] = {}
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.COMMENT:
            out[tok.start[0]] = PRAGMA.sub("", tok.string.lstrip("#")).strip()
    return out


def _says_why(text: str | None) -> bool:
    return text is not None and len(re.findall(r"[A-Za-z]+", text)) >= MIN_WORDS


def _function_imports(tree: ast.AST) -> Iterator[tuple[ast.stmt, ast.stmt | None]]:
    """Each import inside a function, with the statement before it in the same body (``None``
    when it is the first)."""

    def bodies(node: ast.AST, inside: bool) -> Iterator[tuple[list[ast.stmt], bool]]:
        for name in ("body", "orelse", "finalbody", "handlers"):
            block = getattr(node, name, None)
            if isinstance(block, list) and block and isinstance(block[0], (ast.stmt, ast.ExceptHandler)):
                yield block, inside  # type: ignore[misc]
        for child in ast.iter_child_nodes(node):
            yield from bodies(child, inside or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)))

    seen: set[int] = set()
    for block, inside in bodies(tree, False):
        if not inside or id(block) in seen:
            continue
        seen.add(id(block))
        for before, stmt in zip([None, *block], block):
            if isinstance(stmt, (ast.Import, ast.ImportFrom)):
                yield stmt, before


def unexplained(root: Path) -> list[str]:
    """``path:line: import ...`` for every function-level import with no reason beside it."""
    found: list[str] = []
    for path in sorted(root.rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        comments = _comments(source)
        lines = source.splitlines()
        explained: set[int] = set()  # ids of imports that carry (or share) a reason
        for stmt, before in _function_imports(ast.parse(source)):
            shares = isinstance(before, (ast.Import, ast.ImportFrom)) and id(before) in explained and before.end_lineno == stmt.lineno - 1
            own = _says_why(comments.get(stmt.lineno)) or (
                stmt.lineno > 1 and lines[stmt.lineno - 2].lstrip().startswith("#") and _says_why(comments.get(stmt.lineno - 1))
            )
            if own or shares:
                explained.add(id(stmt))
            else:
                found.append(f"{path.relative_to(root).as_posix()}:{stmt.lineno}: {lines[stmt.lineno - 1].strip()}")
    return found


def test_every_function_level_import_says_why() -> None:
    found = unexplained(SRC)
    assert found == [], (
        "move these imports to the top of the module, or say on the line (or the line above) why"
        " they load late (start-up time, an optional heavy library):\n" + "\n".join(found)
    )


@pytest.mark.parametrize(
    ("source", "flagged"),
    [
        ("import os\ndef f():\n    return os\n", []),  # module level: nothing to say
        ("def f():\n    import json\n    return json\n", [2]),
        ("def f():\n    import json  # only the JSON output needs it\n    return json\n", []),
        ("def f():\n    # only the JSON output needs it\n    import json\n    return json\n", []),
        ("def f():\n    # noqa: PLC0415\n    import json\n    return json\n", [3]),  # a pragma is no reason
        ("def f():\n    import json  # type: ignore\n    return json\n", [2]),
        ("def f():\n    # lazy\n    import json\n    return json\n", [3]),  # a word is no reason
        ("def f():\n    # only the JSON output needs it\n\n    import json\n    return json\n", [4]),  # not directly above
        ("def f():\n    x = '# only the JSON output needs it'\n    import json\n    return json, x\n", [3]),  # a string
        # a run of imports shares the reason above its first; one after other code does not
        ("def f():\n    # tomlkit: only writing the file needs it\n    import tomlkit\n    from tomlkit import items\n"
         "    y = 1\n    import json\n    return tomlkit, items, json, y\n", [6]),
        ("class C:\n    def m(self):\n        if self:\n            from json import dumps\n            return dumps\n", [4]),
        ("def f():\n    def g():\n        import json\n        return json\n    return g\n", [3]),  # a closure
        ("def f():\n    try:\n        import ada_url\n    except ImportError:\n        return None\n    return ada_url\n", [3]),
    ],
)
def test_the_check_itself(tmp_path: Path, source: str, flagged: list[int]) -> None:
    (tmp_path / "mod.py").write_text(source)
    assert [int(f.split(":")[1]) for f in unexplained(tmp_path)] == flagged
