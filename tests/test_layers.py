"""The layers of docs/architecture.md, held: no import points upward, no import cycle.

Every ``import`` in src/mailcert is read from the AST, wherever it stands (module level, inside
a function, under ``if TYPE_CHECKING:``), because a function-level import that hides a cycle
is a cycle all the same.  Every module must be placed in :data:`LAYERS`, so a new package is
placed on purpose.  The checker is tested on synthetic packages too: a test that cannot fail is
a bug.
"""

from __future__ import annotations

import ast
import collections
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"

LAYERS: tuple[tuple[str, ...], ...] = (
    # lowest first; a module may import its own layer and the layers below, never above
    ("errors", "model", "paths", "inputs", "fsutil", "textsafe", "_version", "config", "der", "memo"),
    ("names", "certs", "probe", "revocation"),  # facts: pure ones, the socket driver, fetched revocation answers
    ("findings",),  # the one finding shape and its catalogue
    ("judgement", "verdicts", "assess", "doctor", "address", "senders", "rollover"),  # the judge
    ("deploy", "issue", "scan", "testing", "examples"),  # engines
    ("report",),  # renders values only
    ("commands", "mailcert", "api"),  # the two faces: the CLI's commands, the public API (package root + api)
    ("cli", "__main__"),
    ("cli_docs",),  # a packaging tool over the CLI: builds the whole parser, writes completion + man page
)


@dataclass(frozen=True)
class Import:
    source: str  # the importing module, e.g. "mailcert.scan.runner"
    target: str  # the imported module, e.g. "mailcert.report.checkout"
    line: int
    nested: bool  # inside a function or class
    typing_only: bool  # under ``if TYPE_CHECKING:``

    def __str__(self) -> str:
        where = " (function-level)" if self.nested else " (TYPE_CHECKING)" if self.typing_only else ""
        return f"{self.source}:{self.line} imports {self.target}{where}"


def modules(root: Path, package: str) -> dict[str, Path]:
    """Module name -> file, for every .py file of ``package`` under ``root``."""
    out = {}
    for f in sorted((root / package).rglob("*.py")):
        out[".".join(f.relative_to(root).with_suffix("").parts).removesuffix(".__init__")] = f
    return out


def imports(root: Path, package: str) -> Iterator[Import]:
    """Every import of a module of ``package`` by a module of ``package``."""
    known = modules(root, package)

    def resolve(name: str) -> str:
        while name not in known and "." in name:
            name = name.rpartition(".")[0]
        return name

    for mod, path in known.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        yield from _walk(tree, mod, package, known, resolve, nested=False, typing_only=False, is_package=path.name == "__init__.py")


def _walk(node: ast.AST, mod: str, package: str, known: dict[str, Path], resolve, *, nested: bool, typing_only: bool,
          is_package: bool) -> Iterator[Import]:  # type: ignore[no-untyped-def]
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and _is_type_checking(child.test):
            for sub in child.body:
                yield from _walk_one(sub, mod, package, known, resolve, nested=nested, typing_only=True, is_package=is_package)
            for sub in child.orelse:
                yield from _walk_one(sub, mod, package, known, resolve, nested=nested, typing_only=typing_only, is_package=is_package)
            continue
        yield from _walk_one(child, mod, package, known, resolve, nested=nested, typing_only=typing_only, is_package=is_package)


def _walk_one(node: ast.AST, mod: str, package: str, known: dict[str, Path], resolve, *, nested: bool, typing_only: bool,
              is_package: bool) -> Iterator[Import]:  # type: ignore[no-untyped-def]
    names: list[str] = []
    if isinstance(node, ast.ImportFrom):
        base = node.module or ""
        if node.level:  # relative: from .x import y
            parts = mod.split(".")
            anchor = parts if is_package else parts[:-1]
            anchor = anchor[: len(anchor) - (node.level - 1)]
            base = ".".join(anchor + ([base] if base else []))
        if base.split(".")[0] == package:
            for alias in node.names:
                full = f"{base}.{alias.name}"
                names.append(full if full in known else base)
    elif isinstance(node, ast.Import):
        names = [a.name for a in node.names if a.name.split(".")[0] == package]
    for name in names:
        target = resolve(name)
        if target != mod:
            yield Import(mod, target, node.lineno, nested, typing_only)  # type: ignore[attr-defined]
    inner = nested or isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda))
    yield from _walk(node, mod, package, known, resolve, nested=inner, typing_only=typing_only, is_package=is_package)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def part(module: str) -> str:
    """The layer-table entry of a module: its first component under the package (the package
    root itself is the public API, named by the package)."""
    pieces = module.split(".")
    return pieces[1] if len(pieces) > 1 else pieces[0]


def rank_of(layers: tuple[tuple[str, ...], ...]) -> dict[str, int]:
    return {name: i for i, layer in enumerate(layers) for name in layer}


def upward(found: list[Import], layers: tuple[tuple[str, ...], ...]) -> list[str]:
    """Imports that point up the table (and modules the table does not place)."""
    rank = rank_of(layers)
    problems = []
    for imp in found:
        src, dst = part(imp.source), part(imp.target)
        for p in (src, dst):
            if p not in rank:
                problems.append(f"{p} is in no layer: place it in LAYERS (tests/test_layers.py) and docs/architecture.md")
        if src in rank and dst in rank and rank[dst] > rank[src]:
            problems.append(f"{imp}: {dst} (layer {rank[dst]}) is above {src} (layer {rank[src]})")
    return sorted(set(problems))


