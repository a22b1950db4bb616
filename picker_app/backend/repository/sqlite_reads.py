"""The devices' reads in SQLite: the snapshot and the pages of changes, each in one read
transaction on a reader connection (BackendDB.reading), never holding the writer's lock."""

from __future__ import annotations

import json
import sqlite3
from typing import TYPE_CHECKING

from picker_app.backend.repository.sqlite_reorder import open_replenish_tasks, replenish_task_wire
from picker_app.backend.repository.sqlite_slotting import open_slot_moves, sku_wire, slot_move_wire
from picker_app.backend.suggest import ReadSuggestions
from picker_app.wire import (
    BinPicks,
    Change,
    ChangesPage,
    CountTaskWire,
    OrderLineWire,
    OrderWire,
    SkuWire,
    Snapshot,
    StockWire,
    UserWire,
)

if TYPE_CHECKING:
    from picker_app.backend.repository.sqlite import BackendDB

OPEN_STATES = ("placed", "confirmed", "picking", "picked", "packed")

# An order's columns and its lines' as the devices get them (the latest substitute of a line is
# what the picker put in the tote instead).
_ORDER_COLUMNS = (
    "o.id, o.promised_at, o.state, o.priority, o.area, o.substitutes, o.tote, o.bags"
)
_LINE_COLUMNS = (
    "l.line_no, l.sku, l.qty, l.suggestions, l.suggestions_watch, l.qty_picked, l.qty_short,"
    " l.repick,"
    " (SELECT s.to_sku FROM substitutions s WHERE s.store = l.store AND s.order_id = l.order_id"
    " AND s.line_no = l.line_no ORDER BY s.rowid DESC LIMIT 1)"
)


def _line(row: tuple, read: ReadSuggestions) -> OrderLineWire:
    no, sku, qty, stored, watch, picked, short, repick, substitute = row
    return OrderLineWire(
        line_no=no, sku=sku, qty=qty, suggestions=read.line(sku, qty, stored, watch),
        picked=picked or 0.0, short=short or 0.0, substitute=substitute, repick=repick or 0.0,
    )  # fmt: skip


def _order(row: tuple, lines: list[OrderLineWire]) -> OrderWire:
    return OrderWire(
        id=row[0], promised_at=row[1], state=row[2], priority=row[3], area=row[4],
        substitutes=row[5] or "allow", tote=row[6], bags=json.loads(row[7] or "[]"),
        lines=lines,
    )  # fmt: skip


def read_snapshot(db: BackendDB, store: str) -> Snapshot:
    """Everything a device of `store` needs, with the cursor of the last change it covers:
    read in one read transaction, without the writer's lock."""
    with db.reading() as conn:
        cursor = conn.execute(
            "SELECT COALESCE(MAX(seq), 0) FROM changes WHERE store = ?", (store,)
        ).fetchone()[0]
        skus = [
            SkuWire(
                sku=r[0], name=r[1], unit=r[2], weight_g=r[3], bin=r[4], category=r[5],
                price=r[6], gtins=[r[7]] if r[7] else [], store_code=r[8],
            )
            for r in conn.execute(
                "SELECT sku, name, unit, weight_g, bin, category, price, gtin, store_code"
                " FROM catalog WHERE store = ? ORDER BY sku", (store,)
            )
        ]  # fmt: skip
        stock = [
            StockWire(bin=r[0], sku=r[1], on_hand=r[2])
            for r in conn.execute(
                "SELECT bin, sku, on_hand FROM stock WHERE store = ? ORDER BY bin, sku", (store,)
            )
        ]
        users = [
            UserWire(id=r[0], name=r[1], role=r[2], badge=r[3], pin_hash=r[4], may_count=r[5])
            for r in conn.execute(
                "SELECT id, name, role, badge, pin_hash, may_count FROM users WHERE store = ?"
                " ORDER BY id",
                (store,),
            )
        ]
        lines: dict[str, list[OrderLineWire]] = {}
        read = db.read_suggestions(store, conn)
        marks = ",".join("?" * len(OPEN_STATES))
        for row in conn.execute(
            f"SELECT l.order_id, {_LINE_COLUMNS}"
            " FROM order_lines l JOIN orders o ON o.store = l.store AND o.id = l.order_id"
            f" WHERE l.store = ? AND o.state IN ({marks}) ORDER BY l.order_id, l.line_no",
            (store, *OPEN_STATES),
        ):
            lines.setdefault(row[0], []).append(_line(row[1:], read))
        orders = [
            _order(r, lines.get(r[0], []))
            for r in conn.execute(
                f"SELECT {_ORDER_COLUMNS} FROM orders o"
                f" WHERE o.store = ? AND o.state IN ({marks}) ORDER BY o.id", (store, *OPEN_STATES)
            )
        ]  # fmt: skip
        tasks = [
            count_task_wire(conn, store, r[0])
            for r in conn.execute(
                "SELECT id FROM count_tasks WHERE store = ? AND state IN ('open', 'submitted')"
                " ORDER BY id",
                (store,),
            )
        ]
        moves = open_slot_moves(conn, store)
        replenish = open_replenish_tasks(conn, store)
        picks = [
            BinPicks(bin=r[0], picks=r[1])
            for r in conn.execute(
                "SELECT c.bin, COUNT(*) FROM order_history h JOIN catalog c"
                " ON c.store = h.store AND c.sku = h.sku WHERE h.store = ? GROUP BY c.bin"
                " ORDER BY c.bin",
                (store,),
            )
        ]
        meta = conn.execute(
            "SELECT layout, layout_hash FROM store_meta WHERE store = ?", (store,)
        ).fetchone()
    return Snapshot(
        cursor=cursor,
        store=store,
        layout=meta[0] if meta else None,
        layout_hash=meta[1] if meta else None,
        skus=skus,
        stock=stock,
        users=users,
        orders=orders,
        count_tasks=tasks,
        slot_moves=moves,
        replenish_tasks=replenish,
        bin_picks=picks,
    )


