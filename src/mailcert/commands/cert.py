"""``mailcert cert new|import|export|fix``: SBS 2008's "Add a trusted certificate" wizard (KB958977), and its repair.

* ``new``: a key (0600) and a self-signed certificate or a CSR, the FQDN as CN **and** first SAN.
* ``import``: the certificate the CA issued, matched to its pending key, chain completed and
  checked, every client profile run on the configured name (a CA that re-ordered the names
  is caught here, before the certificate is installed).
* ``export``: PKCS#12 for Windows/Exchange/IIS (``--legacy`` for Server 2016 and older) and a
  PEM bundle.
* ``fix``: a self-signed certificate re-issued with the same key and names, the chosen name
  moved first: the KB958977 / SBS 2008 case repaired without a CA.

Everything is computed and checked first; files are written last, together, atomically, with
backups (:func:`mailcert.fsutil.write_files`).  Keys are never printed; passwords come from an
environment variable or a terminal prompt, never from argv.
"""

from __future__ import annotations

import argparse
import getpass
import shlex
import sys
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa

from mailcert.certs import build
from mailcert.certs.bundle import bundle_files, write_planned
from mailcert.certs.chain import TrustProblem, TrustStore, order_chain, verify_chain
from mailcert.certs.keys import read_private_key
from mailcert.certs.load import load_certificates, password_from_env
from mailcert.certs.pkcs12 import pem_bundle, to_pfx
from mailcert.commands._common import add_verbs, say
from mailcert.commands._places import configured_fqdn
from mailcert.errors import InputError
from mailcert.fsutil import BACKUP_MARK, CERT_MODE, KEY_MODE, PlannedFile, ensure_dir
from mailcert.inputs import read_input
from mailcert.model import parse_target
from mailcert.names import verdicts_for
from mailcert.probe.driver import probe_sync

if TYPE_CHECKING:
    from mailcert.certs.build import PrivateKey
    from mailcert.certs.chain import ChainOrder

__all__ = ["exchange_commands", "register", "run_export", "run_fix", "run_import", "run_new"]


class _RefusePassword(argparse.Action):
    """``--password`` is refused outright: argv is visible to every user (``ps``, shell history).

    Without this, argparse's prefix matching would take ``--password S3CRET`` as
    ``--password-env S3CRET`` and then print the secret in an error message.
    """

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any, option_string: str | None = None) -> None:
        parser.error(
            "a password on the command line is visible to every user of this machine (ps, shell history);"
            " put it in an environment variable and give its name with --password-env VAR"
        )


def _password_options(parser: argparse.ArgumentParser, help_text: str) -> None:
    parser.add_argument("--password-env", metavar="VAR", help=help_text)
    parser.add_argument("--password", "--pass", action=_RefusePassword, nargs="?", help=argparse.SUPPRESS)


def _config_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", metavar="FILE", help="configuration file holding the external name (see mailcert address)")


