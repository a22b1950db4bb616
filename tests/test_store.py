"""The local cache: WAL and FULL sync, migrations, clear errors, the transactional outbox."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from picker_app.domain.events import StockPicked, ToteClosed
from picker_app.store.db import LocalStore, StoreError
from picker_app.store.migrations import MIGRATIONS


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_new_database_is_wal_full_and_migrated(tmp_path):
    store = LocalStore.open(tmp_path / "p.db", device="dev-1")
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    # The writer's too: its commits are the ones that must be on the disk when they return.
    assert store.writer.execute("PRAGMA synchronous").fetchone()[0] == 2
    assert store.applied_migrations() == [name for name, _ in MIGRATIONS]
    store.close()
    again = LocalStore.open(tmp_path / "p.db")
    assert again.applied_migrations() == [name for name, _ in MIGRATIONS]
    assert again.device.startswith("dev-")
    again.close()


def test_device_id_is_made_once_and_kept(tmp_path):
    first = LocalStore.open(tmp_path / "p.db")
    device = first.device
    first.close()
    second = LocalStore.open(tmp_path / "p.db")
    assert second.device == device
    second.close()


def test_database_from_an_older_version_opens_and_migrates(tmp_path):
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("CREATE TABLE _migrations (id INTEGER PRIMARY KEY, name TEXT, applied_at TEXT)")
    name, sql = MIGRATIONS[0]
    conn.executescript(sql)
    conn.execute("INSERT INTO _migrations (name, applied_at) VALUES (?, 'then')", (name,))
    conn.execute(
        "INSERT INTO outbox (seq, event_id, device, type, created_at, payload)"
        " VALUES (1, 'e-1', 'dev-old', 'stock_picked', 'then', '{}')"
    )
    conn.close()
    store = LocalStore.open(path)
    assert store.applied_migrations() == [name for name, _ in MIGRATIONS]
    assert [e.event_id for e in store.pending()] == ["e-1"]  # nothing lost
    store.close()


def test_database_from_a_newer_version_is_refused_and_left_untouched(tmp_path):
    path = tmp_path / "new.db"
    LocalStore.open(path).close()
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO _migrations (name, applied_at) VALUES ('0099_future', 'later')")
    conn.commit()
    conn.close()
    before = digest(path)
    with pytest.raises(StoreError) as info:
        LocalStore.open(path)
    assert str(path) in str(info.value) and "newer picker_app" in str(info.value)
    assert digest(path) == before


def test_damaged_file_is_refused_and_left_untouched(tmp_path):
    path = tmp_path / "junk.db"
    path.write_bytes(b"this is not sqlite at all" * 100)
    before = digest(path)
    with pytest.raises(StoreError) as info:
        LocalStore.open(path)
    assert str(path) in str(info.value) and "damaged" in str(info.value)
    assert "\n" not in str(info.value)
    assert digest(path) == before


def test_locked_database_is_a_clear_error(tmp_path):
    path = tmp_path / "p.db"
    store = LocalStore.open(path, busy_timeout_ms=100)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StoreError, match="locked by another program"), store.write():
            pass
    finally:
        other.execute("ROLLBACK")
        other.close()
    store.close()


def test_event_and_state_change_commit_together_or_not_at_all(tmp_path):
    store = LocalStore.open(tmp_path / "p.db", device="dev-1")
    with store.write() as conn:
        conn.execute("INSERT INTO stock (bin, sku, on_hand) VALUES ('A07-2', 'SKU-1', 5)")
        store.record(StockPicked(bin="A07-2", sku="SKU-1", qty=1), user="U1")
        conn.execute("UPDATE stock SET on_hand = on_hand - 1 WHERE bin = 'A07-2'")
    with pytest.raises(ZeroDivisionError), store.write() as conn:
        conn.execute("UPDATE stock SET on_hand = on_hand - 1 WHERE bin = 'A07-2'")
        store.record(StockPicked(bin="A07-2", sku="SKU-1", qty=1))
        _ = 1 / 0  # the app fails before the commit: nothing of it is kept
    on_hand = store.conn.execute("SELECT on_hand FROM stock").fetchone()[0]
    assert on_hand == 4
    events = store.pending()
    assert [(e.seq, e.type, e.user, e.device) for e in events] == [
        (1, "stock_picked", "U1", "dev-1")
    ]
    with store.write():
        assert store.record(ToteClosed(order="OR1", tote="TT000042")).seq == 2  # gapless
    store.close()


def test_record_outside_a_transaction_or_of_unknown_type_is_refused(tmp_path):
    store = LocalStore.open(tmp_path / "p.db")
    with pytest.raises(RuntimeError):
        store.record(StockPicked(bin="A07-2", sku="SKU-1", qty=1))
    with pytest.raises(ValueError, match="unknown event type"), store.write():
        store.record(StockPicked.model_construct(type="stock_teleported"))
    with pytest.raises(ValueError, match="qty"), store.write():  # made without its checks
        store.record(StockPicked.model_construct(bin="A07-2", sku="SKU-1", qty=float("nan")))
    assert store.pending() == []
    store.close()


def test_a_committed_event_survives_the_process_being_killed(tmp_path):
    path = tmp_path / "p.db"
    code = (
        "import os, sys\n"
        "from picker_app.domain.events import StockPicked\n"
        "from picker_app.store.db import LocalStore\n"
        f"s = LocalStore.open({str(path)!r}, device='dev-k')\n"
        "with s.write():\n"
        "    s.record(StockPicked(bin='A07-2', sku='SKU-9', qty=1))\n"
        "print('saved', flush=True)\n"
        "os.kill(os.getpid(), 9)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.stdout.strip() == "saved" and proc.returncode == -9
    store = LocalStore.open(path)
    assert [e.payload for e in store.pending()] == [{"bin": "A07-2", "qty": 1, "sku": "SKU-9"}]
    store.close()


def test_default_location_is_the_user_data_directory(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    store = LocalStore.open()
    assert store.path == tmp_path / "xdg" / "picker_app" / "picker.db"
    assert os.path.exists(store.path)
    store.close()


def test_a_nested_write_that_fails_undoes_only_its_own_part(tmp_path):
    store = LocalStore.open(tmp_path / "p.db", device="dev-1")
    with store.write() as conn:
        conn.execute("INSERT INTO stock (bin, sku, on_hand) VALUES ('A07-2', 'SKU-1', 5)")
        store.record(StockPicked(bin="A07-2", sku="SKU-1", qty=1))
        with pytest.raises(ZeroDivisionError), store.write() as inner:
            inner.execute("INSERT INTO stock (bin, sku, on_hand) VALUES ('B01-1', 'SKU-2', 3)")
            store.record(StockPicked(bin="B01-1", sku="SKU-2", qty=1))
            _ = 1 / 0
        with store.write():  # a nested write that succeeds is kept with its parent
            store.record(ToteClosed(order="OR1", tote="TT000001"))
    assert [r[0] for r in store.conn.execute("SELECT bin FROM stock")] == ["A07-2"]
    assert [(e.seq, e.type) for e in store.pending()] == [(1, "stock_picked"), (2, "tote_closed")]
    store.close()
