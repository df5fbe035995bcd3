"""Findings: one shape (code, severity, facts) and the catalogue that gives each code its words.

A :class:`Finding` is what the judge found, as data: a stable code, a severity and the facts of
the case (names, dates, counts...).  The words live here once, in :data:`CATALOGUE`: a title,
an explanation and a remedy per code, templates filled with the facts (``{name}``,
``{first}``, ``{clients}``...), so a remedy is the exact command to run, not advice in general.
Text, JSON, HTML and the inventory all render from this one table, and the inventory keeps
codes and facts, so a better wording reaches old scans too.

Codes are part of the interface (JSON, inventory, monitoring rules); never rename one.

Layer: below the judge (``assess``, ``doctor``, ``address``) and everything that renders;
it imports nothing of mailcert but the pure :mod:`mailcert.textsafe`.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import ItemsView, Iterator, KeysView, Mapping, ValuesView
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, NamedTuple, Union

from mailcert.textsafe import shorten

__all__ = ["Severity", "FindingSpec", "Finding", "Facts", "FactValue", "CATALOGUE", "fill", "finding"]


class Severity(str, enum.Enum):
    """How bad: critical (clients refuse), warning (some clients or soon), info (worth knowing)."""

    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


class FindingSpec(NamedTuple):
    """A catalogue row (a NamedTuple: thirty of them are built at every start-up)."""

    code: str
    severity: Severity
    title: str
    explanation: str
    remedy: str


FactValue = Union[str, int, bool, None]
"""A fact is plain data, so findings pickle, serialise to JSON and store as they are."""


class Facts(Mapping[str, FactValue]):
    """The facts of one finding: a read-only mapping that hashes, compares and pickles by value.

    (A dict is not hashable and ``MappingProxyType`` does not pickle; findings need both: they
    are deduplicated, and scans hand them across processes.)
    """

    __slots__ = ("_data",)
    _data: dict[str, FactValue]

    def __init__(self, data: Mapping[str, FactValue] | None = None, /, **kw: FactValue) -> None:
        merged = dict(data or {})
        merged.update(kw)
        for key, value in merged.items():
            if not isinstance(key, str) or not (value is None or isinstance(value, (str, int))):
                raise TypeError(f"a finding fact is a str key with a str, int, bool or None value, not {key!r}: {value!r}")
        object.__setattr__(self, "_data", merged)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Facts are read-only")

    def __getitem__(self, key: str) -> FactValue:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    # the dict's own views and lookups: Mapping's generic ones go through __getitem__ per key,
    # and a fleet scan reads the facts of every finding several times
    def items(self) -> ItemsView[str, FactValue]:
        return self._data.items()

    def keys(self) -> KeysView[str]:
        return self._data.keys()

    def values(self) -> ValuesView[FactValue]:
        return self._data.values()

    def get(self, key: str, default: Any = None) -> Any:
        return self._data.get(key, default)

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def __hash__(self) -> int:
        return hash(tuple(self._data.items()))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Mapping) and self._data == dict(other.items())

    def __repr__(self) -> str:
        return f"Facts({self._data!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (Facts, (self._data,))


def fill(template: str, facts: Mapping[str, FactValue]) -> str:
    """``template`` with ``{fact}`` replaced by its value; unknown placeholders stay visible.

    Commands to run are quoted with backticks (`` `mailcert cert new --name {name} ...` ``):
    inside them every value is shell-quoted, so a command runs as printed when pasted into a
    shell, and a name read from a hostile certificate (``*.x';rm -rf ~;'``) stays one word.

    A template is read once (:func:`_pieces`) and each filling only joins its pieces: a scan
    fills a URL-quoting remedy at every target, and ``str.format_map`` over a shell-quoting
    mapping cost it about a tenth of a millisecond each time.
    """
    pieces = _pieces(template)
    if pieces is None:
        return _fill_by_format(template, facts)
    values = facts._data if isinstance(facts, Facts) else facts  # its dict: one call less per placeholder
    out: list[str] = []
    for literal, key, quoted in pieces:
        out.append(literal)
        if key is None:
            continue
        value = values.get(key, _ABSENT)
        if value is _ABSENT:
            out.append("{" + key + "}")
        else:
            out.append(_shell_quote(str(value)) if quoted else str(value))
    return "".join(out)


_ABSENT: Any = object()


@functools.lru_cache(maxsize=256)
def _pieces(template: str) -> tuple[tuple[str, str | None, bool], ...] | None:
    """``template`` as (literal text, placeholder or None, inside backticks) pieces, what
    ``format_map`` would make of it; ``None`` when a placeholder is more than a plain name (a
    conversion, a format spec, an index): those are filled by :func:`_fill_by_format`."""
    import string  # here: only templates that are filled pay for it, not every start-up

    pieces: list[tuple[str, str | None, bool]] = []
    for i, part in enumerate(template.split("`")):  # the odd parts are inside backticks
        literal_tick = "`" if i else ""
        for literal, key, spec, conversion in string.Formatter().parse(part):
            if key is not None and (not key.isidentifier() or spec or conversion):
                return None
            pieces.append((literal_tick + literal, key, i % 2 == 1))
            literal_tick = ""
        if literal_tick:
            pieces.append((literal_tick, None, False))
    return tuple(pieces)


@functools.lru_cache(maxsize=4096)
def _shell_quote(value: str) -> str:
    import shlex  # here: only findings with a command pay for it, not every start-up

    return shlex.quote(value)


def _fill_by_format(template: str, facts: Mapping[str, FactValue]) -> str:
    """:func:`fill` through ``str.format_map``, for templates :func:`_pieces` does not read."""
    plain = _Missing(facts.items())
    if "`" not in template:
        return template.format_map(plain)
    quoted = _Quoted(plain, _shell_quote)
    parts = template.split("`")
    for i in range(len(parts)):  # the odd parts are inside backticks
        parts[i] = parts[i].format_map(quoted if i % 2 else plain)
    return "`".join(parts)


class _Missing(dict[str, Any]):
    """Format values where an unknown placeholder stays visible instead of raising."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


