"""What each event does in the backend (DESIGN.md, events device -> backend): one handler per
event type, in one table (HANDLERS). A handler gets the event's validated payload and returns why
the event is refused (a sentence the device can show), or None once its effect is applied, inside
the batch's transaction.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from picker_app.backend.intake import clip
from picker_app.domain.events import (
    EVENT_TYPES,
    CountSubmitted,
    EventPayload,
    OrderDispatched,
    OutOfStockFlagged,
    PickShorted,
    PickStarted,
    QcCompleted,
    StockPicked,
    StockReturned,
    SubstitutionMade,
    ToteClosed,
    _CountDecision,
    _WriteOff,
)
from picker_app.domain.picking import pick_allowance

if TYPE_CHECKING:
    from picker_app.backend.server import BackendDB


_EPSILON = 1e-9  # float sums of picks (0.1 + 0.2)

# A count further than this from the expected stock opens a recount task.
RECOUNT_UNITS = 2
RECOUNT_SHARE = 0.10


@dataclass(frozen=True)
class Effect:
    """One event being applied: where, by which device (the token's), and when."""

    db: BackendDB
    store: str
    device: str
    event_id: str
    received_at: str

    @property
    def conn(self) -> sqlite3.Connection:
        return self.db.conn

    def one(self, sql: str, *args: object) -> Any:
        return self.conn.execute(sql, args).fetchone()

    def known_order(self, order_id: str) -> bool:
        return self.one("SELECT 1 FROM orders WHERE store = ? AND id = ?", self.store, order_id)

    def no_line(self, order_id: str, line_no: int) -> str | None:
        """Why a known order's line cannot be named (it has no such line), or None."""
        if not self.known_order(order_id) or self.one(
            "SELECT 1 FROM order_lines WHERE store = ? AND order_id = ? AND line_no = ?",
            self.store, order_id, line_no,
        ):  # fmt: skip
            return None
        return f"Order {order_id} has no line {line_no}."

    def add_stock(self, bin_: str, sku: str, delta: float) -> None:
        self.conn.execute(
            "INSERT INTO stock (store, bin, sku, on_hand) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (store, bin, sku) DO UPDATE SET on_hand = on_hand + excluded.on_hand",
            (self.store, bin_, sku, delta),
        )
        self.db._change(self.store, "stock", f"{bin_}|{sku}")

    def set_stock(self, bin_: str, sku: str, on_hand: float) -> None:
        self.conn.execute(
            "INSERT INTO stock (store, bin, sku, on_hand) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (store, bin, sku) DO UPDATE SET on_hand = excluded.on_hand",
            (self.store, bin_, sku, on_hand),
        )
        self.db._change(self.store, "stock", f"{bin_}|{sku}")

    def on_hand(self, bin_: str, sku: str) -> float | None:
        row = self.one(
            "SELECT on_hand FROM stock WHERE store = ? AND bin = ? AND sku = ?",
            self.store, bin_, sku,
        )  # fmt: skip
        return row[0] if row else None

    def set_order(self, order_id: str, state: str, claimed_by: str | None = None) -> None:
        self.db._set_order(self.store, order_id, state, claimed_by=claimed_by)


Handler = Callable[[Effect, Any], "str | None"]


def pick_started(fx: Effect, p: PickStarted) -> str | None:
    for order_id in p.orders:
        fx.set_order(order_id, "picking", claimed_by=fx.device)
    return None


def _pick_refusal(fx: Effect, p: StockPicked, order_id: str, line_no: int) -> str | None:
    """Why a pick for a line of a known order is refused: no such line, another product than
    the line's or its recorded substitute, or more than the line still needs."""
    row = fx.one(
        "SELECT l.sku, l.qty, l.qty_picked, c.unit FROM order_lines l LEFT JOIN catalog c"
        " ON c.store = l.store AND c.sku = l.sku"
        " WHERE l.store = ? AND l.order_id = ? AND l.line_no = ?",
        fx.store, order_id, line_no,
    )  # fmt: skip
    if row is None:
        return f"Order {order_id} has no line {line_no}: this pick cannot be counted."
    sku, ordered, done, unit = row
    substitutes = [
        r[0]
        for r in fx.conn.execute(
            "SELECT to_sku FROM substitutions WHERE store = ? AND order_id = ? AND line_no = ?"
            " ORDER BY rowid",
            (fx.store, order_id, line_no),
        )
    ]
    if p.sku != sku and p.sku not in substitutes:
        wanted = sku + (f" or its substitute {substitutes[-1]}" if substitutes else "")
        return (
            f"{clip(p.sku)} is not what line {line_no} of order {order_id} asks for ({wanted}):"
            " put it back."
        )
    if unit == "kg":
        allowed = pick_allowance(ordered, unit)
        if done + p.qty > ordered + allowed + _EPSILON:
            return (
                f"Line {line_no} of order {order_id} is {ordered:g} kg and {done:g} kg is picked:"
                f" {p.qty:g} kg more is beyond the {allowed * 1000:.0f} g allowed over;"
                " put it back."
            )
    elif done + p.qty > ordered + _EPSILON:
        return (
            f"Line {line_no} of order {order_id} needs {ordered:g} and {done:g} are picked:"
            f" {p.qty:g} more is too many; put the extra back."
        )
    return None


def stock_picked(fx: Effect, p: StockPicked) -> str | None:
    if p.order is not None and fx.known_order(p.order):
        if p.line is None:
            return f"A pick for order {p.order} needs its line number."
        why = _pick_refusal(fx, p, p.order, p.line)
        if why:
            return why
        fx.conn.execute(
            "UPDATE order_lines SET qty_picked = qty_picked + ?"
            " WHERE store = ? AND order_id = ? AND line_no = ?",
            (p.qty, fx.store, p.order, p.line),
        )
    fx.add_stock(p.bin, p.sku, -p.qty)
    return None


def stock_returned(fx: Effect, p: StockReturned) -> str | None:
    qty = p.qty
    if p.order is not None and p.line is not None:
        picked = fx.one(
            "SELECT qty_picked FROM order_lines WHERE store = ? AND order_id = ? AND line_no = ?",
            fx.store, p.order, p.line,
        )  # fmt: skip
        if picked is not None:
            # Only what the backend took off stock for this line can go back (its picks may
            # have been refused, e.g. the order was cancelled first).
            qty = max(0.0, min(qty, picked[0]))
            fx.conn.execute(
                "UPDATE order_lines SET qty_picked = qty_picked - ?"
                " WHERE store = ? AND order_id = ? AND line_no = ?",
                (qty, fx.store, p.order, p.line),
            )
    fx.add_stock(p.bin, p.sku, qty)
    return None


def _write_off(fx: Effect, p: _WriteOff, kind: str) -> str | None:
    fx.add_stock(p.bin, p.sku, -p.qty)
    fx.conn.execute(
        "INSERT INTO losses VALUES (?, ?, ?, ?, ?, ?, ?)",
        (fx.store, fx.event_id, kind, p.bin, p.sku, p.qty, p.batch),
    )
    return None


def stock_expired(fx: Effect, p: _WriteOff) -> str | None:
    return _write_off(fx, p, "expired")


def stock_damaged(fx: Effect, p: _WriteOff) -> str | None:
    return _write_off(fx, p, "damaged")


def out_of_stock_flagged(fx: Effect, p: OutOfStockFlagged) -> str | None:
    fx.set_stock(p.bin, p.sku, 0)
    task_id = f"CT-{fx.event_id[:8]}"
    fx.conn.execute(
        "INSERT OR IGNORE INTO count_tasks VALUES (?, ?, ?, ?, 'oos_flag', 'open', NULL, NULL)",
        (fx.store, task_id, p.bin, p.sku),
    )
    fx.db._change(fx.store, "count_task", task_id)
    return None


def pick_shorted(fx: Effect, p: PickShorted) -> str | None:
    why = fx.no_line(p.order, p.line)
    if why:
        return why
    fx.conn.execute(
        "UPDATE order_lines SET qty_short = qty_short + ?"
        " WHERE store = ? AND order_id = ? AND line_no = ?",
        (p.qty, fx.store, p.order, p.line),
    )
    return None


def substitution_made(fx: Effect, p: SubstitutionMade) -> str | None:
    why = fx.no_line(p.order, p.line)
    if why:
        return why
    fx.conn.execute(
        "INSERT INTO substitutions VALUES (?, ?, ?, ?, ?, ?, ?)",
        (fx.store, fx.event_id, p.order, p.line, p.from_sku, p.to_sku, p.qty),
    )
    return None


def tote_closed(fx: Effect, p: ToteClosed) -> str | None:
    fx.set_order(p.order, "picked")
    return None


def qc_completed(fx: Effect, p: QcCompleted) -> str | None:
    fx.set_order(p.order, "packed" if p.result == "pass" else "picking")
    return None


def label_printed(fx: Effect, p: EventPayload) -> str | None:
    return None


def order_dispatched(fx: Effect, p: OrderDispatched) -> str | None:
    fx.set_order(p.order, "dispatched")
    return None


def _count_task(fx: Effect, task_id: str) -> tuple[Any, ...] | None:
    row = fx.one(
        "SELECT bin, sku, state, counted, recount_of FROM count_tasks WHERE store = ? AND id = ?",
        fx.store, task_id,
    )  # fmt: skip
    return tuple(row) if row else None


def count_submitted(fx: Effect, p: CountSubmitted) -> str | None:
    task = _count_task(fx, p.task)
    if task is None:
        return f"count task {clip(p.task)!r} is not known to the backend"
    bin_, sku, _, _, recount_of = task
    fx.conn.execute(
        "UPDATE count_tasks SET counted = ?, state = 'submitted' WHERE store = ? AND id = ?",
        (p.counted, fx.store, p.task),
    )
    fx.db._change(fx.store, "count_task", p.task)
    was = fx.on_hand(bin_, sku) or 0.0
    if abs(p.counted - was) > max(RECOUNT_UNITS, RECOUNT_SHARE * was) and not recount_of:
        recount = f"{p.task}-R"
        fx.conn.execute(
            "INSERT OR IGNORE INTO count_tasks VALUES (?, ?, ?, ?, 'variance', 'open', NULL, ?)",
            (fx.store, recount, bin_, sku, p.task),
        )
        fx.db._change(fx.store, "count_task", recount)
    return None


def _count_decision(fx: Effect, p: _CountDecision, approved: bool) -> str | None:
    task = _count_task(fx, p.task)
    if task is None:
        return f"count task {clip(p.task)!r} is not known to the backend"
    bin_, sku, state, counted, _ = task
    if state != "submitted":
        verb = "approve" if approved else "reject"
        return f"count task {p.task} has no submitted count to {verb}"
    if approved:
        fx.conn.execute(
            "INSERT INTO variances VALUES (?, ?, ?, ?, ?, ?, ?)",
            (fx.store, p.task, bin_, sku, fx.on_hand(bin_, sku), counted, fx.received_at),
        )
        fx.set_stock(bin_, sku, counted)
    fx.conn.execute(
        "UPDATE count_tasks SET state = ? WHERE store = ? AND id = ?",
        ("approved" if approved else "rejected", fx.store, p.task),
    )
    fx.db._change(fx.store, "count_task", p.task)
    return None


def count_approved(fx: Effect, p: _CountDecision) -> str | None:
    return _count_decision(fx, p, approved=True)


def count_rejected(fx: Effect, p: _CountDecision) -> str | None:
    return _count_decision(fx, p, approved=False)


HANDLERS: dict[str, Handler] = {
    "pick_started": pick_started,
    "stock_picked": stock_picked,
    "pick_shorted": pick_shorted,
    "out_of_stock_flagged": out_of_stock_flagged,
    "stock_expired": stock_expired,
    "stock_damaged": stock_damaged,
    "stock_returned": stock_returned,
    "substitution_made": substitution_made,
    "tote_closed": tote_closed,
    "qc_completed": qc_completed,
    "label_printed": label_printed,
    "order_dispatched": order_dispatched,
    "count_submitted": count_submitted,
    "count_approved": count_approved,
    "count_rejected": count_rejected,
}
"""Each event type's effect."""

if set(HANDLERS) != EVENT_TYPES:  # a new event type needs its effect (and a model)
    raise RuntimeError(f"event types without a handler: {sorted(EVENT_TYPES ^ set(HANDLERS))}")


def apply(fx: Effect, event_type: str, payload: EventPayload) -> str | None:
    """Apply one valid event: refused if an order it names is cancelled or held by another
    device, else its handler's effect (or refusal)."""
    for order_id in payload.order_ids():
        why = fx.db._order_refusal(fx.store, order_id, event_type, fx.device)
        if why:
            return why
    return HANDLERS[event_type](fx, payload)
