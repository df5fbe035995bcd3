"""Sending mail servers as client profiles: rows of data, like the mail clients.

On port 25 the clients are other mail servers.  Each row here is a :class:`ClientProfile`
(same id/title/source/name rules as the mail clients, so the same table, renderers and JSON
carry them) whose ``sender`` field says how that server authenticates the receiving MX:
DANE (TLSA with DNSSEC, RFC 7672), MTA-STS (RFC 8461), or nothing (opportunistic TLS), and
what it says, in its own words, for each kind of refusal.  ``mailcert.senders`` judges them.

The ``proof`` of each row says how strong its claims are: checked over the wire against the
real software in ``tests/dane`` (Postfix), read from source, or read from documentation.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass

from mailcert.names.profiles import PROFILES, ClientGroup, ClientProfile, Proof

__all__ = ["Refusal", "SenderRules", "SENDERS", "ALL_PROFILES", "profile_title"]


class Refusal(str, enum.Enum):
    """Why a sender does not deliver (the TLS-RPT result types of RFC 8460 where one fits)."""

    TLSA_MISMATCH = "tlsa-invalid"
    DNSSEC_BOGUS = "dnssec-invalid"
    NAME_MISMATCH = "certificate-host-mismatch"
    EXPIRED = "certificate-expired"
    UNTRUSTED = "certificate-not-trusted"
    STS_MX_MISMATCH = "validation-failure"  # RFC 8460: the MX is not in the MTA-STS policy


@dataclass(frozen=True)
class SenderRules:
    """How one sending server authenticates the MX it delivers to.

    The profile's name rules are the defaults of :class:`ClientProfile`: RFC 6125 as MTA-STS
    (RFC 8461 section 4.2) and DANE-TA (RFC 7672 section 3.2.3) use it (SAN DNS names, a
    whole left-most-label wildcard).

    - ``dane``: looks up ``_PORT._tcp.MX TLSA`` with DNSSEC and enforces usable records;
    - ``mta_sts``: fetches the domain's MTA-STS policy and enforces it in ``enforce`` mode
      (DANE wins where both are published, RFC 8461 section 2);
    - ``ee_checks_expiry`` / ``ee_checks_name``: with a matching DANE-EE (3) record, still
      refuses an expired certificate / one without the MX name (RFC 7672 section 3.1.1 says
      neither applies; Microsoft 365 checks both);
    - ``words``: what the server logs or bounces with, per refusal (``{host}``, ``{port}``,
      ``{ip}`` are filled in).
    """

    dane: bool
    mta_sts: bool
    proof: str
    ee_checks_expiry: bool = False
    ee_checks_name: bool = False
    words: tuple[tuple[Refusal, str], ...] = ()

    def describe(self) -> list[tuple[str, str]]:
        """Rows for ``mailcert clients`` and ``docs/clients.md``."""
        how = []
        if self.dane:
            how.append("DANE: _PORT._tcp.MX TLSA looked up with DNSSEC; usable records (usages 2, 3) must match")
        if self.mta_sts:
            how.append("MTA-STS: in enforce mode the MX must be in the policy and the certificate trusted and for the MX name"
                       + (" (where DANE applies, DANE decides)" if self.dane else ""))
        rows = [("authenticates the MX", "; ".join(how) or "not at all: TLS when offered, any certificate")]
        extra = [w for w, on in (("an expired certificate", self.ee_checks_expiry), ("a certificate without the MX name", self.ee_checks_name)) if on]
        if extra:
            rows.append(("with a matching 3 x x record", "still refuses " + " and ".join(extra)))
        if self.words:
            rows.append(("refuses with", "; ".join(f"{r.value}: \"{w}\"" for r, w in self.words)))
        rows.append(("proof", self.proof))
        return rows

    def says(self, refusal: Refusal, **facts: str) -> str | None:
        text = dict(self.words).get(refusal)
        if text is None:
            return None
        for key, value in facts.items():
            text = text.replace("{" + key + "}", value)
        return text


_POSTFIX_DEFER = "{id}: to=<...>, relay={host}[{ip}]:{port}, ... dsn=4.7.5, status=deferred (Server certificate not verified)"

_SENDERS: tuple[ClientProfile, ...] = (
    ClientProfile(
        id="postfix-dane",
        group=ClientGroup.SENDER,
        proof=Proof.WIRE,
        title="Postfix DANE sender",
        clients="Postfix smtp(8) with smtp_tls_security_level = dane, smtp_dns_support_level = dnssec",
        source=(
            "Postfix 3.7 src/smtp/smtp_tls_policy.c (dane_init: TLSA lookup error -> defer 4.7.5;"
            " no TLSA or insecure -> 'may'; only unusable records -> 'encrypt'; DANE-TA names ="
            " TLSA base domain + MX name) and OpenSSL's DANE verifier (X509_V_ERR_DANE_NO_MATCH,"
            " num=65); TLS_README 'Mandatory server certificate verification'"
        ),
        sender=SenderRules(
            dane=True,
            mta_sts=False,
            proof="checked over the wire: a real Postfix 3.7 DANE sender in tests/dane delivers or defers as predicted",
            words=(
                (Refusal.TLSA_MISMATCH, "server certificate verification failed for {host}[{ip}]:{port}: num=65:no matching DANE TLSA records"),
                (Refusal.DNSSEC_BOGUS, "TLSA lookup error for {host}:{port}"),
                (Refusal.NAME_MISMATCH, "server certificate verification failed for {host}[{ip}]:{port}: num=62:hostname mismatch"),
                (Refusal.EXPIRED, "server certificate verification failed for {host}[{ip}]:{port}: num=10:certificate has expired"),
            ),
        ),
        notes=(
            "After a refusal the log goes on: 'Untrusted TLS connection established to ...', then "
            + _POSTFIX_DEFER.replace("{id}", "QUEUEID")
            + ".",
            "Without a validating resolver (no AD bit) DANE is silently off: Postfix logs 'DNSSEC"
            " validation may be unavailable' and delivers over unauthenticated TLS.",
            "With postfix-mta-sts-resolver as smtp_tls_policy_maps, its 'secure' answer replaces DANE"
            " for the domain unless a dane or dane-only entry comes first (LAB-DANE section 9).",
            "smtp(8) caches TLSA records for their TTL: publish a new record one TTL before the key switch.",
        ),
    ),
    ClientProfile(
        id="postfix-mta-sts",
        group=ClientGroup.SENDER,
        proof=Proof.WIRE,
        title="Postfix + MTA-STS",
        clients="Postfix with smtp_tls_policy_maps = socketmap:... postfix-mta-sts-resolver (the usual way to give Postfix MTA-STS)",
        source=(
            "postfix-mta-sts-resolver 1.5 README ('MTA-STS policy overrides DANE TLS authentication'):"
            " for a domain with an enforce policy it answers 'secure match=MX-PATTERNS', so Postfix"
            " requires a trusted chain (smtp_tls_CAfile) and the MX name, and does no DANE;"
            " Postfix TLS_README 'Mandatory server certificate verification'"
        ),
        sender=SenderRules(
            dane=False,
            mta_sts=True,
            proof="checked over the wire: Postfix 3.7 with postfix-mta-sts-resolver 1.5 in tests/dane (policy overrides a stale TLSA; untrusted chain deferred)",
            words=(
                (Refusal.UNTRUSTED, "Untrusted TLS connection established to {host}[{ip}]:{port}"),
                (Refusal.EXPIRED, "Untrusted TLS connection established to {host}[{ip}]:{port}"),
                (Refusal.NAME_MISMATCH, "status=deferred (Server certificate not verified)"),
                (Refusal.STS_MX_MISMATCH, "status=deferred (Server certificate not verified)"),
            ),
        ),
        notes=(
            "A domain that publishes both DANE and MTA-STS gets MTA-STS only, contrary to RFC 8461"
            " section 2, unless a dane or dane-only entry comes before the socketmap in"
            " smtp_tls_policy_maps (then the postfix-dane row applies).",
        ),
    ),
    ClientProfile(
        id="exim-dane",
        group=ClientGroup.SENDER,
        proof=Proof.SOURCE,
        title="Exim DANE sender",
        clients="Exim 4.91+ smtp transport with hosts_try_dane (or hosts_require_dane) and a DNSSEC-validating resolver",
        source=(
            "Exim src/transports/smtp.c (tlsa_lookup: 'DANE error: tlsa lookup DEFER' on a failed"
            " lookup) and src/tls-openssl.c (OpenSSL's DANE verifier); Exim spec chapter 'DANE'"
        ),
        sender=SenderRules(
            dane=True,
            mta_sts=False,
            proof="read from Exim's source and specification; not run here",
            words=(
                (Refusal.TLSA_MISMATCH, "TLS session: (SSL_connect): error:0A000086:SSL routines::certificate verify failed"),
                (Refusal.DNSSEC_BOGUS, "DANE error: tlsa lookup DEFER"),
                (Refusal.NAME_MISMATCH, "TLS session: (SSL_connect): error:0A000086:SSL routines::certificate verify failed"),
                (Refusal.EXPIRED, "TLS session: (SSL_connect): error:0A000086:SSL routines::certificate verify failed"),
            ),
        ),
    ),
    ClientProfile(
        id="m365-dane",
        group=ClientGroup.SENDER,
        proof=Proof.DOCS,
        title="Microsoft 365 (DANE)",
        clients="Exchange Online outbound mail to a domain with DNSSEC and TLSA records",
        source=(
            "Microsoft Learn 'How SMTP DNS-based Authentication of Named Entities (DANE) works'"
            " (learn.microsoft.com/purview/how-smtp-dane-works): NDR codes 5.7.322-5.7.325 named after"
            " the RFC 8460 result types; the certificate must also be unexpired and name the MX"
        ),
        sender=SenderRules(
            dane=True,
            mta_sts=True,
            ee_checks_expiry=True,
            ee_checks_name=True,
            proof=(
                "the NDR codes are Microsoft's documented 5.7.322-5.7.325; their texts here were written from memory of that page, not quoted from a stored copy: verify before relying on the exact words; not checked over the wire"
            ),
            words=(
                (Refusal.TLSA_MISMATCH, "5.7.323 tlsa-invalid: The domain failed DANE validation"),
                (Refusal.DNSSEC_BOGUS, "5.7.324 dnssec-invalid: Destination domain returned invalid DNSSEC records"),
                (Refusal.NAME_MISMATCH, "5.7.325 certificate-host-mismatch: Remote certificate MUST have a common name or subject alternative name matching the hostname (DANE)"),
                (Refusal.EXPIRED, "5.7.322 certificate-expired: Destination mail server's certificate is expired"),
                (Refusal.UNTRUSTED, "certificate-not-trusted (MTA-STS enforce: the chain does not end at a public root)"),
                (Refusal.STS_MX_MISMATCH, "validation-failure (MTA-STS enforce: the MX host is not in the policy)"),
            ),
        ),
        notes=("Exchange Online also enforces MTA-STS for domains without DANE.",),
    ),
    ClientProfile(
        id="gmail-mta-sts",
        group=ClientGroup.SENDER,
        proof=Proof.DOCS,
        title="Gmail (MTA-STS)",
        clients="Gmail's outbound SMTP to a domain that publishes an MTA-STS policy (Gmail does no DANE)",
        source=(
            "RFC 8461 sections 4.1-4.2 (MX patterns, PKIX chain to a trusted root, RFC 6125 names);"
            " Google Workspace Admin Help 'About MTA-STS and TLS reporting'"
        ),
        sender=SenderRules(
            dane=False,
            mta_sts=True,
            proof="read from RFC 8461 and Google's documentation; Gmail's bounce text is not documented, so the RFC 8460 result type is shown",
            words=(
                (Refusal.NAME_MISMATCH, "certificate-host-mismatch (MTA-STS enforce)"),
                (Refusal.EXPIRED, "certificate-expired (MTA-STS enforce)"),
                (Refusal.UNTRUSTED, "certificate-not-trusted (MTA-STS enforce)"),
                (Refusal.STS_MX_MISMATCH, "validation-failure: the MX host is not in the MTA-STS policy (enforce)"),
            ),
        ),
    ),
    ClientProfile(
        id="opportunistic",
        group=ClientGroup.SENDER,
        proof=Proof.DOCS,
        title="Opportunistic sender",
        clients="Postfix smtp_tls_security_level = may, Exim and most MTAs by default: TLS if offered, certificate not checked",
        source="RFC 7435 (opportunistic security); Postfix TLS_README 'Opportunistic TLS'",
        sender=SenderRules(dane=False, mta_sts=False, proof="read from RFC 7435 and Postfix's TLS_README"),
    ),
)

SENDERS: dict[str, ClientProfile] = {p.id: p for p in _SENDERS}
ALL_PROFILES: Mapping[str, ClientProfile] = {**PROFILES, **SENDERS}


def profile_title(client: str) -> str:
    """The title of a mail-client or sender profile (the id itself when unknown)."""
    p = ALL_PROFILES.get(client)
    return p.title if p is not None else client
