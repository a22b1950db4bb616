"""The backend's storage in PostgreSQL (issue 16): one city's database, for every store of that
city. The same Repository as the SQLite one, by the same code: BackendDB's methods, the effects'
storage (SqliteEventWrites) and the reads run on pooled connections (repository/pg_sql.py says
what is translated), so both back ends apply an event the same way.

What SQLite's one writer gave, this gives across any number of backend processes:
- each write transaction that names a store takes that store's advisory transaction lock first
  (`pg_advisory_xact_lock`, held to COMMIT): one store's batches, placements and cancellations
  apply one after another, in the order they took the lock, while other stores (and other
  processes) write at once. A claim or a cancellation reads then writes, so it cannot race.
  This also keeps each store's change numbers (`changes.seq`) in commit order, which the
  devices' cursors need: a number given out is never committed after a larger one of the same
  store, so a device reading up to a cursor never skips a change committed later below it.
  Why not SERIALIZABLE with retries: every effect reads then writes the same rows (stock, the
  order), so a store's burst would fail most of its transactions and each retry redo a whole
  batch; the lock costs one round trip and never fails.
- each read (a snapshot, a page of changes) is one REPEATABLE READ READ ONLY transaction: one
  consistent view, as SQLite's read transaction on a reader connection.
Nothing here is kept in a process's memory for correctness; what is (a database found down a
moment ago) only saves waiting.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress

import psycopg
from psycopg_pool import ConnectionPool, PoolTimeout

from picker_app.backend import pg_migrations
from picker_app.backend.repository import StorageUnavailable
from picker_app.backend.repository.pg_outbox import PgEventWrites, write_loaded
from picker_app.backend.repository.pg_sql import PgConn
from picker_app.backend.repository.sqlite import BackendDB

# A database down is said in this module's sentences (at serve's start, in each 503); the
# pool's own warning at each of its reconnection attempts would repeat it every few seconds.
logging.getLogger("psycopg.pool").setLevel(logging.ERROR)


def store_lock_key(store: str) -> int:
    """The advisory lock of `store`'s writes: 64 bits of a hash every process computes alike."""
    digest = hashlib.sha256(f"picker_app store {store}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class PostgresDB(BackendDB):
    """One city's PostgreSQL database (`dsn`) behind the backend's Repository: a pool of up to
    `pool_size` connections; `wait` seconds at most for one before a request is answered 503."""

    writes_class = PgEventWrites  # the effects' writes, and the outbox of what moved stock
    DOWN_FOR = 2.0  # the database found down: requests fail at once for this long, not wait

    def __init__(self, dsn: str, pool_size: int = 8, wait: float = 2.0, name: str = "") -> None:
        # Not BackendDB.__init__: no file. Its methods use transaction() and reading() only.
        self.dsn = dsn
        self.where = (f"city {name}'s database " if name else "the database ") + (
            pg_migrations.shown(dsn)
        )
        self.keep = 10_000_000
        self.pool = ConnectionPool(
            dsn, min_size=1, max_size=pool_size, timeout=wait, open=False,
            check=ConnectionPool.check_connection,  # one taken after a restart is replaced
            kwargs={"autocommit": True, "connect_timeout": max(1, round(wait))},
            name=name or "picker_app",
        )  # fmt: skip
        self.pool.open(wait=False)
        self._migrated = False
        self._migrating = threading.Lock()
        self._down_until = 0.0
        self._direct: PgConn | None = None

    def __repr__(self) -> str:
        return f"PostgresDB({self.where})"

    # Connections.
    def _down(self, err: BaseException) -> StorageUnavailable:
        """The sentence for a failure to get or use a connection. Every connection busy is
        not the database down; else the next requests fail at once for DOWN_FOR seconds."""
        if isinstance(err, PoolTimeout):  # the pool says only that it waited: busy, or down?
            try:
                psycopg.connect(self.dsn, connect_timeout=2).close()
            except psycopg.OperationalError as probe:
                err = probe  # down: libpq says why
            else:
                return StorageUnavailable(
                    f"{self.where} is busy (every connection of this backend process is in"
                    " use): the store's events wait on its devices; try again shortly"
                )
        self._down_until = time.monotonic() + self.DOWN_FOR
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        return StorageUnavailable(
            f"{self.where} cannot be reached ({first.rsplit(': ', 1)[-1].strip()}): the store's"
            " events wait on its devices; try again shortly"
        )

    @contextmanager
    def _connection(self) -> Iterator[PgConn]:
        """A pooled connection; the database found down, StorageUnavailable (a sentence)."""
        if time.monotonic() < self._down_until:
            raise StorageUnavailable(
                f"{self.where} could not be reached a moment ago: the store's events wait on"
                " its devices; try again shortly"
            )
        try:
            with self.pool.connection() as raw:
                conn = PgConn(raw)
                if not self._migrated:
                    self._migrate(raw)
                yield conn
        except psycopg.OperationalError as err:  # the server gone, a lost connection, no room
            raise self._down(err) from err

    def _migrate(self, raw: psycopg.Connection) -> None:
        """Create or migrate the schema, once a process (and once across processes: an
        advisory lock in pg_migrations.run)."""
        with self._migrating:
            if not self._migrated:
                pg_migrations.run(raw, pg_migrations.shown(self.dsn))
                self._migrated = True

    def ready(self) -> PostgresDB:
        """Connect and migrate now (a StorageUnavailable sentence if the database is not
        there); a backend serving one database calls this before it serves."""
        try:  # at once, with libpq's reason, rather than after the pool's wait
            psycopg.connect(self.dsn, connect_timeout=2).close()
        except psycopg.OperationalError as err:
            raise self._down(err) from err
        with self._connection():
            pass
        return self

    @property
    def conn(self) -> PgConn:  # type: ignore[override]
        """A connection of its own, outside the pool, each statement its own transaction:
        for tools and tests that read or write rows directly (BackendDB.conn's use)."""
        if self._direct is None:
            self.ready()
            self._direct = PgConn(psycopg.connect(self.dsn, autocommit=True))
        return self._direct

    @contextmanager
    def transaction(self, store: str | None = None) -> Iterator[PgConn]:  # type: ignore[override]
        """One write transaction; with `store`, after that store's advisory lock (see the
        module's docstring). Rolled back if the block or the COMMIT raises."""
        with self._connection() as conn:
            conn.execute("BEGIN")
            try:
                if store is not None:
                    conn.execute("SELECT pg_advisory_xact_lock(?)", (store_lock_key(store),))
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    with suppress(psycopg.Error):
                        conn.execute("ROLLBACK")
                raise

    @contextmanager
    def reading(self) -> Iterator[PgConn]:  # type: ignore[override]
        """One consistent read: a REPEATABLE READ READ ONLY transaction."""
        with self._connection() as conn:
            conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            try:
                yield conn
            except BaseException:
                if conn.in_transaction:
                    with suppress(psycopg.Error):
                        conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def stock_loaded(  # type: ignore[override]
        self, conn: PgConn, store: str, stock: Sequence[tuple[str, str, float]]
    ) -> None:
        """The starting stock in the outbox, for the stream (its first messages)."""
        write_loaded(conn, store, stock)

    def close(self) -> None:
        if self._direct is not None:
            self._direct.close()
        self.pool.close()
