"""The backend's repositories the tests run on: SQLite (the demo's) and, for the modules marked
`both_backends`, PostgreSQL too (the chain's, issue 16), each test on a database of its own.

A module marked `pytestmark = pytest.mark.both_backends` runs each test that uses `repos` (or
the `db` fixture) twice, as `[sqlite]` and `[postgres]`; the test itself is the same.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from picker_app.backend.server import BackendDB, seed_from_fixtures

ROOT = Path(__file__).resolve().parent.parent
STORE = "BLR-KOR-01"
KINDS = ("sqlite", "postgres")


class Templates:
    """Seeded stores made once a session for each back end, copied for each test: SQLite
    files (copied with VACUUM INTO), PostgreSQL databases (CREATE DATABASE ... TEMPLATE)."""

    def __init__(self, folder: Path, pg_server: Callable[[], Any]) -> None:
        self.folder = folder
        self.pg_server = pg_server  # the session's PostgreSQL, started when first asked for
        self.made: dict[tuple[str, int], str] = {}

    def seeded(self, kind: str, open_orders: int) -> str:
        """The template of a store seeded from the fixtures with `open_orders` open orders."""
        key = (kind, open_orders)
        if key not in self.made:
            if kind == "sqlite":
                path = self.folder / f"seeded-{open_orders}.db"
                db = BackendDB(path)
                seed_from_fixtures(db, ROOT / "fixtures", STORE, open_orders=open_orders)
                db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                db.close()
                self.made[key] = str(path)
            else:
                from picker_app.backend.repository.postgres import PostgresDB

                dsn = self.pg_server().new_database()
                pg = PostgresDB(dsn).ready()
                seed_from_fixtures(pg, ROOT / "fixtures", STORE, open_orders=open_orders)
                pg.close()  # a template nobody is connected to
                self.made[key] = dsn.rsplit("/", 1)[1]
        return self.made[key]


class Repos:
    """New repositories of one kind for one test; closed after it."""

    def __init__(self, kind: str, folder: Path, templates: Templates) -> None:
        self.kind = kind
        self.folder = folder
        self.templates = templates
        self.made: list[BackendDB] = []

    def _open(self, template: str = "") -> BackendDB:
        n = len(self.made)
        if self.kind == "sqlite":
            path = self.folder / f"backend-{n}.db"
            if template:
                source = BackendDB(template)
                source.conn.execute("VACUUM INTO ?", (str(path),))
                source.close()
            db = BackendDB(path)
        else:
            from picker_app.backend.repository.postgres import PostgresDB

            db = PostgresDB(self.templates.pg_server().new_database(template)).ready()
        self.made.append(db)
        return db

    def new(self) -> BackendDB:
        """An empty backend (its schema made)."""
        return self._open()

    def seeded(self, open_orders: int = 5) -> BackendDB:
        """A copy of a store seeded from the fixtures with `open_orders` open orders."""
        return self._open(self.templates.seeded(self.kind, open_orders))

    def close(self) -> None:
        for db in self.made:
            db.close()


def refuse_stock_move(db: BackendDB, event_id: str) -> None:
    """Make the database refuse the stock move of event `event_id` (a trigger, standing in
    for any constraint an event's data can break), in the back end's own dialect."""
    if isinstance(db.conn, sqlite3.Connection):
        db.conn.execute(
            "CREATE TEMP TRIGGER refuse_one BEFORE INSERT ON stock_moves"
            f" WHEN NEW.event_id = '{event_id}' BEGIN SELECT RAISE(ABORT, 'refused'); END"
        )
        return
    db.conn.execute(
        "CREATE FUNCTION refuse_one() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
        f" IF NEW.event_id = '{event_id}' THEN RAISE integrity_constraint_violation"
        " USING MESSAGE = 'refused'; END IF; RETURN NEW; END $$"
    )
    db.conn.execute(
        "CREATE TRIGGER refuse_one BEFORE INSERT ON stock_moves"
        " FOR EACH ROW EXECUTE FUNCTION refuse_one()"
    )
