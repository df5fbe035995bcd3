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
* **Nobody else can redirect it.**  Before writing into a directory, every directory on the way
  is checked (:func:`check_place`): a symbolic link is followed only when root, we, or (in a
  sticky world-writable directory, the kernel's ``fs.protected_symlinks`` rule) the directory's
  owner made it; a world-writable directory is used only when it is sticky and owned by root
  or by us (``/tmp``), and there an existing file of another user is not replaced (the
  ``fs.protected_regular`` rule).  Directories mailcert creates are 0755 (0700 where keys go)
  whatever the umask.  Files are opened ``O_NOFOLLOW`` (``O_EXCL`` when new).

Failures raise :class:`~mailcert.errors.OperationError` with one line naming the path.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TextIO

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


def ensure_dir(
    path: str | os.PathLike[str], *, mode: int = 0o700, parents_mode: int = 0o755, private: bool = False
) -> Path:
    """Create ``path`` (and parents) if missing, after :func:`check_place`; return it.

    New directories get exactly ``mode`` (0700 by default: the directories mailcert creates
    hold private keys) and missing parents ``parents_mode``, whatever the umask: under umask
    000 a parent made 0777 would let any user swap the key directory before a later deploy.
    An existing directory keeps its mode (the administrator's choice), unless ``private``
    (mailcert's own state): then one writable by others is tightened to ``mode`` when it is
    ours and refused when it is not.
    """
    p = Path(os.path.abspath(path))
    if private and p.is_dir() and not p.is_symlink():
        check_place(p.parent)
        _tighten(p, mode)  # before the check below, which would refuse it as it was
    check_place(p)
    if p.is_dir():
        return Path(path)
    if os.path.lexists(p):
        raise OperationError(f"cannot use {p} as a directory: a file of that name is in the way")
    missing: list[Path] = []
    cur = p
    while not os.path.lexists(cur):
        missing.append(cur)
        cur = cur.parent
    for d in reversed(missing):
        want = mode if d == p else parents_mode
        try:
            os.mkdir(d, want)
            os.chmod(d, want, follow_symlinks=False)  # mkdir's mode is filtered by the umask
        except FileExistsError:
            if not d.is_dir():
                raise OperationError(f"cannot use {d} as a directory: a file of that name is in the way") from None
        except OSError as exc:
            raise OperationError(f"cannot create directory {d}: {_why(exc)}") from None
    return Path(path)


def _tighten(directory: Path, mode: int) -> None:
    """A private directory others can write to: made ``mode`` when it is ours alone."""
    st = os.lstat(directory)
    if not st.st_mode & 0o022:
        return
    if st.st_uid != os.geteuid() or st.st_mode & stat.S_ISVTX:  # sticky: shared on purpose, like /tmp
        raise OperationError(
            f"refusing to use {directory}: it is writable by other users and owned by uid {st.st_uid};"
            f" make it {mode:04o} and yours, or choose another directory"
        )
    try:
        os.chmod(directory, mode)
    except OSError as exc:
        raise OperationError(f"cannot tighten {directory} to {mode:04o}: {_why(exc)}") from None


def check_place(path: str | os.PathLike[str]) -> None:
    """Refuse, with one line, a path another user could redirect or swap (see the module doc).

    Every component is looked at from ``/`` on; the part that does not exist yet is what we
    will create.  Symbolic links are followed (a link to ``/run`` made by root is fine) only
    when trusted by the kernel's own ``protected_symlinks`` rule or made by root or by us.
    """
    uid = os.geteuid()
    cur = "/"
    cur_st = os.stat(cur)
    parts = [part for part in os.path.abspath(path).split("/") if part not in ("", ".")]
    hops = 0
    while parts:
        part = parts.pop(0)
        nxt = os.path.join(cur, part)
        try:
            st = os.lstat(nxt)
        except FileNotFoundError:
            return
        except OSError as exc:
            raise OperationError(f"cannot use {path}: {nxt}: {_why(exc)}") from None
        if stat.S_ISLNK(st.st_mode):
            hops += 1
            if hops > 40 or not _link_trusted(st, cur_st, uid):
                raise OperationError(
                    f"refusing to follow {nxt}: a symbolic link owned by uid {st.st_uid} in {cur},"
                    " which other users can write to; give the real path"
                )
            target = os.readlink(nxt)
            if target.startswith("/"):
                cur, cur_st = "/", os.stat("/")
            parts = [x for x in target.split("/") if x not in ("", ".")] + parts
            continue
        if parts or stat.S_ISDIR(st.st_mode):
            _refuse_unsafe_dir(nxt, st, uid)
        if part == "..":
            cur = os.path.dirname(cur) or "/"
            cur_st = os.stat(cur)
        else:
            cur, cur_st = nxt, st


def _link_trusted(link: os.stat_result, parent: os.stat_result, uid: int) -> bool:
    """fs.protected_symlinks: in a sticky world-writable directory a link is followed only by
    its owner or when the directory's owner made it; elsewhere a link made by root or by us."""
    if link.st_uid in (0, uid):
        return True
    sticky_public = parent.st_mode & stat.S_ISVTX and parent.st_mode & stat.S_IWOTH
    if sticky_public:
        return link.st_uid == parent.st_uid
    return not parent.st_mode & 0o022 and parent.st_uid in (0, uid)


def _refuse_unsafe_dir(directory: str, st: os.stat_result, uid: int) -> None:
    """A directory any user can write to is safe only with the sticky bit and a trusted owner."""
    if not stat.S_ISDIR(st.st_mode) or not st.st_mode & stat.S_IWOTH:
        return
    if st.st_mode & stat.S_ISVTX and st.st_uid in (0, uid):
        return
    why = "not sticky" if not st.st_mode & stat.S_ISVTX else f"owned by uid {st.st_uid}"
    raise OperationError(
        f"refusing to write under {directory}: any user can write to it ({why}) and could swap"
        " what mailcert writes; use a directory only you (or root) can write to"
    )


def _refuse_foreign_file(path: Path, st: os.stat_result) -> None:
    """fs.protected_regular: in a world-writable directory, another user's file is theirs."""
    uid = os.geteuid()
    if st.st_uid in (0, uid):
        return
    dst = os.stat(path.parent)
    if dst.st_mode & stat.S_IWOTH:
        raise OperationError(
            f"refusing to replace {path}: it belongs to uid {st.st_uid} in the world-writable directory {path.parent}"
        )


def prepare_file(path: str | os.PathLike[str], *, mode: int = KEY_MODE) -> Path:
    """Make sure ``path`` is a regular file of ours that nobody can redirect, for a program that
    opens it by name itself (SQLite): an existing one is checked, a missing one is created
    empty with ``O_CREAT|O_EXCL|O_NOFOLLOW`` and exactly ``mode``."""
    p = Path(os.path.abspath(path))
    check_place(p.parent)
    try:
        st = os.lstat(p)
    except FileNotFoundError:
        try:
            fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, mode)
        except FileExistsError:
            return prepare_file(p, mode=mode)  # someone was faster: check theirs
        except OSError as exc:
            raise OperationError(f"cannot create {p}: {_why(exc)}") from None
        try:
            os.fchmod(fd, mode)
        finally:
            os.close(fd)
        return p
    _refuse_non_regular(p)
    _refuse_foreign_file(p, st)
    return p


