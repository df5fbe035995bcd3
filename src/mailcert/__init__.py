"""mailcert: which of your users' mail clients will refuse your mail server's TLS certificate.

The package is a library first; ``mailcert.cli`` is a thin face over it.  Importing
``mailcert`` stays cheap (no rich, no network code) so that the command line starts fast.

Layers, lowest first (docs/architecture.md; tests/test_layers.py fails on an upward import)::

    errors, model, paths, inputs, fsutil, textsafe, config    shared values and helpers
    names, certs, probe, revocation                          facts; the one socket driver
    findings                                                 Finding(code, severity, facts)
    judgement, assess, doctor, address, senders              the judge (pure, offline)
    deploy, issue, scan, testing, examples                   engines
    report                                                   renders values only
    commands | mailcert (this package: the public API)       the two faces
    cli, __main__                                            argv in, exit status out
"""

from mailcert._version import __version__

__all__ = ["__version__"]
