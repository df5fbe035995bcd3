"""Shared pytest configuration: registers the real-server fixtures from ``tests/servers``.

Fixtures (see tests/servers/fixtures.py): ``servers_root``, ``server_pki``, session-scoped
``dovecot``/``postfix``/``pebble``, and function-scoped factories ``make_dovecot``/``make_postfix``/
``make_pebble``.  They skip without the server binaries or root, and fail instead when ``CI`` is set.
"""

from tests.servers.fixtures import (  # noqa: F401  (imported so pytest registers them)
    dovecot,
    make_dovecot,
    make_pebble,
    make_postfix,
    pebble,
    postfix,
    server_pki,
    servers_root,
)
