"""What an administrator types and reads: ``--debug`` anywhere, and no in-house words
("seed") in product text."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mailcert.cli import build_parser, main

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    "argv",
    [
        ["--debug", "inspect", "/nonexistent/cert.pem"],
        ["inspect", "/nonexistent/cert.pem", "--debug"],
        ["inspect", "--debug", "/nonexistent/cert.pem"],
        ["cert", "export", "/nonexistent/dir", "--pem-bundle", "/nonexistent/x.pem", "--debug"],
    ],
)
def test_debug_before_or_after_the_subcommand_shows_the_traceback(argv: list[str]) -> None:
    """Every error says "run with --debug"; the administrator appends it to the command they ran."""
    with pytest.raises(Exception) as info:
        main(argv)
    assert not isinstance(info.value, SystemExit)


def test_without_debug_the_same_error_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["inspect", "/nonexistent/cert.pem"]) == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_debug_before_is_not_reset_by_the_subcommand() -> None:
    args = build_parser().parse_args(["--debug", "inspect", "x.pem"])
    assert args.debug is True
    args = build_parser().parse_args(["inspect", "x.pem"])
    assert getattr(args, "debug", False) is False


def _product_texts() -> list[tuple[str, str]]:
    texts = [(str(p.relative_to(ROOT)), p.read_text(encoding="utf-8")) for p in (ROOT / "src" / "mailcert").rglob("*.py")]
    texts += [(str(p.relative_to(ROOT)), p.read_text(encoding="utf-8")) for p in (ROOT / "docs").rglob("*.md")]
    texts += [("README.md", (ROOT / "README.md").read_text(encoding="utf-8"))]
    texts += [(str(p.relative_to(ROOT)), p.read_text(encoding="utf-8")) for p in (ROOT / "contrib").rglob("*") if p.is_file()]
    parser = build_parser()
    texts.append(("mailcert --help", parser.format_help()))
    for action in parser._subparsers._group_actions:  # type: ignore[union-attr]
        for name, sub in action.choices.items():
            texts.append((f"mailcert {name} --help", sub.format_help()))
    return texts


def test_no_in_house_word_seed_in_product_text() -> None:
    """The product names its origin "KB958977" or "the SBS 2008 case", never "the seed"."""
    seed = re.compile(r"\bseed(?:'s|s)?\b", re.IGNORECASE)
    hits = [f"{where}: {m.group(0)}" for where, text in _product_texts() for m in seed.finditer(text)]
    assert hits == []