def read_changes(db: BackendDB, store: str, cursor: int, limit: int) -> ChangesPage | None:
    """Changes after `cursor`, oldest first; None when the cursor is unknown or too old
    (the device must take a snapshot). Read in one read transaction, without the lock."""
    with db.reading() as conn:
        oldest, newest = conn.execute(
            "SELECT MIN(seq), MAX(seq) FROM changes WHERE store = ?", (store,)
        ).fetchone()
        newest = newest or 0
        if cursor > newest or (oldest is not None and cursor < oldest - 1 - db.keep):
            return None
        rows = conn.execute(
            "SELECT seq, kind, key FROM changes WHERE store = ? AND seq > ? ORDER BY seq LIMIT ?",
            (store, cursor, limit + 1),
        ).fetchall()
        more = len(rows) > limit
        rows = rows[:limit]
        read = db.read_suggestions(store, conn)
        orders_sent: set[str] = set()  # an order changed twice in a page is sent once, as now
        stock_sent: set[str] = set()  # likewise a bin's stock
        items: list[Change] = []
        for seq, kind, key in rows:
            if kind == "order":
                if key in orders_sent:
                    continue
                orders_sent.add(key)
                if not conn.execute(
                    "SELECT 1 FROM orders WHERE store = ? AND id = ?", (store, key)
                ).fetchone():
                    continue  # an order gone (or never known): nothing to send
                items.append(Change(seq=seq, order=order_wire(conn, store, key, read)))
            elif kind == "count_task":
                if not conn.execute(
                    "SELECT 1 FROM count_tasks WHERE store = ? AND id = ?", (store, key)
                ).fetchone():
                    continue  # likewise a count task
                task = count_task_wire(conn, store, key)
                items.append(Change(seq=seq, count_task=task))
            elif kind == "slot_move":
                move = slot_move_wire(conn, store, key)
                if move is not None:
                    items.append(Change(seq=seq, slot_move=move))
            elif kind == "replenish_task":
                replenish = replenish_task_wire(conn, store, key)
                if replenish is not None:
                    items.append(Change(seq=seq, replenish_task=replenish))
            elif kind == "user":
                r = conn.execute(
                    "SELECT id, name, role, badge, pin_hash, may_count FROM users"
                    " WHERE store = ? AND id = ?",
                    (store, key),
                ).fetchone()
                if r is not None:
                    person = UserWire(
                        id=r[0], name=r[1], role=r[2], badge=r[3], pin_hash=r[4], may_count=r[5]
                    )
                    items.append(Change(seq=seq, user=person))
            elif kind == "sku":
                product = sku_wire(conn, store, key)
                if product is not None:
                    items.append(Change(seq=seq, sku=product))
            else:
                if key in stock_sent:
                    continue  # sent above in this page with its stock now: once is enough
                stock_sent.add(key)
                bin_, sku = key.split("|", 1)
                on_hand = conn.execute(
                    "SELECT on_hand FROM stock WHERE store = ? AND bin = ? AND sku = ?",
                    (store, bin_, sku),
                ).fetchone()
                stock = StockWire(bin=bin_, sku=sku, on_hand=on_hand[0] if on_hand else 0)
                items.append(Change(seq=seq, stock=stock))
    next_cursor = rows[-1][0] if rows else cursor
    return ChangesPage(changes=items, next_cursor=next_cursor, more=more)


def order_wire(
    conn: sqlite3.Connection, store: str, order_id: str, read: ReadSuggestions
) -> OrderWire:
    """An order with its lines (and their suggestions) as the devices get it."""
    r = conn.execute(
        f"SELECT {_ORDER_COLUMNS} FROM orders o WHERE o.store = ? AND o.id = ?",
        (store, order_id),
    ).fetchone()
    lines = [
        _line(row, read)
        for row in conn.execute(
            f"SELECT {_LINE_COLUMNS} FROM order_lines l"
            " WHERE l.store = ? AND l.order_id = ? ORDER BY l.line_no",
            (store, order_id),
        )
    ]
    return _order(r, lines)


def count_task_wire(conn: sqlite3.Connection, store: str, task_id: str) -> CountTaskWire:
    """A count task as the devices get it."""
    r = conn.execute(
        "SELECT id, bin, sku, reason, state, recount_of, counted, expected, needs_recount"
        " FROM count_tasks WHERE store = ? AND id = ?",
        (store, task_id),
    ).fetchone()
    # A count's figures go out only once it waits for a lead's decision: a task that waits for
    # a recount would show its recounter the book.
    decidable = r[4] == "submitted" and not r[8] and r[7] is not None
    return CountTaskWire(
        id=r[0], bins=[r[1]], sku=r[2], reason=r[3], state=r[4], recount_of=r[5],
        counted=r[6] if decidable else None, book=r[7] if decidable else None,
    )  # fmt: skip
