"""Products, their barcodes and their stock, as the device has them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from picker_app.store.db import LocalStore


def product(store: LocalStore, sku: str) -> tuple[Any, ...] | None:
    """(name, unit, bin, category) of the product, or None when the device does not know it."""
    row = store.conn.execute(
        "SELECT name, unit, bin, category FROM sku WHERE sku = ?", (sku,)
    ).fetchone()
    return tuple(row) if row is not None else None


def barcodes(store: LocalStore, sku: str) -> list[str]:
    """The product's barcodes, as the backend sent them."""
    return [g for (g,) in store.conn.execute("SELECT gtin FROM sku_barcode WHERE sku = ?", (sku,))]


def weight_code(store: LocalStore, sku: str) -> str | None:
    """The store's own code for a product sold by weight (on its weight labels), if any."""
    row = store.conn.execute(
        "SELECT store_code FROM sku WHERE sku = ? AND unit = 'kg'", (sku,)
    ).fetchone()
    return row[0] if row and row[0] else None


def price(store: LocalStore, sku: str) -> float:
    """The product's price (0 when unknown)."""
    row = store.conn.execute("SELECT price FROM sku WHERE sku = ?", (sku,)).fetchone()
    return float(row[0] or 0) if row else 0.0


def on_hand(store: LocalStore, sku: str) -> Any:
    """The product's stock on hand, over all its bins."""
    return store.conn.execute(
        "SELECT COALESCE(SUM(on_hand), 0) FROM stock WHERE sku = ?", (sku,)
    ).fetchone()[0]


def alike_in_stock(
    store: LocalStore, category: str | None, unit: str, sku: str, qty: float, price: float,
    limit: int,
) -> list[tuple[Any, ...]]:  # fmt: skip
    """Other binned products of the category and unit with at least `qty` on hand, the closest
    to `price` first: (sku, on_hand) each."""
    return store.conn.execute(
        "SELECT s.sku, SUM(st.on_hand) AS on_hand FROM sku s JOIN stock st ON st.sku = s.sku"
        " WHERE s.category = ? AND s.unit = ? AND s.sku != ? AND s.bin IS NOT NULL"
        " GROUP BY s.sku HAVING on_hand >= ? ORDER BY ABS(COALESCE(s.price, 0) - ?), s.sku"
        " LIMIT ?",
        (category, unit, sku, qty, price, limit),
    ).fetchall()


def sku_of_gtin(store: LocalStore, gtin: str) -> str | None:
    """The product of a barcode (a GTIN-14, or the GTIN-13 or -12 inside it), or None."""
    forms = {gtin, gtin.lstrip("0").zfill(13), gtin.lstrip("0").zfill(12)}
    row = store.conn.execute(
        f"SELECT sku FROM sku_barcode WHERE gtin IN ({','.join('?' * len(forms))})",
        tuple(forms),
    ).fetchone()
    return row[0] if row else None
