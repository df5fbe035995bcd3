"""Hostile certificates and the checks every output must pass.

Each hostile string is something an attacker who controls a server's certificate (or a file
an administrator is asked to inspect) would put in it to fool the person reading mailcert's
output: terminal escape sequences, bidi overrides, NUL, a newline that forges a line of our
own, a ``|`` that forges Nagios performance data, a leading ``=`` for a spreadsheet.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterable, Sequence

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from mailcert.textsafe import CSV_TRIGGERS

HOSTILE = {
    "csi": "\x1b[2J\x1b[31mred",
    "osc-title": "\x1b]0;owned title\x07",
    "osc52-clipboard": "\x1b]52;c;cm0gLXJmIH4K\x07",
    "c1-csi": "\x9b31mC1",
    "bidi-override": "\u202emoc.elpmaxe.liam",
    "bidi-isolate": "\u2066x\u2069\u200f\u061c",
    "nul": "evil\x00.example.com",
    "del": "a\x7fb",
    "line-separator": "a\u2028b",
    "newline-status": "x\nStatus: OK",
    "cr": "x\rStatus: OK",
    "nagios-pipe": "x | days_left=999;1;0",
    "formula": "=HYPERLINK(\"http://evil\")",
}
"""name -> hostile text; the tests put each into subject, issuer and SAN fields."""

NOW = dt.datetime(2026, 11, 28, 12, 0, tzinfo=dt.timezone.utc)
_KEY = ec.generate_private_key(ec.SECP256R1())


def hostile_cert(
    cn: str,
    *,
    org: str = "",
    san: Sequence[str] = (),
    issuer_cn: str | None = None,
    days: tuple[int, int] = (-1, 365),
    key: ec.EllipticCurvePrivateKey = _KEY,
) -> x509.Certificate:
    """A self-signed certificate whose CN, O and SAN dNSNames carry exactly these strings
    (``_validate=False``: cryptography would otherwise refuse a CN over 64 characters)."""
    attrs = [x509.NameAttribute(NameOID.COMMON_NAME, cn, _validate=False)]
    if org:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, org, _validate=False))
    subject = x509.Name(attrs)
    issuer = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer_cn, _validate=False)]) if issuer_cn else subject
    b = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW + dt.timedelta(days=days[0]))
        .not_valid_after(NOW + dt.timedelta(days=days[1]))
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
    )
    if san:
        b = b.add_extension(x509.SubjectAlternativeName([x509.DNSName(s) for s in san]), critical=False)
    return b.sign(key, hashes.SHA256())


def all_hostile(case: str) -> x509.Certificate:
    """One certificate carrying hostile text ``case`` in CN, O, issuer and a SAN dNSName."""
    text = HOSTILE[case]
    ascii_text = text.encode("ascii", "backslashreplace").decode("ascii") if not text.isascii() else text
    return hostile_cert(
        f"mail.example.com{text}",
        org=f"{text} Org",
        issuer_cn=f"{text} CA",
        san=(f"{ascii_text}.example.com", "mail.example.com"),
    )


def assert_terminal_safe(out: str) -> None:
    """Every line printable (nothing a terminal would obey), lines ended by ``\\n`` only."""
    for line in out.split("\n"):
        assert line.isprintable(), f"non-printable character reaches the output: {line!r}"


def assert_no_forged_status(out: str, status: str) -> None:
    """The only ``Status:`` line is the real one."""
    lines = [line for line in out.split("\n") if line.lstrip().startswith("Status:")]
    assert lines == [f"Status: {status}"], lines


def assert_nagios_line(out: str, status: str) -> None:
    """One line, one ``|``, the performance data ours; nothing non-printable."""
    assert out.endswith("\n") and out.count("\n") == 1, repr(out)
    assert_terminal_safe(out)
    assert out.startswith(f"MAILCERT {status} - "), out
    assert out.count("|") <= 1, out
    if "|" in out:
        perf = out.split("|", 1)[1].strip()
        assert perf.startswith("days_left=") and " " not in perf, perf


def assert_json_exact(out: str, expected: Iterable[str]) -> dict:
    """Valid JSON holding the hostile strings exactly, written with nothing a terminal obeys."""
    assert_terminal_safe(out)
    doc = json.loads(out)
    flat = json.dumps(doc, ensure_ascii=False)
    for text in expected:
        assert json.dumps(text, ensure_ascii=False)[1:-1] in flat, text
    return doc


def assert_csv_safe(out: str) -> list[list[str]]:
    """Every cell printable and none a formula."""
    rows = list(csv.reader(io.StringIO(out)))
    for row in rows:
        for cell in row:
            assert cell.isprintable(), cell
            assert not cell.lstrip(" ")[:1] or cell.lstrip(" ")[0] not in CSV_TRIGGERS or _is_number(cell), cell
    return rows


def _is_number(cell: str) -> bool:
    try:
        int(cell)
    except ValueError:
        return False
    return True


def key_pem() -> bytes:
    """The PEM private key of every hostile certificate (one key: speed)."""
    from cryptography.hazmat.primitives import serialization

    return _KEY.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


# --- DER surgery for hostile PKCS#12 files ------------------------------------------------
# Building a PFX that really asks for 2^31-1 iterations with cryptography would run them; so
# a normal one is built and its counts rewritten (lengths re-encoded up the tree).  This is
# the tests' own tiny codec, independent of the reader under test.

DerNode = tuple[int, "bytes | list[DerNode]", bool]  # (tag, content, content was DER in an OCTET STRING)


def _der_len(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def der_parse(buf: bytes) -> DerNode:
    node, used = _der_parse_at(buf, 0)
    assert used == len(buf)
    return node


def _der_parse_at(buf: bytes, pos: int) -> tuple[DerNode, int]:
    tag, first = buf[pos], buf[pos + 1]
    pos += 2
    if first & 0x80:
        k = first & 0x7F
        length, pos = int.from_bytes(buf[pos : pos + k], "big"), pos + k
    else:
        length = first
    body, end = buf[pos : pos + length], pos + length
    if tag & 0x20:
        kids, p = [], 0
        while p < len(body):
            kid, p = _der_parse_at(body, p)
            kids.append(kid)
        return (tag, kids, False), end
    if tag == 0x04 and body[:1] == b"\x30":
        try:
            inner = der_parse(body)
        except (AssertionError, IndexError):
            return (tag, body, False), end
        return (tag, [inner], True), end
    return (tag, body, False), end


def der_encode(node: DerNode) -> bytes:
    tag, value, wrapped = node
    body = b"".join(der_encode(k) for k in value) if isinstance(value, list) else value
    return bytes([tag]) + _der_len(len(body)) + body


def der_int(n: int) -> bytes:
    return n.to_bytes((n.bit_length() + 8) // 8, "big", signed=True)


def set_mac_iterations(pfx: bytes, n: int) -> bytes:
    """The PFX with its MacData iteration count set to ``n``."""
    tag, (version, auth, (mtag, mac, _), *rest), w = der_parse(pfx)  # type: ignore[misc]
    mac = [*mac[:2], (0x02, der_int(n), False)]
    return der_encode((tag, [version, auth, (mtag, mac, False), *rest], w))


def set_kdf_iterations(pfx: bytes, n: int) -> bytes:
    """The PFX with the iteration count of every PBKDF2 / PBE parameter block set to ``n``."""
    pbkdf2 = bytes.fromhex("2a864886f70d01050c")
    pkcs12_pbe = bytes.fromhex("2a864886f70d010c01")

    def walk(node: DerNode) -> DerNode:
        tag, value, w = node
        if not isinstance(value, list):
            return node
        if (
            tag == 0x30 and len(value) >= 2 and value[0][0] == 0x06 and value[1][0] == 0x30
            and isinstance(value[0][1], bytes) and (value[0][1] == pbkdf2 or value[0][1].startswith(pkcs12_pbe))
        ):
            params = [(0x02, der_int(n), False) if k[0] == 0x02 else k for k in value[1][1]]  # type: ignore[union-attr]
            value = [value[0], (0x30, params, False), *value[2:]]
        return (tag, [walk(k) for k in value], w)

    return der_encode(walk(der_parse(pfx)))
