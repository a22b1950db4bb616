"""The backend's SQL on PostgreSQL (repository/pg_sql.py, issue 16): statements in SQLite's
spelling translated for psycopg, and the effects' own storage code (SqliteEventWrites) run on a
real PostgreSQL database leaving the same rows as on SQLite."""

from __future__ import annotations

import sqlite3

import psycopg
import pytest

from picker_app.backend import pg_migrations
from picker_app.backend.repository.pg_sql import PgConn, translate
from picker_app.backend.repository.sqlite_writes import SqliteEventWrites
from picker_app.backend.server import BackendDB


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SELECT a FROM t WHERE b = ? AND c = ?", "SELECT a FROM t WHERE b = %s AND c = %s"),
        ("SELECT '?' , ? FROM t", "SELECT '?' , %s FROM t"),
        ("SELECT 1 WHERE a LIKE 'x%' AND b = ?", "SELECT 1 WHERE a LIKE 'x%%' AND b = %s"),
        ('SELECT "odd?name" FROM t WHERE x = ?', 'SELECT "odd?name" FROM t WHERE x = %s'),
        ("SELECT 'it''s ?' , ?", "SELECT 'it''s ?' , %s"),
        ("BEGIN IMMEDIATE", "BEGIN"),
        ("SAVEPOINT batch", "SAVEPOINT batch"),
    ],
)
def test_statements_are_translated_outside_quotes_only(sql, expected):
    assert translate(sql) == expected.encode()


def test_an_unclosed_quote_is_refused():
    with pytest.raises(ValueError, match="unclosed"):
        translate("SELECT 'a")


def _seed(conn) -> None:  # type: ignore[no-untyped-def]
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("INSERT INTO catalog (store, sku, name, unit, bin) VALUES ('S1', 'K1', 'Milk',"
                 " 'each', 'A01-1')")  # fmt: skip
    conn.execute("INSERT INTO stock (store, bin, sku, on_hand) VALUES (?, ?, ?, ?)",
                 ("S1", "A01-1", "K1", 10.0))  # fmt: skip
    conn.execute("COMMIT")


def _effects(conn) -> list[object]:  # type: ignore[no-untyped-def]
    """What a few events' effects do to stock, counts and sales, as the effects call them."""
    conn.execute("BEGIN IMMEDIATE")
    w = SqliteEventWrites(conn, "S1")
    said = [
        w.add_stock("A01-1", "K1", -2.0, "2026-11-25T10:00:00+05:30", "e1"),
        w.add_stock("B02-1", "K1", 3.0, "2026-11-25T10:01:00+05:30", "e2"),  # a new row
        w.on_hand("A01-1", "K1"),
    ]
    w.set_stock("A01-1", "K1", 5.0, "2026-11-25T10:02:00+05:30", "e3")
    w.open_count_task("CT1", "A01-1", "K1", "zero_pick")
    w.open_count_task("CT1", "A01-1", "K1", "zero_pick")  # twice: one task
    said.append(w.open_count_for("A01-1", "K1"))
    w.record_sale("K1", 2.0, "2026-11-25T10:00:00+05:30")
    week = "2026-11-25T18:00:00+05:30", 7
    said.append(round(w.sales_per_day("K1", *week) * 7, 9))  # the sale not yet written among them
    w.record_sale("K1", 1.0, "2026-11-25T12:00:00+05:30")  # the same day: added to it
    said.append(round(w.sales_per_day("K1", *week) * 7, 9))
    said.append(w.open_replenish_for("A01-1", "K1"))
    w.open_replenish_task("RP1", "A01-1", "K1", 4.0, "2026-11-25T12:00:00+05:30")
    w.open_replenish_task("RP1", "A01-1", "K1", 4.0, "2026-11-25T12:00:00+05:30")  # one task
    said += [w.open_replenish_for("A01-1", "K1"), w.open_replenish_for("B02-1", "K1")]
    w.finish_replenish_task("RP1", 4.0, "2026-11-25T12:05:00+05:30")
    said.append(w.open_replenish_for("A01-1", "K1"))
    w.flush()
    conn.execute("COMMIT")
    return said


TABLES = {
    "stock": "SELECT bin, sku, on_hand FROM stock ORDER BY bin",
    "stock_moves": "SELECT bin, sku, delta, at, event_id FROM stock_moves ORDER BY event_id",
    "count_tasks": "SELECT id, bin, sku, reason, state FROM count_tasks",
    "sales_by_day": "SELECT sku, day, qty FROM sales_by_day",
    "replenish_tasks": "SELECT id, bin, sku, qty, state, brought FROM replenish_tasks",
    "changes": "SELECT kind, key FROM changes ORDER BY seq",
}


def test_the_effects_storage_code_leaves_the_same_rows_on_postgresql_as_on_sqlite(
    pg_dsn, tmp_path
):
    lite = BackendDB(tmp_path / "backend.db").conn
    pg_migrations.migrate(pg_dsn)
    pg = PgConn(psycopg.connect(pg_dsn))
    results = []
    for conn in (lite, pg):
        _seed(conn)
        said = _effects(conn)
        rows = {t: [tuple(r) for r in conn.execute(q).fetchall()] for t, q in TABLES.items()}
        results.append((said, rows))
    assert results[0] == results[1]
    said, rows = results[1]
    assert said == [8.0, 3.0, 8.0, True, 2.0, 3.0, False, True, False, False]
    assert rows["stock"] == [("A01-1", "K1", 5.0), ("B02-1", "K1", 3.0)]
    assert rows["count_tasks"] == [("CT1", "A01-1", "K1", "zero_pick", "open")]
    assert rows["sales_by_day"] == [("K1", "2026-11-25", 3.0)]
    assert rows["replenish_tasks"] == [("RP1", "A01-1", "K1", 4.0, "done", 4.0)]
    pg.close()
    assert isinstance(lite, sqlite3.Connection)


