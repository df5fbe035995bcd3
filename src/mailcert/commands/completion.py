"""``mailcert completion bash|zsh``: the shell completion script, generated from the parser."""

from __future__ import annotations

import argparse
from typing import Any

from mailcert.commands import _clidocs
from mailcert.commands._common import emit

__all__ = ["register", "run"]


def register(sub: Any) -> None:
    p = sub.add_parser(
        "completion",
        help="print the bash or zsh completion script",
        description=(
            "Print the completion script for SHELL, generated from mailcert's own argument parser."
            " bash: eval \"$(mailcert completion bash)\" in ~/.bashrc, or save it as"
            " /usr/share/bash-completion/completions/mailcert. zsh: save it as _mailcert in a"
            " directory of $fpath (before compinit)."
        ),
    )
    p.add_argument("shell", choices=["bash", "zsh"], metavar="SHELL", help="bash or zsh")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    # the whole command line, every command registered: the CLI hands its parser builder in
    root = _clidocs.command_tree(args.build_parser())
    emit(_clidocs.bash_script(root) if args.shell == "bash" else _clidocs.zsh_script(root))
    return 0
