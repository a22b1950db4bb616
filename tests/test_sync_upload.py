"""Upload to the reference backend under uvicorn on loopback: exactly once, retries, faults."""

from __future__ import annotations

import json
import socket
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from picker_app.backend.server import ServerThread
from picker_app.domain.events import StockPicked
from picker_app.store.db import LocalStore
from picker_app.sync.client import (
    BackendFaulty,
    Retryable,
    SyncClient,
    SyncPaused,
    SyncSettings,
)

pytestmark = pytest.mark.both_backends

STORE = "BLR-KOR-01"


class Backend(ServerThread):
    """The real backend app served by uvicorn on an ephemeral loopback port."""

    def events(self) -> list[tuple]:
        return self.db.conn.execute(
            "SELECT device, seq, type, status FROM events ORDER BY device, seq"
        ).fetchall()


@pytest.fixture
def backend(repos):
    server = Backend(repos.new())
    yield server
    server.stop()


@pytest.fixture
def device(tmp_path):
    store = LocalStore.open(tmp_path / "device.db", device="dev-1")
    yield store
    store.close()


def record_picks(store: LocalStore, n: int) -> None:
    for _ in range(n):
        with store.write():
            store.record(StockPicked(bin="A07-2", sku="SKU-1", qty=1))


def record_unchecked(store: LocalStore, type_: str, payload: dict) -> None:
    """An outbox row with a payload this app's models do not make (as an older version may
    have written it): the device still sends it, and the backend judges it."""
    with store.write() as conn:
        seq = conn.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM outbox").fetchone()[0]
        conn.execute(
            "INSERT INTO outbox (seq, event_id, device, type, user, created_at, payload)"
            " VALUES (?, ?, ?, ?, NULL, ?, ?)",
            (seq, str(uuid.uuid4()), store.device, type_, store.clock(),
             json.dumps(payload, sort_keys=True, separators=(",", ":"))),
        )  # fmt: skip


def client_for(store, url, token, **kw) -> SyncClient:
    waits: list[float] = []
    settings = SyncSettings(base_url=url, store_id=STORE, token=token, **kw)
    client = SyncClient(store, settings, sleep=waits.append, rng=lambda: 0.5)
    client.waits = waits  # type: ignore[attr-defined]
    return client


def test_health_needs_no_token(backend):
    assert httpx.get(f"{backend.url}/v1/health").json()["status"] == "ok"
    assert "/v1/stores/{store}/events" in httpx.get(f"{backend.url}/openapi.json").json()["paths"]


