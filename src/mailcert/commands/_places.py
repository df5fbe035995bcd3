"""Where mailcert keeps its own files, as the commands find them: the configuration and the
state directory, each named by an option or else the environment's default.

Apart from ``_common`` because ``check`` never needs them: ``_common`` is on its start-up path.
"""

from __future__ import annotations

import os
from pathlib import Path

from mailcert.config import config_path, load_address
from mailcert.issue.state import state_dir

__all__ = ["config_file", "configured_fqdn", "state_path"]


def config_file(explicit: str | None) -> Path:
    """mailcert's own configuration file (``--config``, else $MAILCERT_CONFIG, else the
    user's or root's default place)."""
    return config_path(explicit, env=os.environ, euid=os.geteuid())


def configured_fqdn(explicit: str | None) -> str | None:
    """The external FQDN ``mailcert address set`` stored in the configuration, if any: the
    name a command uses when none is given."""
    address = load_address(config_file(explicit))
    return address.fqdn if address else None


def state_path(explicit: str | None) -> Path:
    """mailcert's state directory (``--state-dir``, else the default place): ACME accounts and
    lineages, and when each TLSA record was first seen."""
    return state_dir(explicit, env=os.environ, euid=os.geteuid())
