"""A device that runs out of storage: one sentence, the scan not shown as saved, nothing
acknowledged lost, and everything (saves and sync) resumes by itself when space returns.

The main test fills a real, small tmpfs that it mounts (it needs root, as CI runs); the second
makes SQLite itself answer SQLITE_FULL (a page limit on the cache), which works anywhere."""

from __future__ import annotations

import os
import time

import pytest

from picker_app.backend.server import BackendDB, ServerThread
from picker_app.domain.events import StockDamaged
from picker_app.store.db import LocalStore, StoreError
from picker_app.sync.client import SyncClient, SyncSettings
from picker_app.sync.worker import SyncStatus, SyncWorker
from tests.conftest import fill

STORE = "BLR-KOR-01"


def record(store: LocalStore, i: int) -> str:
    with store.write():
        event = store.record(StockDamaged(bin="A07-2", sku="SKU-1", qty=1, batch=f"B{i:05d}" * 8))
    return event.event_id


def test_a_full_disk_is_one_sentence_loses_nothing_and_everything_resumes(small_disk, tmp_path):
    backend = ServerThread(BackendDB(tmp_path / "backend.db"))
    store = LocalStore.open(small_disk / "picker.db", device="dev-full")
    token = backend.db.add_device(STORE, store.device)
    statuses: list[SyncStatus] = []
    worker = SyncWorker(
        SyncClient(store, SyncSettings(backend.url, STORE, token), sleep=lambda s: None),
        statuses.append,
        interval_s=0.05,
    )
    saved = [record(store, i) for i in range(200)]
    filler = fill(small_disk)
    worker.start()
    try:
        errors: list[str] = []
        for i in range(200, 5000):
            try:
                saved.append(record(store, i))
            except StoreError as err:
                errors.append(str(err))
                if len(errors) >= 20:
                    break
        assert errors, "the disk never filled up"
        assert all(e.startswith("this device is out of storage") for e in errors), errors[0]
        assert all("\n" not in e for e in errors)
        time.sleep(0.5)  # the worker meets the full disk too (its acks cannot be written)
        assert worker.is_alive()
        filler.unlink()  # space returns: no restart, no reopening
        for i in range(5000, 5010):
            saved.append(record(store, i))
        deadline = time.monotonic() + 30
        while store.counts()["pending"] and time.monotonic() < deadline:
            worker.poke()
            time.sleep(0.05)
        assert store.counts()["pending"] == 0
        applied = [r[0] for r in backend.db.conn.execute(
            "SELECT event_id FROM events WHERE device = ? ORDER BY seq", (store.device,)
        )]  # fmt: skip
        assert applied == saved  # every acknowledged save, once, in order; no refused one
        assert len(set(applied)) == len(applied)
    finally:
        worker.stop()
        store.close()
        backend.stop()


def test_sqlite_full_is_the_same_sentence_and_the_cache_goes_on(tmp_path):
    store = LocalStore.open(tmp_path / "picker.db", device="dev-full")
    saved = [record(store, i) for i in range(5)]
    pages = store.writer.execute("PRAGMA page_count").fetchone()[0]
    store.writer.execute(f"PRAGMA max_page_count = {pages}")
    with pytest.raises(StoreError, match="^this device is out of storage"):
        for i in range(5, 5000):
            saved.append(record(store, i))
    assert not store.writer.in_transaction
    store.writer.execute("PRAGMA max_page_count = 1073741823")
    saved.append(record(store, 9999))
    assert [e.event_id for e in store.pending()] == saved
    store.close()
    assert os.path.exists(tmp_path / "picker.db")
