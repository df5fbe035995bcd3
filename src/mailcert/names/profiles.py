"""Client profiles: how each mail client checks the server name.  Data, not subclasses.

One frozen :class:`ClientProfile` per client; the matcher (``matcher.py``), the docs
(``docs/clients.md``) and the differential tests all read this one table.  Every entry names
its source.  Where a real implementation runs on Linux, ``tests/differential`` compares the
profile with it on a corpus of tricky certificates; remaining differences are listed, with the
reason, in ``docs/clients.md``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

__all__ = [
    "NameSource",
    "CnFallback",
    "CnChoice",
    "Idna",
    "IpHandling",
    "WildcardRule",
    "ClientProfile",
    "PROFILES",
    "OUTLOOK2007_MESSAGE",
]


class NameSource(enum.Enum):
    """Which SAN DNS names the client compares with."""

    ALL_DNS = "every SAN DNS name"
    FIRST_DNS = "only the first SAN DNS name"


class CnFallback(enum.Enum):
    """When the client looks at the subject CN."""

    NEVER = "never"
    NO_SAN_EXTENSION = "only when the certificate has no SAN extension"
    NO_SAN_DNS = "only when the SAN has no DNS name"
    NO_SAN_DNS_OR_IP = "only when the SAN has neither DNS name nor IP address"


class CnChoice(enum.Enum):
    """Which CN when the subject has several."""

    ANY = "any CN"
    FIRST = "the first CN"
    LAST = "the last (most specific) CN"


class Idna(enum.Enum):
    """What the client does with a host name typed in Unicode (e.g. ``bücher.example``)."""

    UTS46 = "converted to an A-label (IDNA 2008 with UTS #46 mapping)"
    IDNA2003 = "converted to an A-label (IDNA 2003, Python's 'idna' codec)"
    RAW = "compared as typed (UTF-8 bytes); no conversion"
    REFUSE = "refused: only ASCII host names are accepted"


class IpHandling(enum.Enum):
    """How a host typed as an IP address is checked."""

    SAN_IP = "matched against SAN IP addresses only"
    SAN_IP_OR_CN = "matched against SAN IP addresses, or the CN when there is no SAN"
    AS_TEXT = "compared as text with the DNS names (no IP semantics)"
    AS_TEXT_OR_SAN_IP = "compared as text with the DNS names, and also with SAN IP addresses"


@dataclass(frozen=True)
class WildcardRule:
    """How a ``*`` in a presented DNS name is honoured.

    ``partial`` allows the star inside a label (``f*.example.com``, ``*f``, ``f*o``);
    ``min_labels`` is the least number of labels a wildcard pattern must have (3 refuses
    ``*.com``); ``idna_ok`` False refuses a wildcard whose label, or whose matched label,
    is an A-label (``xn--``); ``empty_ok`` lets the star match zero characters
    (``f*.example.com`` matching ``f.example.com``); ``public_suffix`` False refuses
    ``*.co.uk``-style patterns whose remainder is a public suffix.
    """

    allowed: bool = True
    partial: bool = False
    min_labels: int = 3
    idna_ok: bool = False
    empty_ok: bool = False
    in_cn: bool = True
    public_suffix: bool = True


@dataclass(frozen=True)
class ClientProfile:
    """One client's name-checking rules, and where they come from."""

    id: str
    title: str
    clients: str
    source: str
    reads: NameSource = NameSource.ALL_DNS
    cn_fallback: CnFallback = CnFallback.NO_SAN_DNS
    cn_choice: CnChoice = CnChoice.ANY
    wildcard: WildcardRule = field(default_factory=WildcardRule)
    idna: Idna = Idna.UTS46
    strip_host_dot: bool = True
    strip_pattern_dot: bool = False
    ip: IpHandling = IpHandling.SAN_IP
    sends_sni: bool = True
    message: str | None = None
    notes: tuple[str, ...] = ()

    def describe(self) -> list[tuple[str, str]]:
        """The rules as (aspect, rule) rows, for ``docs/clients.md`` and ``--help``."""
        w = self.wildcard
        if not w.allowed:
            wild = "no wildcards"
        else:
            wild = "whole left-most label" + (", or part of it (f*.example.com)" if w.partial else " only")
            wild += f"; pattern needs {w.min_labels}+ labels"
            if not w.public_suffix:
                wild += "; not on a public suffix (*.co.uk)"
            if not w.idna_ok:
                wild += "; never for A-labels (xn--)"
        return [
            ("names read", self.reads.value),
            ("CN fallback", self.cn_fallback.value + ("" if self.cn_fallback is CnFallback.NEVER else f" ({self.cn_choice.value})")),
            ("wildcards", wild),
            ("Unicode host", self.idna.value),
            ("trailing dot", "ignored on the typed name" if self.strip_host_dot else "kept (a.example. is not a.example)"),
            ("IP host", self.ip.value),
            ("SNI", "sent" if self.sends_sni else "not sent (Windows XP era)"),
        ]


