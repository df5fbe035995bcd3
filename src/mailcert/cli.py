"""The command line: parse, call the library, render.  Nothing else lives here.

Every failure ends in one line on stderr and an exit status (3 = UNKNOWN by default);
``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import importlib
import os
import re
import sys
import warnings
from collections.abc import Iterator, Sequence
from typing import Any

from mailcert import commands
from mailcert._version import __version__
from mailcert.commands._common import in_flags
from mailcert.errors import MailcertError
from mailcert.textsafe import is_env_name, terminal

__all__ = ["main", "run", "build_parser"]


class _Formatter(argparse.HelpFormatter):
    """argparse's formatter, told the width up front: otherwise it imports shutil to ask, on
    every ``mailcert check`` run (a monitoring system runs it every few minutes)."""

    def __init__(self, prog: str, **kwargs: Any) -> None:
        kwargs.setdefault("width", _columns() - 2)
        super().__init__(prog, **kwargs)


def _columns() -> int:
    try:
        return int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        pass
    try:
        return os.get_terminal_size(sys.__stderr__.fileno() if sys.__stderr__ else 2).columns
    except (OSError, ValueError, AttributeError):
        return 80


class _Parser(argparse.ArgumentParser):
    """argparse exits 2 on bad usage; for a monitoring plugin 2 means CRITICAL, so use 3.

    Every parser (the top one and each sub-command's: argparse makes them with this class)
    takes ``--debug``, because every error says "run with --debug" and the administrator adds
    it at the end of the command they just ran.  Its default is SUPPRESS so that a
    sub-command's parser does not reset a ``--debug`` given before the sub-command.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _Formatter)
        # no prefix matching: "--passw=S3CRET" must not become "--password-env S3CRET", and a
        # flag added later must not silently change what an old abbreviation meant
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)
        self.add_argument(
            "--debug", action="store_true", default=argparse.SUPPRESS,
            help="show tracebacks instead of one-line errors (before or after the sub-command)",
        )

    def error(self, message: str) -> None:  # type: ignore[override]
        message = _without_values(message)
        raise _UsageError(f"{self.prog}: error: {message}", message)


_SECRET_WORDS = ("pass", "secret", "token", "pwd", "pin")


def _without_values(message: str) -> str:
    """argparse's complaint without the values it would echo where a secret may be one.

    Unknown arguments are named by their option only (``--passw=…``): what follows ``=`` or
    stands alone may be the password someone meant to give (mailcert never takes one on the
    command line, so it is at best a mistake, at worst now in the terminal's scrollback).
    """
    unknown = "unrecognized arguments: "
    if message.startswith(unknown):
        words = message[len(unknown) :].split()
        shown = [w.split("=", 1)[0] + ("=…" if "=" in w else "") for w in words if w.startswith("-")]
        hidden = len(words) - len(shown)
        tail = f" and {hidden} value{'s' if hidden != 1 else ''} (not repeated)" if hidden else ""
        if not shown:
            return unknown + f"{hidden} extra word{'s' if hidden != 1 else ''} (not repeated)"
        return unknown + " ".join(shown) + tail
    return re.sub(r"(--?[\w-]+)=\S+", r"\1=…", message)


def _redact(message: str, argv: Sequence[str]) -> str:
    """``message`` with every value given to an option named like a secret replaced by ``…``
    (``--password-env Hunter2secret``: a value where a name belongs may be the secret)."""
    secrets: list[str] = []
    for i, word in enumerate(argv):
        if not word.startswith("-"):
            continue
        name, eq, value = word.partition("=")
        if any(s in name.lower() for s in _SECRET_WORDS):
            if eq:
                secrets.append(value)
            elif i + 1 < len(argv):
                secrets.append(argv[i + 1])
    for value in sorted((v for v in secrets if v and not is_env_name(v)), key=len, reverse=True):
        message = message.replace(value, "…")
    return message


