"""The one place where mailcert writes files.

Every command that changes the disk (``cert``, ``address set``, later ``acme`` and ``deploy``)
goes through here, so the promises hold everywhere at once:

* **Atomic.**  Data goes to a temporary file in the target's own directory, is fsynced and
  renamed over the target, then the directory is fsynced.  A reader (Dovecot reloading, a
  crash, a full disk) sees the old file or the new one, never half of one.
* **Never readable by others, not even for a moment.**  The temporary file is created with
  ``os.open(..., mode)`` and then ``fchmod``-ed to the exact mode, so a private key is 0600
  from its first byte whatever the umask (umask 000 included) and a certificate is exactly
  0644 even under umask 077.
* **Nothing is lost.**  An existing target is kept as ``NAME.mailcert-bak-YYYYMMDDTHHMMSS``
  (a hard link to the old inode where the file system allows it, so its mode and owner stay).
  Only the newest few backups of each file are kept (:func:`set_keep_backups`, default
  :data:`DEFAULT_KEEP_BACKUPS`): a renewal twice a month would otherwise pile up hundreds of
  old keys next to the live one.
* **All or nothing.**  :func:`write_files` stages every file first and renames only when all
  are staged; if a rename still fails, the ones already renamed are put back.

Failures raise :class:`~mailcert.errors.OperationError` with one line naming the path.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import shutil
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from mailcert.errors import OperationError

__all__ = [
    "BACKUP_MARK",
    "DEFAULT_KEEP_BACKUPS",
    "CERT_MODE",
    "KEY_MODE",
    "PlannedFile",
    "backup_name",
    "ensure_dir",
    "prune_backups",
    "set_keep_backups",
    "write_atomic",
    "write_files",
    "write_private_key",
]

KEY_MODE = 0o600
CERT_MODE = 0o644
BACKUP_MARK = ".mailcert-bak-"
DEFAULT_KEEP_BACKUPS = 5
"""Backups kept per file: enough to go back a few renewals, few enough not to pile up."""

_keep_backups = DEFAULT_KEEP_BACKUPS
_BACKUP_STAMP = re.compile(r"\d{8}T\d{6}(?:-\d+)?")

Owner = tuple[int, int]
"""``(uid, gid)`` for ``os.fchown``; -1 leaves that one unchanged."""


@dataclass(frozen=True)
class PlannedFile:
    """One file to write: where, what, with which mode (and owner, if not the caller's)."""

    path: Path
    data: bytes
    mode: int
    owner: Owner | None = None


def backup_name(path: Path, now: datetime) -> Path:
    """The backup path for ``path`` at ``now``; a counter is added if that second is taken."""
    stamp = now.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%S")
    base = f"{path.name}{BACKUP_MARK}{stamp}"
    try:
        taken = [n[len(base):] for n in os.listdir(path.parent) if n.startswith(base)]
    except OSError:
        taken = []
    if "" not in taken and not any(t.startswith("-") for t in taken):
        return path.with_name(base)
    # above every counter in use, never in a gap that pruning left: names must sort by age
    counters = [int(t[1:]) for t in taken if t[1:].isdigit() and t.startswith("-")]
    n = max(counters, default=0) + 1
    while os.path.lexists(path.with_name(f"{base}-{n}")):
        n += 1
    return path.with_name(f"{base}-{n}")


def set_keep_backups(keep: int) -> None:
    """How many backups of each file to keep from now on (0: keep them all).  The CLI sets it
    once from ``$MAILCERT_KEEP_BACKUPS``; a library caller may set it the same way."""
    global _keep_backups
    if keep < 0:
        raise ValueError("the number of backups to keep cannot be negative")
    _keep_backups = keep


def prune_backups(path: Path, keep: int | None = None, *, spare: Path | None = None) -> list[Path]:
    """Remove all but the ``keep`` newest backups of ``path`` (names as :func:`backup_name`
    makes them, which sort by time); return what was removed.  Only names of exactly that
    form are touched, ``spare`` (the backup just made) never, and a backup that cannot be
    removed is left for next time: pruning never fails a write."""
    keep = _keep_backups if keep is None else keep
    if keep <= 0:
        return []
    prefix = path.name + BACKUP_MARK
    try:
        names = [n for n in os.listdir(path.parent) if n.startswith(prefix) and _BACKUP_STAMP.fullmatch(n[len(prefix):])]
    except OSError:
        return []
    # "T123456" sorts before "T123456-1": a counter marks a later backup in the same second
    names.sort(key=lambda n: (n[len(prefix):len(prefix) + 15], int(n[len(prefix) + 16:] or 0)))
    removed = []
    for name in names[:-keep]:
        old = path.parent / name
        if spare is not None and old == spare:
            continue
        with contextlib.suppress(OSError):
            os.unlink(old)  # a link is removed, never what it points to
            removed.append(old)
    return removed


def ensure_dir(path: str | os.PathLike[str], *, mode: int = 0o700) -> Path:
    """Create ``path`` (and parents) if missing; new directories get ``mode`` exactly.

    0700 by default because the directories mailcert creates hold private keys.  An existing
    directory is left as it is: its mode is the administrator's choice.
    """
    p = Path(path)
    if p.is_dir():
        return p
    if os.path.lexists(p):
        raise OperationError(f"cannot use {p} as a directory: a file of that name is in the way")
    try:
        p.mkdir(parents=True, mode=mode)
        os.chmod(p, mode)  # mkdir's mode is filtered by the umask
    except FileExistsError:
        if not p.is_dir():
            raise OperationError(f"cannot use {p} as a directory: a file of that name is in the way") from None
    except OSError as exc:
        raise OperationError(f"cannot create directory {p}: {_why(exc)}") from None
    return p


def write_atomic(
    path: str | os.PathLike[str],
    data: bytes,
    *,
    mode: int,
    owner: Owner | None = None,
    backup: bool = True,
    now: datetime | None = None,
) -> Path | None:
    """Write ``data`` to ``path`` atomically with exactly ``mode``; return the backup's path.

    Returns None when there was nothing to back up (or ``backup=False``).  ``now`` names the
    backup; it defaults to the current time because the clock only matters for the name.
    """
    return write_files([PlannedFile(Path(path), data, mode, owner)], backup=backup, now=now)[0]


def write_private_key(
    path: str | os.PathLike[str],
    data: bytes,
    *,
    owner: Owner | None = None,
    backup: bool = True,
    now: datetime | None = None,
) -> Path | None:
    """:func:`write_atomic` with mode 0600: the only mode mailcert ever gives a private key."""
    return write_atomic(path, data, mode=KEY_MODE, owner=owner, backup=backup, now=now)


def write_files(
    files: Sequence[PlannedFile],
    *,
    backup: bool = True,
    now: datetime | None = None,
) -> list[Path | None]:
    """Write several files as one change: every file or none of them.

    All temporary files are written and fsynced before the first rename, so the common
    failures (permission denied, disk full, a directory in the way) leave the disk as it
    was.  Returns, for each file in order, the path of its backup or None.
    """
    when = now or datetime.now(timezone.utc)
    staged: list[tuple[PlannedFile, Path]] = []
    try:
        for f in files:
            _refuse_non_regular(f.path)
            staged.append((f, _stage(f)))
    except BaseException:
        for _, tmp in staged:
            _unlink_quietly(tmp)
        raise

    done: list[tuple[PlannedFile, Path | None]] = []
    try:
        for f, tmp in staged:
            saved = _backup(f.path, when) if backup else None
            try:
                os.replace(tmp, f.path)
            except OSError as exc:
                if saved is not None:
                    _unlink_quietly(saved)
                raise OperationError(f"cannot write {f.path}: {_why(exc)}") from None
            done.append((f, saved))
    except BaseException:
        _roll_back(done)
        for _, tmp in staged:
            _unlink_quietly(tmp)
        raise
    for directory in {f.path.parent for f in files}:
        _fsync_dir(directory)
    for f, saved in done:
        if saved is not None:
            prune_backups(f.path, spare=saved)
    return [saved for _, saved in done]


def _refuse_non_regular(path: Path) -> None:
    """A directory, socket or dangling symlink at the target is a mistake, not something to replace."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise OperationError(f"cannot write {path}: {_why(exc)}") from None
    if stat.S_ISLNK(st.st_mode):
        # Replacing a symlink would silently cut the link an administrator made on purpose.
        raise OperationError(f"cannot write {path}: it is a symbolic link; write to its target instead")
    if not stat.S_ISREG(st.st_mode):
        raise OperationError(f"cannot write {path}: something that is not a regular file is in the way")


def _stage(f: PlannedFile) -> Path:
    """Write ``f`` to a fresh temporary file beside its target; return the temporary path."""
    directory = f.path.parent
    if not directory.is_dir():
        raise OperationError(f"cannot write {f.path}: directory {directory} does not exist")
    for n in range(100):
        tmp = directory / f".{f.path.name}.mailcert-tmp-{os.getpid()}-{n}"
        try:
            # O_EXCL|O_NOFOLLOW: never write through a link someone planted at the temp name.
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, f.mode & 0o777)
        except FileExistsError:
            continue
        except OSError as exc:
            raise OperationError(f"cannot write {f.path}: {_why(exc)}") from None
        break
    else:
        raise OperationError(f"cannot write {f.path}: too many stale temporary files in {directory}")
    try:
        try:
            os.fchmod(fd, f.mode)  # the umask may have removed bits; make the mode exact
            if f.owner is not None:
                os.fchown(fd, *f.owner)
            view = memoryview(f.data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as exc:
        _unlink_quietly(tmp)
        raise OperationError(f"cannot write {f.path}: {_why(exc)}") from None
    return tmp


def _backup(path: Path, now: datetime) -> Path | None:
    """Keep the current ``path`` under its backup name; None if there is no current file."""
    if not os.path.lexists(path):
        return None
    target = backup_name(path, now)
    try:
        os.link(path, target)
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.EXDEV, errno.EMLINK, errno.ENOTSUP, errno.EOPNOTSUPP):
            raise OperationError(f"cannot back up {path}: {_why(exc)}") from None
        try:
            shutil.copy2(path, target)
        except OSError as exc2:
            raise OperationError(f"cannot back up {path}: {_why(exc2)}") from None
    return target


def _roll_back(done: Sequence[tuple[PlannedFile, Path | None]]) -> None:
    """Undo renames already made: restore each backup, or remove a file that was new."""
    for f, saved in reversed(done):
        with contextlib.suppress(OSError):
            if saved is not None:
                os.replace(saved, f.path)
            else:
                os.unlink(f.path)


def _fsync_dir(directory: Path) -> None:
    """Make the renames durable; some file systems cannot fsync a directory, which is fine."""
    try:
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)


def _unlink_quietly(path: Path) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)


def _why(exc: OSError) -> str:
    return exc.strerror or str(exc)

