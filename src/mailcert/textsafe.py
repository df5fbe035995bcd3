"""Text from outside, made safe for each place mailcert writes it.

Outside text is whatever mailcert did not write itself: certificate fields (subject, issuer,
SAN, CN), server banners and replies, DNS names, file names, targets read from a file, rows
read back from an inventory.  A hostile server or file controls all of it, so none of it may
reach an output as it is:

* a **terminal** interprets ESC sequences (colours, cursor moves, the window title, OSC 52
  clipboard writes), bidi controls reorder what the administrator reads (``U+202E`` turns
  ``moc.elpmaxe`` into ``example.com``), and a newline forges a line of our own ("Status: OK");
* a **Nagios** status line ends at the first newline and its performance data starts at the
  first ``|``;
* a **spreadsheet** runs a CSV cell that starts with ``=``, ``+``, ``-`` or ``@`` as a formula;
* **HTML** runs markup.

One function per output, every renderer calls them on every outside value, and each one
shows what it changed (``\\x1b``, ``\\u202e``) rather than dropping it: the administrator
should see that a certificate carries an escape sequence, not a cleaned-up name.

The rule for the terminal is Python's own :meth:`str.isprintable` (everything in the Unicode
categories Cc, Cf, Cs, Co, Cn, Zl, Zp and Zs except the plain space is escaped): it covers C0
and C1 controls, DEL, NUL, the bidi embeddings, overrides, isolates and marks, zero-width
characters, line and paragraph separators and lone surrogates (which would otherwise make
writing to a UTF-8 stream fail), and it stays right when Unicode adds characters.  A list of
known-bad characters would miss the next one.

This module is pure and sits at the bottom of the layers: anything may import it.
"""

from __future__ import annotations

import json as _json
import re as _re
from typing import Any, Final

__all__ = [
    "CSV_TRIGGERS",
    "NAGIOS_MAX",
    "csv_cell",
    "html_text",
    "is_env_name",
    "json_dumps",
    "nagios_text",
    "shorten",
    "terminal",
]

NAGIOS_MAX: Final = 1024
"""Longest outside value put into a Nagios line: Nagios keeps 4 KiB of plugin output (8 KiB
from Nagios 4), and the status, the target and the performance data must survive."""

CSV_TRIGGERS: Final = frozenset("=+-@\t\r\n\uff1d\uff0b\uff0d\uff20")
"""First characters that make a spreadsheet treat a cell as a formula (OWASP "CSV Injection":
``=``, ``+``, ``-``, ``@``, tab, CR; LF and the full-width forms because some spreadsheets
normalise them to the ASCII ones before deciding)."""


def _escape_char(ch: str) -> str:
    n = ord(ch)
    if n < 0x100:
        return f"\\x{n:02x}"
    if n < 0x10000:
        return f"\\u{n:04x}"
    return f"\\U{n:08x}"


def terminal(text: object, limit: int | None = None) -> str:
    """``text`` with every non-printable character shown as a visible escape, on one line.

    Newlines and tabs are escaped too: outside text never starts a line of its own, so it
    can never forge one of mailcert's lines.  ``limit`` caps the result (with ``…`` and
    the number of characters left out) for fields that can be megabytes long.
    """
    s = text if isinstance(text, str) else str(text)
    if not s.isprintable():  # the common case costs one C call
        s = "".join(ch if ch.isprintable() or ch == " " else _escape_char(ch) for ch in s)
    return shorten(s, limit)


def nagios_text(text: object, limit: int = NAGIOS_MAX) -> str:
    """Outside text for the text part of a Nagios status line: one line, no ``|``.

    ``|`` starts the performance data, so a subject holding ``| days_left=999`` would hand
    the monitoring system a forged metric; it is shown as ``\\x7c`` like any other escape.
    """
    return terminal(text, limit).replace("|", "\\x7c")


def csv_cell(text: object) -> str:
    """Outside text for a CSV cell: nothing invisible, and never read as a formula.

    OWASP's advice: a cell that begins with ``=``, ``+``, ``-``, ``@``, tab or CR gets a
    leading ``'`` so the spreadsheet shows it as text.  Leading spaces are looked through,
    because some spreadsheets strip them before deciding.  Quoting (``"`` and ``,``) is left
    to the :mod:`csv` writer.
    """
    s = text if isinstance(text, str) else str(text)
    first = s.lstrip(" ")[:1]
    if first and first in CSV_TRIGGERS:
        s = "'" + s
    return terminal(s)


def html_text(text: object) -> str:
    """Outside text for HTML element content or a quoted attribute: escaped, with invisible
    characters (bidi overrides included) shown as escapes, as in the terminal."""
    from html import escape  # only the HTML report needs it; check's start-up does not

    return escape(terminal(text), quote=True)


def json_dumps(doc: Any, *, indent: int | None = 2, separators: tuple[str, str] | None = None) -> str:
    """``doc`` as JSON, values exactly as they are, every character safe for a terminal.

    ``json.dumps(ensure_ascii=False)`` escapes C0 controls but writes C1 controls, bidi
    overrides and lone surrogates raw, so ``--format json`` on a terminal would still obey
    them (and a lone surrogate cannot be written to a UTF-8 stream at all).  Those are
    written as ``\\uXXXX`` escapes here: a JSON reader gets the very same strings, readable
    non-ASCII names stay readable.
    """
    out = _json.dumps(doc, indent=indent, separators=separators, ensure_ascii=False)
    # indent= puts newlines (and only newlines) between tokens; inside strings json.dumps
    # has already escaped everything below U+0020.
    if out.replace("\n", "").isprintable():
        return out
    return "".join(_json_char(ch) for ch in out)


def _json_char(ch: str) -> str:
    if ch.isprintable() or ch in " \n":
        return ch
    n = ord(ch)
    if n < 0x10000:
        return f"\\u{n:04x}"
    n -= 0x10000  # outside the BMP: a UTF-16 surrogate pair, as JSON requires
    return f"\\u{0xD800 + (n >> 10):04x}\\u{0xDC00 + (n & 0x3FF):04x}"


def shorten(s: str, limit: int | None) -> str:
    """``s`` cut to at most ``limit`` characters, saying how many were left out: for texts
    derived from outside values (a refusal's reason, a finding), whose source keeps them whole."""
    if limit is None or len(s) <= limit:
        return s
    cut = max(limit - 40, 1)
    return f"{s[:cut]}… ({len(s) - cut} more characters not shown)"


_ENV_NAME = _re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*")


def is_env_name(text: str) -> bool:
    """Whether ``text`` is written the way environment variable names are (``PFX_PASSWORD``):
    only such a value of a secret-related option is ever repeated in a message, because a
    value where a name belongs (``Hunter2secret``) may be the secret itself."""
    return _ENV_NAME.fullmatch(text) is not None
