"""Client profiles: how each mail client checks the server name.  Data, not subclasses.

One frozen :class:`ClientProfile` per client; the matcher (``matcher.py``), the docs
(``docs/clients.md``) and the differential tests all read this one table.  Every entry names
its source.  Where a real implementation runs on Linux, ``tests/differential`` compares the
profile with it on a corpus of tricky certificates; remaining differences are listed, with the
reason, in ``docs/clients.md``.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, NamedTuple

from mailcert.names.identifiers import SanDefect

if TYPE_CHECKING:
    from mailcert.names.senders import SenderRules

__all__ = [
    "NameSource",
    "CnFallback",
    "ClientGroup",
    "NulRule",
    "Proof",
    "CnChoice",
    "Idna",
    "IpHandling",
    "IpForm",
    "NameSyntax",
    "SanDefect",
    "WildcardRule",
    "ClientProfile",
    "PROFILES",
    "DEFAULT_CLIENTS",
    "OUTLOOK2007_MESSAGE",
    "ChainValidator",
    "TrustSource",
    "MissingIntermediate",
    "EkuRule",
    "ChainPolicy",
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
    NO_SAN_NAME = "only when the SAN has no DNS name, IP address, URI or SRV name, and no entry of 256 bytes or more"
    ALWAYS = "always, even when the SAN has DNS names (the CN is one more name)"


class NulRule(enum.Enum):
    """What a client does with a certificate name holding a NUL byte (``a.example\\0.evil``)."""

    SKIP = "that name never matches"
    TRUNCATE = "the name ends at the NUL (C string): a.example\\0.evil counts as a.example"
    REFUSE = "the whole certificate is refused"


class ClientGroup(enum.Enum):
    """Where the client runs, for ``mailcert clients``."""

    DESKTOP = "desktop"
    MOBILE = "mobile"
    TERMINAL = "terminal and scripts"
    LIBRARY = "libraries"
    SENDER = "sending mail servers (port 25: DANE, MTA-STS)"


class Proof(enum.Enum):
    """How strongly a profile's rules are known (STYLE.md rule 15)."""

    WIRE = "wire: the real client, run against a real Dovecot/Postfix on loopback (tests/wire)"
    LIBRARY = "library: the real library asked case by case (tests/differential)"
    SOURCE = "source: read from the client's code; its library checked case by case"
    DOCS = "docs: read from the vendor's documentation"


class CnChoice(enum.Enum):
    """Which CN when the subject has several."""

    ANY = "any CN"
    FIRST = "the first CN"
    LAST = "the last (most specific) CN"
    ONLY = "the CN, and only when the subject holds exactly one"
    MOST_SPECIFIC = "the CN of the last RDN holding one; in a multi-valued RDN, its first CN"


class Idna(enum.Enum):
    """What the client does with a host name typed in Unicode (e.g. ``bücher.example``)."""

    UTS46 = "converted to an A-label (IDNA 2008 with UTS #46 mapping)"
    IDNA2003 = "converted to an A-label (IDNA 2003, Python's 'idna' codec)"
    IDNA2003_STRICT = "converted to an A-label (IDNA 2003 as java.net.IDN: code points unassigned in Unicode 3.2, such as emoji, refused)"
    UTS46_OR_2003 = "converted to an A-label with UTS #46 (IDNA 2008); a name it refuses (an emoji) with IDNA 2003"
    RAW = "compared as typed (UTF-8 bytes); no conversion"
    REFUSE = "refused: only ASCII host names are accepted"


class IpHandling(enum.Enum):
    """How a host typed as an IP address is checked."""

    SAN_IP = "matched against SAN IP addresses only"
    SAN_IP_OR_CN = "matched against SAN IP addresses, or the CN when there is no SAN"
    SAN_IP_OR_CN_TEXT = "matched against SAN IP addresses; when the SAN has none, the CN is compared as text"
    AS_TEXT = "compared as text with the DNS names (no IP semantics)"
    AS_TEXT_OR_SAN_IP = "compared as text with the DNS names, and also with SAN IP addresses"


class IpForm(enum.Enum):
    """A spelling of an IP address, beyond the plain ``192.0.2.10`` / ``2001:db8::1``, that a client reads as one."""

    ZERO_PADDED = "192.000.002.010 (leading zeros, read as decimal)"
    SHORT = "127.1 (two or three parts)"
    C_RADIX = "0xc000020a, 0300.0.2.012 (inet_aton: hex, octal, 1 to 4 parts)"
    LEADING_SPACE = "' 192.0.2.10' (leading white space)"
    TRAILING_JUNK = "'192.0.2.10 x' (white space ends the address; the rest is ignored)"
    TRAILING_DOT = "192.0.2.10. (a trailing dot)"
    BRACKETS = "[2001:db8::1]"
    ZONE = "2001:db8::1%eth0 (zone dropped)"
    ZONE_GETADDRINFO = "2001:db8::1%1, fe80::1%eth0 (zone dropped if numeric, or named on a link-local address, as getaddrinfo does)"
    V4_MAPPED = "::ffff:192.0.2.10 (equal to 192.0.2.10, both ways)"


class NameSyntax(enum.Enum):
    """What a name must look like before a client compares it at all (typed name or certificate name)."""

    ANY = "anything"
    LABEL_LENGTHS = "labels of 1 to 63 characters (a final dot allowed), 255 characters in all"
    LDH = "letters, digits and hyphens (STD3; a star counts as a letter), labels of 1 to 63 characters, no hyphen at either end, no final dot"
    LDH_UNDERSCORE = "letters, digits, hyphens (not first) and underscores, no empty label (a certificate name may begin with a whole-label *)"
    PRINTABLE = "printable ASCII (space to ~), 255 characters at most"
    VISIBLE = "visible ASCII (no space, no control, no Unicode), no empty label"
    NO_DN_SPECIALS = "none of , = + < > # ; \\ \" nor a control character, no space at either end or twice"
    DNS_ID = (
        "letters, digits, hyphens and underscores, labels of 1 to 63 characters with no hyphen at either end,"
        " the last label not all digits, 253 characters at most; a typed name may end with a dot, a certificate"
        " name may not, and may begin with a whole-label * followed by two labels or more (mozilla::pkix IsValidDNSID)"
    )


class WildcardRule(NamedTuple):
    """How a ``*`` in a presented DNS name is honoured.

    A whole left-most label ``*`` is the base form.  The other fields, one behaviour each:

    - ``prefix`` / ``suffix`` / ``infix``: also ``f*.example.com`` / ``*f.example.com`` /
      ``f*o.example.com``;
    - ``glob``: stars anywhere, several per label, in every label but the last (the JDK);
    - ``min_labels``: the least number of labels a wildcard name must have (3 refuses ``*.com``);
    - ``idna_ok`` False: no star inside an A-label (``xn--*.example.com``);
    - ``partial_alabel_ok`` False: a partial star never matches an A-label host label
      (``x*`` against ``xn--bcher-kva``);
    - ``multi_label``: ``*.example.com`` covers any name ending in ``.example.com``, however
      many labels the star stands for (``a.b.example.com``);
    - ``numeric_host_ok`` False: a typed name of digits and dots only is never matched by a
      wildcard;
    - ``anywhere``: one star anywhere in the name (``a.*.example``, ``www.*``, ``*``), standing
      for any run of characters without a dot, possibly none; no label count asked;
    - ``empty_ok``: the star may match nothing (``f*.example.com`` covers ``f.example.com``);
    - ``in_cn`` False: no wildcards in the CN;
    - ``public_suffix`` False: no ``*.co.uk``-style names whose rest is a public suffix;
    - ``ldh_only``: only names of letters, digits, hyphens and dots are wildcards, and the star
      matches only those characters (not ``_``);
    - ``trailing_dot_ok``: ``*.example.com.`` covers ``a.example.com.``;
    - ``literal_star`` False: a name holding a star is never compared as plain text (a typed
      ``*.example.com`` does not equal it);
    - ``u_labels``: the star is matched against the Unicode form of an A-label host label
      (``b*`` covers ``xn--bcher-kva``, that is ``bücher``).
    """

    allowed: bool = True
    prefix: bool = False
    suffix: bool = False
    infix: bool = False
    glob: bool = False
    min_labels: int = 3
    multi_label: bool = False
    numeric_host_ok: bool = True
    anywhere: bool = False
    idna_ok: bool = False
    partial_alabel_ok: bool = True
    empty_ok: bool = False
    in_cn: bool = True
    public_suffix: bool = True
    ldh_only: bool = False
    trailing_dot_ok: bool = False
    literal_star: bool = True
    u_labels: bool = False


class ChainValidator(enum.Enum):
    """Which real validator decides a client's chain (``mailcert.certs.chain`` runs it)."""

    OPENSSL = "openssl"  # OpenSSL's X509_verify_cert, as libssl sets it up for a TLS client
    WEBPKI = "webpki"  # cryptography's x509.verification: the CA/Browser Forum rules


class TrustSource(enum.Enum):
    """Where a client's trust anchors come from (``--cafile`` replaces them all: an
    administrator's private CA is installed on the clients)."""

    SYSTEM = "the system store (/etc/ssl/certs)"
    MOZILLA = "Mozilla's root list (certifi)"
    JDK = "the JDK's cacerts (generated from the system store on Debian by ca-certificates-java)"
    WINDOWS = "the Windows root store (not available here: judged against the system store)"
    APPLE = "Apple's root store (not available here: judged against the system store)"
    ANDROID = "Android's system store and the CAs the user installed (not available here: judged against the system store)"


class MissingIntermediate(enum.Enum):
    """What a client does when the server does not send an intermediate certificate."""

    REFUSE = "refused: the client does not fetch it"
    AIA = "fetched from the certificate's AIA caIssuers URL"
    PRELOADED = (
        "refused unless preloaded: the client completes the chain only with an intermediate it has"
        " preloaded, and Mozilla preloads those that public CAs disclose to it (CCADB), never a private CA's"
    )
    CACHED = "refused unless a chain validated earlier in the same app brought it (Android's TrustManager keeps those intermediates)"


