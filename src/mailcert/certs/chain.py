"""Chain trust, decided by real validators, diagnosed for an administrator.

Two validators decide; mailcert builds no path itself:

- ``openssl``: OpenSSL's own ``X509_verify_cert`` (:mod:`mailcert.certs.libcrypto`), set up as
  libssl sets it up for a TLS client.  What mutt, fetchmail, Postfix, CPython and Node.js run.
- ``webpki``: cryptography's ``x509.verification`` (a Rust port of the Web PKI rules, the
  strictest widely used validator: AKI/SKI, serial numbers, key types, EKU on every CA,
  name constraints).  The closest runnable stand-in for Go's ``crypto/x509``, mozilla::pkix
  and Apple's SecTrust, which all enforce the CA/Browser Forum profile.

A bare verifier says yes or no; an administrator needs *which* certificate is missing, where
it can be fetched (AIA caIssuers), and which rule failed.  :func:`verify_chain` returns that as
a :class:`TrustResult`, read from the path OpenSSL built and the error depth it reports.

Why OpenSSL's path for the diagnosis even for the strict validator: cryptography's errors are
text meant for people and carry no depth; OpenSSL's path builder stops exactly where a
certificate is missing.  Each validator still decides its own verdict.
"""

from __future__ import annotations

import bisect
import datetime as dt
import enum
import functools
import ipaddress
import math
import operator
import os
import ssl
import threading
import warnings
from collections.abc import Callable, Iterable, Sequence
from typing import Any, NamedTuple, TypeVar

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import dsa, ec, rsa
from cryptography.x509 import verification
from cryptography.x509.oid import AuthorityInformationAccessOID

from mailcert.certs.info import signed_by
from mailcert.certs.libcrypto import OpenSSLStore, OpenSSLUnavailable, OpenSSLVerdict, openssl_verify
from mailcert.certs.lenient import original_der
from mailcert.certs.keystore import is_keystore, read_keystore
from mailcert.certs.load import read_certificates
from mailcert.der import certificate_der, issuer_of, public_key_of, subject_of, subject_text
from mailcert.errors import InputError
from mailcert.inputs import read_input
from mailcert.memo import per_object

__all__ = [
    "MAX_CHAIN",
    "ChainOrder",
    "order_chain",
    "TrustProblem",
    "TrustResult",
    "TrustStore",
    "Validator",
    "ValidatorSettings",
    "clock_positions",
    "jdk_name",
    "jdk_signature_name",
    "verify_chain",
    "verify_chain_for",
    "verify_chain_in_order",
    "strictest_first",
]

# Longer chains are refused before any validator runs: no real server sends more than a
# handful, and a hostile one must not make the judge spend time (OpenSSL's own default depth
# is 100; cryptography's 8).
MAX_CHAIN = 100


class Validator(enum.Enum):
    """Which real validator decides a client's chain verdict."""

    OPENSSL = "OpenSSL X509_verify_cert (libssl's client settings)"
    WEBPKI = "cryptography x509.verification (Web PKI rules)"

    # members are singletons: identity hashes them exactly, in C; Enum's own __hash__ is a
    # Python call, and every ValidatorSettings key of the chain memory hashes one
    __hash__ = object.__hash__


class ValidatorSettings(NamedTuple):
    """How a client sets its validator up: the fields a profile's chain policy gives."""

    validator: Validator = Validator.OPENSSL
    security_level: int = 2
    max_depth: int = 100
    key_ids_optional: bool = False  # webpki: AKI/SKI may be absent (private CAs made by older tools), CA:TRUE leaf judged by the client's own rule
    partial_chain: bool = False  # openssl: any certificate in the store is an anchor, not only a self-signed root (GnuTLS, the JDK)
    anchor_key_only: bool = False  # openssl: an anchor is its name and key; its validity, extensions, constraints unchecked (the JDK)
    purpose: bool = True  # openssl: verify for a TLS server (ssl_server: EKU, CA leaf); False: no purpose (clients that give GnuTLS none)
    cn_ip_name: bool = False  # openssl: name constraints read an IP-literal subject CN as an iPAddress, and it joins the SAN (the JDK)
    key_floor: tuple[tuple[str, int], ...] = ()  # openssl: (RSA/DSA/EC, bits): every such key of the path, the anchor's too, at least this size (the JDK)
    sha1_jdk_ca: bool = False  # openssl: SHA-1 signatures below the anchor refused when the store is the JDK's own (TrustStore.jdk_ca)
    not_after_inclusive: bool = False  # openssl: a certificate is still valid at its notAfter, to the millisecond (the JDK)
    anchor_must_be_ca: bool = False  # openssl: an anchor above the server's certificate is a v3 CA with keyCertSign (the JDK)
    empty_names_refused: bool = False  # openssl: a certificate with an empty issuer, or an empty subject and no critical SAN, is unreadable (the JDK)
    eku_leaf_only: bool = False  # openssl: the CAs' extended key usage is not checked, the leaf's is (the JDK)
    path_search: bool = False  # openssl: after a refusal each other path through the sent certificates is tried (the JDK)


class TrustProblem(enum.Enum):
    """Why a chain is not trusted, in an administrator's terms (``value``: the finding text)."""

    NONE = "trusted"
    SELF_SIGNED_LEAF = "self-signed certificate that is not in the trust store"
    MISSING_INTERMEDIATE = "the server does not send the intermediate certificate(s)"
    UNTRUSTED_ROOT = "the chain ends at a root that is not in the trust store"
    BAD_SIGNATURE = "a certificate's signature does not verify with its issuer's key"
    EXPIRED = "the certificate is expired or not yet valid"
    ISSUER_EXPIRED = "an issuing certificate is expired or not yet valid"
    ISSUER_NOT_CA = "an issuing certificate is not a CA certificate"
    TOO_LONG = "the chain is too long"
    NAME_CONSTRAINT = "a CA's name constraints forbid the certificate's names"
    PURPOSE = "a certificate's extended key usage does not allow a TLS server"
    WEAK_KEY = "a key is too small for the client's security level"
    WEAK_SIGNATURE = "a signature uses a refused algorithm (SHA-1, MD5)"
    CRITICAL_EXTENSION = "a certificate has a critical extension the client does not know"
    INVALID = "the chain breaks a rule of the client's validator"
    UNREADABLE = "a certificate cannot be read by the client's validator"


# OpenSSL's X509_V_ERR_* numbers (include/openssl/x509_vfy.h), grouped by what to tell the admin.
_OPENSSL_PROBLEMS: dict[int, TrustProblem] = {
    2: TrustProblem.MISSING_INTERMEDIATE,
    20: TrustProblem.MISSING_INTERMEDIATE,
    21: TrustProblem.MISSING_INTERMEDIATE,
    18: TrustProblem.SELF_SIGNED_LEAF,
    19: TrustProblem.UNTRUSTED_ROOT,
    4: TrustProblem.BAD_SIGNATURE,
    6: TrustProblem.BAD_SIGNATURE,
    7: TrustProblem.BAD_SIGNATURE,
    9: TrustProblem.EXPIRED,
    10: TrustProblem.EXPIRED,
    13: TrustProblem.EXPIRED,
    14: TrustProblem.EXPIRED,
    22: TrustProblem.TOO_LONG,
    25: TrustProblem.TOO_LONG,
    24: TrustProblem.ISSUER_NOT_CA,
    26: TrustProblem.PURPOSE,
    34: TrustProblem.CRITICAL_EXTENSION,
    47: TrustProblem.NAME_CONSTRAINT,
    48: TrustProblem.NAME_CONSTRAINT,
    49: TrustProblem.NAME_CONSTRAINT,
    51: TrustProblem.NAME_CONSTRAINT,
    52: TrustProblem.NAME_CONSTRAINT,
    53: TrustProblem.NAME_CONSTRAINT,
    66: TrustProblem.WEAK_KEY,
    67: TrustProblem.WEAK_KEY,
    68: TrustProblem.WEAK_SIGNATURE,
}

# cryptography's error texts, matched in order (its errors carry no codes).
_WEBPKI_PROBLEMS: tuple[tuple[str, TrustProblem], ...] = (
    ("name constraint", TrustProblem.NAME_CONSTRAINT),
    ("nameConstraints", TrustProblem.NAME_CONSTRAINT),
    ("EKU", TrustProblem.PURPOSE),
    ("cert is not valid at validation time", TrustProblem.EXPIRED),
    ("validity", TrustProblem.EXPIRED),
    ("basicConstraints.cA must not be asserted", TrustProblem.INVALID),
    ("Forbidden public key", TrustProblem.WEAK_KEY),
    ("RSA key", TrustProblem.WEAK_KEY),
    ("Forbidden signature", TrustProblem.WEAK_SIGNATURE),
    ("unsupported signature", TrustProblem.WEAK_SIGNATURE),
    ("path length", TrustProblem.TOO_LONG),
    ("maximum depth", TrustProblem.TOO_LONG),
    ("unknown critical", TrustProblem.CRITICAL_EXTENSION),
    ("ASN.1", TrustProblem.UNREADABLE),
)


