"""The chain backend's schema on PostgreSQL (backend/pg_migrations.py, issue 16): made by
`picker-app backend migrate --database`, the same tables, columns, keys and indexes as the
SQLite backend's, migrated once when several processes start at once, and a clear sentence for
a server that is not there or a database a newer version migrated."""

from __future__ import annotations

import multiprocessing
import sqlite3

import psycopg
import pytest

from picker_app.backend import pg_migrations
from picker_app.backend.server import BackendDB
from picker_app.cli import main
from picker_app.errors import PickerError

ALL = [name for name, _ in pg_migrations.MIGRATIONS]


def sqlite_shape(tmp_path) -> dict[str, object]:
    db = BackendDB(tmp_path / "backend.db")
    conn: sqlite3.Connection = db.conn
    tables = [r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        " AND name != '_migrations'"
    )]  # fmt: skip
    shape: dict[str, object] = {}
    for t in tables:
        cols = conn.execute(f"PRAGMA table_info({t})").fetchall()
        shape[t] = {
            "columns": {c[1]: (bool(c[3]) or c[5] > 0) for c in cols},  # name: NOT NULL
            "key": [c[1] for c in sorted(cols, key=lambda c: c[5]) if c[5] > 0],
        }
    shape["indexes"] = {
        r[0]: r[1] for r in conn.execute(
            "SELECT name, tbl_name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
        )
    }  # fmt: skip
    db.conn.close()
    return shape


def pg_shape(dsn: str) -> dict[str, object]:
    with psycopg.connect(dsn) as conn:
        tables = [r[0] for r in conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
            " AND table_name != '_migrations'"
        ) if r[0] not in pg_migrations.PG_ONLY_TABLES]  # fmt: skip
        shape: dict[str, object] = {}
        for t in tables:
            cols = conn.execute(
                "SELECT column_name, is_nullable FROM information_schema.columns"
                " WHERE table_schema = 'public' AND table_name = %s ORDER BY ordinal_position",
                (t,),
            ).fetchall()
            key = conn.execute(
                "SELECT a.attname FROM pg_index i"
                " JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)"
                " WHERE i.indrelid = %s::regclass AND i.indisprimary"
                " ORDER BY array_position(i.indkey, a.attnum)",
                (t,),
            ).fetchall()
            # rowid: SQLite's own column, which PostgreSQL's tables are given where it is read
            cols = [(c, n) for c, n in cols if c != "rowid"]
            shape[t] = {"columns": {c: n == "NO" for c, n in cols}, "key": [k[0] for k in key]}
        shape["indexes"] = {
            name: table for name, table in conn.execute(
                "SELECT indexname, tablename FROM pg_indexes WHERE schemaname = 'public'"
                " AND indexname NOT LIKE '%%_pkey' AND indexname NOT LIKE '%%_key'"
            ) if table not in pg_migrations.PG_ONLY_TABLES
        }  # fmt: skip
    return shape


def test_migrate_makes_the_sqlite_backends_tables_columns_keys_and_indexes(pg_dsn, tmp_path):
    assert pg_migrations.migrate(pg_dsn) == ALL
    assert pg_shape(pg_dsn) == sqlite_shape(tmp_path)


def test_a_second_migrate_applies_nothing_and_keeps_the_data(pg_dsn):
    pg_migrations.migrate(pg_dsn)
    with psycopg.connect(pg_dsn) as conn:
        conn.execute("INSERT INTO store_meta (store) VALUES ('BLR-KOR-01')")
    assert pg_migrations.migrate(pg_dsn) == []
    with psycopg.connect(pg_dsn) as conn:
        assert conn.execute("SELECT store FROM store_meta").fetchall() == [("BLR-KOR-01",)]
        assert conn.execute("SELECT id, name FROM _migrations ORDER BY id").fetchall() == [
            (n, name) for n, name in enumerate(ALL, start=1)
        ]


