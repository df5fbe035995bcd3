"""``python -m mailcert.cli_docs DIR``: write the completion scripts and the man page into DIR.

The generators live in :mod:`mailcert.commands._clidocs`, below the CLI, and are handed the
parser; this module sits above the CLI, builds mailcert's whole parser and hands it over (so
``mailcert completion`` and this tool write the same text without an import cycle).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mailcert.cli import build_parser
from mailcert.commands import _clidocs
from mailcert.commands._clidocs import FILES, Command, Option

__all__ = ["Command", "Option", "FILES", "command_tree", "bash_script", "zsh_script", "man_page", "write_all"]


def command_tree(parser: argparse.ArgumentParser | None = None) -> Command:
    """mailcert's parser (every command registered), or ``parser``, as plain values."""
    return _clidocs.command_tree(parser or build_parser())


def bash_script(root: Command | None = None) -> str:
    return _clidocs.bash_script(root or command_tree())


def zsh_script(root: Command | None = None) -> str:
    return _clidocs.zsh_script(root or command_tree())


def man_page(root: Command | None = None) -> str:
    return _clidocs.man_page(root or command_tree())


def write_all(directory: Path) -> list[Path]:
    """Write every generated file under ``directory``; return their paths."""
    return _clidocs.write_all(directory, command_tree())


if __name__ == "__main__":
    for written in write_all(Path(sys.argv[1] if len(sys.argv) > 1 else "contrib")):
        print(written)
