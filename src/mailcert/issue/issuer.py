"""Issue one certificate over ACME: plan, account, order, challenge, finalize, judge, install.

:func:`issue` is the whole of ``mailcert acme issue`` (and of each renewal) without the
command line.  The order of things is the point:

1. the client plan, before anything goes to the network (:mod:`mailcert.issue.plan`): a
   certificate a configured client would refuse is not even ordered unless ``force``;
2. a new key and a CSR made by mailcert's own certificate code (the mail name as CN and
   first SAN, the other names in the order given);
3. the account (stored 0600, registered once, only with ``agree_tos``), the order, the
   challenges published by the solver and taken down again whatever happens, polling with a
   deadline (:class:`~mailcert.issue.client.AcmeCA`, the only network code);
4. the issued certificate parsed and judged by every configured client profile for the mail
   name; if one refuses, nothing in ``out`` is touched (the certificate and its key are kept
   under the state directory for inspection) and the outcome says why;
5. only then all files written at once (:func:`mailcert.fsutil.write_files`), and the lineage
   recorded for ``acme renew``.

Nothing is written to ``out`` before step 5, so a failed challenge, a CA error or Ctrl-C
leaves ``out`` exactly as it was.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import Encoding

from mailcert.certs import build
from mailcert.certs.build import KeyType, PrivateKey
from mailcert.certs.bundle import bundle_files, write_planned
from mailcert.certs.keys import read_private_key
from mailcert.errors import InputError, OperationError
from mailcert.fsutil import ensure_dir, write_files
from mailcert.issue.challenges import DnsHook, Solver, StandaloneHttp, Webroot
from mailcert.issue.clock import Clock
from mailcert.issue.plan import CaSortsNames, ClientPlan, ca_sorts_names, judge_issued, plan_for, select_profiles
from mailcert.issue.state import AccountStore, ChallengeSpec, Lineage, LineageStore, StoredAccount, acme_dir
from mailcert.names import NameVerdict

if TYPE_CHECKING:
    from mailcert.issue.client import AcmeCA, Order
    from mailcert.names.profiles import ClientProfile
    from mailcert.rollover import GuardResult

__all__ = ["IssueOutcome", "IssueRequest", "IssueStatus", "issue", "make_solver", "plan_lines"]

Say = Callable[[str], None]


class IssueStatus(str, enum.Enum):
    INSTALLED = "installed"
    PLAN_REFUSED = "plan-refused"
    CLIENT_REFUSED = "client-refused"
    TLSA_REFUSED = "tlsa-refused"


@dataclass(frozen=True)
class IssueRequest:
    """Everything ``acme issue`` was asked; ``names`` are normalised, the mail name first."""

    names: tuple[str, ...]
    directory: str
    out: Path
    challenge: ChallengeSpec = field(default_factory=ChallengeSpec)
    key_type: KeyType = KeyType.RSA2048
    clients: tuple[str, ...] = ()
    ca_sorts_names: CaSortsNames = CaSortsNames.AUTO
    ca_bundle: str | None = None
    email: str | None = None
    agree_tos: bool = False
    force: bool = False
    timeout: float = 90.0
    hook_timeout: float = 300.0
    key_pem: bytes | None = None  # certify this key (--reuse-key, --next-key) instead of a new one
    consume_next_key: bool = False  # the key came from out/next-key.pem: remove it once installed
    allow_tlsa_break: bool = False  # install even when the TLSA guard says DANE senders would refuse

    @property
    def mail_name(self) -> str:
        return self.names[0]


@dataclass(frozen=True)
class IssueOutcome:
    """What happened; ``status`` INSTALLED means the files in ``out`` are the new certificate."""

    status: IssueStatus
    plan: ClientPlan
    issued_names: tuple[str, ...] = ()
    refusals: tuple[NameVerdict, ...] = ()
    not_after: datetime | None = None
    chain_length: int = 0
    written: tuple[str, ...] = ()
    kept_in: Path | None = None
    seconds: float = 0.0
    tlsa: tuple[str, ...] = ()  # what the TLSA guard said
    tlsa_ok: bool = True  # False: it said DANE senders would refuse (installed only with allow_tlsa_break)


def make_solver(spec: ChallengeSpec, *, env: Mapping[str, str], hook_timeout: float, timeout: float) -> Solver:
    """The solver ``spec`` describes."""
    if spec.method == "dns":
        if not spec.dns_hook:
            raise InputError("dns-01 needs a hook command: dns_hook CMD", mentions=("dns_hook",))
        return DnsHook(spec.dns_hook, env=env, timeout=hook_timeout)
    if spec.method == "webroot":
        if not spec.webroot:
            raise InputError("webroot needs a directory", field="webroot")
        return Webroot(spec.webroot)
    if spec.method == "http":
        if not 0 < spec.http_port < 65536:
            raise InputError(f"http_port {spec.http_port}: not a TCP port", field="http_port")
        return StandaloneHttp(spec.http_port, spec.http_address, timeout=min(timeout, 30.0))
    raise InputError(f"unknown challenge method {spec.method!r}")


def plan_lines(plan: ClientPlan) -> list[str]:
    """The plan as report lines: facts (the layout as names in certificate order); the CLI says
    how to order each certificate."""
    how = "sorts the names" if plan.ca_sorts else "keeps the request's order"
    lines = [
        f"Plan: {plan.mail_name} first, for {len(plan.clients)} client profile(s); the CA {how}",
        f"  requested: {', '.join(plan.requested)}",
    ]
    if plan.predicted != plan.requested:
        lines.append(f"  expected:  {', '.join(plan.predicted)}")
    if plan.ok:
        lines.append(f"  every configured client accepts the expected certificate for {plan.mail_name}")
        return lines
    for v in plan.refusals:
        lines.append(f"  {v.client} would refuse it for {plan.mail_name}: {v.reason}")
    if plan.layout:
        lines.append("  a layout that works:")
        for i, names in enumerate(plan.layout, 1):
            what = f"for {plan.mail_name} (mail)" if i == 1 else "for the other names"
            lines.append(f"    certificate {i} {what}: {', '.join(names)}")
    else:
        lines.append(f"  no layout of these names helps: the clients refuse the name {plan.mail_name} itself")
    return lines


def _load_key(pem: bytes, where: Path) -> PrivateKey:
    try:
        key = serialization.load_pem_private_key(pem, None)
    except (TypeError, ValueError):
        raise InputError(f"the account key in {where} cannot be read; move the folder away to register anew") from None
    if not isinstance(key, (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey)):
        raise InputError(f"the account key in {where} is neither RSA nor ECDSA")
    return key


CaFactory = Callable[[PrivateKey], "AcmeCA"]
TlsaGuard = Callable[[Sequence[bytes], "Sequence[bytes] | None"], "GuardResult"]
"""(new chain, installed chain) -> may the new one go in (mailcert.rollover.tlsa_guard, bound)."""


def issue(
    request: IssueRequest,
    *,
    state: Path,
    clock: Clock,
    env: Mapping[str, str],
    say: Say = lambda line: None,
    ca_factory: CaFactory | None = None,
    tlsa_guard: TlsaGuard | None = None,
) -> IssueOutcome:
    """Issue and install one certificate (see the module docstring for the steps)."""
    started = clock.now()
    profiles = select_profiles(request.clients)
    sorts = ca_sorts_names(request.directory, request.ca_sorts_names)
    plan = plan_for(request.names, profiles, ca_sorts=sorts)
    for line in plan_lines(plan):
        say(line)
    if not plan.ok and not request.force:
        return IssueOutcome(IssueStatus.PLAN_REFUSED, plan)
    wildcards = [n for n in request.names if n.startswith("*.")]
    if wildcards and request.challenge.method != "dns":
        raise InputError(f"{wildcards[0]} is a wildcard: the CA validates it only with dns-01; give dns_hook CMD", mentions=("dns_hook",))
    solver = make_solver(request.challenge, env=env, hook_timeout=request.hook_timeout, timeout=request.timeout)
    key = _key_to_certify(request)
    session = _Session(request, AccountStore(state), clock, say)
    fullchain = _obtain(session, ca_factory or _acme_ca(request, clock), build.csr_to_pem(build.csr(key, request.names)), solver)
    leaf, chain = _split_chain(fullchain, key)
    outcome = _judged(plan, leaf, chain, request.mail_name, profiles, say)
    if not outcome.refusals and tlsa_guard is not None:
        guard = tlsa_guard([c.public_bytes(Encoding.DER) for c in (leaf, *chain)], _installed_chain(request.out))
        outcome = replace(outcome, tlsa=guard.lines, tlsa_ok=guard.ok)
        if not guard.ok and not request.allow_tlsa_break:
            outcome = replace(outcome, status=IssueStatus.TLSA_REFUSED)
    if outcome.status is not IssueStatus.INSTALLED:
        kept = _keep_refused(state, request.mail_name, leaf, chain, key, clock.now())
        return replace(outcome, kept_in=kept, seconds=_since(clock, started))
    written = _install(request, state, clock, leaf, chain, key)
    return replace(outcome, written=tuple(written), seconds=_since(clock, started))


def _acme_ca(request: IssueRequest, clock: Clock) -> CaFactory:
    """The real CA behind ``request.directory``.  certbot's acme library (and requests, josepy)
    is imported here, when a certificate is ordered, not when ``mailcert`` starts: for start-up time."""
    # lazy: certbot's acme, requests and josepy: only when a certificate is ordered
    from mailcert.issue.client import AcmeCA

    def factory(key: PrivateKey) -> AcmeCA:
        return AcmeCA(request.directory, key, clock=clock, ca_bundle=request.ca_bundle, timeout=min(request.timeout, 30.0))

    return factory


def _key_to_certify(request: IssueRequest) -> PrivateKey:
    """The key the certificate is for: the one given (--reuse-key, --next-key) or a new one."""
    if request.key_pem is None:
        return build.new_key(request.key_type)
    return read_private_key(request.key_pem, source=f"the key to certify (in {request.out})")


@dataclass(frozen=True)
class _Session:
    """What the talk with the CA needs besides the CA itself: the request, where accounts are
    kept, the clock and where progress lines go."""

    request: IssueRequest
    accounts: AccountStore
    clock: Clock
    say: Say

    @property
    def host(self) -> str:
        return urlsplit(self.request.directory).netloc or self.request.directory


def _obtain(session: _Session, ca_factory: CaFactory, csr_pem: bytes, solver: Solver) -> str:
    """Account, order, challenges (published by ``solver`` and taken down whatever happens),
    finalisation: the full chain the CA issued, as PEM."""
    request, say = session.request, session.say
    stored = session.accounts.load(request.directory)
    folder = session.accounts.folder(request.directory)
    account_key = _load_key(stored.key_pem, folder) if stored else build.new_key(KeyType.ECDSA_P256)
    with ca_factory(account_key) as ca:
        ca.connect()
        order = _open_order(session, ca, stored, account_key, csr_pem)
        tasks = ca.tasks(order, solver.kind)
        reused = len(order.identifiers) - len(tasks)
        say(f"Order: {len(order.identifiers)} name(s); {solver.describe()}" + (f"; {reused} already validated" if reused else ""))
        deadline = session.clock.now() + timedelta(seconds=request.timeout)
        if not tasks:
            return ca.finalize(order, deadline)
        with solver.publish(tasks):
            ca.answer(tasks)
            return ca.finalize(order, deadline)


def _open_order(session: _Session, ca: AcmeCA, stored: StoredAccount | None, account_key: PrivateKey, csr_pem: bytes) -> Order:
    """The order for ``csr_pem`` under the stored account, or a new one (only with
    ``agree_tos``) when there is none or the CA no longer knows the stored one."""
    from mailcert.issue.client import AccountUnknown  # with the acme library: for start-up time

    request = session.request
    if stored is None:
        _register(session, ca, account_key)
    else:
        ca.use_account(stored.uri)
        session.say(f"Account: {stored.uri}")
        if request.email and f"mailto:{request.email}" not in stored.contact:
            session.say(f"  note: the email {request.email} applies to a new account; this one keeps {', '.join(stored.contact) or 'no contact'}")
    try:
        return ca.new_order(csr_pem)
    except AccountUnknown:
        if not request.agree_tos:
            raise InputError(
                f"the CA at {session.host} does not know the account stored in {session.accounts.folder(request.directory)};"
                " run again with agree_tos to register a new one",
                mentions=("agree_tos",),
            ) from None
        _register(session, ca, account_key)
        return ca.new_order(csr_pem)


def _register(session: _Session, ca: AcmeCA, account_key: PrivateKey) -> str:
    """Register a new account with ``account_key`` and keep it (0600); only when the terms of
    service were agreed to (``agree_tos``)."""
    request = session.request
    if not request.agree_tos:
        tos = ca.terms_of_service
        read = f"read the CA's terms of service ({tos}) and" if tos else "agree to the CA's terms of service:"
        raise InputError(f"no account with {session.host} yet: {read} run again with agree_tos to register one", mentions=("agree_tos",))
    uri = ca.register(request.email)
    contact = (f"mailto:{request.email}",) if request.email else ()
    account = StoredAccount(request.directory, uri, build.key_to_pem(account_key), contact)
    folder = session.accounts.save(account, now=session.clock.now())
    session.say(f"Account: registered {uri} (key kept in {folder})")
    return uri


def _judged(
    plan: ClientPlan, leaf: x509.Certificate, chain: Sequence[x509.Certificate], mail_name: str,
    profiles: Sequence[ClientProfile], say: Say,
) -> IssueOutcome:
    """The issued certificate judged by every configured client for the mail name (the CA may
    have re-ordered or left out names): INSTALLED, or CLIENT_REFUSED with the refusals."""
    issued = build.san_names(leaf)
    say(f"Issued: names in certificate order: {', '.join(issued) or '(none)'}")
    missing = [n for n in plan.requested if n not in issued]
    if missing:
        say(f"  note: the CA left out {', '.join(missing)}")
    refusals = tuple(v for v in judge_issued(leaf, mail_name, profiles) if not v.accepted)
    status = IssueStatus.CLIENT_REFUSED if refusals else IssueStatus.INSTALLED
    return IssueOutcome(status, plan, issued_names=issued, refusals=refusals,
                        not_after=leaf.not_valid_after_utc, chain_length=len(chain))


def _install(
    request: IssueRequest, state: Path, clock: Clock, leaf: x509.Certificate, chain: Sequence[x509.Certificate], key: PrivateKey
) -> list[str]:
    """Step 5: every file in ``out`` at once, and the lineage recorded for ``acme renew``."""
    out = request.out
    ensure_dir(out)
    written = write_planned(bundle_files(out, leaf, chain, key))
    if request.consume_next_key:
        (out / "next-key.pem").unlink(missing_ok=True)  # it is key.pem now; mailcert dane makes the following one
    LineageStore(state).record(
        Lineage(
            out=str(out.resolve()),
            names=request.names,
            directory=request.directory,
            challenge=request.challenge,
            key_type=request.key_type.value,
            clients=request.clients,
            ca_sorts_names=request.ca_sorts_names.value,
            ca_bundle=str(Path(request.ca_bundle).resolve()) if request.ca_bundle else None,
            issued_at=clock.now().isoformat(timespec="seconds"),
            not_after=leaf.not_valid_after_utc.isoformat(timespec="seconds"),
        ),
        now=clock.now(),
    )
    return written


def _installed_chain(out: Path) -> list[bytes] | None:
    """The chain now in ``out`` (DER), for the TLSA guard: the key it replaces."""
    try:
        certs = x509.load_pem_x509_certificates((out / "fullchain.pem").read_bytes())
    except (OSError, ValueError):
        return None
    return [c.public_bytes(Encoding.DER) for c in certs]


def _since(clock: Clock, started: datetime) -> float:
    return (clock.now() - started).total_seconds()


def _split_chain(fullchain: str, key: PrivateKey) -> tuple[x509.Certificate, tuple[x509.Certificate, ...]]:
    try:
        certs = x509.load_pem_x509_certificates(fullchain.encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        raise OperationError("the CA sent a certificate that cannot be read (not a PEM chain)") from None
    leaf = certs[0]
    if not build.key_matches(key, leaf):
        raise OperationError("the CA sent a certificate for a different key than the one requested; nothing was installed")
    return leaf, tuple(certs[1:])


def _keep_refused(
    state: Path, name: str, leaf: x509.Certificate, chain: Sequence[x509.Certificate], key: PrivateKey, now: datetime
) -> Path:
    """Keep what the CA issued (it counts against rate limits) where it is never served."""
    folder = acme_dir(state) / "refused" / f"{name}-{now:%Y%m%dT%H%M%SZ}"
    ensure_dir(folder.parent)
    ensure_dir(folder)
    write_files(bundle_files(folder, leaf, chain, key), backup=False)
    return folder