def test_rows_come_back_in_the_order_written_and_text_sorts_byte_by_byte(pg_server):
    """What SQLite gives without asking (rowid, BINARY collation), whatever the locale of the
    database: here one made with ICU's English collation, where "B" sorts after "a"."""
    name = "t_icu_english"
    with psycopg.connect(pg_server.dsn(), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name} TEMPLATE template0 LOCALE_PROVIDER icu"
                     " ICU_LOCALE 'en-US' LOCALE 'C'".encode())  # fmt: skip
    dsn = pg_server.dsn(name)
    pg_migrations.migrate(dsn)
    skus = ["b-2", "B1", "a_1", "A-1", "b1", "a1"]
    with psycopg.connect(dsn) as conn:
        for sku in skus:
            conn.execute("INSERT INTO catalog (store, sku, name, unit) VALUES ('S', %s, 'x', 'pc')",
                         (sku,))  # fmt: skip
            conn.execute("INSERT INTO order_history VALUES ('S', 'OR1', '2026-11-30T10:00:00Z',"
                         " %s, 1)", (sku,))  # fmt: skip
        by_sku = [r[0] for r in conn.execute("SELECT sku FROM catalog ORDER BY sku")]
        by_row = [r[0] for r in conn.execute("SELECT sku FROM order_history ORDER BY rowid")]
        picked = [
            r[0] for r in conn.execute("SELECT sku FROM catalog WHERE sku > 'B1' ORDER BY sku")
        ]
    assert by_sku == sorted(skus)  # byte order: upper case first
    assert by_row == skus
    assert picked == sorted(s for s in skus if s > "B1")


def _migrate(dsn: str, out) -> None:  # type: ignore[no-untyped-def]
    out.put(pg_migrations.migrate(dsn))


def test_processes_migrating_at_once_migrate_once(pg_dsn):
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    procs = [ctx.Process(target=_migrate, args=(pg_dsn, out)) for _ in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    applied = sorted((out.get(timeout=5) for _ in procs), key=len)
    assert applied == [[], [], [], ALL]  # one did it, the others found it done


def test_a_failing_migration_leaves_the_schema_as_it_was(pg_dsn):
    broken = [*pg_migrations.MIGRATIONS, ("0099_broken", "CREATE TABLE x (a int); SELEC 1")]
    with psycopg.connect(pg_dsn) as conn, pytest.raises(psycopg.errors.SyntaxError):
        pg_migrations.run(conn, "test", broken)
    assert pg_shape(pg_dsn) == {"indexes": {}}  # not even 0001: one transaction
    assert pg_migrations.migrate(pg_dsn) == ALL


def test_a_database_migrated_by_a_newer_version_is_refused_untouched(pg_dsn):
    pg_migrations.migrate(pg_dsn)
    with psycopg.connect(pg_dsn) as conn:
        conn.execute("INSERT INTO _migrations (id, name) VALUES (99, '0099_from_the_future')")
    with pytest.raises(PickerError, match="written by a newer picker_app.*0099_from_the_future"):
        pg_migrations.migrate(pg_dsn)


def test_the_migrate_command_says_what_it_did(pg_dsn, capsys):
    assert main(["backend", "migrate", "--database", pg_dsn]) == 0
    said = capsys.readouterr().err
    assert "0001_store_schema" in said and "migrated" in said
    assert main(["backend", "migrate", "--database", pg_dsn]) == 0
    assert "up to date" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("dsn", "sentence"),
    [
        ("postgresql://picker:s3cret@127.0.0.1:1/none", "cannot reach PostgreSQL at "
         "postgresql://picker@127.0.0.1:1/none"),
        ("mysql://x@y/z", "is not a PostgreSQL address"),
    ],
)
def test_a_server_not_there_or_a_wrong_address_is_one_sentence(dsn, sentence, capsys):
    assert main(["backend", "migrate", "--database", dsn]) == 2
    said = capsys.readouterr().err
    assert sentence in said and "Traceback" not in said and "s3cret" not in said
    assert said.count("\n") == 1


def test_a_database_the_server_does_not_have_is_one_sentence_with_its_reason(pg_server, capsys):
    dsn = pg_server.dsn("no_such_city")
    assert main(["backend", "migrate", "--database", dsn]) == 2
    said = capsys.readouterr().err
    assert said == (
        f"picker-app: cannot reach PostgreSQL at {dsn} (database \"no_such_city\" does not "
        "exist): is it running, and may this user connect to that database?\n"
    )