def open_output(path: str | os.PathLike[str], *, mode: int = CERT_MODE) -> TextIO:
    """A text stream writing ``path`` from its start, for output written as it is produced
    (``scan --out``): never through a symbolic link, never another user's file in a
    world-writable directory; a new file is created ``O_EXCL`` with exactly ``mode``."""
    p = Path(os.path.abspath(path))
    check_place(p.parent)
    flags = os.O_WRONLY | os.O_NOFOLLOW | os.O_CLOEXEC
    try:
        st = os.lstat(p)
    except FileNotFoundError:
        st = None
    if st is not None:
        _refuse_non_regular(p)
        _refuse_foreign_file(p, st)
        flags |= os.O_TRUNC
    else:
        flags |= os.O_CREAT | os.O_EXCL
    try:
        fd = os.open(p, flags, mode)
    except OSError as exc:
        raise OperationError(f"cannot write {p}: {_why(exc)}") from None
    try:
        now = os.fstat(fd)
        if st is not None and (now.st_ino, now.st_dev) != (st.st_ino, st.st_dev):
            raise OperationError(f"cannot write {p}: it was replaced while being opened")
        if st is None:
            os.fchmod(fd, mode)
    except BaseException:
        os.close(fd)
        raise
    return open(fd, "w", encoding="utf-8")


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
            check_place(f.path.parent)
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
    _refuse_foreign_file(path, st)


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
        _copy_backup(path, target)
    return target


def _copy_backup(path: Path, target: Path) -> None:
    """The backup as a copy (no hard links across file systems): created ``O_EXCL|O_NOFOLLOW``
    (never through a link planted at the backup's name), 0600 until it has the original's
    mode and owner, so it is never more readable than the original, not even for a moment."""
    try:
        src = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError as exc:
        raise OperationError(f"cannot back up {path}: {_why(exc)}") from None
    try:
        st = os.fstat(src)
        try:
            dst = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        except OSError as exc:
            raise OperationError(f"cannot back up {path} as {target}: {_why(exc)}") from None
        try:
            os.fchmod(dst, 0o600)  # the umask cannot widen it, but be exact
            while chunk := os.read(src, 1024 * 1024):
                view = memoryview(chunk)
                while view:
                    view = view[os.write(dst, view):]
            with contextlib.suppress(PermissionError):
                os.fchown(dst, st.st_uid, st.st_gid)  # chown first: it may clear set-id bits
            os.fchmod(dst, stat.S_IMODE(st.st_mode))
            os.utime(dst, ns=(st.st_atime_ns, st.st_mtime_ns))
            os.fsync(dst)
        except OSError as exc:
            os.close(dst)
            _unlink_quietly(target)
            raise OperationError(f"cannot back up {path}: {_why(exc)}") from None
        os.close(dst)
    finally:
        os.close(src)


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

