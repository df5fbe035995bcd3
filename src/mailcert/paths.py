"""Where mailcert keeps its own files: the XDG base directories for a user, the system places
(/etc/mailcert, /var/lib/mailcert) for the configuration and ACME state when running as root,
as a timer or deploy hook does.  The scan inventory stays in the XDG data directory even for
root (issue 7: an administrator's own record, not a system service's).

One rule for the configuration (``config``), the ACME state (``state``) and the scan
inventory (``data``), so they never drift apart.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

__all__ = ["Kind", "mailcert_dir"]

Kind = Literal["config", "state", "data"]

# kind -> (XDG variable, default below $HOME, directory when root or None: XDG for root too)
_PLACES: dict[str, tuple[str, tuple[str, ...], Path | None]] = {
    "config": ("XDG_CONFIG_HOME", (".config",), Path("/etc/mailcert")),
    "state": ("XDG_STATE_HOME", (".local", "state"), Path("/var/lib/mailcert")),
    "data": ("XDG_DATA_HOME", (".local", "share"), None),
}


def mailcert_dir(kind: Kind, *, env: Mapping[str, str], euid: int) -> Path:
    """mailcert's directory of ``kind``: the system one for root, else the user's XDG one."""
    variable, default, system = _PLACES[kind]
    if euid == 0 and system is not None:
        return system
    base = env.get(variable)
    if not base or not os.path.isabs(base):  # the XDG spec says to ignore a relative value
        base = os.path.join(env.get("HOME") or os.path.expanduser("~"), *default)
    return Path(base) / "mailcert"
