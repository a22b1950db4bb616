"""The local effect of each recorded event on the cache's tables (the backend applies the same
when the event arrives), so the device shows its own work before the backend has it."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from picker_app.domain.events import (
    AnyEvent,
    LineRepickRequested,
    OutOfStockFlagged,
    PickShorted,
    SlotMoveAccepted,
    SlotMoved,
    StockPicked,
    StockReplenished,
    StockReturned,
    SubstitutionMade,
    _WriteOff,
)

if TYPE_CHECKING:
    from picker_app.store.db import LocalStore

Clock = Callable[[], datetime]
Handler = Callable[[sqlite3.Connection, Any, Clock], None]


def _move_stock(
    conn: sqlite3.Connection, p: StockPicked | StockReturned | _WriteOff, delta: float
) -> None:
    conn.execute(
        "UPDATE stock SET on_hand = MAX(0, on_hand + ?) WHERE bin = ? AND sku = ?",
        (delta, p.bin, p.sku),
    )


def _picked(conn: sqlite3.Connection, p: StockPicked, now: Clock) -> None:
    conn.execute(
        "UPDATE order_line SET qty_picked = qty_picked + ?, repick = MAX(0, repick - ?)"
        " WHERE order_id = ? AND line_no = ?",
        (p.qty, p.qty, p.order, p.line),
    )
    conn.execute(
        "INSERT INTO pick_history (at, bin, sku, qty) VALUES (?, ?, ?, ?)",
        (now().isoformat(), p.bin, p.sku, p.qty),
    )
    _move_stock(conn, p, -p.qty)


def _returned(conn: sqlite3.Connection, p: StockReturned, now: Clock) -> None:
    if p.order is not None:
        conn.execute(
            "UPDATE order_line SET qty_picked = MAX(0, qty_picked - ?) WHERE order_id = ?"
            " AND line_no = ?",
            (p.qty, p.order, p.line),
        )
    _move_stock(conn, p, p.qty)


def _written_off(conn: sqlite3.Connection, p: _WriteOff, now: Clock) -> None:
    _move_stock(conn, p, -p.qty)


def _shorted(conn: sqlite3.Connection, p: PickShorted, now: Clock) -> None:
    conn.execute(
        "UPDATE order_line SET qty_short = qty_short + ?, state = 'short'"
        " WHERE order_id = ? AND line_no = ?",
        (p.qty, p.order, p.line),
    )


def _substituted(conn: sqlite3.Connection, p: SubstitutionMade, now: Clock) -> None:
    conn.execute(
        "UPDATE order_line SET substitute_sku = ? WHERE order_id = ? AND line_no = ?",
        (p.to_sku, p.order, p.line),
    )


def _sent_back(conn: sqlite3.Connection, p: LineRepickRequested, now: Clock) -> None:
    conn.execute(
        "UPDATE order_line SET qty_picked = MAX(0, qty_picked - ?), repick = repick + ?"
        " WHERE order_id = ? AND line_no = ?",
        (p.qty, p.qty, p.order, p.line),
    )


def _flagged(conn: sqlite3.Connection, p: OutOfStockFlagged, now: Clock) -> None:
    conn.execute("UPDATE stock SET on_hand = 0 WHERE bin = ? AND sku = ?", (p.bin, p.sku))


def _move_accepted(conn: sqlite3.Connection, p: SlotMoveAccepted, now: Clock) -> None:
    conn.execute(
        "INSERT OR IGNORE INTO slot_move (id, sku, from_bin, to_bin, swap_sku, state)"
        " VALUES (?, ?, ?, ?, ?, 'accepted')",
        (p.move, p.sku, p.from_bin, p.to_bin, p.swap_sku),
    )


def _slot_moved(conn: sqlite3.Connection, p: SlotMoved, now: Clock) -> None:
    moved = [(p.sku, p.from_bin, p.to_bin, p.qty)]
    if p.swap_sku is not None:
        moved.append((p.swap_sku, p.to_bin, p.from_bin, p.swap_qty or 0.0))
    for sku, src, dst, qty in moved:
        conn.execute(
            "UPDATE stock SET on_hand = MAX(0, on_hand - ?) WHERE bin = ? AND sku = ?",
            (qty, src, sku),
        )
        conn.execute(
            "INSERT INTO stock (bin, sku, on_hand) VALUES (?, ?, ?) ON CONFLICT (bin, sku)"
            " DO UPDATE SET on_hand = on_hand + excluded.on_hand",
            (dst, sku, qty),
        )
        conn.execute("UPDATE sku SET bin = ? WHERE sku = ?", (dst, sku))
    conn.execute("UPDATE slot_move SET state = 'done' WHERE id = ?", (p.move,))


def _replenished(conn: sqlite3.Connection, p: StockReplenished, now: Clock) -> None:
    conn.execute(
        "INSERT INTO stock (bin, sku, on_hand) VALUES (?, ?, ?) ON CONFLICT (bin, sku)"
        " DO UPDATE SET on_hand = on_hand + excluded.on_hand",
        (p.bin, p.sku, p.qty),
    )
    conn.execute("UPDATE replenish_task SET state = 'done' WHERE id = ?", (p.task,))


# One handler per event type with a local effect (the backend's table is backend/effects.py);
# the other types change nothing on the device until the backend says so.
HANDLERS: dict[str, Handler] = {
    "stock_picked": _picked,
    "stock_returned": _returned,
    "stock_damaged": _written_off,
    "stock_expired": _written_off,
    "pick_shorted": _shorted,
    "substitution_made": _substituted,
    "out_of_stock_flagged": _flagged,
    "line_repick_requested": _sent_back,
    "slot_move_accepted": _move_accepted,
    "slot_moved": _slot_moved,
    "stock_replenished": _replenished,
}


def apply(store: LocalStore, event: AnyEvent, now: Clock) -> None:
    """Apply `event` (inside `write()`); `now` dates a pick."""
    handler = HANDLERS.get(event.type)
    if handler is not None:
        handler(store.conn, event, now)
