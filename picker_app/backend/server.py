"""The reference order backend: FastAPI under uvicorn, with its own SQLite database.

This slice serves health, device authentication and the event upload with exactly-once
semantics (every event_id is kept forever, so a resend is never applied twice). Catalog, orders,
snapshots and changes come in the next slice of issue 4.
"""

import hashlib
import json
import queue
import random
import secrets
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

from fastapi import Depends, FastAPI, Header, HTTPException, Query, Response
from pydantic import ValidationError

from picker_app.backend import effects
from picker_app.backend.intake import (
    BATCH_BODY_OPENAPI,
    IncomingBatch,
    clip,
    explain_error,
    guard,
    non_finite,
    read_batch,
)
from picker_app.backend.intake import request_body as _request_body
from picker_app.backend.suggest import SUGGESTIONS as SUGGESTIONS
from picker_app.backend.suggest import ReadSuggestions, Suggester, build_suggester
from picker_app.backend.suggest import name_words as _name_words  # noqa: F401 - tests use it
from picker_app.domain.demand import DEMO_DAY, DemandCurve
from picker_app.domain.events import INT64_MAX, MAX_PAYLOAD_BYTES, PAYLOADS
from picker_app.errors import PickerError
from picker_app.schema import migrate
from picker_app.wire import (
    BatchResult,
    BinPicks,
    Change,
    ChangesPage,
    CountTaskWire,
    EventBatch,
    EventResult,
    Health,
    OrderLineWire,
    OrderWire,
    SkuWire,
    Snapshot,
    StockWire,
    UserWire,
    WireEvent,
)

