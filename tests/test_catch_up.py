"""A device that was offline catches up (issue 9, defect 5): the backend builds its substitute
suggester at most once per request, never per order; a download does not hold up another
device's upload; and the suggestions sent are the backend's ranking at the time of the read."""

from __future__ import annotations

import json
import random
import threading
import uuid

import pytest

from picker_app.backend.server import BackendDB
from picker_app.domain.events import StockReturned
from picker_app.store.db import LocalStore
from picker_app.sync.client import SyncClient, SyncSettings
from picker_app.wire import EventBatch, WireEvent
from tests.test_backend_effects import expected_suggestions
from tests.test_sync_upload import STORE, Backend

pytestmark = pytest.mark.both_backends

OFFLINE_ORDERS = 60  # an offline hour at one order a minute; 12+ s per page before the fix


@pytest.fixture
def server(repos):
    backend = Backend(repos.seeded(20))
    yield backend
    backend.stop()


def device_on(server, tmp_path, name):
    store = LocalStore.open(tmp_path / f"{name}.db", device=name)
    client = SyncClient(store, SyncSettings(server.url, STORE, server.db.add_device(STORE, name)))
    client.download_changes()  # no cursor yet: takes the snapshot
    return store, client


@pytest.fixture
def builds(monkeypatch):
    """How many times the backend built its suggester (the real method, counted)."""
    calls: list[str] = []
    real = BackendDB.suggester

    def counted(self, store, *args, **kwargs):
        calls.append(threading.current_thread().name)
        return real(self, store, *args, **kwargs)

    monkeypatch.setattr(BackendDB, "suggester", counted)
    return calls


@pytest.fixture
def pages(monkeypatch):
    """The cursors of the pages of changes the backend served."""
    served: list[int] = []
    real = BackendDB.changes

    def counted(self, store, cursor, limit):
        served.append(cursor)
        return real(self, store, cursor, limit)

    monkeypatch.setattr(BackendDB, "changes", counted)
    return served


def send(db, type_, payload, device="lead-1"):
    event = WireEvent(
        event_id=str(uuid.uuid4()), device=device, seq=1, type=type_,
        created_at="2026-11-25T10:00:00+05:30", payload=payload,
    )  # fmt: skip
    return db.apply_batch(STORE, EventBatch(device=device, batch_id=event.event_id, events=[event]))


def set_stock(db, sku, on_hand):
    """A lead counts `sku` out (0) or puts stock back, through the events the backend knows."""
    for bin_, was in db.conn.execute(
        "SELECT bin, on_hand FROM stock WHERE store = ? AND sku = ?", (STORE, sku)
    ).fetchall():
        if on_hand <= 0:
            result = send(db, "out_of_stock_flagged", {"bin": bin_, "sku": sku, "qty_found": 0.0})
        else:
            qty = float(on_hand - max(was, 0))
            result = send(db, "stock_returned", {"bin": bin_, "sku": sku, "qty": qty})
        assert result.results[0].status == "applied", result


def first_suggestion(db, order_id):
    """The best substitute the backend has for one of the order's lines."""
    expected = expected_suggestions(db)
    for sku, qty in db.conn.execute(
        "SELECT sku, qty FROM order_lines WHERE order_id = ? ORDER BY line_no", (order_id,)
    ):
        if expected(sku, qty):
            return expected(sku, qty)[0]
    raise AssertionError(f"nothing to suggest for {order_id}")


def local_lines(store):
    return {
        (order_id, line_no): (sku, qty, json.loads(suggestions or "[]"))
        for order_id, line_no, sku, qty, suggestions in store.conn.execute(
            "SELECT order_id, line_no, sku, qty_ordered, suggestions FROM order_line"
        )
    }


def test_an_offline_device_catches_up_with_one_suggester_per_request(
    server, tmp_path, builds, pages
):
    store, client = device_on(server, tmp_path, "dev-a")
    assert len(builds) <= 1  # the snapshot: one suggester for all its orders
    db = server.db
    # Offline: orders come in, some are cancelled, a suggested product runs out.
    db.add_orders(STORE, OFFLINE_ORDERS, random.Random(5))
    new = [r[0] for r in db.conn.execute("SELECT id FROM orders ORDER BY id DESC LIMIT ?",
                                         (OFFLINE_ORDERS,))]  # fmt: skip
    cancelled = new[::10] + ["OR52000001"]
    for order_id in cancelled:
        assert db.cancel_order(STORE, order_id)
    suggested = first_suggestion(db, new[1])
    set_stock(db, suggested, 0)
    builds.clear()

    applied = client.download_changes()

    # each new order once (those cancelled as cancelled), OR52000001's cancellation, the stock
    assert applied >= OFFLINE_ORDERS + 1 + 1
    assert len(pages) == 1  # all of it in one page of 500
    assert len(builds) <= len(pages), f"suggester built {len(builds)} times for {len(pages)} pages"
    backend_cursor = db.conn.execute("SELECT MAX(seq) FROM changes").fetchone()[0]
    assert store.cursor() == backend_cursor  # up to date
    states = dict(store.conn.execute("SELECT id, state FROM orders"))
    assert all(states[o] == "cancelled" for o in cancelled)
    assert all(states[o] == "confirmed" for o in new if o not in cancelled)
    expected = expected_suggestions(db)
    for (order_id, _), (sku, qty, got) in local_lines(store).items():
        if order_id in new:
            assert got == expected(sku, qty), order_id
            assert suggested not in got


