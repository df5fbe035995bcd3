"""Reading the small files a user names (certificates, keys, chains): one reader, one set of
one-line errors.  Kept apart from ``fsutil`` (which writes) so that ``mailcert check`` does
not import the writing machinery just to read a --cafile.
"""

from __future__ import annotations

import os

from mailcert.errors import InputError

__all__ = ["MAX_INPUT_BYTES", "read_input"]


MAX_INPUT_BYTES = 2 * 1024 * 1024
"""Largest certificate, key or chain file read: a chain of ten 4096-bit certificates is 30 kB,
so anything near this is the wrong file, and reading it whole could exhaust memory."""


def read_input(path: str | os.PathLike[str], *, limit: int = MAX_INPUT_BYTES, what: str = "certificate or key") -> bytes:
    """Read a small input file the user named, or fail with one line that says why.

    The one reader for certificates, keys and chains (``inspect``, ``cert``, ``deploy``), so a
    missing file, a directory or a huge file reads the same everywhere.
    """
    p = os.fspath(path)  # os.path, not pathlib: this is on check's start-up path
    try:
        if os.path.isdir(p):
            raise InputError(f"{p} is a directory; give the {what} file inside it")
        size = os.stat(p).st_size
        if size > limit:
            raise InputError(f"{p} is {size // 1024} KiB; a {what} file is far smaller (is it the right file?)")
        with open(p, "rb") as f:
            return f.read(limit + 1)
    except FileNotFoundError:
        raise InputError(f"{p}: no such file") from None
    except PermissionError:
        raise InputError(f"{p}: permission denied") from None
    except OSError as exc:
        raise InputError(f"{p}: cannot read ({exc.strerror or exc})") from None
