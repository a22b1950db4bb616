"""The local SQLite cache: everything a device needs to work alone, and the event outbox.

One writer. WAL, `synchronous=FULL`, explicit `BEGIN IMMEDIATE` write transactions. Every action
a person takes is an immutable outbox event written in the same transaction as its local state
change (`LocalStore.write()` then `record()`); the UI may say "saved" only after `write()` has
returned, i.e. after the commit. A database that is locked, damaged or from a newer picker_app
is a clear error naming the file, and is never replaced.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import functools
import json
import logging
import os
import re
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import platformdirs

from picker_app.domain.events import EVENT_TYPES
from picker_app.errors import PickerError
from picker_app.schema import migrate
from picker_app.store.migrations import MIGRATIONS
from picker_app.wire import ChangesPage, Snapshot

if TYPE_CHECKING:
    import sqlite_utils


class StoreError(PickerError):
    """The local database cannot be used; the message names the file and what to do.
    `kind`: "full" (out of storage), "locked", "damaged" (or not ours), or "other"."""

    def __init__(self, message: str, kind: str = "other") -> None:
        super().__init__(message)
        self.kind = kind


class Busy(PickerError):
    """Something this app wanted to hold is held by another app on the same cache."""


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


log = logging.getLogger(__name__)


def default_path() -> Path:
    """Where the cache lives unless told otherwise: the user data directory."""
    return Path(platformdirs.user_data_dir("picker_app", appauthor=False)) / "picker.db"


def _utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


class LocalStore:
    """The device's database. Open with `LocalStore.open(path)`; write with `write()`.

    One writer connection, used only inside `write()` (one thread at a time), and one reader
    connection per thread for everything else: a read in one thread (the sync worker's, a
    screen's) never shares a connection, a transaction or a savepoint with a write in another.
    WAL lets the readers see the last commit while a write is under way."""

    def __init__(
        self,
        writer: sqlite3.Connection,
        path: Path,
        device: str,
        clock: Callable[[], str] = _utc_now,
        busy_timeout_ms: int = 5000,
    ) -> None:
        self.writer = writer
        self.path = path
        self.device = device
        self.clock = clock
        self.busy_timeout_ms = busy_timeout_ms
        self._write_lock = threading.RLock()
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self._readers_lock = threading.Lock()
        self._held: dict[str, IO[str]] = {}
        self._closed = False

    @property
    def conn(self) -> sqlite3.Connection:
        """The connection for this thread: inside `write()`, the writer (in its transaction);
        anywhere else, this thread's own read-only connection."""
        if getattr(self._local, "writing", 0):
            return self.writer
        reader: sqlite3.Connection | None = getattr(self._local, "reader", None)
        if reader is None:
            reader = self._open_reader()
            self._local.reader = reader
        return reader

    def _open_reader(self) -> sqlite3.Connection:
        if self._closed:
            raise StoreError(f"{self.path}: the local database is closed")
        try:
            reader = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            reader.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout_ms)}")
            reader.execute("PRAGMA synchronous = FULL")
            reader.execute("PRAGMA query_only = ON")
        except sqlite3.DatabaseError as err:
            raise store_error(self.path, err) from None
        with self._readers_lock:
            self._readers.append(reader)
        return reader

    def rows(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[dict[str, Any]]:
        """A query's rows as dicts, on this thread's connection; a damaged file is a
        StoreError naming it."""
        try:
            cursor = self.conn.execute(sql, params)
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor]
        except sqlite3.DatabaseError as err:
            raise store_error(self.path, err) from None

    @functools.cached_property
    def db(self) -> sqlite_utils.Database:
        """sqlite-utils over this store's first reader connection (made on first use: it is
        slow to import, and the app's start-up does not need it). Only for reads: sqlite-utils
        4 wraps each `query()` in a SAVEPOINT, harmless on a connection no one writes through."""
        import sqlite_utils

        return sqlite_utils.Database(self._open_reader())

    @classmethod
    def open(
        cls,
        path: str | Path | None = None,
        device: str | None = None,
        busy_timeout_ms: int = 5000,
        clock: Callable[[], str] = _utc_now,
    ) -> LocalStore:
        """Open (creating or migrating) the cache at `path` (default: the user data dir).

        A new cache is made beside its place and moved there only once it is whole, so a file
        found at `path` is either a picker_app database or someone else's: an empty file or
        another application's database is refused, named and left untouched."""
        path = Path(path) if path is not None else default_path()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            if not path.exists():
                _create(path)
            _check_is_ours(path)
            conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        except OSError as err:
            raise StoreError(f"{path}: cannot open the local database: {err}") from None
        except sqlite3.DatabaseError as err:
            raise store_error(path, err) from None
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            conn.execute("PRAGMA synchronous = FULL")
            conn.execute("PRAGMA foreign_keys = ON")
            if mode.lower() != "wal":
                raise StoreError(f"{path}: the local database cannot use WAL mode ({mode})")
            _migrate(conn, path)
            store = cls(conn, path, device or "", clock, busy_timeout_ms)
            store.device = device or store._device_id()
            return store
        except sqlite3.DatabaseError as err:
            conn.close()
            raise store_error(path, err) from None
        except BaseException:
            conn.close()
            raise

    def hold(self, key: str, what: str) -> None:
        """Hold `key` (e.g. a pick task's id) for this open cache until `release()` or
        `close()` (or the process ends, however it ends): another app on the same cache file
        cannot hold it meanwhile, and is told so (Busy) in a sentence about `what`."""
        if key in self._held:
            return
        name = re.sub(r"[^A-Za-z0-9_.-]", "_", key)
        lock = self.path.with_name(f"{self.path.name}.hold-{name}")
        try:
            f = open(lock, "a+", encoding="utf-8")  # noqa: SIM115 - held open on purpose
        except OSError as err:
            raise StoreError(f"{lock}: cannot be made ({err.strerror})") from None
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            f.close()
            raise Busy(
                f"{what} is open in another picker-app on this device: finish it there, or "
                "close that app, then log in again"
            ) from None
        self._held[key] = f

    def holds(self, key: str) -> bool:
        return key in self._held

    def release(self, key: str) -> None:
        f = self._held.pop(key, None)
        if f is not None:
            with contextlib.suppress(OSError):
                os.unlink(f.name)  # while still held: no one else holds a file unlinked
            f.close()

    def close(self) -> None:
        for key in list(self._held):
            held = self._held.pop(key)
            held.close()  # released, the file kept: it may be taken up again after a restart
        self._closed = True
        with self._readers_lock:
            readers, self._readers = self._readers, []
        for reader in readers:
            reader.close()
        self.writer.close()

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (BEGIN IMMEDIATE ... COMMIT); rolled back if the block raises.
        Transactions from different threads (the app, the sync worker) run one after another;
        a `write()` inside another one in the same thread is a savepoint of it: if its block
        raises, only its part is undone (the outer block decides what to do about it). A write
        that cannot be made (disk full, file damaged, locked) is a StoreError and leaves the
        database as it was before the transaction."""
        with self._write_lock:
            depth = getattr(self._local, "writing", 0)
            if depth:  # nested: a savepoint, so a failure undoes this part only
                name = f"nested_{depth}"
                self.writer.execute(f"SAVEPOINT {name}")
                self._local.writing += 1
                try:
                    yield self.writer
                except BaseException:
                    if self.writer.in_transaction:  # SQLite may have undone it all already
                        self.writer.execute(f"ROLLBACK TO {name}")
                        self.writer.execute(f"RELEASE {name}")
                    raise
                else:
                    self.writer.execute(f"RELEASE {name}")
                finally:
                    self._local.writing -= 1
                return
            try:
                self.writer.execute("BEGIN IMMEDIATE")
            except sqlite3.DatabaseError as err:
                raise store_error(self.path, err) from None
            self._local.writing = 1
            try:
                try:
                    yield self.writer
                except sqlite3.DatabaseError as err:
                    self._rollback()
                    raise store_error(self.path, err) from None
                except BaseException:
                    self._rollback()
                    raise
                try:
                    self.writer.execute("COMMIT")
                except sqlite3.DatabaseError as err:
                    self._rollback()
                    raise store_error(self.path, err) from None
            finally:
                self._local.writing = 0

    def _rollback(self) -> None:
        """Undo the open transaction, if SQLite has not already (it rolls back by itself on
        some errors, e.g. a COMMIT that finds the disk full); never hides the first error."""
        if self.writer.in_transaction:
            try:
                self.writer.execute("ROLLBACK")
            except sqlite3.DatabaseError:
                log.exception("%s: rollback failed", self.path)

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
        rows = self.rows(
            "SELECT * FROM outbox WHERE state = 'pending' ORDER BY seq LIMIT ?", (limit,)
        )
        return [_event(r) for r in rows]

    def next_batch(self, limit: int) -> tuple[str, list[Event]] | None:
        """The batch to send: the one already in flight (sent, no answer yet: resent exactly as
        it was), or the next `limit` pending events, fixed under a new batch id now."""
        with self.write() as conn:  # read and fix the batch in one transaction
            row = conn.execute(
                "SELECT batch_id FROM outbox WHERE state = 'pending' AND batch_id IS NOT NULL"
                " ORDER BY seq LIMIT 1"
            ).fetchone()
            if row is None:
                batch_id = str(uuid.uuid4())
                conn.execute(
                    "UPDATE outbox SET batch_id = ? WHERE seq IN (SELECT seq FROM outbox"
                    " WHERE state = 'pending' ORDER BY seq LIMIT ?)",
                    (batch_id, limit),
                )
            else:
                batch_id = row[0]
            rows = self.rows(
                "SELECT * FROM outbox WHERE batch_id = ? AND state = 'pending' ORDER BY seq",
                (batch_id,),
            )
        events = [_event(r) for r in rows]
        return (batch_id, events) if events else None

    def shrink_batch(self, batch_id: str, keep: int) -> None:
        """Keep only the first `keep` events in the batch (the backend refused it whole, as too
        large, so none of it was applied); the rest go back to waiting, in order."""
        with self.write() as conn:
            conn.execute(
                "UPDATE outbox SET batch_id = NULL WHERE batch_id = ? AND state = 'pending'"
                " AND seq NOT IN (SELECT seq FROM outbox WHERE batch_id = ? AND"
                " state = 'pending' ORDER BY seq LIMIT ?)",
                (batch_id, batch_id, keep),
            )

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
        return {r["key"]: r["value"] for r in self.rows("SELECT key, value FROM sync_state")}

    def cursor(self) -> int | None:
        """The backend cursor the cache is up to date with (None before the first snapshot)."""
        rows = self.rows("SELECT value FROM sync_state WHERE key = 'cursor'")
        return int(rows[0]["value"]) if rows else None

    def counts(self) -> dict[str, int]:
        """Events by outbox state."""
        rows = self.rows("SELECT state, COUNT(*) AS n FROM outbox GROUP BY state")
        return {"pending": 0, "sent": 0, "rejected": 0} | {r["state"]: r["n"] for r in rows}

    def applied_migrations(self) -> list[str]:
        return [r["name"] for r in self.db.query("SELECT name FROM _migrations ORDER BY id")]

    def _device_id(self) -> str:
        with self.write() as conn:
            row = conn.execute("SELECT value FROM store_info WHERE key = 'device'").fetchone()
            if row:
                return str(row[0])
            device = f"dev-{uuid.uuid4().hex[:12]}"
            conn.execute("INSERT INTO store_info (key, value) VALUES ('device', ?)", (device,))
        return device


def health(path: Path) -> str | None:
    """None if the cache at `path` reads whole (SQLite's quick_check), else what is wrong."""
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            found = [r[0] for r in conn.execute("PRAGMA quick_check(3)")]
        finally:
            conn.close()
    except sqlite3.DatabaseError as err:
        return str(err)
    return None if found == ["ok"] else "; ".join(found)[:200]


@dataclass(frozen=True)
class Rescue:
    """What could be read of a damaged cache's outbox, written beside it."""

    file: Path
    events: list[Event]  # every readable event, oldest first
    unsent: list[Event]  # those the backend had not acknowledged (or whose state is unknown)
    unreadable: int  # sequence numbers that could not be read
    info: dict[str, str]  # what could be read of store_info (device, token, backend_url)


def rescue(path: Path, probe_after: int = 1000) -> Rescue:
    """Read every event that can still be read from the outbox of a damaged cache at `path`,
    one by one (a damaged page loses its own events only), and write them beside it as JSON
    lines (`<file>.rescued.jsonl`, the same form they are sent in). The cache is only read."""
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    events: list[Event] = []
    unsent: list[Event] = []
    unreadable = 0
    info: dict[str, str] = {}
    try:
        with contextlib.suppress(sqlite3.DatabaseError):
            info = {r[0]: r[1] for r in conn.execute("SELECT key, value FROM store_info")}
        try:
            last = int(conn.execute("SELECT MAX(seq) FROM outbox").fetchone()[0] or 0)
        except sqlite3.DatabaseError:
            last = None  # the way to the last event is damaged: probe until none come
        seq, misses, failures = 0, 0, 0
        while seq < last if last is not None else misses + failures < probe_after:
            seq += 1
            try:
                row = conn.execute("SELECT * FROM outbox WHERE seq = ?", (seq,)).fetchone()
                event = _event(dict(row)) if row is not None else None
            except (sqlite3.DatabaseError, ValueError, TypeError):
                failures += 1  # with no known end, as many failures as misses end the probe
                continue
            if event is None:
                misses += 1
                continue
            unreadable += failures
            misses = failures = 0
            events.append(event)
            if row["state"] != "sent":
                unsent.append(event)
        if last is not None:
            unreadable += failures  # the last ones (with no known end, those are the probe's)
    finally:
        conn.close()
    out = path.with_name(path.name + ".rescued.jsonl")
    partial = out.with_name(out.name + ".part")
    with open(partial, "w", encoding="utf-8") as f:
        for e in events:
            f.write(json.dumps(dataclasses.asdict(e), sort_keys=True) + "\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(partial, out)
    return Rescue(out, events, unsent, unreadable, info)


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


def _create(path: Path) -> None:
    """Make a new, fully migrated cache beside `path`, then move it into place: a crash while
    making it leaves no half-made file where the cache belongs."""
    partial = path.with_name(path.name + ".new")
    for leftover in (partial, *(partial.with_name(partial.name + x) for x in ("-wal", "-shm"))):
        leftover.unlink(missing_ok=True)  # an earlier attempt's, never a cache in use
    conn = sqlite3.connect(partial, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
        _migrate(conn, partial)
        conn.execute("PRAGMA journal_mode = DELETE")  # everything in the one file
    finally:
        conn.close()
    os.replace(partial, path)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def _check_is_ours(path: Path) -> None:
    """Refuse, untouched, a file at the cache's place that is not a picker_app cache."""
    wal = path.with_name(path.name + "-wal")
    if path.stat().st_size == 0 and not (wal.exists() and wal.stat().st_size > 0):
        raise StoreError(
            f"{path}: the local database file is empty (a crash or a failed copy?); it was left "
            "untouched: if this device had unsynced scans, tell your store lead, then move the "
            "file aside and start again."
        )
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    finally:
        conn.close()
    if not {"_migrations", "store_info", "outbox"} <= tables:
        what = "is empty" if not tables else "belongs to another application"
        raise StoreError(
            f"{path}: this file {what}: it is not a picker_app database and was left "
            "untouched; give picker-app another file with --db (or move this one aside)."
        )


def _migrate(conn: sqlite3.Connection, path: Path) -> None:
    migrate(conn, path, MIGRATIONS, StoreError)


def store_error(path: Path, err: sqlite3.DatabaseError) -> StoreError:
    """A SQLite error on the cache at `path`, as one sentence for the person."""
    text = str(err)
    if "full" in text:
        return StoreError(
            "this device is out of storage: free some space or tell your store lead "
            f"(everything saved before is kept; {path} cannot grow)",
            "full",
        )
    if "locked" in text or "busy" in text:
        return StoreError(
            f"{path}: the local database is locked by another program (is another picker-app "
            "running on this device?); close it and try again.",
            "locked",
        )
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return StoreError(
            f"{path}: the local database is damaged or not a picker_app database; it was left "
            "untouched (unsynced scans may be in it): move it aside and start again, and tell "
            "your store lead.",
            "damaged",
        )
    return StoreError(f"{path}: local database error: {text}")
