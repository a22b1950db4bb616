"""The local cache under real threads: a writer, readers and the sync worker at once, against
the real backend on loopback. A read in one thread never breaks a write in another."""

from __future__ import annotations

import threading
import time

from picker_app.backend.server import BackendDB, ServerThread
from picker_app.domain.events import StockDamaged
from picker_app.store.db import LocalStore
from picker_app.sync.client import SyncClient, SyncSettings
from picker_app.sync.worker import SyncStatus, SyncWorker

STORE = "BLR-KOR-01"
SAVES = 3000


def damaged(store: LocalStore, i: int) -> None:
    with store.write() as conn:
        conn.execute(
            "INSERT INTO pick_history (at, bin, sku, qty) VALUES ('now', 'A07-2', 'SKU-1', 1)"
        )
        store.record(StockDamaged(bin="A07-2", sku="SKU-1", qty=1, batch=f"B{i}"))


def test_saves_are_never_refused_while_readers_and_the_sync_worker_run(tmp_path):
    backend = ServerThread(BackendDB(tmp_path / "backend.db"))
    store = LocalStore.open(tmp_path / "device.db", device="dev-race")
    token = backend.db.add_device(STORE, store.device)
    statuses: list[SyncStatus] = []
    worker = SyncWorker(
        SyncClient(store, SyncSettings(backend.url, STORE, token, batch_size=50)),
        statuses.append,
        interval_s=0.005,
    )
    refused: list[str] = []
    read_errors: list[str] = []
    done = threading.Event()

    def write() -> None:
        for i in range(SAVES):
            try:
                damaged(store, i)
            except Exception as err:  # noqa: BLE001 - every refusal is counted, none hidden
                refused.append(f"{type(err).__name__}: {err}")
        done.set()

    def read() -> None:  # what the screens and `sync --status` read, as often as they can
        reads = 0
        while not done.is_set() or reads < 10:
            try:
                store.pending(limit=20)
                store.counts()
                store.sync_state()
                store.cursor()
                store.applied_migrations()
                store.conn.execute("SELECT COUNT(*) FROM stock").fetchone()
                reads += 1
            except Exception as err:  # noqa: BLE001
                read_errors.append(f"{type(err).__name__}: {err}")

    threads = [threading.Thread(target=write), threading.Thread(target=read),
               threading.Thread(target=read)]  # fmt: skip
    worker.start()
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(240)
        deadline = time.monotonic() + 60
        while store.counts()["pending"] and time.monotonic() < deadline:
            worker.poke()
            time.sleep(0.05)
        assert refused == []
        assert read_errors == []
        assert worker._thread.is_alive()
        assert store.counts() == {"pending": 0, "sent": SAVES, "rejected": 0}
        applied = backend.db.conn.execute(
            "SELECT COUNT(*), COUNT(DISTINCT event_id), MIN(seq), MAX(seq) FROM events"
            " WHERE device = ? AND status = 'applied'",
            (store.device,),
        ).fetchone()
        assert applied == (SAVES, SAVES, 1, SAVES)  # each once, none lost, gapless
    finally:
        done.set()
        worker.stop()
        store.close()
        backend.stop()