class EkuRule(enum.Enum):
    """What the leaf's extended key usage must allow."""

    IF_PRESENT = "when present, it must allow serverAuth (or anyExtendedKeyUsage)"
    REQUIRED = "it must be present and allow serverAuth"
    UNCHECKED = "not checked: the client gives its library no purpose to verify, so a clientAuth-only certificate passes"


class ChainPolicy(NamedTuple):
    """One client's rules for the whole certificate beyond names: validator, trust store and
    its own refusals.  A sub-record of :class:`ClientProfile`, so name rules and chain rules
    stay apart.

    - ``key_ids_required``: the Web PKI validator insists on AKI/SKI, a CA's keyUsage and a
      CA:FALSE leaf (False: a private CA made by ``openssl req -x509`` or older tools is
      accepted, as Go, mozilla::pkix and SecTrust do; ``ca_leaf_refused`` decides a CA leaf);
    - ``security_level``: OpenSSL's (0 when the client is not OpenSSL and ``min_rsa_bits`` /
      ``refuse_sha1`` say its rules; 1 where the client's own rules are level 1's: RSA and DSA
      under 1024 bits and SHA-1 or MD5 signatures refused on every certificate but the anchor);
    - ``partial_chain``: any certificate in the trust store is an anchor, an intermediate too
      (GnuTLS's trust list, the JDK's TrustAnchors); False: OpenSSL's default, a path ends at
      a self-signed root;
    - ``key_types``: the only keys the client can use in the server's certificate (``RSA``, or
      ``ECDSA <curve>``); empty: whatever the validator accepts;
    - ``anchor_key_only``: an anchor is its name and key, nothing more: its validity, name
      constraints and other extensions are not checked (the JDK's ``TrustAnchor``);
    - ``key_floor``: (key algorithm, bits) pairs: every key of that algorithm on the validated
      path - the leaf's, each CA's and the trust anchor's - of at least that many bits (the
      JDK's ``jdk.certpath.disabledAlgorithms`` keySize rules; empty: as the validator decides);
      the leaf's own key is held to it even where no chain is judged;
    - ``sha1_jdk_ca``: SHA-1 signatures below the anchor refused when the path ends at an anchor
      the JDK ships itself (``SHA1 jdkCA & usage TLSServer``; :attr:`TrustStore.jdk_ca`), allowed
      under any other anchor;
    - ``not_after_inclusive``: a certificate is still valid during its notAfter second (the
      JDK; OpenSSL's is expired from it on);
    - ``anchor_must_be_ca``: an anchor above the server's certificate must be a v3 CA with
      keyCertSign (the JDK's PKIXValidator); a certificate trusted itself needs neither;
    - ``empty_names_refused``: a certificate with an empty issuer, or an empty subject without a
      critical SAN, cannot be read (the JDK's X509CertInfo), so the connection fails;
    - ``eku_leaf_only``: the extended key usage is checked on the server's certificate only,
      never on the CAs above it (the JDK's EndEntityChecker; OpenSSL's TLS-server purpose
      checks every CA's too);
    - ``path_search``: the path builder comes back and tries the other issuers the server sent
      when the first path fails (the JDK's SunCertPathBuilder); OpenSSL's takes the first
      issuer that fits;
    - ``cn_ip_name``: name constraints read a subject CN that is an IP literal as an iPAddress
      (checked against iPAddress constraints when the SAN holds none, never against dNSName
      ones), and once checked it joins the leaf's SAN, where the host name check finds it (the
      JDK's ``NameConstraintsExtension.verify``);
    - ``validity_caps``: (days, issued on or after, public CAs only) - Apple's 825 and 398 days;
    - ``sent_dates_checked``: every certificate the server sends must be within its validity,
      whether the path uses it or not (mutt and NeoMutt check the dates themselves, GnuTLS's
      time checks off): an expired cross-sign sent along is refused;
    - ``messages``: the client's own words per reason code; ``{error}`` is the validator's text;
    - ``proof``: how the rules were checked (real library in-process, or documentation).
    """

    validator: ChainValidator = ChainValidator.OPENSSL
    security_level: int = 2
    key_ids_required: bool = True
    partial_chain: bool = False
    anchor_key_only: bool = False
    cn_ip_name: bool = False
    key_floor: tuple[tuple[str, int], ...] = ()
    sha1_jdk_ca: bool = False
    not_after_inclusive: bool = False
    anchor_must_be_ca: bool = False
    empty_names_refused: bool = False
    eku_leaf_only: bool = False
    path_search: bool = False
    trust: TrustSource = TrustSource.SYSTEM
    missing_intermediate: MissingIntermediate = MissingIntermediate.REFUSE
    eku: EkuRule = EkuRule.IF_PRESENT
    min_rsa_bits: int = 0
    refuse_sha1: bool = False
    ca_leaf_refused: bool = False
    key_types: tuple[str, ...] = ()
    validity_caps: tuple[tuple[int, str, bool], ...] = ()
    sent_dates_checked: bool = False
    messages: tuple[tuple[str, str], ...] = ()
    source: str = ""
    proof: str = "read from documentation"

    def message(self, code: str) -> str | None:
        """The client's words for the refusal ``code``; ``untrusted`` stands in for the other
        trust failures (a missing intermediate, a self-signed leaf) where the client says no more."""
        table = dict(self.messages)
        if code in table:
            return table[code]
        return table.get("untrusted") if code in _TRUST_CODES else None

    def min_key_bits(self, algorithm: str) -> int:
        """The smallest key of ``algorithm`` (``RSA``, ``DSA``, ``EC``) the client takes in the
        server's certificate: ``min_rsa_bits`` for RSA, and the path-wide ``key_floor``."""
        need = self.min_rsa_bits if algorithm == "RSA" else 0
        for name, bits in self.key_floor:  # empty but for the JDK's rows: read for every verdict, kept cheap
            if name == algorithm and bits > need:
                need = bits
        return need

    def describe(self) -> list[tuple[str, str]]:
        """The rules as (aspect, rule) rows, for ``docs/clients.md``."""
        key = []
        if self.min_rsa_bits:
            key.append(f"RSA under {self.min_rsa_bits} bits refused")
        if self.refuse_sha1:
            key.append("SHA-1 signatures refused")
        if self.security_level:
            key.append(f"OpenSSL security level {self.security_level}")
        if self.key_floor:
            key.append(", ".join(f"{alg} under {bits} bits" for alg, bits in self.key_floor)
                       + " refused on every certificate of the path, the anchor too")
        if self.sha1_jdk_ca:
            key.append("SHA-1 signatures refused below an anchor the JDK ships itself (its cacerts entries marked [jdk]),"
                       " allowed below any other")
        if self.key_types:
            key.append("keys other than " + ", ".join(self.key_types) + " refused")
        rows = [
            ("validator", _VALIDATOR_WORDS[self.validator]),
            ("trust store", self.trust.value + ("; any certificate in it is an anchor, an intermediate too" if self.partial_chain else "")
             + ("; an anchor is only a name and a key (its validity, name constraints and extensions are not checked)"
                if self.anchor_key_only else "")),
            ("missing intermediate", self.missing_intermediate.value),
            ("EKU", self.eku.value + ("; the CAs' EKU is not checked" if self.eku_leaf_only else "")),
            ("keys, signatures", "; ".join(key) or "as the validator decides"),
            ("CA certificate as leaf", "refused" if self.ca_leaf_refused else "as the validator decides"),
        ]
        if self.sent_dates_checked:
            rows.append(("dates", "every certificate the server sends must be valid, whether the path needs it or not"))
        if self.path_search:
            rows.append(("path building", "every path through the certificates the server sent is tried (backtracking)"))
        if self.anchor_must_be_ca:
            rows.append(("trust anchor", "must be a CA certificate with keyCertSign (v3), unless it is the server's certificate itself"))
        if self.empty_names_refused:
            rows.append(("parsing", "a certificate with an empty issuer, or an empty subject and a non-critical SAN, is unreadable"))
        if self.not_after_inclusive:
            rows.append(("validity", "a certificate is still valid at its notAfter and expired a millisecond after (OpenSSL: expired at it)"))
        if self.cn_ip_name:
            rows.append(("name constraints", "a subject CN that is an IP address is an iPAddress: checked against IP constraints"
                         " when the SAN has none, never against DNS ones; once checked, the host name check finds it in the SAN"))
        for days, since, public in self.validity_caps:
            rows.append(("validity", f"at most {days} days for certificates issued on or after {since}"
                         + (" by a public CA" if public else "")))
        rows.append(("proof", self.proof))
        return rows


_VALIDATOR_WORDS = {
    ChainValidator.OPENSSL: "OpenSSL X509_verify_cert (purpose sslserver, the client's security level), run in-process",
    ChainValidator.WEBPKI: "cryptography x509.verification (Web PKI: AKI/SKI, EKU on CAs, name constraints, key types)",
}

_TRUST_CODES = frozenset({"incomplete", "self-signed", "untrusted"})
# mozilla::pkix (pkixcheck.cpp CheckSubjectPublicKeyInfo) reads RSA and these three curves only
_MOZPKIX_KEYS = ("RSA", "ECDSA secp256r1", "ECDSA secp384r1", "ECDSA secp521r1")

# The Debian nss source package whose lib/mozpkix the thunderbird profile is checked against
# (tests/differential/oracles_src/mozpkix/VERSION)
MOZPKIX_VERSION = "2:3.87.1-1+deb12u4"
_APPLE_CAPS = ((825, "2019-07-01", False), (398, "2020-09-01", True))


# What a strict DER decoder refuses: before the tolerant SAN reader, every profile refused these.
_STRICT_DECODER = (SanDefect.NOT_UTF8_DNS, SanDefect.BAD_IP)


