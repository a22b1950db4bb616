"""The backend's storage in SQLite (the demo's, the tests'): one writer connection behind a lock,
and reader connections of their own for the devices' reads (WAL), so a download never holds up
an upload. Implements Repository (and, through sqlite_writes, EventWrites)."""

from __future__ import annotations

import hashlib
import json
import queue
import random
import secrets
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path

from picker_app.backend import migrations
from picker_app.backend.batches import apply_batch
from picker_app.backend.clock import now
from picker_app.backend.intake import IncomingBatch, clip
from picker_app.backend.repository import NewOrder, StoreData
from picker_app.backend.repository.sqlite_reads import read_changes, read_snapshot
from picker_app.backend.repository.sqlite_reorder import set_replenish_days
from picker_app.backend.repository.sqlite_writes import SqliteEventWrites, record_change, set_order
from picker_app.backend.seed import add_orders
from picker_app.backend.suggest import ReadSuggestions, Suggester, build_suggester
from picker_app.domain.auth import ROLES
from picker_app.domain.times import parse_time
from picker_app.errors import PickerError
from picker_app.wire import BatchResult, ChangesPage, EventBatch, Snapshot


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _daily_sales(
    history: Iterable[tuple[str, str, str, float]],
) -> list[tuple[tuple[str, str], float]]:
    """((sku, UTC day), qty sold) of an order history, as record_sale counts a pick's day; a
    line whose time cannot be read is left out."""
    sold: dict[tuple[str, str], float] = {}
    for _, placed_at, sku, qty in history:
        when = parse_time(placed_at)
        if when is not None:
            day = when.astimezone(UTC).date().isoformat()
            sold[sku, day] = sold.get((sku, day), 0) + qty
    return sorted(sold.items())


