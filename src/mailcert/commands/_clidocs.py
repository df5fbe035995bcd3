"""Shell completion (bash, zsh) and the man page, generated from the argparse parser itself.

The parser is the one description of the command line, so completion and the manual cannot
drift from it: :func:`command_tree` reads it into plain values once, and each generator writes
its format from those.  ``mailcert completion bash|zsh`` prints a script; ``python -m
mailcert.cli_docs DIR`` writes all three files into DIR (:mod:`mailcert.cli_docs` builds the
parser and calls this module, which sits below the CLI and is handed the parser) (``contrib/`` holds the committed
copies packagers install, and a test keeps them equal to what this module generates).

Completion knows sub-commands (also nested: ``cert new``), each command's options, the
choices of options and positionals (``--format``, ``deploy dovecot|postfix``), client ids for
``--client`` (the profile table), and completes file names where a FILE or DIR is expected.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from mailcert._version import __version__
from mailcert.names.profiles import PROFILES

__all__ = ["Command", "Option", "command_tree", "bash_script", "zsh_script", "man_page", "write_all"]

_FILE_METAVARS = re.compile(r"FILE|DIR|CERT|ISSUED|KEY|PATH|CHAIN|CSR")
"""Metavars whose values are file or directory names (FILE, FILE|-, DIR, CERT, ...)."""


@dataclass(frozen=True)
class Option:
    """One option (or positional, when ``flags`` is empty) of one command."""

    flags: tuple[str, ...]
    metavar: str | None  # None: a flag that takes no value
    choices: tuple[str, ...]
    help: str
    files: bool  # its value is a file or directory name

    @property
    def takes_value(self) -> bool:
        return self.metavar is not None


@dataclass(frozen=True)
class Command:
    """A command path (``("mailcert", "cert", "new")``) with its words and what follows it."""

    path: tuple[str, ...]
    help: str
    description: str
    options: tuple[Option, ...]
    positionals: tuple[Option, ...]
    subcommands: tuple[Command, ...]

    def walk(self) -> Iterator[Command]:
        yield self
        for sub in self.subcommands:
            yield from sub.walk()

    @property
    def key(self) -> str:
        return " ".join(self.path)


def _value_words(metavar: str | None, choices: object) -> tuple[str, ...]:
    if choices:
        return tuple(str(c) for c in choices)  # type: ignore[attr-defined]
    if metavar == "ID":  # --client: the profile table is the list

        return tuple(PROFILES)
    return ()


def _option(action: argparse.Action) -> Option:
    takes = action.nargs != 0
    metavar = None
    if takes:
        metavar = action.metavar if isinstance(action.metavar, str) else (action.dest.upper() if action.option_strings else action.dest)
    files = bool(metavar and _FILE_METAVARS.search(metavar))
    return Option(tuple(action.option_strings), metavar, _value_words(metavar, action.choices), " ".join((action.help or "").split()), files)


def command_tree(parser: argparse.ArgumentParser, path: tuple[str, ...] = ("mailcert",), help_text: str = "") -> Command:
    """The parser (mailcert's, every command registered: passed in, as this module sits below
    the CLI that builds it) as plain values."""
    options, positionals, subs = [], [], []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {a.dest: a.help or "" for a in action._choices_actions}
            for name, sub in action.choices.items():
                subs.append(command_tree(sub, path + (name,), helps.get(name, "")))
        elif action.help == argparse.SUPPRESS:
            continue
        elif action.option_strings:
            options.append(_option(action))
        else:
            positionals.append(_option(action))
    return Command(path, " ".join(help_text.split()), " ".join((parser.description or "").split()), tuple(options), tuple(positionals), tuple(subs))


# --- bash and zsh: one table of words per command path, one small function -----------------


def _sh(text: str) -> str:
    """A single-quoted word for bash and zsh."""
    return "'" + text.replace("'", "'\\''") + "'"


def _tables(root: Command, *, helps: bool) -> list[tuple[str, str, str]]:
    """(array, key, value) for every command path: the words each shell's function reads."""
    rows = []
    for c in root.walk():
        k = c.key
        rows.append(("subs", k, " ".join(s.path[-1] for s in c.subcommands)))
        rows.append(("opts", k, " ".join(f for o in c.options for f in o.flags)))
        rows.append(("valopts", k, " ".join(f for o in c.options if o.takes_value for f in o.flags)))
        words = [w for p in c.positionals for w in p.choices]
        if words:
            rows.append(("poschoices", k, " ".join(words)))
        if any(p.files for p in c.positionals):
            rows.append(("posfiles", k, "1"))
        for o in c.options:
            for flag in o.flags:
                if o.choices:
                    rows.append(("choices", f"{k} {flag}", " ".join(o.choices)))
                if o.files:
                    rows.append(("files", f"{k} {flag}", "1"))
                if helps:
                    rows.append(("help", f"{k} {flag}", _zsh_desc(o.help)))
        if helps:
            rows.extend(("help", s.key, _zsh_desc(s.help)) for s in c.subcommands)
    return rows


