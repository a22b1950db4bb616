"""What a device may send the backend and what it may not (issue 9): every event answered, no
event able to block a queue or break downloads, identity bound to the token, exactly-once per
store and device, and bounds on everything. The real backend on a real file, over HTTP on
loopback where the HTTP layer is what is tested."""

from __future__ import annotations

import json
import sqlite3
import uuid

import httpx
import pytest

from picker_app.backend.server import BackendDB, ServerThread
from picker_app.domain.events import StockPicked, StockReturned
from picker_app.store.db import LocalStore
from picker_app.sync.client import SyncClient, SyncSettings
from picker_app.wire import EventBatch, Snapshot, WireEvent

STORE = "BLR-KOR-01"
OTHER_STORE = "BLR-HSR-02"




@pytest.fixture
def server(db):
    running = ServerThread(db)
    yield running
    running.stop()


def event(type_, payload, device="dev-a", seq=1, **envelope):
    return {
        "event_id": str(uuid.uuid4()), "device": device, "seq": seq, "type": type_,
        "created_at": "2026-11-25T10:00:00+05:30", "payload": payload, **envelope,
    }  # fmt: skip


def post(server, token, events, device="dev-a", store=STORE, content=None):
    body = (
        content
        if content is not None
        else json.dumps({"device": device, "batch_id": str(uuid.uuid4()), "events": events})
    )
    return httpx.post(
        f"{server.url}/v1/stores/{store}/events",
        content=body,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        timeout=30,
    )


def stock_row(db):
    return db.conn.execute(
        "SELECT bin, sku, on_hand FROM stock WHERE store = ? AND on_hand > 5 ORDER BY bin LIMIT 1",
        (STORE,),
    ).fetchone()


def good(db, seq):
    bin_, sku, _ = stock_row(db)
    return event("stock_returned", {"bin": bin_, "sku": sku, "qty": 1, "why": "found"}, seq=seq)


# --- 6: one bad event never blocks the good ones behind it ---------------------------------


BAD_PAYLOADS = [
    ("stock_picked", {"bin": "A07-2", "sku": "SKU-1", "qty": "nan"}, "qty"),
    ("stock_picked", {"bin": "A07-2", "sku": "SKU-1", "qty": float("nan")}, "qty"),  # JSON NaN
    ("stock_picked", {"bin": "A07-2", "sku": "SKU-1", "qty": float("inf")}, "qty"),
    ("stock_picked", {"bin": "A07-2", "sku": "SKU-1", "qty": "inf"}, "qty"),
    ("stock_picked", {"order": "OR52000001", "line": [1], "bin": "B", "sku": "S", "qty": 1},
     "line"),
    ("stock_picked", {"order": "OR52000001", "line": 2**70, "bin": "B", "sku": "S", "qty": 1},
     "line"),
    ("pick_started", {"task": "T", "orders": 5}, "orders"),
    ("substitution_made",
     {"order": "OR52000002", "line": 1, "from_sku": "SKU-000001", "to_sku": {"a": 1}, "qty": 1},
     "to_sku"),
    ("pick_shorted", {"order": "OR52000001", "line": 1, "qty": -1e309}, "qty"),
    ("count_submitted", {"task": "CT-1", "counted": float("-inf")}, "counted"),
]  # fmt: skip


@pytest.mark.parametrize(("type_", "payload", "field"), BAD_PAYLOADS)
def test_a_bad_payload_is_rejected_naming_its_field_and_the_events_behind_it_apply(
    db, server, type_, payload, field
):
    token = db.add_device(STORE, "dev-a")
    events = [good(db, 1), event(type_, payload, seq=2), good(db, 3)]
    response = post(server, token, events)
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["applied", "rejected", "applied"]
    assert field in results[1]["reason"]


