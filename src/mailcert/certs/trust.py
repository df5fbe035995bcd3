"""Chain trust: build the path from the leaf to a trust anchor, and say what is missing.

Why not a library verifier: cryptography's ``x509.verification`` enforces the Web PKI
profile (it refuses a self-signed SBS certificate, or a private mail CA without AKI, that
real mail clients accept once the administrator installs it), and pyOpenSSL's store costs
50 ms of start-up, a third of ``mailcert check``'s whole budget.  What an administrator needs
is not only yes/no but *which* certificate is missing, so the builder below keeps the
diagnosis; signatures are checked by cryptography (``verify_directly_issued_by``).
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
import os
import ssl
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm

from mailcert.certs.load import load_certificates
from mailcert.errors import CertificateError, InputError

__all__ = ["ChainOrder", "TrustProblem", "TrustResult", "TrustStore", "order_chain", "verify_chain"]

_MAX_DEPTH = 10


class TrustProblem(enum.Enum):
    NONE = "trusted"
    SELF_SIGNED_LEAF = "self-signed certificate that is not in the trust store"
    MISSING_INTERMEDIATE = "the server does not send the intermediate certificate(s)"
    UNTRUSTED_ROOT = "the chain ends at a root that is not in the trust store"
    BAD_SIGNATURE = "a certificate's signature does not verify with its issuer's key"
    ISSUER_EXPIRED = "an issuing certificate is expired or not yet valid"
    ISSUER_NOT_CA = "an issuing certificate is not a CA certificate"
    TOO_LONG = "the chain is too long"


@dataclass(frozen=True)
class TrustResult:
    """The verdict and the path (subjects, leaf first) as far as it could be built."""

    trusted: bool
    problem: TrustProblem
    detail: str
    path: tuple[str, ...]
    anchor: str | None
    extra_sent: tuple[str, ...]  # certificates the server sent that the path does not use


class TrustStore:
    """Trust anchors by subject: the system store, or the administrator's ``--cafile``."""

    def __init__(self, anchors: Sequence[x509.Certificate], description: str) -> None:
        self.description = description
        self._by_subject: dict[x509.Name, list[x509.Certificate]] = {}
        # certificates compare and hash by their DER (in Rust): cheaper than a SHA-256 per lookup
        self._anchors: set[x509.Certificate] = set()
        for a in anchors:
            self._by_subject.setdefault(a.subject, []).append(a)
            self._anchors.add(a)

    @classmethod
    def from_file(cls, path: str) -> TrustStore:
        try:
            return cls(load_certificates(path), path)
        except InputError as exc:  # unreadable, not a regular file, or not certificates
            raise InputError(f"--cafile: {exc}") from None

    @classmethod
    def system(cls) -> TrustStore:
        """The operating system's store, as OpenSSL-based clients on this machine see it."""
        paths = ssl.get_default_verify_paths()
        for candidate in (paths.cafile, paths.openssl_cafile, "/etc/ssl/certs/ca-certificates.crt"):
            if candidate and os.path.isfile(candidate):
                with open(candidate, "rb") as f:
                    data = f.read()
                with warnings.catch_warnings():
                    # some distribution roots carry a non-positive serial; still anchors
                    warnings.simplefilter("ignore")
                    anchors = x509.load_pem_x509_certificates(data)
                return cls(anchors, f"system store ({candidate})")
        return cls([], "system store (empty: no CA bundle found)")

    def issuers_of(self, cert: x509.Certificate) -> list[x509.Certificate]:
        return self._by_subject.get(cert.issuer, [])

    def contains(self, cert: x509.Certificate) -> bool:
        return cert in self._anchors