class _Quoted:
    """The facts shell-quoted as a template asks for them (only those it names are quoted)."""

    __slots__ = ("plain", "quote")

    def __init__(self, plain: _Missing, quote: Any) -> None:
        self.plain, self.quote = plain, quote

    def __getitem__(self, key: str) -> str:
        if key not in self.plain:
            return "{" + key + "}"
        return str(self.quote(str(self.plain[key])))


@dataclass(frozen=True)
class Finding:
    """One problem found: its code, how bad it is, and the facts of the case.

    The words (title, explanation, remedy) are not stored: they are the catalogue's templates
    filled with the facts, read through the properties below by every renderer.
    """

    code: str
    severity: Severity
    facts: Facts = field(default_factory=Facts)

    def __post_init__(self) -> None:
        if not isinstance(self.facts, Facts):
            object.__setattr__(self, "facts", Facts(self.facts))
        if not isinstance(self.severity, Severity):
            object.__setattr__(self, "severity", Severity(self.severity))

    @property
    def spec(self) -> FindingSpec:
        """The catalogue row of this code (raises ``KeyError`` for a code not in the catalogue)."""
        return CATALOGUE[self.code]

    # the words are filled once per finding and kept (cached_property writes the instance's
    # __dict__, not a field: equality and hashing stay by code, severity and facts); they are
    # read several times (deduplication, the JSON document, the inventory row)
    @functools.cached_property
    def title(self) -> str:
        return fill(self.spec.title, self.facts)

    @functools.cached_property
    def explanation(self) -> str:
        return fill(self.spec.explanation, self.facts)

    @functools.cached_property
    def remedy(self) -> str:
        return fill(self.spec.remedy, self.facts)

    def as_dict(self) -> dict[str, Any]:
        """The JSON form (schema_version 1): the rendered words, and the facts they came from."""
        return {
            "code": self.code,
            "severity": self.severity.value,
            "title": self.title,
            "explanation": self.explanation,
            "remedy": self.remedy,
            "facts": dict(self.facts),
        }


_W, _C, _I = Severity.WARNING, Severity.CRITICAL, Severity.INFO

