"""Slotting in SQLite (issue 14): the accepted moves and the products' bins as the effects write
them (a mixin of SqliteEventWrites), the moves and products as the devices get them, and what
the advice is measured on (the catalog's bins, the order history and the picks applied since),
read in one read transaction on a reader connection."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, runtime_checkable

from picker_app.backend.repository import SlotMoveRow
from picker_app.wire import SkuWire, SlotMoveWire

HISTORY_DAYS = 30  # the advice is measured on the last 30 days of orders


class SqliteSlotMoveWrites:
    """The slotting part of SqliteEventWrites (one store, the writer's connection)."""

    conn: sqlite3.Connection
    store: str

    def _one(self, sql: str, *args: object) -> Any: ...  # SqliteEventWrites'

    def _change(self, kind: str, key: str) -> None: ...  # SqliteEventWrites'

    def store_layout(self) -> tuple[str | None, str | None]:
        row = self._one("SELECT layout, layout_hash FROM store_meta WHERE store = ?")
        return (row[0], row[1]) if row else (None, None)

    def product_slot(self, sku: str) -> tuple[str | None, float | None] | None:
        row = self._one("SELECT bin, weight_g FROM catalog WHERE store = ? AND sku = ?", sku)
        return (row[0], row[1]) if row else None

    def slotted_in(self, bin_: str) -> list[str]:
        return [
            r[0]
            for r in self.conn.execute(
                "SELECT sku FROM catalog WHERE store = ? AND bin = ? ORDER BY sku",
                (self.store, bin_),
            )
        ]

    def set_product_bin(self, sku: str, bin_: str) -> None:
        self.conn.execute(
            "UPDATE catalog SET bin = ? WHERE store = ? AND sku = ?", (bin_, self.store, sku)
        )
        self._change("sku", sku)

    def slot_move(self, move_id: str) -> SlotMoveRow | None:
        row = self._one(
            "SELECT sku, from_bin, to_bin, swap_sku, state FROM slot_moves"
            " WHERE store = ? AND id = ?",
            move_id,
        )
        return SlotMoveRow(*row) if row else None

    def moves_touching(self, skus: Sequence[str], bins: Sequence[str]) -> list[str]:
        keys = [k for k in (*skus, *bins) if k]
        marks = ", ".join("?" for _ in keys)
        return [
            r[0]
            for r in self.conn.execute(
                "SELECT id FROM slot_moves WHERE store = ? AND state = 'open' AND"
                f" (sku IN ({marks}) OR swap_sku IN ({marks}) OR from_bin IN ({marks})"
                f" OR to_bin IN ({marks})) ORDER BY id",
                (self.store, *keys, *keys, *keys, *keys),
            )
        ]

    def accept_slot_move(
        self, move_id: str, sku: str, from_bin: str, to_bin: str, swap_sku: str | None,
        lead: str | None, at: str,
    ) -> None:  # fmt: skip
        self.conn.execute(
            "INSERT INTO slot_moves (store, id, sku, from_bin, to_bin, swap_sku, state,"
            " accepted_by, accepted_at) VALUES (?, ?, ?, ?, ?, ?, 'open', ?, ?)",
            (self.store, move_id, sku, from_bin, to_bin, swap_sku, lead, at),
        )
        self._change("slot_move", move_id)

    def finish_slot_move(self, move_id: str, qty: float, swap_qty: float | None, at: str) -> None:
        self.conn.execute(
            "UPDATE slot_moves SET state = 'done', qty = ?, swap_qty = ?, done_at = ?"
            " WHERE store = ? AND id = ?",
            (qty, swap_qty, at, self.store, move_id),
        )
        self._change("slot_move", move_id)


# The devices' reads.
def slot_move_wire(conn: sqlite3.Connection, store: str, move_id: str) -> SlotMoveWire | None:
    """An accepted move as the devices get it, or None."""
    r = conn.execute(
        "SELECT id, sku, from_bin, to_bin, swap_sku, state FROM slot_moves"
        " WHERE store = ? AND id = ?",
        (store, move_id),
    ).fetchone()
    if r is None:
        return None
    return SlotMoveWire(id=r[0], sku=r[1], from_bin=r[2], to_bin=r[3], swap_sku=r[4], state=r[5])


def open_slot_moves(conn: sqlite3.Connection, store: str) -> list[SlotMoveWire]:
    """The moves accepted and not done yet, by id."""
    ids = [
        r[0]
        for r in conn.execute(
            "SELECT id FROM slot_moves WHERE store = ? AND state = 'open' ORDER BY id", (store,)
        )
    ]
    return [m for m in (slot_move_wire(conn, store, i) for i in ids) if m is not None]


def sku_wire(conn: sqlite3.Connection, store: str, sku: str) -> SkuWire | None:
    """A product of the catalog as the devices get it, or None."""
    r = conn.execute(
        "SELECT sku, name, unit, weight_g, bin, category, price, gtin, store_code"
        " FROM catalog WHERE store = ? AND sku = ?",
        (store, sku),
    ).fetchone()
    if r is None:
        return None
    return SkuWire(
        sku=r[0], name=r[1], unit=r[2], weight_g=r[3], bin=r[4], category=r[5], price=r[6],
        gtins=[r[7]] if r[7] else [], store_code=r[8],
    )  # fmt: skip


# What the advice is measured on.
@runtime_checkable
class SlottingStorage(Protocol):
    """What the advice needs of the backend's storage (BackendDB has it)."""

    def reading(self) -> AbstractContextManager[sqlite3.Connection]: ...


@dataclass(frozen=True)
class SlottingInputs:
    """The store's layout (file, hash), its binned products (sku, name, bin, weight_g), the
    order lines of the window (order id, sku) and how many days it spans; `fingerprint` changes
    whenever any of them does (the advice is kept by it); `open_moves` are not advised again."""

    layout: str | None
    layout_hash: str | None
    products: list[tuple[str, str, str, float | None]]
    lines: list[tuple[str, str]]
    days: float
    fingerprint: str
    open_moves: list[SlotMoveRow]


def slotting_inputs(db: SlottingStorage, store: str) -> SlottingInputs:
    """What the advice of `store` is measured on, in one read: the order history's last
    HISTORY_DAYS days, with the picks of orders applied since (stock_picked events)."""
    with db.reading() as conn:
        meta = conn.execute(
            "SELECT layout, layout_hash FROM store_meta WHERE store = ?", (store,)
        ).fetchone()
        products = [
            (r[0], r[1], r[2], r[3])
            for r in conn.execute(
                "SELECT sku, name, bin, weight_g FROM catalog WHERE store = ? AND bin IS NOT NULL"
                " AND bin != '' ORDER BY sku",
                (store,),
            )
        ]
        latest = conn.execute(
            "SELECT MAX(placed_at) FROM order_history WHERE store = ?", (store,)
        ).fetchone()[0]
        picked = conn.execute(
            "SELECT json_extract(payload, '$.order'), json_extract(payload, '$.sku'), created_at"
            " FROM events WHERE store = ? AND type = 'stock_picked' AND status = 'applied'"
            " AND json_extract(payload, '$.order') IS NOT NULL ORDER BY rowid",
            (store,),
        ).fetchall()
        ends = [t for t in (latest, *(p[2] for p in picked)) if t]
        end = max((_when(t) for t in ends), default=None)
        lines: list[tuple[str, str]] = []
        days = float(HISTORY_DAYS)
        if end is not None:
            since = end - timedelta(days=HISTORY_DAYS)
            lines = [
                (r[0], r[1])
                for r in conn.execute(
                    "SELECT order_id, sku, placed_at FROM order_history WHERE store = ?"
                    " ORDER BY rowid",
                    (store,),
                )
                if _when(r[2]) > since
            ]
            lines += [(str(o), str(s)) for o, s, at in picked if _when(at) > since]
            first = conn.execute(
                "SELECT MIN(placed_at) FROM order_history WHERE store = ?", (store,)
            ).fetchone()[0]
            if first:
                days = max(1.0, min(days, (end - _when(first)).total_seconds() / 86400))
        moves = [
            SlotMoveRow(*r)
            for r in conn.execute(
                "SELECT sku, from_bin, to_bin, swap_sku, state FROM slot_moves"
                " WHERE store = ? AND state = 'open' ORDER BY id",
                (store,),
            )
        ]
    digest = hashlib.sha256()
    for part in (meta or (None, None), products, len(lines), lines[-1:], round(days, 3)):
        digest.update(repr(part).encode())
    return SlottingInputs(
        meta[0] if meta else None, meta[1] if meta else None, products, lines, days,
        digest.hexdigest(), moves,
    )  # fmt: skip


def _when(text: str) -> datetime:
    """An ISO time as an aware one (UTC when it names no zone)."""
    when = datetime.fromisoformat(text)
    return when if when.tzinfo else when.replace(tzinfo=UTC)
