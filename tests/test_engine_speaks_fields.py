"""The engine speaks in fields, only the CLI in flags (issue 10, step 5).

An engine module (anything outside ``commands/``, ``cli.py`` and ``cli_docs.py``) that puts a
flag such as ``--timeout`` into an error message speaks for a command line it does not know: a
library user never typed ``--timeout``.  It names the field instead
(``InputError("timeout must be ...", field="timeout")``, or ``mentions=("agree_tos",)`` for a
hint) and :func:`mailcert.commands._common.in_flags` says the flag.

The scan reads the syntax tree of every engine module and finds the strings that end up in an
exception's message: those inside a ``raise`` or an ``...Error(...)`` call; those bound to a
name such a message uses (a ``hint`` variable, a module constant, a parameter's default); and
those passed to a parameter that a function puts into the messages it raises (``what``).

Words for a person reach them outside exceptions too: deploy's problems, refusals and
objections, the TLSA guard's advice and the ACME plan are values of a result that the CLI and
the JSON documents show.  So a second scan reads every string of an engine module that is not
a docstring: one naming a flag is a failure unless it is one of the few listed in ``OTHERS``
(another program's flags, commands to paste), each with the reason it may.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "mailcert"
FLAG = re.compile(r"(?<![\w-])--[a-z][a-z0-9]*(?:-[a-z0-9]+)*")
FACES = ("commands/", "cli.py", "cli_docs.py")


def engine_modules(root: Path) -> list[Path]:
    return [p for p in sorted(root.rglob("*.py")) if not p.relative_to(root).as_posix().startswith(FACES)]


def _strings(node: ast.AST) -> Iterator[ast.Constant]:
    for n in ast.walk(node):
        if isinstance(n, ast.Constant) and isinstance(n.value, str):
            yield n


def _names(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def _is_message(node: ast.AST) -> bool:
    """A ``raise``, or the construction of an exception (``SomethingError(...)``)."""
    if isinstance(node, ast.Raise):
        return True
    if isinstance(node, ast.Call):
        func = node.func
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
        return name.endswith(("Error", "Exception"))
    return False


def _functions(tree: ast.AST) -> Iterator[ast.FunctionDef | ast.AsyncFunctionDef]:
    for n in ast.walk(tree):
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield n


def _params(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> list[str]:
    return [a.arg for a in (*fn.args.posonlyargs, *fn.args.args)]


def _message_parts(scope: ast.AST) -> list[ast.AST]:
    return [n for n in ast.walk(scope) if _is_message(n)]


def _used_in_messages(scope: ast.AST) -> set[str]:
    return {name for part in _message_parts(scope) for name in _names(part)}


def _bound_strings(scope: ast.AST, used: set[str]) -> Iterator[ast.Constant]:
    """Strings assigned to a name in ``used`` within ``scope``."""
    for n in ast.walk(scope):
        if isinstance(n, (ast.Assign, ast.AnnAssign)) and n.value is not None:
            targets = n.targets if isinstance(n, ast.Assign) else [n.target]
            if any(isinstance(t, ast.Name) and t.id in used for t in targets):
                yield from _strings(n.value)


def _defaults(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> dict[str, ast.expr]:
    """Parameter -> its default value."""
    positional = _params(fn)
    out = dict(zip(positional[len(positional) - len(fn.args.defaults):], fn.args.defaults))
    out.update({a.arg: d for a, d in zip(fn.args.kwonlyargs, fn.args.kw_defaults) if d is not None})
    return out


def message_params(trees: dict[Path, ast.Module]) -> dict[str, tuple[list[str], set[str]]]:
    """Function name -> (its positional parameters, those that reach the messages it raises)."""
    out: dict[str, tuple[list[str], set[str]]] = {}
    for tree in trees.values():
        for fn in _functions(tree):
            reaching = _used_in_messages(fn) & ({*_params(fn)} | {a.arg for a in fn.args.kwonlyargs})
            if reaching:
                out.setdefault(fn.name, (_params(fn), set()))[1].update(reaching)
    return out


def _passed_strings(tree: ast.AST, reaching: dict[str, tuple[list[str], set[str]]]) -> Iterator[ast.Constant]:
    """Strings passed to a parameter that reaches a function's messages (``run(..., what="...")``)."""
    for call in (n for n in ast.walk(tree) if isinstance(n, ast.Call)):
        func = call.func
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
        if name not in reaching:
            continue
        params, wanted = reaching[name]
        if params[:1] in (["self"], ["cls"]) and isinstance(func, ast.Attribute):
            params = params[1:]
        for param, arg in zip(params, call.args):
            if param in wanted:
                yield from _strings(arg)
        for k in call.keywords:
            if k.arg in wanted:
                yield from _strings(k.value)


def flags_in_messages(root: Path) -> list[str]:
    """``path:line: 'text'`` for every message string of an engine module naming a flag."""
    trees = {p: ast.parse(p.read_text(encoding="utf-8")) for p in engine_modules(root)}
    reaching = message_params(trees)
    found: list[str] = []
    for path, tree in trees.items():
        strings = [s for part in _message_parts(tree) for s in _strings(part)]
        module_used = _used_in_messages(tree)
        for fn in _functions(tree):
            used = _used_in_messages(fn)
            strings += _bound_strings(fn, used)
            module_used |= {n for param, d in _defaults(fn).items() if param in used for n in _names(d)}
        strings += (s for stmt in tree.body if isinstance(stmt, (ast.Assign, ast.AnnAssign)) for s in _bound_strings(stmt, module_used))
        strings += _passed_strings(tree, reaching)
        rel = path.relative_to(root).as_posix()
        found += sorted({f"{rel}:{s.lineno}: {s.value!r}" for s in strings if FLAG.search(s.value)})
    return found


