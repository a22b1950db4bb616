"""The chain backend's schema on PostgreSQL (issue 16) as ordered, named migrations.

Why not Alembic: it migrates through SQLAlchemy, which the backend does not otherwise use (its
SQL is written by hand, for SQLite and PostgreSQL alike), and the SQLite side already keeps its
schema as ordered, named migrations in `_migrations` (picker_app/schema.py). This is the same
shape on psycopg, with what PostgreSQL adds: every pending migration applied in one
transaction (PostgreSQL's DDL is transactional: an upgrade that fails half way leaves the
schema as it was), under an advisory lock, so that backend processes starting at once against
one database migrate it once and the others wait, then find it done.

0001 is the SQLite schema's state after its migration 0014 (backend/migrations.py) in
PostgreSQL's types: the same tables, columns, keys and indexes (tests/test_pg_schema.py holds
the two side by side). Times stay ISO-8601 text, as the effects write and compare them on
SQLite; a change of that is a later migration, made on both sides.
"""

from __future__ import annotations

from collections.abc import Sequence

import psycopg

from picker_app.errors import PickerError
from picker_app.schema import refusal

# Any 64-bit number the chain's other services do not use: "picker_app migrations".
LOCK_KEY = 0x7069636B6D6967

MIGRATIONS: Sequence[tuple[str, str]] = [
    (
        "0001_store_schema",
        """
        CREATE TABLE devices (
            token_hash text PRIMARY KEY, device text NOT NULL, store text NOT NULL,
            created_at text NOT NULL, roles text
        );
        CREATE TABLE events (
            store text NOT NULL, device text NOT NULL, event_id text NOT NULL,
            seq bigint NOT NULL, type text NOT NULL, payload text NOT NULL,
            created_at text NOT NULL, received_at text NOT NULL, status text NOT NULL,
            reason text, PRIMARY KEY (store, device, event_id)
        );
        CREATE TABLE catalog (
            store text NOT NULL, sku text NOT NULL, name text NOT NULL, unit text NOT NULL,
            weight_g double precision, bin text, category text, price double precision,
            gtin text, store_code text, demand double precision NOT NULL DEFAULT 1,
            PRIMARY KEY (store, sku)
        );
        CREATE TABLE store_meta (store text PRIMARY KEY, layout text, layout_hash text);
        CREATE TABLE count_tasks (
            store text NOT NULL, id text NOT NULL, bin text NOT NULL, sku text,
            reason text NOT NULL, state text NOT NULL, counted double precision,
            recount_of text, needs_recount bigint NOT NULL DEFAULT 0, decided_why text,
            expected double precision, PRIMARY KEY (store, id)
        );
        CREATE TABLE count_entries (
            store text NOT NULL, task_id text NOT NULL, event_id text NOT NULL, counter text,
            counted double precision NOT NULL, at text NOT NULL, first_at text, last_at text
        );
        CREATE TABLE users (
            store text NOT NULL, id text NOT NULL, name text NOT NULL, role text NOT NULL,
            badge text NOT NULL, pin_hash text NOT NULL, may_count bigint NOT NULL DEFAULT 0,
            PRIMARY KEY (store, id)
        );
        CREATE TABLE orders (
            store text NOT NULL, id text NOT NULL, promised_at text, state text NOT NULL,
            priority bigint NOT NULL DEFAULT 0, area text, claimed_by text,
            substitutes text NOT NULL DEFAULT 'allow', tote text, bags text, picked_by text,
            PRIMARY KEY (store, id)
        );
        CREATE TABLE order_lines (
            store text NOT NULL, order_id text NOT NULL, line_no bigint NOT NULL,
            sku text NOT NULL, qty double precision NOT NULL,
            qty_picked double precision NOT NULL DEFAULT 0,
            qty_short double precision NOT NULL DEFAULT 0, suggestions text,
            suggestions_watch text, repick double precision NOT NULL DEFAULT 0,
            PRIMARY KEY (store, order_id, line_no)
        );
        CREATE TABLE changes (
            seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, store text NOT NULL,
            kind text NOT NULL, key text NOT NULL, at text NOT NULL
        );
        CREATE TABLE stock (
            store text NOT NULL, bin text NOT NULL, sku text NOT NULL,
            on_hand double precision NOT NULL, PRIMARY KEY (store, bin, sku)
        );
        CREATE TABLE stock_moves (
            store text NOT NULL, bin text NOT NULL, sku text NOT NULL,
            delta double precision NOT NULL, at text NOT NULL, event_id text NOT NULL
        );
        CREATE TABLE losses (
            store text NOT NULL, event_id text NOT NULL, kind text NOT NULL, bin text, sku text,
            qty double precision, batch text
        );
        CREATE TABLE substitutions (
            store text NOT NULL, event_id text NOT NULL, order_id text NOT NULL, line_no bigint,
            from_sku text, to_sku text, qty double precision
        );
        CREATE TABLE variances (
            store text NOT NULL, task_id text NOT NULL, bin text NOT NULL, sku text,
            expected double precision, counted double precision, at text NOT NULL
        );
        CREATE TABLE order_history (
            store text NOT NULL, order_id text NOT NULL, placed_at text NOT NULL,
            sku text NOT NULL, qty double precision NOT NULL
        );
        CREATE TABLE qc_results (
            store text NOT NULL, event_id text NOT NULL, order_id text NOT NULL, packer text,
            picker text, result text NOT NULL, discrepancies text NOT NULL, lines bigint NOT NULL,
            at text NOT NULL
        );
        CREATE TABLE labels (
            store text NOT NULL, event_id text NOT NULL, order_id text NOT NULL, bag text,
            n bigint, m bigint, reprint bigint NOT NULL DEFAULT 0, at text NOT NULL
        );
        CREATE TABLE dispatches (
            store text NOT NULL, event_id text NOT NULL, order_id text NOT NULL, rider text,
            bags text NOT NULL, at text NOT NULL
        );
        CREATE TABLE device_reports (
            store text NOT NULL, device text NOT NULL, pending bigint NOT NULL, at text NOT NULL,
            PRIMARY KEY (store, device)
        );
        CREATE TABLE slot_moves (
            store text NOT NULL, id text NOT NULL, sku text NOT NULL, from_bin text NOT NULL,
            to_bin text NOT NULL, swap_sku text, state text NOT NULL, accepted_by text,
            accepted_at text NOT NULL, done_at text, qty double precision,
            swap_qty double precision, PRIMARY KEY (store, id)
        );
        CREATE TABLE replenish_tasks (
            store text NOT NULL, id text NOT NULL, bin text NOT NULL, sku text NOT NULL,
            qty double precision NOT NULL, state text NOT NULL, opened_at text NOT NULL,
            done_at text, brought double precision, PRIMARY KEY (store, id)
        );
        CREATE TABLE store_settings (store text PRIMARY KEY, replenish_days double precision);
        CREATE TABLE sales_by_day (
            store text NOT NULL, sku text NOT NULL, day text NOT NULL,
            qty double precision NOT NULL, PRIMARY KEY (store, sku, day)
        );
        CREATE INDEX changes_by_store ON changes (store, seq);
        CREATE INDEX count_entries_by_task ON count_entries (store, task_id);
        CREATE INDEX count_tasks_by_bin ON count_tasks (store, bin, sku, state);
        CREATE INDEX order_history_by_sku ON order_history (store, sku);
        CREATE INDEX orders_by_state ON orders (store, state);
        CREATE INDEX qc_results_by_order ON qc_results (store, order_id);
        CREATE INDEX replenish_tasks_open ON replenish_tasks (store, bin, sku, state);
        CREATE INDEX stock_moves_by_bin ON stock_moves (store, bin, sku, at);
        CREATE INDEX stock_moves_by_sku ON stock_moves (store, sku, at);
        CREATE INDEX substitutions_by_line ON substitutions (store, order_id, line_no);
        """,
    ),
    (
        # What SQLite has without asking, the effects and reads rely on: the order rows were
        # inserted in (SQLite's rowid, on each table without a key: ORDER BY rowid), and text
        # compared byte by byte (SQLite's BINARY collation), whatever the locale the database
        # was created in (SKUs, bins and ids sort the same on both back ends).
        "0002_row_order_and_byte_order",
        """
        ALTER TABLE events ADD COLUMN rowid bigint GENERATED ALWAYS AS IDENTITY;
        ALTER TABLE count_entries ADD COLUMN rowid bigint GENERATED ALWAYS AS IDENTITY;
        ALTER TABLE stock_moves ADD COLUMN rowid bigint GENERATED ALWAYS AS IDENTITY;
        ALTER TABLE losses ADD COLUMN rowid bigint GENERATED ALWAYS AS IDENTITY;
        ALTER TABLE substitutions ADD COLUMN rowid bigint GENERATED ALWAYS AS IDENTITY;
        ALTER TABLE variances ADD COLUMN rowid bigint GENERATED ALWAYS AS IDENTITY;
        ALTER TABLE order_history ADD COLUMN rowid bigint GENERATED ALWAYS AS IDENTITY;
        ALTER TABLE qc_results ADD COLUMN rowid bigint GENERATED ALWAYS AS IDENTITY;
        ALTER TABLE labels ADD COLUMN rowid bigint GENERATED ALWAYS AS IDENTITY;
        ALTER TABLE dispatches ADD COLUMN rowid bigint GENERATED ALWAYS AS IDENTITY;
        DO $$
        DECLARE c record;
        BEGIN
            FOR c IN SELECT table_name, column_name FROM information_schema.columns
                     WHERE table_schema = current_schema() AND data_type = 'text'
                     AND table_name <> '_migrations'
            LOOP
                EXECUTE format('ALTER TABLE %I ALTER COLUMN %I TYPE text COLLATE "C"',
                               c.table_name, c.column_name);
            END LOOP;
        END $$;
        """,
    ),
    (
        # The chain's transactional outbox (issue 16): each applied event that moved stock, and
        # each store's starting stock, as the message the stream is to hold, written in the
        # event's own transaction; the publisher (backend/stream.py) sets published_at once
        # the stream has acknowledged it. PostgreSQL only: one store on SQLite has no stream.
        "0003_stock_outbox",
        """
        CREATE TABLE stock_outbox (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            store text COLLATE "C" NOT NULL, msg_id text COLLATE "C" NOT NULL UNIQUE,
            body text NOT NULL, published_at text
        );
        CREATE INDEX stock_outbox_unpublished ON stock_outbox (id) WHERE published_at IS NULL;
        """,
    ),
]

