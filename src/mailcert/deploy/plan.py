"""The plan: discovered configuration + the certificate to deploy -> files to write, settings to change.

Pure (STYLE rule 8): nothing here runs a command, opens a socket or writes a file.  The server
modules turn a live configuration into a :class:`Discovery`; the engine snapshots the target
files into :class:`FileState` values; :func:`make_plan` decides, and the same :class:`Plan` is
what a dry run prints and what ``apply`` executes, so the preview cannot drift from the
deed.

Two strategies, as certbot's installers know them:

* **in place** (default): write the new full chain and key to the files the configuration
  already names.  No setting changes, so nothing in the server's configuration can break;
  the old files are kept as backups.
* **install dir** (``PlanOptions.install_dir``): write ``DIR/fullchain.pem`` and ``DIR/key.pem`` and
  point the settings there; the configuration file is backed up and edited too.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from mailcert.deploy.bundle import CertBundle
from mailcert.errors import Remark
from mailcert.fsutil import CERT_MODE, KEY_MODE
from mailcert.model import Endpoint

__all__ = [
    "KEY_GROUP_MODE",
    "CertLocation",
    "ConfigFile",
    "Discovery",
    "FileChange",
    "FileState",
    "Listener",
    "Plan",
    "PlanOptions",
    "SettingChange",
    "make_plan",
    "set_setting",
    "target_paths",
]

KEY_GROUP_MODE = 0o640
"""A key the server's group may read (``--key-group``, or an existing key already set up so)."""

Syntax = Literal["dovecot", "postfix"]
Role = Literal["certificate", "key", "key+certificate", "config"]


@dataclass(frozen=True)
class CertLocation:
    """Where a server reads one certificate and its key, and the settings that say so.

    ``scope`` is "" for the server-wide setting, else where the override lives
    (``local 127.0.0.2``, ``master.cf 127.0.0.1:465``).  ``key_path == cert_path`` for a
    file holding both (Postfix's single-file ``smtpd_tls_chain_files``).  ``sni_names``: the
    server names this location serves instead of the server-wide one (Dovecot ``local_name``).
    """

    scope: str
    cert_path: Path | None
    key_path: Path | None
    settings: tuple[tuple[str, str], ...]
    sni_names: tuple[str, ...] = ()

    def describe(self) -> str:
        where = self.scope or "server-wide"
        shown = "; ".join(f"{k} = {v}" for k, v in self.settings)
        return f"{where}: {shown}"


@dataclass(frozen=True)
class Listener:
    """A TLS listener of the server, as the configuration declares it.

    ``own_certificate`` says why this listener serves another certificate than the
    server-wide one (an override the deploy leaves alone); such a listener is listed, and
    checked to be unchanged, but not expected to serve the new certificate.
    """

    endpoint: Endpoint
    service: str
    own_certificate: str | None = None

    @property
    def expects_new(self) -> bool:
        return self.own_certificate is None


@dataclass(frozen=True)
class ConfigFile:
    """A configuration file a setting change would edit, with its text, mode and owner."""

    path: Path
    text: str
    mode: int
    uid: int
    gid: int


@dataclass(frozen=True)
class Discovery:
    """What a server's running configuration says, in the terms :func:`make_plan` needs.

    ``install_template`` maps each setting that names the certificate files to its value
    with ``{cert}``/``{key}`` placeholders (``ssl_cert = <{cert}``); ``setting_files`` says
    which file holds each of them.  ``problems`` are reasons to refuse found while
    discovering (``ssl = no``...), ``notes`` things the administrator should know.
    """

    server: str
    version: str
    config: Path
    syntax: Syntax
    primary: CertLocation | None
    others: tuple[CertLocation, ...]
    listeners: tuple[Listener, ...]
    install_template: tuple[tuple[str, str], ...]
    setting_files: tuple[tuple[str, Path], ...]
    config_files: tuple[ConfigFile, ...] = ()
    problems: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class FileState:
    """A target file as found on disk before anything is written (the engine reads it).

    Only the digest of the content is kept: a key's bytes need not outlive the snapshot.
    ``dir_problem`` says why nothing can be written in its directory (or the nearest existing
    ancestor, when the directory is still to be created): read-only, immutable, a file in the way.
    For a symbolic link, ``sha256`` and ``leaf_sha256`` describe the file it leads to, unless
    ``link_problem`` says why the link is not followed.
    """

    path: Path
    kind: Literal["file", "symlink", "other", "missing"]
    parent_is_dir: bool = True
    dir_problem: str | None = None
    sha256: str | None = None
    mode: int | None = None
    uid: int | None = None
    gid: int | None = None
    leaf_sha256: str | None = None
    link_target: str | None = None
    link_problem: str | None = None

    @property
    def exists(self) -> bool:
        return self.kind != "missing"