OTHERS = {
    # module -> why its strings may name flags
    "findings.py": "the catalogue's remedies are whole command lines to paste (`mailcert cert new --name ...`)",
    "names/profiles.py": "a client's own command line (swaks --tls-verify), not mailcert's",
}
LEFT = {
    # (module, string) -> why it is still here: each names where a result says it (see issue 10)
    ("scan/runner.py", "not probed (scan makes the SNI connection only; --sni both adds this one)"):
        "a scan result's reason, stored in inventories as text",
    ("scan/runner.py", "--cafile"): "the default label of a store given as bytes",
    ("scan/targets.py", "--domain "): "a target's origin, shown and stored as text",
}


def _docstrings(tree: ast.AST) -> set[int]:
    """ids of the constants that are docstrings or bare string statements (comments in effect)."""
    return {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant)}


def flags_in_words(root: Path) -> list[str]:
    """``path:line: 'text'`` for every string of an engine module, docstrings aside, that names a
    flag: whatever a result carries (a problem, a refusal, a hint) reaches a person who may
    never have typed one."""
    found: list[str] = []
    for path in engine_modules(root):
        rel = path.relative_to(root).as_posix()
        if rel in OTHERS:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docs = _docstrings(tree)
        found += sorted({
            f"{rel}:{s.lineno}: {s.value!r}" for s in _strings(tree)
            if id(s) not in docs and FLAG.search(s.value) and (rel, s.value) not in LEFT
        })
    return found


def test_no_engine_words_name_a_flag() -> None:
    found = flags_in_words(SRC)
    assert found == [], "name the field in a Remark(text, mentions=...) and let the CLI say the flag:\n" + "\n".join(found)


def test_the_left_ones_are_still_there() -> None:
    """A listed leftover that is gone is taken off the list, so the list cannot hide a new one."""
    strings = {(p.relative_to(SRC).as_posix(), s.value) for p in engine_modules(SRC) for s in _strings(ast.parse(p.read_text(encoding="utf-8")))}
    assert set(LEFT) <= strings, set(LEFT) - strings


@pytest.mark.parametrize(
    ("source", "caught"),
    [
        ('def plan(problems):\n    problems.append("give --install-dir DIR to write one")\n', True),
        ('def lines(names):\n    return [f"certificate 1: --name {names[0]}"]\n', True),
        ('GUARD = ("or keep the current key: acme renew --reuse-key",)\n', True),
        ('def plan(problems):\n    problems.append(Remark("give install_dir DIR", mentions=("install_dir",)))\n', False),
        ('def f():\n    """What a --dry-run shows."""\n    # --force overrides it\n    return 1\n', False),
    ],
)
def test_the_words_scan_itself(tmp_path: Path, source: str, caught: bool) -> None:
    (tmp_path / "engine.py").write_text(source)
    (tmp_path / "commands").mkdir()
    (tmp_path / "commands" / "face.py").write_text('def f():\n    return "give --install-dir DIR"\n')
    assert bool(flags_in_words(tmp_path)) is caught


def test_no_engine_message_names_a_flag() -> None:
    found = flags_in_messages(SRC)
    assert found == [], "name the field (field=..., mentions=...) and let the CLI say the flag:\n" + "\n".join(found)


@pytest.mark.parametrize(
    ("source", "caught"),
    [
        ('def f(x):\n    raise InputError(f"--timeout {x} is bad")\n', True),
        ('def f():\n    hint = "use --webroot DIR"\n    raise OperationError("cannot listen" + hint)\n', True),
        ('HINT = "give --dns-hook CMD"\ndef f(h=HINT):\n    raise InputError(f"no hook; {h}")\n', True),
        ('def run(cmd, what):\n    raise OperationError(f"{what} failed")\ndef g():\n    run("x", what="--deploy-hook for a")\n', True),
        ('def run(cmd, what):\n    raise OperationError(f"{what} failed")\ndef g():\n    run("x", "--deploy-hook")\n', True),
        ('def f(x):\n    """Say --timeout in a docstring."""\n    raise InputError("timeout must be positive", field="timeout")\n', False),
        ('import re\nPEM = re.compile(rb"-----BEGIN CERTIFICATE-----")\ndef f():\n    raise InputError("not ---BEGIN")\n', False),
        ('def f():\n    raise InputError("run again with agree_tos", mentions=("agree_tos",))\n', False),
    ],
)
def test_the_scan_itself(tmp_path: Path, source: str, caught: bool) -> None:
    (tmp_path / "engine.py").write_text(source)
    (tmp_path / "commands").mkdir()
    (tmp_path / "commands" / "face.py").write_text('def f():\n    raise InputError("--timeout must be positive")\n')
    assert bool(flags_in_messages(tmp_path)) is caught