class ClientProfile(NamedTuple):
    """One client's name-checking rules, and where they come from.

    - ``strip_host_dots``: how many trailing dots of the typed name are ignored;
    - ``strip_pattern_dot``: a certificate name ``name.`` counts as ``name``;
    - ``dot_subdomains``: a typed name starting with a dot (``.example.com``) matches every
      name under it;
    - ``host_syntax`` / ``pattern_syntax``: what the typed name / a certificate name must look
      like; else the typed name is refused and the certificate name never matches, or, with
      ``invalid_exact``, either is compared only exactly as typed (ASCII case aside);
    - ``cn_idna``: a Unicode CN is converted to an A-label like the typed name;
    - ``ip_forms``: spellings of an IP address read as one (see :class:`IpForm`);
    - ``unreadable_san``: SAN entries that make the client refuse the whole certificate;
    - ``url_host``: the typed name is first read as the host of a URL by the WHATWG URL parser
      (as Thunderbird reads its server URI): normalised (UTS #46 mapping, so a full-width dot
      is a dot; IPv4 numbers in any radix; spaces around it, a trailing ``/`` or ``:port``
      dropped) or refused (forbidden characters, a last label of digits that is no IPv4
      address, ``[192.0.2.10]``);
    - ``invalid_stops``: SAN entries are read in order and one the client cannot read (a DNS
      name breaking ``pattern_syntax`` for a typed name, an iPAddress of a wrong length for a
      typed address), met before a match, refuses the whole certificate;
    - ``checks_host`` False: the client checks no host name at all (only the chain), so any
      certificate from a CA it trusts is accepted: a verdict with a warning, not silence;
    - ``requires_cn``: a certificate without a subject CN is refused whatever its SAN says;
    - ``nul``: what a NUL byte inside a certificate name does (see :class:`NulRule`);
    - ``library_check``: a library's check the client asks as well; both must accept;
    - ``message`` / ``cn_message``: the client's words on refusing (``cn_message`` when it
      judged by the CN because the SAN had no name); ``{name}``, ``{cn}``, ``{valid}``,
      ``{altnames}`` and ``{port}`` are filled in;
      ``cause_messages`` maps a refusal's cause (see ``matcher._causes``) to the
      words the client uses for it instead;
    - ``group``, ``proof``: where the client runs, and how its rules were established.
    - ``sender``: set for a sending mail server (``names/senders.py``): how it authenticates
      the MX it delivers to (DANE, MTA-STS) and its words for each refusal.
    """

    id: str
    title: str
    clients: str
    source: str
    reads: NameSource = NameSource.ALL_DNS
    cn_fallback: CnFallback = CnFallback.NO_SAN_DNS
    cn_choice: CnChoice = CnChoice.ANY
    cn_idna: bool = False
    wildcard: WildcardRule = WildcardRule()
    idna: Idna = Idna.UTS46
    strip_host_dots: int = 1
    strip_pattern_dot: bool = False
    dot_subdomains: bool = False
    host_syntax: NameSyntax = NameSyntax.ANY
    pattern_syntax: NameSyntax = NameSyntax.ANY
    invalid_exact: bool = False
    ip: IpHandling = IpHandling.SAN_IP
    ip_forms: tuple[IpForm, ...] = ()
    unreadable_san: tuple[SanDefect, ...] = _STRICT_DECODER
    url_host: bool = False
    invalid_stops: bool = False
    sends_sni: bool = True
    checks_host: bool = True
    requires_cn: bool = False
    nul: NulRule = NulRule.SKIP
    library_check: ClientProfile | None = None
    message: str | None = None
    cn_message: str | None = None
    cause_messages: tuple[tuple[str, str], ...] = ()
    group: ClientGroup = ClientGroup.LIBRARY
    proof: Proof = Proof.LIBRARY
    notes: tuple[str, ...] = ()
    chain: ChainPolicy = ChainPolicy()
    sender: SenderRules | None = None

    def describe(self) -> list[tuple[str, str]]:
        """The rules as (aspect, rule) rows, for ``docs/clients.md`` and ``--help``."""
        if not self.checks_host:
            return [
                ("host name", "not checked: any certificate whose chain the client trusts is accepted"),
                ("SNI", "sent" if self.sends_sni else "not sent"),
            ]
        cn = self.cn_fallback.value
        if self.cn_fallback is not CnFallback.NEVER:
            cn += f" ({self.cn_choice.value}{'; a Unicode CN converted like the typed name' if self.cn_idna else ''})"
        ip = self.ip.value
        if self.ip_forms:
            ip += "; also read as an address: " + ", ".join(f.value for f in self.ip_forms)
        rows = [
            ("names read", self.reads.value),
            ("CN fallback", cn),
            ("wildcards", _describe_wildcards(self.wildcard)),
            ("Unicode host", self.idna.value),
            ("trailing dot", _describe_dots(self)),
            ("IP host", ip),
        ]
        if self.url_host:
            rows.insert(0, ("typed name", "read as a URL's host (WHATWG URL parser): normalised, or refused"))
        odd = _describe_syntax(self)
        if odd:
            rows.append(("odd names", odd))
        if self.invalid_stops:
            rows.append(("unreadable SAN entry", "read in order: one met before a match refuses the whole certificate"))
        if self.unreadable_san:
            refused = ", ".join(d.value for d in self.unreadable_san)
            rows.append(("broken SAN", f"the whole certificate is refused for {refused}"))
        if self.requires_cn:
            rows.append(("no CN", "a certificate without a subject CN is refused"))
        if self.nul is not NulRule.SKIP:
            rows.append(("NUL in a name", self.nul.value))
        if self.library_check is not None:
            rows.append(("and", f"{self.library_check.title} must accept as well: {self.library_check.clients}"))
        rows.append(("SNI", "sent" if self.sends_sni else "not sent (Windows XP era)"))
        if self.sender is not None:
            rows += self.sender.describe()
        return rows


def _describe_syntax(p: ClientProfile) -> str:
    odd = []
    if p.dot_subdomains:
        odd.append("a typed name starting with a dot (.example.com) matches every name under it")
    host, pattern = p.host_syntax, p.pattern_syntax
    if host is pattern and host is not NameSyntax.ANY:
        fate = "compared only exactly as typed" if p.invalid_exact else "the typed name refused, a certificate name never matched"
        odd.append(f"typed and certificate names must be {host.value}; else {fate}")
    else:
        if host is not NameSyntax.ANY:
            odd.append(f"the typed name must be {host.value}; else {'compared only exactly' if p.invalid_exact else 'refused'}")
        if pattern is not NameSyntax.ANY:
            fate = "compared only exactly" if p.invalid_exact else "never matched"
            odd.append(f"certificate names must be {pattern.value}; else {fate}")
    return "; ".join(odd)


def _describe_wildcards(w: WildcardRule) -> str:
    if not w.allowed:
        return "no wildcards"
    if w.anywhere:
        return "one star anywhere in the name, standing for part of one label or for nothing; no label count asked"
    if w.glob:
        text = "stars anywhere, several per label, in every label but the last"
    else:
        offered = (("f*.example.com", w.prefix), ("*f.example.com", w.suffix), ("f*o.example.com", w.infix))
        shapes = [shape for shape, on in offered if on]
        text = "whole left-most label" + (f", or part of it ({', '.join(shapes)})" if shapes else " only")
    if w.multi_label:
        text += "; the star may stand for several labels (*.example.com covers a.b.example.com)"
    text += f"; pattern needs {w.min_labels}+ labels"
    if w.min_labels == 1:
        text += " (a bare * covers any one-label name)"
    if w.empty_ok:
        text += "; the star may match nothing"
    if w.ldh_only:
        text += "; only in names of letters, digits and hyphens, and the star matches only those"
    if not w.public_suffix:
        text += "; not on a public suffix (*.co.uk)"
    if not w.idna_ok:
        text += "; never inside an A-label (xn--*)"
    if not w.partial_alabel_ok and (w.prefix or w.suffix or w.infix or w.glob):
        text += "; a partial star never matches an A-label"
    if w.u_labels:
        text += "; the star is matched against the Unicode form of an A-label"
    if w.trailing_dot_ok:
        text += "; *.example.com. covers a.example.com."
    if not w.numeric_host_ok:
        text += "; never for a typed name of digits and dots"
    if not w.literal_star:
        text += "; a name with a star is never compared as plain text"
    if not w.in_cn:
        text += "; not in the CN"
    return text


def _describe_dots(p: ClientProfile) -> str:
    if p.strip_host_dots == 0:
        host = "kept on the typed name (a.example. is not a.example)"
    elif p.strip_host_dots == 1:
        host = "ignored on the typed name"
    else:
        host = f"up to {p.strip_host_dots} ignored on the typed name"
    return host + ("; ignored on certificate names" if p.strip_pattern_dot else "")


OUTLOOK2007_MESSAGE = (
    "The server you are connected to is using a security certificate that cannot be verified."
    " The target principal name is incorrect. Do you want to continue using this server?"
)

_CRYPTOAPI_SOURCE = (
    "Microsoft: CertVerifyCertificateChainPolicy with CERT_CHAIN_POLICY_SSL"
    " (learn.microsoft.com/windows/win32/api/wincrypt/nf-wincrypt-certverifycertificatechainpolicy);"
    " SAN DNS names first, subject CN only when the SAN has no DNS name"
)

# gnutls_x509_crt_check_hostname's wildcards: the profiles of GnuTLS clients share them.

# What the matcher read as an IP address before IP spellings became profile data.
_LEGACY_IP_FORMS = (IpForm.TRAILING_DOT, IpForm.BRACKETS)

_GNUTLS_WILDCARD = WildcardRule(suffix=True, min_labels=3, idna_ok=True, empty_ok=True, literal_star=False)

# What a2i_ipadd reads as an IP address (OpenSSL 3.0 crypto/x509/v3_utl.c: decimal parts with
# leading zeros, white space before, the address ended by white space): both OpenSSL's own
# SSL_set1_host and CPython decide "IP or name" with it.
_A2I_IPADD_FORMS = (IpForm.ZERO_PADDED, IpForm.LEADING_SPACE, IpForm.TRAILING_JUNK)

