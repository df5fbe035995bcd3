"""The inventory: every scan and every target's result, kept so reports can say what changed.

SQLAlchemy Core over SQLite (default: a file in the XDG data dir) or PostgreSQL
(``postgresql+psycopg://...``; ``postgresql://`` and ``postgres://`` mean the same).  The
schema is created and migrated by the tool itself when the inventory is opened: a
``schema_version`` table holds the version, and :data:`MIGRATIONS` take a database from any
older version to :data:`SCHEMA_VERSION`, one step per transaction.  Each migration spells out
its own DDL (never the current :class:`~sqlalchemy.Table` objects), so an old step means today
what it meant when it was written.

Consistency: a scan's results and its ``done`` counter are written in the same transaction,
so an interrupted scan (Ctrl-C, a killed worker) leaves ``done`` equal to the rows it has, and
``state`` says whether it finished (``finished``), was stopped (``interrupted``) or is still
running or died (``running``).

Only :mod:`mailcert.scan` and :mod:`mailcert.commands` import this module (SQLAlchemy loads
only for ``scan`` and ``report``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import json
import os
import re
import sqlite3
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from mailcert import fsutil
from mailcert._version import __version__
from mailcert.errors import InputError, OperationError
from mailcert.findings import CATALOGUE, Facts, FactValue, Finding, Severity
from mailcert.memo import ByIdentity
from mailcert.paths import mailcert_dir

__all__ = [
    "SCHEMA_VERSION",
    "MIGRATIONS",
    "Inventory",
    "InventoryPlaceError",
    "ScanRow",
    "ResultRow",
    "StoredFinding",
    "default_url",
    "normalise_url",
]

SCHEMA_VERSION: Final = 3


class InventoryPlaceError(InputError):
    """The inventory cannot be created or opened where it was asked to be (or, by default,
    where the user's data directory is): an unwritable or missing HOME, a read-only disk.
    ``path`` is the file, so the CLI can say it and how to choose another place."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"cannot create the inventory {path}: {reason}")
        self.path = path


class UtcDateTime(sa.types.TypeDecorator[dt.datetime]):
    """Timestamps stored as naive UTC everywhere (SQLite has no time zones), read back aware."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: sa.Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the inventory; pass UTC-aware times")
        return value.astimezone(dt.timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: dt.datetime | None, dialect: sa.Dialect) -> dt.datetime | None:
        return None if value is None else value.replace(tzinfo=dt.timezone.utc)


# --- the current schema (what the code reads and writes) -------------------------------------

metadata = sa.MetaData()

schema_version = sa.Table("schema_version", metadata, sa.Column("version", sa.Integer, nullable=False))

scans = sa.Table(
    "scans",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("started_at", UtcDateTime, nullable=False),
    sa.Column("finished_at", UtcDateTime),
    sa.Column("state", sa.String(16), nullable=False),  # running | finished | interrupted
    sa.Column("targets", sa.Integer),  # how many were asked for, when known
    sa.Column("done", sa.Integer, nullable=False),
    sa.Column("options", sa.Text, nullable=False),  # JSON: how the scan was run
    sa.Column("tool_version", sa.String(32)),  # v2
)

results = sa.Table(
    "results",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("scan_id", sa.Integer, sa.ForeignKey("scans.id", ondelete="CASCADE"), nullable=False),
    sa.Column("target", sa.Text, nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("status", sa.String(8), nullable=False),
    sa.Column("error", sa.Text),
    sa.Column("fingerprint", sa.String(64)),
    sa.Column("not_after", UtcDateTime),
    sa.Column("findings", sa.Text, nullable=False),  # JSON [{"code", "severity", "facts"[, "recorded"]}, ...] (v3)
    sa.Column("verdicts", sa.Text, nullable=False),  # JSON {client: accepted}
    sa.Column("checked_at", UtcDateTime, nullable=False),
    # v2
    sa.Column("url", sa.Text),
    sa.Column("subject", sa.Text),
    sa.Column("issuer", sa.Text),
    sa.Column("not_before", UtcDateTime),
    sa.Column("trusted", sa.Boolean),
    sa.Column("elapsed_ms", sa.Float),
)


# --- migrations: version N-1 -> N, each self-contained -----------------------------------------


def _v1(conn: Connection) -> None:
    """The first inventory: scans and their per-target status, certificate, findings, verdicts."""
    m = sa.MetaData()
    sa.Table(
        "scans", m,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("started_at", sa.DateTime, nullable=False),
        sa.Column("finished_at", sa.DateTime),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("targets", sa.Integer),
        sa.Column("done", sa.Integer, nullable=False),
        sa.Column("options", sa.Text, nullable=False),
    )
    sa.Table(
        "results", m,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("scan_id", sa.Integer, sa.ForeignKey("scans.id", ondelete="CASCADE"), nullable=False),
        sa.Column("target", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("error", sa.Text),
        sa.Column("fingerprint", sa.String(64)),
        sa.Column("not_after", sa.DateTime),
        sa.Column("findings", sa.Text, nullable=False),
        sa.Column("verdicts", sa.Text, nullable=False),
        sa.Column("checked_at", sa.DateTime, nullable=False),
        sa.Index("results_scan", "scan_id"),
    )
    m.create_all(conn)


def _v2(conn: Connection) -> None:
    """Certificate identity for reports (URL, subject, issuer, validity start, trust, time taken),
    the tool version of each scan, and an index to follow one target across scans."""
    for table, name, kind in (
        ("results", "url", sa.Text()),
        ("results", "subject", sa.Text()),
        ("results", "issuer", sa.Text()),
        ("results", "not_before", sa.DateTime()),
        ("results", "trusted", sa.Boolean()),
        ("results", "elapsed_ms", sa.Float()),
        ("scans", "tool_version", sa.String(32)),
    ):
        conn.execute(sa.text(f"ALTER TABLE {table} ADD COLUMN {name} {kind.compile(dialect=conn.dialect)}"))
    conn.execute(sa.text("CREATE INDEX results_target ON results (target, name)"))


def _v3(conn: Connection) -> None:
    """Findings kept as codes and facts, worded by the catalogue when read: each stored
    ``[code, severity, title, remedy(, facts)]`` becomes ``{"code", "severity", "facts"}``, plus
    ``"recorded": [title, remedy]`` where the catalogue cannot word it (see :func:`_stored_v3`).
    Rewritten in pages of rows, by id, within this step's one transaction."""
    last = 0
    select = sa.text("SELECT id, findings FROM results WHERE id > :last AND findings <> '[]' ORDER BY id LIMIT 1000")
    update = sa.text("UPDATE results SET findings = :findings WHERE id = :id")
    while page := conn.execute(select, {"last": last}).all():
        last = page[-1][0]
        changed = []
        for row_id, text in page:
            new = _findings_v3(text)
            if new != text:
                changed.append({"id": row_id, "findings": new})
        if changed:
            conn.execute(update, changed)


def _findings_v3(text: str | None) -> str:
    """One row's findings in the v3 layout (already v3: unchanged; unreadable: kept as text)."""
    try:
        old = json.loads(text or "[]")
    except ValueError:
        old = None
    if not isinstance(old, list):
        # never lose data: what no mailcert wrote stays readable as one finding's words
        return json.dumps([{"code": "unreadable", "severity": "info", "facts": {}, "recorded": [str(text), ""]}])
    return json.dumps([_stored_v3(f) for f in old], ensure_ascii=False)


def _stored_v3(old: Any) -> Any:
    """One finding of schema 1 or 2 as schema 3 keeps it.

    The code is the stored one, or, for a code this mailcert does not know, the catalogue code
    whose title template matches the stored title (its facts read back from the title).  The
    stored words are kept (``recorded``) only when the catalogue cannot say them: an unknown
    code, or facts its templates need that were not kept (rows written before facts were)."""
    if isinstance(old, dict):
        return old  # already v3
    if not isinstance(old, list) or len(old) < 4:
        return {"code": "unreadable", "severity": "info", "facts": {}, "recorded": [json.dumps(old), ""]}
    code, severity, title, remedy = (str(x) for x in old[:4])
    facts = {k: v for k, v in old[4].items() if _plain(v)} if len(old) > 4 and isinstance(old[4], dict) else {}
    if code not in CATALOGUE:
        code, facts = _code_of_title(title, code, facts)
    stored: dict[str, Any] = {"code": code, "severity": severity, "facts": facts}
    if not _worded(code, facts):
        stored["recorded"] = [title, remedy]
    return stored


def _plain(value: object) -> bool:
    return value is None or isinstance(value, (str, int))


def _code_of_title(title: str, code: str, facts: dict[str, FactValue]) -> tuple[str, dict[str, FactValue]]:
    """The catalogue code whose title template words ``title`` (with the facts it holds), or
    ``code`` and ``facts`` unchanged when none does."""
    for spec in CATALOGUE.values():
        match = _title_pattern(spec.title).fullmatch(title)
        if match is not None:
            return spec.code, {**match.groupdict(), **facts}
    return code, facts


@functools.lru_cache(maxsize=None)
def _title_pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"\{(\w+)\}", template)
    seen: set[str] = set()
    out = []
    for i, part in enumerate(parts):
        if i % 2 == 0:
            out.append(re.escape(part))
        else:
            out.append(f"(?P={part})" if part in seen else f"(?P<{part}>.+?)")
            seen.add(part)
    return re.compile("".join(out), re.DOTALL)


