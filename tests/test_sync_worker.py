"""The background sync worker against the real backend: schedule, poke, offline as status."""

from __future__ import annotations

import queue
import socket
import time

from picker_app.backend.server import BackendDB
from picker_app.store.db import LocalStore
from picker_app.sync.client import SyncClient, SyncSettings
from picker_app.sync.worker import SyncStatus, SyncWorker
from tests.test_sync_upload import STORE, Backend


def wait_for(statuses: queue.Queue, test, timeout: float = 10.0) -> SyncStatus:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            status = statuses.get(timeout=0.2)
        except queue.Empty:
            continue
        if test(status):
            return status
    raise AssertionError("no such status")


def test_worker_syncs_on_poke_and_reports_offline_without_raising(tmp_path):
    db = BackendDB(tmp_path / "backend.db")
    server = Backend(db)
    store = LocalStore.open(tmp_path / "d.db", device="dev-w")
    token = db.add_device(STORE)
    statuses: queue.Queue = queue.Queue()
    client = SyncClient(store, SyncSettings(server.url, STORE, token), sleep=lambda s: None)
    worker = SyncWorker(client, statuses.put, interval_s=60)
    worker.start()
    try:
        assert wait_for(statuses, lambda s: s.online).pending == 0
        with store.write():
            store.record("stock_picked", {"bin": "A07-2", "sku": "SKU-1", "qty": 1})
        worker.poke()  # not waiting a minute for the schedule
        wait_for(statuses, lambda s: s.online and "sent 1" in s.message)
        assert store.counts()["sent"] == 1
        server.stop()
        with store.write():
            store.record("stock_picked", {"bin": "A07-2", "sku": "SKU-1", "qty": 1})
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            client.settings = SyncSettings(f"http://127.0.0.1:{s.getsockname()[1]}", STORE, token)
        worker.poke()
        offline = wait_for(statuses, lambda s: not s.online)
        assert offline.pending == 1 and "offline, 1 events waiting" in offline.message
    finally:
        worker.stop()
        store.close()
