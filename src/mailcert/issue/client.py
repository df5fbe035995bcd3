"""The one class that talks to the ACME CA: :class:`AcmeCA`, over certbot's ``acme`` library.

``acme`` keeps messages pure and the network in ``ClientNetwork``, passed into ``ClientV2``;
this module keeps that shape and adds what a mail server's unattended renewal needs:

* **Polling that does not waste seconds.**  ``ClientV2.poll_and_finalize`` is used with a
  deadline, but its authorization and order polls are overridden: every pending
  authorization is polled in each round (not one after the other), the first waits are short
  (50 ms, growing by half to 3 s) because a CA that validates at once (Pebble with
  ``PEBBLE_VA_NOSLEEP``) answers in milliseconds, an order that is already valid after the
  finalize request is downloaded without a wait, and ``Retry-After`` is honoured (but never
  past the deadline).  The clock is passed in.
* **badNonce survived.**  ``ClientNetwork.post`` retries a rejected nonce once; a CA under
  load (or Pebble's ``PEBBLE_WFE_NONCEREJECT``) can reject several in a row, so we retry up
  to :data:`NONCE_ATTEMPTS` times.  A badNonce request was refused before it was processed,
  so sending it again is safe.
* **A timeout on every request** (``ClientNetwork(timeout=...)``) and the overall deadline on
  validation and issuance.
* **One-line errors.**  Every exception from ``acme``, ``josepy`` and ``requests`` is
  translated here, at the boundary, into an :class:`~mailcert.errors.OperationError` that
  says which step failed and what the CA said.

Nothing here writes files or prints.
"""

from __future__ import annotations

import contextlib
import logging
import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any, cast
from urllib.parse import urlsplit

import requests
from acme import errors, messages
from acme.client import ClientNetwork, ClientV2
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from josepy.errors import DeserializationError
from josepy.jwa import ES256, ES384, RS256
from josepy.jwk import JWK, JWKEC, JWKRSA

from mailcert._version import __version__
from mailcert.errors import OperationError
from mailcert.issue.challenges import DNS01, HTTP01, ChallengeTask
from mailcert.issue.clock import Clock

__all__ = ["NONCE_ATTEMPTS", "AcmeCA", "AccountUnknown", "Order", "poll_waits", "retry_after_seconds"]

logger = logging.getLogger(__name__)

NONCE_ATTEMPTS = 20
"""How often one request is sent with a fresh nonce before a badNonce error is final."""

FIRST_WAIT = 0.05
MAX_WAIT = 3.0
GROWTH = 1.5


class AccountUnknown(OperationError):
    """The CA does not know the stored account (a test CA restarted, or the account was deactivated)."""


