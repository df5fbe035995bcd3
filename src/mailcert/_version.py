"""The version, in a module of its own: every layer may read it (the package root is the top,
the public API, which nothing inside mailcert imports)."""

__version__ = "0.1.0"