# The backend's schema as ordered, named migrations (recorded in `_migrations`, as the device's
# cache does). 0001 is written with IF NOT EXISTS: databases made before migrations were recorded
# take it as already there. Never edit or reorder a released one; add new ones at the end.
SCHEMA = """
CREATE TABLE IF NOT EXISTS devices (
    token_hash TEXT PRIMARY KEY, device TEXT NOT NULL, store TEXT NOT NULL, created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
    event_id TEXT PRIMARY KEY, store TEXT NOT NULL, device TEXT NOT NULL, seq INTEGER NOT NULL,
    type TEXT NOT NULL, payload TEXT NOT NULL, created_at TEXT NOT NULL, received_at TEXT NOT NULL,
    status TEXT NOT NULL, reason TEXT
);
CREATE TABLE IF NOT EXISTS catalog (
    store TEXT NOT NULL, sku TEXT NOT NULL, name TEXT NOT NULL, unit TEXT NOT NULL,
    weight_g REAL, bin TEXT, category TEXT, price REAL, gtin TEXT, store_code TEXT,
    demand REAL NOT NULL DEFAULT 1, PRIMARY KEY (store, sku)
);
CREATE TABLE IF NOT EXISTS store_meta (
    store TEXT PRIMARY KEY, layout TEXT, layout_hash TEXT
);
CREATE TABLE IF NOT EXISTS order_history (
    store TEXT NOT NULL, order_id TEXT NOT NULL, placed_at TEXT NOT NULL, sku TEXT NOT NULL,
    qty REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS count_tasks (
    store TEXT NOT NULL, id TEXT NOT NULL, bin TEXT NOT NULL, sku TEXT, reason TEXT NOT NULL,
    state TEXT NOT NULL, counted REAL, recount_of TEXT, PRIMARY KEY (store, id)
);
CREATE TABLE IF NOT EXISTS losses (
    store TEXT NOT NULL, event_id TEXT NOT NULL, kind TEXT NOT NULL, bin TEXT, sku TEXT,
    qty REAL, batch TEXT
);
CREATE TABLE IF NOT EXISTS substitutions (
    store TEXT NOT NULL, event_id TEXT NOT NULL, order_id TEXT NOT NULL, line_no INTEGER,
    from_sku TEXT, to_sku TEXT, qty REAL
);
CREATE TABLE IF NOT EXISTS variances (
    store TEXT NOT NULL, task_id TEXT NOT NULL, bin TEXT NOT NULL, sku TEXT, expected REAL,
    counted REAL, at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS users (
    store TEXT NOT NULL, id TEXT NOT NULL, name TEXT NOT NULL, role TEXT NOT NULL,
    badge TEXT NOT NULL, pin_hash TEXT NOT NULL, PRIMARY KEY (store, id)
);
CREATE TABLE IF NOT EXISTS orders (
    store TEXT NOT NULL, id TEXT NOT NULL, promised_at TEXT, state TEXT NOT NULL,
    priority INTEGER NOT NULL DEFAULT 0, area TEXT, claimed_by TEXT, PRIMARY KEY (store, id)
);
CREATE TABLE IF NOT EXISTS order_lines (
    store TEXT NOT NULL, order_id TEXT NOT NULL, line_no INTEGER NOT NULL, sku TEXT NOT NULL,
    qty REAL NOT NULL, qty_picked REAL NOT NULL DEFAULT 0, qty_short REAL NOT NULL DEFAULT 0,
    PRIMARY KEY (store, order_id, line_no)
);
CREATE TABLE IF NOT EXISTS changes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, store TEXT NOT NULL, kind TEXT NOT NULL,
    key TEXT NOT NULL, at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS stock (
    store TEXT NOT NULL, bin TEXT NOT NULL, sku TEXT NOT NULL, on_hand REAL NOT NULL,
    PRIMARY KEY (store, bin, sku)
);
"""
MIGRATIONS: list[tuple[str, str]] = [
    ("0001_initial", SCHEMA),
    # Each line keeps its substitutes as ranked when the order was placed, and what would change
    # them (backend/suggest.py); lines from before have NULL and are ranked when read.
    (
        "0002_order_line_suggestions",
        """
        ALTER TABLE order_lines ADD COLUMN suggestions TEXT;
        ALTER TABLE order_lines ADD COLUMN suggestions_watch TEXT;
        CREATE INDEX IF NOT EXISTS changes_by_store ON changes (store, seq);
        CREATE INDEX IF NOT EXISTS orders_by_state ON orders (store, state);
        """,
    ),
    # Exactly-once per store and device: an event_id of one store (or device) is not a
    # duplicate in another. Rows are copied in their order (rowid is the order received).
    (
        "0003_events_keyed_by_store_and_device",
        """
        CREATE TABLE events_keyed (
            store TEXT NOT NULL, device TEXT NOT NULL, event_id TEXT NOT NULL,
            seq INTEGER NOT NULL, type TEXT NOT NULL, payload TEXT NOT NULL,
            created_at TEXT NOT NULL, received_at TEXT NOT NULL, status TEXT NOT NULL,
            reason TEXT, PRIMARY KEY (store, device, event_id)
        );
        INSERT INTO events_keyed (store, device, event_id, seq, type, payload, created_at,
            received_at, status, reason)
            SELECT store, device, event_id, seq, type, payload, created_at, received_at, status,
            reason FROM events ORDER BY rowid;
        DROP TABLE events;
        ALTER TABLE events_keyed RENAME TO events;
        """,
    ),
    # Stock an infinite quantity once drove to +-Infinity (sent as null, refused by every
    # device): unknown, so 0 until it is counted.
    (
        "0004_finite_stock",
        "UPDATE stock SET on_hand = 0 WHERE on_hand IN (9e999, -9e999)",
    ),
]


# A quick-commerce order is promised for delivery this long after it is placed.
DELIVERY_PROMISE = timedelta(minutes=10)
# A seeded store has a handful of orders open, as a real one has at a busy moment: placed over
# the last SEED_WINDOW, so their promises fall due over the coming 5-10 minutes.
DEFAULT_OPEN_ORDERS = 12
SEED_WINDOW = DELIVERY_PROMISE / 2


def _iso(when: datetime) -> str:
    return when.isoformat(timespec="milliseconds")