def poll_waits(first: float = FIRST_WAIT, cap: float = MAX_WAIT, growth: float = GROWTH) -> Iterator[float]:
    """Seconds to wait before each poll: short first, growing by half up to ``cap``.

    Growing by half, not doubling, keeps the time lost after the CA is done below about a
    third of the time it took (doubling loses up to as much again).
    """
    wait = first
    while True:
        yield round(wait, 3)
        wait = min(cap, wait * growth)


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """Seconds a ``Retry-After`` header asks for (delta-seconds or an HTTP date), None if absent or bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - now).total_seconds())


class _Network(ClientNetwork):
    """``ClientNetwork`` that survives runs of rejected nonces."""

    def post(self, *args: Any, **kwargs: Any) -> requests.Response:
        for attempt in range(1, NONCE_ATTEMPTS + 1):
            try:
                return self._post_once(*args, **kwargs)
            except messages.Error as error:
                if error.code != "badNonce" or attempt == NONCE_ATTEMPTS:
                    raise
                logger.debug("badNonce on attempt %d of %d; sending again with a fresh nonce", attempt, NONCE_ATTEMPTS)
        raise AssertionError("unreachable")  # pragma: no cover


class _Client(ClientV2):
    """``ClientV2`` whose polling uses the passed-in clock, short first waits and Retry-After."""

    def __init__(self, directory: messages.Directory, net: ClientNetwork, clock: Clock) -> None:
        super().__init__(directory, net)
        self.clock = clock

    def _remaining(self, deadline: datetime) -> float:
        # acme's deadlines are naive local times; astimezone() reads a naive value as local
        return (deadline.astimezone(timezone.utc) - self.clock.now()).total_seconds()

    def _wait(self, waits: Iterator[float], response: requests.Response | None, deadline: datetime) -> None:
        remaining = self._remaining(deadline)
        if remaining <= 0:
            raise errors.TimeoutError()
        wait = next(waits)
        if response is not None:
            asked = retry_after_seconds(response.headers.get("Retry-After"), self.clock.now())
            if asked is not None:
                wait = max(wait, asked)
        self.clock.sleep(min(wait, remaining))

    def poll_authorizations(self, orderr: messages.OrderResource, deadline: datetime) -> messages.OrderResource:
        current: dict[str, messages.AuthorizationResource] = {a.uri: a for a in orderr.authorizations}
        pending = [a.uri for a in orderr.authorizations if a.body.status == messages.STATUS_PENDING]
        waits = poll_waits()
        last: requests.Response | None = None
        while pending:
            self._wait(waits, last, deadline)
            for uri in list(pending):
                authzr, last = self.poll(current[uri])
                current[uri] = authzr
                if authzr.body.status != messages.STATUS_PENDING:
                    pending.remove(uri)
        done = [current[a.uri] for a in orderr.authorizations]
        failed = [a for a in done if a.body.status != messages.STATUS_VALID]
        if failed:
            raise errors.ValidationError(failed)
        updated: messages.OrderResource = orderr.update(authorizations=done)
        return updated

    def finalize_order(
        self, orderr: messages.OrderResource, deadline: datetime, fetch_alternative_chains: bool = False
    ) -> messages.OrderResource:
        try:
            orderr = self.begin_finalization(orderr)
        except messages.Error as e:
            if e.code != "orderNotReady":
                raise
        return self.poll_finalization(orderr, deadline, fetch_alternative_chains)

    def poll_finalization(
        self, orderr: messages.OrderResource, deadline: datetime, fetch_alternative_chains: bool = False
    ) -> messages.OrderResource:
        body = orderr.body
        response: requests.Response | None = None
        waits = poll_waits()
        finalized_again = False
        while True:
            if body.status == messages.STATUS_INVALID:
                if body.error is not None:
                    raise errors.IssuanceError(body.error)
                raise errors.Error("the CA marked the order invalid and gave no reason")
            if body.status == messages.STATUS_VALID and body.certificate is not None:
                certificate = self._post_as_get(body.certificate)
                done: messages.OrderResource = orderr.update(body=body, fullchain_pem=certificate.text)
                return done
            if body.status == messages.STATUS_READY and not finalized_again:
                # an earlier finalize met orderNotReady: the CA is ready now
                orderr = self.begin_finalization(orderr)
                finalized_again = True
                body = orderr.body
                continue
            self._wait(waits, response, deadline)
            response = self._post_as_get(orderr.uri)
            body = messages.Order.from_json(response.json())


@dataclass(frozen=True)
class Order:
    """An order in progress: the CA's order resource and what it asks us to publish."""

    resource: Any  # acme.messages.OrderResource
    identifiers: tuple[str, ...]

    @property
    def uri(self) -> str:
        return str(self.resource.uri)