def register(sub: Any) -> None:
    p = sub.add_parser(
        "cert",
        help="the certificate wizard: new key + self-signed or CSR, import, export (PFX), fix the SAN order",
        description=(
            "Make, import, export and repair the mail server's certificate, always with the external"
            " FQDN as CN and first name (Outlook 2007 reads only the first)."
        ),
    )
    verbs = add_verbs(p, "cert_command")

    n = verbs.add_parser(
        "new",
        help="new key and a self-signed certificate or a CSR (FQDN = CN = first SAN)",
        description="A new private key (0600) and a self-signed certificate or a certificate request.",
    )
    n.add_argument("--name", metavar="FQDN", help="the name users type into their mail client (default: the configured address)")
    n.add_argument("--alt", action="append", default=[], metavar="NAME", help="another name, in this order after the FQDN (repeatable)")
    how = n.add_mutually_exclusive_group(required=True)
    how.add_argument("--self-signed", action="store_true", help="write DIR/cert.pem, a self-signed certificate")
    how.add_argument("--csr", action="store_true", help="write DIR/request.csr for a CA")
    n.add_argument("--out", required=True, metavar="DIR", help="directory for key.pem and cert.pem or request.csr")
    n.add_argument("--key-type", default="rsa2048", metavar="TYPE", help="rsa2048 (default, for old clients), rsa3072, rsa4096, ecdsa-p256, ecdsa-p384")
    n.add_argument("--days", type=int, default=825, metavar="N", help="validity of a self-signed certificate (default 825: Apple's limit)")
    n.add_argument("--for", dest="target", choices=["exchange"], help="also print the Exchange Management Shell commands")
    _config_option(n)
    n.set_defaults(func=run_new)

    i = verbs.add_parser(
        "import",
        help="take the certificate the CA issued: match its key, complete the chain, check every client",
        description=(
            "Find the pending key that matches the issued certificate, complete and check the chain,"
            " judge it for the configured name in every client profile, and write cert.pem, chain.pem,"
            " fullchain.pem and key.pem into DIR. Exit 0 when clean, 1 with warnings."
        ),
    )
    i.add_argument("issued", metavar="ISSUED", help="the certificate from the CA (PEM, DER, PKCS#7 .p7b, PFX)")
    i.add_argument("--chain", action="append", default=[], metavar="FILE", help="intermediate certificate(s) from the CA (repeatable)")
    i.add_argument("--out", required=True, metavar="DIR", help="directory of the pending key (key.pem) and for the result")
    i.add_argument("--key", action="append", default=[], metavar="FILE", help="also look for the key here (repeatable)")
    i.add_argument("--name", metavar="FQDN", help="judge for this name (default: the configured address)")
    i.add_argument("--cafile", metavar="FILE", help="trust anchors for the chain check (default: the system's)")
    _password_options(i, "environment variable with the password of a PFX or encrypted key")
    _config_option(i)
    i.set_defaults(func=run_import)

    e = verbs.add_parser(
        "export",
        help="PKCS#12/PFX for Windows/Exchange/IIS (--legacy for Server 2016 and older), PEM bundle",
        description="Export DIR/key.pem + cert.pem + chain.pem as a PFX and/or a PEM bundle (both 0600).",
    )
    e.add_argument("dir", metavar="DIR", help="directory holding key.pem, cert.pem and chain.pem")
    e.add_argument("--pfx", metavar="FILE", help="write a PKCS#12 file")
    e.add_argument("--legacy", action="store_true", help="3DES/SHA-1 PFX, the only form Windows Server 2016 and older import")
    e.add_argument("--pem-bundle", metavar="FILE", help="write key + certificate + chain in one PEM file")
    _password_options(e, "environment variable with the PFX password (else you are asked)")
    e.set_defaults(func=run_export)

    f = verbs.add_parser(
        "fix",
        help="re-issue a self-signed certificate with the FQDN moved first (the KB958977 / SBS 2008 case)",
        description=(
            "A new self-signed certificate with the same key and names, the chosen name moved first and"
            " made the CN. For a CA-issued certificate, explains why not and prints the request to make."
        ),
    )
    f.add_argument("cert", metavar="CERT", help="the certificate to fix (PEM, DER, or a PFX holding its key), or the server"
                   " serving it (imap://HOST:PORT, smtp://..., as check names it)")
    f.add_argument("--key", metavar="KEY", help="its private key (not needed when CERT is a PFX with the key)")
    f.add_argument("--first", metavar="NAME", help="the name to put first (default: the configured address)")
    f.add_argument("--out", required=True, metavar="DIR", help="directory for cert.pem and key.pem")
    f.add_argument("--days", type=int, default=825, metavar="N", help="validity of the new certificate (default 825)")
    _password_options(f, "environment variable with the password of a PFX or encrypted key")
    _config_option(f)
    f.set_defaults(func=run_fix)



# --- helpers ------------------------------------------------------------------------------------


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _password(var: str | None, *, what: str, confirm: bool = False) -> bytes | None:
    """From ``$VAR``, else a terminal prompt, else None (never argv: it shows in ``ps``)."""
    if var:
        return password_from_env(var)
    if not sys.stdin.isatty():
        return None

    first = getpass.getpass(f"{what}: ")
    if confirm and getpass.getpass(f"{what} (again): ") != first:
        raise InputError("the two passwords differ; nothing was written")
    return first.encode("utf-8")


def _read_bytes(path: str | Path) -> bytes:
    return read_input(path)


def _read_key(path: str | Path, password: bytes | None) -> PrivateKey:
    """A private key from PEM, DER or PFX; one clear line for an encrypted key or a wrong password."""
    return read_private_key(_read_bytes(path), source=str(path), password=password)


def _write(files: Sequence[PlannedFile]) -> list[str]:
    """Write all ``files`` at once; lines saying what was written and backed up."""
    return write_planned(files)


