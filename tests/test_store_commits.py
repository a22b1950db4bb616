"""The cache tells its watchers which tables each commit changed (the app posts StoreChanged
from it): after the commit only, once per transaction, from the thread that made it."""

from __future__ import annotations

import logging
import threading

import pytest

from picker_app.store.db import LocalStore, StoreError


@pytest.fixture
def store(tmp_path):
    s = LocalStore.open(tmp_path / "picker.db", device="d1")
    yield s
    s.close()


def test_a_commit_tells_the_tables_it_wrote_once(store):
    told: list[frozenset[str]] = []
    store.watch(told.append)
    with store.write() as conn:
        conn.execute("INSERT INTO tote (code, state) VALUES ('TT000001', 'free')")
        with store.write() as inner:  # a savepoint: told with its parent, once
            inner.execute("INSERT INTO sync_state (key, value) VALUES ('a', 'b')")
        conn.execute("UPDATE tote SET state = 'busy' WHERE code = 'TT000001'")
        assert told == []  # not before the commit
    assert told == [frozenset({"tote", "sync_state"})]


def test_the_same_statement_again_is_still_seen(store):
    """A statement prepared before is prepared again (the writer caches none), so SQLite's
    authorizer sees every one."""
    told: list[frozenset[str]] = []
    store.watch(told.append)
    for key in ("a", "b"):
        with store.write() as conn:
            conn.execute("INSERT INTO sync_state (key, value) VALUES (?, 'x')", (key,))
    assert told == [frozenset({"sync_state"})] * 2


def test_a_rolled_back_write_tells_nothing_and_reads_tell_nothing(store):
    told: list[frozenset[str]] = []
    store.watch(told.append)
    with pytest.raises(RuntimeError), store.write() as conn:
        conn.execute("INSERT INTO tote (code, state) VALUES ('TT000002', 'free')")
        raise RuntimeError("the block failed")
    with store.write() as conn:
        conn.execute("SELECT * FROM tote").fetchall()
    store.rows("SELECT * FROM orders")
    assert told == []
    with store.write() as conn:  # the next commit tells only its own tables
        conn.execute("INSERT INTO sync_state (key, value) VALUES ('c', 'd')")
    assert told == [frozenset({"sync_state"})]


def test_a_failing_watcher_does_not_fail_the_commit_and_unwatch_stops_it(store):
    def broken(tables: frozenset[str]) -> None:
        raise ValueError("watcher bug")

    logged: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = logged.append  # type: ignore[method-assign]
    logging.getLogger("picker_app.store.commits").addHandler(handler)  # may not propagate

    told: list[frozenset[str]] = []
    store.watch(broken)
    store.watch(told.append)
    store.set_sync_state(cursor="5")  # committed, though a watcher failed
    assert store.sync_state()["cursor"] == "5" and told == [frozenset({"sync_state"})]
    logging.getLogger("picker_app.store.commits").removeHandler(handler)
    assert [r.getMessage() for r in logged] == [f"{store.path}: a watcher of commits failed"]
    store.unwatch(told.append)
    store.set_sync_state(cursor="6")
    assert told == [frozenset({"sync_state"})]


def test_a_commit_in_another_thread_is_told_from_that_thread(store):
    seen: list[tuple[str, frozenset[str]]] = []
    store.watch(lambda tables: seen.append((threading.current_thread().name, tables)))
    worker = threading.Thread(target=lambda: store.set_sync_state(x="1"), name="sync")
    worker.start()
    worker.join()
    assert seen == [("sync", frozenset({"sync_state"}))]


def test_a_write_that_fails_at_sqlite_tells_nothing(store):
    told: list[frozenset[str]] = []
    store.watch(told.append)
    with pytest.raises(StoreError), store.write() as conn:
        conn.execute("INSERT INTO tote (code, state) VALUES ('TT000003', 'free')")
        conn.execute("INSERT INTO no_such_table VALUES (1)")
    assert told == []
