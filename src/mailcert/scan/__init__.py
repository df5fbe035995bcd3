"""``mailcert scan``: a fleet of mail servers, checked concurrently, kept in an inventory.

* :mod:`mailcert.scan.targets` - targets files, stdin, ``--domain`` -> frozen ``Target`` values
* :mod:`mailcert.scan.runner` - the asyncio scanner: bounded concurrency, one result per target
* :mod:`mailcert.scan.inventory` - SQLite/PostgreSQL history (SQLAlchemy Core, self-migrating)
* :mod:`mailcert.scan.dask` - the same scanner on a Dask cluster's workers

Nothing is imported here, so ``import mailcert.scan.targets`` stays light (no SQLAlchemy, no Dask).
"""