def _zsh_desc(text: str) -> str:
    return text.replace("\\", "\\\\").replace(":", "\\:")


_ARRAYS = ("subs", "opts", "valopts", "choices", "files", "poschoices", "posfiles", "help")

_BASH = r'''
_mailcert() {
    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
    local path=mailcert w i skip=0
    for ((i = 1; i < COMP_CWORD; i++)); do
        w=${COMP_WORDS[i]}
        if ((skip)); then skip=0; continue; fi
        if [[ " ${_mailcert_valopts[$path]} " == *" $w "* ]]; then skip=1; continue; fi
        if [[ $w != -* && " ${_mailcert_subs[$path]} " == *" $w "* ]]; then path="$path $w"; fi
    done
    COMPREPLY=()
    if ((COMP_CWORD > 1)) && [[ " ${_mailcert_valopts[$path]} " == *" $prev "* ]]; then
        if [[ -n ${_mailcert_choices[$path $prev]} ]]; then
            COMPREPLY=($(compgen -W "${_mailcert_choices[$path $prev]}" -- "$cur"))
        elif [[ -n ${_mailcert_files[$path $prev]} ]]; then
            compopt -o filenames 2>/dev/null
            COMPREPLY=($(compgen -f -- "$cur"))
        fi
        return 0
    fi
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "${_mailcert_opts[$path]}" -- "$cur"))
        return 0
    fi
    COMPREPLY=($(compgen -W "${_mailcert_subs[$path]} ${_mailcert_poschoices[$path]}" -- "$cur"))
    if [[ -n ${_mailcert_posfiles[$path]} ]]; then
        compopt -o filenames 2>/dev/null
        COMPREPLY+=($(compgen -f -- "$cur"))
    fi
    return 0
}
complete -F _mailcert mailcert
'''

_ZSH = r'''
_mailcert() {
    local cmdpath=mailcert w i skip=0 o s
    for ((i = 2; i < CURRENT; i++)); do
        w=${words[i]}
        if ((skip)); then skip=0; continue; fi
        if [[ " ${_mailcert_valopts[$cmdpath]} " == *" $w "* ]]; then skip=1; continue; fi
        if [[ $w != -* && " ${_mailcert_subs[$cmdpath]} " == *" $w "* ]]; then cmdpath="$cmdpath $w"; fi
    done
    local prev=${words[CURRENT-1]} cur=${words[CURRENT]}
    if ((CURRENT > 2)) && [[ " ${_mailcert_valopts[$cmdpath]} " == *" $prev "* ]]; then
        if [[ -n ${_mailcert_choices[$cmdpath $prev]} ]]; then
            compadd -- ${=_mailcert_choices[$cmdpath $prev]}
        elif [[ -n ${_mailcert_files[$cmdpath $prev]} ]]; then
            _files
        else
            _message 'value'
        fi
        return
    fi
    local -a described
    if [[ $cur == -* ]]; then
        for o in ${=_mailcert_opts[$cmdpath]}; do described+=("$o:${_mailcert_help[$cmdpath $o]}"); done
        _describe -t options option described
        return
    fi
    for s in ${=_mailcert_subs[$cmdpath]}; do described+=("$s:${_mailcert_help[$cmdpath $s]}"); done
    (( ${#described} )) && _describe -t commands command described
    [[ -n ${_mailcert_poschoices[$cmdpath]} ]] && compadd -- ${=_mailcert_poschoices[$cmdpath]}
    [[ -n ${_mailcert_posfiles[$cmdpath]} ]] && _files
    return 0
}

if [[ ${funcstack[1]} == _mailcert ]]; then
    _mailcert "$@"
else
    compdef _mailcert mailcert
fi
'''


def _header(shell: str) -> str:
    return (
        f"# {shell} completion for mailcert {__version__}: generated from its argument parser by\n"
        f"# `mailcert completion {shell}` (mailcert.cli_docs); regenerate, do not edit.\n"
    )


def bash_script(root: Command) -> str:
    """Source it, or install it as ``/usr/share/bash-completion/completions/mailcert``."""
    decl = "declare -gA " + " ".join(f"_mailcert_{a}" for a in _ARRAYS if a != "help")
    rows = [f"_mailcert_{a}[{_sh(k)}]={_sh(v)}" for a, k, v in _tables(root, helps=False)]
    return _header("bash") + decl + "\n" + "\n".join(rows) + "\n" + _BASH


