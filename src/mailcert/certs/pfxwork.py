"""How much work a PKCS#12 file asks of whoever opens it, read before any password is tried.

A PKCS#12 file names its own iteration counts: one for the MAC that checks the password, one
per password-based encryption (PKCS#12 PBE, PBES1, PBES2/PBKDF2).  Every password try runs
them, and the format allows up to 2^31-1: a file that asks for that burns minutes of CPU per
try, so ``inspect`` or ``cert import`` of a hostile file (mailcert even tries the empty
password by itself) would stall.  :func:`refuse_costly_pfx` reads every count that is
readable without the password and refuses the file above :data:`MAX_PFX_ITERATIONS`.

Why a DER reader of our own: cryptography's ``load_pkcs12`` reads these counts internally and
runs them at once, and exposes none of them; cryptography has no general ASN.1 reader.  A
PFX needs only tag-length-value walking (BER, as Windows writes it: indefinite lengths and
constructed OCTET STRINGs included), bounded in depth and in elements.

What it cannot see: a count inside a bag that is itself encrypted (a key bag inside
``encryptedData``).  Reaching it needs the password first, and that step is bounded by the
counts checked here: a wrong password fails at the MAC check, which is capped.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final, Union

from mailcert.errors import CertificateError

__all__ = ["MAX_PFX_ITERATIONS", "pfx_iterations", "refuse_costly_pfx"]

MAX_PFX_ITERATIONS: Final = 10_000_000
"""Highest iteration count accepted: 100 times what Windows (2,000), OpenSSL 3 (2,048 for the
MAC, 2,048 for PBES2) and mailcert's own export (100,000) write; well under a second a try."""

_MAX_DEPTH: Final = 24
_MAX_NODES: Final = 100_000

# DER of the OIDs (content bytes only) whose parameters hold an iteration count.
_PKCS5 = bytes.fromhex("2a864886f70d0105")  # 1.2.840.113549.1.5
_PKCS12_PBE = bytes.fromhex("2a864886f70d010c01")  # 1.2.840.113549.1.12.1
_PBKDF2 = _PKCS5 + b"\x0c"
_PBES1 = {_PKCS5 + bytes([n]) for n in (1, 3, 4, 6, 10, 11)}

_SEQUENCE, _OCTET_STRING, _CONSTRUCTED_OCTETS, _OID, _INTEGER = 0x30, 0x04, 0x24, 0x06, 0x02

Value = Union[bytes, list["Node"]]
Node = tuple[int, Value]
"""(tag byte, content): bytes for a primitive element, the children for a constructed one."""


class _Malformed(Exception):
    pass


def _length(buf: bytes, pos: int) -> tuple[int | None, int]:
    """(length or None for BER indefinite, position after the length octets)."""
    if pos >= len(buf):
        raise _Malformed("truncated")
    first = buf[pos]
    if first < 0x80:
        return first, pos + 1
    count = first & 0x7F
    if count == 0:
        return None, pos + 1
    if count > 4 or pos + 1 + count > len(buf):
        raise _Malformed("length")
    return int.from_bytes(buf[pos + 1 : pos + 1 + count], "big"), pos + 1 + count


def _parse(buf: bytes, pos: int, end: int, depth: int, budget: list[int]) -> tuple[Node, int]:
    """One element at ``pos``; returns it and the position after it."""
    budget[0] -= 1
    if depth > _MAX_DEPTH or budget[0] < 0:
        raise _Malformed("too deep or too many elements")
    if pos + 2 > end:
        raise _Malformed("truncated")
    tag = buf[pos]
    if tag & 0x1F == 0x1F:
        raise _Malformed("high tag numbers do not occur in PKCS#12")
    length, pos = _length(buf, pos + 1)
    constructed = bool(tag & 0x20)
    if length is None:
        if not constructed:
            raise _Malformed("indefinite primitive")
        children: list[Node] = []
        while True:
            if buf[pos : pos + 2] == b"\x00\x00":
                return (tag, children), pos + 2
            child, pos = _parse(buf, pos, end, depth + 1, budget)
            children.append(child)
    stop = pos + length
    if stop > end:
        raise _Malformed("element runs past its parent")
    if not constructed:
        return (tag, buf[pos:stop]), stop
    children = []
    while pos < stop:
        child, pos = _parse(buf, pos, stop, depth + 1, budget)
        children.append(child)
    return (tag, children), stop


