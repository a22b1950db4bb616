"""The local SQLite cache: everything a device needs to work alone, and the event outbox.

One writer. WAL, `synchronous=FULL`, explicit `BEGIN IMMEDIATE` write transactions. Every action
a person takes is an immutable outbox event written in the same transaction as its local state
change (`LocalStore.write()` then `record()`); the UI may say "saved" only after `write()` has
returned, i.e. after the commit. A database that is locked, damaged or from a newer picker_app
is a clear error naming the file, and is never replaced.
"""

from __future__ import annotations

import functools
import json
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import platformdirs

from picker_app.domain.events import EVENT_TYPES
from picker_app.errors import PickerError
from picker_app.store.migrations import MIGRATIONS
from picker_app.sync.wire import ChangesPage, Snapshot

if TYPE_CHECKING:
    import sqlite_utils


class StoreError(PickerError):
    """The local database cannot be used; the message names the file and what to do."""


@dataclass(frozen=True)
class Event:
    """One recorded fact, as it sits in the outbox."""

    seq: int
    event_id: str
    device: str
    type: str
    user: str | None
    created_at: str
    payload: dict[str, Any]


def default_path() -> Path:
    """Where the cache lives unless told otherwise: the user data directory."""
    return Path(platformdirs.user_data_dir("picker_app", appauthor=False)) / "picker.db"


def _utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