def zsh_script(root: Command) -> str:
    """Install as ``_mailcert`` in a directory of ``$fpath`` (or source it after compinit)."""
    decl = "typeset -gA " + " ".join(f"_mailcert_{a}" for a in _ARRAYS)
    # zsh keeps quotes that are part of a subscript (a['x y']=1 has the key 'x y' with quotes),
    # so its tables are filled with key/value pairs instead
    rows = [f"_mailcert_{a}+=({_sh(k)} {_sh(v)})" for a, k, v in _tables(root, helps=True)]
    return "#compdef mailcert\n" + _header("zsh") + decl + "\n" + "\n".join(rows) + "\n" + _ZSH


# --- the man page ------------------------------------------------------------------------


def _roff(text: str) -> str:
    """Text safe for roff: backslashes and hyphens escaped, no line starting a request."""
    out = text.replace("\\", "\\e").replace("-", "\\-")
    return "\\&" + out if out.startswith((".", "'")) else out


def _synopsis(c: Command) -> str:
    words = [f"\\fB{_roff(' '.join(c.path))}\\fR"]
    if c.subcommands:
        words.append("\\fICOMMAND\\fR ...")
    words += [f"\\fI{_roff(p.metavar or '')}\\fR" for p in c.positionals]
    if c.options:
        words.append("[\\fIOPTIONS\\fR]")
    return " ".join(w for w in words if w)


def man_page(root: Command) -> str:
    """mailcert(1) in man(7) macros; no date inside, so the build is reproducible."""
    out = [
        '.\\" generated from mailcert\'s argument parser by mailcert.cli_docs; regenerate, do not edit',
        f'.TH MAILCERT 1 "" "mailcert {_roff(__version__)}" "User Commands"',
        ".SH NAME",
        "mailcert \\- which of your users' mail clients will refuse your mail server's TLS certificate, why, and the fix",
        ".SH SYNOPSIS",
        "\\fBmailcert\\fR [\\fB\\-\\-debug\\fR] \\fICOMMAND\\fR [\\fIOPTIONS\\fR] [\\fIARGUMENTS\\fR]",
        ".SH DESCRIPTION",
        _roff(root.description),
        ".SH COMMANDS",
    ]
    for c in root.walk():
        if c is root or (c.subcommands and not c.options and not c.positionals):
            continue
        out += [f'.SS "{_roff(" ".join(c.path[1:]))}"', _synopsis(c), ".PP", _roff(c.description or c.help)]
        for o in c.positionals + c.options:
            if o.flags == ("-h", "--help"):
                continue
            name = ", ".join(f"\\fB{_roff(f)}\\fR" for f in o.flags) or f"\\fI{_roff(o.metavar or '')}\\fR"
            if o.flags and o.metavar:
                name += f" \\fI{_roff(o.metavar)}\\fR"
            text = o.help + (f" One of: {', '.join(o.choices)}." if o.choices and "{" not in o.help and ", ".join(o.choices) not in o.help else "")
            out += [".TP", name, _roff(text) or "\\&"]
    out += [
        ".SH EXIT STATUS",
        "\\fBinspect\\fR, \\fBcheck\\fR and \\fBscan\\fR follow the monitoring-plugin convention:",
        ".TP", "0", "OK",
        ".TP", "1", "WARNING: some client refuses, or the certificate expires within \\fB\\-\\-warn\\-days\\fR",
        ".TP", "2", "CRITICAL: every client refuses; expired, or expiring within \\fB\\-\\-critical\\-days\\fR; untrusted; revoked",
        ".TP", "3", "UNKNOWN: bad input, could not connect, handshake failed",
        ".PP",
        "Every failure is one line on standard error; \\fB\\-\\-debug\\fR shows the traceback.",
        ".SH SEE ALSO",
        "\\fBopenssl\\-s_client\\fR(1), \\fBcertbot\\fR(1), \\fBdovecot\\fR(1), \\fBpostfix\\fR(1);"
        " the JSON Schemas of the outputs in docs/schemas/ of the source.",
    ]
    return "\n".join(out) + "\n"


FILES = {"completion/mailcert.bash": bash_script, "completion/_mailcert": zsh_script, "man/mailcert.1": man_page}
"""What :func:`write_all` writes, relative to its directory (``contrib/`` in the source tree)."""


def write_all(directory: Path, root: Command) -> list[Path]:
    """Write every generated file of ``root`` under ``directory``; return their paths."""
    written = []
    for rel, make in FILES.items():
        path = directory / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(make(root), encoding="utf-8")
        written.append(path)
    return written

