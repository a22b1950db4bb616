"""The background sync worker against the real backend: schedule, poke, offline as status."""

from __future__ import annotations

import queue
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from picker_app.backend.server import BackendDB
from picker_app.domain.events import StockDamaged, StockPicked
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
    token = db.add_device(STORE, store.device)
    statuses: queue.Queue = queue.Queue()
    client = SyncClient(store, SyncSettings(server.url, STORE, token), sleep=lambda s: None)
    worker = SyncWorker(client, statuses.put, interval_s=60)
    worker.start()
    try:
        assert wait_for(statuses, lambda s: s.online).pending == 0
        with store.write():
            store.record(StockPicked(bin="A07-2", sku="SKU-1", qty=1))
        worker.poke()  # not waiting a minute for the schedule
        wait_for(statuses, lambda s: s.online and "sent 1" in s.message)
        assert store.counts()["sent"] == 1
        server.stop()
        with store.write():
            store.record(StockPicked(bin="A07-2", sku="SKU-1", qty=1))
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            client.settings = SyncSettings(f"http://127.0.0.1:{s.getsockname()[1]}", STORE, token)
        worker.poke()
        offline = wait_for(statuses, lambda s: not s.online)
        assert offline.pending == 1 and "offline, 1 events waiting" in offline.message
    finally:
        worker.stop()
        store.close()


class BrokenGzip(BaseHTTPRequestHandler):
    """A server whose every answer claims gzip and is not (httpx.DecodingError)."""

    def _answer(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = b"\x1f\x8bnot gzip at all"
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, *args) -> None:
        pass


def test_worker_survives_a_failing_status_callback_and_errors_that_are_not_sync_errors(tmp_path):
    db = BackendDB(tmp_path / "backend.db")
    server = Backend(db)
    broken = ThreadingHTTPServer(("127.0.0.1", 0), BrokenGzip)
    threading.Thread(target=broken.serve_forever, daemon=True).start()
    store = LocalStore.open(tmp_path / "d.db", device="dev-w")
    token = db.add_device(STORE, store.device)
    statuses: queue.Queue = queue.Queue()
    calls = [0]

    def on_status(status: SyncStatus) -> None:
        calls[0] += 1
        if calls[0] <= 2:  # as a status landing on a screen not mounted yet
            raise LookupError("No nodes match '#who'")
        statuses.put(status)

    broken_url = f"http://127.0.0.1:{broken.server_address[1]}"
    client = SyncClient(store, SyncSettings(broken_url, STORE, token), sleep=lambda s: None)
    worker = SyncWorker(client, on_status, interval_s=0.05)
    with store.write():
        store.record(StockDamaged(bin="A07-2", sku="SKU-1", qty=1))
    worker.start()
    try:
        gzip = wait_for(statuses, lambda s: "cannot be decoded" in s.message)
        assert not gzip.online and gzip.pending == 1 and calls[0] >= 3
        client.settings = SyncSettings("http://[::1", STORE, token)  # not a URL at all
        bad_url = wait_for(statuses, lambda s: "not a valid http(s) URL" in s.message)
        assert bad_url.paused and bad_url.pending == 1
        client.settings = SyncSettings(server.url, STORE, token)
        wait_for(statuses, lambda s: s.online and s.pending == 0)
        assert worker.is_alive() and store.counts()["sent"] == 1
        assert len(server.events()) == 1
    finally:
        worker.stop()
        broken.shutdown()
        server.stop()
        store.close()