# OpenSSL as a library: what a TLS client gets from SSL_set1_host (flags 0).
_OPENSSL_PROFILE = ClientProfile(
    id="openssl",
    title="OpenSSL",
    clients=(
        "programs that give the typed name to SSL_set1_host (OpenSSL 3), or to"
        " X509_VERIFY_PARAM_set1_ip_asc when it is an IP and set1_host otherwise"
        " (openssl s_client -verify_ip / -verify_hostname); not curl, fetchmail, mbsync or"
        " s-nail, which match names with their own code (see their profiles)"
    ),
    source=(
        "OpenSSL 3.0 ssl/ssl_lib.c: SSL_set1_host (an IP literal, as a2i_ipadd reads it, goes to"
        " X509_VERIFY_PARAM_set1_ip_asc, any other name to X509_VERIFY_PARAM_set1_host);"
        " crypto/x509/v3_utl.c: X509_check_host with flags 0 (valid_star, wildcard_match,"
        " equal_nocase, skip_prefix) and X509_check_ip (SAN iPAddress only); checked against"
        " OpenSSL 3.0.19"
    ),
    cn_fallback=CnFallback.NO_SAN_DNS,
    cn_choice=CnChoice.ANY,
    wildcard=WildcardRule(
        prefix=True, suffix=True, min_labels=3, idna_ok=False, partial_alabel_ok=False, empty_ok=True, ldh_only=True
    ),
    idna=Idna.RAW,
    strip_host_dots=0,
    dot_subdomains=True,
    ip=IpHandling.SAN_IP,
    ip_forms=_A2I_IPADD_FORMS,
    unreadable_san=(),
    message="hostname mismatch",
    cause_messages=(("ip", "IP address mismatch"),),
    notes=(
        "This profile stands for SSL_set1_host, libssl's own way to name the server: since"
        " OpenSSL 3.0 it hands an IP literal to X509_VERIFY_PARAM_set1_ip_asc, so a typed IP"
        " matches SAN iPAddress entries only (never a dNSName, never the CN), as in"
        " `openssl s_client -verify_ip`, curl and CPython.  Programs that pass every name,"
        " IP literals included, to X509_VERIFY_PARAM_set1_host or X509_check_host compare an"
        " IP as text with the DNS names: fetchmail does (see its profile).",
    ),
)
# fetchmail calls X509_VERIFY_PARAM_set1_host itself, IP literals included (an IP compared as
# text with the DNS names), with X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS.
_OPENSSL_NO_PARTIAL = _OPENSSL_PROFILE._replace(
    id="openssl-no-partial",
    title="OpenSSL's X509_check_host (no partial wildcards)",
    clients="X509_VERIFY_PARAM_set1_host with X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS",
    wildcard=_OPENSSL_PROFILE.wildcard._replace(prefix=False, suffix=False),
    ip=IpHandling.AS_TEXT,
    ip_forms=(),
    cause_messages=(),
    notes=(),
)

# mbsync and s-nail follow RFC 2595 section 2.4 the same way: every SAN dNSName, then the
# first CN whatever the SAN holds; '*.' stands for the host's first label.
_MBSYNC_PROFILE = ClientProfile(
    id="mbsync",
    group=ClientGroup.TERMINAL,
    proof=Proof.WIRE,
    title="isync / mbsync",
    clients="mbsync (isync 1.4, OpenSSL)",
    source=(
        "isync 1.4.4 src/socket.c: verify_hostname (every SAN dNSName, then the first CN"
        " whatever the SAN holds; a name with a NUL is skipped) and host_matches (a leading"
        " '*.' stands for the host's first label, any number of labels after it)"
    ),
    cn_fallback=CnFallback.ALWAYS,
    cn_choice=CnChoice.FIRST,
    wildcard=WildcardRule(min_labels=2, idna_ok=True),
    idna=Idna.RAW,
    strip_host_dots=0,
    ip=IpHandling.AS_TEXT,
    unreadable_san=(),
    message="Error, certificate owner does not match hostname {name}",
)

# GnuTLS as a library; the clients that call gnutls_x509_crt_check_hostname share its rules.
_GNUTLS_PROFILE = ClientProfile(
    id="gnutls",
    title="GnuTLS",
    clients="Evolution, mutt built with GnuTLS, GLib/GIO clients",
    source=(
        "GnuTLS lib/x509/hostname-verify.c: gnutls_x509_crt_check_hostname2(flags 0) and"
        " lib/str-idna.c (gnutls_idna_map); checked against GnuTLS 3.7.9 as Debian 12 ships it"
        " (3.7.9-2+deb12u7, with 3.8.13's fix for CVE-2026-42013: a URI or SRV name in the SAN,"
        " or an entry too long to read, precludes the CN fallback: PRECLUDES_CN_FALLBACK)"
    ),
    cn_fallback=CnFallback.NO_SAN_NAME,
    cn_choice=CnChoice.ONLY,
    wildcard=_GNUTLS_WILDCARD,
    idna=Idna.UTS46_OR_2003,
    strip_host_dots=0,
    pattern_syntax=NameSyntax.PRINTABLE,
    ip=IpHandling.SAN_IP,
    unreadable_san=(SanDefect.EMPTY_DNS, SanDefect.EMPTY_IP, SanDefect.BAD_STRING),
    message="The certificate's owner does not match hostname '{name}'",
    notes=(
        "A wildcard must begin the name: '*' or '*f' in the left-most label, never 'f*'.",
        "GnuTLS drops control characters from the typed name before comparing; not modelled"
        " (a name with a control character is a typing accident, not a configuration).",
    ),
)

# NeoMutt is a fork of mutt and kept its GnuTLS certificate prompt: one row of rules and words,
# two clients (measured identical over the wire).
_MUTT_FAMILY = _GNUTLS_PROFILE._replace(
    group=ClientGroup.TERMINAL,
    proof=Proof.WIRE,
    notes=(),
    cause_messages=(
        ("defect:BAD_STRING", "(r)eject, accept (o)nce, (a)ccept always"),
        ("defect", "gnutls_handshake: Unknown Subject Alternative name in X.509 certificate."),
    ),
    message="WARNING: Server hostname does not match certificate",
)

