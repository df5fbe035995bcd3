"""``mailcert deploy dovecot|postfix``: install a certificate, prove it live, roll back on failure."""

from __future__ import annotations

import argparse
import grp
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from mailcert.assess import select_profiles
from mailcert.certs.build import host_names
from mailcert.certs.chain import TrustStore
from mailcert.commands._common import add_tlsa_guard_options, client_help, emit, in_flags, say, tlsa_guard_for
from mailcert.commands._places import configured_fqdn, state_path
from mailcert.deploy.apply import DeployOptions, deploy
from mailcert.deploy.bundle import bundle_from_dir, bundle_from_env
from mailcert.deploy.dovecot import DovecotServer
from mailcert.deploy.plan import PlanOptions
from mailcert.deploy.postfix import PostfixServer
from mailcert.errors import InputError, OperationError
from mailcert.judgement import Judgement
from mailcert.report import deploy as render

if TYPE_CHECKING:
    from mailcert.deploy.apply import DeployReport
    from mailcert.deploy.base import Server

__all__ = ["register", "run"]


def register(sub: Any) -> None:
    p = sub.add_parser(
        "deploy",
        help="install a certificate into Dovecot or Postfix, verify it live, roll back on failure",
        description=(
            "Install the certificate of --cert DIR (fullchain.pem + key.pem, as cert import and acme"
            " write them) into a running Dovecot or Postfix. Before touching anything: the key must"
            " match, the chain be complete, and every client profile accept the name. Then: back up,"
            " write atomically, config test, reload, and probe every TLS listener until it serves the"
            " new certificate; on any failure the backups are restored and the old certificate is"
            " proven served again. By default the files the configuration already names are"
            " replaced (no setting changes); --install-dir writes elsewhere and changes the settings."
            " As a certbot deploy hook or acme.sh reload command: --from-env. Exit 0 deployed (or"
            " nothing to do), 1 refused or failed and rolled back, 2 failed and the rollback could not"
            " be proven, 3 bad input."
        ),
    )
    p.add_argument("server", choices=["dovecot", "postfix"], help="which server to deploy to")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--cert", metavar="DIR", help="directory holding fullchain.pem (or cert.pem + chain.pem) and key.pem (or privkey.pem)")
    src.add_argument("--from-env", action="store_true",
                     help="read the certificate from $RENEWED_LINEAGE (certbot deploy hook) or $CERT_FULLCHAIN_PATH + $CERT_KEY_PATH (acme.sh)")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--server-config", metavar="PATH",
                       help="the server's configuration: dovecot.conf (default /etc/dovecot/dovecot.conf) or the Postfix directory (default /etc/postfix)")
    where.add_argument("--config", dest="old_server_config", metavar="PATH",
                       help="deprecated spelling of --server-config (in every other command --config is mailcert's own file)")
    p.add_argument("--install-dir", metavar="DIR", help="write DIR/fullchain.pem and DIR/key.pem and point the settings there (config file backed up)")
    p.add_argument("--key-group", metavar="GROUP", help="make the key 0640 and owned by this group (the server's group), instead of 0600")
    p.add_argument("--name", metavar="FQDN", help="the name users type into their mail client (default: the configured address, else the certificate's first name)")
    p.add_argument("--client", action="append", default=[], metavar="ID", help=client_help())
    p.add_argument("--cafile", metavar="FILE", help="trust these CA certificates instead of the system store (a private CA)")
    p.add_argument("--force", action="store_true", help="deploy even if some client profile would refuse the name or the root is not trusted")
    p.add_argument("--dry-run", action="store_true", help="show the plan (files, modes, fingerprints, settings diff, commands) and change nothing")
    p.add_argument("--reload-cmd", metavar="CMD", help="reload with this command instead (e.g. 'systemctl reload dovecot'); also used by a rollback")
    p.add_argument("--config-test-cmd", metavar="CMD", help="config test with this command instead of doveconf -x -n / postfix check")
    p.add_argument("--verify-timeout", type=float, default=15.0, metavar="S", help="how long to wait for the new certificate to be served (default 15)")
    p.add_argument("--timeout", type=float, default=5.0, metavar="S", help="deadline of each probe connection, seconds (default 5)")
    p.add_argument("--format", choices=["text", "json"], default="text", help="output format (default text)")
    add_tlsa_guard_options(p, "deploy (postfix)")
    p.add_argument("--state-dir", metavar="DIR", help="where mailcert remembers when it first saw each TLSA record (default as acme)")
    p.add_argument("--mailcert-config", metavar="FILE",
                   help="mailcert's own configuration, for the configured address (what --config is in the other commands;"
                   " default: $MAILCERT_CONFIG, /etc/mailcert/config.toml as root, else ~/.config/mailcert/config.toml)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.old_server_config:
        say(
            "mailcert: note: deploy --config is the old spelling of --server-config (--config names"
            " mailcert's own file in the other commands); it still works, but change your hook to --server-config",
            err=True,
        )
    bundle = bundle_from_env(os.environ) if args.from_env else bundle_from_dir(args.cert)
    name = args.name or configured_fqdn(args.mailcert_config) or next(iter(host_names(bundle.leaf)), None)
    if not name:
        raise InputError("the certificate names no host; give --name FQDN")
    options = _options(args, name)
    server = _server(args)
    if args.server == "postfix" and not _tlsa_allows(args, server, bundle, name):
        return 1
    report = deploy(server, bundle, options)
    emit(render.json_text(report, in_flags) if args.format == "json" else render.text(report, in_flags))
    return _exit_status(report)


def _options(args: argparse.Namespace, name: str) -> DeployOptions:
    """The engine's options from the flags (it checks the numbers and names the field)."""
    store = TrustStore.from_file(args.cafile) if args.cafile else TrustStore.system()
    install_dir = Path(os.path.abspath(args.install_dir)) if args.install_dir else None
    return DeployOptions(
        name=name,
        judgement=Judgement(tuple(select_profiles(args.client)), store),
        force=args.force,
        dry_run=args.dry_run,
        plan=PlanOptions(install_dir=install_dir, key_gid=_gid(args.key_group)),
        verify_timeout=args.verify_timeout,
        probe_timeout=args.timeout,
    )


def _server(args: argparse.Namespace) -> Server:
    """The server to deploy to, with the configuration and commands the flags name."""
    server_config = args.server_config or args.old_server_config
    if args.server == "dovecot":
        return DovecotServer(server_config, reload_cmd=args.reload_cmd, config_test_cmd=args.config_test_cmd)

    return PostfixServer(server_config, reload_cmd=args.reload_cmd, config_test_cmd=args.config_test_cmd)


def _exit_status(report: DeployReport) -> int:
    """0 when deployed (or nothing to do); else the one-line error that ends the run."""
    if report.exit_status == 0:
        return 0
    if report.status == "refused":
        more = len(report.problems) - 1
        message = f"refused, nothing changed: {in_flags(report.reason or '')}" + (f" (and {more} more problem(s) above)" if more > 0 else "")
    else:
        message = f"deploy failed: {in_flags(report.reason or '')}"
    error = OperationError(message)
    error.exit_status = report.exit_status
    raise error


def _tlsa_allows(args: argparse.Namespace, server: Any, bundle: Any, name: str) -> bool:
    """The TLSA guard (Postfix: the server DANE senders reach): may the bundle's key replace the
    installed one without DANE senders refusing it?  ``False`` stops the deploy (unless
    --allow-tlsa-break, which goes ahead and says so)."""
    current: list[bytes] | None = None
    primary = server.discover().primary
    if primary is not None and primary.cert_path is not None:
        try:
            current = [c.public_bytes(Encoding.DER) for c in x509.load_pem_x509_certificates(primary.cert_path.read_bytes())]
        except (OSError, ValueError):
            current = None  # nothing readable installed: every published record must name the new key
    new = [c.public_bytes(Encoding.DER) for c in bundle.certs]
    guard = tlsa_guard_for(args, state_path(args.state_dir), name, timeout=args.timeout)
    result = guard(new, current)
    if result.ok:
        return True  # quiet: stderr carries only what went wrong
    say(*(f"TLSA: {in_flags(line)}" for line in result.lines), err=True)
    if args.allow_tlsa_break:
        say("TLSA: going ahead (--allow-tlsa-break): DANE senders will defer mail to this MX until a record names the new key", err=True)
        return True
    say("Not deployed: DANE senders would refuse the new key (see above); nothing changed",
        "  run mailcert dane --cert DIR for the records, or add --allow-tlsa-break", err=True)
    return False


def _gid(group: str | None) -> int | None:
    if group is None:
        return None

    if group.isdigit():
        return int(group)
    try:
        return grp.getgrnam(group).gr_gid
    except KeyError:
        raise InputError(f"--key-group {group}: no such group") from None