def _worded(code: str, facts: Mapping[str, object]) -> bool:
    """Whether the catalogue words finding ``code`` completely from ``facts``."""
    spec = CATALOGUE.get(code)
    if spec is None:
        return False
    needed = set(re.findall(r"\{(\w+)\}", spec.title + spec.explanation + spec.remedy))
    return needed <= facts.keys()


MIGRATIONS: Final[tuple[Callable[[Connection], None], ...]] = (_v1, _v2, _v3)
"""``MIGRATIONS[i]`` takes the schema from version ``i`` to ``i + 1``."""
assert len(MIGRATIONS) == SCHEMA_VERSION


# --- reading ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScanRow:
    id: int
    started_at: dt.datetime
    finished_at: dt.datetime | None
    state: str
    targets: int | None
    done: int
    options: dict[str, Any]
    tool_version: str | None


@dataclass(frozen=True)
class StoredFinding:
    """A finding as the inventory keeps it: the :class:`~mailcert.findings.Finding` (code,
    severity, facts), worded by the catalogue; ``recorded`` holds the (title, remedy) an older
    mailcert stored, for the rare old row the catalogue cannot word (an unknown code, facts
    that were not kept then)."""

    finding: Finding
    recorded: tuple[str, str] | None = None

    @property
    def code(self) -> str:
        return self.finding.code

    @property
    def severity(self) -> str:
        return self.finding.severity.value

    @property
    def facts(self) -> Facts:
        return self.finding.facts

    @property
    def title(self) -> str:
        return self._words()[0]

    @property
    def explanation(self) -> str:
        """The catalogue's explanation for these facts ("" for recorded words: none was kept)."""
        return self._words()[1]

    @property
    def remedy(self) -> str:
        return self._words()[2]

    def _words(self) -> tuple[str, str, str]:
        if self.recorded is not None:
            return (self.recorded[0], "", self.recorded[1])
        if self.code not in CATALOGUE:  # written by a newer mailcert: the code is all it can say
            return (self.code, "", "")
        return (self.finding.title, self.finding.explanation, self.finding.remedy)