def _now() -> str:
    return _iso(datetime.now(UTC))


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class BackendDB:
    """The backend's database: one connection, one writer at a time."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self.conn.execute("PRAGMA journal_mode = WAL")
        self.conn.execute("PRAGMA synchronous = FULL")
        migrate(self.conn, self.path, MIGRATIONS, PickerError)
        self.lock = threading.RLock()
        self._readers: queue.SimpleQueue[sqlite3.Connection] = queue.SimpleQueue()  # reading()
        self.keep = 10_000_000  # changes kept; a cursor older than that must take a snapshot

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One writer at a time: BEGIN IMMEDIATE ... COMMIT, rolled back if the block or the
        COMMIT raises (the original error is what propagates)."""
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

    def add_device(self, store: str, device: str = "") -> str:
        """Issue a bearer token for one device of one store (named `device`, or a new name);
        only its hash is kept. The device may then speak only as that name."""
        name = device or f"device-{secrets.token_hex(4)}"
        if len(name) > 64:
            raise PickerError(f"a device name is at most 64 characters: {clip(name)!r}")
        token = secrets.token_urlsafe(32)
        while token.startswith("-"):  # `--token -x...` would read as an option: draw again
            token = secrets.token_urlsafe(32)
        with self.lock:
            self.conn.execute(
                "INSERT INTO devices (token_hash, device, store, created_at) VALUES (?, ?, ?, ?)",
                (_hash(token), name, store, _now()),
            )
        return token

    def device_for(self, token: str) -> tuple[str, str] | None:
        """The (device, store) a token was issued to, or None (read beside the writer, so a
        request waits for no one's transaction, and sees no one's uncommitted rows)."""
        with self.reading() as conn:
            row = conn.execute(
                "SELECT device, store FROM devices WHERE token_hash = ?", (_hash(token),)
            ).fetchone()
        return (row[0], row[1]) if row else None

    def apply_batch(
        self, store: str, batch: EventBatch | IncomingBatch, device: str | None = None
    ) -> BatchResult:
        """Apply a batch in order, each event at most once (per store and device), in one
        transaction. `device` is the device the token belongs to (default: the one the batch
        names): orders are claimed by it, and an event naming another device is refused. Events
        of an IncomingBatch refused as read keep their answer."""
        device = device or batch.device
        received_at = _now()
        results: list[EventResult] = []
        with self.transaction():
            for event in batch.events:
                if isinstance(event, EventResult):
                    results.append(event)
                else:
                    results.append(self._apply(store, device, event, received_at))
        return BatchResult(batch_id=batch.batch_id, results=results)

    def _apply(self, store: str, device: str, event: WireEvent, received_at: str) -> EventResult:
        """One event: its earlier answer if it was seen, refused if it cannot be read as its
        type says (not stored: the same bytes get the same answer), else applied or refused
        by its effect (stored)."""

        def refused(reason: str) -> EventResult:
            return EventResult(event_id=event.event_id, status="rejected", reason=reason)

        if event.device != device:
            # Refused on its own, not the whole batch: a 403 would stop the queue behind it.
            return refused(
                f"this event names device {clip(event.device)!r} but comes from device "
                f"{device!r}: a device can only send its own events"
            )
        seen = self.conn.execute(
            "SELECT status, reason FROM events WHERE store = ? AND device = ? AND event_id = ?",
            (store, device, event.event_id),
        ).fetchone()
        if seen is not None:
            status, reason = seen
            if status == "rejected":
                return refused(reason)
            return EventResult(event_id=event.event_id, status="duplicate")
        model = PAYLOADS.get(event.type)
        if model is None:
            return refused(f"type: unknown event type {clip(event.type)!r}")
        try:
            payload = model.model_validate(event.payload)
        except ValidationError as err:
            return refused(f"{event.type} refused: {explain_error(err, 'payload')}")
        try:  # the keys the model ignores are stored too
            stored = json.dumps(event.payload, sort_keys=True, allow_nan=False)
        except (ValueError, RecursionError):
            return refused(f"{non_finite(event.payload, 'payload')}: numbers must be finite")
        if len(stored) > MAX_PAYLOAD_BYTES:
            return refused(f"payload: over {MAX_PAYLOAD_BYTES} bytes as JSON")
        fx = effects.Effect(self, store, device, event.event_id, received_at)
        self.conn.execute("SAVEPOINT event")
        try:
            reason = effects.apply(fx, event.type, payload)
        except (sqlite3.IntegrityError, sqlite3.DataError, OverflowError) as err:
            # This event's data, not the database, is at fault: undo its part, refuse it alone.
            self.conn.execute("ROLLBACK TO event")
            reason = f"the backend could not apply this event ({type(err).__name__})"
        self.conn.execute("RELEASE event")
        self.conn.execute(
            "INSERT INTO events (event_id, store, device, seq, type, payload, created_at,"
            " received_at, status, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                event.event_id,
                store,
                device,
                event.seq,
                event.type,
                stored,
                event.created_at,
                received_at,
                "rejected" if reason else "applied",
                reason,
            ),
        )
        if reason:
            return refused(reason)
        return EventResult(event_id=event.event_id, status="applied")

    def _count_task_wire(
        self, store: str, task_id: str, conn: sqlite3.Connection | None = None
    ) -> CountTaskWire:
        r = (conn or self.conn).execute(
            "SELECT id, bin, sku, reason, state, recount_of FROM count_tasks"
            " WHERE store = ? AND id = ?",
            (store, task_id),
        ).fetchone()
        return CountTaskWire(
            id=r[0], bins=[r[1]], sku=r[2], reason=r[3], state=r[4], recount_of=r[5]
        )

    def _order_refusal(
        self, store: str, order_id: str, event_type: str, device: str
    ) -> str | None:
        """Why an event of `device` about `order_id` is refused (cancelled, or held by another
        device), or None."""
        row = self.conn.execute(
            "SELECT state, claimed_by FROM orders WHERE store = ? AND id = ?", (store, order_id)
        ).fetchone()
        if row is None:
            return None  # orders this backend does not know (tests, other systems): no check
        state, claimed_by = row
        # Putting back the items of a cancelled order is exactly what should happen.
        if state == "cancelled" and event_type != "stock_returned":
            return f"order {order_id} was cancelled by the customer; put its items back"
        if claimed_by and claimed_by != device:
            return f"order {order_id} is being picked on another device"
        return None

    def _set_order(
        self, store: str, order_id: str, state: str, claimed_by: str | None = None
    ) -> None:
        """Move a known order to `state` (a change for the devices); an order this backend
        does not know is left alone, with no change (a devices' page could not send it)."""
        moved = self.conn.execute(
            "UPDATE orders SET state = ?, claimed_by = COALESCE(?, claimed_by)"
            " WHERE store = ? AND id = ?",
            (state, claimed_by, store, order_id),
        ).rowcount
        if moved:
            self._change(store, "order", order_id)

    def _change(self, store: str, kind: str, key: str) -> None:
        self.conn.execute(
            "INSERT INTO changes (store, kind, key, at) VALUES (?, ?, ?, ?)",
            (store, kind, key, _now()),
        )

    def add_orders(
        self,
        store: str,
        count: int,
        rng: random.Random,
        placed_at: Sequence[datetime] | None = None,
    ) -> int:
        """New confirmed orders drawn by demand (as customers place them); returns how many.
        Each is promised DELIVERY_PROMISE after it is placed: now, or `placed_at[n]` for the
        n-th order when given (seeding a store whose orders came in over the last minutes).
        Each line is stored with the backend's substitutes for it, ranked on the stock of now."""
        rows = self.conn.execute(
            "SELECT sku, unit, demand FROM catalog WHERE store = ? ORDER BY sku", (store,)
        ).fetchall()
        if placed_at is not None and len(placed_at) < count:
            raise ValueError(f"{count} orders but {len(placed_at)} placement times")
        if not rows or count <= 0:
            return 0
        weights = [r[2] for r in rows]
        with self.transaction():
            last = self.conn.execute(
                "SELECT MAX(CAST(SUBSTR(id, 3) AS INTEGER)) FROM orders WHERE store = ?", (store,)
            ).fetchone()[0]
            next_no = max(int(last or 0), 52000000) + 1
            suggest = self.suggester(store)
            for n in range(count):
                order_id = f"OR{next_no + n}"
                k = max(1, int(rng.triangular(1, 10, 4)))
                picked = {r[0]: r for r in rng.choices(rows, weights=weights, k=k)}
                placed = placed_at[n] if placed_at is not None else datetime.now(UTC)
                self.conn.execute(
                    "INSERT INTO orders (store, id, promised_at, state) VALUES (?, ?, ?, ?)",
                    (store, order_id, _iso(placed + DELIVERY_PROMISE), "confirmed"),
                )
                lines = [
                    (i + 1, sku, round(rng.uniform(0.5, 1.5), 2) if r[1] == "kg" else 1)
                    for i, (sku, r) in enumerate(picked.items())
                ]
                self.conn.executemany(
                    "INSERT INTO order_lines (store, order_id, line_no, sku, qty, suggestions,"
                    " suggestions_watch) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [
                        (store, order_id, no, sku, qty, *map(json.dumps, suggest.rank(sku, qty)))
                        for no, sku, qty in lines
                    ],
                )
                self._change(store, "order", order_id)
        return count

    def cancel_order(self, store: str, order_id: str) -> bool:
        """The customer cancels an order (before dispatch); False if it cannot be."""
        with self.transaction():
            row = self.conn.execute(
                "SELECT state FROM orders WHERE store = ? AND id = ?", (store, order_id)
            ).fetchone()
            if row is None or row[0] in ("dispatched", "delivered", "cancelled"):
                return False
            self._set_order(store, order_id, "cancelled")
            return True

    def changes(self, store: str, cursor: int, limit: int) -> ChangesPage | None:
        """Changes after `cursor`, oldest first; None when the cursor is unknown or too old
        (the device must take a snapshot). Read in one read transaction, without the lock."""
        with self.reading() as conn:
            oldest, newest = conn.execute(
                "SELECT MIN(seq), MAX(seq) FROM changes WHERE store = ?", (store,)
            ).fetchone()
            newest = newest or 0
            if cursor > newest or (oldest is not None and cursor < oldest - 1 - self.keep):
                return None
            rows = conn.execute(
                "SELECT seq, kind, key FROM changes WHERE store = ? AND seq > ? ORDER BY seq"
                " LIMIT ?",
                (store, cursor, limit + 1),
            ).fetchall()
            more = len(rows) > limit
            rows = rows[:limit]
            read = self.read_suggestions(store, conn)
            orders: dict[str, OrderWire] = {}  # an order changed twice is read once
            items: list[Change] = []
            for seq, kind, key in rows:
                if kind == "order":
                    if key not in orders:
                        if not conn.execute(
                            "SELECT 1 FROM orders WHERE store = ? AND id = ?", (store, key)
                        ).fetchone():
                            continue  # an order gone (or never known): nothing to send
                        orders[key] = self._order_wire(store, key, conn, read)
                    items.append(Change(seq=seq, order=orders[key]))
                elif kind == "count_task":
                    if not conn.execute(
                        "SELECT 1 FROM count_tasks WHERE store = ? AND id = ?", (store, key)
                    ).fetchone():
                        continue  # likewise a count task
                    task = self._count_task_wire(store, key, conn)
                    items.append(Change(seq=seq, count_task=task))
                else:
                    bin_, sku = key.split("|", 1)
                    on_hand = conn.execute(
                        "SELECT on_hand FROM stock WHERE store = ? AND bin = ? AND sku = ?",
                        (store, bin_, sku),
                    ).fetchone()
                    stock = StockWire(bin=bin_, sku=sku, on_hand=on_hand[0] if on_hand else 0)
                    items.append(Change(seq=seq, stock=stock))
        next_cursor = rows[-1][0] if rows else cursor
        return ChangesPage(changes=items, next_cursor=next_cursor, more=more)

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

    def suggester(self, store: str, conn: sqlite3.Connection | None = None) -> Suggester:
        """The backend's substitutes for a line, as `conn` (default: the writer's) sees the
        catalog and stock (backend/suggest.py); called once per placement or read, never per
        order."""
        return build_suggester(conn or self.conn, store)

    def read_suggestions(self, store: str, conn: sqlite3.Connection) -> ReadSuggestions:
        """The suggestions of the lines one read on `conn` sends (see backend/suggest.py)."""
        return ReadSuggestions(conn, store, lambda: self.suggester(store, conn))

    def _order_wire(
        self,
        store: str,
        order_id: str,
        conn: sqlite3.Connection | None = None,
        read: ReadSuggestions | None = None,
    ) -> OrderWire:
        conn = conn or self.conn
        read = read or self.read_suggestions(store, conn)
        r = conn.execute(
            "SELECT id, promised_at, state, priority, area FROM orders WHERE store = ? AND id = ?",
            (store, order_id),
        ).fetchone()
        lines = [
            OrderLineWire(
                line_no=no, sku=sku, qty=qty, suggestions=read.line(sku, qty, stored, watch)
            )
            for no, sku, qty, stored, watch in conn.execute(
                "SELECT line_no, sku, qty, suggestions, suggestions_watch FROM order_lines"
                " WHERE store = ? AND order_id = ? ORDER BY line_no",
                (store, order_id),
            )
        ]
        return OrderWire(
            id=r[0], promised_at=r[1], state=r[2], priority=r[3], area=r[4], lines=lines
        )