class TrustResult(NamedTuple):
    """One validator's verdict on a chain, and the path (subjects, leaf first) it got to.

    ``error`` is the validator's own text (OpenSSL's ``X509_verify_cert_error_string``, or
    cryptography's message); ``missing_issuer`` the issuer name nobody supplied and
    ``aia_url`` where the certificate that needs it says it can be fetched (caIssuers).
    (A NamedTuple: ``check`` defines it at every start, and a frozen dataclass costs several
    times as much to define.)
    """

    trusted: bool
    problem: TrustProblem
    detail: str
    path: tuple[str, ...]
    anchor: str | None
    extra_sent: tuple[str, ...]  # certificates the server sent that the path does not use
    error: str = ""
    missing_issuer: str | None = None
    aia_url: str | None = None
    validator: Validator = Validator.OPENSSL
    added_names: tuple[tuple[str, str], ...] = ()  # SAN entries the validator added to the leaf the client's name check reads
    sent_path: tuple[int, ...] = ()  # OpenSSL's validated path as indexes of the sent chain (-1: an anchor)
    as_is: bool = False  # the server's certificate is trusted as it is, before any check of it (the JDK: no algorithm, EKU or date check)


class TrustStore:
    """Trust anchors: the system store, Mozilla's list (certifi), or the administrator's ``--cafile``.

    Each validator's own store object is built once per store and kept: a scan judges
    thousands of chains against the same anchors.
    """

    def __init__(
        self, anchors: Sequence[x509.Certificate], description: str, *, any_anchor: bool = False, public: bool = False,
        jdk_ca: bool = False, jdk_anchors: Iterable[x509.Certificate] = (),
    ) -> None:
        """``any_anchor``: an anchor need not be a self-signed root (a DANE trust anchor, an
        intermediate pinned by the administrator); OpenSSL's ``X509_V_FLAG_PARTIAL_CHAIN``.
        ``public``: the anchors are public CAs' roots (rules for public certificates apply).
        ``jdk_ca``: the anchors are those a JDK ships in its own cacerts, each under an alias
        marked `` [jdk]`` (what ``sun.security.util.AnchorCertificates`` counts as a "jdkCA":
        OpenJDK's own cacerts as upstream builds ship it).  The system store is not: a
        distribution's JDK (Debian's ca-certificates-java) makes its cacerts from it with
        ``debian:`` aliases, which mark none.  ``jdk_anchors``: those of the anchors that are, when
        only some are (a keystore's entries whose alias holds `` [jdk``: :meth:`from_file`)."""
        self.description = description
        self.any_anchor = any_anchor
        self.public = public
        self.anchors = tuple(anchors)
        self._jdk = frozenset(self.anchors) if jdk_ca else frozenset(jdk_anchors)
        self.jdk_ca = bool(self._jdk)  # any anchor is the JDK's own
        # certificates compare and hash by their DER (in Rust): no serialisation per lookup
        self._set = frozenset(self.anchors)
        self._lock = threading.Lock()
        self._openssl: OpenSSLStore[x509.Certificate] | None = None
        self._openssl_keys: OpenSSLStore[x509.Certificate] | None = None
        self._webpki: verification.Store | None = None

    @classmethod
    def from_file(cls, path: str) -> TrustStore:
        """The anchors in the file at ``path``: PEM, DER, PKCS#7, or a Java keystore (JKS or
        PKCS#12: a JDK's cacerts), whose entries with `` [jdk`` in their alias are the JDK's own."""
        try:
            return cls.from_bytes(read_input(path, what="CA certificates or keystore"), path)
        except InputError as exc:  # unreadable, not a regular file, or not certificates
            raise InputError(f"cafile: {exc}", field="cafile") from None

    @classmethod
    def from_bytes(cls, data: bytes, source: str) -> TrustStore:
        """The anchors in ``data`` (what :meth:`from_file` reads; a scan carries the bytes to its
        workers, so every command takes the same formats).

        Raises:
            InputError: ``data`` holds no certificates, or is a keystore that cannot be read.
        """
        if not is_keystore(data):
            return cls(read_certificates(data, source=source), source)
        store = read_keystore(data, source)
        return cls([e.certificate for e in store.anchors], f"{source} ({store.description})",
                   jdk_anchors=[e.certificate for e in store.anchors if e.jdk_ca])

    @functools.cached_property
    def pem(self) -> bytes:
        """The anchors as PEM: what the MTA-STS policy fetch gives Python's ``ssl`` as ``cadata``,
        so it trusts the same anchors whatever format the store was read from (DER, PKCS#7, a
        Java keystore: ``ssl`` reads none of those as a CA file)."""
        from mailcert.certs.build import cert_to_pem  # lazy: build (and idna) only for a policy fetch's anchors (check's start-up)

        return cert_to_pem(*self.anchors)

    def is_jdk_ca(self, anchor: x509.Certificate | None) -> bool:
        """Is ``anchor`` one the JDK ships itself (``AnchorCertificates.contains``: the same certificate)?"""
        return anchor is not None and anchor in self._jdk

    @classmethod
    def from_bundle(cls, path: str, description: str) -> TrustStore:
        """A public PEM bundle of anchors (distribution roots may carry odd serials: still anchors)."""
        with open(path, "rb") as f:
            data = f.read()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            anchors = x509.load_pem_x509_certificates(data)
        return cls(anchors, f"{description} ({path})", public=True)

    @classmethod
    def system(cls) -> TrustStore:
        """The operating system's store, as OpenSSL-based clients on this machine see it."""
        paths = ssl.get_default_verify_paths()
        for candidate in (paths.cafile, paths.openssl_cafile, "/etc/ssl/certs/ca-certificates.crt"):
            if candidate and os.path.isfile(candidate):
                return cls.from_bundle(candidate, "system store")
        return cls([], "system store (empty: no CA bundle found)")

    @classmethod
    def mozilla(cls) -> TrustStore | None:
        """Mozilla's root list as certifi ships it (Thunderbird's and Node.js's own lists
        derive from it); None when certifi is not installed."""
        try:
            # lazy: optional: only the Mozilla store needs certifi, and it may be missing
            import certifi
        except ImportError:
            return None
        return cls.from_bundle(certifi.where(), "Mozilla's root list (certifi)")

    def contains(self, cert: x509.Certificate) -> bool:
        """Is ``cert`` one of the anchors?  Its subject's name key is looked up first: hashing a
        certificate costs cryptography a walk of its fields, and most certificates asked about
        (every leaf) share no subject with an anchor."""
        return _wire(cert)[2] in self.openssl().by_name and cert in self._set

    def above(self, names: Iterable[str]) -> tuple[x509.Certificate, ...]:
        """The anchors a validator may put on a path for a chain whose certificates carry the
        name keys ``names`` (:func:`name_key` of each one's issuer and subject): those whose
        subject is one of them, the anchors naming those as issuers, and so on.  Names compared
        loosely (:func:`name_key`), so it is a superset of what either validator looks up.
        Names only: a chain's anchors depend on nothing else of it, so a new leaf under a known
        intermediate finds them by the names it shares with it (:func:`_above`)."""
        by_name = self.openssl().by_name
        wanted = list(names)
        found: dict[x509.Certificate, None] = {}
        while wanted:
            for a in by_name.get(wanted.pop(), ()):
                if a not in found:
                    found[a] = None
                    wanted.append(_wire(a)[1])
        return tuple(found)

    def issuers_of(self, cert: x509.Certificate) -> list[x509.Certificate]:
        """Anchors whose subject is ``cert``'s issuer (revocation checking needs the issuer's key;
        a report names the anchor a chain ends at).  Looked up by name key, not by reading the
        subject of each of a system store's hundred and forty anchors, and remembered per
        certificate: each new leaf under a known intermediate asks again for the intermediate's,
        and reading its issuer name costs more than the lookup."""
        return list(_issuers_in(self, cert))

    def openssl(self, *, key_only: bool = False) -> OpenSSLStore[x509.Certificate]:
        """OpenSSL's store of these anchors; ``key_only``: each anchor reduced to what the JDK's
        ``TrustAnchor`` keeps of a certificate (see :func:`_name_and_key`)."""
        with self._lock:
            if key_only:
                if self._openssl_keys is None:
                    self._openssl_keys = OpenSSLStore([(name_key(a.subject), a) for a in self.anchors], _name_and_key)
                return self._openssl_keys
            if self._openssl is None:
                self._openssl = OpenSSLStore([(name_key(a.subject), a) for a in self.anchors], certificate_der)
            return self._openssl

    def webpki(self) -> verification.Store | None:
        """cryptography's store; None when there are no anchors (it refuses an empty one)."""
        with self._lock:
            if self._webpki is None and self.anchors:
                self._webpki = verification.Store(list(self.anchors))
            return self._webpki


