from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.dane.lab import Lab
from tests.servers.fixtures import require_servers

LAB_BINARIES = ("nsd", "nsd-control", "unbound", "unbound-control", "ldns-signzone", "ldns-keygen", "dig", "postfix", "unshare", "nsenter")


@pytest.fixture(scope="module")
def lab() -> Iterator[Lab]:
    """One lab per test module (about 5 s to start); its own namespace, its own state dir."""
    require_servers(LAB_BINARIES)
    run = Path(tempfile.mkdtemp(prefix="mailcert-dane-lab-"))
    shutil.rmtree(run)  # start.sh creates it
    lab = Lab(run)
    try:
        lab.start()
        yield lab
    finally:
        lab.stop()
