"""The one place that makes outside text safe for each output (issue 13, "What to build")."""

from __future__ import annotations

import json
import unicodedata

import pytest

from mailcert.textsafe import CSV_TRIGGERS, csv_cell, html_text, json_dumps, nagios_text, terminal

DANGEROUS = [
    "\x00", "\x07", "\x08", "\t", "\n", "\x0b", "\x0c", "\r", "\x1b", "\x7f",
    "\x80", "\x85", "\x9b", "\x9d",
    "\u061c", "\u200e", "\u200f", "\u202a", "\u202b", "\u202c", "\u202d", "\u202e",
    "\u2066", "\u2067", "\u2068", "\u2069", "\u2028", "\u2029", "\ufeff", "\u200b",
    "\udcff",  # a lone surrogate: what surrogateescape makes of a byte that is not UTF-8
    "\U000e0001",  # a tag character
]


@pytest.mark.parametrize("ch", DANGEROUS, ids=lambda c: f"U+{ord(c):04X}")
def test_terminal_escapes_visibly(ch: str) -> None:
    out = terminal(f"a{ch}b")
    assert out.isprintable() and ch not in out
    assert out.startswith("a\\") and out.endswith("b")
    assert f"{ord(ch):02x}" in out  # the code point is shown, not dropped


def test_every_c0_c1_and_format_character_is_escaped() -> None:
    """Not a list of known-bad characters: every control and format character there is."""
    for n in [*range(0x20), *range(0x7F, 0xA0), *range(0x2000, 0x2070), 0xFEFF, *range(0xFFF9, 0xFFFC)]:
        ch = chr(n)
        if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp"):
            assert ch not in terminal(ch), hex(n)


def test_terminal_keeps_readable_text() -> None:
    for text in ("mail.example.com", "Zürich Mail GmbH", "почта.рф", "メール", "a b", "O=x\\y"):
        assert terminal(text) == text


def test_terminal_caps_long_fields() -> None:
    out = terminal("x" * 1_000_000, 500)
    assert len(out) <= 500 and "not shown" in out


def test_nagios_one_line_no_pipe() -> None:
    out = nagios_text("CN=x\nMAILCERT OK - fine | days_left=999;1;0")
    assert "\n" not in out and "|" not in out and out.isprintable()
    assert len(nagios_text("y" * 100_000)) <= 1024


@pytest.mark.parametrize("cell", ["=1+1", "+1", "-1", "@A1", "\t=1", "\r=1", "\n=1", "  =1", "\uff1d1", "\uff20x"])
def test_csv_cell_neutralises_formulas(cell: str) -> None:
    out = csv_cell(cell)
    assert out.startswith("'") and out.isprintable()


def test_csv_cell_leaves_plain_text() -> None:
    assert csv_cell("mail.example.com") == "mail.example.com"
    assert csv_cell("a=b") == "a=b"
    assert all(len(c) == 1 for c in CSV_TRIGGERS)


def test_html_escapes_markup_and_controls() -> None:
    out = html_text('<script>alert("x")</script>\u202e\x1b')
    assert "<" not in out and '"' not in out and "\u202e" not in out and "\x1b" not in out


@pytest.mark.parametrize("text", DANGEROUS + ["plain", "Zürich", "\U0001f600", "\\u202e literal"])
def test_json_keeps_values_exactly_and_prints_safely(text: str) -> None:
    doc = {"v": text, "list": [text, 1, None]}
    for out in (json_dumps(doc), json_dumps(doc, indent=None, separators=(",", ":"))):
        assert json.loads(out) == doc
        assert out.replace("\n", "").isprintable()
        out.encode("utf-8")  # a lone surrogate would make this (and writing to stdout) fail
