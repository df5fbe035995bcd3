"""The inventory on SQLite and on a real PostgreSQL: schema created on open, migrated from an
older version with its data kept, a newer one refused, results and history round-trip."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import sqlalchemy as sa

from mailcert.errors import OperationError
from mailcert.findings import CATALOGUE, FactValue, fill, finding
from mailcert.judgement import Judged, Judgement
from mailcert.model import Status
from mailcert.report import html
from mailcert.report.fleet import Expiry, build_report, expiries, json_document
from mailcert.scan.inventory import SCHEMA_VERSION, Inventory, ResultRow, normalise_url
from mailcert.scan.runner import ScanResult
from mailcert.scan.targets import parse_line

T0 = dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.timezone.utc)
FACTS: dict[str, dict[str, FactValue]] = {
    "first-san-not-name": {"name": "remote.contoso.com", "first": "sbs.contoso.local", "position": 2, "file": "/etc/ssl/mail.pem"},
    "expired": {"name": "remote.contoso.com", "not_after": "2026-10-01"},
}


def result(text: str, status: Status, *, fp: str | None = "aa" * 32, days: int = 90, codes: tuple[str, ...] = ()) -> ScanResult:
    target = parse_line(f"{text} remote.contoso.com")
    assert target is not None
    return ScanResult(
        target, status, error=None if fp else "connection refused", url=text, fingerprint=fp,
        subject="CN=remote.contoso.com" if fp else None, issuer="CN=CA" if fp else None,
        not_before=T0 - dt.timedelta(days=1) if fp else None, not_after=T0 + dt.timedelta(days=days) if fp else None,
        trusted=True if fp else None, findings=tuple(finding(c, **FACTS[c]) for c in codes),
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
    (f,) = a.findings
    assert (f.code, f.severity, dict(f.facts), f.recorded) == ("first-san-not-name", "warning", FACTS["first-san-not-name"], None)
    assert f.title == fill(CATALOGUE["first-san-not-name"].title, FACTS["first-san-not-name"])  # worded by the catalogue
    assert "mailcert cert fix /etc/ssl/mail.pem" in f.remedy
    assert a.verdicts == {"outlook2007": False, "thunderbird": True}
    assert (b.status, b.error, b.fingerprint, b.not_after, b.verdicts) == ("UNKNOWN", "connection refused", None, None, {})
    with Inventory.open(db_url) as again:  # opening again migrates nothing and keeps everything
        assert again.migrate() == SCHEMA_VERSION and again.count_results(scan_id) == 2


def test_rows_hold_codes_and_facts_not_words(db_url: str) -> None:
    with Inventory.open(db_url) as inv:
        scan_id = inv.begin_scan({}, targets=1)
        inv.add_results(scan_id, [result("imaps://a.test", Status.CRITICAL, codes=("first-san-not-name", "expired"))])
        with inv.engine.connect() as conn:
            (text,) = conn.execute(sa.text("SELECT findings FROM results")).scalars()
    assert json.loads(text) == [
        {"code": "first-san-not-name", "severity": "warning", "facts": FACTS["first-san-not-name"]},
        {"code": "expired", "severity": "critical", "facts": FACTS["expired"]},
    ]


def test_rows_sharing_a_judgement_and_rows_that_differ_each_hold_their_own(db_url: str) -> None:
    """A fleet's results share one findings tuple (the doctor remembers the judgement): its JSON
    is written once, and a result with other findings or verdicts still gets its own."""
    import dataclasses

    shared = result("imaps://a.test", Status.WARNING, codes=("first-san-not-name",))
    same = dataclasses.replace(shared, target=parse_line("imaps://b.test remote.contoso.com"))
    other_facts = dict(FACTS["first-san-not-name"], position=3)
    other = dataclasses.replace(shared, findings=(finding("first-san-not-name", **other_facts),),
                                verdicts=(("outlook2007", True), ("thunderbird", True)))
    with Inventory.open(db_url) as inv:
        scan_id = inv.begin_scan({}, targets=4)
        inv.add_results(scan_id, [shared, same, other, shared])
        rows = list(inv.results(scan_id))
    assert [dict(r.findings[0].facts)["position"] for r in rows] == [2, 2, 3, 2]
    assert [r.verdicts["outlook2007"] for r in rows] == [False, False, True, False]
    assert [r.target for r in rows] == ["imaps://a.test", "imaps://b.test", "imaps://a.test", "imaps://a.test"]


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


# --- an inventory written by mailcert of schema 2: rendered words per finding ----------------


def _schema_2(conn: sa.Connection) -> None:
    """The layout of schema 2 as raw DDL, as that mailcert left it (not today's Table objects)."""
    key = "SERIAL PRIMARY KEY" if conn.dialect.name == "postgresql" else "INTEGER PRIMARY KEY AUTOINCREMENT"
    stamp = "TIMESTAMP WITHOUT TIME ZONE" if conn.dialect.name == "postgresql" else "DATETIME"
    for ddl in (
        f"CREATE TABLE scans (id {key}, started_at {stamp} NOT NULL, finished_at {stamp}, state VARCHAR(16) NOT NULL,"
        " targets INTEGER, done INTEGER NOT NULL, options TEXT NOT NULL, tool_version VARCHAR(32))",
        f"CREATE TABLE results (id {key}, scan_id INTEGER NOT NULL REFERENCES scans (id) ON DELETE CASCADE,"
        f" target TEXT NOT NULL, name TEXT NOT NULL, status VARCHAR(8) NOT NULL, error TEXT, fingerprint VARCHAR(64),"
        f" not_after {stamp}, findings TEXT NOT NULL, verdicts TEXT NOT NULL, checked_at {stamp} NOT NULL, url TEXT,"
        f" subject TEXT, issuer TEXT, not_before {stamp}, trusted BOOLEAN, elapsed_ms FLOAT)",
        "CREATE INDEX results_scan ON results (scan_id)",
        "CREATE INDEX results_target ON results (target, name)",
        "CREATE TABLE schema_version (version INTEGER NOT NULL)",
        "INSERT INTO schema_version (version) VALUES (2)",
    ):
        conn.execute(sa.text(ddl))


def _v2_words(code: str) -> list[object]:
    """A finding as schema 2 stored it: code, severity, rendered title and remedy, facts."""
    f = finding(code, **FACTS[code])
    return [f.code, f.severity.value, f.title, f.remedy, dict(f.facts)]


OLD_ROWS = {
    # target -> the findings column schema 1 / 2 wrote
    "imaps://v2.test": [_v2_words("first-san-not-name")],
    "imaps://v1.test": [["first-san-not-name", "warning", "Outlook 2007 will warn: the first name in the certificate is not"
                         " remote.contoso.com", "Put remote.contoso.com first (old words)"]],  # schema 1: no facts
    "imaps://renamed.test": [["cert-expired", "critical", "The certificate expired on 2026-10-01", "Renew it (old words)"]],
    "imaps://mystery.test": [["mystery", "info", "Something only an old mailcert knew", "Do what it said"]],
    "imaps://clean.test": [],
}


def test_migration_of_a_schema_2_inventory_maps_words_to_codes_and_loses_nothing(db_url: str) -> None:
    engine = sa.create_engine(db_url)
    with engine.begin() as conn:
        _schema_2(conn)
        conn.execute(sa.text("INSERT INTO scans (started_at, finished_at, state, targets, done, options, tool_version)"
                             " VALUES (:t, :t, 'finished', 5, 5, '{}', '0.0.9')"), {"t": T0.replace(tzinfo=None)})
        for target, findings in OLD_ROWS.items():
            conn.execute(sa.text(
                "INSERT INTO results (scan_id, target, name, status, findings, verdicts, checked_at)"
                " VALUES (1, :target, 'remote.contoso.com', 'WARNING', :findings, '{}', :t)"),
                {"target": target, "findings": json.dumps(findings), "t": T0.replace(tzinfo=None)})
    engine.dispose()

    with Inventory.open(db_url) as inv:
        assert inv.version() == SCHEMA_VERSION
        rows = {r.target: r for r in inv.results(1)}
        report = build_report(inv, Judgement(now=T0))
        with inv.engine.connect() as conn:
            stored = {t: json.loads(f) for t, f in conn.execute(sa.text("SELECT target, findings FROM results"))}
    # words the catalogue can say again are not kept: code, severity and facts are the row
    assert stored["imaps://v2.test"] == [{"code": "first-san-not-name", "severity": "warning", "facts": FACTS["first-san-not-name"]}]
    (v2,) = rows["imaps://v2.test"].findings
    assert (v2.title, v2.remedy) == tuple(_v2_words("first-san-not-name")[2:4])
    # schema 1 kept no facts: the code stays, and so do the words it recorded
    (v1,) = rows["imaps://v1.test"].findings
    assert (v1.code, v1.recorded) == ("first-san-not-name", tuple(OLD_ROWS["imaps://v1.test"][0][2:4]))
    assert v1.title.endswith("is not remote.contoso.com") and v1.remedy == "Put remote.contoso.com first (old words)"
    # a code this mailcert does not know, whose title the catalogue words: mapped, its facts read from the title
    (renamed,) = rows["imaps://renamed.test"].findings
    assert (renamed.code, renamed.severity, dict(renamed.facts)) == ("expired", "critical", {"not_after": "2026-10-01"})
    assert renamed.title == "The certificate expired on 2026-10-01" and renamed.remedy == "Renew it (old words)"
    # nothing matches: kept as it was, readable
    (mystery,) = rows["imaps://mystery.test"].findings
    assert (mystery.code, mystery.severity, mystery.title, mystery.remedy) == ("mystery", "info", *OLD_ROWS["imaps://mystery.test"][0][2:4])
    assert rows["imaps://clean.test"].findings == ()
    assert all("title" not in f and "remedy" not in f for fs in stored.values() for f in fs)
    # the reports read them: catalogue words where it has them, the recorded ones elsewhere
    page, doc = html.render(report), json_document(report)
    for words in ("Something only an old mailcert knew", "Renew it (old words)", "Outlook 2007 will warn", "/etc/ssl/mail.pem"):
        assert words in page
    by_target = {r["target"]: r["findings"] for r in doc["results"]}
    assert by_target["imaps://mystery.test"][0]["title"] == "Something only an old mailcert knew"
    assert by_target["imaps://v2.test"][0]["remedy"] == _v2_words("first-san-not-name")[3]


def test_the_fleet_report_carries_its_clock_and_thresholds() -> None:
    """Issue 10 item 3: the report holds what it was made against (a Judged: clock, thresholds,
    clients), and the timeline reads them from there; nothing is passed beside it."""
    soon = Expiry("ab" * 32, "CN=mail", "CN=CA", T0 + dt.timedelta(days=20), 20, ("imaps://a.test",))
    amber, green = 'fill="#f59e0b"', 'fill="#16a34a"'
    assert amber in html.timeline_svg([soon], Judged((), "", T0, 30, None))
    assert amber not in html.timeline_svg([soon], Judged((), "", T0, 10, None))
    assert green in html.timeline_svg([soon], Judged((), "", T0, 10, None))
    row = ResultRow(scan_id=1, target="imaps://a.test", name="mail", status="OK", error=None, url=None,
                    fingerprint=soon.fingerprint, subject="CN=mail", issuer="CN=CA", not_before=T0, not_after=soon.not_after,
                    trusted=True, findings=(), verdicts={}, checked_at=T0, elapsed_ms=None)
    assert [e.days_left for e in expiries([row], Judged((), "", T0 + dt.timedelta(days=5), 30, None))] == [15]
