"""The chain corpus: whole chains mail servers really serve, each with its trust anchors, the
name a client types, and the leaf's private key (so a real server can serve it).

Where x509-limbo (tests/vectors/x509-limbo) probes RFC 5280 corner by corner without keys,
these are the situations an administrator meets - the SBS self-signed certificate, a missing
intermediate, a cross-signed root with an expired cross-sign beside it, a clientAuth-only EKU,
826- and 399-day validity, SHA-1, RSA-1024, a name-constrained private CA, a CA:TRUE leaf, a
pathLen violation, an unknown critical extension - and because every key is here, the real
clients can be asked over a real handshake, not only through their validator's API.

Determinism: EC keys are derived from fixed scalars, RSA keys from primes drawn from a seeded
generator, ECDSA signatures are RFC 6979 and RSA PKCS#1 v1.5 ones deterministic, serials are
hashes of the certificate's label, and validity is anchored to the start of the UTC day of
``now``: two calls on one day give byte-identical DER.  Validity is relative to ``now``
because a handshake validates at the real clock.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final, Union

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID

from tests.factory import Node, chain_cert

__all__ = ["ChainCase", "NAME", "generate"]

NAME: Final = "mail.example.com"

Key = Union[ec.EllipticCurvePrivateKey, rsa.RSAPrivateKey]


@dataclass(frozen=True)
class ChainCase:
    """One chain as a server sends it (leaf first, DER), the anchors a client trusts, the
    name it types, and the leaf's PKCS#8 key (PEM) for a server that serves it."""

    id: str
    chain: tuple[bytes, ...]
    roots: tuple[bytes, ...]
    name: str
    key_pem: bytes
    what: str


def _scalar(label: str) -> int:
    return int.from_bytes(hashlib.sha256(f"mailcert chain corpus {label}".encode()).digest(), "big") >> 8


@functools.lru_cache(maxsize=None)
def _ec(label: str) -> ec.EllipticCurvePrivateKey:
    return ec.derive_private_key(_scalar(label), ec.SECP256R1())


_SMALL_PRIMES: Final = tuple(p for p in range(3, 2000, 2) if all(p % d for d in range(3, int(p**0.5) + 1, 2)))