@pytest.mark.parametrize(
    ("envelope", "field"),
    [
        ({"seq": 2**63}, "seq"),
        ({"seq": "two"}, "seq"),
        ({"type": "x" * 100_000}, "type"),
        ({"user": "u" * 100_000}, "user"),
        ({"created_at": "c" * 100_000}, "created_at"),
        ({"created_at": None}, "created_at"),
        ({"payload": [1, 2]}, "payload"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_an_event_with_a_broken_envelope_is_answered_on_its_own(db, server, envelope, field):
    token = db.add_device(STORE, "dev-a")
    bin_, sku, before = stock_row(db)
    bad = {**good(db, 2), **envelope}
    response = post(server, token, [good(db, 1), bad, good(db, 3)])
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["applied", "rejected", "applied"]
    assert field in results[1]["reason"] and len(results[1]["reason"]) < 200
    assert (
        db.conn.execute(
            "SELECT on_hand FROM stock WHERE store = ? AND bin = ? AND sku = ?", (STORE, bin_, sku)
        ).fetchone()[0]
        == before + 2
    )


def test_an_unknown_event_type_is_rejected_and_the_queue_goes_on(db, server):
    token = db.add_device(STORE, "dev-a")
    response = post(server, token, [event("stock_teleported", {}), good(db, 2)])
    assert [r["status"] for r in response.json()["results"]] == ["rejected", "applied"]
    assert "stock_teleported" in response.json()["results"][0]["reason"]


def test_without_a_readable_event_id_the_batch_is_422_with_a_reason(db, server):
    token = db.add_device(STORE, "dev-a")
    response = post(server, token, [{**good(db, 1), "event_id": 5}])
    assert response.status_code == 422
    assert "event_id" in response.json()["detail"]


def test_one_bad_event_on_the_device_does_not_stop_its_queue(db, server, tmp_path):
    """The real device and client: an event the backend cannot apply is moved aside."""
    device = LocalStore.open(tmp_path / "device.db", device="dev-a")
    token = db.add_device(STORE, "dev-a")
    bin_, sku, _ = stock_row(db)
    with device.write():
        device.record(StockReturned(bin=bin_, sku=sku, qty=1))
        device.record(StockPicked(order="OR52000001", line=99, bin=bin_, sku=sku, qty=1))
        device.record(StockReturned(bin=bin_, sku=sku, qty=1))
    report = SyncClient(device, SyncSettings(server.url, STORE, token)).upload_all()
    assert (report.applied, report.rejected) == (2, 1)
    assert device.counts() == {"pending": 0, "sent": 2, "rejected": 1}
    device.close()


def test_every_event_type_has_a_payload_model_and_one_handler():
    from picker_app.backend.effects import HANDLERS
    from picker_app.domain.events import EVENT_TYPES, PAYLOADS

    assert set(PAYLOADS) == set(HANDLERS) == EVENT_TYPES
    assert len(EVENT_TYPES) == 22


def test_the_payloads_the_device_records_are_valid():
    """Each payload as the device's picking rules write it (domain/picking.py)."""
    from picker_app.domain.events import PAYLOADS

    samples = [
        ("pick_started", {"task": "PT-1", "orders": ["OR1", "OR2"], "totes": ["T1", "T2"]}),
        ("stock_picked", {"order": "OR1", "line": 1, "sku": "S", "bin": "A01-1", "qty": 1.0,
                          "gtin": "08901234567890", "batch": None, "expiry": None,
                          "weight_kg": None}),
        ("out_of_stock_flagged", {"order": "OR1", "line": 1, "sku": "S", "bin": "A01-1",
                                  "qty_found": 0}),
        ("pick_shorted", {"order": "OR1", "line": 1, "sku": "S", "qty": 0.0}),
        ("stock_returned", {"order": "OR1", "line": 1, "sku": "S", "bin": "A01-1", "qty": 1.0,
                            "why": "scanned by mistake"}),
        ("stock_damaged", {"sku": "S", "bin": "A01-1", "qty": 1, "batch": None,
                           "for_order": "OR1"}),
        ("stock_expired", {"sku": "S", "bin": "A01-1", "qty": 2, "batch": "B12",
                           "for_order": "OR1"}),
        ("substitution_made", {"order": "OR1", "line": 1, "from_sku": "S", "to_sku": "T",
                               "qty": 1.0}),
        ("tote_closed", {"order": "OR1", "tote": None}),
    ]  # fmt: skip
    for type_, payload in samples:
        PAYLOADS[type_].model_validate(payload)


# --- 7: nothing a device sends breaks a snapshot or a changes page -------------------------


def changes(server, token, cursor=0):
    return httpx.get(
        f"{server.url}/v1/stores/{STORE}/changes",
        params={"cursor": cursor, "limit": 5000},
        headers={"Authorization": f"Bearer {token}"},
    )


def test_tote_closed_for_an_unknown_order_leaves_the_changes_readable(db, server):
    token = db.add_device(STORE, "dev-a")
    before = db.conn.execute("SELECT COUNT(*) FROM changes").fetchone()[0]
    response = post(server, token, [event("tote_closed", {"order": "OR-NOPE", "tote": "T1"})])
    assert response.status_code == 200
    assert db.conn.execute("SELECT COUNT(*) FROM changes").fetchone()[0] == before
    assert changes(server, token).status_code == 200


def test_a_change_row_whose_order_is_gone_is_skipped(db, server):
    token = db.add_device(STORE, "dev-a")
    with db.transaction() as conn:  # written by an older backend
        conn.execute(
            "INSERT INTO changes (store, kind, key, at) VALUES (?, 'order', 'OR-GONE', 'now')",
            (STORE,),
        )
    db.cancel_order(STORE, "OR52000001")
    response = changes(server, token)
    assert response.status_code == 200, response.text
    ids = [c["order"]["id"] for c in response.json()["changes"] if c["order"]]
    assert "OR-GONE" not in ids and "OR52000001" in ids


@pytest.mark.parametrize("qty", [float("inf"), "inf", 1e308])
def test_no_quantity_a_device_sends_breaks_the_snapshot(db, server, qty):
    token = db.add_device(STORE, "dev-a")
    bin_, sku, _ = stock_row(db)
    pick = {"bin": bin_, "sku": sku, "qty": qty}
    post(server, token, [event("stock_picked", pick, seq=1), event("stock_picked", pick, seq=2)])
    snap = httpx.get(
        f"{server.url}/v1/stores/{STORE}/snapshot",
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert snap.status_code == 200
    Snapshot.model_validate_json(snap.content)  # what every device checks
    assert changes(server, token).status_code == 200


# --- 8: over-picks and picks of another product are refused --------------------------------


def send(db, type_, payload, device="dev-1"):
    ev = WireEvent(
        event_id=str(uuid.uuid4()), device=device, seq=1, type=type_,
        created_at="2026-11-25T10:00:00+05:30", payload=payload,
    )  # fmt: skip
    return db.apply_batch(STORE, EventBatch(device=device, batch_id="b", events=[ev])).results[0]


def line(db, order, line_no=1):
    sku, qty = db.conn.execute(
        "SELECT sku, qty FROM order_lines WHERE store = ? AND order_id = ? AND line_no = ?",
        (STORE, order, line_no),
    ).fetchone()
    bin_ = db.conn.execute("SELECT bin FROM catalog WHERE sku = ?", (sku,)).fetchone()[0]
    return sku, qty, bin_


def picked(db, order, line_no=1):
    return db.conn.execute(
        "SELECT qty_picked FROM order_lines WHERE store = ? AND order_id = ? AND line_no = ?",
        (STORE, order, line_no),
    ).fetchone()[0]


def on_hand(db, bin_, sku):
    return db.conn.execute(
        "SELECT on_hand FROM stock WHERE store = ? AND bin = ? AND sku = ?", (STORE, bin_, sku)
    ).fetchone()[0]


def test_a_line_picked_beyond_its_quantity_is_refused(db):
    order = "OR52000001"
    sku, qty, bin_ = line(db, order)
    before = on_hand(db, bin_, sku)
    pick = {"order": order, "line": 1, "bin": bin_, "sku": sku, "qty": qty}
    assert send(db, "stock_picked", pick).status == "applied"
    again = send(db, "stock_picked", pick)
    assert again.status == "rejected" and f"Line 1 of order {order}" in again.reason
    assert picked(db, order) == qty and on_hand(db, bin_, sku) == before - qty


def add_weighed_order(db, order="OR-KG-1", qty=0.5):
    sku, bin_ = db.conn.execute(
        "SELECT sku, bin FROM catalog WHERE store = ? AND unit = 'kg' ORDER BY sku LIMIT 1",
        (STORE,),
    ).fetchone()
    with db.transaction() as conn:
        conn.execute(
            "INSERT INTO orders (store, id, state) VALUES (?, ?, 'confirmed')", (STORE, order)
        )
        conn.execute(
            "INSERT INTO order_lines (store, order_id, line_no, sku, qty) VALUES (?, ?, 1, ?, ?)",
            (STORE, order, sku, qty),
        )
    return order, sku, bin_


def test_a_weighed_line_takes_its_weight_within_the_tolerance_and_no_more(db):
    order, sku, bin_ = add_weighed_order(db, qty=0.5)  # tolerance: max(10%, 50 g) = 50 g
    pick = {"order": order, "line": 1, "bin": bin_, "sku": sku, "qty": 0.54, "weight_kg": 0.54}
    assert send(db, "stock_picked", pick).status == "applied"
    more = send(db, "stock_picked", {**pick, "qty": 0.02, "weight_kg": 0.02})
    assert more.status == "rejected" and "kg" in more.reason
    assert picked(db, order) == pytest.approx(0.54)


def test_a_pick_of_another_product_is_refused_unless_it_is_the_recorded_substitute(db):
    order = "OR52000002"
    sku, qty, bin_ = line(db, order)
    other, other_bin = db.conn.execute(
        "SELECT sku, bin FROM catalog WHERE store = ? AND sku != ? AND unit = 'each'"
        " ORDER BY sku LIMIT 1",
        (STORE, sku),
    ).fetchone()
    wrong = {"order": order, "line": 1, "bin": other_bin, "sku": other, "qty": 1}
    refused = send(db, "stock_picked", wrong)
    assert refused.status == "rejected" and other in refused.reason and sku in refused.reason
    assert picked(db, order) == 0
    sub = {"order": order, "line": 1, "from_sku": sku, "to_sku": other, "qty": qty}
    assert send(db, "substitution_made", sub).status == "applied"
    assert send(db, "stock_picked", {**wrong, "qty": qty}).status == "applied"
    assert picked(db, order) == qty


# --- 9: a device speaks only as itself -----------------------------------------------------


def test_a_batch_naming_another_device_is_403_with_the_reason(db, server):
    a = db.add_device(STORE, "dev-a")
    db.add_device(STORE, "dev-b")
    response = post(server, a, [event("pick_started", {"task": "T", "orders": ["OR52000001"]},
                                      device="dev-b")], device="dev-b")  # fmt: skip
    assert response.status_code == 403
    assert "dev-a" in response.json()["detail"] and "dev-b" in response.json()["detail"]
    state = db.conn.execute(
        "SELECT state, claimed_by FROM orders WHERE store = ? AND id = 'OR52000001'", (STORE,)
    ).fetchone()
    assert state == ("confirmed", None)


def test_an_event_naming_another_device_is_rejected_and_claims_come_from_the_token(db, server):
    token = db.add_device(STORE, "dev-a")
    start = event("pick_started", {"task": "T", "orders": ["OR52000001"]}, device="dev-a")
    other = event("pick_started", {"task": "T", "orders": ["OR52000002"]}, device="dev-b")
    results = post(server, token, [start, other]).json()["results"]
    assert [r["status"] for r in results] == ["applied", "rejected"]
    assert "dev-b" in results[1]["reason"]
    claims = dict(db.conn.execute(
        "SELECT id, claimed_by FROM orders WHERE store = ? AND id IN ('OR52000001', 'OR52000002')",
        (STORE,),
    ).fetchall())  # fmt: skip
    assert claims == {"OR52000001": "dev-a", "OR52000002": None}


# --- 10: exactly-once per store and device -------------------------------------------------


def test_the_same_event_id_in_two_stores_is_applied_in_each(db):
    ev = WireEvent(
        event_id="same-id", device="dev-a", seq=1, type="stock_returned",
        created_at="2026-11-25T10:00:00+05:30", payload={"bin": "A01-1", "sku": "S", "qty": 1},
    )  # fmt: skip
    batch = EventBatch(device="dev-a", batch_id="b", events=[ev])
    assert db.apply_batch(STORE, batch).results[0].status == "applied"
    assert db.apply_batch(OTHER_STORE, batch).results[0].status == "applied"
    assert db.apply_batch(OTHER_STORE, batch).results[0].status == "duplicate"
    other_device = EventBatch(device="dev-b", batch_id="b", events=[ev.model_copy(
        update={"device": "dev-b"})])  # fmt: skip
    assert db.apply_batch(STORE, other_device).results[0].status == "applied"


def test_an_old_database_keeps_its_events_keyed_by_store_and_device(tmp_path):
    from picker_app.backend.server import MIGRATIONS

    path = tmp_path / "old.db"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute(
        "CREATE TABLE _migrations"
        " (id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL, applied_at TEXT NOT NULL)"
    )
    conn.executescript(MIGRATIONS[0][1])
    conn.execute("INSERT INTO _migrations (name, applied_at) VALUES ('0001_initial', 'then')")
    conn.execute(
        "INSERT INTO events VALUES ('old-1', ?, 'dev-a', 1, 'stock_returned', '{}', 'c', 'r',"
        " 'applied', NULL)",
        (STORE,),
    )
    conn.close()
    db = BackendDB(path)
    assert [r[1] for r in db.conn.execute("PRAGMA table_info(events)") if r[5]] == [
        "store", "device", "event_id",
    ]  # fmt: skip
    ev = WireEvent(
        event_id="old-1", device="dev-a", seq=1, type="stock_returned",
        created_at="2026-11-25T10:00:00+05:30", payload={"bin": "A01-1", "sku": "S", "qty": 1},
    )  # fmt: skip
    batch = EventBatch(device="dev-a", batch_id="b", events=[ev])
    assert db.apply_batch(STORE, batch).results[0].status == "duplicate"
    assert db.apply_batch(OTHER_STORE, batch).results[0].status == "applied"


# --- 11: bounds ----------------------------------------------------------------------------


def test_a_body_over_the_limit_is_413_with_a_reason(db, server):
    token = db.add_device(STORE, "dev-a")
    huge = json.dumps({"device": "dev-a", "batch_id": "b", "events": [
        event("stock_returned", {"bin": "A", "sku": "S", "qty": 1, "pad": "x" * 10_000_000})
    ]})  # fmt: skip
    response = post(server, token, [], content=huge)
    assert response.status_code == 413 and "bytes" in response.json()["detail"]

    def chunks():  # no Content-Length: the body is counted as it arrives
        for n in range(0, len(huge), 65536):
            yield huge[n : n + 65536].encode()

    chunked = httpx.post(
        f"{server.url}/v1/stores/{STORE}/events",
        content=chunks(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        timeout=30,
    )
    assert chunked.status_code == 413 and "bytes" in chunked.json()["detail"]
    assert db.conn.execute("SELECT COUNT(*) FROM events").fetchone()[0] == 0


def test_a_big_payload_is_rejected_not_stored_and_not_echoed(db, server):
    token = db.add_device(STORE, "dev-a")
    big = event("stock_returned", {"bin": "A", "sku": "S", "qty": 1, "note": "x" * 200_000})
    long_type = event("x" * 500_000, {})
    results = post(server, token, [big, long_type, good(db, 3)]).json()["results"]
    assert [r["status"] for r in results] == ["rejected", "rejected", "applied"]
    assert "payload" in results[0]["reason"] and all(len(r["reason"] or "") < 200 for r in results)
    stored = db.conn.execute("SELECT MAX(LENGTH(payload)), COUNT(*) FROM events").fetchone()
    assert stored[0] < 1000 and stored[1] == 1


@pytest.mark.parametrize("cursor", ["-9223372036854775809", "9223372036854775808", "-1"])
def test_a_cursor_out_of_range_is_422_not_500(db, server, cursor):
    token = db.add_device(STORE, "dev-a")
    response = httpx.get(
        f"{server.url}/v1/stores/{STORE}/changes",
        params={"cursor": cursor},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 422 and "cursor" in response.json()["detail"]
    limit = httpx.get(
        f"{server.url}/v1/stores/{STORE}/changes",
        params={"limit": "99999999999999999999"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert limit.status_code == 422 and "limit" in limit.json()["detail"]


def test_a_failed_commit_leaves_no_transaction_open(db):
    db.conn.execute("PRAGMA foreign_keys = ON")
    db.conn.execute("CREATE TEMP TABLE parent (id INTEGER PRIMARY KEY)")
    db.conn.execute(
        "CREATE TEMP TABLE child (parent INTEGER REFERENCES parent (id)"
        " DEFERRABLE INITIALLY DEFERRED)"
    )
    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"), db.transaction() as conn:
        conn.execute("INSERT INTO child VALUES (1)")  # only COMMIT can tell
    assert not db.conn.in_transaction
    with db.transaction() as conn:
        conn.execute("INSERT INTO parent VALUES (1)")
    assert db.conn.execute("SELECT COUNT(*) FROM parent").fetchone()[0] == 1


def test_an_error_that_rolled_back_already_is_not_hidden_by_the_rollback(db):
    db.conn.execute("CREATE TEMP TABLE audit (x)")
    db.conn.execute(
        "CREATE TEMP TRIGGER no_audit BEFORE INSERT ON audit"
        " BEGIN SELECT RAISE(ROLLBACK, 'audit is closed'); END"
    )
    with pytest.raises(sqlite3.IntegrityError, match="audit is closed"), db.transaction() as c:
        c.execute("INSERT INTO audit VALUES (1)")  # SQLite rolls back on its own
    assert not db.conn.in_transaction


def test_a_device_that_goes_away_mid_upload_leaves_no_traceback(rig, caplog):
    """A device killed (or its network lost) halfway through sending a batch: the backend
    applies nothing of it and logs no 'Exception in ASGI application'; the next request is
    served as ever."""
    import logging
    import socket
    import time

    host, port = rig.server.url.removeprefix("http://").split(":")
    before = rig.backend.conn.execute("SELECT COUNT(*) FROM events").fetchone()[0]
    server_log = logging.getLogger("uvicorn.error")  # uvicorn's loggers do not reach the root
    server_log.addHandler(caplog.handler)
    with caplog.at_level(logging.ERROR):
        with socket.create_connection((host, int(port))) as sock:
            sock.sendall(
                f"POST /v1/stores/{STORE}/events HTTP/1.1\r\nHost: x\r\n"
                f"Authorization: Bearer {rig.client.settings.token}\r\n"
                "Content-Type: application/json\r\nContent-Length: 5000\r\n\r\n"
                '{"device": "handheld-1", "batch_id": "b", "events": ['.encode()
            )
            time.sleep(0.3)  # the backend is reading the body when the device goes
        time.sleep(0.5)
        assert rig.client.download_changes() >= 0
    server_log.removeHandler(caplog.handler)
    assert not [r for r in caplog.records if "Exception in ASGI" in r.getMessage()]
    assert rig.backend.conn.execute("SELECT COUNT(*) FROM events").fetchone()[0] == before


def test_an_event_naming_another_stores_order_changes_nothing_of_that_store(rig):
    """A device of one store names an order of another (a guessed or replayed id): whatever
    its own store makes of it, the other store's order, lines and stock are untouched."""
    from picker_app.backend.server import seed_from_fixtures
    from tests.appkit import ROOT

    other = "BLR-IND-02"
    seed_from_fixtures(rig.backend, ROOT / "fixtures", other, open_orders=3)
    conn = rig.backend.conn
    order, line, sku = conn.execute(
        "SELECT order_id, line_no, sku FROM order_lines WHERE store = ? LIMIT 1", (other,)
    ).fetchone()
    bin_ = conn.execute("SELECT bin FROM catalog WHERE store = ? AND sku = ?", (other, sku))
    bin_ = bin_.fetchone()[0]

    def theirs() -> tuple:
        return (
            conn.execute("SELECT state, tote, picked_by FROM orders WHERE store = ? AND id = ?",
                         (other, order)).fetchone(),  # fmt: skip
            conn.execute("SELECT qty_picked, repick FROM order_lines WHERE store = ?"
                         " AND order_id = ? AND line_no = ?", (other, order, line)).fetchall(),
            conn.execute("SELECT on_hand FROM stock WHERE store = ? AND bin = ? AND sku = ?",
                         (other, bin_, sku)).fetchall(),  # fmt: skip
        )

    before = theirs()
    device = rig.store.device
    for n, (type_, payload) in enumerate([
        ("stock_picked", {"order": order, "line": line, "sku": sku, "bin": bin_, "qty": 1}),
        ("tote_closed", {"order": order, "tote": "TT0999"}),
        ("pick_shorted", {"order": order, "line": line, "sku": sku, "qty": 1}),
        ("qc_completed", {"order": order, "result": "pass"}),
    ], start=1):  # fmt: skip
        batch = EventBatch(device=device, batch_id=str(uuid.uuid4()), events=[WireEvent(
            event_id=str(uuid.uuid4()), device=device, seq=900 + n, type=type_, user="U117",
            created_at="2026-11-25T10:00:00+00:00", payload=payload,
        )])  # fmt: skip
        rig.backend.apply_batch(STORE, batch, device)
    assert theirs() == before
