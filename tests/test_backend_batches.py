"""How the backend applies a batch (backend/batches.py, SqliteEventWrites): in one go, with the
answers already given read at once and the events and changes written together at the end; and,
when one event's writes fail in the database, again event by event, so that that one alone is
refused and the others are applied once, as if it had been so from the start."""

from __future__ import annotations

import uuid

import pytest

from picker_app.wire import EventBatch, WireEvent
from tests.backends import refuse_stock_move

pytestmark = pytest.mark.both_backends

STORE = "BLR-KOR-01"


def event(seq: int, type_: str, payload: dict, event_id: str | None = None) -> WireEvent:
    return WireEvent(
        event_id=event_id or str(uuid.uuid4()), device="dev-1", seq=seq, type=type_,
        user="U101", created_at="2026-11-25T10:00:00+05:30", payload=payload,
    )  # fmt: skip


def apply(db, events: list[WireEvent], batch_id: str = "b1"):
    return db.apply_batch(STORE, EventBatch(device="dev-1", batch_id=batch_id, events=events))


def stocked(db) -> tuple[str, str, float]:
    return db.conn.execute(
        "SELECT bin, sku, on_hand FROM stock WHERE store = ? AND on_hand > 40 LIMIT 1", (STORE,)
    ).fetchone()


def changes_after(db, seq: int) -> list[tuple[str, str]]:
    return db.conn.execute(
        "SELECT kind, key FROM changes WHERE store = ? AND seq > ? ORDER BY seq", (STORE, seq)
    ).fetchall()


def last_change(db) -> int:
    return db.conn.execute("SELECT COALESCE(MAX(seq), 0) FROM changes").fetchone()[0]


def test_twenty_picks_of_one_bin_are_twenty_moves_and_one_change(db):
    bin_, sku, before = stocked(db)
    mark = last_change(db)
    picks = [event(i, "stock_picked", {"bin": bin_, "sku": sku, "qty": 1}) for i in range(1, 21)]
    result = apply(db, picks)
    assert [r.status for r in result.results] == ["applied"] * 20
    assert db.conn.execute(
        "SELECT on_hand FROM stock WHERE bin = ? AND sku = ?", (bin_, sku)
    ).fetchone()[0] == before - 20  # fmt: skip
    moves = db.conn.execute(
        "SELECT COUNT(*) FROM stock_moves WHERE bin = ? AND sku = ?", (bin_, sku)
    ).fetchone()[0]
    assert moves == 20
    assert changes_after(db, mark).count(("stock", f"{bin_}|{sku}")) == 1
    stored = db.conn.execute("SELECT seq, status FROM events ORDER BY seq").fetchall()
    assert stored == [(i, "applied") for i in range(1, 21)]


def test_an_event_twice_in_one_batch_is_applied_once(db):
    bin_, sku, before = stocked(db)
    pick = event(1, "stock_picked", {"bin": bin_, "sku": sku, "qty": 2})
    result = apply(db, [pick, pick])
    assert [r.status for r in result.results] == ["applied", "duplicate"]
    assert db.conn.execute(
        "SELECT on_hand FROM stock WHERE bin = ? AND sku = ?", (bin_, sku)
    ).fetchone()[0] == before - 2  # fmt: skip
    again = apply(db, [pick], batch_id="b2")
    assert [r.status for r in again.results] == ["duplicate"]


def test_an_event_the_database_refuses_is_refused_alone_and_the_rest_applied_once(db):
    """A pick whose stock move the database refuses (a trigger stands in for any constraint
    an event's data can break): the batch is applied again event by event; the refused pick
    leaves no move, no stock change and no sale, the others are each applied once."""
    bin_, sku, before = stocked(db)
    poison = str(uuid.uuid4())
    refuse_stock_move(db, poison)
    sold_before = db.conn.execute("SELECT COALESCE(SUM(qty), 0) FROM sales_by_day").fetchone()[0]
    mark = last_change(db)
    events = [event(i, "stock_picked", {"bin": bin_, "sku": sku, "qty": 1}) for i in range(1, 6)]
    events[2] = event(3, "stock_picked", {"bin": bin_, "sku": sku, "qty": 1}, event_id=poison)
    result = apply(db, events)
    statuses = [r.status for r in result.results]
    assert statuses == ["applied", "applied", "rejected", "applied", "applied"]
    assert result.results[2].reason == "the backend could not apply this event (IntegrityError)"
    assert db.conn.execute(
        "SELECT on_hand FROM stock WHERE bin = ? AND sku = ?", (bin_, sku)
    ).fetchone()[0] == before - 4  # fmt: skip
    moved = db.conn.execute("SELECT event_id FROM stock_moves ORDER BY rowid").fetchall()
    assert [m[0] for m in moved] == [e.event_id for e in events if e.event_id != poison]
    sold = db.conn.execute("SELECT COALESCE(SUM(qty), 0) FROM sales_by_day").fetchone()[0]
    assert sold == sold_before + 4
    stored = db.conn.execute("SELECT seq, status FROM events ORDER BY seq").fetchall()
    assert stored == [(1, "applied"), (2, "applied"), (3, "rejected"), (4, "applied"),
                      (5, "applied")]  # fmt: skip
    assert ("stock", f"{bin_}|{sku}") in changes_after(db, mark)
    # Resent, the batch gets the same answers and changes nothing.
    again = apply(db, events, batch_id="b2")
    assert [r.status for r in again.results] == [
        "duplicate", "duplicate", "rejected", "duplicate", "duplicate"
    ]  # fmt: skip
    assert db.conn.execute("SELECT COUNT(*) FROM stock_moves").fetchone()[0] == 4


