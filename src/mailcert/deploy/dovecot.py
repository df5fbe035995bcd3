"""Dovecot: discover (``doveconf -a``), config test (``doveconf -x -n``), reload (``doveadm reload``).

Why ``doveconf -a`` and not ``-n``: ``-n`` prints only what differs from the defaults, and the
default listeners (imap 143, imaps 993, pop3 110, pop3s 995) are exactly what a stock Debian
configuration uses without ever writing them down.

Why ``-x`` in the config test: plain ``doveconf -n`` accepts ``ssl_cert = </missing.pem``;
``-x`` reads every ``<file`` and fails on a file that is missing or unreadable, which is the
mistake a deploy can make.

Dovecot 2.3 names its files ``ssl_cert = </path`` / ``ssl_key = </path`` (the ``<`` means "the
contents of"); 2.4 has ``ssl_server_cert_file = /path`` / ``ssl_server_key_file = /path``.  Both
are read.  ``local``, ``local_name``, ``remote`` and ``protocol`` blocks that set their own
certificate are listed and left as they are.
"""

from __future__ import annotations

import glob
import ipaddress
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from mailcert.deploy.base import ServerBase, loopback_hosts, read_command
from mailcert.deploy.plan import CertLocation, ConfigFile, Discovery, Listener
from mailcert.errors import InputError
from mailcert.model import Endpoint, Protocol, TlsMode

__all__ = ["DEFAULT_CONFIG", "DovecotServer", "Section", "discovery_from_doveconf", "parse_doveconf"]

DEFAULT_CONFIG = Path("/etc/dovecot/dovecot.conf")

# login service -> (protocol name in ``protocols``, mail protocol)
_SERVICES = {
    "imap-login": ("imap", Protocol.IMAP),
    "pop3-login": ("pop3", Protocol.POP3),
    "submission-login": ("submission", Protocol.SMTP),
}
_V23 = ("ssl_cert", "ssl_key")
_V24 = ("ssl_server_cert_file", "ssl_server_key_file")
_HIDDEN = "# hidden"


@dataclass
class Section:
    """One block of ``doveconf`` output: ``kind name { settings; children }`` (the root has kind "")."""

    kind: str
    name: str
    settings: dict[str, str] = field(default_factory=dict)
    children: list[Section] = field(default_factory=list)

    def blocks(self, kind: str) -> list[Section]:
        return [c for c in self.children if c.kind == kind]


_OPEN = re.compile(r"^(\S+)(?:\s+(.*?))?\s*\{$")
_SETTING = re.compile(r"^([^\s=]+)\s*=\s?(.*)$")


def parse_doveconf(text: str) -> Section:
    """Parse ``doveconf -a``/``-n`` output into a tree.  Pure; comments are skipped."""
    root = Section("", "")
    stack = [root]
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line == "}":
            if len(stack) > 1:
                stack.pop()
            continue
        m = _OPEN.match(line)
        if m and "=" not in m.group(1):
            child = Section(m.group(1), (m.group(2) or "").strip())
            stack[-1].children.append(child)
            stack.append(child)
            continue
        s = _SETTING.match(line)
        if s:
            stack[-1].settings[s.group(1)] = s.group(2).strip()
    return root


