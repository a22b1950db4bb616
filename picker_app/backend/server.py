"""The reference order backend: FastAPI under uvicorn, with its own SQLite database.

This slice serves health, device authentication and the event upload with exactly-once
semantics (every event_id is kept forever, so a resend is never applied twice). Catalog, orders,
snapshots and changes come in the next slice of issue 4.
"""

import hashlib
import json
import random
import re
import secrets
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

from fastapi import Depends, FastAPI, Header, HTTPException

from picker_app.domain.events import EVENT_TYPES
from picker_app.errors import PickerError
from picker_app.sync.wire import (
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
MIGRATIONS: list[tuple[str, str]] = [("0001_initial", SCHEMA)]


# A quick-commerce order is promised for delivery this long after it is placed.
DELIVERY_PROMISE = timedelta(minutes=10)


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
        _migrate(self.conn, self.path)
        self.lock = threading.RLock()
        self.keep = 10_000_000  # changes kept; a cursor older than that must take a snapshot

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One writer at a time: BEGIN IMMEDIATE ... COMMIT, rolled back if the block raises."""
        with self.lock:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            self.conn.execute("COMMIT")

    def add_device(self, store: str, device: str = "") -> str:
        """Issue a bearer token for one device of one store; only its hash is kept."""
        token = secrets.token_urlsafe(32)
        with self.lock:
            self.conn.execute(
                "INSERT INTO devices (token_hash, device, store, created_at) VALUES (?, ?, ?, ?)",
                (_hash(token), device or f"device-{secrets.token_hex(4)}", store, _now()),
            )
        return token

    def device_for(self, token: str) -> tuple[str, str] | None:
        row = self.conn.execute(
            "SELECT device, store FROM devices WHERE token_hash = ?", (_hash(token),)
        ).fetchone()
        return (row[0], row[1]) if row else None

    def apply_batch(self, store: str, batch: EventBatch) -> BatchResult:
        """Apply a batch in order, each event at most once, in one transaction."""
        results: list[EventResult] = []
        with self.transaction():
            for event in batch.events:
                results.append(self._apply(store, event))
        return BatchResult(batch_id=batch.batch_id, results=results)

    def _apply(self, store: str, event: WireEvent) -> EventResult:
        seen = self.conn.execute(
            "SELECT status, reason FROM events WHERE event_id = ?", (event.event_id,)
        ).fetchone()
        if seen is not None:
            status, reason = seen
            if status == "rejected":
                return EventResult(event_id=event.event_id, status="rejected", reason=reason)
            return EventResult(event_id=event.event_id, status="duplicate")
        reason = self._effect(store, event)
        self.conn.execute(
            "INSERT INTO events (event_id, store, device, seq, type, payload, created_at,"
            " received_at, status, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                event.event_id,
                store,
                event.device,
                event.seq,
                event.type,
                json.dumps(event.payload, sort_keys=True),
                event.created_at,
                _now(),
                "rejected" if reason else "applied",
                reason,
            ),
        )
        if reason:
            return EventResult(event_id=event.event_id, status="rejected", reason=reason)
        return EventResult(event_id=event.event_id, status="applied")

    def _effect(self, store: str, event: WireEvent) -> str | None:
        """Apply an event's effect; return why it is rejected, or None."""
        if event.type not in EVENT_TYPES:
            return f"unknown event type {event.type!r}"
        p = event.payload
        orders = [str(o) for o in p.get("orders", [])] + ([str(p["order"])] if "order" in p else [])
        for order_id in orders:
            why = self._order_refusal(store, order_id, event)
            if why:
                return why
        if event.type == "pick_started":
            for order_id in orders:
                self._set_order(store, order_id, "picking", claimed_by=event.device)
        elif event.type == "tote_closed" and orders:
            self._set_order(store, orders[0], "picked")
        elif event.type in ("stock_picked", "stock_returned", "stock_expired", "stock_damaged"):
            try:
                qty = float(p["qty"])
                bin_, sku = str(p["bin"]), str(p["sku"])
            except (KeyError, TypeError, ValueError):
                return "payload needs bin, sku and a numeric qty"
            if event.type == "stock_picked" and orders and "line" in p:
                self.conn.execute(
                    "UPDATE order_lines SET qty_picked = qty_picked + ?"
                    " WHERE store = ? AND order_id = ? AND line_no = ?",
                    (qty, store, orders[0], p["line"]),
                )
            elif event.type == "stock_returned" and orders and "line" in p:
                picked = self.conn.execute(
                    "SELECT qty_picked FROM order_lines"
                    " WHERE store = ? AND order_id = ? AND line_no = ?",
                    (store, orders[0], p["line"]),
                ).fetchone()
                if picked is not None:
                    # Only what the backend took off stock for this line can go back (its
                    # picks may have been refused, e.g. the order was cancelled first).
                    qty = max(0.0, min(qty, picked[0]))
                    self.conn.execute(
                        "UPDATE order_lines SET qty_picked = qty_picked - ?"
                        " WHERE store = ? AND order_id = ? AND line_no = ?",
                        (qty, store, orders[0], p["line"]),
                    )
            sign = 1 if event.type == "stock_returned" else -1
            self.conn.execute(
                "INSERT INTO stock (store, bin, sku, on_hand) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (store, bin, sku) DO UPDATE SET on_hand = on_hand + excluded.on_hand",
                (store, bin_, sku, sign * qty),
            )
            self._change(store, "stock", f"{bin_}|{sku}")
            if event.type in ("stock_expired", "stock_damaged"):
                self.conn.execute(
                    "INSERT INTO losses VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (store, event.event_id, event.type[6:], bin_, sku, qty, p.get("batch")),
                )
        elif event.type == "out_of_stock_flagged":
            bin_, sku = str(p.get("bin", "")), str(p.get("sku", ""))
            self.conn.execute(
                "INSERT INTO stock (store, bin, sku, on_hand) VALUES (?, ?, ?, 0)"
                " ON CONFLICT (store, bin, sku) DO UPDATE SET on_hand = 0",
                (store, bin_, sku),
            )
            self._change(store, "stock", f"{bin_}|{sku}")
            task_id = f"CT-{event.event_id[:8]}"
            self.conn.execute(
                "INSERT OR IGNORE INTO count_tasks VALUES (?, ?, ?, ?, 'oos_flag', 'open', NULL,"
                " NULL)",
                (store, task_id, bin_, sku),
            )
            self._change(store, "count_task", task_id)
        elif event.type == "pick_shorted" and orders and "line" in p:
            self.conn.execute(
                "UPDATE order_lines SET qty_short = qty_short + ?"
                " WHERE store = ? AND order_id = ? AND line_no = ?",
                (float(p.get("qty", 0)), store, orders[0], p["line"]),
            )
        elif event.type == "substitution_made":
            self.conn.execute(
                "INSERT INTO substitutions VALUES (?, ?, ?, ?, ?, ?, ?)",
                (store, event.event_id, orders[0] if orders else "", p.get("line"),
                 p.get("from_sku"), p.get("to_sku"), p.get("qty")),
            )  # fmt: skip
        elif event.type == "qc_completed" and orders:
            passed = p.get("result") == "pass"
            self._set_order(store, orders[0], "packed" if passed else "picking")
        elif event.type == "order_dispatched" and orders:
            self._set_order(store, orders[0], "dispatched")
        elif event.type in ("count_submitted", "count_approved", "count_rejected"):
            return self._count(store, event)
        return None

    def _count(self, store: str, event: WireEvent) -> str | None:
        p = event.payload
        task = self.conn.execute(
            "SELECT bin, sku, state, counted, recount_of FROM count_tasks"
            " WHERE store = ? AND id = ?",
            (store, str(p.get("task", ""))),
        ).fetchone()
        if task is None:
            return f"count task {p.get('task')!r} is not known to the backend"
        bin_, sku, state, counted, _ = task
        if event.type == "count_submitted":
            try:
                counted = float(p["counted"])
            except (KeyError, TypeError, ValueError):
                return "a count needs a numeric 'counted'"
            self.conn.execute(
                "UPDATE count_tasks SET counted = ?, state = 'submitted'"
                " WHERE store = ? AND id = ?",
                (counted, store, p["task"]),
            )
            self._change(store, "count_task", str(p["task"]))
            expected = self.conn.execute(
                "SELECT on_hand FROM stock WHERE store = ? AND bin = ? AND sku = ?",
                (store, bin_, sku),
            ).fetchone()
            was = expected[0] if expected else 0.0
            if abs(counted - was) > max(RECOUNT_UNITS, RECOUNT_SHARE * was) and not task[4]:
                recount = f"{p['task']}-R"
                self.conn.execute(
                    "INSERT OR IGNORE INTO count_tasks VALUES (?, ?, ?, ?, 'variance', 'open',"
                    " NULL, ?)",
                    (store, recount, bin_, sku, p["task"]),
                )
                self._change(store, "count_task", recount)
            return None
        if state != "submitted":
            return f"count task {p['task']} has no submitted count to {event.type[6:-2]}"
        if event.type == "count_approved":
            expected = self.conn.execute(
                "SELECT on_hand FROM stock WHERE store = ? AND bin = ? AND sku = ?",
                (store, bin_, sku),
            ).fetchone()
            self.conn.execute(
                "INSERT INTO variances VALUES (?, ?, ?, ?, ?, ?, ?)",
                (store, p["task"], bin_, sku, expected[0] if expected else None, counted, _now()),
            )
            self.conn.execute(
                "INSERT INTO stock (store, bin, sku, on_hand) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (store, bin, sku) DO UPDATE SET on_hand = excluded.on_hand",
                (store, bin_, sku, counted),
            )
            self._change(store, "stock", f"{bin_}|{sku}")
        self.conn.execute(
            "UPDATE count_tasks SET state = ? WHERE store = ? AND id = ?",
            ("approved" if event.type == "count_approved" else "rejected", store, p["task"]),
        )
        self._change(store, "count_task", str(p["task"]))
        return None

    def _count_task_wire(self, store: str, task_id: str) -> CountTaskWire:
        r = self.conn.execute(
            "SELECT id, bin, sku, reason, state, recount_of FROM count_tasks"
            " WHERE store = ? AND id = ?",
            (store, task_id),
        ).fetchone()
        return CountTaskWire(
            id=r[0], bins=[r[1]], sku=r[2], reason=r[3], state=r[4], recount_of=r[5]
        )

    def _order_refusal(self, store: str, order_id: str, event: WireEvent) -> str | None:
        row = self.conn.execute(
            "SELECT state, claimed_by FROM orders WHERE store = ? AND id = ?", (store, order_id)
        ).fetchone()
        if row is None:
            return None  # orders this backend does not know (tests, other systems): no check
        state, claimed_by = row
        # Putting back the items of a cancelled order is exactly what should happen.
        if state == "cancelled" and event.type != "stock_returned":
            return f"order {order_id} was cancelled by the customer; put its items back"
        if claimed_by and claimed_by != event.device:
            return f"order {order_id} is being picked on another device"
        return None

    def _set_order(
        self, store: str, order_id: str, state: str, claimed_by: str | None = None
    ) -> None:
        self.conn.execute(
            "UPDATE orders SET state = ?, claimed_by = COALESCE(?, claimed_by)"
            " WHERE store = ? AND id = ?",
            (state, claimed_by, store, order_id),
        )
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
        n-th order when given (seeding a store whose orders came in over the last minutes)."""
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
            for n in range(count):
                order_id = f"OR{next_no + n}"
                k = max(1, int(rng.triangular(1, 10, 4)))
                picked = {r[0]: r for r in rng.choices(rows, weights=weights, k=k)}
                placed = placed_at[n] if placed_at is not None else datetime.now(UTC)
                self.conn.execute(
                    "INSERT INTO orders (store, id, promised_at, state) VALUES (?, ?, ?, ?)",
                    (store, order_id, _iso(placed + DELIVERY_PROMISE), "confirmed"),
                )
                self.conn.executemany(
                    "INSERT INTO order_lines (store, order_id, line_no, sku, qty)"
                    " VALUES (?, ?, ?, ?, ?)",
                    [
                        (store, order_id, i + 1, sku,
                         round(rng.uniform(0.5, 1.5), 2) if r[1] == "kg" else 1)
                        for i, (sku, r) in enumerate(picked.items())
                    ],
                )  # fmt: skip
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
        (the device must take a snapshot)."""
        with self.lock:
            oldest, newest = self.conn.execute(
                "SELECT MIN(seq), MAX(seq) FROM changes WHERE store = ?", (store,)
            ).fetchone()
            newest = newest or 0
            if cursor > newest or (oldest is not None and cursor < oldest - 1 - self.keep):
                return None
            rows = self.conn.execute(
                "SELECT seq, kind, key FROM changes WHERE store = ? AND seq > ? ORDER BY seq"
                " LIMIT ?",
                (store, cursor, limit + 1),
            ).fetchall()
            more = len(rows) > limit
            rows = rows[:limit]
            items: list[Change] = []
            for seq, kind, key in rows:
                if kind == "order":
                    items.append(Change(seq=seq, order=self._order_wire(store, key)))
                elif kind == "count_task":
                    items.append(Change(seq=seq, count_task=self._count_task_wire(store, key)))
                else:
                    bin_, sku = key.split("|", 1)
                    on_hand = self.conn.execute(
                        "SELECT on_hand FROM stock WHERE store = ? AND bin = ? AND sku = ?",
                        (store, bin_, sku),
                    ).fetchone()
                    stock = StockWire(bin=bin_, sku=sku, on_hand=on_hand[0] if on_hand else 0)
                    items.append(Change(seq=seq, stock=stock))
        next_cursor = rows[-1][0] if rows else cursor
        return ChangesPage(changes=items, next_cursor=next_cursor, more=more)

    def suggester(self, store: str) -> Callable[[str, float], list[str]]:
        """The backend's substitutes for a line: other products of its category and unit with
        enough stock; the most alike first (more words of the product's name in common, brand
        and pack size aside), then the nearest pack size, then the ones customers buy most
        (the likeliest to be accepted)."""
        catalog = self.conn.execute(
            "SELECT c.sku, c.category, c.unit, c.demand, c.name, COALESCE(SUM(s.on_hand), 0),"
            " COALESCE(c.weight_g, 0)"
            " FROM catalog c LEFT JOIN stock s ON s.store = c.store AND s.sku = c.sku"
            " WHERE c.store = ? GROUP BY c.sku ORDER BY c.demand DESC, c.sku",
            (store,),
        ).fetchall()
        kind = {r[0]: (r[1], r[2]) for r in catalog}
        pack = {r[0]: r[6] for r in catalog}
        words = {r[0]: _name_words(r[4]) for r in catalog}
        groups: dict[tuple[str, str], list[tuple[str, float]]] = {}
        for sku, category, unit, _, _, on_hand, _ in catalog:
            groups.setdefault((category, unit), []).append((sku, on_hand))

        def suggest(sku: str, qty: float) -> list[str]:
            if sku not in kind:
                return []
            alike = [
                (-len(words[sku] & words[other]), abs(pack[other] - pack[sku]), n, other)
                for n, (other, on_hand) in enumerate(groups[kind[sku]])
                if other != sku and on_hand >= qty
            ]  # then the same pack size; n keeps the best sellers first among equals
            return [other for *_, other in sorted(alike)[:SUGGESTIONS]]

        return suggest

    def _order_wire(self, store: str, order_id: str) -> OrderWire:
        r = self.conn.execute(
            "SELECT id, promised_at, state, priority, area FROM orders WHERE store = ? AND id = ?",
            (store, order_id),
        ).fetchone()
        suggest = self.suggester(store)
        lines = [
            OrderLineWire(line_no=no, sku=sku, qty=qty, suggestions=suggest(sku, qty))
            for no, sku, qty in self.conn.execute(
                "SELECT line_no, sku, qty FROM order_lines WHERE store = ? AND order_id = ?"
                " ORDER BY line_no",
                (store, order_id),
            )
        ]
        return OrderWire(
            id=r[0], promised_at=r[1], state=r[2], priority=r[3], area=r[4], lines=lines
        )


def _migrate(conn: sqlite3.Connection, path: Path) -> None:
    """Bring the backend's database up to MIGRATIONS, each in its own transaction."""
    conn.execute(
        "CREATE TABLE IF NOT EXISTS _migrations"
        " (id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL, applied_at TEXT NOT NULL)"
    )
    done = [r[0] for r in conn.execute("SELECT name FROM _migrations ORDER BY id")]
    known = [name for name, _ in MIGRATIONS]
    if done != known[: len(done)]:
        raise PickerError(
            f"{path}: this backend database was written by another picker_app version "
            f"(migrations {done}); update picker_app"
        )
    for name, sql in MIGRATIONS[len(done) :]:
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in sql.split(";"):
                if statement.strip():
                    conn.execute(statement)
            conn.execute(
                "INSERT INTO _migrations (name, applied_at) VALUES (?, ?)", (name, _now())
            )
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")


SUGGESTIONS = 3  # substitutes the backend suggests per order line
_PACK_WORDS = {"kg", "g", "gm", "ml", "l", "ltr", "pcs", "pc", "pack", "of", "per", "x", "and"}


def _name_words(name: str) -> set[str]:
    """What a product is, from its name: its words without the brand (the first word), the
    pack size and numbers."""
    parts = [w for w in re.findall(r"[a-z]+", name.lower())]
    return {w for w in parts[1:] if w not in _PACK_WORDS}
OPEN_STATES = ("placed", "confirmed", "picking", "picked", "packed")
# A count further than this from the expected stock opens a recount task.
RECOUNT_UNITS = 2
RECOUNT_SHARE = 0.10


def seed_from_fixtures(
    db: BackendDB,
    fixtures: Path,
    store: str,
    open_orders: int = 300,
    seed: int = 11,
    now: datetime | None = None,
    progress: Callable[[str, float], None] = lambda step, done: None,
) -> dict[str, int]:
    """Load the demo store's catalog, stock and users from `fixtures/`, and `open_orders`
    confirmed orders drawn by demand (fixed seed). Does nothing if the store has a catalog.
    `progress(step, share_done)` is told as it goes (for the first run's progress bar)."""
    import csv
    import random

    from picker_app.domain.auth import hash_pin

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
    # The open orders came in over the last DELIVERY_PROMISE, oldest first, so their promises
    # fall due one after another over the coming minutes. A second generator keeps the order
    # contents what the fixed seed always drew.
    progress("placing the open orders", 0.8)
    now = now or datetime.now(UTC)
    when = random.Random(f"placed-{seed}")
    ago = sorted((when.random() * DELIVERY_PROMISE for _ in range(open_orders)), reverse=True)
    added = db.add_orders(store, open_orders, random.Random(seed), [now - a for a in ago])
    progress("ready", 1.0)
    return {
        "skus": len(catalog),
        "stock": len(stock),
        "users": len(users),
        "orders": added,
        "history_lines": len(history),
    }


def snapshot(db: BackendDB, store: str) -> Snapshot:
    """Everything a device of `store` needs, with the cursor of the last change it covers."""
    conn = db.conn
    with db.lock:
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
        suggest = db.suggester(store)
        for order_id, no, sku, qty in conn.execute(
            "SELECT order_id, line_no, sku, qty FROM order_lines WHERE store = ?"
            " ORDER BY order_id, line_no",
            (store,),
        ):
            lines.setdefault(order_id, []).append(
                OrderLineWire(line_no=no, sku=sku, qty=qty, suggestions=suggest(sku, qty))
            )
        marks = ",".join("?" * len(OPEN_STATES))
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
            db._count_task_wire(store, r[0])
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

    @app.get("/v1/stores/{store}/snapshot")
    def get_snapshot(store: str, who: Annotated[tuple[str, str], Depends(device)]) -> Snapshot:
        _, token_store = who
        if token_store != store:
            raise HTTPException(403, f"this device belongs to store {token_store}, not {store}")
        return snapshot(db, store)

    @app.get("/v1/stores/{store}/changes")
    def get_changes(
        store: str,
        who: Annotated[tuple[str, str], Depends(device)],
        cursor: int = 0,
        limit: int = 500,
    ) -> ChangesPage:
        _, token_store = who
        if token_store != store:
            raise HTTPException(403, f"this device belongs to store {token_store}, not {store}")
        page = db.changes(store, cursor, max(1, min(limit, 5000)))
        if page is None:
            raise HTTPException(410, "cursor unknown or too old: take a snapshot")
        return page

    @app.post("/v1/stores/{store}/events")
    def upload(
        store: str, batch: EventBatch, who: Annotated[tuple[str, str], Depends(device)]
    ) -> BatchResult:
        _, token_store = who
        if token_store != store:
            raise HTTPException(403, f"this device belongs to store {token_store}, not {store}")
        return db.apply_batch(store, batch)

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
