"""The backend's SQL on PostgreSQL (issue 16): a psycopg connection that takes statements as
sqlite3 does, so that the effects and reads written for SQLite (repository/sqlite_*.py) run on
a city's PostgreSQL database unchanged, and both back ends apply events by the same code.

The statements are kept in the SQL both read (ON CONFLICT upserts, table-qualified columns in
them); what differs only in spelling is translated here, once per statement: `?` placeholders
become psycopg's `%s` (and a literal `%` becomes `%%`), and SQLite's `BEGIN IMMEDIATE` a plain
`BEGIN` (PostgreSQL's writers take row locks as they go). The connection is in autocommit, so
`BEGIN` / `COMMIT` / `SAVEPOINT` are the statements the code sends, as on SQLite; and what the
database refuses in an event's data comes out as sqlite3's IntegrityError or DataError.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

import psycopg
from psycopg.pq import TransactionStatus


@contextmanager
def _as_sqlite() -> Iterator[None]:
    """An event's data the database refuses (a constraint, a value out of range) raised as
    sqlite3 raises it, so the effects code refuses that event alone on either back end (and
    says so in the same words); other errors (the server gone) are psycopg's own."""
    try:
        yield
    except psycopg.IntegrityError as err:
        raise sqlite3.IntegrityError(str(err).strip()) from err
    except psycopg.DataError as err:
        raise sqlite3.DataError(str(err).strip()) from err


@lru_cache(maxsize=1024)
def translate(sql: str) -> bytes:
    """`sql` (SQLite's spelling) in psycopg's: `?` outside quotes -> `%s`, `%` -> `%%`."""
    if sql.strip().upper() == "BEGIN IMMEDIATE":
        return b"BEGIN"
    out: list[str] = []
    quote = ""  # the quote character of the literal or identifier we are in, if any
    for ch in sql:
        if quote:
            if ch == quote:
                quote = ""
        elif ch in ("'", '"'):
            quote = ch
        elif ch == "?":
            out.append("%s")
            continue
        out.append("%%" if ch == "%" else ch)
    if quote:
        raise ValueError(f"unclosed {quote} in SQL: {sql[:80]!r}")
    return "".join(out).encode()


_ROWS_A_STATEMENT = 1000


@lru_cache(maxsize=256)
def _multi_row(sql: str, n: int) -> bytes:
    """`INSERT ... VALUES (?, ?) tail` as the same INSERT of `n` rows, in psycopg's spelling."""
    at = sql.upper().index(" VALUES (") + len(" VALUES ")
    depth, end = 0, at
    for end in range(at, len(sql)):  # the row's closing parenthesis
        depth += {"(": 1, ")": -1}.get(sql[end], 0)
        if depth == 0:
            break
    row = sql[at : end + 1]
    return translate(f"{sql[:at]}{', '.join([row] * n)}{sql[end + 1 :]}")


class PgConn:
    """A psycopg connection (autocommit) with sqlite3's `execute` and `executemany`."""

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        conn.autocommit = True
        self.raw = conn

    def execute(self, sql: str, params: Sequence[object] = ()) -> psycopg.Cursor[Any]:
        with _as_sqlite():
            return self.raw.execute(translate(sql), tuple(params))

    def executemany(self, sql: str, rows: Iterable[Sequence[object]]) -> psycopg.Cursor[Any]:
        """`sql` once for each of `rows`; an INSERT as one statement of all the rows (a
        statement's cost on the server is most of a row's), but not an upsert that updates
        (two rows of one key in one statement are an error there, not one after the other)."""
        if sql.lstrip().upper().startswith("INSERT") and "DO UPDATE" not in sql.upper():
            return self.insert_rows(sql, rows)
        cur = self.raw.cursor()
        with _as_sqlite():
            cur.executemany(translate(sql), [tuple(r) for r in rows])
        return cur

    def insert_rows(self, sql: str, rows: Iterable[Sequence[object]]) -> psycopg.Cursor[Any]:
        """An `INSERT ... VALUES (?, ...) [...]` of every row in one statement (1,000 rows a
        statement): for an upsert, the caller's rows are of distinct keys."""
        cur = self.raw.cursor()
        every = [tuple(r) for r in rows]
        for n in range(0, len(every), _ROWS_A_STATEMENT):
            chunk = every[n : n + _ROWS_A_STATEMENT]
            with _as_sqlite():
                cur.execute(_multi_row(sql, len(chunk)), [v for r in chunk for v in r])
        return cur

    @property
    def in_transaction(self) -> bool:
        return self.raw.info.transaction_status != TransactionStatus.IDLE

    def close(self) -> None:
        self.raw.close()