@dataclass(frozen=True)
class PlanOptions:
    """How to install: in place, or into ``install_dir``; which group may read the key."""

    install_dir: Path | None = None
    key_gid: int | None = None


@dataclass(frozen=True)
class FileChange:
    """One file to write: new content, mode, owner, and what it replaces."""

    path: Path
    role: Role
    data: bytes = field(repr=False)
    mode: int
    owner: tuple[int, int] | None
    old: FileState
    new_leaf_sha256: str | None = None

    @property
    def new_sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass(frozen=True)
class SettingChange:
    """``name`` in ``file`` goes from ``old`` (None: not set there) to ``new``."""

    file: Path
    name: str
    old: str | None
    new: str


@dataclass(frozen=True)
class Plan:
    """Everything ``apply`` will do, and everything a dry run shows."""

    discovery: Discovery
    new_leaf_sha256: str
    writes: tuple[FileChange, ...]
    unchanged: tuple[Path, ...]
    settings: tuple[SettingChange, ...]
    diff: str
    problems: tuple[str, ...]

    @property
    def writes_nothing(self) -> bool:
        return not self.writes


def target_paths(discovery: Discovery, options: PlanOptions) -> tuple[Path, ...]:
    """The certificate and key files the plan will consider (the engine snapshots these)."""
    if options.install_dir is not None:
        return (options.install_dir / "fullchain.pem", options.install_dir / "key.pem")
    primary = discovery.primary
    if primary is None:
        return ()
    return tuple(dict.fromkeys(p for p in (primary.cert_path, primary.key_path) if p is not None))


def make_plan(
    discovery: Discovery,
    bundle: CertBundle,
    states: Mapping[Path, FileState],
    options: PlanOptions,
) -> Plan:
    """Decide what to write.  Refusals go into ``problems``; nothing is decided twice."""
    cert_path, key_path, problems = _where_to_install(discovery, options)
    writes: list[FileChange] = []
    unchanged: list[Path] = []
    settings: list[SettingChange] = []
    diff = ""
    if cert_path is not None and key_path is not None:
        writes, unchanged, file_problems = _file_writes(cert_path, key_path, bundle, states, options)
        problems.extend(file_problems)
        if options.install_dir is not None:
            config_writes, settings, diff, config_problems = _setting_edits(discovery, cert_path, key_path)
            writes.extend(config_writes)
            problems.extend(config_problems)
    return Plan(
        discovery=discovery,
        new_leaf_sha256=bundle.leaf_sha256,
        writes=tuple(writes),
        unchanged=tuple(unchanged),
        settings=tuple(settings),
        diff=diff,
        problems=tuple(dict.fromkeys(problems)),
    )


def _where_to_install(discovery: Discovery, options: PlanOptions) -> tuple[Path | None, Path | None, list[str]]:
    """The certificate and key files to write (the install directory's, else the ones the
    configuration names server-wide), or ``None`` and why not; with discovery's own problems."""
    problems = list(discovery.problems)
    if options.install_dir is not None:
        return options.install_dir / "fullchain.pem", options.install_dir / "key.pem", problems
    if discovery.primary is None:
        problems.append(Remark(
            f"{discovery.server} has no server-wide certificate configured to replace;"
            " give install_dir DIR to write one and set it", mentions=("install_dir",),
        ))
        return None, None, problems
    cert_path, key_path = discovery.primary.cert_path, discovery.primary.key_path
    if cert_path is None or key_path is None:
        missing = "certificate" if cert_path is None else "key"
        problems.append(Remark(
            f"{discovery.server}'s server-wide {missing} file is not configured;"
            " give install_dir DIR to write both and set them", mentions=("install_dir",),
        ))
        return None, None, problems
    return cert_path, key_path, problems