OPEN_STATES = ("placed", "confirmed", "picking", "picked", "packed")


def seed_from_fixtures(
    db: BackendDB,
    fixtures: Path,
    store: str,
    open_orders: int = DEFAULT_OPEN_ORDERS,
    seed: int = 11,
    now: datetime | None = None,
    progress: Callable[[str, float], None] = lambda step, done: None,
    demand: DemandCurve = DEMO_DAY,
) -> dict[str, int]:
    """Load the demo store's catalog, stock and users from `fixtures/`, and `open_orders`
    confirmed orders drawn by demand (fixed seed), placed over the last SEED_WINDOW as the
    day's `demand` spreads them. Does nothing if the store has a catalog.
    `progress(step, share_done)` is told as it goes (for the first run's progress bar)."""
    import csv
    import random

    from picker_app.domain.auth import hash_pin
    from picker_app.domain.demand import placed_over

    conn = db.conn
    if conn.execute("SELECT 1 FROM catalog WHERE store = ? LIMIT 1", (store,)).fetchone():
        return {}
    progress("reading the catalog and stock", 0.0)
    with open(fixtures / "catalog.csv", encoding="utf-8") as f:
        catalog = list(csv.DictReader(f))
    with open(fixtures / "stock.csv", encoding="utf-8") as f:
        stock = list(csv.DictReader(f))
    with open(fixtures / "users.csv", encoding="utf-8") as f:
        users = list(csv.DictReader(f))
    progress("reading 30 days of order history", 0.1)
    with open(fixtures / "order_history.csv", encoding="utf-8") as f:
        history = [
            (store, r["order_id"], r["placed_at"], r["sku"], float(r["qty"]))
            for r in csv.DictReader(f)
        ]
    progress("loading the catalog, stock and staff", 0.4)
    with db.transaction():
        conn.executemany(
            "INSERT INTO catalog VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (store, r["sku"], r["name"], r["unit"], float(r["weight_g"] or 0), r["bin"],
                 r["category"], float(r["price_inr"]), r["gtin"], r["store_code"] or None,
                 float(r["demand_weight"]))
                for r in catalog
            ],
        )  # fmt: skip
        conn.executemany(
            "INSERT INTO stock (store, bin, sku, on_hand) VALUES (?, ?, ?, ?)",
            [(store, r["bin"], r["sku"], float(r["on_hand"])) for r in stock],
        )
        conn.executemany(
            "INSERT INTO users VALUES (?, ?, ?, ?, ?, ?)",
            [
                (store, u["user_id"], u["name"], u["role"], u["badge"], hash_pin(u["pin"]))
                for u in users
            ],
        )
        conn.executemany("INSERT INTO order_history VALUES (?, ?, ?, ?, ?)", history)
        meta = json.loads((fixtures / "meta.json").read_text(encoding="utf-8"))
        conn.execute(
            "INSERT OR REPLACE INTO store_meta VALUES (?, ?, ?)",
            (store, meta.get("layout"), meta.get("layout_content_hash")),
        )
    # The open orders came in over the last SEED_WINDOW, oldest first, so their promises fall
    # due one after another over the coming minutes. A second generator keeps the order
    # contents what the fixed seed always drew.
    progress("placing the open orders", 0.8)
    now = now or datetime.now(UTC)
    when = random.Random(f"placed-{seed}")
    placed = placed_over(demand, now, SEED_WINDOW, open_orders, when)
    added = db.add_orders(store, open_orders, random.Random(seed), placed)
    progress("ready", 1.0)
    return {
        "skus": len(catalog),
        "stock": len(stock),
        "users": len(users),
        "orders": added,
        "history_lines": len(history),
    }


