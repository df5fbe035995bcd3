"""Reading the files a user names (certificates, keys, chains, CA bundles, targets lists): one
opener, one set of one-line errors.  Kept apart from ``fsutil`` (which writes) so that
``mailcert check`` does not import the writing machinery just to read a --cafile.

A name on the command line may point at anything: a named pipe (reading it waits forever for a
writer), a device (``/dev/zero`` never ends, a tape rewinds), a directory, or a file far larger
than any certificate.  So every input is opened with ``O_NONBLOCK`` (opening a FIFO then returns
at once instead of waiting for a writer), checked with ``fstat`` on the descriptor actually
opened (no window between a check and the open for someone to swap the file), refused unless it
is a regular file, and read only up to a size cap.
"""

from __future__ import annotations

import io
import os
import stat

from mailcert.errors import InputError

__all__ = ["MAX_INPUT_BYTES", "MAX_LIST_BYTES", "open_input", "open_text_input", "read_input"]


MAX_INPUT_BYTES = 2 * 1024 * 1024
"""Largest certificate, key or chain file read: a chain of ten 4096-bit certificates is 30 kB,
so anything near this is the wrong file, and reading it whole could exhaust memory."""

MAX_LIST_BYTES = 1024 * 1024 * 1024
"""Largest targets list: read line by line, so memory is not the limit; 1 GiB is some
20 million targets, past which it is surely not a targets file."""


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def open_input(path: str | os.PathLike[str], *, limit: int | None = MAX_INPUT_BYTES, what: str = "certificate or key") -> int:
    """Open a file the user named for reading; return the descriptor (the caller closes it).

    One line that says why for a missing file, a directory, a FIFO, a device, a socket or a
    file over ``limit`` bytes; never blocks.
    """
    p = os.fspath(path)  # os.path, not pathlib: this is on check's start-up path
    try:
        fd = os.open(p, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    except FileNotFoundError:
        raise InputError(f"{p}: no such file") from None
    except PermissionError:
        raise InputError(f"{p}: permission denied") from None
    except OSError as exc:
        raise InputError(f"{p}: cannot read ({exc.strerror or exc})") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            hint = f"; give the {what} file inside it" if stat.S_ISDIR(st.st_mode) else f"; give a regular {what} file"
            raise InputError(f"{p} is {_kind(st.st_mode)}, not a file{hint}")
        if limit is not None and st.st_size > limit:
            raise InputError(f"{p} is {_size(st.st_size)}; a {what} file is far smaller (is it the right file?)")
        os.set_blocking(fd, True)  # a regular file: reads never wait anyway; plain semantics for the caller
    except BaseException:
        os.close(fd)
        raise
    return fd


def read_input(path: str | os.PathLike[str], *, limit: int = MAX_INPUT_BYTES, what: str = "certificate or key") -> bytes:
    """Read a small input file the user named, or fail with one line that says why.

    The one reader for certificates, keys, chains and CA bundles (``inspect``, ``check
    --cafile``, ``cert``, ``deploy``, ``scan --cafile``), so a missing file, a directory, a
    FIFO or a huge file reads the same everywhere.
    """
    p = os.fspath(path)
    fd = open_input(p, limit=limit, what=what)
    try:
        with open(fd, "rb", closefd=False) as f:
            data = f.read(limit + 1)
    except OSError as exc:
        raise InputError(f"{p}: cannot read ({exc.strerror or exc})") from None
    finally:
        os.close(fd)
    if len(data) > limit:  # it grew after fstat: still refused, and never read whole
        raise InputError(f"{p} is over {_size(limit)}; a {what} file is far smaller (is it the right file?)")
    return data


def open_text_input(path: str | os.PathLike[str], *, limit: int | None = MAX_LIST_BYTES, what: str = "targets") -> io.TextIOWrapper:
    """A text stream on a file the user named (UTF-8, undecodable bytes replaced), with the
    checks of :func:`open_input`: for lists read line by line, such as a scan's targets."""
    fd = open_input(path, limit=limit, what=what)
    return open(fd, encoding="utf-8", errors="replace")


def _size(n: int) -> str:
    return f"{n // (1024 * 1024)} MiB" if n >= 1024 * 1024 else f"{n // 1024} KiB"
