"""Cycle counts at the backend (issue 14): velocity classes and their tolerances; two counters
of one bin add up; a count off the book beyond its class's tolerance needs a recount by someone
else (the same person refused); only a lead approves or rejects, with a reason code; the stock
changes only when a count is approved."""

from __future__ import annotations

import pytest

from picker_app.domain.counting import REASONS, Tolerance, velocity_classes
from tests.test_backend_effects import one, send


def test_velocity_classes_by_pick_lines():
    picks = {f"S{i:02d}": 100 - i for i in range(10)}
    classes = velocity_classes(picks)
    assert [classes[f"S{i:02d}"] for i in range(10)] == list("AABBBCCCCC")


@pytest.mark.parametrize(
    ("counted", "book", "cls", "ok"),
    [(99, 100, "A", True), (98, 100, "A", False), (97, 100, "B", True), (96, 100, "B", False),
     (95, 100, "C", True), (94, 100, "C", False), (4, 5, "A", True), (3, 5, "A", False)],
)  # fmt: skip
def test_tolerance_by_class_with_a_floor_of_one_unit(counted, book, cls, ok):
    assert Tolerance().within(counted, book, cls) is ok


def flagged_bin(db, stock: float) -> tuple[str, str, str]:
    """A bin whose stock is set to `stock`, with a count task for it."""
    bin_, sku = one(db, "SELECT bin, sku FROM stock WHERE on_hand > 0 LIMIT 1")
    send(db, "out_of_stock_flagged", {"bin": bin_, "sku": sku})  # opens a count task
    db.conn.execute("UPDATE stock SET on_hand = ? WHERE bin = ? AND sku = ?", (stock, bin_, sku))
    task = one(db, "SELECT id FROM count_tasks WHERE bin = ?", bin_)[0]
    return bin_, sku, task


def test_two_counters_add_up_and_a_close_count_is_approved_with_a_reason(db):
    bin_, sku, task = flagged_bin(db, 20)
    first = {"task": task, "counted": 12, "counter": "U101", "done": False}
    assert send(db, "count_submitted", first, user="U101")[0].status == "applied"
    assert one(db, "SELECT state FROM count_tasks WHERE id = ?", task)[0] == "open"  # more come
    second = {"task": task, "counted": 8, "counter": "U102"}
    assert send(db, "count_submitted", second, user="U102")[0].status == "applied"
    assert one(db, "SELECT state, counted FROM count_tasks WHERE id = ?", task) == ("submitted", 20)
    assert one(db, "SELECT COUNT(*) FROM count_tasks WHERE recount_of = ?", task)[0] == 0
    approve = {"task": task, "lead": "U117"}
    assert send(db, "count_approved", approve, user="U117")[0].status == "applied"
    assert one(db, "SELECT on_hand FROM stock WHERE bin = ? AND sku = ?", bin_, sku)[0] == 20


def test_off_the_book_needs_a_recount_by_someone_else_then_a_leads_approval(db):
    bin_, sku, task = flagged_bin(db, 50)
    assert send(db, "count_submitted", {"task": task, "counted": 30, "counter": "U101"},
                user="U101")[0].status == "applied"  # fmt: skip
    recount = f"{task}-R"
    assert one(db, "SELECT recount_of FROM count_tasks WHERE id = ?", recount)[0] == task
    same, _ = send(db, "count_submitted", {"task": recount, "counted": 30, "counter": "U101"},
                   user="U101")  # fmt: skip
    assert same.status == "rejected" and "must be done by someone else" in same.reason
    assert send(db, "count_submitted", {"task": recount, "counted": 31, "counter": "U103"},
                user="U103")[0].status == "applied"  # fmt: skip
    assert one(db, "SELECT on_hand FROM stock WHERE bin = ? AND sku = ?", bin_, sku)[0] == 50
    picker, _ = send(db, "count_approved", {"task": recount, "reason": "theft"}, user="U101")
    assert picker.status == "rejected" and "only a store lead may approve" in picker.reason
    assert "U101 is a picker" in picker.reason
    no_reason, _ = send(db, "count_approved", {"task": recount}, user="U117")
    assert no_reason.status == "rejected" and "needs a reason" in no_reason.reason
    bad, _ = send(db, "count_approved", {"task": recount, "reason": "gremlins"}, user="U117")
    assert bad.status == "rejected" and "not one of" in bad.reason
    assert "theft" in REASONS
    ok, _ = send(db, "count_approved", {"task": recount, "reason": "theft"}, user="U117")
    assert ok.status == "applied"
    assert one(db, "SELECT on_hand FROM stock WHERE bin = ? AND sku = ?", bin_, sku)[0] == 31
    assert one(db, "SELECT state, decided_why FROM count_tasks WHERE id = ?", recount) == (
        "approved", "theft",
    )
    again, _ = send(db, "count_submitted", {"task": recount, "counted": 1}, user="U103")
    assert again.status == "rejected" and "approved already" in again.reason


def test_a_rejected_count_leaves_the_stock(db):
    bin_, sku, task = flagged_bin(db, 10)
    send(db, "count_submitted", {"task": task, "counted": 10, "counter": "U101"}, user="U101")
    assert send(db, "count_rejected", {"task": task, "reason": "miscount"},
                user="U118")[0].status == "applied"  # fmt: skip
    assert one(db, "SELECT on_hand FROM stock WHERE bin = ? AND sku = ?", bin_, sku)[0] == 10
    assert one(db, "SELECT state FROM count_tasks WHERE id = ?", task)[0] == "rejected"