class LocalStore:
    """The device's database. Open with `LocalStore.open(path)`; write with `write()`."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        path: Path,
        device: str,
        clock: Callable[[], str] = _utc_now,
    ) -> None:
        self.conn = conn
        self.path = path
        self.device = device
        self.clock = clock
        self._write_lock = threading.RLock()

    @functools.cached_property
    def db(self) -> sqlite_utils.Database:
        """sqlite-utils over the same connection (made on first use: it is slow to import, and
        the app's start-up does not need it)."""
        import sqlite_utils

        return sqlite_utils.Database(self.conn)

    @classmethod
    def open(
        cls,
        path: str | Path | None = None,
        device: str | None = None,
        busy_timeout_ms: int = 5000,
        clock: Callable[[], str] = _utc_now,
    ) -> LocalStore:
        """Open (creating or migrating) the cache at `path` (default: the user data dir)."""
        path = Path(path) if path is not None else default_path()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        except (OSError, sqlite3.Error) as err:
            raise StoreError(f"{path}: cannot open the local database: {err}") from None
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            conn.execute("PRAGMA synchronous = FULL")
            conn.execute("PRAGMA foreign_keys = ON")
            if mode.lower() != "wal":
                raise StoreError(f"{path}: the local database cannot use WAL mode ({mode})")
            _migrate(conn, path)
            store = cls(conn, path, device or "", clock)
            store.device = device or store._device_id()
            return store
        except sqlite3.DatabaseError as err:
            conn.close()
            raise _store_error(path, err) from None
        except BaseException:
            conn.close()
            raise

    def close(self) -> None:
        self.conn.close()

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (BEGIN IMMEDIATE ... COMMIT); rolled back if the block raises.
        Transactions from different threads (the app, the sync worker) run one after another."""
        with self._write_lock:
            try:
                self.conn.execute("BEGIN IMMEDIATE")
            except sqlite3.DatabaseError as err:
                raise _store_error(self.path, err) from None
            try:
                yield self.conn
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            try:
                self.conn.execute("COMMIT")
            except sqlite3.DatabaseError as err:
                self.conn.execute("ROLLBACK")
                raise _store_error(self.path, err) from None

    def record(self, type: str, payload: dict[str, Any], user: str | None = None) -> Event:
        """Append an event to the outbox; call inside `write()` with the state change it reports."""
        if type not in EVENT_TYPES:
            raise ValueError(f"unknown event type {type!r}")
        if not self.conn.in_transaction:
            raise RuntimeError("record() must run inside LocalStore.write()")
        seq = self.conn.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM outbox").fetchone()[0]
        event = Event(
            seq=seq,
            event_id=str(uuid.uuid4()),
            device=self.device,
            type=type,
            user=user,
            created_at=self.clock(),
            payload=payload,
        )
        self.conn.execute(
            "INSERT INTO outbox (seq, event_id, device, type, user, created_at, payload)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                event.seq,
                event.event_id,
                event.device,
                event.type,
                event.user,
                event.created_at,
                json.dumps(payload, sort_keys=True, separators=(",", ":")),
            ),
        )
        return event

    def pending(self, limit: int = 1000) -> list[Event]:
        """Events not yet acknowledged by the backend, oldest first."""
        rows = self.db.query(
            "SELECT * FROM outbox WHERE state = 'pending' ORDER BY seq LIMIT :limit",
            {"limit": limit},
        )
        return [_event(r) for r in rows]

    def next_batch(self, limit: int) -> tuple[str, list[Event]] | None:
        """The batch to send: the one already in flight (sent, no answer yet: resent exactly as
        it was), or the next `limit` pending events, fixed under a new batch id now."""
        row = self.conn.execute(
            "SELECT batch_id FROM outbox WHERE state = 'pending' AND batch_id IS NOT NULL"
            " ORDER BY seq LIMIT 1"
        ).fetchone()
        if row is None:
            batch_id = str(uuid.uuid4())
            with self.write() as conn:
                conn.execute(
                    "UPDATE outbox SET batch_id = ? WHERE seq IN (SELECT seq FROM outbox"
                    " WHERE state = 'pending' ORDER BY seq LIMIT ?)",
                    (batch_id, limit),
                )
        else:
            batch_id = row[0]
        rows = self.db.query(
            "SELECT * FROM outbox WHERE batch_id = :b AND state = 'pending' ORDER BY seq",
            {"b": batch_id},
        )
        events = [_event(r) for r in rows]
        return (batch_id, events) if events else None

    def ack_batch(self, batch_id: str, results: dict[str, tuple[str, str | None]]) -> None:
        """The backend's answer for a batch: applied or duplicate events are sent; rejected
        ones are moved aside (kept, with the reason, until a lead dismisses them)."""
        with self.write() as conn:
            for event_id, (status, reason) in results.items():
                if status == "rejected":
                    conn.execute(
                        "UPDATE outbox SET state = 'rejected' WHERE event_id = ? AND batch_id = ?",
                        (event_id, batch_id),
                    )
                    conn.execute(
                        "INSERT OR REPLACE INTO rejected (event_id, reason, seen_at)"
                        " VALUES (?, ?, ?)",
                        (event_id, reason or "rejected by the backend", self.clock()),
                    )
                else:
                    conn.execute(
                        "UPDATE outbox SET state = 'sent' WHERE event_id = ? AND batch_id = ?",
                        (event_id, batch_id),
                    )

    def apply_snapshot(self, snap: Snapshot) -> None:
        """Replace what the device knows of its store with a snapshot, and save its cursor,
        in one transaction (the outbox and rejected events are kept)."""
        with self.write() as conn:
            for table in (
                "order_line", "orders", "sku_barcode", "stock", "users", "sku", "count_task",
                "pick_history",
            ):  # fmt: skip
                conn.execute(f"DELETE FROM {table}")
            conn.executemany(
                "INSERT OR REPLACE INTO store_info (key, value) VALUES (?, ?)",
                [
                    ("store", snap.store),
                    ("layout", snap.layout or ""),
                    ("layout_hash", snap.layout_hash or ""),
                ],
            )
            conn.executemany(
                "INSERT INTO count_task (id, bins, reason, state, recount_of)"
                " VALUES (?, ?, ?, ?, ?)",
                [
                    (t.id, json.dumps(t.bins), t.reason, t.state, t.recount_of)
                    for t in snap.count_tasks
                ],
            )
            conn.executemany(
                "INSERT INTO pick_history (at, bin, qty) VALUES ('history', ?, ?)",
                [(p.bin, p.picks) for p in snap.bin_picks],
            )
            conn.executemany(
                "INSERT INTO sku (sku, name, unit, weight_g, bin, category, price, store_code)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (k.sku, k.name, k.unit, k.weight_g, k.bin, k.category, k.price, k.store_code)
                    for k in snap.skus
                ],
            )
            conn.executemany(
                "INSERT OR IGNORE INTO sku_barcode (gtin, sku) VALUES (?, ?)",
                [(g, k.sku) for k in snap.skus for g in k.gtins],
            )
            conn.executemany(
                "INSERT INTO stock (bin, sku, on_hand, as_of) VALUES (?, ?, ?, ?)",
                [(r.bin, r.sku, r.on_hand, str(snap.cursor)) for r in snap.stock],
            )
            conn.executemany(
                "INSERT INTO users (id, name, role, badge, pin_hash) VALUES (?, ?, ?, ?, ?)",
                [(u.id, u.name, u.role, u.badge, u.pin_hash) for u in snap.users],
            )
            conn.executemany(
                "INSERT INTO orders (id, promised_at, state, priority, area)"
                " VALUES (?, ?, ?, ?, ?)",
                [(o.id, o.promised_at, o.state, o.priority, o.area) for o in snap.orders],
            )
            conn.executemany(
                "INSERT INTO order_line (order_id, line_no, sku, qty_ordered, state, suggestions)"
                " VALUES (?, ?, ?, ?, 'open', ?)",
                [
                    (o.id, ln.line_no, ln.sku, ln.qty, json.dumps(ln.suggestions))
                    for o in snap.orders
                    for ln in o.lines
                ],
            )
            conn.execute(
                "INSERT OR REPLACE INTO sync_state (key, value) VALUES ('cursor', ?)",
                (str(snap.cursor),),
            )

    def apply_changes(self, page: ChangesPage) -> None:
        """Apply a page of changes and move the cursor past it, in one transaction."""
        with self.write() as conn:
            for change in page.changes:
                if change.order is not None:
                    o = change.order
                    conn.execute(
                        "INSERT INTO orders (id, promised_at, state, priority, area)"
                        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET"
                        " promised_at = excluded.promised_at, state = excluded.state,"
                        " priority = excluded.priority, area = excluded.area",
                        (o.id, o.promised_at, o.state, o.priority, o.area),
                    )
                    for ln in o.lines:
                        conn.execute(
                            "INSERT INTO order_line (order_id, line_no, sku, qty_ordered, state,"
                            " suggestions) VALUES (?, ?, ?, ?, 'open', ?) ON CONFLICT"
                            " (order_id, line_no) DO UPDATE SET suggestions = excluded.suggestions",
                            (o.id, ln.line_no, ln.sku, ln.qty, json.dumps(ln.suggestions)),
                        )
                if change.count_task is not None:
                    t = change.count_task
                    conn.execute(
                        "INSERT INTO count_task (id, bins, reason, state, recount_of)"
                        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET"
                        " state = excluded.state",
                        (t.id, json.dumps(t.bins), t.reason, t.state, t.recount_of),
                    )
                if change.stock is not None:
                    st = change.stock
                    conn.execute(
                        "INSERT INTO stock (bin, sku, on_hand, as_of) VALUES (?, ?, ?, ?)"
                        " ON CONFLICT (bin, sku) DO UPDATE SET on_hand = excluded.on_hand,"
                        " as_of = excluded.as_of",
                        (st.bin, st.sku, st.on_hand, str(change.seq)),
                    )
            conn.execute(
                "INSERT OR REPLACE INTO sync_state (key, value) VALUES ('cursor', ?)",
                (str(page.next_cursor),),
            )

    def set_sync_state(self, **values: str) -> None:
        with self.write() as conn:
            conn.executemany(
                "INSERT OR REPLACE INTO sync_state (key, value) VALUES (?, ?)", values.items()
            )

    def sync_state(self) -> dict[str, str]:
        return {k: v for k, v in self.conn.execute("SELECT key, value FROM sync_state")}

    def cursor(self) -> int | None:
        """The backend cursor the cache is up to date with (None before the first snapshot)."""
        row = self.conn.execute("SELECT value FROM sync_state WHERE key = 'cursor'").fetchone()
        return int(row[0]) if row else None

    def counts(self) -> dict[str, int]:
        """Events by outbox state."""
        rows = self.conn.execute("SELECT state, COUNT(*) FROM outbox GROUP BY state").fetchall()
        return {"pending": 0, "sent": 0, "rejected": 0} | {state: n for state, n in rows}

    def applied_migrations(self) -> list[str]:
        return [r["name"] for r in self.db.query("SELECT name FROM _migrations ORDER BY id")]

    def _device_id(self) -> str:
        row = self.conn.execute("SELECT value FROM store_info WHERE key = 'device'").fetchone()
        if row:
            return str(row[0])
        device = f"dev-{uuid.uuid4().hex[:12]}"
        with self.write() as conn:
            conn.execute("INSERT INTO store_info (key, value) VALUES ('device', ?)", (device,))
        return device


def _event(r: dict[str, Any]) -> Event:
    return Event(
        seq=r["seq"],
        event_id=r["event_id"],
        device=r["device"],
        type=r["type"],
        user=r["user"],
        created_at=r["created_at"],
        payload=json.loads(r["payload"]),
    )


def _migrate(conn: sqlite3.Connection, path: Path) -> None:
    conn.execute(
        "CREATE TABLE IF NOT EXISTS _migrations"
        " (id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL, applied_at TEXT NOT NULL)"
    )
    done = [r[0] for r in conn.execute("SELECT name FROM _migrations ORDER BY id")]
    known = [name for name, _ in MIGRATIONS]
    unknown = [name for name in done if name not in known]
    if unknown or len(done) > len(known):
        raise StoreError(
            f"{path}: this database was written by a newer picker_app (migration "
            f"{unknown[0] if unknown else done[-1]!r} is unknown here); update picker_app. "
            "The file was left untouched."
        )
    if done != known[: len(done)]:
        raise StoreError(f"{path}: migrations were applied out of order: {done}")
    for name, sql in MIGRATIONS[len(done) :]:
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in sql.split(";"):
                if statement.strip():
                    conn.execute(statement)
            conn.execute(
                "INSERT INTO _migrations (name, applied_at) VALUES (?, ?)", (name, _utc_now())
            )
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")


def _store_error(path: Path, err: sqlite3.DatabaseError) -> StoreError:
    text = str(err)
    if "locked" in text or "busy" in text:
        return StoreError(
            f"{path}: the local database is locked by another program (is another picker-app "
            "running on this device?); close it and try again."
        )
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return StoreError(
            f"{path}: the local database is damaged or not a picker_app database; it was left "
            "untouched (unsynced scans may be in it): move it aside and start again, and tell "
            "your store lead."
        )
    return StoreError(f"{path}: local database error: {text}")