_PROFILES: tuple[ClientProfile, ...] = (
    ClientProfile(
        id="outlook2007",
        group=ClientGroup.DESKTOP, proof=Proof.DOCS,
        title="Outlook 2007",
        clients="Outlook 2007 with POP3, IMAP4 or SMTP over TLS",
        source=(
            "KB958977 (the SBS 2008 case): Outlook 2007 reads only the first DNS name of the SAN."
            " Where the article is silent we follow CertGetNameString(CERT_NAME_DNS_TYPE)"
            " (learn.microsoft.com/windows/win32/api/wincrypt/nf-wincrypt-certgetnamestringw),"
            " the CryptoAPI call that returns exactly 'the first DNSName choice of the SAN; if"
            " there is none, the subject CN'."
        ),
        reads=NameSource.FIRST_DNS,
        cn_fallback=CnFallback.NO_SAN_DNS,
        cn_choice=CnChoice.LAST,
        wildcard=WildcardRule(min_labels=3, idna_ok=True),
        idna=Idna.REFUSE,
        strip_host_dots=0,
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
        group=ClientGroup.DESKTOP, proof=Proof.DOCS,
        title="Outlook (CryptoAPI)",
        clients="Outlook 2000/2003/2010 and later, Outlook Express, Windows Mail",
        source=_CRYPTOAPI_SOURCE,
        reads=NameSource.ALL_DNS,
        cn_fallback=CnFallback.NO_SAN_DNS,
        cn_choice=CnChoice.ANY,
        wildcard=WildcardRule(min_labels=3, idna_ok=True),
        idna=Idna.UTS46,
        ip=IpHandling.SAN_IP_OR_CN,
        ip_forms=_LEGACY_IP_FORMS,
        message=(
            "The server you are connected to is using a security certificate that cannot be"
            " verified. The target principal name is incorrect."
        ),
        notes=("KB958977: these clients accept the SBS 2008 certificate that Outlook 2007 refuses.",),
    ),
    ClientProfile(
        id="thunderbird",
        group=ClientGroup.DESKTOP, proof=Proof.LIBRARY,
        title="Thunderbird",
        clients="Thunderbird (mozilla::pkix)",
        source=(
            "mozilla::pkix CheckCertHostname (lib/mozpkix/lib/pkixnames.cpp: IsValidDNSID, SearchNames,"
            " MatchPresentedDNSIDWithReferenceDNSID) with Firefox/Thunderbird's policy of never falling"
            " back to the CN (StrictNameMatchingPolicy), ERROR_BAD_DER reported as ERROR_BAD_CERT_DOMAIN"
            " (CertVerifier::VerifySSLServerCert); the typed server name parsed as a URL host first"
            " (WHATWG URL parser); checked against the real mozilla::pkix from Debian's nss"
            f" {MOZPKIX_VERSION} with Node's URL parser (tests/differential)"
        ),
        cn_fallback=CnFallback.NEVER,
        wildcard=WildcardRule(min_labels=3, idna_ok=False),
        idna=Idna.UTS46,
        url_host=True,
        host_syntax=NameSyntax.DNS_ID,
        pattern_syntax=NameSyntax.DNS_ID,
        invalid_stops=True,
        unreadable_san=(),
        ip=IpHandling.SAN_IP,
        message="Add Security Exception: The certificate belongs to a different site, which could mean that someone is trying to impersonate this site.",
    ),
    _GNUTLS_PROFILE._replace(
        id="evolution",
        group=ClientGroup.DESKTOP,
        proof=Proof.SOURCE,
        title="Evolution (GIO)",
        clients="Evolution, Geary and other GNOME clients (GIO's TLS client, glib-networking's GnuTLS backend)",
        source=(
            "glib-networking tls/gnutls/gtlscertificate-gnutls.c: g_tls_certificate_gnutls_verify_identity"
            " passes the connectable's host name to gnutls_x509_crt_check_hostname; its rules are the"
            " gnutls profile's, checked against GnuTLS 3.7.9"
        ),
        message="The certificate does not match the expected identity of the site that it was retrieved from.",
        notes=("The message is GIO's for G_TLS_CERTIFICATE_BAD_IDENTITY; Evolution shows it in its certificate dialog.",),
    ),
    ClientProfile(
        id="thunderbird-android",
        group=ClientGroup.MOBILE,
        proof=Proof.SOURCE,
        title="Thunderbird for Android (K-9 Mail)",
        clients="Thunderbird for Android and K-9 Mail",
        source=(
            "thunderbird-android mail/common/src/main/java/com/fsck/k9/mail/ssl/TrustManagerFactory.java:"
            " SecureX509TrustManager.checkServerTrusted calls Apache HttpClient 5's"
            " DefaultHostnameVerifier (no public-suffix matcher) with the account's host;"
            " httpclient5 org/apache/hc/client5/http/ssl/DefaultHostnameVerifier.java: verify"
            " (an IPv4/IPv6 host against SAN iPAddress entries only; a name against SAN dNSNames,"
            " the CN of the RFC 2253 form - the last CN - only when there is none) and"
            " matchIdentity (one star anywhere, the rest literal, the star never spanning a dot)"
        ),
        cn_fallback=CnFallback.NO_SAN_DNS,
        cn_choice=CnChoice.LAST,
        wildcard=WildcardRule(anywhere=True, min_labels=1, idna_ok=True, empty_ok=True),
        idna=Idna.RAW,
        strip_host_dots=0,
        ip=IpHandling.SAN_IP,
        unreadable_san=(SanDefect.BAD_IP,),
        message="Certificate for <{name}> doesn't match any of the subject alternative names: [{valid}]",
        cn_message="Certificate for <{name}> doesn't match common name of the certificate subject: {cn}",
        notes=(
            "A certificate the user accepted once for this server is taken whatever its names"
            " (LocalKeyStore); not modelled.",
            "Android's JDK parses the certificate; a SAN it cannot decode is assumed refused, as"
            " the java profile's JDK does (not measured).",
        ),
    ),
    ClientProfile(
        id="apple-mail",
        group=ClientGroup.MOBILE, proof=Proof.DOCS,
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
        wildcard=WildcardRule(min_labels=3, idna_ok=False),
        idna=Idna.UTS46,
        ip=IpHandling.SAN_IP,
        ip_forms=_LEGACY_IP_FORMS,
        message="Cannot Verify Server Identity: The identity of the server cannot be verified.",
    ),
    ClientProfile(
        id="curl",
        group=ClientGroup.TERMINAL,
        proof=Proof.WIRE,
        title="curl",
        clients="curl and libcurl with OpenSSL (Debian's build): imap(s)://, pop3(s)://, smtp(s)://",
        source=(
            "curl 7.88.1 lib/vtls/openssl.c: ossl_verifyhost (SAN dNSName or iPAddress by the URL"
            " host's type; the last CN only when the SAN has neither) and lib/vtls/hostcheck.c:"
            " hostmatch as Debian patches it (CVE-2023-28321.patch: only a whole '*.' left-most"
            " label, two dots needed, none for an IP host; one trailing dot dropped on both"
            " sides); the host is converted with libidn2"
        ),
        cn_fallback=CnFallback.NO_SAN_DNS_OR_IP,
        cn_choice=CnChoice.LAST,
        wildcard=WildcardRule(min_labels=3, idna_ok=True),
        idna=Idna.UTS46,
        strip_host_dots=1,
        strip_pattern_dot=True,
        ip=IpHandling.SAN_IP_OR_CN,
        ip_forms=(IpForm.BRACKETS,),
        unreadable_san=(),
        message="SSL: no alternative certificate subject name matches target host name '{name}'",
        cn_message="SSL: certificate subject name '{cn}' does not match target host name '{name}'",
    ),
    ClientProfile(
        id="fetchmail",
        group=ClientGroup.TERMINAL,
        proof=Proof.WIRE,
        title="fetchmail",
        clients="fetchmail 6.4 with sslcertck (OpenSSL)",
        source=(
            "fetchmail 6.4 socket.c: SSL_verify_callback (every SAN dNSName, then the first CN"
            " always; no CN at all, or a NUL in a SAN name or the CN, refuses the certificate) and"
            " x509_name_match.c: name_match (a '*.' pattern matches any name ending in its rest,"
            " however many labels, and needs two dots; no wildcard for names of digits and dots);"
            " SSLOpen also hands the name to X509_VERIFY_PARAM_set1_host with"
            " X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS, so OpenSSL's check must pass too"
        ),
        cn_fallback=CnFallback.ALWAYS,
        cn_choice=CnChoice.FIRST,
        wildcard=WildcardRule(min_labels=3, multi_label=True, numeric_host_ok=False, idna_ok=True),
        idna=Idna.RAW,
        strip_host_dots=0,
        ip=IpHandling.AS_TEXT,
        unreadable_san=(),
        requires_cn=True,
        nul=NulRule.REFUSE,
        library_check=_OPENSSL_NO_PARTIAL,
        message="Server CommonName mismatch: {cn} != {name}",
        cause_messages=(
            ("no-cn", "Server name not specified in certificate!"),
            ("nul", "Bad certificate: Subject Alternative Name contains NUL, aborting!"),
            ("library", "Server certificate verification error: hostname mismatch"),
        ),
    ),
    _MBSYNC_PROFILE,
    _MBSYNC_PROFILE._replace(
        id="s-nail",
        title="s-nail (mailx)",
        clients="s-nail 14.9 (mailx), OpenSSL build",
        source=(
            "s-nail 14.9.24 src/mx/xtls.c: a_xtls_check_host (every SAN dNSName as a C string,"
            " then the first CN whatever the SAN holds) and src/mx/tls.c:"
            " n_tls_rfc2595_hostname_match (a leading '*.' stands for the host's first label);"
            " the URL host is lower-cased and converted with libidn2 (src/mx/url.c)"
        ),
        idna=Idna.UTS46,
        nul=NulRule.TRUNCATE,
        message="TLS certificate does not match: {name}:{port}",
    ),
    _MUTT_FAMILY._replace(
        id="mutt",
        title="mutt (GnuTLS)",
        clients="mutt 2.2 as Debian builds it (GnuTLS)",
        source=(
            "mutt mutt_ssl_gnutls.c: tls_check_one_certificate calls gnutls_x509_crt_check_hostname"
            " with the account's host; the gnutls profile's rules, checked against GnuTLS 3.7.9"
        ),
    ),
    _MUTT_FAMILY._replace(
        id="neomutt",
        title="NeoMutt (GnuTLS)",
        clients="NeoMutt 2022 as Debian builds it (GnuTLS)",
        source=(
            "neomutt conn/gnutls.c: tls_check_one_certificate calls gnutls_x509_crt_check_hostname;"
            " the gnutls profile's rules, checked against GnuTLS 3.7.9"
        ),
    ),
    _GNUTLS_PROFILE._replace(
        id="msmtp",
        group=ClientGroup.TERMINAL,
        proof=Proof.WIRE,
        title="msmtp (GnuTLS)",
        clients="msmtp 1.8 (GnuTLS)",
        source=(
            "msmtp src/mtls-gnutls.c: mtls_check_cert calls gnutls_certificate_verify_peers3 with"
            " the host name and prints gnutls_certificate_verification_status_print's text;"
            " the gnutls profile's rules, checked against GnuTLS 3.7.9"
        ),
        notes=(),
        cause_messages=(
            ("defect:BAD_STRING", "The certificate issuer is unknown."),
            ("defect", "TLS handshake failed: Unknown Subject Alternative name in X.509 certificate."),
        ),
        message=(
            "TLS certificate verification failed: The certificate is NOT trusted."
            " The name in the certificate does not match the expected."
        ),
    ),
    ClientProfile(
        id="swaks",
        group=ClientGroup.TERMINAL,
        proof=Proof.WIRE,
        title="swaks --tls-verify",
        clients="swaks with --tls-verify (Net::SSLeay): the chain is verified, the name never",
        source="swaks 20201014: --tls-verify sets SSL_VERIFY_PEER only; no host name is given to the verifier",
        checks_host=False,
        unreadable_san=(),
    ),
    _OPENSSL_PROFILE,
    ClientProfile(
        id="python",
        title="Python ssl",
        clients="CPython ssl: imaplib, poplib, smtplib, requests",
        source=(
            "CPython Lib/ssl.py (server_hostname encoded with the 'idna' codec) and"
            " Modules/_ssl.c (empty and leading-dot names refused; a2i_IPADDRESS decides IP"
            " literals, then X509_VERIFY_PARAM_set1_ip, else set1_host with"
            " X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS); checked against CPython 3.11 with OpenSSL 3.0"
        ),
        cn_fallback=CnFallback.NO_SAN_DNS,
        cn_choice=CnChoice.ANY,
        wildcard=WildcardRule(min_labels=3, idna_ok=False, partial_alabel_ok=False, ldh_only=True),
        idna=Idna.IDNA2003,
        strip_host_dots=0,
        host_syntax=NameSyntax.LABEL_LENGTHS,
        ip=IpHandling.SAN_IP,
        ip_forms=_A2I_IPADD_FORMS,
        unreadable_san=(),
        message="[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: Hostname mismatch, certificate is not valid for '{name}'.",
        cause_messages=(
            ("ip", "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: IP address mismatch, certificate is not valid for '{name}'."),
        ),
    ),
    _GNUTLS_PROFILE,
    ClientProfile(
        id="nss",
        title="NSS",
        clients="older NSS-based clients (CERT_VerifyCertName)",
        source=(
            "NSS lib/certdb/certdb.c: CERT_VerifyCertName, cert_VerifySubjectAltName,"
            " cert_TestHostName (RFC 6125 mode); IP literals by NSPR PR_StringToNetAddr;"
            " checked against NSS 3.87"
        ),
        cn_fallback=CnFallback.NO_SAN_DNS,
        cn_choice=CnChoice.LAST,
        wildcard=WildcardRule(
            prefix=True, min_labels=3, idna_ok=False, partial_alabel_ok=False, empty_ok=True, trailing_dot_ok=True
        ),
        idna=Idna.RAW,
        strip_host_dots=0,
        pattern_syntax=NameSyntax.NO_DN_SPECIALS,
        ip=IpHandling.SAN_IP_OR_CN_TEXT,
        ip_forms=(IpForm.SHORT, IpForm.C_RADIX, IpForm.TRAILING_JUNK, IpForm.ZONE_GETADDRINFO, IpForm.V4_MAPPED),
        unreadable_san=(),
        message="SSL_ERROR_BAD_CERT_DOMAIN: Unable to communicate securely with peer: requested domain name does not match the server's certificate.",
        notes=(
            "SAN names are RFC 1485-quoted before comparing, so a name holding a comma, '=',"
            " '+' or the like never matches.",
        ),
    ),
    ClientProfile(
        id="java",
        title="Java (JavaMail)",
        clients="JavaMail / Jakarta Mail and other JDK clients (endpoint identification HTTPS)",
        source=(
            "OpenJDK sun.security.util.HostnameChecker, TYPE_TLS (endpoint identification"
            " 'HTTPS'), with javax.net.ssl.SNIHostName's checks and java.net.IDN;"
            " X509TrustManagerImpl drops one trailing dot; checked against OpenJDK 17"
        ),
        cn_fallback=CnFallback.NO_SAN_DNS,
        cn_choice=CnChoice.MOST_SPECIFIC,
        cn_idna=True,
        wildcard=WildcardRule(glob=True, min_labels=2, idna_ok=True, empty_ok=True, u_labels=True),
        idna=Idna.IDNA2003_STRICT,
        host_syntax=NameSyntax.LDH,
        pattern_syntax=NameSyntax.LDH,
        ip=IpHandling.SAN_IP,
        ip_forms=(IpForm.ZERO_PADDED, IpForm.SHORT, IpForm.TRAILING_DOT, IpForm.BRACKETS, IpForm.ZONE, IpForm.V4_MAPPED),
        unreadable_san=(SanDefect.BAD_IP,),
        message="java.security.cert.CertificateException: No subject alternative DNS name matching {name} found.",
        notes=(
            "The JDK refuses wildcards on a public suffix (*.co.uk, *.com) only for chains ending"
            " at a public CA, and public CAs do not issue such certificates; the profile follows"
            " the JDK with a private CA, which accepts them.",
        ),
    ),
    ClientProfile(
        id="jakarta",
        title="Jakarta Mail (identity check on)",
        clients="Jakarta Mail / JavaMail 2.0 with mail.<protocol>.ssl.checkserveridentity=true, on JDK 9 or later",
        source=(
            "Jakarta Mail 2.0.0 com/sun/mail/util/SocketFetcher.java: checkServerIdentity ->"
            " matchCert.  Its first choice, sun.security.util.HostnameChecker found by reflection,"
            " is closed to it by the JDK's module system, so its own matcher decides: every SAN"
            " dNSName, the CN only when the SAN has none (the first 'CN=' of the RFC 2253 string:"
            " the last CN), matchServer ('*.' + rest covers any name ending in '.' + rest;"
            " otherwise equalsIgnoreCase).  iPAddress entries are never read"
        ),
        proof=Proof.WIRE,
        cn_fallback=CnFallback.NO_SAN_DNS,
        cn_choice=CnChoice.LAST,
        wildcard=WildcardRule(min_labels=2, multi_label=True, idna_ok=True),
        idna=Idna.RAW,
        strip_host_dots=0,
        ip=IpHandling.AS_TEXT,
        unreadable_san=(),
        message="Can't verify identity of server: {name}",
        notes=(
            "The JDK's handshake accepts a SAN holding a 5-octet iPAddress (measured on the wire);"
            " when getSubjectAlternativeNames cannot decode the SAN, matchCert ignores it and reads"
            " the CN (not modelled: the profile reads the entries it can decode).",
        ),
    ),
    ClientProfile(
        id="jakarta-default",
        title="Jakarta Mail (default settings)",
        clients="Jakarta Mail / JavaMail 2.0 as configured by default (checkserveridentity=false): the JDK checks the chain, nobody the name",
        source=(
            "Jakarta Mail 2.0.0 com/sun/mail/util/SocketFetcher.java: configureSSLSocket reads"
            " mail.<protocol>.ssl.checkserveridentity with default false and sets no endpoint"
            " identification algorithm"
        ),
        proof=Proof.WIRE,
        checks_host=False,
        unreadable_san=(),
    ),
    ClientProfile(
        id="node",
        title="Node.js (Nodemailer)",
        clients="Nodemailer and other Node.js clients (tls.checkServerIdentity)",
        source="Node.js lib/tls.js: checkServerIdentity and check(); checked against Node.js 20",
        cn_fallback=CnFallback.NO_SAN_DNS,
        cn_choice=CnChoice.ANY,
        wildcard=WildcardRule(prefix=True, suffix=True, infix=True, min_labels=3, idna_ok=False, empty_ok=True, literal_star=False),
        idna=Idna.RAW,
        strip_host_dots=2,
        strip_pattern_dot=True,
        pattern_syntax=NameSyntax.VISIBLE,
        ip=IpHandling.SAN_IP,
        ip_forms=(IpForm.TRAILING_DOT, IpForm.ZONE),
        unreadable_san=(),
        message="ERR_TLS_CERT_ALTNAME_INVALID: Hostname/IP does not match certificate's altnames: Host: {name}. is not in the cert's altnames: {altnames}",
        cn_message="ERR_TLS_CERT_ALTNAME_INVALID: Hostname/IP does not match certificate's altnames: Host: {name}. is not cert's CN: {cn}",
        cause_messages=(
            ("ip", "ERR_TLS_CERT_ALTNAME_INVALID: Hostname/IP does not match certificate's altnames: IP: {name} is not in the cert's list: {ips}"),
        ),
        notes=(
            "The typed name's trailing dot is dropped twice (checkServerIdentity, then splitHost).",
        ),
    ),
    ClientProfile(
        id="go",
        title="Go crypto/x509",
        clients="Go programs (crypto/x509 VerifyHostname)",
        source=(
            "Go src/crypto/x509/verify.go: VerifyHostname, validHostname, matchHostnames,"
            " matchExactly (no CN fallback since Go 1.15); x509 parsing refuses non-IA5 dNSNames"
            " and odd-length iPAddresses; checked against Go 1.19"
        ),
        cn_fallback=CnFallback.NEVER,
        wildcard=WildcardRule(min_labels=1, idna_ok=True),
        idna=Idna.RAW,
        host_syntax=NameSyntax.LDH_UNDERSCORE,
        pattern_syntax=NameSyntax.LDH_UNDERSCORE,
        invalid_exact=True,
        ip=IpHandling.SAN_IP,
        ip_forms=(IpForm.BRACKETS, IpForm.V4_MAPPED),
        unreadable_san=(SanDefect.NON_ASCII_DNS, SanDefect.BAD_IP),
        message="x509: certificate is valid for {valid}, not {name}",
        cause_messages=(
            ("defect:BAD_IP", "tls: failed to parse certificate from server: x509: cannot parse IP address of length {badip}"),
            ("defect:NON_ASCII_DNS", "tls: failed to parse certificate from server: x509: SAN dNSName is malformed"),
            ("ip-none", "x509: cannot validate certificate for {name} because it doesn't contain any IP SANs"),
            ("ip", "x509: certificate is valid for {ips}, not {name}"),
            ("cn-only", "x509: certificate relies on legacy Common Name field, use SANs instead"),
            ("no-names", "x509: certificate is not valid for any names, but wanted to match {name}"),
        ),
    ),
    ClientProfile(
        id="rfc9525",
        proof=Proof.DOCS,
        title="RFC 9525",
        clients="the current standard, strictly (what a new client should do)",
        source="RFC 9525 (2023): sections 6.3 (DNS-ID only, never CN), 6.3 (wildcard = whole left-most label), 6.4 (IP-ID)",
        cn_fallback=CnFallback.NEVER,
        wildcard=WildcardRule(min_labels=3, idna_ok=False),
        idna=Idna.UTS46,
        ip=IpHandling.SAN_IP,
        ip_forms=_LEGACY_IP_FORMS,
    ),
)