def _file_writes(
    cert_path: Path, key_path: Path, bundle: CertBundle, states: Mapping[Path, FileState], options: PlanOptions
) -> tuple[list[FileChange], list[Path], list[str]]:
    """Each target file as a change, as already right (unchanged), or as a reason to refuse.
    One file holding both key and certificate (Postfix's ``smtpd_tls_chain_files``) gets both."""
    files: list[tuple[Path, Role, bytes]]
    if cert_path == key_path:
        files = [(cert_path, "key+certificate", bundle.key_pem + bundle.fullchain_pem)]
    else:
        files = [(cert_path, "certificate", bundle.fullchain_pem), (key_path, "key", bundle.key_pem)]
    writes: list[FileChange] = []
    unchanged: list[Path] = []
    problems: list[str] = []
    for path, role, data in files:
        state = states.get(path) or FileState(path, "missing")
        if state.kind == "symlink":
            problem = _link_problem(state, role, data, bundle)
        else:
            problem = _target_problem(state, creating_dir=options.install_dir is not None)
        if problem:
            problems.append(problem)
            continue
        change = None if state.kind == "symlink" else _file_change(path, role, data, state, options, bundle.leaf_sha256)
        if change is None or _same(change, state):
            unchanged.append(path)  # a link that already leads to the new files, or the same file
        else:
            writes.append(change)
    return writes, unchanged, problems


def _link_problem(state: FileState, role: Role, data: bytes, bundle: CertBundle) -> str | None:
    """A configured file that is a symbolic link is never written: certbot's live/ files are
    links into archive/, and writing through one would corrupt certbot's bookkeeping, replacing
    it would cut it.  It is fine as it is when it already leads to the new certificate (certbot
    renewed and runs us as its deploy hook): then the server only needs a reload."""
    if state.link_problem:
        return f"{state.path} is a symbolic link (to {state.link_target}) that is not followed: {state.link_problem}"
    if role == "certificate":
        leads_to_new = state.leaf_sha256 == bundle.leaf_sha256
    else:
        leads_to_new = state.sha256 == hashlib.sha256(data).hexdigest()
    if leads_to_new:
        return None
    return Remark(
        f"{state.path} is a symbolic link (to {state.link_target}) that leads to another {role};"
        " deploy does not write through links: renew with the tool that owns the link, or give"
        " install_dir DIR to install elsewhere and point the configuration there", mentions=("install_dir",),
    )


def _target_problem(state: FileState, *, creating_dir: bool) -> str | None:
    if state.kind == "other":
        return f"{state.path} is not a regular file"
    if not state.parent_is_dir and not creating_dir:
        return f"directory {state.path.parent} does not exist"
    if state.dir_problem:
        return f"cannot write {state.path}: {state.dir_problem}"
    return None


def _file_change(
    path: Path,
    role: Role,
    data: bytes,
    state: FileState,
    options: PlanOptions,
    leaf_sha256: str,
) -> FileChange:
    holds_key = role != "certificate"
    if not holds_key:
        mode = CERT_MODE
    elif options.key_gid is not None:
        mode = KEY_GROUP_MODE
    elif state.mode == KEY_GROUP_MODE and state.gid not in (None, 0):
        mode = KEY_GROUP_MODE  # the administrator let the server's group read it; keep that
    else:
        mode = KEY_MODE
    owner: tuple[int, int] | None = None
    if state.uid is not None and state.gid is not None:
        owner = (state.uid, state.gid)  # replacing a file keeps whose it is
    if holds_key and options.key_gid is not None:
        owner = (owner[0] if owner else -1, options.key_gid)
    return FileChange(path, role, data, mode, owner, state, leaf_sha256)


def _same(change: FileChange, state: FileState) -> bool:
    if state.kind != "file" or state.sha256 != change.new_sha256 or state.mode != change.mode:
        return False
    if change.owner is None:
        return True
    uid, gid = change.owner
    return (uid in (-1, state.uid)) and (gid in (-1, state.gid))


