"""Orders and their lines, as the device has them: the queue, a task's lines, their progress."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from picker_app.store.db import LocalStore


def _marks(ids: Sequence[str]) -> str:
    return ",".join("?" * len(ids))


def waiting_rows(store: LocalStore) -> list[tuple[Any, ...]]:
    """Orders waiting to be picked: (id, state, promised_at, priority, lines, units) each."""
    return store.conn.execute(
        "SELECT o.id, o.state, o.promised_at, o.priority, COUNT(l.line_no),"
        " COALESCE(SUM(l.qty_ordered), 0) FROM orders o"
        " JOIN order_line l ON l.order_id = o.id"
        " WHERE o.state IN ('placed', 'confirmed') GROUP BY o.id"
    ).fetchall()


def repick_rows(store: LocalStore) -> list[tuple[Any, ...]]:
    """Orders at packing with lines sent back to be picked again: (id, promised_at, priority,
    lines, units) each."""
    return store.conn.execute(
        "SELECT o.id, o.promised_at, o.priority, COUNT(l.line_no), SUM(l.repick) FROM orders o"
        " JOIN order_line l ON l.order_id = o.id WHERE o.state = 'picked' AND l.repick > 0"
        " GROUP BY o.id"
    ).fetchall()


def repick_lines(store: LocalStore, order_ids: Sequence[str]) -> set[tuple[str, int]]:
    """(order, line) of each line of the orders that packing sent back to picking."""
    return {
        (o, int(n))
        for o, n in store.conn.execute(
            f"SELECT order_id, line_no FROM order_line WHERE order_id IN ({_marks(order_ids)})"
            " AND repick > 0",
            list(order_ids),
        )
    }


def waiting_count(store: LocalStore) -> int:
    """How many orders wait to be picked."""
    return int(store.conn.execute(
        "SELECT COUNT(*) FROM orders WHERE state IN ('placed', 'confirmed')"
    ).fetchone()[0])  # fmt: skip


def state(store: LocalStore, order_id: str) -> str | None:
    """The order's state, or None when the device does not have it."""
    row = store.conn.execute("SELECT state FROM orders WHERE id = ?", (order_id,)).fetchone()
    return row[0] if row else None


def set_state(store: LocalStore, order_ids: Sequence[str], state: str) -> None:
    """Move the orders to `state` (inside `write()`)."""
    store.conn.executemany(
        "UPDATE orders SET state = ? WHERE id = ?", [(state, o) for o in order_ids]
    )


def pick_lines(store: LocalStore, order_ids: Sequence[str]) -> list[tuple[Any, ...]]:
    """The lines of the orders, as picked (the substitute's product when there is one):
    (order_id, line_no, sku, qty_ordered, name, unit, bin, category) each, by order and line."""
    return store.conn.execute(
        "SELECT l.order_id, l.line_no, COALESCE(l.substitute_sku, l.sku), l.qty_ordered,"
        " s.name, s.unit, s.bin, s.category FROM order_line l JOIN sku s"
        " ON s.sku = COALESCE(l.substitute_sku, l.sku)"
        f" WHERE l.order_id IN ({_marks(order_ids)})"
        " ORDER BY l.order_id, l.line_no",
        list(order_ids),
    ).fetchall()


def progress(store: LocalStore, order_ids: Sequence[str]) -> list[tuple[Any, ...]]:
    """(order_id, line_no, qty_picked, qty_short) of every line of the orders."""
    return store.conn.execute(
        "SELECT order_id, line_no, qty_picked, qty_short FROM order_line"
        f" WHERE order_id IN ({_marks(order_ids)})",
        order_ids,
    ).fetchall()


def suggestions(store: LocalStore, order_id: str, line_no: int) -> str | None:
    """The backend's substitutes for the line, as the JSON it sent (None if none)."""
    row = store.conn.execute(
        "SELECT suggestions FROM order_line WHERE order_id = ? AND line_no = ?",
        (order_id, line_no),
    ).fetchone()
    return row[0] if row else None


def need(store: LocalStore, order_id: object, line_no: object) -> tuple[Any, ...] | None:
    """(qty_ordered, qty_picked, unit) of the line (the substitute's unit when there is one;
    'each' when the product is unknown), or None when there is no such line."""
    row = store.conn.execute(
        "SELECT l.qty_ordered, l.qty_picked, COALESCE(s.unit, 'each') FROM order_line l"
        " LEFT JOIN sku s ON s.sku = COALESCE(l.substitute_sku, l.sku)"
        " WHERE l.order_id = ? AND l.line_no = ?",
        (order_id, line_no),
    ).fetchone()
    return tuple(row) if row is not None else None


def binned_lines(store: LocalStore, order_ids: Sequence[str]) -> int:
    """How many lines of the orders have a bin to be picked from."""
    return int(store.conn.execute(
        "SELECT COUNT(*) FROM order_line l JOIN sku s"
        " ON s.sku = COALESCE(l.substitute_sku, l.sku)"
        f" WHERE l.order_id IN ({_marks(order_ids)}) AND s.bin != ''",
        order_ids,
    ).fetchone()[0])  # fmt: skip


def picked_lines(store: LocalStore, order_ids: Sequence[str]) -> int:
    """How many lines of the orders have something picked."""
    return int(store.conn.execute(
        f"SELECT COUNT(*) FROM order_line WHERE order_id IN ({_marks(order_ids)})"
        " AND qty_picked > 0",
        order_ids,
    ).fetchone()[0])  # fmt: skip