def discovery_from_doveconf(
    text: str,
    config: Path,
    *,
    key_value: str | None = None,
    setting_files: dict[str, Path] | None = None,
    config_files: tuple[ConfigFile, ...] = (),
) -> Discovery:
    """Turn ``doveconf -a`` output into a :class:`Discovery`.  Pure.

    ``key_value`` is the server-wide key setting as ``doveconf -P -h`` shows it (``-a`` hides
    it); ``setting_files`` says which file holds each top-level ssl setting (for
    ``install_dir``).
    """
    root = parse_doveconf(text)
    top = root.settings
    version = _version(text)
    names = _V24 if _V24[0] in top else _V23
    problems: list[str] = []
    notes: list[str] = []

    cert_value = top.get(names[0], "")
    key_raw = key_value if key_value is not None else top.get(names[1], "")
    primary: CertLocation | None = None
    if cert_value or (key_raw and not key_raw.startswith(_HIDDEN)):
        primary = CertLocation(
            "",
            _path(cert_value),
            _path(key_raw),
            ((names[0], cert_value), (names[1], key_raw if not key_raw.startswith(_HIDDEN) else "(hidden)")),
        )
    for alt in ("ssl_alt_cert", "ssl_server_alt_cert_file"):
        if top.get(alt):
            problems.append(
                f"{alt} is also set (a second server certificate, usually ECDSA); deploy replaces one"
                " certificate and could not tell which one clients get: remove it or deploy by hand"
            )

    others: list[CertLocation] = []
    own_by_address: list[tuple[str, str]] = []
    own_by_protocol: dict[str, str] = {}
    for block in root.children:
        if block.kind not in ("local", "local_name", "remote", "protocol"):
            continue
        if not any(block.settings.get(n) for n in names):
            continue
        scope = f"{block.kind} {block.name}"
        settings = tuple((n, block.settings.get(n, "")) for n in names if block.settings.get(n))
        sni = tuple(block.name.split()) if block.kind == "local_name" else ()
        others.append(CertLocation(scope, _path(block.settings.get(names[0], "")),
                                   _path(block.settings.get(names[1], "")), settings, sni))
        if block.kind == "local":
            own_by_address.append((block.name, scope))
        elif block.kind == "protocol":
            own_by_protocol[block.name] = scope
        elif block.kind == "remote":
            notes.append(f"{scope} {{ }} sets its own certificate for those clients; left as it is")

    ssl = top.get("ssl", "yes")
    protocols = set(top.get("protocols", "imap pop3 lmtp").split())
    listen = top.get("listen", "*, ::")
    listeners: list[Listener] = []
    if ssl == "no":
        problems.append("ssl = no: Dovecot serves no TLS at all; set ssl = yes (or required) first")
    else:
        for service in root.blocks("service"):
            if service.name not in _SERVICES:
                continue
            proto_name, protocol = _SERVICES[service.name]
            if proto_name not in protocols:
                continue
            for lst in service.blocks("inet_listener"):
                port = _int(lst.settings.get("port", "0"))
                if not port:
                    continue
                mode = TlsMode.IMPLICIT if lst.settings.get("ssl") == "yes" else TlsMode.STARTTLS
                for host in _hosts(lst.settings.get("address") or listen):
                    own = own_by_protocol.get(proto_name)
                    for spec, scope in own_by_address:
                        if _address_matches(host, spec):
                            own = scope
                    listeners.append(Listener(Endpoint(host, port, protocol, mode), f"{service.name}/{lst.name}",
                                              f"serves the certificate of {own} {{ }}" if own else None))
        if not listeners:
            problems.append("no TLS listener found in the Dovecot configuration (protocols, service *-login)")

    template = ((names[0], "<{cert}"), (names[1], "<{key}")) if names == _V23 else ((names[0], "{cert}"), (names[1], "{key}"))
    files = setting_files or {}
    return Discovery(
        server="dovecot",
        version=version,
        config=config,
        syntax="dovecot",
        primary=primary,
        others=tuple(others),
        listeners=tuple(listeners),
        install_template=template,
        setting_files=tuple((n, files.get(n, config)) for n in names),
        config_files=config_files,
        problems=tuple(problems),
        notes=tuple(notes),
    )


