"""Make the example certificates in this directory: ``python -m mailcert.examples.make_examples``.

The files are committed (only certificates, never a key) so that ``mailcert inspect`` has the
KB958977 / SBS 2008 case's certificate at hand without building anything; this script is how they were made and
how to make them again.  :func:`sbs2008` is also what the demo calls to get the same
certificate *with* a key it can serve.
"""

from __future__ import annotations

import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

from cryptography import x509

from mailcert.certs.build import KeyType, PrivateKey, cert_to_pem, new_key, self_signed

__all__ = ["SBS2008_NAMES", "SBS2008_NOT_AFTER", "SBS2008_NOT_BEFORE", "main", "sbs2008"]

# The order SBS 2008 used: the internal name first, the public name second (KB 958977).
SBS2008_NAMES = ("sbs.contoso.local", "remote.contoso.com", "sites", "companyweb")
SBS2008_NOT_BEFORE = datetime(2026, 1, 1, tzinfo=timezone.utc)
SBS2008_NOT_AFTER = datetime(2031, 1, 1, tzinfo=timezone.utc)  # stays valid for the demo until then


def sbs2008(key: PrivateKey | None = None) -> tuple[x509.Certificate, PrivateKey]:
    """An SBS-2008-style self-signed certificate (RSA 2048) and its key."""
    key = key or new_key(KeyType.RSA2048)
    days = (SBS2008_NOT_AFTER - SBS2008_NOT_BEFORE).days
    cert = self_signed(key, SBS2008_NAMES, now=SBS2008_NOT_BEFORE, days=days, backdate=timedelta(0))
    return cert, key


def main(argv: list[str] | None = None) -> int:
    """Write the examples into the given directory (default: beside this script)."""
    args = sys.argv[1:] if argv is None else argv
    out = Path(args[0]) if args else Path(__file__).parent
    cert, _ = sbs2008()  # the key is dropped on purpose: no key is ever committed
    target = out / "sbs2008.pem"
    target.write_bytes(cert_to_pem(cert))
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