def test_no_token_or_a_wrong_one_is_401_another_store_is_403(backend):
    url = f"{backend.url}/v1/stores/{STORE}/events"
    body = {"device": "d", "batch_id": "b", "events": []}
    assert httpx.post(url, json=body).status_code == 401
    assert httpx.post(url, json=body, headers={"Authorization": "Bearer nope"}).status_code == 401
    token = backend.db.add_device("BLR-HSR-02")
    response = httpx.post(url, json=body, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 403


def test_every_event_is_applied_once_in_order(backend, device):
    token = backend.db.add_device(STORE, device.device)
    record_picks(device, 25)
    report = client_for(device, backend.url, token, batch_size=10).upload_all()
    assert (report.batches, report.applied, report.duplicate) == (3, 25, 0)
    assert device.counts() == {"pending": 0, "sent": 25, "rejected": 0}
    assert [row[1] for row in backend.events()] == list(range(1, 26))
    on_hand = backend.db.conn.execute("SELECT on_hand FROM stock").fetchone()[0]
    assert on_hand == -25  # each pick decremented the bin once


def test_a_lost_answer_is_resent_as_the_same_batch_and_not_applied_twice(backend, device):
    token = backend.db.add_device(STORE, device.device)
    record_picks(device, 7)
    client = client_for(device, backend.url, token, batch_size=5)
    batch_id, events = device.next_batch(5)
    client.send_batch(batch_id, events)  # the backend applies it; the answer is "lost"
    assert device.counts()["pending"] == 7
    assert device.next_batch(5) == (batch_id, events)  # the same request goes again
    report = client.upload_all()
    assert (report.applied, report.duplicate) == (2, 5)
    assert len(backend.events()) == 7
    assert device.counts() == {"pending": 0, "sent": 7, "rejected": 0}


def test_the_same_batch_sent_twice_at_once_is_applied_once(backend, device):
    """Two sends of one batch racing (a retry fired while the first is still in flight, from
    two threads released at the same instant), 20 times: each event is applied once; one
    answer says applied and the other duplicate, and the device ends with everything sent."""
    token = backend.db.add_device(STORE, device.device)
    record_picks(device, 100)
    client = client_for(device, backend.url, token, batch_size=5)
    for _ in range(20):
        batch_id, events = device.next_batch(5)
        start = threading.Barrier(2)
        answers: list = []

        def send(start=start, answers=answers, batch_id=batch_id, events=events) -> None:
            start.wait()
            answers.append(client.send_batch(batch_id, events))

        threads = [threading.Thread(target=send) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert len(answers) == 2
        for k in range(len(events)):
            assert sorted(a.results[k].status for a in answers) == ["applied", "duplicate"]
        device.ack_batch(batch_id, {r.event_id: (r.status, r.reason) for r in answers[0].results})
    assert [row[1] for row in backend.events()] == list(range(1, 101))
    assert device.counts() == {"pending": 0, "sent": 100, "rejected": 0}
    on_hand = backend.db.conn.execute("SELECT on_hand FROM stock").fetchone()[0]
    assert on_hand == -100


def test_backend_down_then_up_delivers_everything_once(backend, device):
    token = backend.db.add_device(STORE, device.device)
    record_picks(device, 30)
    with socket.socket() as s:  # a port where nothing listens
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}"
    down = client_for(device, dead, token, backoff_base_s=1, backoff_cap_s=4)
    with pytest.raises(Retryable, match="unreachable"):
        down.upload_all(max_attempts=5)
    assert device.counts()["pending"] == 30
    # Full jitter with rng 0.5: half of min(cap, base * 2**(attempt-1)).
    assert [round(w, 3) for w in down_waits(down)] == [0.5, 1.0, 2.0, 2.0]
    client_for(device, backend.url, token).upload_all()
    assert device.counts() == {"pending": 0, "sent": 30, "rejected": 0}
    assert len(backend.events()) == 30


def down_waits(client: SyncClient) -> list[float]:
    return client.waits  # type: ignore[attr-defined]


def test_a_rejected_event_is_moved_aside_and_the_queue_goes_on(backend, device):
    token = backend.db.add_device(STORE, device.device)
    record_picks(device, 2)
    record_unchecked(device, "stock_picked", {"bin": "A07-2", "sku": "SKU-1"})  # no qty
    record_picks(device, 2)
    report = client_for(device, backend.url, token).upload_all()
    assert (report.applied, report.rejected) == (4, 1)
    assert device.counts() == {"pending": 0, "sent": 4, "rejected": 1}
    reason = device.conn.execute("SELECT reason FROM rejected").fetchone()[0]
    assert "qty" in reason


def test_a_wrong_token_pauses_sync_and_keeps_everything(backend, device):
    record_picks(device, 3)
    with pytest.raises(SyncPaused, match="refused this device"):
        client_for(device, backend.url, "stolen").upload_all()
    assert device.counts()["pending"] == 3


class _Faulty(BaseHTTPRequestHandler):
    replies: list[tuple[int, dict[str, str], bytes]] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        status, headers, body = self.replies.pop(0)
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST  # noqa: N815 - snapshots and changes are GETs; no body to read

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def faulty():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Faulty)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.mark.parametrize(
    "reply",
    [
        (200, {"Content-Type": "application/json"}, b"not json at all"),
        (200, {"Content-Type": "application/json"}, b'{"batch_id": "x", "results": 5}'),
        (200, {"Content-Type": "text/html"}, b"<html>captive portal</html>"),
        (302, {"Location": "http://login.example/"}, b""),
    ],
)
def test_bad_replies_mark_nothing_and_report_a_faulty_backend(faulty, device, reply):
    server, url = faulty
    _Faulty.replies = [reply]
    record_picks(device, 4)
    with pytest.raises(BackendFaulty):
        client_for(device, url, "t").upload_all()
    assert device.counts() == {"pending": 4, "sent": 0, "rejected": 0}