_OPENSSL_PROOF = "real library: OpenSSL's X509_verify_cert run in-process (x509-limbo: tests/certs/test_limbo.py)"
_OPENSSL_WORDS = (("untrusted", "certificate verify failed: {error}"),)
_SECLEVEL2 = "Debian's OpenSSL: CipherString = DEFAULT:@SECLEVEL=2 (RSA and DH under 2048 bits, SHA-1 signatures refused)"
_CRYPTOAPI_CHAIN = ChainPolicy(
    security_level=0,
    trust=TrustSource.WINDOWS,
    missing_intermediate=MissingIntermediate.AIA,
    min_rsa_bits=1024,
    messages=(
        ("untrusted", "The security certificate was issued by a company you have not chosen to trust."
                      " View the certificate to determine whether you want to trust the certifying authority."),
        ("expired", "The security certificate has expired or is not yet valid."),
    ),
    source=(
        "CertGetCertificateChain + CertVerifyCertificateChainPolicy(CERT_CHAIN_POLICY_SSL):"
        " serverAuth EKU checked when present; AIA retrieval of missing issuers is on by default"
        " (learn.microsoft.com/windows/win32/seccrypto/certificate-chain-verification);"
        " RSA under 1024 bits blocked (KB2661254)"
    ),
    proof="read from documentation; chain rules judged with OpenSSL's validator as the nearest RFC 5280 one",
)

# Chain rules per client: a separate table so that new client rows (name rules) and these
# merge independently; a client without an entry gets ChainPolicy()'s OpenSSL defaults.
_GNUTLS_CHAIN = ChainPolicy(
    security_level=1,  # = GnuTLS's rules: SHA-1 signatures refused on intermediates too, RSA >= 1024
    partial_chain=True,
    refuse_sha1=True,
    min_rsa_bits=1024,
    messages=(("untrusted", "The certificate is NOT trusted. The certificate issuer is unknown."),),
    source=(
        "GnuTLS 3.6+: SHA-1 certificate signatures insecure on every certificate but the anchor;"
        " verification profile 'low' of the NORMAL priority (RSA >= 1024); gnutls_x509_trust_list:"
        " any trusted certificate ends the path"
    ),
    proof=(
        "real library: GnuTLS 3.7's gnutls_x509_trust_list_verify_crt2 over x509-limbo and the chain corpus;"
        " wire: GnuTLS 3.7.9's gnutls-cli handshakes with each served chain of the corpus, the typed name"
        " verified (tests/differential/test_chains_vs_real.py); chain judged with OpenSSL's validator at level 1"
    ),
)

