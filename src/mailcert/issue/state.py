"""mailcert's ACME state: the account per CA and the list of certificates it issued (lineages).

Where it lives, first match wins (the environment and the effective uid are passed in):

1. ``--state-dir DIR``;
2. ``$MAILCERT_STATE_DIR``;
3. ``/var/lib/mailcert`` when running as root (what the systemd timer and cron use);
4. ``$XDG_STATE_HOME/mailcert`` (``~/.local/state/mailcert``) otherwise.

Layout (the directory is created 0700; it holds account keys)::

    STATE/acme/accounts/<ca-host>-<hash of directory URL>/key.pem       account key, 0600
                                                         /account.json  {"directory", "uri", "contact"}
    STATE/acme/lineages.json                                            what ``acme renew`` renews
    STATE/acme/refused/<first name>-<UTC stamp>/                        issued, but refused by a client
    STATE/acme/lock                                                     one issue/renew at a time

Every file is written with :mod:`mailcert.fsutil` (atomic, exact mode).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from mailcert import fsutil
from mailcert.errors import InputError, OperationError
from mailcert.paths import mailcert_dir

__all__ = [
    "AccountStore",
    "ChallengeSpec",
    "Lineage",
    "LineageStore",
    "StoredAccount",
    "acme_dir",
    "exclusive",
    "state_dir",
]



def state_dir(explicit: str | os.PathLike[str] | None, *, env: Mapping[str, str], euid: int) -> Path:
    """Which state directory to use, by the rules in the module docstring."""
    if explicit:
        return Path(explicit)
    if env.get("MAILCERT_STATE_DIR"):
        return Path(env["MAILCERT_STATE_DIR"])

    return mailcert_dir("state", env=env, euid=euid)


def acme_dir(state: Path) -> Path:
    """``STATE/acme``, created 0700 when missing; tightened to 0700 when others can write to it
    (refused when it is not ours): it holds account keys."""
    fsutil.ensure_dir(state, mode=0o700, parents_mode=0o700, private=True)
    return fsutil.ensure_dir(state / "acme", mode=0o700, private=True)


@contextlib.contextmanager
def exclusive(state: Path) -> Iterator[None]:
    """Hold ``STATE/acme/lock`` so two runs never write the same account or lineage at once."""
    path = acme_dir(state) / "lock"
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    except OSError as exc:
        raise OperationError(f"cannot open {path}: {exc.strerror or exc}") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise OperationError(f"another mailcert acme run holds {path}; try again when it has finished") from None
        yield
    finally:
        os.close(fd)  # closing releases the lock


# --- accounts -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class StoredAccount:
    """An account registered with one CA: its key (PEM) and its URL at the CA."""

    directory: str
    uri: str
    key_pem: bytes
    contact: tuple[str, ...] = ()


class AccountStore:
    """One account per directory URL, registered once and reused."""

    def __init__(self, state: Path) -> None:
        self.state = state

    def folder(self, directory: str) -> Path:
        host = (urlsplit(directory).hostname or "ca").lower()
        safe = "".join(c if c.isalnum() or c in ".-" else "_" for c in host)
        digest = hashlib.sha256(directory.encode("utf-8")).hexdigest()[:12]
        return self.state / "acme" / "accounts" / f"{safe}-{digest}"

    def load(self, directory: str) -> StoredAccount | None:
        folder = self.folder(directory)
        try:
            meta = json.loads((folder / "account.json").read_text("utf-8"))
            key_pem = (folder / "key.pem").read_bytes()
        except FileNotFoundError:
            return None
        except (OSError, ValueError, UnicodeDecodeError) as exc:
            raise InputError(f"cannot read the stored ACME account in {folder}: {exc}; move the folder away to register anew") from None
        if not isinstance(meta, dict) or not isinstance(meta.get("uri"), str):
            raise InputError(f"{folder / 'account.json'} has no account URL; move the folder away to register anew")
        contact = meta.get("contact") or []
        return StoredAccount(directory, meta["uri"], key_pem, tuple(str(c) for c in contact))

    def save(self, account: StoredAccount, *, now: datetime | None = None) -> Path:
        """Write the account (key 0600, metadata 0600) as one change; return its folder."""
        folder = self.folder(account.directory)
        acme_dir(self.state)
        fsutil.ensure_dir(folder.parent, mode=0o700, private=True)
        fsutil.ensure_dir(folder, mode=0o700, private=True)
        meta = {"directory": account.directory, "uri": account.uri, "contact": list(account.contact)}
        fsutil.write_files(
            [
                fsutil.PlannedFile(folder / "key.pem", account.key_pem, fsutil.KEY_MODE),
                fsutil.PlannedFile(folder / "account.json", (json.dumps(meta, indent=2) + "\n").encode(), 0o600),
            ],
            now=now,
        )
        return folder


# --- lineages -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChallengeSpec:
    """How the CA's challenges are answered, as given on the command line.

    ``method``: ``http`` (built-in listener on ``http_address:http_port``), ``webroot``
    (files under ``webroot``) or ``dns`` (``dns_hook`` adds and removes TXT records).
    """

    method: str = "http"
    http_port: int = 80
    http_address: str = ""
    webroot: str | None = None
    dns_hook: str | None = None

    def describe(self) -> str:
        if self.method == "webroot":
            return f"http-01 through the web server's root {self.webroot}"
        if self.method == "dns":
            return "dns-01 through the hook"
        where = self.http_address or "every address"
        return f"http-01 on {where} port {self.http_port} (built-in listener)"


@dataclass(frozen=True)
class Lineage:
    """One certificate mailcert issued and keeps renewed: everything needed to issue it again."""

    out: str
    names: tuple[str, ...]
    directory: str
    challenge: ChallengeSpec = field(default_factory=ChallengeSpec)
    key_type: str = "rsa2048"
    clients: tuple[str, ...] = ()
    ca_sorts_names: str = "auto"
    ca_bundle: str | None = None
    issued_at: str = ""
    not_after: str = ""

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["names"] = list(self.names)
        data["clients"] = list(self.clients)
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Lineage:
        challenge = ChallengeSpec(**dict(data.get("challenge") or {}))
        return cls(
            out=str(data["out"]),
            names=tuple(str(n) for n in data["names"]),
            directory=str(data["directory"]),
            challenge=challenge,
            key_type=str(data.get("key_type", "rsa2048")),
            clients=tuple(str(c) for c in data.get("clients") or ()),
            ca_sorts_names=str(data.get("ca_sorts_names", "auto")),
            ca_bundle=data.get("ca_bundle"),
            issued_at=str(data.get("issued_at", "")),
            not_after=str(data.get("not_after", "")),
        )


class LineageStore:
    """``STATE/acme/lineages.json``: the certificates ``acme renew`` looks after, keyed by ``--out``."""

    VERSION = 1

    def __init__(self, state: Path) -> None:
        self.state = state
        self.path = state / "acme" / "lineages.json"

    def load(self) -> list[Lineage]:
        try:
            data = json.loads(self.path.read_text("utf-8"))
        except FileNotFoundError:
            return []
        except (OSError, ValueError, UnicodeDecodeError) as exc:
            raise InputError(f"cannot read {self.path}: {exc}") from None
        try:
            return [Lineage.from_json(item) for item in data["lineages"]]
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(f"{self.path} is not a lineage list mailcert wrote ({type(exc).__name__}: {exc})") from None

    def save(self, lineages: Sequence[Lineage], *, now: datetime | None = None) -> None:
        acme_dir(self.state)
        doc = {"version": self.VERSION, "lineages": [lin.to_json() for lin in lineages]}
        fsutil.write_atomic(self.path, (json.dumps(doc, indent=2) + "\n").encode(), mode=0o600, backup=False, now=now)

    def record(self, lineage: Lineage, *, now: datetime | None = None) -> None:
        """Add ``lineage``, replacing the one with the same ``out``."""
        kept = [lin for lin in self.load() if lin.out != lineage.out]
        self.save([*kept, lineage], now=now)