def test_retry_after_is_honoured_then_the_batch_goes_through(faulty, backend, device):
    server, url = faulty
    _Faulty.replies = [(503, {"Retry-After": "7"}, b"busy"), (429, {"Retry-After": "2"}, b"")]
    record_picks(device, 3)
    client = client_for(device, url, "t")
    with pytest.raises(Retryable):
        client.upload_all(max_attempts=2)
    assert down_waits(client) == [7.0]
    token = backend.db.add_device(STORE, device.device)
    client_for(device, backend.url, token).upload_all()
    assert device.counts()["sent"] == 3


@pytest.mark.parametrize("value", ["soon", "-5", "Wed, 21 Oct 2015 07:28:00 GMT", "1e400"])
def test_a_retry_after_that_is_no_wait_to_honour_falls_back_to_the_backoff(faulty, device, value):
    """A `Retry-After` that is not a number of seconds nor a future date (a proxy's or a CDN's
    own) is still a busy backend: retried after the client's own backoff (or at once, or after
    the cap), never an error of the client's."""
    server, url = faulty
    _Faulty.replies = [(503, {"Retry-After": value}, b"busy")] * 2
    record_picks(device, 1)
    client = client_for(device, url, "t")
    with pytest.raises(Retryable, match="busy"):
        client.upload_all(max_attempts=2)
    assert down_waits(client) == [{"soon": 0.25, "1e400": 60.0}.get(value, 0.0)]
    assert device.counts()["pending"] == 1


def test_500_batches_through_faults_of_every_kind_apply_each_event_once(backend, device):
    """2,000 events in 500 batches through the fault proxy (tests/faultproxy.py): a fifth of
    the requests meet a fault of one of its seven kinds, and one in twenty more is applied by
    the backend and answered 500. Each failure is retried (a busy answer after exactly its
    Retry-After), each batch whose answer was lost after it was applied is answered
    `duplicate` when it is sent again, and in the end the backend has each event once, in the
    device's order, and both sides agree."""
    from tests.faultproxy import ALL_FAULTS, upload_through

    token = backend.db.add_device(STORE, device.device)
    with device.write():
        for _ in range(2000):
            device.record(StockPicked(bin="A07-2", sku="SKU-1", qty=1))
    run = upload_through(device, backend.url, token, STORE, seed=7)
    assert run.report.batches == 500
    counts = run.proxy.counts
    assert set(ALL_FAULTS) <= set(counts), counts  # every kind happened
    assert sum(counts.values()) - counts["pass"] >= 0.2 * sum(counts.values()), counts
    assert counts["error_after_commit"] >= 15, counts  # some 5% of 600-odd requests
    # Every failed request was waited for once and sent again; a busy one after its Retry-After.
    failed = [(f, after) for f, after in run.proxy.log if f not in ("pass", "delay", "twice")]
    assert len(run.waits) == len(failed)
    busy = [float(after) for f, after in failed if f == "busy"]
    assert [w for w, (f, _) in zip(run.waits, failed, strict=True) if f == "busy"] == busy
    assert len(busy) >= 10 and set(run.proxy.busy) == {429, 503}
    # A batch applied whose answer the device never had whole was answered duplicate later.
    lost = {json.loads(body)["batch_id"] for body in run.proxy.lost_answers}
    assert len(lost) >= 30
    assert all(set(run.answers[b]) == {"duplicate"} for b in lost)
    # Exactly once, in the device's order, and both sides agree.
    rows = backend.db.conn.execute("SELECT seq, event_id, status FROM events ORDER BY rowid")
    applied = [(seq, event_id) for seq, event_id, status in rows if status == "applied"]
    outbox = device.conn.execute("SELECT seq, event_id FROM outbox ORDER BY seq").fetchall()
    assert applied == [tuple(r) for r in outbox] and len(applied) == 2000
    assert device.counts() == {"pending": 0, "sent": 2000, "rejected": 0}
    assert backend.db.conn.execute("SELECT on_hand FROM stock").fetchone()[0] == -2000
    assert run.report.applied + run.report.duplicate == 2000
    assert run.report.duplicate >= 4 * len(lost)