def _verdict_lines(cert: x509.Certificate, name: str) -> tuple[list[str], int]:
    """Every client profile on ``name``: report lines and how many refuse."""
    verdicts = verdicts_for(cert, name)
    refused = [v for v in verdicts if not v.accepted]
    if not refused:
        return [f"  every client profile ({len(verdicts)}) accepts the certificate for {name}"], 0
    lines = []
    for v in refused:
        lines.append(f"  warning: {v.client} refuses the certificate for {name}: {v.reason}")
        if v.message:
            lines.append(f"           the user sees: {v.message}")
    accepted = [v.client for v in verdicts if v.accepted]
    if accepted:
        lines.append(f"  accepted by: {', '.join(accepted)}")
    return lines, len(refused)


def _ps_list(names: Sequence[str]) -> str:
    return ",".join(f"'{n}'" for n in names)  # validated host names: nothing to escape


def exchange_commands(names: Sequence[str], *, key_bits: int | None, csr: bool, out: Path) -> str:
    """Exchange Management Shell commands for the same certificate, FQDN first.

    For a request Exchange makes its own key (``New-ExchangeCertificate -GenerateRequest``);
    for a self-signed certificate made here, it imports the legacy PFX that Exchange 2007-2016
    can read.  Both end with ``Enable-ExchangeCertificate -Services POP,IMAP,SMTP,IIS``.
    """
    fqdn = names[0]
    win = f"C:\\mailcert\\{fqdn}"
    enable = "Enable-ExchangeCertificate -Services POP,IMAP,SMTP,IIS"
    size = key_bits if key_bits in (1024, 2048, 4096) else 2048
    lines = ["", "Exchange Management Shell (on the Exchange / SBS server):"]
    if csr:
        lines += [
            "  # Exchange makes its own key and the same request (FQDN first, as CN and first name):",
            f"  $req = New-ExchangeCertificate -GenerateRequest -SubjectName \"CN={fqdn}\" -DomainName {_ps_list(names)}"
            f" -KeySize {size} -PrivateKeyExportable $true -FriendlyName '{fqdn}'",
            f"  Set-Content -Path '{win}.req' -Value $req",
            f"  #   Exchange 2007 (SBS 2008): add -Path '{win}.req' to New-ExchangeCertificate instead of Set-Content",
            "  # send the .req to your CA; when it has issued the certificate:",
            f"  Import-ExchangeCertificate -FileData ([System.IO.File]::ReadAllBytes('{win}.cer')) | {enable}",
            f"  #   Exchange 2007 (SBS 2008): Import-ExchangeCertificate -Path '{win}.cer' | {enable}",
            f"  # or keep the key made here: submit {out / 'request.csr'}, then `mailcert cert import ISSUED.pem --out"
            f" {shlex.quote(str(out))}` and export it with `mailcert cert export {shlex.quote(str(out))} --pfx {fqdn}.pfx --legacy`",
        ]
        if key_bits != size:
            lines.append(f"  # Exchange's -KeySize takes 1024, 2048 or 4096: {size} above")
    else:
        lines += [
            "  # 1. here: a PFX that Windows Server 2016 and older can import (asks for a password):",
            f"  mailcert cert export {shlex.quote(str(out))} --pfx {fqdn}.pfx --legacy",
            f"  # 2. copy {fqdn}.pfx to {win}.pfx on the Exchange server, then:",
            f"  Import-ExchangeCertificate -FileData ([System.IO.File]::ReadAllBytes('{win}.pfx'))"
            f" -Password (Read-Host -AsSecureString 'PFX password') -PrivateKeyExportable $true | {enable}",
            f"  #   Exchange 2007 (SBS 2008): Import-ExchangeCertificate -Path '{win}.pfx'"
            f" -Password (Read-Host -AsSecureString 'PFX password') | {enable}",
            "  # a self-signed certificate must also be trusted on every client (or request one from a CA: --csr)",
        ]
    return "\n".join(lines)


# --- new ----------------------------------------------------------------------------------------