# jdk.certpath.disabledAlgorithms of OpenJDK 17 (conf/security/java.security, as Debian's
# openjdk-17 installs it): "RSA keySize < 1024, DSA keySize < 1024, EC keySize < 224".
# AlgorithmChecker.check holds each certificate's own key to them (DisabledAlgorithmConstraints
# .permits with CertPathConstraintsParameters: "keysize limits: RSA 768 bit key used with
# certificate: ..."), and the trust anchor's key too: PKIXCertPathValidator gives AlgorithmChecker
# the TrustAnchor, whose key is prevPubKey when the certificate below it is checked
# (permits(SIGNATURE_PRIMITIVE_SET, sigAlg, prevPubKey): "signature algorithm: SHA256withRSA").
_JDK_KEY_FLOOR = (("RSA", 1024), ("DSA", 1024), ("EC", 224))

_JDK_CHAIN = ChainPolicy(
    security_level=0,
    partial_chain=True,
    anchor_key_only=True,
    cn_ip_name=True,
    key_floor=_JDK_KEY_FLOOR,
    sha1_jdk_ca=True,
    not_after_inclusive=True,
    anchor_must_be_ca=True,
    empty_names_refused=True,
    eku_leaf_only=True,
    path_search=True,
    trust=TrustSource.JDK,
    messages=(
        ("untrusted", "PKIX path building failed: sun.security.provider.certpath.SunCertPathBuilderException:"
                      " unable to find valid certification path to requested target"),
        ("expired", "PKIX path validation failed: java.security.cert.CertPathValidatorException: validity check failed"),
        ("eku", "Extended key usage does not permit use for TLS server authentication"),
        ("name-constraints", "PKIX path validation failed: java.security.cert.CertPathValidatorException: name constraints check failed"),
        ("weak-key", "PKIX path validation failed: java.security.cert.CertPathValidatorException: {error}"),
        ("weak-signature", "PKIX path validation failed: java.security.cert.CertPathValidatorException: {error}"),
    ),
    source=(
        "OpenJDK 17 java.security: jdk.certpath.disabledAlgorithms = MD2, MD5, SHA1 jdkCA & usage"
        " TLSServer, RSA keySize < 1024, DSA keySize < 1024, EC keySize < 224 (SHA-1 refused only"
        " for chains ending at an anchor whose cacerts alias holds ' [jdk': sun.security.util.AnchorCertificates;"
        " Debian's cacerts, made by ca-certificates-java with 'debian:' aliases, marks none); EndEntityChecker: serverAuth EKU when present; a TrustAnchor is"
        " any trusted certificate, taken as its name and key (PKIXParameters: TrustAnchor(cert, null));"
        " sun.security.x509.NameConstraintsExtension.verify(X509Certificate): the most specific CN, when"
        " IPAddressUtil takes it for an IP literal and the SAN holds no iPAddress, is checked as an"
        " IPAddressName (else as a DNSName when the SAN holds no dNSName), and is added to the leaf's own"
        " SAN GeneralNames, which HostnameChecker.matchIP then reads; AlgorithmChecker applies the key"
        " sizes to every key of the path, the anchor's too; CertificateValidity.valid: expired only after notAfter,"
        " in milliseconds;"
        " PKIXValidator.verifyTrustAnchor: a v3 anchor must be a CA with keyCertSign; X509CertInfo: no"
        " empty issuer, no empty subject without a critical SAN; EndEntityChecker: EKU of the leaf only;"
        " SunCertPathBuilder: backtracks among the issuers sent"
    ),
    proof=(
        "real library: OpenJDK 17's X509TrustManagerImpl.checkServerTrusted over x509-limbo (99.92%) and"
        " the chain corpus; wire: a JSSE client (TrustManagerFactory PKIX, endpoint identification HTTPS,"
        " SNI) in real handshakes with each served chain of the corpus (tests/differential/test_chains_vs_real.py),"
        " and on a copy of the JDK whose cacerts marks the corpus's root [jdk] (SHA-1 refused: test_jdk_ca.py);"
        " a server certificate installed as trusted taken as it is (key, EKU, dates unchecked), small anchor"
        " and DSA-768 keys refused in the JDK's words (test_jdk_policies.py);"
        " chain judged with OpenSSL's"
        " validator, anchors reduced to name and key, and the JDK's rules above as OpenSSL settings"
        " and checks on the path it built"
    ),
)


# How each GnuTLS client asks GnuTLS about the chain (read from its source): none passes
# GNUTLS_DT_KEY_PURPOSE_OID, so GnuTLS checks no EKU for them (gnutls-cli does: the gnutls row)
_GNUTLS_CLIENTS_NO_PURPOSE = {
    "mutt": "mutt 2.2.12 mutt_ssl_gnutls.c: tls_verify_peers calls gnutls_certificate_verify_peers2 (no name, no purpose)"
            " with GnuTLS's time checks off (GNUTLS_VERIFY_DISABLE_TIME_CHECKS), then tls_check_preauth checks the host"
            " name and the dates of every certificate the server sent, and in batch mode refuses what fails; ",
    "neomutt": "NeoMutt 20220429 conn/gnutls.c: tls_verify_peers calls gnutls_certificate_verify_peers2 (no name, no"
               " purpose) with GnuTLS's time checks off, then tls_check_preauth checks the host name and the dates of"
               " every certificate the server sent, and in batch mode refuses what fails (silently: its certificate"
               " dialog cannot be answered); ",
    "msmtp": "msmtp 1.8.23 src/mtls-gnutls.c: mtls_check_cert calls gnutls_certificate_verify_peers3 with the host name"
             " and no purpose; ",
    "evolution": "glib-networking 2.74 tls/gnutls/gtlsdatabase-gnutls.c: g_tls_database_gnutls_verify_chain calls"
                 " gnutls_x509_trust_list_verify_crt with no purpose (GIO's purpose argument is only asserted); ",
}
_NO_PURPOSE_PROOF = (
    "read from the client's source (the calls above); real library: GnuTLS 3.7's gnutls_x509_trust_list_verify_crt2"
    " without a purpose over the chain corpus (tests/differential/test_chains_vs_real.py); chain judged with OpenSSL's"
    " validator at level 1, for no purpose"
)


def _wire_chain_proof(client: str, how: str, *, library_too: bool = False) -> str:
    """The chain proof of a GnuTLS mail client run over the wire on the chain corpus; with
    ``library_too``, the chain-only comparison with GnuTLS's call without a purpose as well."""
    library = (" real library: GnuTLS 3.7's gnutls_x509_trust_list_verify_crt2 without a purpose over the corpus;"
               if library_too else "")
    return (f"wire: real {client} (GnuTLS 3.7.9) {how} each served chain of the corpus"
            f" (tests/differential/test_chains_vs_real.py);{library} chain judged with OpenSSL's validator at level 1,"
            " for no purpose")


_GNUTLS_WIRE_CHAIN_PROOF = {
    "mutt": _wire_chain_proof("mutt 2.2.12", "in batch mode sends over SMTPS to"),
    "neomutt": _wire_chain_proof("NeoMutt 20220429", "in batch mode sends over SMTPS, to the typed name, to"),
    "msmtp": _wire_chain_proof("msmtp 1.8.23", "handshakes with", library_too=True),
    "evolution": (
        "real library, over the wire: GIO with glib-networking 2.74.0's GnuTLS backend, called as Evolution's camel"
        " calls it (GTlsClientConnection, the typed name as server identity, accept-certificate refused as an"
        " unanswered trust prompt; the case's anchors as a GTlsFileDatabase), handshakes with each served chain of the"
        " corpus (tests/differential/oracles_src/gio_client.py; not the Evolution program); real library: GnuTLS 3.7's"
        " gnutls_x509_trust_list_verify_crt2 without a purpose over the corpus; chain judged with OpenSSL's validator"
        " at level 1, for no purpose"
    ),
}

_SWAKS_VERIFY_FAILED = "*** TLS startup failed (connect(): error:0A000086:SSL routines::certificate verify failed)"

