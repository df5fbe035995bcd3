"""The thunderbird profile on the cases issue 12 found it wrong on, as mozilla::pkix decides them.

Each expected verdict is what the real mozilla::pkix (Debian's nss source, after Node's URL
host parser: tests/differential, oracle ``thunderbird``) answered; the differential suite
checks the same rules on the whole corpus.  These run without the oracle, so a change to the
rules fails here first.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mailcert.names import PROFILES, PresentedIdentifiers, check_name
from mailcert.names.profiles import MOZPKIX_VERSION

L63, L64 = "a" * 63, "a" * 64
NAME_253 = ".".join(["d" * 63] * 3 + ["d" * 61])


def _san(*entries: str) -> PresentedIdentifiers:
    """SAN entries written ``DNS:x`` / ``IP:x``, in order."""
    return PresentedIdentifiers(tuple(tuple(e.split(":", 1)) for e in entries), True, ())  # type: ignore[misc]


@pytest.mark.parametrize(
    ("san", "typed", "accepted"),
    [
        # what the URL host parser does to the typed name
        (("DNS:mail.example.com",), "mail.example.com/", True),
        (("DNS:mail.example.com",), "mail\uff0eexample\uff0ecom", True),  # full-width dots
        (("DNS:mail.example.com",), "MAIL.EXAMPLE.COM:993", True),
        (("DNS:mail.example.com",), "mail.example.com \t", True),  # trailing spaces go, tabs anywhere
        (("DNS:mail.example.com",), "ma\til.example.com", True),
        (("DNS:mail.example.com",), " mail.example.com", False),  # a space inside the URL's authority
        (("IP:192.0.2.10",), "0xc0.0.2.10", True),
        (("IP:192.0.2.10",), "[192.0.2.10]", False),
        (("IP:2001:db8::1",), "2001:db8::1", True),
        (("DNS:www.example.123",), "www.example.123", False),  # no IPv4 address, yet ends in digits
        (("DNS:*.0.2.10",), "a.0.2.10", False),
        # DNS-ID syntax
        ((f"DNS:{L64}.example.com",), f"{L64}.example.com", False),
        ((f"DNS:{L63}.example.com",), f"{L63}.example.com", True),
        (("DNS:*.example.net",), f"{L64}.example.net", False),
        ((f"DNS:{NAME_253}",), NAME_253, True),
        ((f"DNS:{NAME_253}",), NAME_253 + ".", False),  # the final dot counts in the 253
        (("DNS:mail.example.com",), "mail.example.com.", True),
        (("DNS:*.example.com",), "*.example.com", False),  # a typed wildcard is no host name
        (("DNS:*.example.com",), "-.example.com", False),
        # an entry mozilla::pkix cannot read stops the search, unless a match came first
        (("DNS:*.0.2.10", "DNS:mail.example.com"), "mail.example.com", False),
        (("DNS:*.*.contoso.com", "DNS:remote.contoso.com"), "remote.contoso.com", False),
        (("DNS:remote.contoso.com", "DNS:*.*.contoso.com"), "remote.contoso.com", True),
        (("DNS:", "DNS:mail.example.com"), "mail.example.com", False),
        (("IP:<5 octets: 0102030405>", "DNS:mail.example.com"), "mail.example.com", True),
    ],
)
def test_thunderbird_as_mozilla_pkix_decides(san: tuple[str, ...], typed: str, accepted: bool) -> None:
    verdict = check_name(PROFILES["thunderbird"], _san(*san), typed)
    assert verdict.accepted is accepted, verdict.reason


def test_the_version_named_in_the_profile_is_the_vendored_one() -> None:
    vendored = Path(__file__).resolve().parents[1] / "differential" / "oracles_src" / "mozpkix" / "VERSION"
    assert vendored.read_text().strip() == MOZPKIX_VERSION
    assert MOZPKIX_VERSION in PROFILES["thunderbird"].source