_SPECS: tuple[FindingSpec, ...] = (
    FindingSpec(
        "first-san-not-name", _W,
        "Outlook 2007 will warn: the first name in the certificate is not {name}",
        "Outlook 2007 reads only the first DNS name of the certificate's Subject Alternative Name"
        " ({first}) and compares it with the server name in the account settings ({name})."
        " {name} is in the certificate, but at position {position}, so at every start Outlook 2007"
        " shows \"The target principal name is incorrect\" (Microsoft KB958977). Other clients accept"
        " the certificate.",
        "Put {name} first. For a self-signed certificate: `mailcert cert fix {file} --key KEY --first {name}"
        " --out {name}`. For a CA-issued one: `mailcert cert new --name {name} --csr --out {name}`, submit"
        " {name}/request.csr to your CA and `mailcert cert import ISSUED.pem --out {name}` (or"
        " `mailcert acme issue --name {name} --directory letsencrypt --agree-tos --out {name}`); then `mailcert deploy dovecot --cert {name}`"
        " (IMAP, POP3) and `mailcert deploy postfix --cert {name}` (SMTP).",
    ),
    FindingSpec(
        "name-absent", _C,
        "No client accepts the certificate for {name}",
        "{name} is not among the names the certificate presents ({presented}). Every mail client will"
        " refuse the connection or warn at every connection.",
        "Either point your users at a name the certificate has ({suggest}), or get a certificate"
        " for {name}: `mailcert cert new --name {name} --csr --out {name}` (or `mailcert acme issue --name"
        " {name} --directory letsencrypt --agree-tos --out {name}`).",
    ),
    FindingSpec(
        "clients-refuse", _W,
        "Some clients refuse the certificate for {name}: {clients}",
        "These clients check names by stricter or different rules than others: {details}.",
        "Issue a certificate with {name} as the common name and first SAN DNS name, with no"
        " wildcard or trailing dot: `mailcert cert new --name {name} --csr --out {name}`.",
    ),
    FindingSpec(
        "no-host-check", _W,
        "{clients} check no host name: any certificate from a CA they trust would be accepted",
        "These clients verify the chain only; a certificate issued to any other name by a CA they"
        " trust passes as well, so they would not notice a man in the middle holding one.",
        "Turn the client's name check on (Jakarta Mail: mail.<protocol>.ssl.checkserveridentity=true;"
        " swaks has none: use curl or openssl s_client -verify_hostname to test a server's name).",
    ),
    FindingSpec(
        "clients-refuse-certificate", _W,
        "Some clients refuse the certificate ({reason_code}): {clients}",
        "Beyond names, each client applies its own validator, trust store and rules (reason code"
        " {reason_code}, see docs/clients.md): {details}.",
        "Fix the cause named above (the other findings say how for each); mailcert cert new and"
        " mailcert acme issue produce certificates every profile accepts.",
    ),
    FindingSpec(
        "all-clients-refuse-certificate", _C,
        "Every client refuses the certificate ({reason_code}): {clients}",
        "No client profile completes the connection (reason code {reason_code}, see docs/clients.md): {details}.",
        "Fix the cause named above (the other findings say how); mailcert acme issue gets a"
        " certificate from a trusted CA.",
    ),
    FindingSpec(
        "cn-only", _W,
        "The certificate has no Subject Alternative Name; the name is only in the CN",
        "Apple Mail (iOS 13, macOS 10.15 and later), Thunderbird, Go and RFC 9525 ignore the subject"
        " CN, so they refuse this certificate whatever the name.",
        "Re-issue with the names in the SAN: `mailcert cert new --name {name} --csr --out {name}`.",
    ),
    FindingSpec(
        "cn-not-in-san", _I,
        "The subject CN ({cn}) is not one of the SAN names",
        "Clients that read the SAN ignore the CN, but administrators and old tools read the CN and"
        " are misled by it.",
        "When the certificate is next renewed, make the CN equal to the first SAN name"
        " (mailcert cert new does this).",
    ),
    FindingSpec(
        "partial-wildcard", _W,
        "Partial-label wildcard {pattern}",
        "A star inside a label (like f*.example.com) is accepted by OpenSSL, GnuTLS, NSS, Java and"
        " Node, but refused by Windows, Apple, Thunderbird, Python, Go and RFC 9525.",
        "Use a whole-label wildcard (*.example.com) or, better for mail, the exact server name.",
    ),
    FindingSpec(
        "wildcard-too-broad", _W,
        "Wildcard {pattern} is too broad",
        "A wildcard over a top-level domain or a public suffix (*.com, *.co.uk), or a lone *, is"
        " refused by every careful client and no public CA issues it.",
        "Use the exact server name: `mailcert cert new --name {name} --csr --out {name}`.",
    ),
    FindingSpec(
        "wildcard-first-san", _I,
        "The first SAN name is a wildcard ({pattern})",
        "Outlook 2007 compares only the first SAN name; a wildcard there covers one label only, so"
        " the mail name must be exactly one label under it.",
        "Put the exact mail server name first: `mailcert cert new --name {name} --alt {pattern} --csr --out {name}`.",
    ),
    FindingSpec(
        "expired", _C,
        "The certificate expired on {not_after}",
        "Every client refuses an expired certificate or warns at every connection.",
        "Renew now: `mailcert acme renew --days 9999` (certificates mailcert issued over ACME), or"
        " `mailcert cert new --name {name} --csr --out {name}` for your CA.",
    ),
    FindingSpec(
        "not-yet-valid", _C,
        "The certificate is not valid before {not_before}",
        "Clients refuse it until then. Often the server's or the issuer's clock is wrong.",
        "Check the clock (`date -u`) of this machine and of the server that issued the certificate.",
    ),
    FindingSpec(
        "expiring-soon", _W,
        "The certificate expires in {days} days ({not_after})",
        "Within the warning window of {warn_days} days.",
        "Renew it: `mailcert acme renew` (certificates mailcert issued over ACME), or"
        " `mailcert cert new --name {name} --csr --out {name}` for your CA, and deploy.",
    ),
    FindingSpec(
        "expiring-critical", _C,
        "The certificate expires in {days} days ({not_after})",
        "Within the critical window of {critical_days} days: renewal has not happened in time.",
        "Renew it now: `mailcert acme renew` (certificates mailcert issued over ACME), or"
        " `mailcert cert new --name {name} --csr --out {name}` for your CA, and deploy.",
    ),
    FindingSpec(
        "weak-rsa-key", _W,
        "RSA key of {bits} bits",
        "Keys under 2048 bits are refused by Apple Mail, by OpenSSL at its default security level"
        " (so by Python and most Linux clients) and by current Windows.",
        "Re-issue with a 2048-bit or larger key: `mailcert cert new --name {name} --key-type rsa2048 --csr --out {name}`.",
    ),
    FindingSpec(
        "sha1-signature", _W,
        "Signed with {hash}",
        "SHA-1 and MD5 signatures are refused by current clients (Apple, Windows 10+, Thunderbird,"
        " OpenSSL at security level 1 and up).",
        "Re-issue the certificate; any current CA and mailcert cert new sign with SHA-256.",
    ),
    FindingSpec(
        "no-server-auth-eku", _W,
        "Extended key usage does not allow TLS servers ({eku})",
        "The certificate restricts its use to {eku}. Of the clients judged here, these refuse it for a"
        " TLS server: {refuse}; these do not check the purpose and are not stopped by it: {unchecked}.",
        "Re-issue with extendedKeyUsage serverAuth (mailcert cert new does this).",
    ),
    FindingSpec(
        "apple-eku-missing", _W,
        "No extended key usage extension: Apple devices refuse it",
        "Since iOS 13 and macOS 10.15 a TLS server certificate issued after 1 July 2019 must"
        " carry an extendedKeyUsage extension with id-kp-serverAuth (support.apple.com/HT210176);"
        " others accept a certificate without the extension.",
        "Re-issue with extendedKeyUsage serverAuth, as `mailcert cert new --name {name} --csr --out {name}`"
        " (or --self-signed) does.",
    ),
    FindingSpec(
        "self-signed", _I,
        "Self-signed certificate",
        "No client trusts it until the certificate itself is installed on every client as trusted"
        " (as Windows SBS did through its connect-computer wizard). Phones and new PCs will warn.",
        "Get a certificate from a trusted CA: `mailcert acme issue --name {name} --directory letsencrypt --agree-tos --out {name}`, or"
        " `mailcert cert new --name {name} --csr --out {name}`.",
    ),
    FindingSpec(
        "ca-as-server", _W,
        "A CA certificate (basicConstraints CA:TRUE) is used as the server certificate",
        "Many clients (NSS, Thunderbird, Apple, Java) refuse a CA certificate as a TLS server"
        " certificate.",
        "Issue a separate server certificate (CA:FALSE) from that CA, or a new one with mailcert cert new.",
    ),
    FindingSpec(
        "validity-too-long", _W,
        "Valid for {days} days: Apple devices refuse certificates valid over 825 days",
        "Since iOS 13 and macOS 10.15 a TLS server certificate issued after 1 July 2019 must be"
        " valid for 825 days or fewer (support.apple.com/HT210176).",
        "Re-issue with a shorter validity: mailcert cert new (825 days by default) or ACME (90 days).",
    ),
    FindingSpec(
        "unicode-name", _I,
        "The server name {name} is not ASCII",
        "Clients differ on internationalised names: some convert them to an A-label ({alabel}),"
        " some refuse them outright (Outlook 2007, Java).",
        "Give users the A-label form ({alabel}) as the server name.",
    ),
)

