"""Which tables each commit of the cache changed, told to whoever watches (the app, which posts
`StoreChanged` so that a screen reads again only what changed, instead of polling).

SQLite asks an authorizer about every statement the writer connection prepares; the tables it
would insert into, update or delete from are noted, and told after the transaction commits (a
rolled-back one tells nothing). A statement that matched no row still counts: a watcher may
read once too often, never once too few.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)
WRITES = frozenset({sqlite3.SQLITE_INSERT, sqlite3.SQLITE_UPDATE, sqlite3.SQLITE_DELETE})
Watcher = Callable[[frozenset[str]], None]


class Commits:
    """The writer connection's commits, by table (it must not cache statements: a cached one
    is not prepared again, so the authorizer would not see it)."""

    def __init__(self, writer: sqlite3.Connection, path: Path) -> None:
        self.path = path
        self._written: set[str] = set()
        self._watchers: list[Watcher] = []
        writer.set_authorizer(self._authorize)

    def _authorize(self, action: int, table: str | None, *_: object) -> int:
        if action in WRITES and table and not table.startswith("sqlite_"):
            self._written.add(table)
        return sqlite3.SQLITE_OK

    def watch(self, callback: Watcher) -> None:
        """Call `callback(tables)` after each commit, from the thread that made it, with the
        tables it wrote to (e.g. `{"orders", "order_line"}` for a download of orders). It must
        be quick and must not write: the app's posts a message."""
        self._watchers.append(callback)

    def unwatch(self, callback: Watcher) -> None:
        with contextlib.suppress(ValueError):
            self._watchers.remove(callback)

    def begin(self) -> None:
        """A transaction begins: nothing written yet."""
        self._written.clear()

    def committed(self) -> None:
        """The transaction committed: tell the watchers what it wrote."""
        tables, self._written = frozenset(self._written), set()
        for callback in list(self._watchers) if tables else ():
            try:
                callback(tables)
            except Exception:  # a watcher's fault is not the write's: it was committed
                log.exception("%s: a watcher of commits failed", self.path)