def _probable_prime(n: int, rng: random.Random) -> bool:
    if any(n % p == 0 for p in _SMALL_PRIMES):
        return n in _SMALL_PRIMES
    d, s = n - 1, 0
    while d % 2 == 0:
        d, s = d // 2, s + 1
    for _ in range(24):
        x = pow(rng.randrange(2, n - 1), d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True


@functools.lru_cache(maxsize=None)
def _rsa(label: str, bits: int) -> rsa.RSAPrivateKey:
    """An RSA key from primes drawn by a generator seeded with ``label``.

    cryptography generates RSA keys from the OS's randomness only; a corpus whose DER must
    not change between runs needs its keys derived, as the EC ones are (Miller-Rabin, 24 rounds).
    """
    rng = random.Random(_scalar(label))
    e = 65537

    def prime() -> int:
        while True:
            p = rng.getrandbits(bits // 2) | (3 << (bits // 2 - 2)) | 1
            if (p - 1) % e and _probable_prime(p, rng):
                return p

    p, q = prime(), prime()
    d = pow(e, -1, (p - 1) * (q - 1))
    numbers = rsa.RSAPrivateNumbers(p, q, d, rsa.rsa_crt_dmp1(d, p), rsa.rsa_crt_dmq1(d, q), rsa.rsa_crt_iqmp(p, q),
                                    rsa.RSAPublicNumbers(e, p * q))
    return numbers.private_key()


def _day(now: dt.datetime) -> dt.datetime:
    return now.astimezone(dt.timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)


def _make(
    label: str,
    cn: str,
    day: dt.datetime,
    issuer: Node | None = None,
    *,
    key: Key | None = None,
    days: tuple[int, int] = (-10, 300),
    **contents: Any,
) -> Node:
    """A corpus certificate (:func:`tests.factory.chain_cert`): its key (unless given) and serial
    derived from ``label``, its validity ``days`` around ``day``."""
    return chain_cert(
        cn, issuer, key=key if key is not None else _ec(label),
        not_before=day + dt.timedelta(days=days[0]), not_after=day + dt.timedelta(days=days[1]),
        serial=int.from_bytes(hashlib.sha256(label.encode()).digest()[:16], "big") >> 1 | 1,
        organization="mailcert chain corpus", **contents,
    )


def _der(*nodes: Node) -> tuple[bytes, ...]:
    return tuple(n.cert.public_bytes(serialization.Encoding.DER) for n in nodes)


def _pem(key: Key) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


@functools.lru_cache(maxsize=2)
def _generate(day: dt.datetime) -> tuple[ChainCase, ...]:
    root = _make("root", "Corpus Root", day, ca=True, days=(-1000, 3000))
    inter = _make("inter", "Corpus Intermediate", day, root, ca=True, days=(-500, 2000))
    old_root = _make("old-root", "Corpus Old Root", day, ca=True, days=(-3000, 3000))
    cross = _make("cross", "Corpus Root", day, old_root, key=root.key, ca=True, days=(-900, 900))
    expired_cross = _make("expired-cross", "Corpus Root", day, old_root, key=root.key, ca=True, days=(-900, -1))
    nc_root = _make("nc-root", "Corpus Constrained Root", day, ca=True, days=(-100, 3000), permitted=("corp.example",),
                    excluded=("secret.corp.example",))
    nc_inter = _make("nc-inter", "Corpus Constrained Intermediate", day, root, ca=True, days=(-100, 2000),
                     permitted=("corp.example",))
    pathlen0 = _make("pathlen0", "Corpus PathLen0 Intermediate", day, root, ca=True, path_len=0, days=(-100, 2000))
    below = _make("below-pathlen0", "Corpus Intermediate Below PathLen0", day, pathlen0, ca=True, days=(-100, 2000))
    rsa_root = _make("rsa-root", "Corpus RSA Root", day, key=_rsa("rsa-root", 2048), ca=True, days=(-1000, 3000))
    rsa_inter = _make("rsa-inter", "Corpus RSA Intermediate", day, rsa_root, key=_rsa("rsa-inter", 2048), ca=True,
                      days=(-500, 2000))
    sha1_inter = _make("sha1-inter", "Corpus SHA-1 Signed Intermediate", day, rsa_root, key=_rsa("rsa-inter", 2048),
                       ca=True, days=(-500, 2000), sha1=True)
    small_inter = _make("rsa768-inter", "Corpus RSA-768 Intermediate", day, rsa_root, key=_rsa("rsa768-inter", 768), ca=True,
                        days=(-500, 2000))
    small_root = _make("rsa768-root", "Corpus RSA-768 Root", day, key=_rsa("rsa768-root", 768), ca=True, days=(-1000, 3000))
    sbs = _make("sbs", "sbs.contoso.local", day, san=("sbs.contoso.local", "remote.contoso.com", NAME), days=(-10, 1825))

    def leaf(label: str, issuer: Node, *, name: str = NAME, **kw: object) -> Node:
        return _make(label, name, day, issuer, san=(name,), **kw)  # type: ignore[arg-type]

    cases: list[ChainCase] = []

    def add(case_id: str, what: str, served: Sequence[Node], roots: Sequence[Node], name: str = NAME) -> None:
        cases.append(ChainCase(case_id, _der(*served), _der(*roots), name, _pem(served[0].key), what))

    good = leaf("good", inter)
    add("good", "leaf and intermediate sent, root trusted", [good, inter], [root])
    add("good-wrong-name", "a good chain asked for another name", [good, inter], [root], "other.example.net")
    add("good-with-root-sent", "the root sent along", [good, inter, root], [root])
    add("intermediate-as-anchor", "only the intermediate is trusted (a partial chain)", [good, inter], [inter])
    add("sbs-self-signed", "the SBS 2008 self-signed certificate, not installed", [sbs], [root], "remote.contoso.com")
    add("sbs-installed", "the SBS certificate installed as trusted on the client", [sbs], [sbs], "remote.contoso.com")
    add("missing-intermediate", "the server sends the leaf alone (AIA says where the intermediate is)",
        [leaf("missing", inter, aia="http://ca.example.net/inter.der")], [root])
    add("cross-signed", "the new root cross-signed by the old one; only the old root trusted", [good, inter, cross], [old_root])
    add("expired-cross-new-root", "an expired cross-sign sent; the new root trusted (a path without it)",
        [good, inter, expired_cross], [root])
    add("expired-cross-both-roots", "an expired cross-sign sent; both roots trusted (backtracking)",
        [good, inter, expired_cross], [old_root, root])
    add("expired-cross-old-root", "an expired cross-sign sent; only the old root trusted", [good, inter, expired_cross], [old_root])
    add("eku-client-only", "leaf EKU clientAuth only", [leaf("eku-client", inter, eku=(ExtendedKeyUsageOID.CLIENT_AUTH,)), inter],
        [root])
    add("eku-absent", "leaf without EKU", [leaf("eku-absent", inter, eku=None), inter], [root])
    add("validity-826", "leaf valid for 826 days (private CA)", [leaf("v826", inter, days=(-1, 825)), inter], [root])
    add("validity-399", "leaf valid for 399 days (private CA)", [leaf("v399", inter, days=(-1, 398)), inter], [root])
    add("expired-leaf", "leaf expired yesterday", [leaf("expired", inter, days=(-100, -1)), inter], [root])
    add("sha1-leaf", "leaf signed with SHA-1 (RSA intermediate)", [leaf("sha1-leaf", rsa_inter, sha1=True), rsa_inter], [rsa_root])
    add("sha1-intermediate", "intermediate signed with SHA-1, leaf with SHA-256", [leaf("sha1-int-leaf", sha1_inter), sha1_inter],
        [rsa_root])
    add("rsa-chain", "an all-RSA chain, SHA-256 (control for the SHA-1 cases)", [leaf("rsa-leaf", rsa_inter), rsa_inter], [rsa_root])
    add("rsa1024-leaf", "RSA-1024 leaf key", [leaf("rsa1024", inter, key=_rsa("rsa1024", 1024)), inter], [root])
    add("rsa768-intermediate", "an intermediate with an RSA-768 key (the leaf's is P-256)",
        [leaf("rsa768-int-leaf", small_inter), small_inter], [rsa_root])
    add("rsa768-root", "a root with an RSA-768 key (the leaf's is P-256)", [leaf("rsa768-root-leaf", small_root)], [small_root])
    add("nc-permitted", "name-constrained private root, name inside", [leaf("nc-in", nc_root, name="imap.corp.example")], [nc_root],
        "imap.corp.example")
    add("nc-outside", "name-constrained private root, name outside the permitted subtree", [leaf("nc-out", nc_root)], [nc_root])
    add("nc-excluded", "name-constrained private root, name in the excluded subtree",
        [leaf("nc-excl", nc_root, name="mail.secret.corp.example")], [nc_root], "mail.secret.corp.example")
    add("nc-intermediate-outside", "name constraints on the intermediate, name outside",
        [leaf("nc-int-out", nc_inter), nc_inter], [root])
    add("ca-leaf", "leaf with basicConstraints CA:TRUE", [leaf("ca-leaf", inter, ca=True), inter], [root])
    add("pathlen-violation", "an intermediate below a pathLen 0 intermediate",
        [leaf("pathlen-leaf", below), below, pathlen0], [root])
    add("unknown-critical-extension", "leaf with an unknown critical extension",
        [leaf("critical", inter, critical_unknown=True), inter], [root])
    add("ip-san", "IP address typed, iPAddress SAN", [_make("ip", "192.0.2.25", day, inter, ips=("192.0.2.25",)), inter], [root],
        "192.0.2.25")
    add("nc-ip-cn", "IP address typed; CN=that address, SAN a DNS name only, below a name-constrained intermediate",
        [_make("nc-ip-cn", "192.0.2.26", day, nc_inter, san=("imap.corp.example",)), nc_inter], [root], "192.0.2.26")
    return tuple(cases)


def generate(now: dt.datetime | None = None) -> list[ChainCase]:
    """Every chain case, valid around ``now`` (default: the current time)."""
    return list(_generate(_day(now or dt.datetime.now(dt.timezone.utc))))