@per_object(maxsize=4096)
def _issuers_in(store: TrustStore, cert: x509.Certificate) -> tuple[x509.Certificate, ...]:
    """:meth:`TrustStore.issuers_of`, remembered per store and certificate."""
    issuer = issuer_of(cert)
    return tuple(a for a in store.openssl().by_name.get(_key_of(issuer), ()) if subject_of(a) == issuer)


@per_object(maxsize=4096)
def _name_and_key(anchor: x509.Certificate) -> bytes:
    """``anchor`` as the JDK's ``TrustAnchor`` holds a certificate from a keystore: its name and
    public key (RFC 5280 6.1.1 d), nothing else - no validity period, no name constraints
    (``PKIXParameters`` builds ``TrustAnchor(cert, null)``), no other extensions.

    OpenSSL takes anchors only as certificates, so the anchor is re-made with that name, key and
    key identifier, a CA:TRUE, and a validity no clock leaves.  Its signature is made with a
    throwaway key: OpenSSL never checks a trust anchor's own signature (only with
    X509_V_FLAG_CHECK_SS_SIGNATURE, which no client sets), as the JDK never does.  A certificate
    that is no CA (the SBS certificate installed as trusted) stays whole: both the JDK and
    OpenSSL accept it by matching the server's certificate to it, not by a path through it.
    """
    try:
        constraints = anchor.extensions.get_extension_for_class(x509.BasicConstraints).value
        if not constraints.ca:
            return certificate_der(anchor)
        builder = (
            x509.CertificateBuilder()
            .subject_name(anchor.subject)
            .issuer_name(anchor.subject)
            .public_key(anchor.public_key())
            .serial_number(1)
            .not_valid_before(dt.datetime(1950, 1, 1, tzinfo=dt.timezone.utc))
            .not_valid_after(dt.datetime(9999, 12, 31, tzinfo=dt.timezone.utc))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        )
        ski = _extension(anchor, x509.SubjectKeyIdentifier)
        if ski is not None:
            builder = builder.add_extension(ski, critical=False)
        return certificate_der(builder.sign(_throwaway_key(), hashes.SHA256()))
    except (x509.ExtensionNotFound, ValueError, TypeError, UnsupportedAlgorithm):
        # no CA, or a certificate cryptography cannot read or carry over: it stays whole
        return certificate_der(anchor)


@functools.cache
def _throwaway_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


class _Chain:
    """A chain as both validators take it: parsed certificates, the DER a client receives and
    the names they carry (which anchors can matter), each computed once however many
    set-ups judge it, and once per certificate however many chains share it."""

    def __init__(self, certs: Sequence[x509.Certificate]) -> None:
        self.certs = tuple(certs)
        wire = [_wire(x) for x in self.certs]
        self.ders = tuple(w[0] for w in wire)
        self.names = tuple(n for w in wire for n in (w[1], w[2]))  # as :func:`_names` reads them
        self.twins = any(w[3] for w in wire)


@per_object(maxsize=4096)
def _wire(cert: x509.Certificate) -> tuple[bytes, str, str, bool]:
    """The certificate's DER as the server sent it, the keys of its issuer and subject names, and
    whether ``cert`` is a lenient twin.

    A lenient twin (:mod:`mailcert.certs.lenient`: a certificate cryptography refuses, kept with
    its bad SAN left out) is given to OpenSSL as the original bytes: the twin's signature does
    not verify, the original's does, and OpenSSL reads it as the clients do.
    """
    original = original_der(cert)
    der = original or certificate_der(cert)
    return der, _key_of(issuer_of(cert)), _key_of(subject_of(cert)), original is not None


def name_key(name: x509.Name) -> str:
    """A name as OpenSSL's issuer lookup compares it, loosely: attribute values lower-cased
    and white space collapsed, whatever their string type (X509_NAME_cmp compares a canonical
    encoding, so an issuer written as PrintableString finds a root whose subject is a
    UTF8String).  Looser than OpenSSL is safe: the key only picks which anchors OpenSSL sees."""
    return "/".join(f"{a.oid.dotted_string}={' '.join(str(a.value).lower().split())}" for a in name)


# :func:`name_key` once per Name object: ``der.issuer_of`` hands out one Name per encoding, so a
# new leaf's issuer key is the one made for the leaves before it
_key_of = per_object(maxsize=4096, equality=False)(name_key)


def verify_chain(
    chain: Sequence[x509.Certificate],
    store: TrustStore,
    *,
    now: dt.datetime,
    settings: ValidatorSettings = ValidatorSettings(),
    explain: bool = True,
) -> TrustResult:
    """Is ``chain`` (leaf first, as the server sent it) trusted at ``now``, by this validator?

    ``explain`` False skips OpenSSL's diagnosis of a Web PKI refusal (which certificate is
    missing): the verdict is the same, the detail is cryptography's text alone.
    """
    if not chain:
        raise ValueError("empty chain")
    if len(chain) > MAX_CHAIN:
        return TrustResult(False, TrustProblem.TOO_LONG,
                           f"the server sends {len(chain)} certificates; no client builds a path through more than {MAX_CHAIN}",
                           (_subject(chain[0]),), None, (), error="certificate chain too long")
    return _verify(_Chain(chain), store, now, settings, explain)


def _verify(c: _Chain, store: TrustStore, now: dt.datetime, settings: ValidatorSettings, explain: bool) -> TrustResult:
    """The set-up's validator on the chain; OpenSSL's for a chain holding a lenient twin.

    cryptography cannot read a twin's original bytes and the twin's signature does not verify,
    so the Web PKI validator would refuse a certificate its issuer did sign.  The clients it
    stands for read such certificates (mozilla::pkix and SecTrust parse a SAN only to match
    names; measured on the wire for OpenSSL, GnuTLS and the JDK), and their name rules decide
    what they make of the bad entry: the chain is OpenSSL's verdict on the real bytes, and the
    result says OpenSSL decided.
    """
    if settings.validator is Validator.OPENSSL or c.twins:
        try:
            return _openssl(c, store, now, settings)
        except OpenSSLUnavailable:
            pass  # no libcrypto 3 here: the Web PKI validator is the only one left
    return _webpki(c, store, now, settings, explain)


class _Relation(enum.Enum):
    """How one :class:`ValidatorSettings` field relates a set-up to one stricter in it: what a
    verdict of the stricter set-up tells about the other's (:data:`_FIELDS`)."""

    SAME = "the validator itself: set-ups share nothing unless it is the same"
    FORGIVES = "a looser value turns only some refusals into trust, on the same path: a trusted chain stays trusted"
    ANCHORS = "a looser value takes more anchors: a trusted chain stays trusted, any refusal may change, a path may end earlier"
    OWN_CHECK = "mailcert's own check on the path OpenSSL validated: it refuses more (and may forgive an OpenSSL refusal)"
    ON_REFUSAL = "forgives only what a refused chain needs (another path, a CA's EKU, the notAfter millisecond)"


class _Field(NamedTuple):
    """One field's row of :data:`_FIELDS`."""

    relation: _Relation
    looser: Callable[[Any, Any], Any] = operator.eq  # is the first value at most as strict as the second?
    forgives: Callable[[TrustResult], bool] | None = None  # FORGIVES: the refusals a looser value may turn into trust
    same_path: Callable[[TrustResult, TrustStore, Sequence[x509.Certificate]], bool] | None = None  # ANCHORS: does a trusted path stay?


def _forgives_problems(*problems: TrustProblem) -> Callable[[TrustResult], bool]:
    return lambda r: r.problem in problems


def _no_sent_anchor(result: TrustResult, store: TrustStore, chain: Sequence[x509.Certificate]) -> bool:
    """With anchors reduced to name and key, a trusted path stays the path when no certificate
    the server sent on it is in the store: the store's copy (another certificate) would take
    the place of the server's."""
    return not any(store.contains(chain[i]) for i in result.sent_path if i >= 0)


def _no_anchor_below_the_top(result: TrustResult, store: TrustStore, chain: Sequence[x509.Certificate]) -> bool:
    """With any certificate of the store an anchor, a trusted path stays the path when no
    certificate below its top is in the store (a store's intermediate, or one the server sent):
    it would end there.  (A Web PKI verdict carries no OpenSSL path: it stays.)"""
    return all(i >= 0 and not store.contains(chain[i]) for i in result.sent_path[:-1])


# AKI, SKI, a CA's keyUsage, a CA leaf: what the lenient Web PKI policies forgive (_lenient_policies)
_LENIENT_FORGIVES = ("2.5.29.35", "2.5.29.14", "2.5.29.15", "basicConstraints.cA", "keyCertSign")

