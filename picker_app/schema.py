"""Ordered, named schema migrations of a SQLite database (as simonw/llm does), for the device's
cache and the reference backend alike: each runs once, in order, in its own transaction, and is
recorded in the `_migrations` table with the time it ran."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

Migrations = Sequence[tuple[str, str]]


def migrate(
    conn: sqlite3.Connection,
    path: Path,
    migrations: Migrations,
    fail: Callable[[str], Exception],
) -> None:
    """Bring the database on `conn` (autocommit) up to `migrations`. A database with migrations
    this code does not know (written by a newer version), or applied out of order, is refused
    with `fail(sentence)` and left as it was."""
    conn.execute(
        "CREATE TABLE IF NOT EXISTS _migrations"
        " (id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL, applied_at TEXT NOT NULL)"
    )
    done = [r[0] for r in conn.execute("SELECT name FROM _migrations ORDER BY id")]
    refused = refusal(done, [name for name, _ in migrations], str(path))
    if refused:
        raise fail(refused)
    for name, sql in migrations[len(done) :]:
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in sql.split(";"):
                if statement.strip():
                    conn.execute(statement)
            conn.execute(
                "INSERT INTO _migrations (name, applied_at) VALUES (?, ?)",
                (name, datetime.now(UTC).isoformat(timespec="milliseconds")),
            )
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")


def refusal(done: Sequence[str], known: Sequence[str], where: str) -> str | None:
    """Why a database whose applied migrations are `done` must not be migrated to `known`, as
    one sentence naming `where` (None: it may). For SQLite files and PostgreSQL alike."""
    unknown = [name for name in done if name not in known]
    if unknown or len(done) > len(known):
        return (
            f"{where}: this database was written by a newer picker_app (migration "
            f"{unknown[0] if unknown else done[-1]!r} is unknown here); update picker_app. "
            "It was left untouched."
        )
    if list(done) != list(known[: len(done)]):
        return f"{where}: migrations were applied out of order: {list(done)}"
    return None
