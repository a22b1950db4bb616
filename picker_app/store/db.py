"""The local SQLite cache: everything a device needs to work alone, and the event outbox.

One writer. WAL, `synchronous=FULL`, explicit `BEGIN IMMEDIATE` write transactions. Every action
a person takes is an immutable outbox event written in the same transaction as its local state
change (`LocalStore.write()` then `record()`); the UI may say "saved" only after `write()` has
returned, i.e. after the commit. A database that is locked, damaged or from a newer picker_app
is a clear error naming the file, and is never replaced.

This module keeps the connections, `write()`, holds, opening and migrating; the SQL of each
part lives beside it: outbox.py (the events), replica.py (snapshot, changes, sync state),
rescue.py (a damaged cache), info.py (store_info), projection.py (an event's local effect),
and the tables the services read: orders.py, tasks.py, totes.py, catalog.py, people.py.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import functools
import logging
import os
import re
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from picker_app.config import CACHE_FILE, data_dir
from picker_app.schema import migrate
from picker_app.store import info, outbox, replica
from picker_app.store.commits import Commits
from picker_app.store.errors import Busy, StoreError, read_only_error, store_error
from picker_app.store.migrations import MIGRATIONS
from picker_app.store.outbox import Event
from picker_app.store.readonly import read_only
from picker_app.store.rescue import Rescue, health, rescue

if TYPE_CHECKING:
    import sqlite_utils

    from picker_app.domain.events import AnyEvent
    from picker_app.wire import ChangesPage, Snapshot

__all__ = [
    "Busy", "Event", "LocalStore", "Rescue", "StoreError", "default_path", "health", "rescue",
    "store_error",
]  # fmt: skip

log = logging.getLogger(__name__)


def default_path() -> Path:
    """Where the cache lives unless told otherwise: the user data directory."""
    return data_dir() / CACHE_FILE


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
        self.commits = Commits(writer, path)
        self.watch, self.unwatch = self.commits.watch, self.commits.unwatch

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
            # No statement cache on the writer: the authorizer that names the tables a commit
            # changed (`watch`) is asked when a statement is prepared, so each one must be.
            conn = sqlite3.connect(
                path, isolation_level=None, check_same_thread=False, cached_statements=0
            )
        except OSError as err:
            if err.errno == errno.EROFS:
                raise read_only_error(path) from None
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
            store.device = device or info.device_id(store)
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
            if err.errno == errno.EROFS:
                raise read_only_error(self.path) from None
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
            self.commits.begin()
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
            self.commits.committed()

    def _rollback(self) -> None:
        """Undo the open transaction, if SQLite has not already (it rolls back by itself on
        some errors, e.g. a COMMIT that finds the disk full); never hides the first error."""
        if self.writer.in_transaction:
            try:
                self.writer.execute("ROLLBACK")
            except sqlite3.DatabaseError:
                log.exception("%s: rollback failed", self.path)

    # --- the outbox (store/outbox.py) and the replica (store/replica.py) ------------------

    def record(self, event: AnyEvent, user: str | None = None) -> Event:
        """Append an event to the outbox; call inside `write()` with the state change it reports."""
        return outbox.record(self, event, user)

    def pending(self, limit: int = 1000) -> list[Event]:
        """Events not yet acknowledged by the backend, oldest first."""
        return outbox.pending(self, limit)

    def next_batch(self, limit: int) -> tuple[str, list[Event]] | None:
        """The batch to send: the one in flight, or the next `limit` pending events."""
        return outbox.next_batch(self, limit)

    def shrink_batch(self, batch_id: str, keep: int) -> None:
        """Keep only the first `keep` events in the batch; the rest go back to waiting."""
        outbox.shrink_batch(self, batch_id, keep)

    def ack_batch(self, batch_id: str, results: dict[str, tuple[str, str | None]]) -> None:
        """The backend's answer for a batch: sent, or rejected (kept, with the reason)."""
        outbox.ack_batch(self, batch_id, results)

    def counts(self) -> dict[str, int]:
        """Events by outbox state."""
        return outbox.counts(self)

    def apply_snapshot(self, snap: Snapshot) -> None:
        """Replace what the device knows of its store with a snapshot, and save its cursor."""
        replica.apply_snapshot(self, snap)

    def apply_changes(self, page: ChangesPage) -> None:
        """Apply a page of changes and move the cursor past it, in one transaction."""
        replica.apply_changes(self, page)

    def set_sync_state(self, **values: str) -> None:
        replica.set_sync_state(self, **values)

    def sync_state(self) -> dict[str, str]:
        return replica.sync_state(self)

    def cursor(self) -> int | None:
        """The backend cursor the cache is up to date with (None before the first snapshot)."""
        return replica.cursor(self)

    def applied_migrations(self) -> list[str]:
        return [r["name"] for r in self.db.query("SELECT name FROM _migrations ORDER BY id")]


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
    conn = read_only(path)
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