def test_many_rows_are_inserted_as_one_statement_with_the_same_rows_as_one_by_one(pg_dsn):
    """executemany of an INSERT is one statement of its rows (1,000 a statement): the same rows
    as one at a time, a duplicate skipped by DO NOTHING, refused as sqlite3 refuses it
    otherwise; an upsert that updates stays one statement a row (a key twice is allowed)."""
    pg_migrations.migrate(pg_dsn)
    pg = PgConn(psycopg.connect(pg_dsn))
    rows = [("S1", f"B{n:04d}", "K1", float(n)) for n in range(2500)]
    pg.executemany("INSERT INTO stock (store, bin, sku, on_hand) VALUES (?, ?, ?, ?)", rows)
    pg.executemany(
        "INSERT INTO stock (store, bin, sku, on_hand) VALUES (?, ?, ?, COALESCE(?, 0))"
        " ON CONFLICT DO NOTHING",
        [("S1", "B0001", "K1", 99.0), ("S1", "C1", "K1", None), ("S1", "C1", "K1", 5.0)],
    )
    got = pg.execute("SELECT bin, sku, on_hand FROM stock ORDER BY bin").fetchall()
    assert [tuple(r) for r in got] == sorted([r[1:] for r in rows] + [("C1", "K1", 0.0)])
    with pytest.raises(sqlite3.IntegrityError):
        pg.executemany("INSERT INTO stock (store, bin, sku, on_hand) VALUES (?, ?, ?, ?)",
                       [("S1", "D1", "K1", 1.0), ("S1", "D1", "K1", 2.0)])  # fmt: skip
    upsert = (
        "INSERT INTO sales_by_day (store, sku, day, qty) VALUES (?, ?, ?, ?) ON CONFLICT"
        " (store, sku, day) DO UPDATE SET qty = sales_by_day.qty + excluded.qty"
    )
    pg.executemany(upsert, [("S1", "K1", "2026-11-25", 1.0), ("S1", "K1", "2026-11-25", 2.0)])
    pg.insert_rows(upsert, [("S1", "K1", "2026-11-25", 4.0), ("S1", "K2", "2026-11-25", 1.0)])
    got = pg.execute("SELECT sku, qty FROM sales_by_day ORDER BY sku").fetchall()
    assert [tuple(r) for r in got] == [("K1", 7.0), ("K2", 1.0)]
    pg.close()


def test_a_savepoint_undoes_one_events_writes_on_postgresql(pg_dsn):
    pg_migrations.migrate(pg_dsn)
    pg = PgConn(psycopg.connect(pg_dsn))
    _seed(pg)
    pg.execute("BEGIN IMMEDIATE")
    pg.execute("SAVEPOINT one")
    pg.execute("UPDATE stock SET on_hand = 0 WHERE store = ?", ("S1",))
    pg.execute("ROLLBACK TO one")
    pg.execute("RELEASE one")
    assert pg.in_transaction
    pg.execute("COMMIT")
    assert not pg.in_transaction
    assert pg.execute("SELECT on_hand FROM stock").fetchall() == [(10.0,)]
    pg.close()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_an_event_the_database_refuses_is_refused_alone_on_either(backend, pg_server, tmp_path):
    if backend == "sqlite":
        conn = BackendDB(tmp_path / "backend.db").conn
    else:
        dsn = pg_server.new_database()
        pg_migrations.migrate(dsn)
        conn = PgConn(psycopg.connect(dsn))
    _seed(conn)
    conn.execute("BEGIN IMMEDIATE")
    w = SqliteEventWrites(conn, "S1")
    at = "2026-11-25T10:00:00+05:30"

    def bad() -> str | None:
        w.add_stock("A01-1", "K1", -1.0, at, "e2")
        conn.execute("INSERT INTO stock (store, bin, sku, on_hand) VALUES ('S1', 'X', 'K1', NULL)")
        return None

    def batch() -> list[str | None]:
        return [
            w.attempt(lambda: w.add_stock("A01-1", "K1", -2.0, at, "e1") and None),
            w.attempt(bad),  # NOT NULL: the database refuses it
            w.attempt(lambda: w.add_stock("A01-1", "K1", -3.0, at, "e3") and None),
        ]

    reasons = w.apply_all(batch)
    conn.execute("COMMIT")
    assert reasons[0] is None and reasons[2] is None
    assert reasons[1] == "the backend could not apply this event (IntegrityError)"  # on both
    assert conn.execute("SELECT on_hand FROM stock WHERE bin = 'A01-1'").fetchall() == [(5.0,)]
    moves = conn.execute("SELECT event_id FROM stock_moves ORDER BY event_id").fetchall()
    assert [m[0] for m in moves] == ["e1", "e3"]  # e2's own move undone with it
