"""The inventory on SQLite and on a real PostgreSQL: schema created on open, migrated from an
older version with its data kept, a newer one refused, results and history round-trip."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import sqlalchemy as sa

from mailcert.errors import OperationError
from mailcert.model import Status
from mailcert.scan.inventory import SCHEMA_VERSION, Inventory, normalise_url
from mailcert.scan.runner import ScanResult
from mailcert.scan.targets import parse_line

T0 = dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.timezone.utc)


def result(text: str, status: Status, *, fp: str | None = "aa" * 32, days: int = 90, codes: tuple[str, ...] = ()) -> ScanResult:
    target = parse_line(f"{text} remote.contoso.com")
    assert target is not None
    return ScanResult(
        target, status, error=None if fp else "connection refused", url=text, fingerprint=fp,
        subject="CN=remote.contoso.com" if fp else None, issuer="CN=CA" if fp else None,
        not_before=T0 - dt.timedelta(days=1) if fp else None, not_after=T0 + dt.timedelta(days=days) if fp else None,
        trusted=True if fp else None, findings=tuple((c, "warning", f"title {c}", f"remedy {c}", (("name", "remote.contoso.com"),)) for c in codes),
        verdicts=(("outlook2007", not codes), ("thunderbird", True)) if fp else (), elapsed=0.012, checked_at=T0,
    )


def test_new_inventory_is_created_at_the_current_version_and_round_trips(db_url: str) -> None:
    with Inventory.open(db_url) as inv:
        assert inv.version() == SCHEMA_VERSION
        scan_id = inv.begin_scan({"file": "fleet.txt"}, targets=2, now=T0)
        inv.add_results(scan_id, [result("imaps://a.test", Status.WARNING, codes=("first-san-not-name",)),
                                  result("imaps://b.test", Status.UNKNOWN, fp=None)])
        inv.finish_scan(scan_id)
        (scan,) = inv.scans()
        assert (scan.id, scan.state, scan.targets, scan.done, scan.options) == (scan_id, "finished", 2, 2, {"file": "fleet.txt"})
        assert scan.started_at == T0 and scan.finished_at is not None and scan.finished_at.tzinfo is not None
        a, b = inv.results(scan_id)
    assert (a.target, a.name, a.status, a.fingerprint, a.trusted) == ("imaps://a.test", "remote.contoso.com", "WARNING", "aa" * 32, True)
    assert a.not_after == T0 + dt.timedelta(days=90) and a.checked_at == T0
    assert a.findings == (("first-san-not-name", "warning", "title first-san-not-name", "remedy first-san-not-name", {"name": "remote.contoso.com"}),)
    assert a.verdicts == {"outlook2007": False, "thunderbird": True}
    assert (b.status, b.error, b.fingerprint, b.not_after, b.verdicts) == ("UNKNOWN", "connection refused", None, None, {})
    with Inventory.open(db_url) as again:  # opening again migrates nothing and keeps everything
        assert again.migrate() == SCHEMA_VERSION and again.count_results(scan_id) == 2


def test_migration_from_version_1_keeps_the_old_scans(db_url: str) -> None:
    old = Inventory.open(db_url, migrate=False)
    assert old.version() == 0
    old.migrate(to=1)
    assert old.version() == 1
    with old.engine.begin() as conn:  # what mailcert of schema 1 wrote
        conn.execute(sa.text(
            "INSERT INTO scans (started_at, finished_at, state, targets, done, options)"
            " VALUES (:t, :t, 'finished', 1, 1, '{}')"), {"t": T0.replace(tzinfo=None)})
        old_id = conn.execute(sa.text("SELECT max(id) FROM scans")).scalar()
        conn.execute(sa.text(
            "INSERT INTO results (scan_id, target, name, status, error, fingerprint, not_after, findings, verdicts, checked_at)"
            " VALUES (:scan, 'imaps://a.test', 'remote.contoso.com', 'OK', NULL, :fp, :na, '[]', :v, :t)"),
            {"scan": old_id, "fp": "bb" * 32, "na": (T0 + dt.timedelta(days=10)).replace(tzinfo=None), "v": json.dumps({"outlook": True}), "t": T0.replace(tzinfo=None)})
        assert "url" not in {c["name"] for c in sa.inspect(conn).get_columns("results")}
    old.close()

    with Inventory.open(db_url) as inv:  # the current mailcert opens it: migrated, data intact
        assert inv.version() == SCHEMA_VERSION
        (row,) = inv.results(old_id)
        assert (row.target, row.status, row.fingerprint, row.url, row.subject) == ("imaps://a.test", "OK", "bb" * 32, None, None)
        assert row.not_after == T0 + dt.timedelta(days=10) and row.verdicts == {"outlook": True}
        scan_id = inv.begin_scan({}, targets=1)
        inv.add_results(scan_id, [result("imaps://a.test", Status.OK)])
        inv.finish_scan(scan_id)
        assert [s.id for s in inv.scans()] == [scan_id, old_id]
        with inv.engine.connect() as conn:
            indexes = {i["name"] for i in sa.inspect(conn).get_indexes("results")}
        assert {"results_scan", "results_target"} <= indexes


def test_a_newer_schema_is_refused_with_advice(db_url: str) -> None:
    with Inventory.open(db_url) as inv, inv.engine.begin() as conn:
        conn.execute(sa.text("UPDATE schema_version SET version = 99"))
    with pytest.raises(OperationError, match="schema version 99, newer than this mailcert knows .* upgrade mailcert"):
        Inventory.open(db_url)


def test_interrupted_and_running_scans_keep_counts_consistent(db_url: str) -> None:
    with Inventory.open(db_url) as inv:
        scan_id = inv.begin_scan({}, targets=10)
        inv.add_results(scan_id, [result(f"imaps://h{i}.test", Status.OK) for i in range(3)])
        inv.finish_scan(scan_id, "interrupted")
        (scan,) = inv.scans()
        assert (scan.state, scan.done, scan.targets, inv.count_results(scan_id)) == ("interrupted", 3, 10, 3)


@pytest.mark.parametrize(
    ("given", "url"),
    [
        ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgres://u:p@h:5433/db", "postgresql+psycopg://u:p@h:5433/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
        ("sqlite:////var/lib/x.db", "sqlite:////var/lib/x.db"),
        ("/var/lib/mailcert.db", "sqlite:////var/lib/mailcert.db"),
    ],
)
def test_db_urls(given: str, url: str) -> None:
    assert normalise_url(given) == url


def test_default_inventory_lives_in_the_xdg_data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert normalise_url(None) == f"sqlite:///{tmp_path}/mailcert/inventory.sqlite3"
    with Inventory.open(None) as inv:
        assert inv.version() == SCHEMA_VERSION
    assert (tmp_path / "mailcert" / "inventory.sqlite3").exists()  # type: ignore[operator]


def test_password_is_not_shown_in_errors() -> None:
    with pytest.raises(OperationError) as err:
        Inventory.open("postgresql://mailcert:s3cret@127.0.0.1:1/nothing")
    assert "s3cret" not in str(err.value) and "cannot open inventory" in str(err.value)