# How each field relates set-ups; the only rule knowledge reuse between set-ups has.  A verdict
# is shared (_shares_verdict) and a trusted path taken (_takes_its_path) as this table allows,
# and tests/certs/test_chain_reuse.py holds both to the verdicts each set-up reaches alone.
_FIELDS: dict[str, _Field] = {
    "validator": _Field(_Relation.SAME),
    # OpenSSL's levels refuse keys and signatures only (check_auth_level, check_sig_level)
    "security_level": _Field(_Relation.FORGIVES, operator.le, _forgives_problems(TrustProblem.WEAK_KEY, TrustProblem.WEAK_SIGNATURE)),
    "max_depth": _Field(_Relation.FORGIVES, operator.ge, _forgives_problems(TrustProblem.TOO_LONG)),
    "key_ids_optional": _Field(_Relation.FORGIVES, operator.ge, lambda r: any(o in r.error for o in _LENIENT_FORGIVES)),
    "partial_chain": _Field(_Relation.ANCHORS, operator.ge, same_path=_no_anchor_below_the_top),
    # the store's anchor, reduced, keeps its name and key; the server's copy of it is no anchor then
    "anchor_key_only": _Field(_Relation.ANCHORS, operator.ge, same_path=_no_sent_anchor),
    # a purpose adds one refusal, X509_V_ERR_INVALID_PURPOSE
    "purpose": _Field(_Relation.FORGIVES, operator.le, _forgives_problems(TrustProblem.PURPOSE)),
    "cn_ip_name": _Field(_Relation.OWN_CHECK),
    "key_floor": _Field(_Relation.OWN_CHECK),
    "sha1_jdk_ca": _Field(_Relation.OWN_CHECK),
    "not_after_inclusive": _Field(_Relation.ON_REFUSAL, operator.ge),
    "anchor_must_be_ca": _Field(_Relation.OWN_CHECK),
    "empty_names_refused": _Field(_Relation.OWN_CHECK),
    "eku_leaf_only": _Field(_Relation.ON_REFUSAL, operator.ge),
    "path_search": _Field(_Relation.ON_REFUSAL, operator.ge),
}
if tuple(_FIELDS) != ValidatorSettings._fields:  # a new field must say how it relates, before any verdict is shared
    raise AssertionError(f"_FIELDS must list ValidatorSettings' fields in order: {ValidatorSettings._fields}")
_PLAIN = {name: ValidatorSettings._field_defaults[name] for name, f in _FIELDS.items()
          if f.relation in (_Relation.OWN_CHECK, _Relation.ON_REFUSAL)}


def verify_chain_for(
    chain: Sequence[x509.Certificate], store: TrustStore, *, now: dt.datetime, settings: Iterable[ValidatorSettings]
) -> dict[ValidatorSettings, TrustResult]:
    """One verdict per validator set-up, validating as few times as the set-ups allow.

    Set-ups differ only by how much they forgive, so the strictest runs first and its verdict
    stands for the more lenient ones unless it failed on exactly what they forgive: a chain
    trusted at OpenSSL's security level 2 is trusted at 1 and 0; a chain the strict Web PKI
    rules accept, or refuse for something other than AKI/SKI, gets the same verdict leniently.

    Verdicts are remembered per (chain, store, set-ups, :func:`_validity_pattern` of ``now``):
    a fleet serves one chain on many ports, and a scan judges it again at each pass.
    """
    wanted = strictest_first(settings)
    return dict(zip(wanted, verify_chain_in_order(chain, store, now=now, wanted=wanted)))


def verify_chain_in_order(
    chain: Sequence[x509.Certificate], store: TrustStore, *, now: dt.datetime, wanted: tuple[ValidatorSettings, ...]
) -> tuple[TrustResult, ...]:
    """:func:`verify_chain_for` with the set-ups already in :func:`strictest_first` order, the
    verdicts in that order: a caller judging many chains for the same clients (``judge_chains``)
    orders them once and indexes the verdicts, instead of hashing a dozen set-ups per chain."""
    if not chain or len(chain) > MAX_CHAIN:
        return tuple(verify_chain(chain, store, now=now, settings=s) for s in wanted)
    certs = tuple(chain)
    # the set-ups by identity (``strictest_first`` remembers its tuples; the entry keeps its own
    # alive, so the id is never another's), the store likewise
    key = (certs, id(store), id(wanted), _validity_pattern(certs, store, now))
    with _recent_lock:
        hit = _recent.get(key)
    if hit is not None and hit[0] is store and hit[1] is wanted:
        return hit[2]
    out = _verify_all(chain, store, now, wanted)
    with _recent_lock:
        _recent[key] = (store, wanted, out)
        while len(_recent) > 256:
            _recent.pop(next(iter(_recent)))
    return out


def strictest_first(settings: Iterable[ValidatorSettings]) -> tuple[ValidatorSettings, ...]:
    """The distinct set-ups of ``settings`` in the order :func:`verify_chain_in_order` judges
    them (the same tuple for the same set-ups while it is remembered)."""
    return _strictest_first(frozenset(settings))


@functools.lru_cache(maxsize=64)
def _strictest_first(settings: frozenset[ValidatorSettings]) -> tuple[ValidatorSettings, ...]:
    """The set-ups, each validator's strictest first by :data:`_FIELDS` (a later one can then
    take an earlier one's verdict or path)."""
    def rank(s: ValidatorSettings) -> tuple[object, ...]:
        return tuple(s.validator.name if f.relation is _Relation.SAME else
                     -getattr(s, name) if f.looser is operator.le else getattr(s, name) for name, f in _FIELDS.items())
    return tuple(sorted(settings, key=rank))


@functools.lru_cache(maxsize=64)
def _plain(s: ValidatorSettings) -> bool:
    """No check or forgiveness of mailcert's own: the set-up's verdict is its validator's alone."""
    return all(getattr(s, name) == value for name, value in _PLAIN.items())


_recent: dict[tuple[object, ...], tuple[TrustStore, tuple[ValidatorSettings, ...], tuple[TrustResult, ...]]] = {}
_recent_lock = threading.Lock()


def _validity_pattern(chain: tuple[x509.Certificate, ...], store: TrustStore, now: dt.datetime) -> tuple[int, ...]:
    """Where ``now`` falls among the validity bounds of every certificate either validator may
    put on a path for ``chain``: the time's only effect on a verdict.

    Both validators read the clock only to compare it with validity periods: OpenSSL's
    ``X509_verify_cert`` to check each certificate of the path and to prefer an issuer that is
    valid (no CRLs are given to it), cryptography's ``x509.verification`` to check each
    certificate of the path.  Two times on the same side of, or on, every bound get the same
    verdicts.  OpenSSL is given whole seconds and cryptography may drop the fraction too, so
    the position of each rounding counts; on a bound is its own position (OpenSSL calls a
    certificate expired at its notAfter, RFC 5280 does not).  A set-up whose client keeps a
    certificate valid at its notAfter to the millisecond (``not_after_inclusive``: the JDK's
    clock is in whole milliseconds) decides by ``now`` cut to the millisecond, so that
    position counts as well.
    """
    return clock_positions(_bounds(chain, store), now)