def place_orders(
    db: BackendDB,
    store: str,
    stream: Iterable[datetime],
    stop: threading.Event,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    seed: int = 2026,
) -> None:
    """A store's customers (the demo's, `backend serve`'s): an order placed at each time of
    `stream` (e.g. domain.demand.arrivals), waiting on `clock` for it, until `stop` is set.
    The orders' contents are drawn with `seed`."""
    rng = random.Random(seed)
    for when in stream:
        if stop.wait(max(0.0, (when - clock()).total_seconds())):
            return
        db.add_orders(store, 1, rng, [when])


def snapshot(db: BackendDB, store: str) -> Snapshot:
    """Everything a device of `store` needs, with the cursor of the last change it covers:
    read in one read transaction, without the writer's lock."""
    with db.reading() as conn:
        cursor = conn.execute(
            "SELECT COALESCE(MAX(seq), 0) FROM changes WHERE store = ?", (store,)
        ).fetchone()[0]
        skus = [
            SkuWire(
                sku=r[0], name=r[1], unit=r[2], weight_g=r[3], bin=r[4], category=r[5],
                price=r[6], gtins=[r[7]] if r[7] else [], store_code=r[8],
            )
            for r in conn.execute(
                "SELECT sku, name, unit, weight_g, bin, category, price, gtin, store_code"
                " FROM catalog WHERE store = ? ORDER BY sku", (store,)
            )
        ]  # fmt: skip
        stock = [
            StockWire(bin=r[0], sku=r[1], on_hand=r[2])
            for r in conn.execute(
                "SELECT bin, sku, on_hand FROM stock WHERE store = ? ORDER BY bin, sku", (store,)
            )
        ]
        users = [
            UserWire(id=r[0], name=r[1], role=r[2], badge=r[3], pin_hash=r[4])
            for r in conn.execute(
                "SELECT id, name, role, badge, pin_hash FROM users WHERE store = ? ORDER BY id",
                (store,),
            )
        ]
        lines: dict[str, list[OrderLineWire]] = {}
        read = db.read_suggestions(store, conn)
        marks = ",".join("?" * len(OPEN_STATES))
        for order_id, no, sku, qty, stored, watch in conn.execute(
            "SELECT l.order_id, l.line_no, l.sku, l.qty, l.suggestions, l.suggestions_watch"
            " FROM order_lines l JOIN orders o ON o.store = l.store AND o.id = l.order_id"
            f" WHERE l.store = ? AND o.state IN ({marks}) ORDER BY l.order_id, l.line_no",
            (store, *OPEN_STATES),
        ):
            lines.setdefault(order_id, []).append(
                OrderLineWire(
                    line_no=no, sku=sku, qty=qty, suggestions=read.line(sku, qty, stored, watch)
                )
            )
        orders = [
            OrderWire(
                id=r[0], promised_at=r[1], state=r[2], priority=r[3], area=r[4],
                lines=lines.get(r[0], []),
            )
            for r in conn.execute(
                f"SELECT id, promised_at, state, priority, area FROM orders"
                f" WHERE store = ? AND state IN ({marks}) ORDER BY id", (store, *OPEN_STATES)
            )
        ]  # fmt: skip
        tasks = [
            db._count_task_wire(store, r[0], conn)
            for r in conn.execute(
                "SELECT id FROM count_tasks WHERE store = ? AND state IN ('open', 'submitted')"
                " ORDER BY id",
                (store,),
            )
        ]
        picks = [
            BinPicks(bin=r[0], picks=r[1])
            for r in conn.execute(
                "SELECT c.bin, COUNT(*) FROM order_history h JOIN catalog c"
                " ON c.store = h.store AND c.sku = h.sku WHERE h.store = ? GROUP BY c.bin"
                " ORDER BY c.bin",
                (store,),
            )
        ]
        meta = conn.execute(
            "SELECT layout, layout_hash FROM store_meta WHERE store = ?", (store,)
        ).fetchone()
    return Snapshot(
        cursor=cursor,
        store=store,
        layout=meta[0] if meta else None,
        layout_hash=meta[1] if meta else None,
        skus=skus,
        stock=stock,
        users=users,
        orders=orders,
        count_tasks=tasks,
        bin_picks=picks,
    )