def test_a_replenishment_task_is_opened_once_when_a_batch_empties_a_pick_face(db):
    """The sales a batch's own picks add are counted in the pick face's minimum as they are
    applied (the batch's reads of its own writes), and one task is opened, not one a pick."""
    bin_, sku, before = stocked(db)
    picks = [
        event(i, "stock_picked", {"bin": bin_, "sku": sku, "qty": 1})
        for i in range(1, int(before) + 1)
    ]
    apply(db, picks)
    tasks = db.conn.execute(
        "SELECT COUNT(*) FROM replenish_tasks WHERE bin = ? AND sku = ? AND state = 'open'",
        (bin_, sku),
    ).fetchone()[0]
    assert tasks == 1


def test_a_bin_changed_by_two_batches_is_one_change_of_a_page_with_its_stock_now(db):
    bin_, sku, before = stocked(db)
    mark = last_change(db)
    apply(db, [event(1, "stock_picked", {"bin": bin_, "sku": sku, "qty": 1})])
    apply(db, [event(2, "stock_picked", {"bin": bin_, "sku": sku, "qty": 2})], batch_id="b2")
    assert changes_after(db, mark).count(("stock", f"{bin_}|{sku}")) == 2  # one a batch
    page = db.changes(STORE, mark, 500)
    stock = [c.stock for c in page.changes if c.stock is not None]
    assert [(s.bin, s.sku, s.on_hand) for s in stock] == [(bin_, sku, before - 3)]
    assert page.next_cursor == last_change(db)


def test_an_order_changed_by_two_batches_is_one_change_of_a_page_in_its_state_now(db):
    order = db.conn.execute(
        "SELECT id FROM orders WHERE store = ? AND state = 'confirmed' LIMIT 1", (STORE,)
    ).fetchone()[0]
    mark = last_change(db)
    apply(db, [event(1, "pick_started", {"task": "T1", "orders": [order]})])
    apply(db, [event(2, "tote_closed", {"order": order, "tote": "TT000001"})], batch_id="b2")
    assert changes_after(db, mark).count(("order", order)) == 2  # one a batch
    page = db.changes(STORE, mark, 500)
    sent = [c.order for c in page.changes if c.order is not None and c.order.id == order]
    assert [(o.state, o.tote) for o in sent] == [("picked", "TT000001")]
    assert page.next_cursor == last_change(db)


@pytest.mark.sqlite_only
def test_every_lookup_the_effects_make_uses_an_index(db):
    """The statements the effects run, traced through the QC and dispatch of an order, picks
    and shorts of order lines, a substitution, a count and its approval: none reads a whole
    table (SQLite's plan says SCAN), so an event costs the same in a year's database.
    (SQLite only: PostgreSQL's tables have the same indexes, test_pg_schema.py.)"""
    from tests import test_backend_effects as flows

    statements: set[str] = set()
    db.conn.set_trace_callback(statements.add)
    flows.test_order_goes_through_qc_and_dispatch(db)
    flows.test_picks_and_shorts_are_counted_on_the_order_line(db)
    flows.test_substitution_is_recorded_for_the_customer(db)
    flows.test_count_submitted_then_approved_sets_stock_and_records_the_variance(db)
    db.conn.set_trace_callback(None)
    scans = {}
    for sql in statements:
        if not sql.lstrip().upper().startswith(("SELECT", "UPDATE", "DELETE", "INSERT")):
            continue
        if "store = '" not in sql:
            continue  # the flows' own checks (the backend's statements name their store)
        plan = db.conn.execute(f"EXPLAIN QUERY PLAN {sql}").fetchall()
        full = [step[3] for step in plan if step[3].startswith("SCAN")]
        if full:
            scans[" ".join(sql.split())[:160]] = full
    assert len(statements) > 40  # the flows ran and were traced
    assert scans == {}