_SPECS += (
    FindingSpec(
        "chain-self-signed", _C,
        "Untrusted: the server's certificate is self-signed",
        "{detail}. Clients that do not have this very certificate installed as trusted warn at every"
        " connection or refuse (phones, new PCs, Thunderbird, Apple Mail).",
        "Get a certificate from a trusted CA (`mailcert acme issue --name {name} --directory letsencrypt --agree-tos --out {name}`), or if your"
        " clients have it installed, tell mailcert: `mailcert check {target} --name {name} --cafile THE-CERT.pem`.",
    ),
    FindingSpec(
        "chain-incomplete", _C,
        "Untrusted: the server does not send its intermediate certificate",
        "{detail}. A client that neither fetches a missing intermediate (Windows and Apple fetch it"
        " from the certificate's AIA URL) nor has preloaded it (Thunderbird, for public CAs' intermediates)"
        " refuses the certificate, as most mail clients do; of the clients judged here, these connect"
        " anyway: {connect}.",
        "Serve the full chain (leaf then intermediates): Dovecot ssl_cert = </path/fullchain.pem,"
        " Postfix smtpd_tls_chain_files = key.pem, fullchain.pem. `mailcert cert import ISSUED.pem"
        " --chain INTERMEDIATE.pem --out {name}` builds fullchain.pem; `mailcert deploy dovecot --cert"
        " {name}` and `mailcert deploy postfix --cert {name}` install it.",
    ),
    FindingSpec(
        "chain-untrusted-root", _C,
        "Untrusted: the chain ends at a root that is not trusted",
        "{detail}. Unless every client has that root installed, they warn or refuse.",
        "Use a certificate from a publicly trusted CA (`mailcert acme issue --name {name} --directory letsencrypt --agree-tos --out {name}`),"
        " or if your clients have the private root installed, tell mailcert: `mailcert check {target} --name {name}"
        " --cafile ROOT.pem`.",
    ),
    FindingSpec(
        "chain-broken", _C,
        "Untrusted: the chain does not verify",
        "{detail}.",
        "Re-assemble the chain from the certificates your CA gave you: `mailcert cert import"
        " ISSUED.pem --chain INTERMEDIATE.pem --out {name}`, then `mailcert deploy dovecot --cert"
        " {name}` and `mailcert deploy postfix --cert {name}`.",
    ),
    FindingSpec(
        "chain-extra", _I,
        "The server sends certificates that are not part of the chain: {extra}",
        "Harmless for most clients but wasteful; a root in the chain is ignored, an unrelated"
        " certificate confuses some old clients.",
        "Serve exactly leaf + intermediates (mailcert deploy writes fullchain.pem that way).",
    ),
    FindingSpec(
        "sni-certificates-differ", _W,
        "Without SNI the server presents another certificate ({other})",
        "Clients that send no SNI (Outlook 2007 and other Windows XP-era clients) get the server's"
        " default certificate, not the one for {name}; the client table judges each client on the"
        " certificate it would get.",
        "Make the default certificate the one for {name}: in Dovecot the top-level ssl_cert (not only"
        " a local_name block), in Postfix smtpd_tls_chain_files.",
    ),
    FindingSpec(
        "sni-failed", _C,
        "With SNI ({name}) the connection fails: {error}",
        "Every current client sends the server name (SNI); only the connection without it worked,"
        " so the certificate shown is the server's default one and current clients cannot connect.",
        "Check the server's per-name TLS configuration (Dovecot local_name {name} blocks, Postfix"
        " tls_server_sni_maps) or remove it so the default certificate is used for every name.",
    ),
    FindingSpec(
        "no-sni-failed", _W,
        "Without SNI the handshake fails: {error}",
        "Clients that send no SNI (Outlook 2007 on Windows XP, some embedded clients) cannot connect.",
        "Configure a default certificate that is used when the client sends no server name.",
    ),
    FindingSpec(
        "old-tls-version", _W,
        "The server negotiated {version}",
        "TLS 1.0 and 1.1 are disabled in current clients (Thunderbird 78+, Apple, Windows 11,"
        " OpenSSL 3 at its default security level), which then cannot connect at all.",
        "Enable TLS 1.2 and 1.3: Dovecot ssl_min_protocol = TLSv1.2, Postfix smtpd_tls_protocols ="
        " >=TLSv1.2 (and upgrade OpenSSL if the server cannot).",
    ),
)

