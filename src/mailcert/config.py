"""mailcert's configuration: a small TOML file, chiefly the external name (``[address]``).

Where it lives, first match wins:

1. ``--config FILE`` on the command line;
2. ``$MAILCERT_CONFIG`` (for deploy hooks and tests that must not touch the real one);
3. ``/etc/mailcert/config.toml`` when running as root: the mail server's own setting,
   shared by cron, certbot hooks and the administrator;
4. ``$XDG_CONFIG_HOME/mailcert/config.toml`` (``~/.config/mailcert/config.toml``) otherwise.

The environment and the effective uid are passed in, never read deep inside, so the rules
above are tested as a table.  Writing keeps every section mailcert does not know about (other
commands add theirs) and goes through :mod:`mailcert.fsutil` (atomic, with a backup).
"""

from __future__ import annotations

import json
import math
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from mailcert.errors import InputError

__all__ = [
    "DEFAULT_PREFIX",
    "AddressConfig",
    "config_path",
    "dump_toml",
    "load_address",
    "read_config",
    "save_address",
    "write_config",
]

DEFAULT_PREFIX = "remote"
"""The SBS 2008 Internet Address Management wizard (KB958977): domain contoso.com -> remote.contoso.com."""



@dataclass(frozen=True)
class AddressConfig:
    """The external name: ``prefix.domain`` (or the bare domain when ``prefix`` is empty)."""

    domain: str
    prefix: str = DEFAULT_PREFIX

    @property
    def fqdn(self) -> str:
        """The name users type into their mail client, and the certificate's first name."""
        return f"{self.prefix}.{self.domain}" if self.prefix else self.domain


def config_path(
    explicit: str | os.PathLike[str] | None,
    *,
    env: Mapping[str, str],
    euid: int,
) -> Path:
    """Which configuration file to use, by the rules in the module docstring."""
    if explicit:
        return Path(explicit)
    if env.get("MAILCERT_CONFIG"):
        return Path(env["MAILCERT_CONFIG"])
    from mailcert.paths import mailcert_dir

    return mailcert_dir("config", env=env, euid=euid) / "config.toml"


def read_config(path: Path) -> dict[str, Any]:
    """The whole file as a dict; an absent file is an empty configuration."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise InputError(f"cannot read configuration {path}: {exc.strerror or exc}") from None
    try:
        return tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InputError(f"configuration {path} is not valid TOML: {exc}") from None


def load_address(path: Path) -> AddressConfig | None:
    """The ``[address]`` section, or None when no external name is configured yet."""
    section = read_config(path).get("address")
    if section is None:
        return None
    if not isinstance(section, dict) or not isinstance(section.get("domain"), str):
        raise InputError(f"configuration {path}: [address] needs domain = \"...\"; run mailcert address set DOMAIN")
    prefix = section.get("prefix", DEFAULT_PREFIX)
    if not isinstance(prefix, str):
        raise InputError(f"configuration {path}: [address] prefix must be a string")
    return AddressConfig(domain=section["domain"], prefix=prefix)


def save_address(path: Path, address: AddressConfig, *, now: datetime | None = None) -> Path | None:
    """Store ``address`` in ``[address]``, keeping the rest of the file; return the backup path."""
    data = read_config(path)
    data["address"] = {"domain": address.domain, "prefix": address.prefix, "fqdn": address.fqdn}
    return write_config(path, data, now=now)


def write_config(path: Path, data: Mapping[str, Any], *, now: datetime | None = None) -> Path | None:
    """Write ``data`` as TOML (0644: it holds names, never secrets); return the backup path."""
    from mailcert import fsutil

    fsutil.ensure_dir(path.parent, mode=0o755)
    text = "# mailcert configuration; `mailcert address set` rewrites this file (comments are not kept)\n"
    return fsutil.write_atomic(path, (text + dump_toml(data)).encode("utf-8"), mode=0o644, now=now)


# --- a small TOML writer ------------------------------------------------------------------------
# The configuration holds strings, numbers, booleans, lists of those and nested tables; that is
# all this writer supports, and it refuses anything else rather than write something wrong.


def _scalar(value: Any, where: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=True)  # a JSON string is a valid TOML basic string
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_scalar(v, where) for v in value) + "]"
    raise InputError(f"cannot write {where} to the configuration: unsupported type {type(value).__name__}")


def _key(k: str) -> str:
    if k and all(c.isascii() and (c.isalnum() or c in "-_") for c in k):
        return k
    return json.dumps(k, ensure_ascii=True)


def dump_toml(data: Mapping[str, Any], _prefix: tuple[str, ...] = ()) -> str:
    """TOML text for ``data``: plain keys first, then one ``[table]`` per nested mapping."""
    lines: list[str] = []
    tables: list[tuple[str, Mapping[str, Any]]] = []
    for k, v in data.items():
        if isinstance(v, Mapping):
            tables.append((k, v))
        else:
            lines.append(f"{_key(k)} = {_scalar(v, '.'.join((*_prefix, k)))}")
    out = "\n".join(lines) + ("\n" if lines else "")
    for k, v in tables:
        path = (*_prefix, k)
        body = dump_toml(v, path)
        header = "[" + ".".join(_key(p) for p in path) + "]\n"
        out += ("\n" if out else "") + header + body
    return out
