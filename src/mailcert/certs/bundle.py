"""The files a server certificate is installed as: ``cert.pem``, ``chain.pem``, ``fullchain.pem``, ``key.pem``.

One definition for every command that installs a certificate (``cert import``, ``acme issue``
and ``acme renew``), so Dovecot, Postfix and the deploy step always find the same layout:

* ``cert.pem``       the leaf alone (0644);
* ``chain.pem``      the intermediates, in order, possibly empty: written even when empty so a
                     stale one from an earlier certificate never lingers (0644);
* ``fullchain.pem``  leaf then intermediates: what Postfix's ``smtpd_tls_chain_files`` and
                     Dovecot's ``ssl_cert`` want (0644);
* ``key.pem``        the private key, PKCS#8 PEM, 0600; left alone when it already holds
                     exactly this key (``cert import`` of a certificate for the pending key).

:func:`bundle_files` is pure (it plans); :func:`write_planned` writes a plan as one change
with :func:`mailcert.fsutil.write_files` (atomic, backups) and says what it did.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from cryptography import x509

from mailcert.certs.build import PrivateKey, cert_to_pem, key_to_pem
from mailcert.fsutil import CERT_MODE, KEY_MODE, write_files, PlannedFile

__all__ = ["BUNDLE_NAMES", "bundle_files", "write_planned"]

BUNDLE_NAMES = ("cert.pem", "chain.pem", "fullchain.pem", "key.pem")


def bundle_files(
    out: Path,
    leaf: x509.Certificate,
    chain: Sequence[x509.Certificate],
    key: PrivateKey,
    *,
    key_on_disk: bytes | None = None,
) -> list[PlannedFile]:
    """The files to write into ``out``; ``key_on_disk`` is what ``out/key.pem`` holds now, if read."""
    files = [
        PlannedFile(out / "cert.pem", cert_to_pem(leaf), CERT_MODE),
        PlannedFile(out / "chain.pem", cert_to_pem(*chain), CERT_MODE),
        PlannedFile(out / "fullchain.pem", cert_to_pem(leaf, *chain), CERT_MODE),
    ]
    key_pem = key_to_pem(key)
    if key_on_disk != key_pem:
        files.append(PlannedFile(out / "key.pem", key_pem, KEY_MODE))
    return files


def write_planned(files: Sequence[PlannedFile]) -> list[str]:
    """Write all ``files`` at once; lines saying what was written and backed up."""
    backups = write_files(files)
    lines = []
    for f, b in zip(files, backups):
        lines.append(f"  wrote {f.path} ({f.mode:04o})" + (f", previous kept as {b.name}" if b else ""))
    return lines
