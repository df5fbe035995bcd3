"""``mailcert scan``: a fleet of mail servers, checked concurrently, kept in an inventory.

* :mod:`mailcert.scan.targets` - targets files, stdin, ``--domain`` -> frozen ``Target`` values
* :mod:`mailcert.scan.runner` - the asyncio scanner: bounded concurrency, one result per target
* :mod:`mailcert.scan.engine` - ``run(targets, settings, sinks) -> ScanSummary``: results to
  sinks, graceful stop on SIGINT/SIGTERM, standard input in a thread, the Dask bridge
* :mod:`mailcert.scan.sinks` - the inventory as a sink (batched writes)
* :mod:`mailcert.scan.inventory` - SQLite/PostgreSQL history (SQLAlchemy Core, self-migrating)
* :mod:`mailcert.scan.dask` - the same scanner on a Dask cluster's workers

Nothing is imported here, so ``import mailcert.scan.targets`` stays light (no SQLAlchemy, no Dask).
"""

DEFAULT_CONCURRENCY = 100
"""Targets checked at once by default: far from this machine's limits (fds, CPU), and enough to
keep a few hundred handshakes a second going against servers 100 ms away."""

DEFAULT_PER_HOST = 10
"""Targets checked at once on one host by default: a fleet scan must not look like an attack."""
