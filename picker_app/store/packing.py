"""What packing reads and keeps: orders waiting at packing, an order's lines as the picker left
them, and each unit QC scanned into a bag (kept as it is scanned, so a restart resumes)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from picker_app.store.db import LocalStore


def waiting_rows(store: LocalStore) -> list[tuple[Any, ...]]:
    """Orders picked and waiting for packing: (id, promised_at, tote, lines, units) each."""
    return store.conn.execute(
        "SELECT o.id, o.promised_at, o.tote, COUNT(l.line_no), COALESCE(SUM(l.qty_picked), 0)"
        " FROM orders o LEFT JOIN order_line l ON l.order_id = o.id"
        " WHERE o.state = 'picked' GROUP BY o.id"
    ).fetchall()


def order_of_tote(store: LocalStore, tote: str) -> str | None:
    """The order waiting in `tote`, or None."""
    row = store.conn.execute(
        "SELECT id FROM orders WHERE tote = ? AND state = 'picked'"
        " UNION SELECT order_id FROM tote WHERE code = ? AND state = 'closed'",
        (tote, tote),
    ).fetchone()
    return row[0] if row else None


def head(store: LocalStore, order_id: str) -> tuple[Any, ...] | None:
    """(state, promised_at, area, substitution preference, tote) of the order, or None."""
    row = store.conn.execute(
        "SELECT o.state, o.promised_at, o.area, o.substitutions,"
        " COALESCE(o.tote, (SELECT code FROM tote WHERE order_id = o.id)) FROM orders o"
        " WHERE o.id = ?",
        (order_id,),
    ).fetchone()
    return tuple(row) if row else None


def lines(store: LocalStore, order_id: str) -> list[tuple[Any, ...]]:
    """The order's lines as picked: (line_no, ordered sku, packed sku, name, unit, qty picked,
    qty ordered, qty short, bin, category, weight_g) each, by line."""
    return store.conn.execute(
        "SELECT l.line_no, l.sku, COALESCE(l.substitute_sku, l.sku), COALESCE(s.name, l.sku),"
        " COALESCE(s.unit, 'each'), l.qty_picked, l.qty_ordered, l.qty_short, s.bin,"
        " s.category, s.weight_g FROM order_line l"
        " LEFT JOIN sku s ON s.sku = COALESCE(l.substitute_sku, l.sku)"
        " WHERE l.order_id = ? ORDER BY l.line_no",
        (order_id,),
    ).fetchall()


def sku_of_gtin(store: LocalStore, gtin: str) -> str | None:
    """The product of a barcode (GTIN-8/12/13/14 read as 14 digits), or None."""
    row = store.conn.execute(
        "SELECT sku FROM sku_barcode WHERE LTRIM(gtin, '0') = LTRIM(?, '0')", (gtin,)
    ).fetchone()
    return row[0] if row else None


def scans(store: LocalStore, order_id: str) -> list[tuple[Any, ...]]:
    """The units QC accepted for the order so far: (line_no, qty), in scan order."""
    return store.conn.execute(
        "SELECT line_no, qty FROM qc_scan WHERE order_id = ? ORDER BY rowid", (order_id,)
    ).fetchall()


def shorts(store: LocalStore, order_id: str) -> list[tuple[Any, ...]]:
    """Lines approved short at packing: (line_no, qty, lead)."""
    return store.conn.execute(
        "SELECT line_no, qty, lead FROM qc_short WHERE order_id = ?", (order_id,)
    ).fetchall()


def add_scan(
    store: LocalStore, order_id: str, line_no: int, qty: float, bag: int, gtin: str | None,
    batch: str | None, expiry: str | None, weight_kg: float | None, packer: str, at: str,
) -> None:  # fmt: skip
    """Keep one accepted unit (inside `write()`)."""
    store.conn.execute(
        "INSERT INTO qc_scan (order_id, line_no, qty, bag, gtin, batch, expiry, weight_kg,"
        " packer, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (order_id, line_no, qty, bag, gtin, batch, expiry, weight_kg, packer, at),
    )


def add_short(
    store: LocalStore, order_id: str, line_no: int, qty: float, lead: str, at: str
) -> None:
    """A lead approved the line short at packing (inside `write()`)."""
    store.conn.execute(
        "INSERT OR REPLACE INTO qc_short (order_id, line_no, qty, lead, at) VALUES (?, ?, ?, ?, ?)",
        (order_id, line_no, qty, lead, at),
    )


def packed(store: LocalStore, order_id: str) -> None:
    """QC passed: the order is packed and its tote free again (inside `write()`)."""
    store.conn.execute("UPDATE orders SET state = 'packed', tote = NULL WHERE id = ?", (order_id,))
    store.conn.execute(
        "UPDATE tote SET state = 'free', order_id = NULL WHERE order_id = ?", (order_id,)
    )