def _setting_edits(
    discovery: Discovery, cert: Path, key: Path
) -> tuple[list[FileChange], list[SettingChange], str, list[str]]:
    files = {cf.path: cf for cf in discovery.config_files}
    where = dict(discovery.setting_files)
    texts: dict[Path, str] = {}
    changes: list[SettingChange] = []
    problems: list[str] = []
    for name, template in discovery.install_template:
        value = template.format(cert=cert, key=key)
        path = where.get(name)
        if path is None or path not in files:
            problems.append(f"cannot tell which configuration file sets {name}")
            continue
        text = texts.get(path, files[path].text)
        new_text, old = set_setting(text, name, value, discovery.syntax)
        if new_text != text:
            changes.append(SettingChange(path, name, old, value))
        texts[path] = new_text
    writes: list[FileChange] = []
    diff_parts: list[str] = []
    for path, new_text in texts.items():
        cf = files[path]
        if new_text == cf.text:
            continue
        old_state = FileState(path, "file", sha256=hashlib.sha256(cf.text.encode()).hexdigest(),
                              mode=cf.mode, uid=cf.uid, gid=cf.gid)
        writes.append(FileChange(path, "config", new_text.encode(), cf.mode, (cf.uid, cf.gid), old_state))
        diff_parts.append("".join(difflib.unified_diff(
            cf.text.splitlines(keepends=True), new_text.splitlines(keepends=True),
            fromfile=f"{path} (now)", tofile=f"{path} (after deploy)",
        )))
    return writes, changes, "".join(diff_parts), problems


# --- editing a configuration text ---------------------------------------------------------------

_BLOCK_OPEN = re.compile(r"\{\s*(?:#.*)?$")
_BLOCK_CLOSE = re.compile(r"^\s*\}")


def set_setting(text: str, name: str, value: str, syntax: Syntax) -> tuple[str, str | None]:
    """Set top-level ``name = value`` in a Dovecot or Postfix ``main.cf`` text.

    The last top-level assignment is the effective one in both servers, so that is the line
    replaced (with a Postfix value's continuation lines); when there is none the setting is
    appended.  Everything else (comments, order, blocks) stays byte for byte.  Returns the
    new text and the old value (None when the setting was not there).
    """
    lines = text.splitlines(keepends=True)
    pattern = re.compile(rf"^(\s*){re.escape(name)}\s*=\s?(.*?)\s*$")
    found: tuple[int, int, str, str] | None = None  # (first line, end line, indent, old value)
    depth = 0
    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if syntax == "postfix":
            if line[:1].isspace() or stripped.startswith("#") or not stripped:
                i += 1
                continue
            m = pattern.match(line)
            end = i + 1
            while end < len(lines) and lines[end][:1].isspace() and lines[end].strip() and not lines[end].strip().startswith("#"):
                end += 1
            if m:
                value_lines = [m.group(2)] + [lines[j].strip() for j in range(i + 1, end)]
                found = (i, end, "", " ".join(v for v in value_lines if v))
            i = end
            continue
        if stripped.startswith("#") or not stripped:
            i += 1
            continue
        if _BLOCK_CLOSE.match(line):
            depth = max(0, depth - 1)
        elif _BLOCK_OPEN.search(line) and "=" not in line.split("{", 1)[0]:
            depth += 1
        elif depth == 0:
            m = pattern.match(line)
            if m:
                found = (i, i + 1, m.group(1), m.group(2))
        i += 1
    new_line = f"{name} = {value}\n"
    if found is None:
        prefix = text if not text or text.endswith("\n") else text + "\n"
        return prefix + new_line, None
    start, end, indent, old = found
    newline = "\n" if lines[end - 1].endswith("\n") or end < len(lines) else ""
    replaced = lines[:start] + [f"{indent}{name} = {value}{newline}"] + lines[end:]
    return "".join(replaced), old


def describe_mode(mode: int | None) -> str:
    return "-" if mode is None else f"{mode:04o}"


def short_fp(sha256: str | None) -> str:
    """The first 16 hex digits, colon-separated pairs: enough to tell certificates apart."""
    if not sha256:
        return "-"
    head = sha256[:16].upper()
    return ":".join(head[i:i + 2] for i in range(0, len(head), 2))


def listeners_text(listeners: Sequence[Listener]) -> list[str]:
    out = []
    for lst in listeners:
        mode = "STARTTLS" if lst.endpoint.mode.value == "starttls" else "implicit TLS"
        extra = f" - {lst.own_certificate}" if lst.own_certificate else ""
        out.append(f"{lst.endpoint.url} ({mode}, {lst.service}){extra}")
    return out
