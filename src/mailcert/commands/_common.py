"""Options and helpers shared by ``inspect`` and ``check`` (one definition, one behaviour)."""

from __future__ import annotations

import argparse
import datetime as dt
import re
import sys
from typing import TYPE_CHECKING, Any

from mailcert.errors import InputError, MailcertError, Remark
from mailcert.names.profiles import DEFAULT_CLIENTS, PROFILES
from mailcert.textsafe import terminal

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from pathlib import Path

    from mailcert.rollover import GuardResult
    from mailcert.scan.inventory import Inventory

__all__ = [
    "add_judgement_options", "client_help", "add_expiry_options", "add_tlsa_guard_options", "critical_days", "parse_when",
    "emit", "open_inventory", "say", "tlsa_guard_for", "in_flags", "add_verbs",
]


def client_help(verb: str = "judge") -> str:
    """--client's help, one text for every command that takes it."""
    return (
        f"{verb} these client profiles (repeatable; 'all' for every one): {', '.join(PROFILES)};"
        f" default: {', '.join(DEFAULT_CLIENTS)} (see 'mailcert clients')"
    )


def add_judgement_options(parser: argparse.ArgumentParser, formats: tuple[str, ...] = ("text", "json")) -> None:
    """--name, --client, --warn-days, --critical-days, --at, --format: how to judge and how to show it."""
    parser.add_argument(
        "--name", action="append", default=[], metavar="NAME",
        help="server name as typed into the mail client (repeatable)",
    )
    parser.add_argument(
        "--client", action="append", default=[], metavar="ID",
        help=client_help(),
    )
    add_expiry_options(parser)
    parser.add_argument("--at", metavar="ISO-DATE", help="judge as of this date/time instead of now (e.g. 2027-01-31)")
    parser.add_argument("--format", choices=list(formats), default="text", help=f"output format: {', '.join(formats)} (default text)")


def add_expiry_options(parser: argparse.ArgumentParser) -> None:
    """--warn-days and --critical-days (check_ssl_cert's --warning/--critical): the same pair on
    every command that judges expiry, validated by :func:`critical_days`."""
    parser.add_argument("--warn-days", type=int, default=30, metavar="N", help="WARNING when expiring within N days (default 30)")
    parser.add_argument(
        "--critical-days", type=int, default=None, metavar="N",
        help="CRITICAL when expiring within N days (default: only once expired)",
    )


def critical_days(args: argparse.Namespace) -> int | None:
    """``--critical-days`` checked against ``--warn-days``: a critical window wider than the
    warning one would make the warning unreachable, which is never what was meant."""
    crit: int | None = args.critical_days
    if args.warn_days < 0:
        raise InputError(f"--warn-days {args.warn_days}: give a number of days, 0 or more")
    if crit is None:
        return None
    if crit < 0:
        raise InputError(f"--critical-days {crit}: give a number of days, 0 or more")
    if crit > args.warn_days:
        raise InputError(f"--critical-days {crit} is more than --warn-days {args.warn_days}; the critical window lies inside the warning one")
    return crit


def parse_when(text: str | None) -> dt.datetime:
    """``--at`` or the current time, always timezone-aware UTC."""
    if text is None:
        return dt.datetime.now(dt.timezone.utc)
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        raise InputError(f"--at {text!r}: use an ISO date such as 2027-01-31 or 2027-01-31T12:00") from None
    return when if when.tzinfo else when.replace(tzinfo=dt.timezone.utc)


def add_verbs(parser: argparse.ArgumentParser, dest: str) -> Any:
    """The verbs of a command that has them (``acme issue|renew``): its sub-parsers.  The
    command run without a verb prints its help on standard error and exits 3 (bad input)."""

    def usage(args: argparse.Namespace) -> int:
        parser.print_help(sys.stderr)
        return 3

    parser.set_defaults(func=usage)
    return parser.add_subparsers(dest=dest, metavar="VERB")


def emit(text: str) -> None:
    """Write the report; a closed pipe (``| head``) is not an error."""
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        pass


