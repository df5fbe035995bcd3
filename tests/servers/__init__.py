"""Real Dovecot, Postfix and Pebble instances for integration tests - private configs, free
loopback ports, started and stopped by pytest fixtures (see ``fixtures.py``; registered in
``tests/conftest.py``).  Install the servers with ``scripts/deps/servers.sh`` (root, Debian 12).

Import as ``from tests.servers import DovecotServer`` (``tests`` is a package).
"""

from .certs import CertFiles, FixtureCA, FixturePKI, make_ca, make_fixture_pki
from .dovecot import DovecotServer
from .pebble import PebbleServer
from .postfix import PostfixServer
from .procs import MissingServerBinary, ServerError, processes_using
from .tlsclient import Endpoint, fetch_leaf_der, tls_connect, wait_for_leaf

__all__ = [
    "CertFiles", "DovecotServer", "Endpoint", "FixtureCA", "FixturePKI", "MissingServerBinary",
    "PebbleServer", "PostfixServer", "ServerError", "fetch_leaf_der", "make_ca", "make_fixture_pki",
    "processes_using", "tls_connect", "wait_for_leaf",
]