def clock_positions(bounds: Sequence[float], now: dt.datetime) -> tuple[int, ...]:
    """Where ``now`` falls among sorted validity ``bounds`` (POSIX seconds) as every validator
    set-up reads the clock: exactly, in whole seconds (OpenSSL), and cut to the millisecond (the
    JDK's ``not_after_inclusive``); before, on or after each bound.  Two times with the same
    positions get the same chain verdicts; a memory of anything judged from them keys on this."""
    t = now.timestamp()
    times = (t, int(t), math.floor(t), math.floor(t) + now.microsecond // 1000 / 1000)
    return tuple(side(bounds, x) for x in times for side in (bisect.bisect_left, bisect.bisect_right))


def _bounds(chain: tuple[x509.Certificate, ...], store: TrustStore) -> list[float]:
    """Every notBefore and notAfter (POSIX seconds, sorted) of ``chain`` and of the anchors above it."""
    return sorted({*_anchors_above(_names(chain), store).bounds, *(t for c in chain for t in _dates(c))})


def _anchors_above(names: Sequence[str], store: TrustStore) -> _Above:
    """:func:`_above` of the names an anchor has: the others find nothing in the store (a leaf's
    own subject, mostly), and left out of the key they do not make each new leaf a new key."""
    by_name = store.openssl().by_name
    return _above(tuple(n for n in names if n in by_name), store)


def _names(chain: Sequence[x509.Certificate]) -> tuple[str, ...]:
    """The name keys of each certificate's issuer and subject, in chain order (what
    :meth:`TrustStore.above` reads of a chain)."""
    return tuple(n for c in chain for n in _wire(c)[1:3])


class _Above(NamedTuple):
    """What the anchors above a chain add (:meth:`TrustStore.above`)."""

    bounds: frozenset[float]  # their notBefore and notAfter, POSIX seconds
    keys: tuple[str, ...]  # the keys of their subject names (the OpenSSL store subset must hold them)


@functools.lru_cache(maxsize=1024)
def _above(names: tuple[str, ...], store: TrustStore) -> _Above:
    """The anchors above a chain carrying ``names`` (:func:`_names`), once per names and store:
    keyed by the names, not the chain, so a never-seen leaf under a known intermediate (a new
    name key of its own subject at most) is answered from memory."""
    anchors = store.above(names)
    return _Above(frozenset(t for a in anchors for t in _dates(a)), tuple(_wire(a)[2] for a in anchors))


@per_object(maxsize=4096, equality=False)
def _dates(cert: x509.Certificate) -> tuple[float, float]:
    """``cert``'s notBefore and notAfter as POSIX seconds (by identity alone: read again, they
    cost less than hashing the certificate)."""
    return cert.not_valid_before_utc.timestamp(), cert.not_valid_after_utc.timestamp()


_PathRule = Callable[[TrustResult, TrustStore, Sequence[x509.Certificate]], bool]


def _verify_all(
    chain: Sequence[x509.Certificate], store: TrustStore, now: dt.datetime, wanted: tuple[ValidatorSettings, ...]
) -> tuple[TrustResult, ...]:
    """Each set-up's verdict, in ``wanted``'s order: a verdict shared or a path taken where
    :func:`_reuse` allows, else the set-up's validator."""
    out: list[TrustResult] = []
    judged: list[int] = []  # the set-ups whose verdicts were reached by validating, strictest first
    c: _Chain | None = None
    for i, (s, rules) in enumerate(zip(wanted, _reuse(wanted))):
        shared = next((out[j] for j in judged if _shares_verdict(rules[j], out[j], store, chain)), None)
        if shared is not None:
            out.append(shared)
            continue
        c = c or _Chain(chain)
        taken = None if _plain(s) else next((out[j] for j in judged if _takes_its_path(rules[j], out[j], store, c)), None)
        out.append(_with_own_checks(c, store, s, taken) if taken is not None else _verify(c, store, now, s, True))
        judged.append(i)
    return tuple(out)


class _Reuse(NamedTuple):
    """What one set-up may take of a stricter one's verdict (:func:`_sharing`, :func:`_path_rules`)."""

    sharing: tuple[tuple[Callable[[TrustResult], bool], ...], tuple[_PathRule, ...]] | None
    path: tuple[_PathRule, ...] | None  # None: it takes no path of the stricter one's


# wanted's id -> (wanted, _reuse's table): ``strictest_first`` hands back the same tuple for the
# same set-ups, and the entry keeps it alive, so its id stays its own
_REUSE: dict[int, tuple[tuple[ValidatorSettings, ...], tuple[tuple[_Reuse, ...], ...]]] = {}


def _reuse(wanted: tuple[ValidatorSettings, ...]) -> tuple[tuple[_Reuse, ...], ...]:
    """For each set-up of ``wanted``, what it may take of each set-up before it: worked out once
    per ``wanted``, not per chain (a set-up hashes a dozen fields)."""
    hit = _REUSE.get(id(wanted))
    if hit is not None and hit[0] is wanted:
        return hit[1]
    table = tuple(tuple(_Reuse(_sharing(p, s), None if _plain(s) else _path_rules(p, s)) for p in wanted[:i])
                  for i, s in enumerate(wanted))
    if len(_REUSE) >= 64:
        _REUSE.clear()
    _REUSE[id(wanted)] = (wanted, table)
    return table


def _shares_verdict(rules: _Reuse, result: TrustResult, store: TrustStore, chain: Sequence[x509.Certificate]) -> bool:
    """Is ``result``, a stricter set-up's verdict, this one's too (``rules``: what it may take)?"""
    if rules.sharing is None:
        return False
    forgivers, same_path = rules.sharing
    if result.trusted:
        return all(p(result, store, chain) for p in same_path)
    return not any(f(result) for f in forgivers)


def _always(_: TrustResult) -> bool:
    return True


@functools.lru_cache(maxsize=256)
def _sharing(stricter: ValidatorSettings, s: ValidatorSettings) -> tuple[tuple[Callable[[TrustResult], bool], ...], tuple[_PathRule, ...]] | None:
    """Field by field (:data:`_FIELDS`): None when ``s`` is stricter in a field, or differs in
    one that shares nothing (the validator, an own check), so it may refuse what ``stricter``
    takes; else the refusals of ``stricter`` its looser fields may turn, and what must hold of a
    trusted path for it to stay ``s``'s path."""
    forgivers: list[Callable[[TrustResult], bool]] = []
    same_path: list[_PathRule] = []
    for name, f in _FIELDS.items():
        mine, theirs = getattr(s, name), getattr(stricter, name)
        if mine == theirs:
            continue
        if f.relation in (_Relation.SAME, _Relation.OWN_CHECK) or not f.looser(mine, theirs):
            return None
        forgivers.append(f.forgives or _always)  # more anchors, or forgiveness on refusal: any refusal may change
        if f.same_path is not None:
            same_path.append(f.same_path)
    return tuple(forgivers), tuple(same_path)


def _takes_its_path(rules: _Reuse, result: TrustResult, store: TrustStore, c: _Chain) -> bool:
    """Does this set-up trust the path a stricter one validated (``result``), and need only its
    own checks on it?

    The stricter one must be plain (its verdict is OpenSSL's alone) and have trusted the chain;
    this one must be no stricter in any other field, and the path must stay the path where it
    takes more anchors (:data:`_FIELDS`, :func:`_path_rules`).  Its own checks then run on that
    path: they refuse, or forgive only what a refused chain needs.  The JDK rows cost no second
    X509_verify_cert on a trusted chain.
    """
    if rules.path is None or not (result.trusted and result.sent_path):
        return False
    return all(p(result, store, c.certs) for p in rules.path)


@functools.lru_cache(maxsize=256)
def _path_rules(stricter: ValidatorSettings, s: ValidatorSettings) -> tuple[_PathRule, ...] | None:
    """None when ``s`` cannot take a path ``stricter`` trusted; else what must hold of that path."""
    if stricter.validator is not Validator.OPENSSL or not _plain(stricter):
        return None
    rules: list[_PathRule] = []
    for name, f in _FIELDS.items():
        mine, theirs = getattr(s, name), getattr(stricter, name)
        if mine == theirs or f.relation in (_Relation.OWN_CHECK, _Relation.ON_REFUSAL):
            continue
        if f.relation is _Relation.SAME or not f.looser(mine, theirs):
            return None
        if f.same_path is not None:
            rules.append(f.same_path)
    return tuple(rules)


def _openssl(c: _Chain, store: TrustStore, now: dt.datetime, settings: ValidatorSettings) -> TrustResult:
    early = _before_any_path(c, store, settings)
    if early is not None:
        return early
    v = _openssl_verdict(c, store, now, settings, _cn_ip(c, settings))
    sent_used = {i for i in v.path if i >= 0}
    path = [c.certs[i] for i in v.path if i >= 0] or [c.certs[0]]
    extra = tuple(_subject(x) for i, x in enumerate(c.certs) if i and i not in sent_used)
    subjects = tuple(_subject(x) for x in path)
    if not v.ok:
        return _openssl_refusal(v, c, path, subjects, extra, store)
    top = c.certs[v.path[-1]] if v.path and v.path[-1] >= 0 else None
    anchor = _subject(top) if top is not None else _anchor_of(path[-1], store)
    if top is not None and len(v.path) == 1:
        detail = "the certificate itself is in the trust store"
    else:
        detail = f"chains to {anchor} ({store.description})"
    trusted = TrustResult(True, TrustProblem.NONE, detail, subjects, anchor, extra, validator=Validator.OPENSSL, sent_path=v.path)
    return _with_own_checks(c, store, settings, trusted, checked_before=True)


def _cn_ip(c: _Chain, settings: ValidatorSettings) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The leaf's CN as an IP name, for a set-up that reads it so (the JDK), else None."""
    return jdk_ip_literal(_last_cn(c.certs[0])) if settings.cn_ip_name else None


def _with_own_checks(c: _Chain, store: TrustStore, settings: ValidatorSettings, trusted: TrustResult, *,
                     checked_before: bool = False) -> TrustResult:
    """A path OpenSSL trusted, judged by the set-up's own checks: refused, or trusted with the
    names the validator added to the leaf."""
    early = None if checked_before else _before_any_path(c, store, settings)
    if early is not None:
        return early
    path = [c.certs[i] for i in trusted.sent_path if i >= 0] or [c.certs[0]]
    checked = _checks_on_the_path(c, store, settings, trusted.sent_path, path, _cn_ip(c, settings))
    if isinstance(checked, _OwnRefusal):
        return TrustResult(False, checked.problem, checked.reason, trusted.path, None, trusted.extra_sent, error=checked.error)
    return trusted._replace(added_names=checked) if checked else trusted


def _before_any_path(c: _Chain, store: TrustStore, settings: ValidatorSettings) -> TrustResult | None:
    """What the JDK decides before it builds a path: a server certificate it trusts is taken as
    it is (PKIXValidator.engineValidate), one its CertificateFactory cannot read fails."""
    if settings.anchor_key_only and store.contains(c.certs[0]):
        # the anchors reduced to name and key would not show it whole; and the JDK returns it
        # before any check: Validator.validate runs no EndEntityChecker on a chain of one
        return TrustResult(True, TrustProblem.NONE, "the certificate itself is in the trust store", (_subject(c.certs[0]),),
                           _subject(c.certs[0]), tuple(_subject(x) for x in c.certs[1:]), validator=Validator.OPENSSL, as_is=True)
    unreadable = next(((x, why) for x in c.certs if (why := _empty_names(x))), None) if settings.empty_names_refused else None
    if unreadable is not None:
        return TrustResult(False, TrustProblem.UNREADABLE, f"{_subject(unreadable[0])}: {unreadable[1]}",
                           (_subject(c.certs[0]),), None, (), error=unreadable[1])
    return None


def _openssl_verdict(c: _Chain, store: TrustStore, now: dt.datetime, settings: ValidatorSettings,
                     cn_ip: ipaddress.IPv4Address | ipaddress.IPv6Address | None) -> OpenSSLVerdict:
    """OpenSSL's verdict on the chain, set up as ``settings`` say; its path in indexes of the sent chain."""
    anchors = store.openssl(key_only=settings.anchor_key_only)
    # the anchors above the chain's own names too: a cross-signed anchor's issuer is looked up
    # in the store by a name no certificate of the chain carries
    names = [*c.names, *_anchors_above(c.names, store).keys]

    # OpenSSL is given now's whole second and expires a certificate at its notAfter; the JDK
    # (CertificateValidity.valid: notAfter.before(now), both in milliseconds) only after it.
    # They differ only when now, in whole milliseconds, is that very second: then OpenSSL
    # forgives the expiry of a certificate ending at it.  (With a fraction the second OpenSSL
    # is given is the notAfter at most, which the JDK's now is already past.)
    at_not_after = settings.not_after_inclusive and now.microsecond < 1000

    def attempt(sent: Sequence[int]) -> OpenSSLVerdict:
        v = openssl_verify([c.ders[i] for i in sent], names, anchors, now=now, security_level=settings.security_level,
                           max_depth=settings.max_depth, partial_chain=store.any_anchor or settings.partial_chain,
                           purpose=settings.purpose, cn_constrained=cn_ip is None,
                           ca_purpose=not settings.eku_leaf_only, valid_at_not_after=at_not_after)
        return v._replace(path=tuple(sent[i] if i >= 0 else -1 for i in v.path))

    v = attempt(range(len(c.ders)))
    if not v.ok and settings.path_search:
        # OpenSSL's builder takes the first issuer that fits and does not come back; the JDK's
        # tries the others: each other path through the sent certificates gets OpenSSL alone
        tried = tuple(i for i in v.path if i >= 0)
        for sent in _paths_through(c, frozenset(anchors.by_name)):
            if sent != tried:
                other = attempt(sent)
                if other.ok:
                    return other
    return v


class _OwnRefusal(NamedTuple):
    """A refusal by one of a set-up's own checks on the path OpenSSL validated."""

    problem: TrustProblem
    reason: str
    error: str  # the client's own text


def _checks_on_the_path(
    c: _Chain, store: TrustStore, settings: ValidatorSettings, indexes: Sequence[int], path: Sequence[x509.Certificate],
    cn_ip: ipaddress.IPv4Address | ipaddress.IPv6Address | None,
) -> _OwnRefusal | tuple[tuple[str, str], ...]:
    """The set-up's own checks on the path OpenSSL validated: a refusal, or the SAN entries the
    validator adds to the leaf."""
    above = (_anchor_above(path, store) if (settings.anchor_must_be_ca or settings.key_floor or settings.sha1_jdk_ca)
             and indexes[-1] < 0 else None)
    not_ca = _not_a_ca(above) if settings.anchor_must_be_ca and above is not None else None
    if above is not None and not_ca is not None:
        return _OwnRefusal(TrustProblem.INVALID, f"the trust anchor {_subject(above)} {not_ca}",
                           f'TrustAnchor with subject "{_subject(above)}" {not_ca}')
    weak = _small_key([*path, *filter(None, [above])], settings.key_floor) if settings.key_floor else None
    if weak is not None:
        cert, algorithm, bits, need = weak
        # the anchor's key is only used to check the signature below it: AlgorithmChecker names that signature
        said = (f"signature algorithm: {jdk_signature_name(path[-1])}" if cert is above
                else f"keysize limits: {algorithm} {bits} bit key used with certificate: {jdk_name(cert.subject)}")
        return _OwnRefusal(TrustProblem.WEAK_KEY, f"{_subject(cert)}: an {algorithm} key of {bits} bits; this client needs at least"
                           f" {need}", f"Algorithm constraints check failed on {said}")
    # the anchor's own signature is never checked: it ends the path (the top sent certificate,
    # when the path ends there, is the anchor)
    # (the anchor's certificate, whole: the JDK counts it as its own by its fingerprint)
    anchor = above if indexes[-1] < 0 else path[-1]
    jdk_ca = settings.sha1_jdk_ca and store.jdk_ca and anchor is not None and store.is_jdk_ca(anchor)
    sha1 = _sha1_signed(path if indexes[-1] < 0 else path[:-1]) if jdk_ca else None
    if sha1 is not None and anchor is not None:
        return _OwnRefusal(TrustProblem.WEAK_SIGNATURE, f"{_subject(sha1)}: signed with SHA-1, which this client refuses below"
                           f" {_subject(anchor)}, a root it ships itself ({store.description})",
                           f"Usage constraint TLSServer check failed: SHA1 used with certificate: {jdk_name(sha1.subject)}")
    if cn_ip is None:
        return ()
    # the CAs the server sent on the path (the JDK's anchor is only a name and a key)
    cas = [c.certs[i] for i in indexes[1:] if i > 0]
    constraints = [(x, nc) for x in cas for nc in (_extension(x, x509.NameConstraints),) if nc is not None]
    refused = _cn_ip_refusal(c.certs[0], cn_ip, constraints)
    if refused is not None:
        return _OwnRefusal(TrustProblem.NAME_CONSTRAINT, refused, "name constraints check failed")
    return _cn_ip_added(c.certs[0], cn_ip) if constraints else ()


def _openssl_refusal(v: OpenSSLVerdict, c: _Chain, path: Sequence[x509.Certificate], subjects: tuple[str, ...],
                     extra: tuple[str, ...], store: TrustStore) -> TrustResult:
    """OpenSSL's refusal in an administrator's terms: which certificate, what is missing, where to fetch it."""
    problem = _OPENSSL_PROBLEMS.get(v.error, TrustProblem.INVALID if v.error >= 0 else TrustProblem.UNREADABLE)
    from_store = _from_store(c, store, v.path, v.depth)
    at = from_store or path[min(max(v.depth, 0), len(path) - 1)]
    # a certificate of the store is named as such (the server's copy of an anchor too): the
    # administrator cannot fix it on the server
    if v.depth == len(v.path) - 1 and (from_store is not None or store.contains(at)):
        which = f"the trust anchor {_subject(at)} ({store.description})"
    else:
        which = _subject(at) if from_store is None else f"{_subject(at)} (from the {store.description})"
    missing = aia = None
    if problem is TrustProblem.MISSING_INTERMEDIATE:
        top = path[-1]
        missing = top.issuer.rfc4514_string()
        aia = _ca_issuers(top)
        detail = (f"no certificate for the issuer {missing} of {_subject(top)}:"
                  f" the server does not send it and the {store.description} does not have it")
        if aia:
            detail += f" (it can be fetched from {aia})"
    elif problem is TrustProblem.SELF_SIGNED_LEAF:
        detail = f"self-signed and not in the {store.description}"
    elif problem is TrustProblem.UNTRUSTED_ROOT:
        detail = f"the root {_subject(path[-1])} is not in the {store.description}"
    elif problem is TrustProblem.EXPIRED:
        if v.depth > 0:
            problem = TrustProblem.ISSUER_EXPIRED
        detail = f"{which} is valid only from {at.not_valid_before_utc:%Y-%m-%d} to {at.not_valid_after_utc:%Y-%m-%d}"
    else:
        detail = f"{which}: {v.text}"
    return TrustResult(False, problem, detail, tuple(subjects), None, extra, error=v.text, missing_issuer=missing, aia_url=aia,
                       validator=Validator.OPENSSL)


def _from_store(c: _Chain, store: TrustStore, indexes: Sequence[int], depth: int) -> x509.Certificate | None:
    """The certificate at ``depth`` of OpenSSL's path when the trust store gave it (an anchor,
    or a CA it holds above one), else None: each store certificate is the one of the store
    that signed the certificate below it."""
    if not 0 <= depth < len(indexes) or indexes[depth] >= 0:
        return None
    below: x509.Certificate | None = None
    for i in indexes[:depth + 1]:
        if i >= 0:
            below = c.certs[i]
        elif below is not None:
            below = next((a for a in store.issuers_of(below) if _signed(below, a)), None)
    return below


_MAX_PATHS = 16  # paths tried after a refusal (bettertls' path-building graphs have fewer)
_MAX_PATH_DEPTH = 8


def _paths_through(c: _Chain, anchor_names: frozenset[str]) -> list[tuple[int, ...]]:
    """Each path (indexes into the sent chain, leaf first) from the leaf up through the sent
    certificates, by names, to one whose issuer an anchor names; depth-first, no certificate
    twice, at most :data:`_MAX_PATHS` of at most :data:`_MAX_PATH_DEPTH` certificates.

    Names only: the validator checks the signatures of the path it is given.
    """
    found: list[tuple[int, ...]] = []

    def walk(sent: tuple[int, ...]) -> None:
        issuer = c.names[2 * sent[-1]]
        if issuer in anchor_names:
            found.append(sent)
        for i in range(1, len(c.certs)):
            if len(found) >= _MAX_PATHS or len(sent) >= _MAX_PATH_DEPTH:
                return
            if i not in sent and c.names[2 * i + 1] == issuer:
                walk((*sent, i))

    walk((0,))
    return found


def _anchor_above(path: Sequence[x509.Certificate], store: TrustStore) -> x509.Certificate | None:
    """The trust anchor (as the store holds it, whole) that signed the top of ``path``."""
    return next((a for a in store.issuers_of(path[-1]) if _signed(path[-1], a)), None) if path else None


@per_object(maxsize=1024)
def _not_a_ca(anchor: x509.Certificate) -> str | None:
    """Why the JDK refuses ``anchor`` as the anchor of a path (PKIXValidator.verifyTrustAnchor:
    a v3 certificate must be a CA, with keyCertSign when it has a keyUsage), or None."""
    try:
        if anchor.version is not x509.Version.v3 or not anchor.extensions:
            return None if anchor.version is not x509.Version.v3 else "is not a CA certificate"
    except ValueError:  # extensions cryptography cannot read: the JDK reads them, and judges
        return None
    constraints = _extension(anchor, x509.BasicConstraints)
    if constraints is None or not constraints.ca:
        return "is not a CA certificate"
    usage = _extension(anchor, x509.KeyUsage)
    if usage is not None and not usage.key_cert_sign:
        return "does not have keyCertSign bit set in KeyUsage extension"
    return None


def _empty_names(cert: x509.Certificate) -> str | None:
    """Why the JDK's CertificateFactory refuses ``cert`` for its names (X509CertInfo), or None."""
    if not issuer_of(cert).rdns:
        return "Empty issuer DN not allowed in X509Certificates"
    if not subject_of(cert).rdns:
        try:
            critical = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).critical
        except (x509.ExtensionNotFound, x509.DuplicateExtension, ValueError):
            critical = False
        if not critical:
            return "SubjectAlternativeName extension MUST be marked critical when subject field is empty"
    return None