def cycles(found: list[Import], key=lambda m: m) -> list[list[str]]:  # type: ignore[no-untyped-def]
    """Strongly connected groups (more than one member) of the graph of ``found``, nodes mapped
    by ``key`` (a module, or its layer-table entry); TYPE_CHECKING imports run nothing, so they
    are left out here (the layer check still reads them)."""
    graph: dict[str, set[str]] = collections.defaultdict(set)
    for imp in found:
        a, b = key(imp.source), key(imp.target)
        if a != b and not imp.typing_only:
            graph[a].add(b)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:  # Tarjan
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                out.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


@pytest.fixture(scope="module")
def mailcert_imports() -> list[Import]:
    return list(imports(SRC, "mailcert"))


def test_no_import_points_upward(mailcert_imports: list[Import]) -> None:
    assert upward(mailcert_imports, LAYERS) == []


def test_no_import_cycle_between_modules_or_layers(mailcert_imports: list[Import]) -> None:
    assert cycles(mailcert_imports) == []
    assert cycles(mailcert_imports, key=part) == []


def between_commands(found: list[Import], package: str) -> list[str]:
    """Imports from one sub-command's module of another's: a concept two commands share
    belongs below them (in the library, or in ``commands._common``), under a public name."""
    prefix = f"{package}.commands."

    def command(module: str) -> bool:
        return module.startswith(prefix) and not module.removeprefix(prefix).startswith("_")

    return [str(i) for i in found if command(i.source) and command(i.target)]


def test_commands_do_not_import_one_another(mailcert_imports: list[Import]) -> None:
    assert between_commands(mailcert_imports, "mailcert") == []


def test_every_module_is_placed() -> None:
    placed = rank_of(LAYERS)
    assert sorted({part(m) for m in modules(SRC, "mailcert")} - set(placed)) == []


def test_the_architecture_document_names_every_layer() -> None:
    doc = (SRC.parent / "docs" / "architecture.md").read_text(encoding="utf-8")
    for layer in LAYERS:
        for name in layer:
            if name != "mailcert":
                assert f"`{name}`" in doc, name


# --- the checker itself, on synthetic packages -----------------------------------------------

TOY_LAYERS = (("errors",), ("names",), ("report",))


def _toy(tmp_path: Path, files: dict[str, str]) -> list[Import]:
    for name, text in {"toy/__init__.py": "", "toy/errors.py": "", "toy/names/__init__.py": "", "toy/report.py": "", **files}.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return list(imports(tmp_path, "toy"))


@pytest.mark.parametrize(
    "source",
    [
        "from toy.report import x\n",  # module level
        "def f():\n    from toy.report import x\n",  # hidden in a function
        "class C:\n    def m(self):\n        import toy.report\n",  # deeper
        "from toy import report\n",  # a submodule through its package
        "from .. import report\n",  # relative
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from toy.report import x\n",  # typing only
    ],
)
def test_the_check_fails_on_an_upward_import(tmp_path: Path, source: str) -> None:
    found = _toy(tmp_path, {"toy/names/match.py": source})
    problems = upward(found, TOY_LAYERS)
    assert len(problems) == 1 and "toy.names.match" in problems[0] and "toy.report" in problems[0], problems


def test_the_check_passes_downward_imports_and_fails_unplaced_modules(tmp_path: Path) -> None:
    assert upward(_toy(tmp_path, {"toy/report.py": "from toy.names import x\nfrom toy import errors\n"}), TOY_LAYERS) == []
    problems = upward(_toy(tmp_path, {"toy/extra.py": "from toy import errors\n"}), TOY_LAYERS)
    assert problems == ["extra is in no layer: place it in LAYERS (tests/test_layers.py) and docs/architecture.md"]


def test_the_check_finds_a_cycle_hidden_in_a_function(tmp_path: Path) -> None:
    found = _toy(tmp_path, {"toy/names/a.py": "from toy.names import b\n", "toy/names/b.py": "def f():\n    from toy.names import a\n"})
    assert cycles(found) == [["toy.names.a", "toy.names.b"]]
    typing_only = _toy(tmp_path, {"toy/names/b.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from toy.names import a\n"})
    assert cycles(typing_only) == []


def test_the_check_finds_one_command_importing_another(tmp_path: Path) -> None:
    files = {"toy/commands/__init__.py": "", "toy/commands/_common.py": "", "toy/commands/deploy.py": "def _first_name(): ...\n"}
    shared = _toy(tmp_path, {**files, "toy/commands/dane.py": "from toy.commands._common import x\nfrom toy.names import y\n"})
    assert between_commands(shared, "toy") == []
    reaching = _toy(tmp_path, {**files, "toy/commands/dane.py": "def run():\n    from toy.commands.deploy import _first_name\n"})
    assert between_commands(reaching, "toy") == ["toy.commands.dane:2 imports toy.commands.deploy (function-level)"]