class _UsageError(Exception):
    """A command line argparse cannot use; ``main`` reports it (also as a Nagios line when asked)."""


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser of every installed command (modules in ``mailcert.commands``).

    ``only`` registers just that command: a monitoring system runs ``mailcert check`` every
    few minutes, and importing every other command's module would cost it start-up time.
    """
    parser = _Parser(
        prog="mailcert",
        description=(
            "Tells which of your users' mail clients will refuse your mail server's TLS"
            " certificate, why, in the client's own words, and fixes it."
        ),
    )
    parser.add_argument("--version", action="version", version=f"mailcert {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in commands.COMMANDS:
        if only is None or name == only:
            importlib.import_module(f"mailcert.commands.{name}").register(sub)
    # a command that describes the whole command line (completion) is handed the builder:
    # commands sit below the CLI and do not import it
    parser.set_defaults(build_parser=build_parser)
    return parser


def main(argv: Sequence[str] | None = None, *, exits_after: bool = False) -> int:
    """Run mailcert with ``argv`` and return the exit status (never raises for bad input).

    ``exits_after``: the process ends when this returns (the ``mailcert`` command itself), so
    what start-up built (the command's modules, classes and tables) is frozen out of the
    garbage collector's sight (``gc.freeze``): no later collection, nor the one at interpreter
    exit, walks those objects again.  An in-process caller leaves it False and keeps its
    collector as it was.
    """
    _quiet_certificate_warnings()
    args_list = list(sys.argv[1:] if argv is None else argv)
    with _startup(freeze=exits_after):
        parser = build_parser(_command_word(args_list))
    try:
        args = parser.parse_args(args_list)
    except _UsageError as exc:
        return _fail(_redact(exc.args[0], args_list), 3, nagios=_nagios_asked(args_list), why=_redact(exc.args[1], args_list))
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 3
    debug = bool(getattr(args, "debug", False))
    nagios = getattr(args, "format", None) == "nagios"
    try:
        _backup_policy(os.environ)
        return int(args.func(args))
    except MailcertError as exc:
        if debug:
            raise
        said = _redact(in_flags(exc), args_list)
        return _fail(f"mailcert: error: {said}", exc.exit_status, nagios=nagios, why=said)
    except KeyboardInterrupt:
        print("mailcert: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # noqa: BLE001 - the promise is one line, never a traceback
        if debug:
            raise
        message = _redact(f"mailcert: internal error: {type(exc).__name__}: {exc} (run with --debug for details)", args_list)
        return _fail(message, 3, nagios=nagios, why=message.removeprefix("mailcert: "))


@contextlib.contextmanager
def _startup(*, freeze: bool) -> Iterator[None]:
    """Start-up (the command's modules, classes and tables) without the cyclic garbage
    collector: what it allocates lives until the process ends, and the collector, triggered by
    the allocations themselves, would only walk it again and again.  ``freeze``: the process
    ends with the command, so those objects are moved out of every later collection's way
    (``gc.freeze``, the one at interpreter exit included).  Together about 6% of ``mailcert
    check``'s instructions.  The collector is restored, whatever happens."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
        if freeze:
            gc.freeze()
    finally:
        if was_enabled:
            gc.enable()


def _backup_policy(env: os._Environ[str] | dict[str, str]) -> None:
    """``$MAILCERT_KEEP_BACKUPS``: how many ``*.mailcert-bak-*`` of each file to keep (0: all)."""
    value = env.get("MAILCERT_KEEP_BACKUPS")
    if value is None:
        return  # the default; and `check` need not load the file-writing module at all
    if not value.strip().isdigit():
        raise MailcertError(f"MAILCERT_KEEP_BACKUPS={value!r}: give a number of backups to keep (0: keep all)")
    from mailcert.fsutil import set_keep_backups  # lazy: the file-writing module, which check never needs

    set_keep_backups(int(value))


def _fail(message: str, status: int, *, nagios: bool, why: str) -> int:
    """The one line ``message`` on standard error; with ``--format nagios`` also the plugin line
    (``why``) on standard output (Nagios shows only that, as "(null)" when it is empty), and
    status UNKNOWN."""
    print(terminal(message), file=sys.stderr)  # outside text in it is shown, never obeyed
    if not nagios:
        return status
    from mailcert.report.nagios import unknown_line  # lazy: only --format nagios renders a plugin line

    sys.stdout.write(unknown_line(why))
    sys.stdout.flush()
    return 3


def _nagios_asked(argv: list[str]) -> bool:
    """``--format nagios`` (or ``--format=nagios``) somewhere in a command line argparse refused."""
    return "--format=nagios" in argv or any(a == "--format" and b == "nagios" for a, b in zip(argv, argv[1:]))


def _quiet_certificate_warnings() -> None:
    """cryptography warns on stderr each time it reads a name attribute longer than X.520
    allows (a CN over 64 characters): the certificate's fault, not the administrator's, and
    the warnings break the one-line promise.  What the certificate holds is reported anyway."""
    warnings.filterwarnings("ignore", message="Attribute's length must be", category=UserWarning)


def _command_word(argv: list[str]) -> str | None:
    """The sub-command named in ``argv`` when it is unambiguous (else None: build them all)."""
    for word in argv:
        if word in ("-h", "--help", "--version"):
            return None
        if not word.startswith("-"):
            return word if word in commands.COMMANDS else None
    return None


def run() -> None:
    """Console-script entry point."""
    sys.exit(main(exits_after=True))
