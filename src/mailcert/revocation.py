"""Revocation facts for a served certificate: the stapled OCSP response, the OCSP responder
named in AIA, the CRL named in the CRL Distribution Points.

Gathering is network work (the responder and CRL fetches go through :mod:`mailcert.probe.http`);
every answer is then judged offline by :mod:`mailcert.certs.revocation` and comes back as
plain values for :func:`mailcert.doctor.diagnose` to turn into findings.  A fetch that fails is
an answer too ("could not tell, because ..."), never an exception: the rest of the check stands.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from cryptography import x509

from mailcert.certs.revocation import (
    Revocation,
    RevocationStatus,
    crl_status,
    crl_urls,
    find_issuer,
    ocsp_request,
    ocsp_status,
    ocsp_urls,
)
from mailcert.certs.chain import TrustStore
from mailcert.errors import MailcertError
from mailcert.probe import http
from mailcert.probe.driver import ProbeResult

__all__ = ["RevocationRequest", "RevocationFacts", "gather_revocation"]


@dataclass(frozen=True)
class RevocationRequest:
    """What to find out: the staple (read whenever the probe asked for it), the responder,
    the CRL; ``timeout`` bounds each fetch."""

    ocsp: bool = False
    crl: bool = False
    timeout: float = 10.0


@dataclass(frozen=True)
class RevocationFacts:
    """Every answer about the served leaf, with the request, so a renderer needs nothing else.

    ``stapling_requested``: the handshake asked for a staple; ``stapled`` its judgement (``None``
    when the server stapled nothing).  ``answers``: the responder's and the CRL's, in that order.
    ``unnamed``: what was asked but the certificate names no URL for (``"ocsp"``, ``"crl"``).
    ``issuer_missing``: the issuer certificate was nowhere (not sent, not an anchor), so no
    answer could be checked.
    """

    request: RevocationRequest
    stapling_requested: bool
    stapled: RevocationStatus | None
    answers: tuple[RevocationStatus, ...]
    unnamed: tuple[str, ...]
    issuer_missing: bool = False

    @property
    def all(self) -> tuple[RevocationStatus, ...]:
        return ((self.stapled,) if self.stapled else ()) + self.answers

    @property
    def revoked(self) -> RevocationStatus | None:
        return next((a for a in self.all if a.status is Revocation.REVOKED), None)


def gather_revocation(served: ProbeResult, store: TrustStore, request: RevocationRequest, *, now: dt.datetime) -> RevocationFacts:
    """Judge the staple, then ask the responder and fetch the CRL as ``request`` says."""
    try:
        certs = [x509.load_der_x509_certificate(d) for d in served.chain]
    except ValueError:  # the judge says so in its own words; nothing here can be checked
        return RevocationFacts(request, served.ocsp_requested, None, (), (), issuer_missing=True)
    leaf = certs[0]
    issuer = find_issuer(leaf, certs[1:] + store.issuers_of(leaf))
    if issuer is None:
        return RevocationFacts(request, served.ocsp_requested, None, (), (), issuer_missing=True)
    stapled = None
    if served.ocsp_staple:
        stapled = ocsp_status(served.ocsp_staple, leaf, issuer, now=now, source="stapled")
    answers: list[RevocationStatus] = []
    unnamed: list[str] = []
    if request.ocsp:
        urls = ocsp_urls(leaf)
        if not urls:
            unnamed.append("ocsp")
        for url in urls[:1]:  # the first responder answers for the CA; more are fallbacks we do not need
            answers.append(_ask_responder(url, leaf, issuer, request.timeout, now))
    if request.crl:
        fetchable = [u for u in crl_urls(leaf) if u.startswith(("http://", "https://"))]  # not ldap://
        if not fetchable:
            unnamed.append("crl")
        for url in fetchable[:1]:
            try:
                data = http.fetch(url, timeout=request.timeout)
            except MailcertError as exc:
                answers.append(RevocationStatus("crl", url, Revocation.ERROR, str(exc)))
                continue
            answers.append(crl_status(data, leaf, issuer, now=now, url=url))
    return RevocationFacts(request, served.ocsp_requested, stapled, tuple(answers), tuple(unnamed))


def _ask_responder(url: str, leaf: x509.Certificate, issuer: x509.Certificate, timeout: float, now: dt.datetime) -> RevocationStatus:
    try:
        data = http.fetch(
            url, data=ocsp_request(leaf, issuer), content_type="application/ocsp-request",
            accept="application/ocsp-response", timeout=timeout,
        )
    except MailcertError as exc:
        return RevocationStatus("ocsp", url, Revocation.ERROR, str(exc))
    return ocsp_status(data, leaf, issuer, now=now, source="ocsp", url=url)