def test_backend_down_for_2000_events_then_up(backend, device):
    token = backend.db.add_device(STORE, device.device)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}"
    for i in range(2000):
        with device.write():
            device.record(StockPicked(bin="B01-1", sku="SKU-2", qty=1))
        if i % 500 == 499:  # the device keeps trying while it records
            with pytest.raises(Retryable):
                client_for(device, dead, token).upload_all(max_attempts=2)
    assert device.counts()["pending"] == 2000
    report = client_for(device, backend.url, token, batch_size=500).upload_all()
    assert report.applied == 2000 and report.duplicate == 0
    assert device.counts() == {"pending": 0, "sent": 2000, "rejected": 0}
    seqs = [r[0] for r in backend.db.conn.execute("SELECT seq FROM events ORDER BY rowid")]
    assert seqs == list(range(1, 2001))


@pytest.mark.parametrize(
    "body", [b"garbage", b'{"cursor": 1, "store": "S"}', b'{"changes": [], "next_cursor": "x"}']
)
def test_bad_snapshot_or_changes_replies_change_nothing(device, body):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Faulty)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        _Faulty.replies = [(200, {"Content-Type": "application/json"}, body)] * 2
        client = client_for(device, f"http://127.0.0.1:{server.server_address[1]}", "t")
        with pytest.raises(BackendFaulty):
            client.download_snapshot()
        with device.write() as conn:
            conn.execute("INSERT INTO sync_state (key, value) VALUES ('cursor', '5')")
        with pytest.raises(BackendFaulty):
            client.download_changes()
        assert device.cursor() == 5
        assert device.conn.execute("SELECT COUNT(*) FROM sku").fetchone()[0] == 0
    finally:
        server.shutdown()


def test_the_backends_clock_offset_comes_from_the_date_header():
    from datetime import UTC, datetime

    from picker_app.sync.client import clock_offset

    here = datetime(2026, 11, 25, 10, 0, 0, tzinfo=UTC)
    assert clock_offset("Wed, 25 Nov 2026 10:01:30 GMT", here) == 90.0
    assert clock_offset("Wed, 25 Nov 2026 09:59:58 GMT", here) == -2.0
    assert clock_offset(None, here) is None and clock_offset("yesterday", here) is None


def test_a_batch_the_backend_finds_too_large_is_sent_in_smaller_ones(backend, device):
    """500 events of 7 KB each are over the backend's body limit (413, nothing applied): the
    device halves the batch until it fits; every event arrives once, in order."""
    token = backend.db.add_device(STORE, device.device)
    for i in range(500):  # keys the model does not name are sent as they were recorded
        record_unchecked(device, "stock_damaged", {"bin": "A07-2", "sku": "SKU-1", "qty": 1,
                                                    "note": f"{i:04d}" + "x" * 7000})  # fmt: skip
    report = client_for(device, backend.url, token).upload_all()
    assert report.applied == 500 and report.batches >= 2
    assert device.counts() == {"pending": 0, "sent": 500, "rejected": 0}
    seqs = [r[1] for r in backend.events()]
    assert seqs == list(range(1, 501))