class DovecotServer(ServerBase):
    """A Dovecot instance, named by its main configuration file."""

    name = "dovecot"

    def __init__(self, config: str | Path | None = None, *, reload_cmd: str | None = None,
                 config_test_cmd: str | None = None) -> None:
        super().__init__(reload_cmd=reload_cmd, config_test_cmd=config_test_cmd)
        path = Path(config) if config else DEFAULT_CONFIG
        if path.is_dir():
            path = path / "dovecot.conf"
        if not path.is_file():
            raise InputError(f"{path}: no such Dovecot configuration file (give dovecot.conf)")
        self.config = path
        self._log: Path | None = None

    def native_config_test(self) -> list[str]:
        return ["doveconf", "-c", str(self.config), "-x", "-n"]

    def native_reload(self) -> list[str]:
        return ["doveadm", "-c", str(self.config), "reload"]

    def log_path(self) -> Path | None:
        return self._log

    def discover(self) -> Discovery:
        text = _doveconf(self.config, "-a")
        top = parse_doveconf(text).settings
        names = _V24 if _V24[0] in top else _V23
        key_value = _doveconf(self.config, "-P", "-h", names[1]).strip()
        log = top.get("log_path", "")
        self._log = Path(log) if log.startswith("/") else None
        setting_files, files = _scan_setting_files(self.config, names)
        return discovery_from_doveconf(text, self.config, key_value=key_value,
                                       setting_files=setting_files, config_files=files)


def _doveconf(config: Path, *args: str) -> str:
    return read_command(["doveconf", "-c", str(config), *args], what="Dovecot")


def _scan_setting_files(config: Path, names: tuple[str, ...]) -> tuple[dict[str, Path], tuple[ConfigFile, ...]]:
    """Which file holds the effective (last, top-level) line of each setting, following
    ``!include``/``!include_try`` as Dovecot does, and those files' texts."""
    where: dict[str, Path] = {}
    texts: dict[Path, str] = {}
    pattern = re.compile(rf"^\s*({'|'.join(map(re.escape, names))})\s*=")
    include = re.compile(r"^\s*!include(_try)?\s+(.+?)\s*$")

    def scan(path: Path, depth: int, seen: tuple[Path, ...]) -> int:
        if path in seen or len(seen) > 20:
            return depth
        try:
            text = path.read_text(errors="replace")
        except OSError:
            return depth
        texts[path] = text
        for line in text.splitlines():
            stripped = line.strip()
            if not stripped or stripped.startswith("#"):
                continue
            inc = include.match(line)
            if inc:
                spec = inc.group(2).strip("\"'")
                base = spec if os.path.isabs(spec) else str(path.parent / spec)
                for found in sorted(glob.glob(base)):
                    depth = scan(Path(found), depth, seen + (path,))
                continue
            if stripped.startswith("}"):
                depth = max(0, depth - 1)
            elif stripped.endswith("{") and "=" not in stripped.split("{", 1)[0]:
                depth += 1
            elif depth == 0:
                m = pattern.match(line)
                if m:
                    where[m.group(1)] = path
        return depth

    scan(config, 0, ())
    files = []
    for path in dict.fromkeys([*where.values(), config]):
        if path in texts:
            st = os.stat(path)
            files.append(ConfigFile(path, texts[path], st.st_mode & 0o7777, st.st_uid, st.st_gid))
    return where, tuple(files)


def _version(text: str) -> str:
    m = re.match(r"#\s*(\d+\.\d+[\w.]*)", text)
    return m.group(1) if m else "unknown"


def _path(value: str) -> Path | None:
    value = value.strip()
    if not value or value.startswith(_HIDDEN) or value == "(hidden)":
        return None
    return Path(value[1:].strip() if value.startswith("<") else value)


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        return 0


def _hosts(listen: str) -> list[str]:
    return loopback_hosts(re.split(r"[,\s]+", listen), wildcards=("*", "::", "0.0.0.0"))


def _address_matches(host: str, spec: str) -> bool:
    """Does a ``local IP[/bits]`` block apply to connections arriving at ``host``?"""
    try:
        return ipaddress.ip_address(host) in ipaddress.ip_network(spec.split()[0], strict=False)
    except ValueError:
        return host == spec
