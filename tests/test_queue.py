"""The order queue and the countdown, with a fixed clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from picker_app.domain.queue import (
    LINE_ALLOWANCE,
    ORDER_ALLOWANCE,
    PICK_PACK_BUDGET,
    QueuedOrder,
    clock_text,
    countdown,
    next_orders,
    task_budget,
)

T0 = datetime(2026, 11, 25, 18, 0, 0)


def test_next_orders_by_priority_then_promise_and_only_takeable():
    orders = [
        QueuedOrder("OR3", "confirmed", T0 + timedelta(minutes=9)),
        QueuedOrder("OR1", "confirmed", T0 + timedelta(minutes=7)),
        QueuedOrder("OR2", "picking", T0 + timedelta(minutes=1)),  # someone has it
        QueuedOrder("OR4", "cancelled", T0),
        QueuedOrder("OR5", "placed", None),
        QueuedOrder("OR6", "confirmed", T0 + timedelta(minutes=12), priority=1),
    ]
    assert [o.id for o in next_orders(orders)] == ["OR6"]
    assert [o.id for o in next_orders(orders, batch=4)] == ["OR6", "OR1", "OR3", "OR5"]
    assert next_orders([], batch=3) == [] and next_orders(orders, batch=0) == []


def test_countdown_turns_amber_then_red():
    assert countdown(T0, T0).text == "2:30" and countdown(T0, T0).level == "ok"
    assert countdown(T0, T0 + timedelta(seconds=99)).level == "ok"
    amber = countdown(T0, T0 + timedelta(seconds=101))
    assert amber.level == "amber" and amber.text == "0:49"
    red = countdown(T0, T0 + timedelta(seconds=155))
    assert red.level == "red" and red.text == "-0:05"
    assert countdown(T0, T0 + timedelta(seconds=60), budget=timedelta(minutes=3)).text == "2:00"


def test_promises_in_different_offsets_compare_as_instants():
    from datetime import timezone

    ist = timezone(timedelta(hours=5, minutes=30))
    early = QueuedOrder("ORB", "confirmed", datetime(2026, 11, 25, 23, 0, tzinfo=ist))
    late = QueuedOrder("ORA", "confirmed", datetime(2026, 11, 25, 18, 0, tzinfo=UTC))
    assert [o.id for o in next_orders([late, early], batch=2)] == ["ORB", "ORA"]


def test_the_budget_grows_with_the_orders_and_lines_of_the_task():
    """2:30 for the first order and its first 4 lines, 12 s a line beyond, 45 s an order beyond
    the first: a batch of 4 is not given the budget of one."""
    assert task_budget(1, 1) == task_budget(1, 4) == PICK_PACK_BUDGET
    assert task_budget(1, 6) == PICK_PACK_BUDGET + 2 * LINE_ALLOWANCE
    assert clock_text(task_budget(1, 10).total_seconds()) == "3:42"
    batch = task_budget(4, 20)
    assert batch == PICK_PACK_BUDGET + 3 * ORDER_ALLOWANCE + 16 * LINE_ALLOWANCE
    assert clock_text(batch.total_seconds()) == "7:57"
    # More than one order's budget, less than four taken one by one (one walk, not four).
    assert PICK_PACK_BUDGET < batch < 4 * task_budget(1, 5)
    three_minutes = timedelta(minutes=3)  # the `budget_s` setting is the base
    assert task_budget(1, 4, base=three_minutes) == three_minutes
    two = three_minutes + ORDER_ALLOWANCE + 4 * LINE_ALLOWANCE
    assert task_budget(2, 8, base=three_minutes) == two
    assert countdown(T0, T0, task_budget(4, 20)).text == "7:57"