class BackendDB:
    """The backend's database: one connection, one writer at a time."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self.conn.execute("PRAGMA journal_mode = WAL")
        self.conn.execute("PRAGMA synchronous = FULL")
        migrations.run(self.conn, self.path)
        self.lock = threading.RLock()
        self._readers: queue.SimpleQueue[sqlite3.Connection] = queue.SimpleQueue()  # reading()
        self.keep = 10_000_000  # changes kept; a cursor older than that must take a snapshot

    @contextmanager
    def transaction(self, store: str | None = None) -> Iterator[sqlite3.Connection]:
        """One writer at a time: BEGIN IMMEDIATE ... COMMIT, rolled back if the block or the
        COMMIT raises (the original error is what propagates). `store`: the store whose data
        the block writes (here every store shares the one writer; PostgresDB orders only
        that store's writes)."""
        with self.lock:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
                self.conn.execute("COMMIT")
            except BaseException:
                # SQLite may have rolled back already (SQLITE_FULL, a trigger's RAISE(ROLLBACK));
                # a ROLLBACK then would fail and hide the error that matters.
                if self.conn.in_transaction:
                    with suppress(sqlite3.Error):
                        self.conn.execute("ROLLBACK")
                raise

    @contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        """One consistent read: a read transaction on a reader connection of its own (kept in
        a pool), so it neither waits for the writer nor holds it up (WAL); never the lock."""
        try:
            conn = self._readers.get_nowait()
        except queue.Empty:
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA query_only = ON")
        conn.execute("BEGIN")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            conn.close()
            raise
        conn.execute("COMMIT")
        self._readers.put(conn)

    def ready(self) -> BackendDB:
        """Opened, the file's schema is up to date already."""
        return self

    def close(self) -> None:
        """Close the writer's connection and the pooled readers."""
        while True:
            try:
                self._readers.get_nowait().close()
            except queue.Empty:
                break
        self.conn.close()

    # Devices.
    def add_device(
        self, store: str, device: str = "", roles: Iterable[str] | None = None
    ) -> str:
        """Issue a bearer token for one device of one store (named `device`, or a new name),
        used by people of `roles` (None: every role; its downloads carry only their PIN
        hashes); only the token's hash is kept. The device may then speak only as that name."""
        name = device or f"device-{secrets.token_hex(4)}"
        if len(name) > 64:
            raise PickerError(f"a device name is at most 64 characters: {clip(name)!r}")
        kept = None
        if roles is not None:
            wanted = sorted(set(roles))
            unknown = [r for r in wanted if r not in ROLES]
            if unknown or not wanted:
                named = clip(",".join(unknown))
                raise PickerError(f"a device's roles are some of {', '.join(ROLES)}, not {named!r}")
            kept = ",".join(wanted)
        token = secrets.token_urlsafe(32)
        while token.startswith("-"):  # `--token -x...` would read as an option: draw again
            token = secrets.token_urlsafe(32)
        with self.transaction(store) as conn:
            conn.execute(
                "INSERT INTO devices (token_hash, device, store, created_at, roles)"
                " VALUES (?, ?, ?, ?, ?)",
                (_hash(token), name, store, now(), kept),
            )
        return token

    def revoke_device(self, store: str, device: str) -> int:
        """Forget every token of `device` of `store` (a lost device): its requests get 401
        from now on; the events it sent stay. How many tokens there were."""
        with self.transaction(store) as conn:
            gone = conn.execute(
                "DELETE FROM devices WHERE store = ? AND device = ?", (store, device)
            ).rowcount
        return int(gone)

    def device_roles(self, store: str, device: str) -> frozenset[str] | None:
        """The roles whose people use `device` of `store` (None: every role; a device with
        several tokens has the roles of all of them)."""
        with self.reading() as conn:
            rows = conn.execute(
                "SELECT roles FROM devices WHERE store = ? AND device = ?", (store, device)
            ).fetchall()
        if not rows or any(r[0] is None for r in rows):
            return None
        return frozenset(role for r in rows for role in r[0].split(","))

    def device_for(self, token: str, store: str) -> tuple[str, str] | None:
        """The (device, store) a token was issued to, or None, for a request about `store`
        (here every store's tokens are in the one file; sharded, only `store`'s city is
        asked). Read beside the writer, so a request waits for no one's transaction, and sees
        no one's uncommitted rows."""
        with self.reading() as conn:
            row = conn.execute(
                "SELECT device, store FROM devices WHERE token_hash = ?", (_hash(token),)
            ).fetchone()
        return (row[0], row[1]) if row else None

    # Events.
    writes_class = SqliteEventWrites  # what the effects write through (PostgresDB's adds)

    @contextmanager
    def event_writes(self, store: str) -> Iterator[SqliteEventWrites]:
        """One write transaction for one batch of `store`'s events (what they leave to be
        written at the end is written before it commits)."""
        with self.transaction(store) as conn:
            writes = self.writes_class(conn, store)
            yield writes
            writes.flush()

    def apply_batch(
        self, store: str, batch: EventBatch | IncomingBatch, device: str | None = None
    ) -> BatchResult:
        """Apply a batch in order, each event at most once (see backend/batches.py)."""
        return apply_batch(self, store, batch, device)

    # The devices' reads.
    def snapshot(self, store: str) -> Snapshot:
        """Everything a device of `store` needs, with the cursor of the last change it covers:
        read in one read transaction, without the writer's lock."""
        return read_snapshot(self, store)

    def changes(self, store: str, cursor: int, limit: int) -> ChangesPage | None:
        """Changes after `cursor`, oldest first; None when the cursor is unknown or too old
        (the device must take a snapshot). Read in one read transaction, without the lock."""
        return read_changes(self, store, cursor, limit)

    def suggester(self, store: str, conn: sqlite3.Connection) -> Suggester:
        """The backend's substitutes for a line, as `conn` sees the catalog and stock
        (backend/suggest.py); called once per placement or read, never per order."""
        return build_suggester(conn, store)

    def read_suggestions(self, store: str, conn: sqlite3.Connection) -> ReadSuggestions:
        """The suggestions of the lines one read on `conn` sends (see backend/suggest.py)."""
        return ReadSuggestions(conn, store, lambda: self.suggester(store, conn))

    # Orders.
    def add_orders(
        self,
        store: str,
        count: int,
        rng: random.Random,
        placed_at: Sequence[datetime] | None = None,
    ) -> int:
        """New confirmed orders drawn by demand (as customers place them): see seed.add_orders."""
        return add_orders(self, store, count, rng, placed_at)

    def demand(self, store: str) -> list[tuple[str, str, float]]:
        """(sku, unit, demand weight) of each product of the catalog, by SKU."""
        with self.reading() as conn:
            rows = conn.execute(
                "SELECT sku, unit, demand FROM catalog WHERE store = ? ORDER BY sku", (store,)
            ).fetchall()
        return [(r[0], r[1], r[2]) for r in rows]

    def insert_orders(self, store: str, orders: Sequence[NewOrder]) -> int:
        """Place `orders` (confirmed), numbered after the last, each line stored with the
        backend's substitutes for it, ranked on the stock of now."""
        with self.transaction(store) as conn:
            last = conn.execute(
                "SELECT MAX(CAST(SUBSTR(id, 3) AS INTEGER)) FROM orders WHERE store = ?", (store,)
            ).fetchone()[0]
            next_no = max(int(last or 0), 52000000) + 1
            suggest = self.suggester(store, conn)
            for n, order in enumerate(orders):
                order_id = f"OR{next_no + n}"
                conn.execute(
                    "INSERT INTO orders (store, id, promised_at, state, area, substitutes)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    (store, order_id, order.promised_at, "confirmed", order.area,
                     order.substitutes),
                )  # fmt: skip
                conn.executemany(
                    "INSERT INTO order_lines (store, order_id, line_no, sku, qty, suggestions,"
                    " suggestions_watch) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [
                        (store, order_id, no, sku, qty, *map(json.dumps, suggest.rank(sku, qty)))
                        for no, sku, qty in order.lines
                    ],
                )
                record_change(conn, store, "order", order_id)
        return len(orders)

    def cancel_order(self, store: str, order_id: str) -> bool:
        """The customer cancels an order (before dispatch); False if it cannot be."""
        with self.transaction(store) as conn:
            row = conn.execute(
                "SELECT state FROM orders WHERE store = ? AND id = ?", (store, order_id)
            ).fetchone()
            if row is None or row[0] in ("dispatched", "delivered", "cancelled"):
                return False
            set_order(conn, store, order_id, "cancelled")
            return True

    # Seeding.
    def has_catalog(self, store: str) -> bool:
        """Whether `store` has any product yet."""
        with self.reading() as conn:
            found = conn.execute(
                "SELECT 1 FROM catalog WHERE store = ? LIMIT 1", (store,)
            ).fetchone()
        return found is not None

    def stock_loaded(
        self, conn: sqlite3.Connection, store: str, stock: Sequence[tuple[str, str, float]]
    ) -> None:
        """A store's starting stock was written on `conn` (PostgresDB puts it in the outbox
        for the stream; one store on SQLite has none)."""

    def set_replenish_days(self, store: str, days: float) -> None:
        """The store's pick-face minimum, in days of a product's average sales (issue 14)."""
        with self.transaction(store) as conn:
            set_replenish_days(conn, store, days)

    def load_store(self, store: str, data: StoreData) -> None:
        """A store's starting data, in one transaction."""
        with self.transaction(store) as conn:
            conn.executemany(
                "INSERT INTO catalog VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(store, *row) for row in data.catalog],
            )
            conn.executemany(
                "INSERT INTO stock (store, bin, sku, on_hand) VALUES (?, ?, ?, ?)",
                [(store, *row) for row in data.stock],
            )
            self.stock_loaded(conn, store, data.stock)
            conn.executemany(
                "INSERT INTO users (store, id, name, role, badge, pin_hash)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                [(store, *u) for u in data.users],
            )
            conn.executemany(
                "INSERT INTO order_history VALUES (?, ?, ?, ?, ?)",
                [(store, *h) for h in data.history],
            )
            conn.executemany(  # each product's sales a day (replenishment reads them)
                "INSERT INTO sales_by_day (store, sku, day, qty) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (store, sku, day)"
                " DO UPDATE SET qty = sales_by_day.qty + excluded.qty",
                [(store, sku, day, qty) for (sku, day), qty in _daily_sales(data.history)],
            )
            conn.execute(
                "INSERT INTO store_meta (store, layout, layout_hash) VALUES (?, ?, ?)"
                " ON CONFLICT (store) DO UPDATE SET layout = excluded.layout,"
                " layout_hash = excluded.layout_hash",
                (store, data.layout, data.layout_hash),
            )