OUTLOOK2007_MESSAGE = (
    "The server you are connected to is using a security certificate that cannot be verified."
    " The target principal name is incorrect. Do you want to continue using this server?"
)

_CRYPTOAPI_SOURCE = (
    "Microsoft: CertVerifyCertificateChainPolicy with CERT_CHAIN_POLICY_SSL"
    " (learn.microsoft.com/windows/win32/api/wincrypt/nf-wincrypt-certverifycertificatechainpolicy);"
    " SAN DNS names first, subject CN only when the SAN has no DNS name"
)

_PROFILES: tuple[ClientProfile, ...] = (
    ClientProfile(
        id="outlook2007",
        title="Outlook 2007",
        clients="Outlook 2007 with POP3, IMAP4 or SMTP over TLS",
        source=(
            "KB958977 (the seed): Outlook 2007 reads only the first DNS name of the SAN."
            " Where the article is silent we follow CertGetNameString(CERT_NAME_DNS_TYPE)"
            " (learn.microsoft.com/windows/win32/api/wincrypt/nf-wincrypt-certgetnamestringw),"
            " the CryptoAPI call that returns exactly 'the first DNSName choice of the SAN; if"
            " there is none, the subject CN'."
        ),
        reads=NameSource.FIRST_DNS,
        cn_fallback=CnFallback.NO_SAN_DNS,
        cn_choice=CnChoice.LAST,
        wildcard=WildcardRule(partial=False, min_labels=3, idna_ok=True),
        idna=Idna.REFUSE,
        strip_host_dot=False,
        ip=IpHandling.AS_TEXT,
        sends_sni=False,
        message=OUTLOOK2007_MESSAGE,
        notes=(
            "Assumption: a SAN whose first entry is not a DNS name (an IP, an e-mail address) is"
            " skipped to the first DNS entry, as CertGetNameString does.",
            "Assumption: no SAN DNS name at all means the subject CN is used (CertGetNameString"
            " falls back to it); the last CN when there are several, as CryptoAPI picks the most"
            " specific RDN.",
            "Assumption: comparison ignores ASCII case (DNS names are case-insensitive and"
            " Outlook's check is CryptoAPI's); a wildcard first name matches one whole label.",
            "Assumption: Outlook 2007 passes the account's server name as typed: no IDNA"
            " conversion (Unicode names fail), no trailing-dot removal, an IP is compared as text.",
            "Outlook 2007 ran on Windows XP, whose TLS stack sends no SNI: a server with several"
            " certificates shows it its default one.",
        ),
    ),
    ClientProfile(
        id="outlook",
        title="Outlook (CryptoAPI)",
        clients="Outlook 2000/2003/2010 and later, Outlook Express, Windows Mail",
        source=_CRYPTOAPI_SOURCE,
        reads=NameSource.ALL_DNS,
        cn_fallback=CnFallback.NO_SAN_DNS,
        cn_choice=CnChoice.ANY,
        wildcard=WildcardRule(partial=False, min_labels=3, idna_ok=True),
        idna=Idna.UTS46,
        ip=IpHandling.SAN_IP_OR_CN,
        message=(
            "The server you are connected to is using a security certificate that cannot be"
            " verified. The target principal name is incorrect."
        ),
        notes=("KB958977: these clients accept the SBS 2008 certificate that Outlook 2007 refuses.",),
    ),
    ClientProfile(
        id="thunderbird",
        title="Thunderbird",
        clients="Thunderbird (mozilla::pkix)",
        source=(
            "mozilla::pkix CheckCertHostname (security/nss/lib/mozpkix/lib/pkixnames.cpp) with"
            " Firefox/Thunderbird's name-matching mode 'never fall back to the CN'"
        ),
        cn_fallback=CnFallback.NEVER,
        wildcard=WildcardRule(partial=False, min_labels=3, idna_ok=False),
        idna=Idna.UTS46,
        ip=IpHandling.SAN_IP,
        message="Add Security Exception: The certificate belongs to a different site, which could mean that someone is trying to impersonate this site.",
    ),
    ClientProfile(
        id="apple-mail",
        title="Apple Mail / iOS",
        clients="Apple Mail on macOS, Mail on iOS and iPadOS (SecTrust)",
        source=(
            "Apple: 'Requirements for trusted certificates in iOS 13 and macOS 10.15'"
            " (support.apple.com/HT210176, now support.apple.com/103769): 'TLS server certificates must"
            " present the DNS name of the server in the Subject Alternative Name extension. DNS names"
            " in the CommonName of a certificate are no longer trusted.' The same page requires"
            " RSA >= 2048 bits, SHA-2, and for certificates issued after 1 July 2019 the serverAuth"
            " EKU and at most 825 days of validity (reported as findings)."
        ),
        cn_fallback=CnFallback.NEVER,
        wildcard=WildcardRule(partial=False, min_labels=3, idna_ok=False),
        idna=Idna.UTS46,
        ip=IpHandling.SAN_IP,
        message="Cannot Verify Server Identity: The identity of the server cannot be verified.",
    ),
    ClientProfile(
        id="openssl",
        title="OpenSSL",
        clients="mutt, fetchmail, Postfix and other C clients (X509_check_host, flags 0)",
        source="OpenSSL 3.0 crypto/x509/v3_utl.c: X509_check_host() with flags 0",
        cn_fallback=CnFallback.NO_SAN_DNS,
        cn_choice=CnChoice.ANY,
        wildcard=WildcardRule(partial=True, min_labels=3, idna_ok=False, empty_ok=True),
        idna=Idna.RAW,
        ip=IpHandling.AS_TEXT,
        message="hostname mismatch",
    ),
    ClientProfile(
        id="python",
        title="Python ssl",
        clients="CPython ssl: imaplib, poplib, smtplib, requests",
        source="CPython Modules/_ssl.c: X509_VERIFY_PARAM_set1_host with X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS; IP hosts via set1_ip",
        cn_fallback=CnFallback.NO_SAN_DNS,
        cn_choice=CnChoice.ANY,
        wildcard=WildcardRule(partial=False, min_labels=3, idna_ok=False),
        idna=Idna.IDNA2003,
        ip=IpHandling.SAN_IP,
        message="[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: Hostname mismatch, certificate is not valid for '{name}'.",
    ),
    ClientProfile(
        id="gnutls",
        title="GnuTLS",
        clients="Evolution, mutt built with GnuTLS, GLib/GIO clients",
        source="GnuTLS lib/x509/hostname-verify.c: gnutls_x509_crt_check_hostname2(flags 0)",
        cn_fallback=CnFallback.NO_SAN_DNS,
        cn_choice=CnChoice.LAST,
        wildcard=WildcardRule(partial=True, min_labels=3, idna_ok=False),
        idna=Idna.UTS46,
        ip=IpHandling.SAN_IP,
        message="The certificate's owner does not match hostname '{name}'",
    ),
    ClientProfile(
        id="nss",
        title="NSS",
        clients="older NSS-based clients (CERT_VerifyCertName)",
        source="NSS lib/certdb/certdb.c: CERT_VerifyCertName",
        cn_fallback=CnFallback.NO_SAN_DNS,
        cn_choice=CnChoice.ANY,
        wildcard=WildcardRule(partial=True, min_labels=3, idna_ok=False),
        idna=Idna.RAW,
        ip=IpHandling.SAN_IP,
        message="SSL_ERROR_BAD_CERT_DOMAIN: Unable to communicate securely with peer: requested domain name does not match the server's certificate.",
    ),
    ClientProfile(
        id="java",
        title="Java (JavaMail)",
        clients="JavaMail / Jakarta Mail and other JDK clients (endpoint identification HTTPS)",
        source="OpenJDK sun.security.util.HostnameChecker, TYPE_TLS (endpoint identification 'HTTPS')",
        cn_fallback=CnFallback.NO_SAN_DNS,
        cn_choice=CnChoice.LAST,
        wildcard=WildcardRule(partial=True, min_labels=3, idna_ok=True, public_suffix=False),
        idna=Idna.REFUSE,
        ip=IpHandling.SAN_IP,
        message="java.security.cert.CertificateException: No subject alternative DNS name matching {name} found.",
    ),
    ClientProfile(
        id="node",
        title="Node.js (Nodemailer)",
        clients="Nodemailer and other Node.js clients (tls.checkServerIdentity)",
        source="Node.js lib/tls.js: checkServerIdentity",
        cn_fallback=CnFallback.NO_SAN_DNS_OR_IP,
        cn_choice=CnChoice.ANY,
        wildcard=WildcardRule(partial=True, min_labels=3, idna_ok=False),
        idna=Idna.UTS46,
        strip_pattern_dot=True,
        ip=IpHandling.SAN_IP,
        message="Hostname/IP does not match certificate's altnames: Host: {name}. is not in the cert's altnames",
    ),
    ClientProfile(
        id="go",
        title="Go crypto/x509",
        clients="Go programs (crypto/x509 VerifyHostname)",
        source="Go src/crypto/x509/verify.go: VerifyHostname (no CN fallback since Go 1.15)",
        cn_fallback=CnFallback.NEVER,
        wildcard=WildcardRule(partial=False, min_labels=2, idna_ok=True),
        idna=Idna.RAW,
        strip_pattern_dot=True,
        ip=IpHandling.SAN_IP,
        message="x509: certificate is valid for {valid}, not {name}",
    ),
    ClientProfile(
        id="rfc9525",
        title="RFC 9525",
        clients="the current standard, strictly (what a new client should do)",
        source="RFC 9525 (2023): sections 6.3 (DNS-ID only, never CN), 6.3 (wildcard = whole left-most label), 6.4 (IP-ID)",
        cn_fallback=CnFallback.NEVER,
        wildcard=WildcardRule(partial=False, min_labels=3, idna_ok=False),
        idna=Idna.UTS46,
        ip=IpHandling.SAN_IP,
    ),
)

PROFILES: dict[str, ClientProfile] = {p.id: p for p in _PROFILES}