def _small_key(path: Sequence[x509.Certificate], floor: Sequence[tuple[str, int]]) -> tuple[x509.Certificate, str, int, int] | None:
    """The first certificate of ``path`` (leaf first, the anchor last) whose key is under its
    algorithm's floor, with the algorithm, the key's size and the floor.

    The JDK's AlgorithmChecker holds every certificate's key to jdk.certpath.disabledAlgorithms
    (``RSA keySize < 1024, DSA keySize < 1024, EC keySize < 224``), and the trust anchor's key
    too (it is the key the certificate below it is checked with); OpenSSL at security level 0
    checks no key sizes.
    """
    need = dict(floor)
    for cert in path:
        sized = _key_size(cert)
        if sized is not None and sized[1] < need.get(sized[0], 0):
            return cert, sized[0], sized[1], need[sized[0]]
    return None


@per_object(maxsize=1024)
def _key_size(cert: x509.Certificate) -> tuple[str, int] | None:
    """The certificate's key algorithm as the JDK names it (``RSA``, ``DSA``, ``EC``) and its size
    as ``KeyUtil.getKeySize`` counts it (modulus, prime p, curve order bits); None for others."""
    try:
        key = public_key_of(cert)
    except (ValueError, UnsupportedAlgorithm):
        return None
    if isinstance(key, rsa.RSAPublicKey):
        return "RSA", key.key_size
    if isinstance(key, dsa.DSAPublicKey):
        return "DSA", key.key_size
    if isinstance(key, ec.EllipticCurvePublicKey):
        return "EC", key.curve.key_size
    return None