class AcmeCA:
    """An ACME CA at ``directory_url``, talked to with ``account_key``.

    ``ca_bundle`` is a PEM file of CA certificates to verify the CA's HTTPS listener with
    (a private CA, Pebble); None uses the system's.  ``timeout`` bounds every request.
    """

    def __init__(
        self,
        directory_url: str,
        account_key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey,
        *,
        clock: Clock,
        ca_bundle: str | None = None,
        timeout: float = 30.0,
    ) -> None:
        self.directory_url = directory_url
        self.clock = clock
        self.timeout = timeout
        self._host = urlsplit(directory_url).netloc or directory_url
        if isinstance(account_key, ec.EllipticCurvePrivateKey):
            self.jwk: JWK = JWKEC(key=account_key)
            alg = ES384 if account_key.curve.key_size >= 384 else ES256
        else:
            self.jwk = JWKRSA(key=account_key)
            alg = RS256
        self._ca_bundle = ca_bundle
        # acme types verify_ssl as bool but hands it to requests' verify=, which takes a CA file
        verify = cast(bool, ca_bundle) if ca_bundle else True
        self.net = _Network(
            self.jwk,
            alg=alg,
            verify_ssl=verify,
            user_agent=f"mailcert/{__version__} (acme-python)",
            timeout=max(1, math.ceil(timeout)),
        )
        self._client: _Client | None = None
        self._answers: dict[str, tuple[Any, Any]] = {}

    # --- plumbing -------------------------------------------------------------------------------

    def close(self) -> None:
        self.net.session.close()

    def __enter__(self) -> AcmeCA:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def client(self) -> _Client:
        if self._client is None:
            with self._step("reading the CA's directory"):
                directory = ClientV2.get_directory(self.directory_url, self.net)
            self._client = _Client(directory, self.net, self.clock)
        return self._client

    def connect(self) -> None:
        """Read the directory (the first request; an unreachable CA fails here)."""
        _ = self.client

    @property
    def terms_of_service(self) -> str | None:
        meta = self.client.directory.meta
        tos = getattr(meta, "terms_of_service", None)
        return str(tos) if tos else None

    @contextlib.contextmanager
    def _step(self, what: str) -> Iterator[None]:
        """Translate every foreign exception into one line naming the step."""
        try:
            yield
        except OperationError:
            raise
        except errors.ValidationError as exc:
            raise OperationError(f"{what}: {_validation_failures(exc.failed_authzrs)}") from None
        except errors.TimeoutError:
            raise OperationError(f"{what}: the CA did not finish within the deadline (timeout)", mentions=("timeout",)) from None
        except errors.IssuanceError as exc:
            raise OperationError(f"{what}: the CA refused to issue: {_problem(exc.error)}") from None
        except messages.Error as exc:
            if exc.code == "accountDoesNotExist":
                raise AccountUnknown(f"{what}: the CA at {self._host} does not know the stored account") from None
            raise OperationError(f"{what}: the CA said: {_problem(exc)}") from None
        except errors.ConflictError as exc:
            raise OperationError(f"{what}: the CA reported a conflict with {exc.location}") from None
        except requests.exceptions.SSLError as exc:
            hint = "" if self._ca_bundle else "; for a private CA give its certificate with ca_bundle FILE"
            raise OperationError(f"{what}: cannot verify the TLS certificate of {self._host} ({_innermost(exc)}){hint}",
                                 mentions=("ca_bundle",)) from None
        except requests.exceptions.Timeout:
            raise OperationError(f"{what}: no answer from {self._host} within {self.timeout:g} s") from None
        except requests.exceptions.ConnectionError as exc:
            raise OperationError(f"{what}: cannot connect to {self._host}: {_innermost(exc)}") from None
        except requests.exceptions.RequestException as exc:
            raise OperationError(f"{what}: {_innermost(exc)}") from None
        except (errors.Error, DeserializationError, ValueError) as exc:
            raise OperationError(f"{what}: the CA's answer was not understood ({_one_line(str(exc)) or type(exc).__name__})") from None

    # --- account --------------------------------------------------------------------------------

    def register(self, email: str | None) -> str:
        """Register a new account (terms agreed: the caller checked ``--agree-tos``); its URL."""
        fields: dict[str, Any] = {"terms_of_service_agreed": True}
        if email:
            fields["email"] = email
        self.net.account = None  # newAccount is signed with the key itself (jwk), never a kid
        with self._step("registering an account"):
            try:
                regr = self.client.new_account(messages.NewRegistration.from_data(**fields))
            except errors.ConflictError as exc:  # this key already has an account: use it
                self.use_account(exc.location)
                return str(exc.location)
        return str(regr.uri)

    def use_account(self, uri: str) -> None:
        """Sign with the account at ``uri`` (registered earlier) from now on."""
        self.net.account = messages.RegistrationResource(uri=uri, body=messages.Registration())

    # --- order ----------------------------------------------------------------------------------

    def new_order(self, csr_pem: bytes) -> Order:
        with self._step("creating the order"):
            resource = self.client.new_order(csr_pem)
        idents = tuple(str(a.body.identifier.value) for a in resource.authorizations)
        return Order(resource, idents)

    def tasks(self, order: Order, kind: str) -> list[ChallengeTask]:
        """What to publish for every authorization still pending (valid ones are reused)."""
        out: list[ChallengeTask] = []
        for authzr in order.resource.authorizations:
            body = authzr.body
            ident = str(body.identifier.value)
            if body.status == messages.STATUS_VALID:
                continue
            if body.status != messages.STATUS_PENDING:
                raise OperationError(f"the CA's authorization for {ident} is {body.status}, not pending; run again")
            offered = [c for c in body.challenges if getattr(c.chall, "typ", None) == kind]
            if not offered:
                names = ", ".join(sorted({str(getattr(c.chall, "typ", "?")) for c in body.challenges}))
                hint = "give dns_hook CMD" if kind == HTTP01 else "use http-01 (http_port or webroot)"
                wild = " (a wildcard needs dns-01)" if body.wildcard else ""
                raise OperationError(f"the CA offers no {kind} challenge for {ident}{wild} (it offers: {names}); {hint}",
                                     mentions=("dns_hook", "http_port", "webroot"))
            challb = offered[0]
            response, validation = challb.response_and_validation(self.jwk)
            token = challb.chall.encode("token")
            record = ""
            if kind == DNS01:
                record = challb.chall.validation_domain_name(ident)
            self._answers[f"{kind}:{ident}:{token}"] = (challb, response)
            out.append(ChallengeTask(ident, kind, token, str(validation), record))
        return out

    def answer(self, tasks: Sequence[ChallengeTask]) -> None:
        """Tell the CA the answers are published (after the solver published them)."""
        for t in tasks:
            challb, response = self._answers[f"{t.kind}:{t.identifier}:{t.token}"]
            with self._step(f"answering the {t.kind} challenge for {t.identifier}"):
                self.client.answer_challenge(challb, response)

    def finalize(self, order: Order, deadline: datetime) -> str:
        """Wait for validation, finalize, download: the full chain PEM (leaf first)."""
        naive_local = deadline.astimezone().replace(tzinfo=None)  # acme compares with datetime.now()
        with self._step("validating and issuing"):
            done = self.client.poll_and_finalize(order.resource, naive_local)
        return str(done.fullchain_pem)