def open_inventory(db: str | None) -> Inventory:
    """The inventory ``--db`` names (default: the user's data directory).  When that place
    cannot be used (an unwritable or missing HOME, as under a service account), the one line
    names the file and the option that chooses another."""
    # lazy: sqlalchemy comes with the inventory: only the commands that keep one load it
    from mailcert.scan.inventory import Inventory, InventoryPlaceError

    try:
        return Inventory.open(db)
    except InventoryPlaceError as exc:
        raise InputError(f"{exc}; choose another place with --db FILE (or --db postgresql://...)") from None


def say(*lines: str, err: bool = False) -> None:
    """Print each of ``lines`` as one line with outside text made safe.

    Lines of mailcert's own never hold a control character, so escaping the whole line
    escapes exactly what came from outside (a file name, a certificate's subject, a CA's
    reply): a newline in one can never start a line of its own.  Give lines separately,
    never joined with ``\\n``.
    """
    stream = sys.stderr if err else sys.stdout
    try:
        for line in lines:
            stream.write(terminal(line) + "\n")
        stream.flush()
    except BrokenPipeError:
        pass


def add_tlsa_guard_options(parser: argparse.ArgumentParser, what: str) -> None:
    """--allow-tlsa-break, --tlsa-port, --resolver: the DANE guard of ``acme`` and ``deploy``."""
    parser.add_argument(
        "--allow-tlsa-break", action="store_true",
        help=f"{what} even when no published TLSA record names the new key (DANE senders will defer mail until one does)",
    )
    parser.add_argument(
        "--tlsa-port", type=int, default=25, metavar="N",
        help=f"the SMTP port whose TLSA records (_N._tcp.NAME) guard the {what} (default 25)",
    )
    parser.add_argument("--resolver", metavar="ADDR[:PORT]", help="the DNSSEC-validating resolver for the TLSA guard (default: the system's)")


def tlsa_guard_for(
    args: argparse.Namespace, state: Path, name: str, *, timeout: float
) -> Callable[[Sequence[bytes], Sequence[bytes] | None], GuardResult]:
    """The TLSA guard for ``name`` bound to the CLI's resolver and port: a callable
    ``(new chain, installed chain) -> GuardResult`` (see ``mailcert.rollover``)."""
    # lazy: dnspython, with the DANE guard: only acme and deploy use it
    from mailcert.probe.dane import parse_resolver
    from mailcert.rollover import GuardResult, tlsa_guard

    if not 0 < args.tlsa_port < 65536:
        raise InputError(f"--tlsa-port {args.tlsa_port}: not a port")
    resolver = parse_resolver(args.resolver)

    def check(new: Sequence[bytes], current: Sequence[bytes] | None) -> GuardResult:
        result, _ = tlsa_guard(
            new, current, host=name, port=args.tlsa_port, resolver=resolver, state=state,
            now=dt.datetime.now(dt.timezone.utc), timeout=min(5.0, timeout),
        )
        return result

    return check


_FLAGS = {
    # engine field -> the flag that sets it, where the two are not spelled alike
    "connect_host": "--connect",
    "connect_port": "--connect",
    "ehlo_name": "--ehlo",
    "probe_timeout": "--timeout",
    "now": "--at",
    "at": "--at",
    "profiles": "--client",
    "clients": "--client",
    "cafile_pem": "--cafile",
    "store": "--cafile",  # the judgement's trust store
    "target": "target",  # the positional argument, named as it is
}


def in_flags(exc: MailcertError | str) -> str:
    """The error's message (or a result's :class:`~mailcert.errors.Remark`) in the user's words:
    an engine field named at its start becomes the flag that sets it (``timeout must be ...`` ->
    ``--timeout must be ...``), and so does the last mention of each field a hint names (``run
    again with agree_tos`` -> ``--agree-tos``); plain words stay as they are.  Here, below the
    CLI, so a command that renders a result or reports an error itself (deploy's problems,
    check --format nagios) says the flag too."""
    text = str(exc)
    if isinstance(exc, str) and not isinstance(exc, Remark):
        return text
    field = exc.field
    if field and text.startswith(field):
        text = _flag(field) + text[len(field) :]
    for name in exc.mentions:
        found = list(re.finditer(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text))
        if found:
            last = found[-1]
            text = text[: last.start()] + _flag(name) + text[last.end() :]
    return text


def _flag(field: str) -> str:
    return _FLAGS.get(field, "--" + field.replace("_", "-"))