def run_new(args: argparse.Namespace) -> int:
    fqdn = args.name or configured_fqdn(getattr(args, "config", None))
    if not fqdn:
        raise InputError("no FQDN: give --name FQDN, or run mailcert address set DOMAIN first")
    names = build.normalise_names([fqdn, *args.alt])
    kind = build.parse_key_type(args.key_type)
    if args.days < 1:
        raise InputError(f"--days must be at least 1, not {args.days}")
    out = Path(args.out)

    key = build.new_key(kind)
    now = _now()
    if args.self_signed:
        cert = build.self_signed(key, names, now=now, days=args.days)
        product = PlannedFile(out / "cert.pem", build.cert_to_pem(cert), CERT_MODE)
    else:
        request = build.csr(key, names)
        product = PlannedFile(out / "request.csr", build.csr_to_pem(request), CERT_MODE)
    ensure_dir(out)
    written = _write([PlannedFile(out / "key.pem", build.key_to_pem(key), KEY_MODE), product])

    what = "self-signed certificate" if args.self_signed else "certificate request"
    say(f"New {kind.value} key and {what} for {names[0]}")
    say(f"  names, in this order: {', '.join(names)}")
    say(*written)
    if args.self_signed:
        lines, _ = _verdict_lines(cert, names[0])
        say(*lines)
        say(f"  valid {cert.not_valid_before_utc:%Y-%m-%d} to {cert.not_valid_after_utc:%Y-%m-%d}; clients will still"
              " ask to trust it: for no prompt at all, use --csr and a trusted CA")
    else:
        say(f"  next: submit {product.path} to your CA; when it has issued the certificate:")
        say(f"        `mailcert cert import ISSUED.pem --out {shlex.quote(str(out))}`")
    if args.target == "exchange":
        bits = key.key_size if isinstance(key, rsa.RSAPrivateKey) else None
        say(*exchange_commands(names, key_bits=bits, csr=bool(args.csr), out=out).splitlines())
    return 0


# --- import -------------------------------------------------------------------------------------


def _pending_keys(out: Path, extra: Sequence[str], password: bytes | None) -> list[tuple[Path, PrivateKey]]:
    """Candidate keys: --key files (must be readable), then DIR/key.pem and its backups, newest first."""
    found: list[tuple[Path, PrivateKey]] = [(Path(k), _read_key(k, password)) for k in extra]
    local = [out / "key.pem"]
    if out.is_dir():
        local += sorted(out.glob(f"key.pem{BACKUP_MARK}*"), reverse=True)
    for path in local:
        if path.is_file():
            try:
                found.append((path, _read_key(path, password)))
            except InputError:
                continue  # an unreadable leftover is not the one we are looking for
    return found


def _check_trust(leaf: x509.Certificate, chain: Sequence[x509.Certificate], cafile: str | None, now: datetime) -> tuple[str | None, str | None]:
    """(None, None) when the chain leads to a trust anchor, else (why not, what to do).

    The same path builder as the doctor (:mod:`mailcert.certs.chain`), so ``cert import`` and
    ``check`` diagnose a chain in the same words.
    """
    store = TrustStore.from_file(cafile) if cafile else TrustStore.system()
    result = verify_chain([leaf, *chain], store, now=now)
    if result.trusted:
        return None, None
    hint = None
    if result.problem is TrustProblem.MISSING_INTERMEDIATE:
        hint = "add the intermediate certificate(s) from the CA with --chain FILE"
    elif result.problem is TrustProblem.UNTRUSTED_ROOT:
        hint = "if this is your own CA, give its root with --cafile FILE (and install it on the clients)"
    return f"chain: {result.detail}", hint


def run_import(args: argparse.Namespace) -> int:
    out = Path(args.out)
    password = _password(args.password_env, what="password") if args.password_env else None
    issued = list(load_certificates(args.issued, password=password))
    pool_extra = [c for path in args.chain for c in load_certificates(path, password=password)]
    leaf, key, key_path = _issued_with_key(issued, _pending_keys(out, args.key, password), out)
    pool = [c for c in issued if c is not leaf] + pool_extra
    order = order_chain(leaf, pool)  # the one chain builder (certs.chain); trust judged by the validators
    name = args.name or configured_fqdn(getattr(args, "config", None)) or (build.san_names(leaf) or ("",))[0]
    if not name:
        raise InputError("no name to judge the certificate for: give --name FQDN or run mailcert address set DOMAIN")
    report, warnings = _import_report(leaf, order, key_path, name, args.cafile)

    # the layout every installing command shares (chain.pem even when empty; key.pem kept if unchanged)
    existing = out / "key.pem"
    on_disk = _read_bytes(existing) if existing.is_file() and key_path == existing else None
    files = bundle_files(out, leaf, order.intermediates, key, key_on_disk=on_disk)
    ensure_dir(out)
    written = _write(files)
    say(*report)
    say(*written)
    if not order.intermediates:
        say("  (no intermediates: chain.pem is empty)")
    return 1 if warnings else 0