def _sha1_signed(certs: Sequence[x509.Certificate]) -> x509.Certificate | None:
    """The first of ``certs`` whose signature uses SHA-1 (``SHA1withRSA``, ``SHA1withECDSA``,
    ``SHA1withDSA``: the JDK's AlgorithmDecomposer finds ``SHA1`` in each), or None."""
    return next((cert for cert in certs if _sha1(cert)), None)


@per_object(maxsize=1024, equality=False)
def _sha1(cert: x509.Certificate) -> bool:
    try:
        return isinstance(cert.signature_hash_algorithm, hashes.SHA1)
    except UnsupportedAlgorithm:
        return False


def _last_cn(cert: x509.Certificate) -> str:
    """The subject's most specific (last) CN, as the JDK's X500Name.findMostSpecificAttribute picks it."""
    try:
        cns = subject_of(cert).get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    except ValueError:
        return ""
    value = cns[-1].value if cns else ""
    return value if isinstance(value, str) else ""


def jdk_ip_literal(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """``text`` as an IP address when the JDK's ``IPAddressUtil.isIPv4LiteralAddress`` or
    ``isIPv6LiteralAddress`` takes it (and ``IPAddressName`` can hold it), else None.

    IPv4 as the JDK reads it (``textToNumericFormatV4``): one to four decimal parts, the last
    filling the bytes left (``127.1`` is 127.0.0.1, ``1234`` is 0.0.4.210), no hex or octal;
    measured with OpenJDK 17.  A scoped IPv6 address (``%eth0``) is no ``IPAddressName``.
    """
    parts = text.split(".")
    if 1 <= len(parts) <= 4 and all(p.isascii() and p.isdigit() for p in parts):
        values = [int(p) for p in parts]
        room = 256 ** (5 - len(parts))
        if any(v > 255 for v in values[:-1]) or values[-1] >= room:
            return None
        number = 0
        for v in values[:-1]:
            number = number * 256 + v
        return ipaddress.IPv4Address(number * room + values[-1])
    if ":" not in text or "%" in text:
        return None
    try:
        return ipaddress.IPv6Address(text)
    except ValueError:
        return None


def _san_ips(leaf: x509.Certificate) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address | ipaddress.IPv4Network | ipaddress.IPv6Network] | None:
    """The leaf's iPAddress SAN entries; None when it has no (readable) SAN extension."""
    san = _extension(leaf, x509.SubjectAlternativeName)
    return None if san is None else san.get_values_for_type(x509.IPAddress)


def _cn_ip_refusal(
    leaf: x509.Certificate,
    ip: ipaddress.IPv4Address | ipaddress.IPv6Address,
    constraints: Sequence[tuple[x509.Certificate, x509.NameConstraints]],
) -> str | None:
    """Why the JDK refuses a leaf whose IP-literal CN breaks a CA's iPAddress constraints, or None.

    ``NameConstraintsExtension.verify(X509Certificate)`` (OpenJDK 17) adds the most specific
    CN to the names it checks, as an ``IPAddressName`` when it is an IP literal and the SAN
    holds no iPAddress; an IP name is inside a permitted subtree of the same address length
    (``IPAddressName.constrains``).  Each CA's constraints are checked in turn: a permitted
    subtree must hold the name at every level (their intersection), an excluded one anywhere
    excludes it (their union).
    """
    if _san_ips(leaf):
        return None

    def holds(subtrees: Sequence[x509.GeneralName] | None) -> list[bool]:
        return [n.version == ip.version and ip in n for s in subtrees or () if isinstance(s, x509.IPAddress)
                for n in (s.value,) if isinstance(n, (ipaddress.IPv4Network, ipaddress.IPv6Network))]

    for ca, nc in constraints:
        permitted = holds(nc.permitted_subtrees)
        excluded = any(holds(nc.excluded_subtrees))
        if excluded or (permitted and not any(permitted)):
            why = "excluded" if excluded else "not permitted"
            return f"{_subject(leaf)}: its subject CN {ip} counts as an IP address, {why} by the name constraints of {_subject(ca)}"
    return None