# Revocation (check --ocsp / --crl; the stapled response whenever the handshake asked for one).
_SPECS += (
    FindingSpec(
        "revoked", _C,
        "The certificate is revoked (says the {source})",
        "{detail}{reason}. The CA has withdrawn the certificate: clients that check revocation"
        " (Outlook and every Windows client through CryptoAPI, Apple Mail, Thunderbird) refuse it,"
        " and the others should.",
        "Replace it now: `mailcert acme issue --name {name} --directory letsencrypt --agree-tos --out {name}` (or `mailcert cert new --name"
        " {name} --csr --out {name}` for your CA), then `mailcert deploy dovecot --cert {name}` and"
        " `mailcert deploy postfix --cert {name}`.",
    ),
    FindingSpec(
        "revocation-unknown", _W,
        "The {source} does not know this certificate",
        "Asked about the certificate, {where} answered \"unknown\" (RFC 6960): it was not issued"
        " by that CA, the responder is out of step with the CA, or the certificate is forged."
        " Clients that check revocation may refuse it.",
        "Ask the CA why its responder does not know serial {serial}; check that the server"
        " sends the certificate the CA issued (mailcert check shows its fingerprint).",
    ),
    FindingSpec(
        "revocation-check-failed", _W,
        "Revocation could not be checked ({source}): {detail}",
        "No usable answer from {where}. Clients that check revocation then warn, fail"
        " closed, or (most) carry on without knowing.",
        "Check that this machine reaches {where} over HTTP and that the CA's responder works;"
        " ask the CA if it keeps failing.",
    ),
    FindingSpec(
        "ocsp-stapling-missing", _I,
        "The server does not staple an OCSP response",
        "Asked for one in the TLS handshake (status_request), the server sent none, so clients"
        " that check revocation must ask the CA's responder themselves (slower, and the CA learns"
        " who connects where). Dovecot and Postfix cannot staple; a TLS proxy or web server in"
        " front of them can.",
        "Nothing is wrong for Dovecot or Postfix. For webmail behind nginx: ssl_stapling on;"
        " ssl_stapling_verify on; (Apache: SSLUseStapling on).",
    ),
    FindingSpec(
        "must-staple-not-stapled", _C,
        "The certificate demands OCSP stapling (Must-Staple) but the server does not staple",
        "The certificate carries the TLS Feature extension status_request (RFC 7633): clients that"
        " honour it (Firefox, Thunderbird) refuse the connection when no OCSP response is stapled.",
        "Serve it from a server that staples (nginx ssl_stapling on), or get a certificate without"
        " Must-Staple: `mailcert acme issue --name {name} --directory letsencrypt --agree-tos --out {name}`.",
    ),
    FindingSpec(
        "revocation-unpublished", _I,
        "The certificate names no {what}",
        "So nobody can check revocation that way. Normal for self-signed and private-CA"
        " certificates; public CAs publish at least one way (Let's Encrypt only CRLs since 2025).",
        "Check the other way (mailcert check with --crl or --ocsp); for a private CA that never"
        " revokes there is nothing to do.",
    ),
)