def _issued_with_key(
    issued: Sequence[x509.Certificate], keys: Sequence[tuple[Path, PrivateKey]], out: Path
) -> tuple[x509.Certificate, PrivateKey, Path]:
    """The issued certificate a pending key belongs to (a CA's file may hold the chain too, in
    any order), with that key and where it was found."""
    for candidate in issued:
        for path, key in keys:
            if build.key_matches(key, candidate):
                return candidate, key, path
    first = issued[0]
    names = build.san_names(first) or (first.subject.rfc4514_string(),)
    looked = ", ".join(str(p) for p, _ in keys) or f"{out / 'key.pem'} (absent)"
    raise InputError(
        f"no pending key matches the certificate for {names[0]} (looked in: {looked});"
        " give the key it was requested with, --key FILE"
    )


def _import_report(
    leaf: x509.Certificate, order: ChainOrder, key_path: Path, name: str, cafile: str | None
) -> tuple[list[str], int]:
    """What ``cert import`` says about what it installs, and how many warnings: the chain as
    the trust store sees it, the validity dates, and every client's verdict for ``name``."""
    now = _now()
    sans = build.san_names(leaf)
    report = [f"Issued certificate for {', '.join(sans) or leaf.subject.rfc4514_string()}", f"  key: {key_path} (matches by public key)",
              f"  chain: {len(order.intermediates)} intermediate(s)" + (", root given" if order.root is not None else "")]
    if order.leftover:
        report.append(f"  note: ignored {len(order.leftover)} certificate(s) that are not part of this chain")
    warnings = 0
    if not build.is_self_signed(leaf):
        problem, hint = _check_trust(leaf, order.intermediates, cafile, now)
        if problem:
            warnings += 1
            report += [f"  warning: {problem}"] + ([f"  hint: {hint}"] if hint else [])
        else:
            report.append("  chain: verifies to a trusted root")
    if leaf.not_valid_after_utc <= now:
        warnings += 1
        report.append(f"  warning: the certificate expired on {leaf.not_valid_after_utc:%Y-%m-%d}")
    elif leaf.not_valid_before_utc > now:
        warnings += 1
        report.append(f"  warning: the certificate is not valid before {leaf.not_valid_before_utc:%Y-%m-%d %H:%M} UTC")
    lines, refused = _verdict_lines(leaf, name)
    report += lines
    warnings += refused
    if refused and sans and sans[0] != name and name in sans:
        report.append(
            f"  the CA put {sans[0]} first, not {name}: Outlook 2007 reads only the first name; ask the CA to"
            f" keep the order of the request, or request a certificate for {name} alone"
        )
    return report, warnings


# --- export -------------------------------------------------------------------------------------


def run_export(args: argparse.Namespace) -> int:
    if not args.pfx and not args.pem_bundle:
        raise InputError("say what to export: --pfx FILE and/or --pem-bundle FILE")
    if args.legacy and not args.pfx:
        raise InputError("--legacy is about the PFX; add --pfx FILE")
    d = Path(args.dir)
    if not d.is_dir():
        raise InputError(f"{d} is not a directory holding key.pem and cert.pem")
    key = _read_key(d / "key.pem", None)
    cert = load_certificates(d / "cert.pem")[0]
    chain_file = d / "chain.pem"
    has_chain = chain_file.is_file() and _read_bytes(chain_file).strip()
    chain = load_certificates(chain_file) if has_chain else ()
    if not build.key_matches(key, cert):
        raise InputError(f"{d / 'key.pem'} does not belong to {d / 'cert.pem'} (their public keys differ)")

    files: list[PlannedFile] = []
    if args.pfx:
        password = _password(args.password_env, what="PFX password", confirm=True)
        if password is None:
            raise InputError("no PFX password: give --password-env VAR (an environment variable holding it), or run in a terminal")
        files.append(PlannedFile(Path(args.pfx), to_pfx(key, cert, chain, password=password, legacy=args.legacy), KEY_MODE))
    if args.pem_bundle:
        files.append(PlannedFile(Path(args.pem_bundle), pem_bundle(key, cert, chain), KEY_MODE))
    for f in files:
        if not f.path.parent.is_dir():
            raise InputError(f"cannot write {f.path}: directory {f.path.parent} does not exist")
    written = _write(files)
    names = build.san_names(cert)
    say(f"Exported the certificate for {names[0] if names else cert.subject.rfc4514_string()} with {len(chain)} chain certificate(s)")
    say(*written)
    if args.pfx:
        form = "legacy 3DES/SHA-1 (Windows Server 2016 and older)" if args.legacy else "AES-256/SHA-256 (Windows Server 2019 and later)"
        say(f"  PFX form: {form}")
        say(f"  thumbprint (Windows, Exchange -Thumbprint): {cert.fingerprint(hashes.SHA1()).hex().upper()}")
    return 0


