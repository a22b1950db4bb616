"""The local effect of each recorded event on the cache's tables (the backend applies the same
when the event arrives), so the device shows its own work before the backend has it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from picker_app.store.db import LocalStore


def apply(store: LocalStore, type_: str, p: dict[str, object], now: Callable[[], datetime]) -> None:
    """Apply event `type_` with payload `p` (inside `write()`); `now` dates a pick."""
    conn = store.conn
    qty = float(p.get("qty", 0) or 0)  # type: ignore[arg-type]
    if type_ == "stock_picked":
        conn.execute(
            "UPDATE order_line SET qty_picked = qty_picked + ? WHERE order_id = ? AND line_no = ?",
            (qty, p["order"], p["line"]),
        )
        conn.execute(
            "INSERT INTO pick_history (at, bin, sku, qty) VALUES (?, ?, ?, ?)",
            (now().isoformat(), p["bin"], p["sku"], qty),
        )
    elif type_ == "stock_returned" and "order" in p:
        conn.execute(
            "UPDATE order_line SET qty_picked = MAX(0, qty_picked - ?) WHERE order_id = ?"
            " AND line_no = ?",
            (qty, p["order"], p["line"]),
        )
    elif type_ == "pick_shorted":
        conn.execute(
            "UPDATE order_line SET qty_short = qty_short + ?, state = 'short'"
            " WHERE order_id = ? AND line_no = ?",
            (qty, p["order"], p["line"]),
        )
    elif type_ == "substitution_made":
        conn.execute(
            "UPDATE order_line SET substitute_sku = ? WHERE order_id = ? AND line_no = ?",
            (p["to_sku"], p["order"], p["line"]),
        )
    if type_ in ("stock_picked", "stock_damaged", "stock_expired", "stock_returned"):
        sign = 1 if type_ == "stock_returned" else -1
        conn.execute(
            "UPDATE stock SET on_hand = MAX(0, on_hand + ?) WHERE bin = ? AND sku = ?",
            (sign * qty, p["bin"], p["sku"]),
        )
    elif type_ == "out_of_stock_flagged":
        conn.execute("UPDATE stock SET on_hand = 0 WHERE bin = ? AND sku = ?", (p["bin"], p["sku"]))