# Sending servers (port 25): DANE (RFC 7672) and MTA-STS (RFC 8461); judged in mailcert.senders.
_SPECS += (
    FindingSpec(
        "dane-tlsa-mismatch", _C,
        "DANE senders will not deliver: no TLSA record at {tlsa_name} matches the certificate",
        "The zone publishes DNSSEC-signed TLSA records ({published}) but none matches the key or"
        " certificate this server presents. Every DANE-validating sender (Postfix with"
        " smtp_tls_security_level = dane, Exim, Microsoft 365) defers mail for this MX until it"
        " matches; usually a renewal changed the key and the record was not updated.",
        "Publish the record for the served key beside the old one: {tlsa_name}. IN TLSA {publish}"
        " (`mailcert dane --cert {host} --name {host} --port {port}` prints it), or serve the key the record names again. Before the"
        " next renewal, `mailcert dane --cert {host} --name {host} --port {port}` also prints the next key's record to publish first.",
    ),
    FindingSpec(
        "dane-dnssec-bogus", _C,
        "DNSSEC validation fails for {tlsa_name}: DANE senders defer all mail",
        "{detail}. A validating resolver answers SERVFAIL for a bogus answer, and DANE senders"
        " (Postfix: 'TLSA lookup error for {host}:{port}') defer rather than deliver unauthenticated.",
        "Fix the zone's signatures: re-sign it (expired RRSIGs are the usual cause), and check that the"
        " DS at the parent matches a DNSKEY (`dig +dnssec +cd {tlsa_name} TLSA` shows the records and signatures).",
    ),
    FindingSpec(
        "dane-lookup-failed", _W,
        "The TLSA lookup of {tlsa_name} failed",
        "{detail}. mailcert could not ask {resolver}; a sender that cannot look the record up defers the mail.",
        "Name a validating resolver that answers: --resolver ADDR[:PORT] (for example a local Unbound).",
    ),
    FindingSpec(
        "dane-insecure", _I,
        "DANE not in effect: {tlsa_name} is not DNSSEC-signed",
        "{detail}. Without DNSSEC, senders ignore TLSA records and deliver with opportunistic TLS."
        " If the zone is signed, the resolver ({resolver}) may not validate.",
        "To use DANE, sign the zone and publish a DS at the parent, then a 3 1 1 record: `mailcert dane --cert {host} --name {host} --port {port}`.",
    ),
    FindingSpec(
        "dane-no-tlsa", _I,
        "DANE not in effect: no TLSA record at {tlsa_name}",
        "The zone is signed and proves there is no TLSA record for port {port}, so DANE senders"
        " deliver with opportunistic TLS. Senders look up the port they connect to, never another.",
        "To use DANE: `mailcert dane --cert {host} --name {host} --port {port}` prints the records to publish.",
    ),
    FindingSpec(
        "dane-unusable-records", _W,
        "TLSA records that SMTP senders cannot use: {records}",
        "RFC 7672 section 3.1.3: SMTP uses only usages 2 (DANE-TA) and 3 (DANE-EE); others and"
        " unknown values are ignored. When nothing usable is left, senders require TLS but do not"
        " check the certificate.",
        "Replace them with 3 1 1 (and 2 1 1) records: `mailcert dane --cert {host} --name {host} --port {port}`.",
    ),
    FindingSpec(
        "dane-ta-refused", _C,
        "DANE senders refuse: {detail}",
        "A DANE-TA (usage 2) record makes senders check the chain up to that CA, its validity and the MX name {host}.",
        "Serve a chain that includes the CA the record names and a certificate for {host}, or publish 3 1 1 for the served key: `mailcert dane --cert {host} --name {host} --port {port}`.",
    ),
    FindingSpec(
        "dane-no-rollover", _W,
        "Only the current key is published in TLSA at {tlsa_name}: the next renewal with a new key breaks DANE",
        "Senders cache TLSA records for their TTL, so a record for a new key must be published at"
        " least one TTL before the key changes; with one 3 1 1 record there is no slot for it.",
        "Pre-generate the next key and publish its record now: `mailcert dane --cert {host} --name {host} --port {port}`"
        " prints the records for the current and the next key; renew with `mailcert acme renew --reuse-key`"
        " until then, and switch with `mailcert acme renew --next-key` once its record has been out for a TTL.",
    ),
    FindingSpec(
        "mta-sts-mx-not-listed", _C,
        "MTA-STS senders will not deliver: {host} is not in {domain}'s policy ({patterns})",
        "The policy is in enforce mode; senders such as Gmail and Microsoft 365 refuse an MX that no mx pattern covers.",
        "Add 'mx: {host}' to https://mta-sts.{domain}/.well-known/mta-sts.txt and change the id in the _mta-sts.{domain} TXT record.",
    ),
    FindingSpec(
        "mta-sts-certificate", _C,
        "MTA-STS senders will not deliver to {host}: {problem}",
        "{domain}'s policy is in enforce mode: senders require a certificate for the MX name that"
        " chains to a public root and is valid now (RFC 8461 section 4.2).",
        "Get a publicly trusted certificate for {host}: `mailcert acme issue --name {host} --directory letsencrypt --agree-tos --out {host}`,"
        " then `mailcert deploy postfix --cert {host}`.",
    ),
    FindingSpec(
        "mta-sts-testing-fails", _W,
        "{domain}'s MTA-STS policy (testing) would fail for {host}: {problem}",
        "In testing mode senders deliver anyway and only report the failure (TLS-RPT); switching to enforce would stop mail.",
        "Fix it before switching the policy to enforce (patterns: {patterns}).",
    ),
    FindingSpec(
        "mta-sts-policy-invalid", _W,
        "{domain} announces MTA-STS but its policy is invalid: {detail}",
        "Senders treat the domain as having no policy (RFC 8461 section 3.2), so it protects nothing.",
        "Serve a valid policy (version: STSv1, mode, one mx line per MX, max_age) at https://mta-sts.{domain}/.well-known/mta-sts.txt.",
    ),
    FindingSpec(
        "mta-sts-unavailable", _W,
        "{domain} announces MTA-STS but its policy cannot be fetched: {detail}",
        "Senders without a cached policy deliver without MTA-STS; those with a cached one keep it until max_age.",
        "Serve the policy over HTTPS at https://mta-sts.{domain}/.well-known/mta-sts.txt with a trusted certificate for mta-sts.{domain}.",
    ),
)