# --- fix ----------------------------------------------------------------------------------------


def _served_certificate(target: str, name: str | None) -> x509.Certificate:
    """The certificate ``target`` (``imap://host:port`` ...) serves for ``name`` (SNI), as
    ``check`` fetches it: what a remedy printed by ``check`` hands to ``cert fix``."""
    endpoint = parse_target(target)
    result = probe_sync(endpoint, sni=name or endpoint.host)
    return x509.load_der_x509_certificate(result.leaf)


def run_fix(args: argparse.Namespace) -> int:
    password = _password(args.password_env, what="password") if args.password_env else None
    cert = _certificate_to_fix(args, password)
    names = build.host_names(cert)
    first_raw = args.first or configured_fqdn(getattr(args, "config", None))
    if not first_raw:
        raise InputError("which name goes first? give --first NAME, or run mailcert address set DOMAIN first")
    first = build.normalise_names([first_raw])[0]
    new_names = build.normalise_names([first, *names])
    if not build.is_self_signed(cert):
        return _ask_the_ca(args, cert, first, new_names)
    key = _key_to_fix(args, cert, password)
    if args.days < 1:
        raise InputError(f"--days must be at least 1, not {args.days}")

    fixed = build.self_signed(key, new_names, now=_now(), days=args.days)
    out = Path(args.out)
    ensure_dir(out)
    written = _write(
        [
            PlannedFile(out / "cert.pem", build.cert_to_pem(fixed), CERT_MODE),
            PlannedFile(out / "key.pem", build.key_to_pem(key), KEY_MODE),
        ]
    )
    say(f"Re-issued {args.cert} with {first} first (same key, same names)")
    say(f"  before: {', '.join(names)}")
    say(f"  after:  {', '.join(new_names)}")
    if first not in names:
        say(f"  note: {first} was not in the certificate; it was added")
    say(*written)
    before, _ = _verdict_lines(cert, first)
    after, refused = _verdict_lines(fixed, first)
    say("Before:", *before)
    say("After:", *after)
    return 1 if refused else 0


def _certificate_to_fix(args: argparse.Namespace, password: bytes | None) -> x509.Certificate:
    """The certificate of a file, or the one a server serves (``imap://host:port``, as the
    remedies ``check`` prints name it)."""
    if "://" not in args.cert:
        return load_certificates(args.cert, password=password)[0]
    if not args.key:
        raise InputError(f"{args.cert} is a server: its certificate comes over the wire, its key does not; give --key KEY")
    return _served_certificate(args.cert, args.first or configured_fqdn(getattr(args, "config", None)))


def _ask_the_ca(args: argparse.Namespace, cert: x509.Certificate, first: str, new_names: Sequence[str]) -> int:
    """A CA-issued certificate cannot be re-signed here (the clients would not trust it): say
    how to get one with ``first`` first from the CA instead.  Exit status 1."""
    quote = shlex.quote
    alts = "".join(f" --alt {quote(n)}" for n in new_names[1:])
    say(f"{args.cert} was issued by {cert.issuer.rfc4514_string()}, not self-signed: only that CA can issue it again,")
    say("and a certificate re-signed here would not be trusted by your users' clients.")
    say(f"Request a new one with {first} first (CN and first name), then import what the CA issues:")
    say(f"  mailcert cert new --name {quote(first)}{alts} --csr --out {quote(args.out)}")
    say(f"  mailcert cert import ISSUED.pem --out {quote(args.out)}")
    return 1


def _key_to_fix(args: argparse.Namespace, cert: x509.Certificate, password: bytes | None) -> PrivateKey:
    """The certificate's own key: --key, else the key in the certificate's file (PEM with both,
    or a PFX); refused when it is another key."""
    if args.key:
        key = _read_key(args.key, password)
    else:
        data = _read_bytes(args.cert)
        if b"-----BEGIN" in data and b"PRIVATE KEY-----" not in data:
            raise InputError(f"{args.cert} holds no private key; give it with --key KEY")
        key = _read_key(args.cert, password)  # PEM holding the key too, or a PFX (which carries its key)
    if not build.key_matches(key, cert):
        raise InputError(f"the key does not belong to {args.cert} (their public keys differ); give the certificate's own key")
    return key