def create_app(db: BackendDB) -> FastAPI:
    """The backend's ASGI app over `db`."""
    app = FastAPI(title="picker_app reference order backend", version="0.1")

    def device(authorization: Annotated[str | None, Header()] = None) -> tuple[str, str]:
        if not authorization or not authorization.lower().startswith("bearer "):
            raise HTTPException(401, "missing bearer token", {"WWW-Authenticate": "Bearer"})
        found = db.device_for(authorization[7:].strip())
        if found is None:
            raise HTTPException(401, "unknown device token", {"WWW-Authenticate": "Bearer"})
        return found

    @app.get("/v1/health")
    def health() -> Health:
        return Health(time=_now())

    # The reads are built as models and sent as their JSON in one pass (pydantic's own
    # serializer), not validated again and re-encoded by FastAPI: less time holding the GIL
    # while uploads wait for it. `response_model` keeps them in the OpenAPI contract.
    @app.get("/v1/stores/{store}/snapshot", response_model=Snapshot)
    def get_snapshot(store: str, who: Annotated[tuple[str, str], Depends(device)]) -> Response:
        _, token_store = who
        if token_store != store:
            raise HTTPException(403, f"this device belongs to store {token_store}, not {store}")
        return Response(snapshot(db, store).model_dump_json(), media_type="application/json")

    @app.get("/v1/stores/{store}/changes", response_model=ChangesPage)
    def get_changes(
        store: str,
        who: Annotated[tuple[str, str], Depends(device)],
        cursor: Annotated[int, Query(ge=0, le=INT64_MAX)] = 0,
        limit: Annotated[int, Query(ge=0, le=INT64_MAX)] = 500,
    ) -> Response:
        _, token_store = who
        if token_store != store:
            raise HTTPException(403, f"this device belongs to store {token_store}, not {store}")
        page = db.changes(store, cursor, max(1, min(limit, 5000)))
        if page is None:
            raise HTTPException(410, "cursor unknown or too old: take a snapshot")
        return Response(page.model_dump_json(), media_type="application/json")

    # The body is read here, event by event (backend/intake.py), not by FastAPI as one
    # EventBatch: one event it cannot read is refused on its own, not the whole batch with 422.
    @app.post("/v1/stores/{store}/events", openapi_extra=BATCH_BODY_OPENAPI)
    def upload(
        store: str,
        who: Annotated[tuple[str, str], Depends(device)],
        body: Annotated[bytes, Depends(_request_body)],
    ) -> BatchResult:
        token_device, token_store = who
        if token_store != store:
            raise HTTPException(403, f"this device belongs to store {token_store}, not {store}")
        batch = read_batch(body)
        if batch.device != token_device:
            raise HTTPException(
                403,
                f"this token belongs to device {token_device!r}, but the batch names device "
                f"{clip(batch.device)!r}: register this device under its own name",
            )
        return db.apply_batch(store, batch, token_device)

    guard(app)
    return app


class ServerThread:
    """The backend served by uvicorn in a background thread on a loopback port (0: any free
    one), for tests, benchmarks and the app's embedded default."""

    def __init__(self, db: BackendDB, host: str = "127.0.0.1", port: int = 0) -> None:
        import time

        import uvicorn

        self.db = db
        config = uvicorn.Config(create_app(db), host=host, port=port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="backend", daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError(f"the backend did not start on {host}:{port}")
            time.sleep(0.01)
        bound = self.server.servers[0].sockets[0].getsockname()
        self.url = f"http://{host}:{bound[1]}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)
