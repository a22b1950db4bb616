"""What each event does in the backend (DESIGN.md event table), on a seeded demo store."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime

import pytest

from picker_app.backend.server import (
    DELIVERY_PROMISE,
    SUGGESTIONS,
    _name_words,
)
from picker_app.wire import EventBatch, WireEvent

pytestmark = pytest.mark.both_backends

STORE = "BLR-KOR-01"


def send(db, type_, payload, device="dev-1", seq=[0], user=None, at="2026-11-25T10:00:00+05:30"):  # noqa: B006 - a counter
    seq[0] += 1
    event = WireEvent(
        event_id=str(uuid.uuid4()), device=device, seq=seq[0], type=type_, user=user,
        created_at=at, payload=payload,
    )  # fmt: skip
    result = db.apply_batch(STORE, EventBatch(device=device, batch_id="b", events=[event]))
    return result.results[0], event


def one(db, sql, *args):
    return db.conn.execute(sql, args).fetchone()


def test_out_of_stock_flag_zeroes_the_bin_and_opens_a_count_task(db):
    bin_, sku = one(db, "SELECT bin, sku FROM stock WHERE on_hand > 5 LIMIT 1")
    result, _ = send(db, "out_of_stock_flagged", {"bin": bin_, "sku": sku, "qty_found": 0})
    assert result.status == "applied"
    assert one(db, "SELECT on_hand FROM stock WHERE bin = ? AND sku = ?", bin_, sku)[0] == 0
    task = one(db, "SELECT reason, state FROM count_tasks WHERE bin = ?", bin_)
    assert task == ("oos_flag", "open")


def test_expired_and_damaged_items_are_losses(db):
    bin_, sku, before = one(db, "SELECT bin, sku, on_hand FROM stock WHERE on_hand > 5 LIMIT 1")
    send(db, "stock_expired", {"bin": bin_, "sku": sku, "qty": 2, "batch": "B12"})
    send(db, "stock_damaged", {"bin": bin_, "sku": sku, "qty": 1})
    after = one(db, "SELECT on_hand FROM stock WHERE bin = ? AND sku = ?", bin_, sku)[0]
    assert after == before - 3
    kinds = [r[0] for r in db.conn.execute("SELECT kind FROM losses ORDER BY rowid")]
    assert kinds == ["expired", "damaged"]


def test_count_submitted_then_approved_sets_stock_and_records_the_variance(db):
    bin_, sku, before = one(db, "SELECT bin, sku, on_hand FROM stock WHERE on_hand > 5 LIMIT 1")
    send(db, "out_of_stock_flagged", {"bin": bin_, "sku": sku})
    task = one(db, "SELECT id FROM count_tasks WHERE bin = ?", bin_)[0]
    early, _ = send(db, "count_approved", {"task": task, "lead": "U117"}, user="U117")
    assert early.status == "rejected" and "no submitted count" in early.reason
    assert send(db, "count_submitted", {"task": task, "counted": 7, "counter": "U117"},
                user="U117")[0].status == "applied"  # fmt: skip
    # The flag set the book to 0: a count of 7 is off it, beyond any tolerance: a recount first.
    blocked, _ = send(db, "count_approved", {"task": task, "reason": "miscount"}, user="U117")
    assert blocked.status == "rejected" and f"decide its recount {task}-R" in blocked.reason
    recount = f"{task}-R"
    assert send(db, "count_submitted", {"task": recount, "counted": 7, "counter": "U118"},
                user="U118")[0].status == "applied"  # fmt: skip
    approve = {"task": recount, "lead": "U117", "reason": "picked_not_recorded"}
    assert send(db, "count_approved", approve, user="U117")[0].status == "applied"
    assert one(db, "SELECT on_hand FROM stock WHERE bin = ? AND sku = ?", bin_, sku)[0] == 7
    assert one(db, "SELECT expected, counted FROM variances WHERE task_id = ?", recount) == (0, 7)
    unknown, _ = send(db, "count_submitted", {"task": "CT-nope", "counted": 1})
    assert unknown.status == "rejected" and "not known" in unknown.reason


def send_as(db, type_, payload, device, user):
    return send(db, type_, payload, device, user=user)[0]


def test_order_goes_through_qc_and_dispatch(db):
    order = "OR52000001"
    send(db, "pick_started", {"task": "T", "orders": [order]})
    early = send_as(db, "qc_completed", {"order": order, "result": "pass"}, "packing-1", "U113")
    assert early.status == "rejected"  # another device holds it while it is picked
    send(db, "tote_closed", {"order": order, "tote": "TT000001"})
    assert one(db, "SELECT state, tote, claimed_by FROM orders WHERE id = ?", order) == (
        "picked", "TT000001", None,
    )  # waiting at packing, in its tote, no longer the picker's device's
    fail = {"order": order, "result": "fail",
            "discrepancies": [{"line": 1, "kind": "missing", "sku": "S", "qty": 1}]}  # fmt: skip
    assert send_as(db, "qc_completed", fail, "packing-1", "U113").status == "applied"
    assert one(db, "SELECT state FROM orders WHERE id = ?", order)[0] == "picked"  # waits
    bags = ["BG5200000101", "BG5200000102"]
    ok = {"order": order, "result": "pass", "packer": "U113", "bag_ids": bags}
    assert send_as(db, "qc_completed", ok, "packing-1", "U113").status == "applied"
    assert one(db, "SELECT state, tote FROM orders WHERE id = ?", order) == ("packed", None)
    results = db.conn.execute(
        "SELECT result, packer, discrepancies FROM qc_results WHERE order_id = ? ORDER BY rowid",
        (order,),
    ).fetchall()
    assert [r[0] for r in results] == ["fail", "pass"] and results[1][1] == "U113"
    assert '"kind": "missing"' in results[0][2]
    again = send_as(db, "qc_completed", ok, "packing-1", "U113")
    assert again.status == "rejected" and "packed, not picked" in again.reason
    short = send_as(
        db, "order_dispatched", {"order": order, "rider": "U119", "bag_ids": bags[:1]},
        "packing-1", "U113",
    )  # fmt: skip
    assert short.status == "rejected" and "BG5200000102 was not scanned" in short.reason
    wrong = send_as(
        db, "order_dispatched", {"order": order, "rider": "U119", "bag_ids": [*bags, "BG1"]},
        "packing-1", "U113",
    )  # fmt: skip
    assert wrong.status == "rejected" and "BG1 is not a bag of order" in wrong.reason
    done = send_as(
        db, "order_dispatched", {"order": order, "rider": "U119", "bag_ids": bags},
        "packing-1", "U113",
    )  # fmt: skip
    assert done.status == "applied"
    assert one(db, "SELECT state FROM orders WHERE id = ?", order)[0] == "dispatched"
    assert one(db, "SELECT rider, bags FROM dispatches WHERE order_id = ?", order) == (
        "U119", '["BG5200000101", "BG5200000102"]',
    )
    assert not db.cancel_order(STORE, order)  # too late to cancel


def test_dispatch_and_qc_are_refused_for_an_order_not_ready(db):
    order = "OR52000002"
    qc = send(db, "qc_completed", {"order": order, "result": "pass"})[0]
    assert qc.status == "rejected" and "is confirmed, not picked" in qc.reason
    out = send(db, "order_dispatched", {"order": order, "rider": "U119"})[0]
    assert out.status == "rejected" and "is confirmed, not packed" in out.reason


def test_a_line_sent_back_to_picking_counts_as_not_picked(db):
    order = "OR52000003"
    line = one(db, "SELECT line_no, sku, qty FROM order_lines WHERE order_id = ?", order)
    bin_ = one(db, "SELECT bin FROM catalog WHERE sku = ?", line[1])[0]
    send(db, "pick_started", {"task": "T3", "orders": [order]})
    pick = {"order": order, "line": line[0], "sku": line[1], "bin": bin_, "qty": line[2]}
    send(db, "stock_picked", pick)
    send(db, "tote_closed", {"order": order, "tote": "TT000003"})
    back = {"order": order, "line": line[0], "sku": line[1], "qty": line[2], "why": "missing"}
    assert send(db, "line_repick_requested", back, "packing-1")[0].status == "applied"
    picked = one(db, "SELECT qty_picked FROM order_lines WHERE order_id = ? AND line_no = ?",
                 order, line[0])[0]  # fmt: skip
    assert picked == 0  # picked again, it is not "too many"


def test_label_printed_is_kept(db):
    order = "OR52000004"
    label = {"order": order, "bag": 1, "bags": 2, "bag_id": "BG5200000401", "reprint": True}
    assert send(db, "label_printed", label)[0].status == "applied"
    assert one(db, "SELECT bag, n, m, reprint FROM labels") == ("BG5200000401", 1, 2, 1)


def test_seeded_orders_carry_their_customers_area_and_substitution_preference(db):
    rows = db.conn.execute("SELECT area, substitutes FROM orders").fetchall()
    assert rows and all(area for area, _ in rows)
    assert {s for _, s in rows} <= {"allow", "refuse"}


def test_substitution_is_recorded_for_the_customer(db):
    send(db, "substitution_made",
         {"order": "OR52000002", "line": 1, "from_sku": "SKU-000001", "to_sku": "SKU-000003",
          "qty": 1})  # fmt: skip
    row = one(db, "SELECT order_id, from_sku, to_sku FROM substitutions")
    assert row == ("OR52000002", "SKU-000001", "SKU-000003")


def test_a_rejected_event_resent_is_rejected_again_never_applied_later(db):
    db.cancel_order(STORE, "OR52000003")
    first, event = send(db, "pick_started", {"task": "T", "orders": ["OR52000003"]})
    batch = EventBatch(device="dev-1", batch_id="again", events=[event])
    again = db.apply_batch(STORE, batch).results[0]
    assert first.status == again.status == "rejected" and first.reason == again.reason


def test_new_orders_arrive_as_changes(db):
    before = one(db, "SELECT MAX(seq) FROM changes")[0]
    assert db.add_orders(STORE, 4, random.Random(3)) == 4
    page = db.changes(STORE, before, 100)
    assert page is not None and [c.order.id for c in page.changes] == [
        f"OR{52000006 + n}" for n in range(4)
    ]
    assert all(c.order.state == "confirmed" and c.order.lines for c in page.changes)


def test_order_history_was_loaded(db):
    assert one(db, "SELECT COUNT(*) FROM order_history")[0] == 97327


def test_a_count_far_from_the_stock_opens_a_recount(db):
    bin_, sku, before = one(db, "SELECT bin, sku, on_hand FROM stock WHERE on_hand > 50 LIMIT 1")
    send(db, "out_of_stock_flagged", {"bin": bin_, "sku": sku})  # stock now 0, task opened
    task = one(db, "SELECT id FROM count_tasks WHERE bin = ?", bin_)[0]
    send(db, "count_submitted", {"task": task, "counted": 40, "counter": "U117"}, user="U117")
    recount = one(db, "SELECT id, reason, recount_of FROM count_tasks WHERE recount_of = ?", task)
    assert recount == (f"{task}-R", "variance", task)
    send(db, "count_submitted", {"task": f"{task}-R", "counted": 41, "counter": "U118"},
         user="U118")  # fmt: skip
    assert one(db, "SELECT COUNT(*) FROM count_tasks WHERE recount_of = ?", f"{task}-R")[0] == 0


def test_a_count_close_to_the_stock_needs_no_recount(db):
    bin_, sku = one(db, "SELECT bin, sku FROM stock WHERE on_hand > 5 LIMIT 1")
    send(db, "out_of_stock_flagged", {"bin": bin_, "sku": sku})
    task = one(db, "SELECT id FROM count_tasks WHERE bin = ?", bin_)[0]
    send(db, "count_submitted", {"task": task, "counted": 1})
    assert one(db, "SELECT COUNT(*) FROM count_tasks WHERE recount_of = ?", task)[0] == 0


def test_picks_and_shorts_are_counted_on_the_order_line(db):
    order, sku, qty = one(
        db,
        "SELECT order_id, sku, qty FROM order_lines WHERE order_id = 'OR52000004' AND line_no = 1",
    )
    bin_ = one(db, "SELECT bin FROM catalog WHERE sku = ?", sku)[0]
    send(db, "stock_picked", {"order": order, "line": 1, "bin": bin_, "sku": sku, "qty": 1})
    send(db, "pick_shorted", {"order": order, "line": 1, "sku": sku, "qty": 1})
    assert one(
        db,
        "SELECT qty_picked, qty_short FROM order_lines WHERE order_id = ? AND line_no = 1",
        order,
    ) == (1, 1)


def line_of(db, order):
    sku, qty = one(db, "SELECT sku, qty FROM order_lines WHERE order_id = ? AND line_no = 1", order)
    return sku, qty, one(db, "SELECT bin FROM catalog WHERE sku = ?", sku)[0]


def on_hand(db, bin_, sku):
    return one(db, "SELECT on_hand FROM stock WHERE bin = ? AND sku = ?", bin_, sku)[0]


def picked(db, order):
    sql = "SELECT qty_picked FROM order_lines WHERE order_id = ? AND line_no = 1"
    return one(db, sql, order)[0]


def test_items_of_a_cancelled_order_go_back_as_far_as_they_were_picked(db):
    order = "OR52000005"
    sku, _, bin_ = line_of(db, order)
    before = on_hand(db, bin_, sku)
    send(db, "pick_started", {"task": "T", "orders": [order]})
    pick = {"order": order, "line": 1, "bin": bin_, "sku": sku, "qty": 1}
    assert send(db, "stock_picked", pick)[0].status == "applied"
    assert on_hand(db, bin_, sku) == before - 1 and picked(db, order) == 1
    assert db.cancel_order(STORE, order)
    cursor = one(db, "SELECT MAX(seq) FROM changes")[0]
    # The device holds 3 (two picks never reached the backend): only the 1 applied goes back.
    back = {"order": order, "line": 1, "bin": bin_, "sku": sku, "qty": 3, "why": "order cancelled"}
    assert send(db, "stock_returned", back)[0].status == "applied"
    assert on_hand(db, bin_, sku) == before and picked(db, order) == 0
    page = db.changes(STORE, cursor, 10)
    assert page is not None and [
        (c.stock.bin, c.stock.sku, c.stock.on_hand) for c in page.changes
    ] == [(bin_, sku, before)]
    # Still refused when another device holds the order.
    other, _ = send(db, "stock_returned", back, device="dev-2")
    assert other.status == "rejected" and "another device" in other.reason


def test_a_return_after_refused_picks_puts_nothing_back(db):
    order = "OR52000003"
    sku, _, bin_ = line_of(db, order)
    before = on_hand(db, bin_, sku)
    assert db.cancel_order(STORE, order)  # cancelled before the picks arrive
    pick = {"order": order, "line": 1, "bin": bin_, "sku": sku, "qty": 1}
    assert send(db, "stock_picked", pick)[0].status == "rejected"
    back = {"order": order, "line": 1, "bin": bin_, "sku": sku, "qty": 1, "why": "order cancelled"}
    assert send(db, "stock_returned", back)[0].status == "applied"
    assert on_hand(db, bin_, sku) == before and picked(db, order) == 0


def test_a_return_without_an_order_line_adds_its_quantity(db):
    bin_, sku, before = one(db, "SELECT bin, sku, on_hand FROM stock WHERE on_hand > 5 LIMIT 1")
    back = {"bin": bin_, "sku": sku, "qty": 2, "why": "found on the floor"}
    assert send(db, "stock_returned", back)[0].status == "applied"
    assert on_hand(db, bin_, sku) == before + 2


def test_new_orders_are_promised_ten_minutes_after_they_are_placed(db):
    start = datetime.now(UTC).replace(microsecond=0)  # promises are kept to the millisecond
    db.add_orders(STORE, 2, random.Random(5))
    end = datetime.now(UTC)
    rows = db.conn.execute("SELECT promised_at FROM orders ORDER BY id DESC LIMIT 2").fetchall()
    for (promised,) in rows:
        assert promised.endswith("+00:00") and len(promised) == len("2026-11-25T10:00:00.000+00:00")
        assert (
            start + DELIVERY_PROMISE <= datetime.fromisoformat(promised) <= end + DELIVERY_PROMISE
        )


def test_seeded_orders_fall_due_one_after_another_over_the_next_minutes(db):
    promises = [
        datetime.fromisoformat(r[0])
        for r in db.conn.execute("SELECT promised_at FROM orders ORDER BY id")
    ]
    assert len(promises) == 5 and promises == sorted(promises) and len(set(promises)) == 5
    assert promises[-1] - promises[0] < DELIVERY_PROMISE
    assert promises[-1] <= datetime.now(UTC) + DELIVERY_PROMISE


def expected_suggestions(db):
    """The backend's ranking as this file specifies it, from the current stock: same category
    and unit, enough stock for the line, most alike by name, nearest pack size, best sellers.
    Returns `expected(sku, qty)`."""
    catalog = {
        sku: (category, unit, demand, _name_words(name), weight or 0)
        for sku, category, unit, demand, name, weight in db.conn.execute(
            "SELECT sku, category, unit, demand, name, weight_g FROM catalog WHERE store = ?",
            (STORE,),
        )
    }
    stock: dict[str, float] = {}
    for sku, on_hand in db.conn.execute(
        "SELECT sku, on_hand FROM stock WHERE store = ?", (STORE,)
    ):
        stock[sku] = stock.get(sku, 0.0) + on_hand

    def expected(sku, qty):
        if sku not in catalog:
            return []
        category, unit, _, words, weight = catalog[sku]
        return sorted(
            (other for other, (c, u, *_) in catalog.items()
             if c == category and u == unit and other != sku and stock.get(other, 0) >= qty),
            key=lambda other: (
                -len(words & catalog[other][3]), abs(catalog[other][4] - weight),
                -catalog[other][2], other,
            ),
        )[:SUGGESTIONS]  # fmt: skip

    return expected



def test_each_order_line_comes_with_the_backends_substitutes(db):
    """Same category and unit, enough stock; the most alike by name first, then best sellers;
    never the SKU itself."""
    from picker_app.backend.server import snapshot

    snap = snapshot(db, STORE)
    expected = expected_suggestions(db)
    lines = [ln for o in snap.orders for ln in o.lines]
    assert sum(1 for ln in lines if ln.suggestions) > len(lines) / 2
    for ln in lines[:200]:
        assert ln.suggestions == expected(ln.sku, ln.qty)


def test_a_products_name_words_leave_out_brand_and_pack_size():
    from picker_app.backend.server import _name_words

    sugar = _name_words("Trust Classic Sulphurless Sugar 1 kg")
    assert sugar == {"classic", "sulphurless", "sugar"}
    assert _name_words("Nandini Toned Milk 500 ml") == {"toned", "milk"}