_CHAIN_POLICIES: dict[str, ChainPolicy] = {
    "outlook2007": _CRYPTOAPI_CHAIN,
    "outlook": _CRYPTOAPI_CHAIN._replace(refuse_sha1=True, source=_CRYPTOAPI_CHAIN.source
                                         + "; SHA-1 TLS server certificates refused since Windows 10 1703 (Microsoft advisory 4010323)"),
    "thunderbird": ChainPolicy(
        validator=ChainValidator.WEBPKI,
        key_ids_required=False,
        security_level=0,
        trust=TrustSource.MOZILLA,
        missing_intermediate=MissingIntermediate.PRELOADED,
        min_rsa_bits=1024,
        refuse_sha1=True,
        ca_leaf_refused=True,
        key_types=_MOZPKIX_KEYS,
        messages=(
            ("untrusted", "SEC_ERROR_UNKNOWN_ISSUER"),
            ("key-type", "SEC_ERROR_UNSUPPORTED_KEYALG"),
            ("self-signed", "MOZILLA_PKIX_ERROR_SELF_SIGNED_CERT"),
            ("expired", "SEC_ERROR_EXPIRED_CERTIFICATE"),
            ("eku", "SEC_ERROR_INADEQUATE_CERT_TYPE"),
            ("ca-leaf", "MOZILLA_PKIX_ERROR_CA_CERT_USED_AS_END_ENTITY"),
            ("weak-signature", "SEC_ERROR_CERT_SIGNATURE_ALGORITHM_DISABLED"),
            ("weak-key", "MOZILLA_PKIX_ERROR_INADEQUATE_KEY_SIZE"),
            ("name-constraints", "SEC_ERROR_CERT_NOT_IN_NAME_SPACE"),
        ),
        source=(
            "mozilla::pkix (pkixcheck.cpp: CheckExtendedKeyUsage, CheckBasicConstraints refusing a CA"
            " as end entity); NSSCertDBTrustDomain: RSA >= 1024 bits, SHA-1 refused since Firefox 52;"
            " roots from Mozilla's list; keys: RSA and ECDSA P-256/384/521 only (pkixcheck.cpp"
            " CheckSubjectPublicKeyInfo); intermediate preloading on: Gecko's modules/libpref/init/all.js"
            " (shared by every Gecko application) sets security.remote_settings.intermediates.enabled = true,"
            " comm-central's mail/app/profile/all-thunderbird.js leaves it so (it turns off only the preloading"
            " 'healer', bug 1777336), mail/components/MailGlue.sys.mjs starts RemoteSecuritySettings (the"
            " security-state/intermediates collection: the intermediates disclosed to Mozilla's CCADB) as an"
            " idle task, and NSSCertDBTrustDomain::FindIssuer takes issuers from that cert storage"
            " (IssuerSource::PreloadedIntermediates); no AIA fetching"
        ),
        proof=(
            "chain judged with cryptography's Web PKI validator; the whole verdict checked against the real"
            f" mozilla::pkix from Debian's nss {MOZPKIX_VERSION} with Firefox's TLS-server policy on x509-limbo"
            " (99.82%) and the chain corpus (tests/differential/test_chains_vs_real.py)"
        ),
    ),
    "apple-mail": ChainPolicy(
        validator=ChainValidator.WEBPKI,
        key_ids_required=False,
        security_level=0,
        trust=TrustSource.APPLE,
        missing_intermediate=MissingIntermediate.AIA,
        eku=EkuRule.REQUIRED,
        min_rsa_bits=2048,
        refuse_sha1=True,
        validity_caps=_APPLE_CAPS,
        messages=(
            ("untrusted", "Cannot Verify Server Identity: The identity of the server cannot be verified."),
            ("validity-cap", "Cannot Verify Server Identity: This certificate is not valid."),
            ("eku", "Cannot Verify Server Identity: This certificate is not valid."),
        ),
        source=(
            "Apple HT210176 (iOS 13 / macOS 10.15): RSA >= 2048, SHA-2, serverAuth EKU and <= 825 days for"
            " certificates issued from 2019-07-01; HT211025: <= 398 days for public-CA certificates issued"
            " from 2020-09-01; SecTrust fetches missing intermediates by AIA"
        ),
        proof="read from documentation; chain judged with cryptography's Web PKI validator",
    ),
    "openssl": ChainPolicy(messages=_OPENSSL_WORDS, source=_SECLEVEL2, proof=_OPENSSL_PROOF),
    "python": ChainPolicy(
        messages=(("untrusted", "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: {error}"),),
        source=_SECLEVEL2 + "; CPython 3.11 create_default_context (no X509_STRICT, no PARTIAL_CHAIN)",
        proof=_OPENSSL_PROOF + "; real CPython 3.11 handshakes over the chain corpus (tests/differential/test_chains_vs_real.py)",
    ),
    "gnutls": _GNUTLS_CHAIN,
    "nss": ChainPolicy(
        security_level=0,
        min_rsa_bits=1023,
        messages=(("untrusted", "SEC_ERROR_UNKNOWN_ISSUER: Peer's Certificate issuer is not recognized."),),
        source="NSS policy NSS_RSA_MIN_KEY_SIZE 1023",
        proof="read from source; chain judged with OpenSSL's validator as the nearest RFC 5280 one",
    ),
    "java": _JDK_CHAIN,
    "node": ChainPolicy(
        security_level=1,
        trust=TrustSource.MOZILLA,
        messages=(("untrusted", "Error: {error}"),),
        source=(
            "Node.js bundles its own OpenSSL 3 (default security level 1: RSA >= 1024, SHA-1 refused)"
            " and Mozilla's root list (src/node_root_certs.h); no X509_V_FLAG_PARTIAL_CHAIN"
        ),
        proof=(
            "real runtime: Node.js 20 handshakes (tls.connect defaults) over the chain corpus"
            " (tests/differential/test_chains_vs_real.py); chain judged with OpenSSL's validator at level 1"
        ),
    ),
    "go": ChainPolicy(
        validator=ChainValidator.WEBPKI,
        key_ids_required=False,
        security_level=0,
        min_rsa_bits=1024,
        refuse_sha1=True,
        messages=(
            ("untrusted", "x509: certificate signed by unknown authority"),
            ("expired", "x509: certificate has expired or is not yet valid"),
            ("eku", "x509: certificate specifies an incompatible key usage"),
            ("weak-signature", "x509: cannot verify signature: insecure algorithm SHA1-RSA"),
        ),
        source=(
            "Go crypto/x509: SHA-1 signatures refused since Go 1.18, RSA under 1024 bits since Go 1.24"
            " (GODEBUG x509sha1, rsa1024min); EKU checked through the chain; system roots on Linux"
        ),
        proof="x509-limbo: Go 1.19's results against cryptography's Web PKI validator (tests/certs/test_limbo.py)",
    ),
    "thunderbird-android": ChainPolicy(
        security_level=1,
        trust=TrustSource.ANDROID,
        missing_intermediate=MissingIntermediate.CACHED,
        min_rsa_bits=1024,
        refuse_sha1=True,
        messages=(
            ("untrusted", "java.security.cert.CertPathValidatorException: Trust anchor for certification path not found."),
        ),
        source=(
            "thunderbird-android TrustManagerFactory.java: SecureX509TrustManager hands the chain to"
            " the platform's X509TrustManager (TrustManagerFactory 'X509', default key store: Android's"
            " system store and the user's CAs); conscrypt TrustManagerImpl (google/conscrypt"
            " common/src/main/java/org/conscrypt/TrustManagerImpl.java): its own path building over"
            " the sent certificates, its trust anchors and the intermediates of chains it validated"
            " before (intermediateIndex; no AIA fetching), then PKIX validation without revocation and"
            " ExtendedKeyUsagePKIXCertPathChecker (a leaf EKU, when present, must allow serverAuth,"
            " anyExtendedKeyUsage or the old SGC purposes); ChainStrengthAnalyzer.java on every"
            " certificate but the anchor: RSA >= 1024 bits, EC fields >= 160 bits, DSA >= 1024/160,"
            " MD2/MD4/MD5 and SHA-1 signatures refused"
        ),
        proof=(
            "read from source (not run: no Android here); chain judged with OpenSSL's validator at"
            " security level 1, whose floor is ChainStrengthAnalyzer's (RSA and DSA >= 1024, ECC >= 160,"
            " SHA-1 and MD5 refused below the anchor)"
        ),
    ),
    "swaks": ChainPolicy(
        # IO::Socket::SSL reports every refusal of OpenSSL's verification alike
        messages=tuple((code, _SWAKS_VERIFY_FAILED) for code in ("untrusted", "expired", "eku", "weak-key", "weak-signature",
                                                                "ca-leaf", "name-constraints", "chain-invalid")),
        source=(
            "swaks 20201014 --tls-verify: IO::Socket::SSL (Net::SSLeay, the system's OpenSSL) with"
            " SSL_verify_mode VERIFY_PEER and no SSL_verifycn_name, so the chain is verified and no"
            " name; the CAs of --tls-ca-file/--tls-ca-path, else IO::Socket::SSL's default (the system"
            " store); " + _SECLEVEL2
        ),
        proof=(
            "wire: real swaks against a served chain, trusted / missing intermediate / self-signed /"
            " expired / untrusted root / RSA-1024 / another name (tests/wire/test_swaks_chain.py)"
        ),
    ),
    # Clients whose chain is decided by a library profile's code take that library's rules.
    # Their own words are kept only where the library's text is what the client prints (msmtp
    # prints GnuTLS's verification text; Jakarta Mail passes the JDK's exception on).  The
    # GnuTLS clients give GnuTLS no purpose to verify, so they check no EKU (proven over the
    # wire for msmtp: tests/differential/test_chains_vs_real.py, corpus:eku-client-only).
    **{cid: _GNUTLS_CHAIN._replace(messages=(), eku=EkuRule.UNCHECKED, sent_dates_checked=cid in ("mutt", "neomutt"),
                                   source=why + _GNUTLS_CHAIN.source, proof=_GNUTLS_WIRE_CHAIN_PROOF.get(cid, _NO_PURPOSE_PROOF))
       for cid, why in _GNUTLS_CLIENTS_NO_PURPOSE.items() if cid != "msmtp"},
    "msmtp": _GNUTLS_CHAIN._replace(eku=EkuRule.UNCHECKED, source=_GNUTLS_CLIENTS_NO_PURPOSE["msmtp"] + _GNUTLS_CHAIN.source,
                                    proof=_GNUTLS_WIRE_CHAIN_PROOF["msmtp"]),
    **{cid: _JDK_CHAIN._replace(source="Jakarta Mail validates with the JDK's TrustManager: " + _JDK_CHAIN.source)
       for cid in ("jakarta", "jakarta-default")},
    "rfc9525": ChainPolicy(
        validator=ChainValidator.WEBPKI,
        security_level=0,
        ca_leaf_refused=True,
        source="RFC 5280 path validation with the CA/Browser Forum profile, as cryptography enforces it",
        proof="x509-limbo: the suite's expected results (tests/certs/test_limbo.py)",
    ),
}

# Equal chain policies are one object (the verdicts judge each distinct policy once, by identity).
_INTERNED: dict[ChainPolicy, ChainPolicy] = {}
_PROFILES = tuple(p._replace(chain=_INTERNED.setdefault(_CHAIN_POLICIES.get(p.id, p.chain), _CHAIN_POLICIES.get(p.id, p.chain))) for p in _PROFILES)
PROFILES: Mapping[str, ClientProfile] = MappingProxyType({p.id: p for p in _PROFILES})
"""Profile id -> profile, in table order.  Read-only: verdicts of the built-in profiles are
remembered by id (``assess``, ``names.matcher``), so an edited table would answer stale; judge
other or changed profiles by passing them in (``Judgement(profiles=...)``)."""

# What ``inspect`` and ``check`` judge without --client: the clients a mail server's users run
# (desktop, mobile, terminal and scripts) and that check the name.  Library profiles describe
# the administrator's own programs, and clients that check no name have nothing to refuse:
# both are one --client away.
DEFAULT_CLIENTS: tuple[str, ...] = tuple(
    p.id for p in _PROFILES if p.group is not ClientGroup.LIBRARY and p.checks_host
)