def _octets(node: Node) -> bytes | None:
    """The bytes of an OCTET STRING, primitive or (BER) constructed from chunks."""
    tag, value = node
    if tag == _OCTET_STRING and isinstance(value, bytes):
        return value
    if tag == _CONSTRUCTED_OCTETS and isinstance(value, list):
        return b"".join(_octets(c) or b"" for c in value)
    return None


def _integer(node: Node) -> int | None:
    tag, value = node
    if tag != _INTEGER or not isinstance(value, bytes) or not value:
        return None
    if len(value) > 8:
        return 1 << 63  # no count needs more than 8 bytes: count it as huge, never as small
    return int.from_bytes(value, "big", signed=True)


def _counts(node: Node, depth: int, budget: list[int]) -> Iterator[tuple[str, int]]:
    """Every (what, iteration count) in ``node``, descending into OCTET STRINGs that hold DER
    (the PFX wraps its AuthenticatedSafe and each SafeContents that way)."""
    tag, value = node
    octets = _octets(node)
    if octets is not None:
        if octets[:1] == b"\x30":
            try:
                inner, used = _parse(octets, 0, len(octets), depth + 1, budget)
            except _Malformed:
                return  # plain data (a salt, a digest) that happens to start like a SEQUENCE
            if used == len(octets):
                yield from _counts(inner, depth + 1, budget)
        return
    if not isinstance(value, list):
        return
    if tag == _SEQUENCE and len(value) >= 2 and value[0][0] == _OID and value[1][0] == _SEQUENCE:
        oid = value[0][1]
        params = value[1][1]
        what = _algorithm(oid) if isinstance(oid, bytes) else None
        if what and isinstance(params, list):
            count = next((n for n in map(_integer, params) if n is not None), None)
            if count is not None:
                yield what, count
    for child in value:
        yield from _counts(child, depth + 1, budget)


def _algorithm(oid: bytes) -> str | None:
    if oid == _PBKDF2:
        return "PBKDF2 key derivation"
    if oid in _PBES1 or (oid.startswith(_PKCS12_PBE) and len(oid) == len(_PKCS12_PBE) + 1):
        return "password-based encryption"
    return None


def pfx_iterations(data: bytes) -> list[tuple[str, int]]:
    """Every iteration count readable without the password: the MAC's first, then each
    encryption's.  Raises :class:`CertificateError` when the structure cannot be read."""
    budget = [_MAX_NODES]
    try:
        (tag, top), _ = _parse(data, 0, len(data), 0, budget)
        if tag != _SEQUENCE or not isinstance(top, list) or len(top) < 2:
            raise _Malformed("not a PFX")
        found: list[tuple[str, int]] = []
        if len(top) >= 3 and top[2][0] == _SEQUENCE and isinstance(top[2][1], list):
            mac = top[2][1]  # MacData ::= SEQUENCE { mac DigestInfo, macSalt OCTET STRING, iterations INTEGER DEFAULT 1 }
            found.append(("MAC", (_integer(mac[2]) if len(mac) >= 3 else None) or 1))
        found += list(_counts(top[1], 1, budget))
    except (_Malformed, IndexError) as exc:
        raise CertificateError(f"the PKCS#12 structure cannot be read ({exc or 'damaged'})") from None
    return found


def refuse_costly_pfx(data: bytes, source: str) -> None:
    """Refuse, with one line and before any password is tried, a PFX that asks for more than
    :data:`MAX_PFX_ITERATIONS` iterations anywhere it can be read (or a negative count)."""
    try:
        counts = pfx_iterations(data)
    except CertificateError as exc:
        raise CertificateError(f"{source}: {exc}") from None
    for what, n in counts:
        if n > MAX_PFX_ITERATIONS or n < 1:
            shown = f"{n:,}" if n < (1 << 63) else "an absurd number of"
            raise CertificateError(
                f"{source}: the PKCS#12 file asks for {shown} {what} iterations (at most"
                f" {MAX_PFX_ITERATIONS:,} accepted): every password try would take minutes of CPU;"
                " export it again with the usual settings"
            )