# --- messages -----------------------------------------------------------------------------------


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _problem(error: Any) -> str:
    """``detail (type)`` of an ACME problem document."""
    detail = _one_line(str(getattr(error, "detail", "") or getattr(error, "description", "") or error))
    code = getattr(error, "code", None) or str(getattr(error, "typ", "") or "").rsplit(":", 1)[-1]
    return f"{detail} ({code})" if code and code not in detail else detail


def _validation_failures(authzrs: Sequence[Any]) -> str:
    parts: list[str] = []
    for authzr in authzrs:
        ident = str(authzr.body.identifier.value)
        said = [
            f"{getattr(c.chall, 'typ', '?')} for {ident} failed: {_problem(c.error)}"
            for c in authzr.body.challenges
            if c.error is not None
        ]
        parts.extend(said or [f"the authorization for {ident} is {authzr.body.status}"])
    return "; ".join(parts) or "validation failed"


_ERRNO = re.compile(r"\[Errno -?\d+\] ([^'\")]+)")


def _innermost(exc: BaseException) -> str:
    """The useful end of a requests/urllib3 error ("Connection refused", "certificate verify failed")."""
    text = str(exc)
    m = _ERRNO.search(text)
    if m:
        return m.group(1).strip()
    m = re.search(r"certificate verify failed: ([^(')\"]+)", text)
    if m:
        return "certificate verify failed: " + m.group(1).strip()
    return _one_line(text)[:200]

