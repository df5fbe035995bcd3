"""Example certificates shipped with mailcert, for the demo, the docs and your own tests.

``sbs2008.pem``: the KB958977 / SBS 2008 case's certificate, as Windows Small Business Server 2008 made it:
self-signed, CN ``sbs.contoso.local``, SAN ``sbs.contoso.local, remote.contoso.com, sites,
companyweb`` in that order, so Outlook 2007 (which reads only the first name) warns for
``remote.contoso.com``.  No private key is shipped; :mod:`mailcert.examples.make_examples`
makes the same certificate with a fresh key when one is needed (the demo's server).
"""

from __future__ import annotations

from importlib import resources

__all__ = ["SBS2008", "example_bytes"]

SBS2008 = "sbs2008.pem"


def example_bytes(name: str = SBS2008) -> bytes:
    """The bytes of a shipped example file, wherever the package is installed."""
    return resources.files(__name__).joinpath(name).read_bytes()
