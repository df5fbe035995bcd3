"""GnuTLS's CN fallback as Debian 12 ships it (3.7.9-2+deb12u7, 3.8.13's fix for CVE-2026-42013):
a URI or SRV name in the SAN, or an entry too long for its 256-byte buffer, ends the fallback
as a DNS name or IP address does (lib/x509/hostname-verify.c PRECLUDES_CN_FALLBACK; checked
against the library by tests/differential, case nodns-uri-only-cn).  OpenSSL-based clients
(curl) still read the CN beside a URI."""

from __future__ import annotations

import pytest

from mailcert.names.identifiers import PresentedIdentifiers
from mailcert.names.matcher import check_name
from mailcert.names.profiles import PROFILES

NAME = "mail.example.com"
GNUTLS_FAMILY = ("gnutls", "evolution", "mutt", "neomutt", "msmtp")


def _ids(*san: tuple[str, str]) -> PresentedIdentifiers:
    return PresentedIdentifiers(san=tuple(san), has_san_extension=True, common_names=(NAME,))


@pytest.mark.parametrize(("san", "gnutls_reads_cn"), [
    ((("URI", "https://mail.example.com/"),), False),
    ((("other", "1.3.6.1.5.5.7.8.7"),), False),  # an SRV name (id-on-dnsSRV)
    ((("email", "a" * 250 + "@example.com"),), False),  # does not fit GnuTLS's buffer
    ((("email", "postmaster@example.com"),), True),
    ((("other", "1.3.6.1.4.1.311.20.2.3"),), True),  # a UPN otherName does not count
])
def test_which_san_entries_end_the_cn_fallback(san: tuple[tuple[str, str], ...], gnutls_reads_cn: bool) -> None:
    for client in GNUTLS_FAMILY:
        verdict = check_name(PROFILES[client], _ids(*san), NAME)
        assert verdict.accepted is gnutls_reads_cn, (client, verdict.reason)
        if not gnutls_reads_cn:
            assert "no longer reads the CN" in verdict.reason
    assert check_name(PROFILES["curl"], _ids(*san), NAME).accepted  # OpenSSL's rule: DNS or IP only