# The external name in DNS (mailcert address check): judged in mailcert.address.
_SPECS += (
    FindingSpec(
        "address-unresolved", _C,
        "{fqdn} does not resolve (no A or AAAA record), so no mail client can reach it by that name",
        "Mail clients connect to the name users typed; with no address record for it, every"
        " connection fails before TLS starts, whatever the certificate.",
        "Add an A record (and AAAA if you have IPv6) for {fqdn} with your mail server's public address.",
    ),
    FindingSpec(
        "mx-missing", _W,
        "{domain} has no MX record; senders fall back to its A record, if any",
        "Without an MX, other mail servers deliver to the domain's own address (RFC 5321 section"
        " 5.1); many domains' web hosts accept no mail there.",
        "Add an MX record for {domain} pointing to {fqdn} (or your mail relay).",
    ),
    FindingSpec(
        "mx-null", _I,
        "{domain} has a null MX: it accepts no mail (RFC 7505)",
        "A null MX (preference 0, host \".\") tells every sender that the domain takes no mail, so"
        " mail to it bounces at once.",
        "None needed if intended; otherwise replace it with an MX record pointing to {fqdn}.",
    ),
    FindingSpec(
        "mx-unresolved", _W,
        "MX host {host} of {domain} does not resolve; mail to {domain} cannot be delivered there",
        "Senders try the MX hosts in preference order; one without an address record is skipped,"
        " and mail waits or bounces when no other host takes it.",
        "Add an A record for {host}, or point the MX at {fqdn}.",
    ),
    FindingSpec(
        "mx-not-covered", _W,
        "The certificate does not cover MX host {host}",
        "Sending servers that verify the receiving host's name (MTA-STS, DANE-TA, smarthosts"
        " configured to verify) check the MX host name, not the name users type: they refuse to"
        " deliver to {host}.",
        "Add {host} to the certificate: `mailcert cert new --name {fqdn} --alt {host} --csr --out {fqdn}`.",
    ),
    FindingSpec(
        "srv-other-host", _I,
        "{service}.{domain} sends self-configuring clients to {target}, not {fqdn}",
        "Clients that configure themselves from SRV records (RFC 6186, RFC 8314) connect to {target}"
        " and check the certificate for that name, not for {fqdn}.",
        "Point the SRV record at {fqdn}, or make sure the certificate covers {target}.",
    ),
    FindingSpec(
        "srv-not-covered", _W,
        "The certificate does not cover {target}, where {service}.{domain} sends clients",
        "A client that followed the SRV record checks the certificate for {target}; it refuses or"
        " warns at every connection.",
        "Point the SRV record at {fqdn}, or add {target} to the certificate.",
    ),
    FindingSpec(
        "cert-name-refused", _C,
        "No client accepts the certificate for {fqdn}: {reason}",
        "{fqdn} is the name users type into their mail client; the certificate does not present it"
        " in a form any client profile accepts.",
        "Make a certificate for it: `mailcert cert new --name {fqdn} --csr --out {fqdn}`.",
    ),
    FindingSpec(
        "cert-name-refused-by-client", _W,
        "{client} refuses the certificate for {fqdn}: {reason}",
        "Other clients accept the certificate for {fqdn}; this one checks names by stricter or"
        " older rules (often: only the first SAN name, as Outlook 2007 does).",
        "Put {fqdn} first: mailcert cert fix CERT --key KEY --first {fqdn} --out {fqdn} (self-signed),"
        " or request a new certificate with it first.",
    ),
)

CATALOGUE: Mapping[str, FindingSpec] = MappingProxyType({s.code: s for s in _SPECS})
"""Code -> catalogue row; read-only (a finding's words must not change under it)."""


FACT_LIMIT = 1000
"""Characters of one text fact: facts quote the certificate and the server, and one hostile
value must not make every finding (and the inventory, and every report) megabytes long."""


def finding(code: str, **facts: FactValue) -> Finding:
    """The finding ``code`` with ``facts``, at the catalogue's severity; a text fact longer
    than :data:`FACT_LIMIT` is cut, saying how much was left out.

    Raises:
        KeyError: ``code`` is not in the catalogue (a bug: codes are fixed at build time).
        TypeError: a fact is not plain data (str, int, bool or None).
    """
    bounded = {k: shorten(v, FACT_LIMIT) if isinstance(v, str) else v for k, v in facts.items()}
    return Finding(code, CATALOGUE[code].severity, Facts(bounded))