@dataclass(frozen=True)
class ResultRow:
    scan_id: int
    target: str
    name: str
    status: str
    error: str | None
    url: str | None
    fingerprint: str | None
    subject: str | None
    issuer: str | None
    not_before: dt.datetime | None
    not_after: dt.datetime | None
    trusted: bool | None
    findings: tuple[StoredFinding, ...]
    verdicts: dict[str, bool]
    checked_at: dt.datetime
    elapsed_ms: float | None

    @property
    def key(self) -> tuple[str, str]:
        """What identifies a target across scans."""
        return (self.target, self.name)


# --- the inventory ------------------------------------------------------------------------


def default_url() -> str:
    """``sqlite:///$XDG_DATA_HOME/mailcert/inventory.sqlite3`` (``~/.local/share`` by default)."""
    return f"sqlite:///{mailcert_dir('data', env=os.environ, euid=os.geteuid()) / 'inventory.sqlite3'}"


def normalise_url(url: str | None) -> str:
    """``--db``: a database URL, or a file path meaning SQLite; PostgreSQL always via psycopg 3."""
    if not url:
        return default_url()
    for prefix in ("postgresql://", "postgres://", "postgresql+psycopg2://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    if "://" not in url:
        return f"sqlite:///{Path(url).expanduser().absolute()}"
    return url


def _redacted(url: str) -> str:
    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return url


class Inventory:
    """One inventory database: open (creating/migrating it), record scans, read history."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.where = engine.url.render_as_string(hide_password=True)

    @classmethod
    def open(cls, url: str | None = None, *, migrate: bool = True) -> Inventory:
        """Open ``url`` (see :func:`normalise_url`); create or migrate its schema unless told not to."""
        full = normalise_url(url)
        try:
            parsed = sa.engine.make_url(full)
        except sa.exc.ArgumentError:
            raise InputError(f"db {url!r}: not a database URL; use a file path, sqlite:///FILE or postgresql://...", field="db") from None
        if parsed.get_backend_name() == "sqlite":
            path = parsed.database
            if path and path != ":memory:":
                _prepare_sqlite_place(Path(path))
        elif parsed.get_backend_name() != "postgresql":
            raise InputError(f"db {_redacted(full)}: only SQLite and PostgreSQL are supported", field="db")
        try:
            engine = sa.create_engine(parsed, pool_pre_ping=parsed.get_backend_name() == "postgresql")
        except (ImportError, sa.exc.NoSuchModuleError):
            if parsed.get_backend_name() == "sqlite":
                raise InputError("this Python was built without its sqlite3 module; use a PostgreSQL inventory") from None
            raise InputError(f"db {_redacted(full)}: the PostgreSQL driver is not installed: pip install 'mailcert[postgres]'", field="db") from None
        if parsed.get_backend_name() == "sqlite":
            sa.event.listen(engine, "connect", _sqlite_pragmas)
            sa.event.listen(engine, "handle_error", _damaged_sqlite(str(parsed.database)))
        inventory = cls(engine)
        if migrate:
            inventory.migrate()
        return inventory

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Inventory:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- schema

    def version(self) -> int:
        """The schema version of the database (0: empty)."""
        with self._connect() as conn:
            return self._version(conn)

    @staticmethod
    def _version(conn: Connection) -> int:
        if not sa.inspect(conn).has_table("schema_version"):
            return 0
        value = conn.execute(sa.select(sa.func.max(schema_version.c.version))).scalar()
        return int(value or 0)

    def migrate(self, to: int = SCHEMA_VERSION) -> int:
        """Bring the schema to version ``to``; returns the version found before.

        Safe when several scans start on one new inventory at once: each step runs in a
        transaction that first takes the database's write lock (SQLite ``BEGIN IMMEDIATE``,
        waited for up to the busy timeout; a PostgreSQL advisory lock) and then re-reads the
        version, so exactly one process creates each table and the others find it made.  A
        lock still busy after the busy timeout (a loaded machine) is tried again a few times.
        """
        for attempt in range(_MIGRATION_TRIES):
            try:
                return self._migrate(to)
            except sa.exc.OperationalError as exc:
                if attempt + 1 == _MIGRATION_TRIES or not _busy(exc):
                    raise OperationError(f"cannot update the schema of inventory {self.where}: {_first_line(exc)}") from None
                time.sleep(0.1 * 2**attempt)
        raise AssertionError("unreachable")

    def _migrate(self, to: int) -> int:
        with self._connect() as conn:
            found = self._version(conn)
            foreign = sorted(set(sa.inspect(conn).get_table_names()) - {"scans", "results", "schema_version"})
        if found == 0 and foreign and self.engine.dialect.name == "sqlite":
            raise OperationError(
                f"{self.where} is another program's database (it holds {', '.join(foreign[:5])});"
                " choose a file of mailcert's own with db",
                mentions=("db",),
            )
        if self.engine.dialect.name == "sqlite":
            # readers (report) do not block the scan's writer; set here, once it is known to be
            # our file (the mode is kept in the file: another program's database stays as it was)
            with self._connect() as conn:
                conn.exec_driver_sql("PRAGMA journal_mode=WAL")
        if found > SCHEMA_VERSION:
            raise OperationError(
                f"inventory {self.where} has schema version {found}, newer than this mailcert knows"
                f" ({SCHEMA_VERSION}): upgrade mailcert"
            )
        for version in range(found, to):
            with self._migration() as conn:
                if self._version(conn) != version:  # another process migrated meanwhile
                    continue
                MIGRATIONS[version](conn)
                schema_version.create(conn, checkfirst=True)
                conn.execute(schema_version.delete())
                conn.execute(schema_version.insert().values(version=version + 1))
        return found

    @contextlib.contextmanager
    def _migration(self) -> Iterator[Connection]:
        """A transaction holding the schema lock for its whole length (see :meth:`migrate`).

        pysqlite would start its transaction only at the first INSERT, after the CREATE TABLEs
        (which then race); so the transaction is begun by hand, IMMEDIATE."""
        with self._connect() as conn:
            try:
                if conn.dialect.name == "sqlite":
                    conn.exec_driver_sql("BEGIN IMMEDIATE")
                else:
                    conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK})")
                yield conn
                conn.commit()
            except BaseException:
                conn.rollback()
                raise

    # -- writing

    def begin_scan(self, options: dict[str, Any], *, targets: int | None, now: dt.datetime | None = None) -> int:
        with self._begin() as conn:
            row = conn.execute(
                scans.insert().values(
                    started_at=now or _now(),
                    state="running",
                    targets=targets,
                    done=0,
                    options=json.dumps(options, sort_keys=True, default=str),
                    tool_version=__version__,
                )
            )
            key = row.inserted_primary_key
            assert key is not None
            return int(key[0])

    def add_results(self, scan_id: int, batch: Sequence[Any]) -> None:
        """Store ``batch`` (:class:`mailcert.scan.runner.ScanResult`) and count it, atomically."""
        if not batch:
            return
        rows = [
            {
                "scan_id": scan_id,
                "target": r.target.text,
                "name": r.target.name,
                "status": r.status.name,
                "error": r.error,
                "fingerprint": r.fingerprint,
                "not_after": r.not_after,
                "findings": _FINDINGS_JSON.get((r.findings,), functools.partial(_findings_json, r.findings)),
                "verdicts": _verdicts_json(r.verdicts),
                "checked_at": r.checked_at,
                "url": r.url,
                "subject": r.subject,
                "issuer": r.issuer,
                "not_before": r.not_before,
                "trusted": r.trusted,
                "elapsed_ms": round(r.elapsed * 1000, 1),
            }
            for r in batch
        ]
        with self._begin() as conn:
            conn.execute(results.insert(), rows)
            conn.execute(scans.update().where(scans.c.id == scan_id).values(done=scans.c.done + len(rows)))

    def finish_scan(self, scan_id: int, state: str = "finished", *, targets: int | None = None) -> None:
        values: dict[str, Any] = {"state": state, "finished_at": _now()}
        if targets is not None:
            values["targets"] = targets
        with self._begin() as conn:
            conn.execute(scans.update().where(scans.c.id == scan_id).values(**values))

    # -- reading

    def scans(self, limit: int | None = None) -> list[ScanRow]:
        """Scans, newest first."""
        query = sa.select(scans).order_by(scans.c.id.desc())
        if limit is not None:
            query = query.limit(limit)
        with self._connect() as conn:
            return [_scan_row(r) for r in conn.execute(query).mappings()]

    def scan(self, scan_id: int) -> ScanRow:
        with self._connect() as conn:
            row = conn.execute(sa.select(scans).where(scans.c.id == scan_id)).mappings().first()
        if row is None:
            raise InputError(f"no scan {scan_id} in {self.where}")
        return _scan_row(row)

    def results(self, scan_id: int) -> Iterator[ResultRow]:
        """The results of one scan in the order they were stored, streamed."""
        with self._connect() as conn:
            query = sa.select(results).where(results.c.scan_id == scan_id).order_by(results.c.id)
            for r in conn.execution_options(yield_per=1000).execute(query).mappings():
                yield _result_row(r)

    def count_results(self, scan_id: int) -> int:
        with self._connect() as conn:
            value = conn.execute(sa.select(sa.func.count()).select_from(results).where(results.c.scan_id == scan_id)).scalar()
            return int(value or 0)

    # -- plumbing

    def _connect(self) -> Any:
        try:
            return self.engine.connect()
        except sa.exc.OperationalError as exc:
            raise OperationError(f"cannot open inventory {self.where}: {_first_line(exc)}") from None

    def _begin(self) -> Any:
        try:
            return self.engine.begin()
        except sa.exc.OperationalError as exc:
            raise OperationError(f"cannot open inventory {self.where}: {_first_line(exc)}") from None


def _prepare_sqlite_place(path: Path) -> None:
    """Create the inventory's directory and file ourselves, safely, before SQLite opens them by
    name (following links): one line naming the file when that cannot be done, or when another
    user could redirect it (a planted link would turn their file into our database; SQLite
    also creates its journal files beside it, by name, so the directory must be ours)."""
    try:
        fsutil.ensure_dir(path.parent, mode=0o700)
        st = os.stat(path.parent)
        if st.st_mode & 0o002:
            raise OperationError(
                f"other users can write to {path.parent}, where SQLite creates its journal files;"
                " keep the inventory in a directory only you can write to"
            )
        for companion in (path, *(path.with_name(path.name + s) for s in ("-wal", "-shm", "-journal"))):
            if companion == path or os.path.lexists(companion):
                fsutil.prepare_file(companion, mode=0o600)
    except OperationError as exc:
        raise InventoryPlaceError(str(path), str(exc)) from None
    if not os.access(path, os.W_OK):
        raise InventoryPlaceError(str(path), "it is not writable")


def _findings_json(findings: Sequence[Finding]) -> str:
    """The ``findings`` column: code, severity and facts of each (the words come from the catalogue)."""
    return json.dumps([{"code": f.code, "severity": f.severity.value, "facts": dict(f.facts.items())} for f in findings], ensure_ascii=False)


_FINDINGS_JSON: Final = ByIdentity[str](256, keep=lambda text: len(text) <= 64 * 1024)
"""The ``findings`` column per findings tuple: the results of a fleet serving one certificate
share the tuple of one remembered judgement, so its JSON is written once."""


@functools.lru_cache(maxsize=256)
def _verdicts_json(verdicts: tuple[tuple[str, bool], ...]) -> str:
    """The ``verdicts`` column ({client: accepted}), once per distinct set of verdicts."""
    return json.dumps(dict(verdicts))


_MIGRATION_LOCK: Final = 0x6D61696C63657274  # "mailcert": the advisory lock key of schema changes


_MIGRATION_TRIES: Final = 5


def _busy(exc: BaseException) -> bool:
    text = str(getattr(exc, "orig", None) or exc).lower()
    return "locked" in text or "busy" in text or "deadlock" in text


def _damaged_sqlite(path: str) -> Callable[[Any], None]:
    """An engine ``handle_error`` hook: SQLite's "file is not a database" or "malformed" (a
    truncated or foreign file) become one line naming the file and what to do."""
    def hook(context: Any) -> None:
        original = context.original_exception
        if isinstance(original, sqlite3.OperationalError) or not isinstance(original, sqlite3.DatabaseError):
            return
        raise OperationError(
            f"the inventory {path} is damaged or not a mailcert inventory ({_first_line(original)});"
            " move it aside (mailcert then starts a new one) or choose another with db",
            mentions=("db",),
        )

    return hook


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc)
    return text.strip().splitlines()[0] if text.strip() else type(exc).__name__


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout=10000")  # first: switching to WAL needs the lock too
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _scan_row(r: Any) -> ScanRow:
    return ScanRow(
        id=int(r["id"]),
        started_at=r["started_at"],
        finished_at=r["finished_at"],
        state=str(r["state"]),
        targets=r["targets"],
        done=int(r["done"]),
        options=json.loads(r["options"] or "{}"),
        tool_version=r["tool_version"],
    )


def _result_row(r: Any) -> ResultRow:
    return ResultRow(
        scan_id=int(r["scan_id"]),
        target=str(r["target"]),
        name=str(r["name"]),
        status=str(r["status"]),
        error=r["error"],
        url=r["url"],
        fingerprint=r["fingerprint"],
        subject=r["subject"],
        issuer=r["issuer"],
        not_before=r["not_before"],
        not_after=r["not_after"],
        trusted=None if r["trusted"] is None else bool(r["trusted"]),
        findings=tuple(_stored_finding(f) for f in json.loads(r["findings"] or "[]")),
        verdicts={str(k): bool(v) for k, v in json.loads(r["verdicts"] or "{}").items()},
        checked_at=r["checked_at"],
        elapsed_ms=r["elapsed_ms"],
    )


def _stored_finding(f: dict[str, Any]) -> StoredFinding:
    recorded = f.get("recorded")
    severity = f.get("severity")
    finding = Finding(
        str(f["code"]),
        Severity(severity) if severity in Severity._value2member_map_ else Severity.INFO,
        Facts({str(k): v for k, v in (f.get("facts") or {}).items() if _plain(v)}),
    )
    return StoredFinding(finding, (str(recorded[0]), str(recorded[1])) if recorded else None)
