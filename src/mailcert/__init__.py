"""mailcert: which of your users' mail clients will refuse your mail server's TLS certificate.

The package is a library first; ``mailcert.cli`` is a thin face over it.  Importing
``mailcert`` stays cheap (no rich, no network code) so that the command line starts fast.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