def test_an_upload_goes_through_while_a_large_download_is_being_read(server, tmp_path, monkeypatch):
    """The download is held inside its read (building the suggester) until the upload is
    answered: before the fix the download held the backend's only lock and the upload waited."""
    store, client = device_on(server, tmp_path, "dev-a")
    other, uploader = device_on(server, tmp_path, "dev-b")
    db = server.db
    db.add_orders(STORE, 30, random.Random(6))
    first = db.conn.execute("SELECT MAX(id) FROM orders").fetchone()[0]
    set_stock(db, first_suggestion(db, first), 0)  # so the download must re-rank a line
    cursor_before = db.conn.execute("SELECT MAX(seq) FROM changes").fetchone()[0]

    reading, uploaded = threading.Event(), threading.Event()
    seen: list[bool] = []
    real = BackendDB.suggester

    def held(self, store_id, *args, **kwargs):
        if not reading.is_set():
            reading.set()
            seen.append(uploaded.wait(5))  # the upload is answered while this read is open
        return real(self, store_id, *args, **kwargs)

    monkeypatch.setattr(BackendDB, "suggester", held)
    results: list[int] = []
    download = threading.Thread(target=lambda: results.append(client.download_changes()))
    download.start()
    assert reading.wait(10)
    bin_, sku = db.conn.execute("SELECT bin, sku FROM stock WHERE on_hand > 5 LIMIT 1").fetchone()
    with other.write():
        other.record(StockReturned(bin=bin_, sku=sku, qty=1.0))
    report = uploader.upload_all(max_attempts=1)
    uploaded.set()
    download.join(30)

    assert report.applied + report.rejected == 1
    assert seen == [True], "the upload waited for the download"
    # The page was read in one transaction: what was uploaded meanwhile comes with the next one.
    assert results and store.cursor() == cursor_before
    after = db.conn.execute("SELECT MAX(seq) FROM changes").fetchone()[0]
    assert after > cursor_before or not report.applied
    assert client.download_changes() == after - cursor_before and store.cursor() == after


def placed_lines(db, after):
    return db.conn.execute(
        "SELECT order_id, line_no, sku, qty, suggestions FROM order_lines"
        " WHERE store = ? AND order_id > ? ORDER BY order_id, line_no",
        (STORE, after),
    ).fetchall()


def test_suggestions_are_stored_with_the_order_and_follow_the_stock(server, tmp_path):
    db = server.db
    expected = expected_suggestions(db)
    (before,) = db.conn.execute("SELECT MAX(id) FROM orders").fetchone()
    assert db.add_orders(STORE, 10, random.Random(8)) == 10
    first = placed_lines(db, before)
    assert first and all(json.loads(s) == expected(sku, qty) for _, _, sku, qty, s in first)

    # A product suggested first for many lines runs out: no order is sent with it any more.
    counts: dict[str, int] = {}
    for *_, s in first:
        for sku in json.loads(s)[:1]:
            counts[sku] = counts.get(sku, 0) + 1
    gone = max(counts, key=lambda sku: counts[sku])
    set_stock(db, gone, 0)
    store, client = device_on(server, tmp_path, "dev-a")
    expected = expected_suggestions(db)
    snap_lines = local_lines(store)
    assert all(got == expected(sku, qty) for sku, qty, got in snap_lines.values())
    assert not any(gone in got for _, _, got in snap_lines.values())

    # The same orders again, placed while it is out: stored without it.
    (middle,) = db.conn.execute("SELECT MAX(id) FROM orders").fetchone()
    assert db.add_orders(STORE, 10, random.Random(8)) == 10
    second = placed_lines(db, middle)
    assert [r[2:4] for r in second] == [r[2:4] for r in first]
    assert not any(gone in json.loads(s) for *_, s in second)

    # It is back in stock, and the orders change: their lines suggest it again, first.
    set_stock(db, gone, 50)
    ours = {r[0] for r in first + second}
    for order_id in ours:
        db.cancel_order(STORE, order_id)
    client.download_changes()
    expected = expected_suggestions(db)
    changed = {k: v for k, v in local_lines(store).items() if k[0] in ours}
    assert len(changed) == len(first) + len(second)
    assert all(got == expected(sku, qty) for sku, qty, got in changed.values())
    assert sum(1 for *_, got in changed.values() if got[:1] == [gone]) == 2 * counts[gone]

    # Lines stored before suggestions were (an older database): ranked when read.
    with db.transaction() as conn:
        conn.execute("UPDATE order_lines SET suggestions = NULL")
    again, _ = device_on(server, tmp_path, "dev-b")
    assert len(local_lines(again)) > 50
    assert all(got == expected(sku, qty) for sku, qty, got in local_lines(again).values())


def test_stock_changes_of_a_page_are_applied_in_order_the_last_of_a_bin_kept(tmp_path):
    """The stock rows of a page are written together (store/replica.apply_changes): a bin
    named twice ends as its later change says, the cursor moves past the page, and a bin the
    cache never had is added."""
    from picker_app.wire import Change, ChangesPage, StockWire

    store = LocalStore.open(tmp_path / "cache.db", device="dev")
    page = ChangesPage(
        changes=[
            Change(seq=5, stock=StockWire(bin="A01-1", sku="SKU-1", on_hand=9)),
            Change(seq=6, stock=StockWire(bin="B02-2", sku="SKU-2", on_hand=4)),
            Change(seq=7, stock=StockWire(bin="A01-1", sku="SKU-1", on_hand=7)),
        ],
        next_cursor=7,
        more=False,
    )
    store.apply_changes(page)
    rows = store.conn.execute("SELECT bin, sku, on_hand, as_of FROM stock ORDER BY bin").fetchall()
    assert [tuple(r) for r in rows] == [("A01-1", "SKU-1", 7, "7"), ("B02-2", "SKU-2", 4, "6")]
    assert store.cursor() == 7
    store.close()
