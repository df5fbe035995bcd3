"""mailcert's configuration: a small TOML file, chiefly the external name (``[address]``).

Where it lives, first match wins:

1. ``--config FILE`` on the command line;
2. ``$MAILCERT_CONFIG`` (for deploy hooks and tests that must not touch the real one);
3. ``/etc/mailcert/config.toml`` when running as root: the mail server's own setting,
   shared by cron, certbot hooks and the administrator;
4. ``$XDG_CONFIG_HOME/mailcert/config.toml`` (``~/.config/mailcert/config.toml``) otherwise.

The environment and the effective uid are passed in, never read deep inside, so the rules
above are tested as a table.  Writing edits the file with tomlkit, which keeps what the
administrator wrote (comments, order, sections mailcert does not know about) and changes only
the values set; it goes through :mod:`mailcert.fsutil` (atomic, with a backup).
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from mailcert import fsutil
from mailcert.errors import InputError
from mailcert.paths import mailcert_dir

__all__ = [
    "DEFAULT_PREFIX",
    "AddressConfig",
    "config_path",
    "load_address",
    "read_config",
    "save_address",
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
    """Store ``address`` in ``[address]``, keeping the rest of the file as the administrator
    wrote it (comments, order, other sections); return the backup path."""
    # lazy: tomlkit only to write the file (address set); reading uses tomllib
    import tomlkit
    from tomlkit.exceptions import TOMLKitError
    from tomlkit.items import InlineTable, Table

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        text = _NEW_FILE
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read configuration {path}: {getattr(exc, 'strerror', None) or exc}") from None
    try:
        document = tomlkit.parse(text)
    except TOMLKitError as exc:
        raise InputError(f"configuration {path} is not valid TOML: {exc}") from None
    section = document.get("address")
    if not isinstance(section, (Table, InlineTable)):
        section = tomlkit.table()
        document["address"] = section
    for key, value in (("domain", address.domain), ("prefix", address.prefix), ("fqdn", address.fqdn)):
        section[key] = value  # tomlkit replaces the value in place: the line's comment stays
    fsutil.ensure_dir(path.parent, mode=0o755)
    # 0644: it holds names, never secrets
    return fsutil.write_atomic(path, tomlkit.dumps(document).encode("utf-8"), mode=0o644, now=now)


_NEW_FILE = "# mailcert configuration (comments and other sections are kept when mailcert edits it)\n"