def verify_chain(chain: Sequence[x509.Certificate], store: TrustStore, *, now: dt.datetime) -> TrustResult:
    """Build leaf -> ... -> anchor from what the server sent plus the store; first problem wins."""
    if not chain:
        raise ValueError("empty chain")
    leaf, sent = chain[0], list(chain[1:])
    path = [leaf]
    used: set[int] = set()
    current = leaf
    if store.contains(leaf):
        return _result(True, TrustProblem.NONE, "the certificate itself is in the trust store", path, _subject(leaf), sent, used)
    for _ in range(_MAX_DEPTH):
        anchor = _find_issuer(current, store.issuers_of(current))
        if anchor is not None:
            problem = _issuer_problem(anchor, now, is_anchor=True)
            if problem:
                return _result(False, problem[0], problem[1], path, None, sent, used)
            return _result(True, TrustProblem.NONE, f"chains to {_subject(anchor)} ({store.description})", path, _subject(anchor), sent, used)
        if _self_signed(current):
            if current is leaf:
                return _result(False, TrustProblem.SELF_SIGNED_LEAF,
                               f"self-signed and not in the {store.description}", path, None, sent, used)
            return _result(False, TrustProblem.UNTRUSTED_ROOT,
                           f"the root {_subject(current)} is not in the {store.description}", path, None, sent, used)
        candidates = [c for i, c in enumerate(sent) if i not in used and c.subject == current.issuer]
        nxt = _find_issuer(current, candidates)
        if nxt is None:
            if candidates:
                return _result(False, TrustProblem.BAD_SIGNATURE,
                               f"{_subject(current)} is not signed by the {_subject(candidates[0])} that the server sent",
                               path, None, sent, used)
            return _result(False, TrustProblem.MISSING_INTERMEDIATE,
                           f"no certificate for the issuer {current.issuer.rfc4514_string()} of {_subject(current)}:"
                           " the server does not send it and the trust store does not have it", path, None, sent, used)
        used.add(next(i for i, c in enumerate(sent) if c is nxt))
        problem = _issuer_problem(nxt, now, is_anchor=False)
        if problem:
            return _result(False, problem[0], problem[1], path + [nxt], None, sent, used)
        path.append(nxt)
        current = nxt
    return _result(False, TrustProblem.TOO_LONG, f"more than {_MAX_DEPTH} certificates", path, None, sent, used)


class ChainOrder(NamedTuple):
    """An unordered set of certificates put in order behind a leaf (see :func:`order_chain`).
    (A NamedTuple, not a dataclass: ``check`` defines it at every start-up.)"""

    intermediates: tuple[x509.Certificate, ...]  # leaf's issuer first
    root: x509.Certificate | None  # the self-signed top, when it was among them
    leftover: tuple[x509.Certificate, ...]  # given, but no link of this chain


def order_chain(leaf: x509.Certificate, pool: Sequence[x509.Certificate]) -> ChainOrder:
    """Order ``pool`` (a CA's bundle, a PKCS#12 file's extras: any order, strays included) into
    the path above ``leaf``: each link is the certificate whose key signed the one below it (the
    signature checked, not only the names), up to a self-signed root or until no issuer is left.

    The same links :func:`verify_chain` follows, without a trust store: ``cert import`` uses it to
    write fullchain.pem in the order servers must send, and then judges trust with
    :func:`verify_chain`.
    """
    links: list[x509.Certificate] = []
    used: list[x509.Certificate] = []
    root: x509.Certificate | None = None
    current = leaf
    for _ in range(_MAX_DEPTH):
        if _self_signed(current):
            break
        issuer = _find_issuer(current, [c for c in pool if c not in used and c.subject == current.issuer])
        if issuer is None:
            break
        used.append(issuer)
        if _self_signed(issuer):
            root = issuer
            break
        links.append(issuer)
        current = issuer
    return ChainOrder(tuple(links), root, tuple(c for c in pool if c not in used and c != leaf))


def _self_signed(cert: x509.Certificate) -> bool:
    return cert.subject == cert.issuer and _signed(cert, cert)


def _find_issuer(cert: x509.Certificate, candidates: Sequence[x509.Certificate]) -> x509.Certificate | None:
    for c in candidates:
        if _signed(cert, c):
            return c
    return None


@functools.lru_cache(maxsize=1024)
def _signed(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    # cached: a public-key operation per link, and a scan meets the same chains again and again
    try:
        cert.verify_directly_issued_by(issuer)
        return True
    except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
        return False


def _issuer_problem(cert: x509.Certificate, now: dt.datetime, *, is_anchor: bool) -> tuple[TrustProblem, str] | None:
    if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
        return (TrustProblem.ISSUER_EXPIRED,
                f"{_subject(cert)} is valid only from {cert.not_valid_before_utc:%Y-%m-%d} to {cert.not_valid_after_utc:%Y-%m-%d}")
    if is_anchor:
        return None  # anchors are trusted as configured, as OpenSSL does
    try:
        ca = cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except (x509.ExtensionNotFound, ValueError):
        ca = False
    if not ca:
        return (TrustProblem.ISSUER_NOT_CA, f"{_subject(cert)} issues certificates but is not marked CA:TRUE")
    return None


def _result(trusted: bool, problem: TrustProblem, detail: str, path: list[x509.Certificate],
            anchor: str | None, sent: list[x509.Certificate], used: set[int]) -> TrustResult:
    extra = tuple(_subject(c) for i, c in enumerate(sent) if i not in used)
    return TrustResult(trusted, problem, detail, tuple(_subject(c) for c in path), anchor, extra)


def _subject(cert: x509.Certificate) -> str:
    return cert.subject.rfc4514_string() or "(empty subject)"