PG_ONLY_TABLES = frozenset({"stock_outbox"})
"""Tables of the chain's schema that the SQLite backend has no use for."""


def run(conn: psycopg.Connection, where: str, migrations: Sequence[tuple[str, str]] = MIGRATIONS
        ) -> list[str]:  # fmt: skip
    """Bring the database on `conn` (named `where` in sentences, without its password) up to
    `migrations`; the names of those applied now (none: it was up to date). A database with a
    migration this code does not know (a newer picker_app wrote it), or applied out of order,
    is refused with a PickerError and left as it was."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK_KEY,))
        conn.execute(
            "CREATE TABLE IF NOT EXISTS _migrations (id bigint PRIMARY KEY,"
            " name text UNIQUE NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        done = [r[0] for r in conn.execute("SELECT name FROM _migrations ORDER BY id")]
        refused = refusal(done, [name for name, _ in migrations], where)
        if refused:
            raise PickerError(refused)
        applied = []
        for n, (name, sql) in enumerate(migrations[len(done) :], start=len(done) + 1):
            conn.execute(sql.encode())  # several statements: the simple query protocol
            conn.execute("INSERT INTO _migrations (id, name) VALUES (%s, %s)", (n, name))
            applied.append(name)
    return applied


def shown(dsn: str) -> str:
    """`dsn` as a sentence may name it: without its password."""
    try:
        parts = psycopg.conninfo.conninfo_to_dict(dsn)
    except psycopg.ProgrammingError:
        return "the address given"
    parts.pop("password", None)
    user = f"{parts['user']}@" if parts.get("user") else ""
    port = f":{parts['port']}" if parts.get("port") else ""
    return f"postgresql://{user}{parts.get('host', 'localhost')}{port}/{parts.get('dbname', '')}"


def connect(dsn: str) -> psycopg.Connection:
    """A connection to the database at `dsn`, or a PickerError saying in one sentence why not."""
    if not dsn.startswith(("postgresql://", "postgres://")) and "=" not in dsn:
        raise PickerError(
            f"{dsn!r} is not a PostgreSQL address: give one as postgresql://USER@HOST:PORT/DB"
        )
    try:
        return psycopg.connect(dsn, connect_timeout=10)
    except psycopg.ProgrammingError as err:
        why = " ".join(str(err).split())
        raise PickerError(f"{shown(dsn)} is not a PostgreSQL address ({why})") from None
    except psycopg.OperationalError as err:
        # libpq's first line ends in the reason: "... port 1 failed: Connection refused"
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        why = first.rsplit(": ", 1)[-1].strip()
        raise PickerError(
            f"cannot reach PostgreSQL at {shown(dsn)} ({why}): is it running, and may this user "
            "connect to that database?"
        ) from None


def migrate(dsn: str) -> list[str]:
    """Create or migrate the schema of the database at `dsn`; the migrations applied now."""
    with connect(dsn) as conn:
        return run(conn, shown(dsn))