def _cn_ip_added(leaf: x509.Certificate, ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> tuple[tuple[str, str], ...]:
    """The SAN entry the JDK's name-constraint check appends to the leaf it checked.

    ``NameConstraintsExtension.verify`` adds the IP-literal CN to the very ``GeneralNames`` of
    the certificate's SAN extension (not a copy) when the SAN holds no iPAddress, and the host
    name check that follows (``HostnameChecker.matchIP``) reads that SAN: the CN's address is
    then accepted as a SAN iPAddress.  Without a SAN extension nothing is added.
    """
    ips = _san_ips(leaf)
    return (("IP", ip.compressed),) if ips is not None and not ips else ()


def _webpki(c: _Chain, store: TrustStore, now: dt.datetime, settings: ValidatorSettings, explain: bool) -> TrustResult:
    """cryptography's verdict; a refusal explained by OpenSSL's diagnosis where OpenSSL refuses too."""
    outcome = _webpki_verify(c, store, now, settings)
    if not isinstance(outcome, str):
        path = tuple(_subject(x) for x in outcome)
        anchor = path[-1]
        detail = "the certificate itself is in the trust store" if len(path) == 1 else f"chains to {anchor} ({store.description})"
        # cryptography hands back the objects it was given: compared by identity, then (a list's
        # ``in``) by equality, never hashed (hashing a certificate walks its fields)
        used = {id(x) for x in outcome}
        extra = tuple(_subject(x) for x in c.certs[1:] if id(x) not in used and x not in outcome)
        return TrustResult(True, TrustProblem.NONE, detail, path, anchor, extra, validator=Validator.WEBPKI)
    error = outcome
    diagnosis: TrustResult | None = None
    if explain:
        try:
            diagnosis = _openssl(c, store, now, settings)
        except OpenSSLUnavailable:
            pass
    if diagnosis is not None and not diagnosis.trusted:
        return TrustResult(False, diagnosis.problem, diagnosis.detail, diagnosis.path, None, diagnosis.extra_sent,
                           error=error, missing_issuer=diagnosis.missing_issuer, aia_url=diagnosis.aia_url,
                           validator=Validator.WEBPKI)
    problem = next((p for needle, p in _WEBPKI_PROBLEMS if needle in error), TrustProblem.INVALID)
    extra = diagnosis.extra_sent if diagnosis is not None else ()
    path = diagnosis.path if diagnosis is not None else (_subject(c.certs[0]),)
    return TrustResult(False, problem, f"the Web PKI rules refuse the chain: {_short(error)}", path, None, extra,
                       error=error, validator=Validator.WEBPKI)


def _webpki_verify(c: _Chain, store: TrustStore, now: dt.datetime, settings: ValidatorSettings) -> list[x509.Certificate] | str:
    """The path cryptography built, or its error text.

    The server verifier insists on checking a name; names are the profile's business, so it is
    given one the leaf presents (the first SAN entry it can read), and a leaf without one is
    judged by the name rules alone, which refuse it in every profile using this validator.
    """
    anchors = store.webpki()
    if anchors is None:
        return f"no trust anchors in the {store.description}"
    if store.contains(c.certs[0]):
        return [c.certs[0]]  # the certificate itself is a trust anchor: pinned by whoever installed it
    subject = _presented_subject(c.certs[0])
    if subject is None:
        return "leaf certificate has no subjectAltName entry to validate the chain for"
    builder = verification.PolicyBuilder().store(anchors).time(now).max_chain_depth(min(settings.max_depth, 255))
    if settings.key_ids_optional:
        ca_policy, ee_policy = _lenient_policies()
        builder = builder.extension_policies(ca_policy=ca_policy, ee_policy=ee_policy)
    try:
        return builder.build_server_verifier(subject).verify(c.certs[0], list(c.certs[1:]))
    except verification.VerificationError as exc:
        return str(exc)
    except ValueError as exc:  # a certificate the Rust parser refuses as it reads an extension
        return f"ASN.1 parsing error: {exc}"


@functools.cache
def _lenient_policies() -> tuple[verification.ExtensionPolicy, verification.ExtensionPolicy]:
    """Web PKI extension policies with AKI/SKI optional and a CA certificate allowed as leaf
    (whether the client refuses one is its own rule: ``ChainPolicy.ca_leaf_refused``)."""
    agnostic = verification.Criticality.AGNOSTIC
    ca = (
        verification.ExtensionPolicy.webpki_defaults_ca()
        .may_be_present(x509.AuthorityKeyIdentifier, agnostic, None)
        .may_be_present(x509.SubjectKeyIdentifier, agnostic, None)
        .may_be_present(x509.KeyUsage, agnostic, None)  # `openssl req -x509` makes CAs without it
    )
    ee = (
        verification.ExtensionPolicy.webpki_defaults_ee()
        .may_be_present(x509.AuthorityKeyIdentifier, agnostic, None)
        .may_be_present(x509.BasicConstraints, agnostic, None)
        .may_be_present(x509.KeyUsage, agnostic, None)
    )
    return ca, ee


def _presented_subject(leaf: x509.Certificate) -> verification.Subject | None:
    san = _extension(leaf, x509.SubjectAlternativeName)
    for entry in san or ():
        if isinstance(entry, x509.IPAddress) and not isinstance(entry.value, (ipaddress.IPv4Network, ipaddress.IPv6Network)):
            return entry
        if isinstance(entry, x509.DNSName):
            name = entry.value
            if name.startswith("*."):
                name = "wildcard-probe" + name[1:]
            try:
                return x509.DNSName(name)
            except ValueError:
                continue
    return None


def _ca_issuers(cert: x509.Certificate) -> str | None:
    aia = _extension(cert, x509.AuthorityInformationAccess)
    for d in aia or ():
        if d.access_method == AuthorityInformationAccessOID.CA_ISSUERS and isinstance(d.access_location, x509.UniformResourceIdentifier):
            return d.access_location.value
    return None


_E = TypeVar("_E", bound=x509.ExtensionType)


def _extension(cert: x509.Certificate, kind: type[_E]) -> _E | None:
    """An extension's value; None when absent or unreadable (duplicated, malformed): the
    validators judge such certificates, this module only reads what it can for the diagnosis."""
    try:
        return cert.extensions.get_extension_for_class(kind).value
    except (x509.ExtensionNotFound, x509.DuplicateExtension, ValueError):
        return None


def _anchor_of(top: x509.Certificate, store: TrustStore) -> str:
    found = store.issuers_of(top)
    return _subject(found[0]) if found else top.issuer.rfc4514_string()


def _short(error: str) -> str:
    """cryptography's message without the repr of the certificate it was processing."""
    text = error.removeprefix("validation failed: ").split(" (encountered processing")[0]
    return text[:300]


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

    Not a validator (no trust store, no rules): ``cert import`` uses it to write fullchain.pem
    in the order servers must send, and then judges trust with :func:`verify_chain`.
    """
    links: list[x509.Certificate] = []
    used: list[x509.Certificate] = []
    root: x509.Certificate | None = None
    current = leaf
    for _ in range(MAX_CHAIN):
        if _self_signed(current):
            break
        issuer = next((c for c in pool if c not in used and c.subject == current.issuer and _signed(current, c)), None)
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


@per_object(maxsize=1024)
def _signed(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    """:func:`~mailcert.certs.info.signed_by`, remembered per pair of certificate objects."""
    return signed_by(cert, issuer)


# the JDK's standard names of signature algorithms (AlgorithmId), by cryptography's OIDs
_JDK_SIGNATURES = {
    x509.SignatureAlgorithmOID.RSA_WITH_MD5: "MD5withRSA",
    x509.SignatureAlgorithmOID.RSA_WITH_SHA1: "SHA1withRSA",
    x509.SignatureAlgorithmOID.RSA_WITH_SHA224: "SHA224withRSA",
    x509.SignatureAlgorithmOID.RSA_WITH_SHA256: "SHA256withRSA",
    x509.SignatureAlgorithmOID.RSA_WITH_SHA384: "SHA384withRSA",
    x509.SignatureAlgorithmOID.RSA_WITH_SHA512: "SHA512withRSA",
    x509.SignatureAlgorithmOID.RSASSA_PSS: "RSASSA-PSS",
    x509.SignatureAlgorithmOID.ECDSA_WITH_SHA1: "SHA1withECDSA",
    x509.SignatureAlgorithmOID.ECDSA_WITH_SHA224: "SHA224withECDSA",
    x509.SignatureAlgorithmOID.ECDSA_WITH_SHA256: "SHA256withECDSA",
    x509.SignatureAlgorithmOID.ECDSA_WITH_SHA384: "SHA384withECDSA",
    x509.SignatureAlgorithmOID.ECDSA_WITH_SHA512: "SHA512withECDSA",
    x509.SignatureAlgorithmOID.DSA_WITH_SHA1: "SHA1withDSA",
    x509.SignatureAlgorithmOID.DSA_WITH_SHA224: "SHA224withDSA",
    x509.SignatureAlgorithmOID.DSA_WITH_SHA256: "SHA256withDSA",
    x509.SignatureAlgorithmOID.ED25519: "Ed25519",
    x509.SignatureAlgorithmOID.ED448: "Ed448",
}


def jdk_signature_name(cert: x509.Certificate) -> str:
    """The name the JDK gives ``cert``'s signature algorithm (``SHA256withRSA``), else its OID."""
    oid = cert.signature_algorithm_oid
    return _JDK_SIGNATURES.get(oid, oid.dotted_string)


def jdk_name(name: x509.Name) -> str:
    """``name`` as the JDK writes it in its messages (X500Principal.toString: the most specific
    RDN first, ``", "`` between them)."""
    return ", ".join(rdn.rfc4514_string() for rdn in reversed(name.rdns))


@per_object(maxsize=1024)
def _subject(cert: x509.Certificate) -> str:
    return subject_text(cert) or "(empty subject)"
