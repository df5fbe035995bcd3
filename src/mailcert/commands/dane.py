"""``mailcert dane --cert DIR``: the TLSA records to publish for the current and the next key.

Keeps a pre-generated next key beside the certificate (``DIR/next-key.pem``, 0600) so its
record can be published at least one TTL before the key changes; looks the records up through
a validating resolver and says which are published and since when mailcert has seen them.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import Encoding

from mailcert.certs.build import KeyType, host_names, key_to_pem, new_key, public_key_der
from mailcert.certs.keys import read_private_key
from mailcert.certs.tlsa import DnsStatus, TlsaRecord, records_for, tlsa_name
from mailcert.commands._common import say
from mailcert.commands._places import state_path
from mailcert.deploy.bundle import bundle_from_dir
from mailcert.errors import InputError
from mailcert.fsutil import write_private_key

if TYPE_CHECKING:
    from mailcert.certs.build import PrivateKey

__all__ = ["register", "run"]


def register(sub: Any) -> None:
    p = sub.add_parser(
        "dane",
        help="the DANE TLSA records to publish for the current and the next key (keeps the next key ready)",
        description=(
            "Print the TLSA records for the certificate in --cert DIR: 3 1 1 for its key, 3 1 1 for the"
            " pre-generated next key (DIR/next-key.pem, made 0600 when missing), and 2 1 1 for its issuer."
            " Looks up what _PORT._tcp.NAME publishes now (DNSSEC-validated) and says which records are out"
            " and since when mailcert has seen them; acme renew and deploy switch to a new key only once"
            " its record has been out for the record's TTL. Exit 0, 3 bad input."
        ),
    )
    p.add_argument("--cert", required=True, metavar="DIR", help="directory holding fullchain.pem (or cert.pem + chain.pem) and key.pem")
    p.add_argument("--name", metavar="FQDN", help="the MX host name (default: the certificate's first name)")
    p.add_argument("--port", type=int, default=25, metavar="N", help="the SMTP port senders connect to (default 25)")
    p.add_argument("--resolver", metavar="ADDR[:PORT]", help="the DNSSEC-validating resolver to ask (default: the system's)")
    p.add_argument("--no-lookup", action="store_true", help="print the records only; do not ask DNS")
    p.add_argument("--state-dir", metavar="DIR", help="where mailcert remembers when it first saw each record (default as acme)")
    p.add_argument("--timeout", type=float, default=5.0, metavar="S", help="DNS deadline, seconds (default 5)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if not 0 < args.port < 65536:
        raise InputError(f"--port {args.port}: not a port")
    if not args.timeout > 0:
        raise InputError("--timeout must be a positive number of seconds")
    directory = Path(args.cert)
    bundle = bundle_from_dir(directory)
    ders = [c.public_bytes(_der()) for c in bundle.certs]
    name = args.name or next(iter(host_names(bundle.leaf)), None)
    if not name:
        raise InputError("the certificate names no host; give --name FQDN")
    next_path, next_key, made = _next_key(directory, bundle.key)
    current, *issuer = records_for(ders[0], issuer_der=ders[1] if len(ders) > 1 else None)
    # the next key has no certificate yet: 3 1 1 is over its SubjectPublicKeyInfo alone
    nxt = TlsaRecord(3, 1, 1, _sha256(public_key_der(next_key)))
    rows: list[tuple[TlsaRecord, str]] = [(current, f"current key ({directory / 'key.pem'})")]
    rows.append((nxt, f"next key ({next_path}{', made now' if made else ''})"))
    rows += [(r, f"issuer {bundle.certs[1].subject.rfc4514_string()}: any key it certifies") for r in issuer]
    owner = tlsa_name(name, args.port)
    lines = [f"TLSA records for {owner} (publish all; keep the current one until the switch is done)"]
    lines += _record_lines(owner, rows, None if args.no_lookup else _published(args, name))
    lines += [
        "Rollover: publish the next key's record beside the current one, wait one TTL, then",
        f"  mailcert acme renew --next-key (or issue a certificate for {next_path}) and deploy;",
        "  afterwards remove the old record and run mailcert dane again for the following key.",
    ]
    say(*lines)  # the issuer's subject and the resolver's words are outside text
    if made:
        say(f"mailcert: made the next key {next_path} (0600)", err=True)
    return 0


def _next_key(directory: Path, current: PrivateKey) -> tuple[Path, PrivateKey, bool]:
    """The pre-generated next key (made now, 0600, of the current key's type, when there is
    none yet): its record goes out a TTL before the key does.  Whether it was made now."""
    # lazy: rollover brings dnspython: not for --no-lookup's records alone
    from mailcert.rollover import NEXT_KEY_FILE

    path = directory / NEXT_KEY_FILE
    if path.exists():
        return path, read_private_key(path.read_bytes(), source=str(path)), False
    key = new_key(_same_type(current))
    write_private_key(path, key_to_pem(key), backup=False)
    return path, key, True


class _Published(NamedTuple):
    """What DNS says now: the lookup's one line, when each record was first seen, the TTL."""

    line: str
    seen: dict[str, dt.datetime]
    ttl: int


def _published(args: argparse.Namespace, name: str) -> _Published:
    """Look the records up (validating resolver); a secure answer is remembered in the state
    directory, so a later run can say since when each record has been out."""
    # lazy: dnspython only when records are looked up (not --no-lookup)
    from mailcert.probe.dane import lookup_tlsa, parse_resolver
    from mailcert.rollover import SeenStore

    resolver = parse_resolver(args.resolver)
    lookup = asyncio.run(lookup_tlsa(resolver, name, args.port, timeout=args.timeout))
    if lookup.status is not DnsStatus.SECURE:
        return _Published(f"{lookup.status.value}: {lookup.detail}", {}, 0)
    state = state_path(args.state_dir)
    seen, ttl = SeenStore(state).observe(lookup, dt.datetime.now(dt.timezone.utc))
    return _Published(f"{lookup.status.value}: {lookup.detail}", seen, ttl)


def _record_lines(owner: str, rows: Sequence[tuple[TlsaRecord, str]], published: _Published | None) -> list[str]:
    """Each record as a zone line with what it is for and (when looked up) whether it is out,
    since when, and from when a switch to it is safe (first seen + TTL)."""
    now = dt.datetime.now(dt.timezone.utc)
    lines = [f"  published now: {published.line if published else 'not looked up (--no-lookup)'}"]
    for r, what in rows:
        first = published.seen.get(r.to_text()) if published else None
        if published is None:
            state_text = ""
        elif first is None:
            state_text = "  NOT published"
        else:
            ready = first + dt.timedelta(seconds=published.ttl)
            state_text = f"  published, first seen {first:%Y-%m-%d %H:%M:%S} UTC" + (
                "" if now >= ready else f"; a switch to it is safe from {ready:%H:%M:%S} UTC (TTL {published.ttl} s)"
            )
        lines.append(f"{owner} IN TLSA {r.to_text()}")
        lines.append(f"  ; {what}{state_text}")
    return lines


def _der() -> Any:
    return Encoding.DER


def _sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()



def _same_type(key: Any) -> Any:
    """The key type of ``key``, for its successor."""
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return KeyType.ECDSA_P384 if key.curve.name == "secp384r1" else KeyType.ECDSA_P256
    if isinstance(key, rsa.RSAPrivateKey):
        return {3072: KeyType.RSA3072, 4096: KeyType.RSA4096}.get(key.key_size, KeyType.RSA2048)
    return KeyType.ECDSA_P256
