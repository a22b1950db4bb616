"""The replica: what the device knows of its store, from the backend's snapshot and changes,
and the sync state (cursor, clock offset, last success and error) that goes with it."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import TYPE_CHECKING

from picker_app.store import progress
from picker_app.wire import ChangesPage, OrderWire, ReplenishTaskWire, SlotMoveWire, Snapshot

if TYPE_CHECKING:
    from picker_app.store.db import LocalStore


def apply_snapshot(store: LocalStore, snap: Snapshot) -> None:
    """Replace what the device knows of its store with a snapshot, and save its cursor,
    in one transaction (the outbox and rejected events are kept)."""
    with store.write() as conn:
        for table in (
            "order_line", "orders", "sku_barcode", "stock", "users", "sku", "count_task",
            "pick_history",
        ):  # fmt: skip
            conn.execute(f"DELETE FROM {table}")
        # The moves the backend has open; one accepted or done here stays so (its event may
        # not be sent yet).
        conn.execute("DELETE FROM slot_move WHERE state = 'open'")
        _slot_moves(conn, snap.slot_moves)
        conn.execute("DELETE FROM replenish_task WHERE state = 'open'")
        _replenish_tasks(conn, snap.replenish_tasks)
        progress.prune(conn)
        conn.executemany(
            "INSERT OR REPLACE INTO store_info (key, value) VALUES (?, ?)",
            [
                ("store", snap.store),
                ("layout", snap.layout or ""),
                ("layout_hash", snap.layout_hash or ""),
            ],
        )
        conn.executemany(
            "INSERT INTO count_task (id, bins, reason, state, recount_of, sku, counted, book)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (t.id, json.dumps(t.bins), t.reason, t.state, t.recount_of, t.sku, t.counted,
                 t.book)
                for t in snap.count_tasks
            ],
        )
        conn.executemany(
            "INSERT INTO pick_history (at, bin, qty) VALUES ('history', ?, ?)",
            [(p.bin, p.picks) for p in snap.bin_picks],
        )
        conn.executemany(
            "INSERT INTO sku (sku, name, unit, weight_g, bin, category, price, store_code)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (k.sku, k.name, k.unit, k.weight_g, k.bin, k.category, k.price, k.store_code)
                for k in snap.skus
            ],
        )
        conn.executemany(
            "INSERT OR IGNORE INTO sku_barcode (gtin, sku) VALUES (?, ?)",
            [(g, k.sku) for k in snap.skus for g in k.gtins],
        )
        conn.executemany(
            "INSERT INTO stock (bin, sku, on_hand, as_of) VALUES (?, ?, ?, ?)",
            [(r.bin, r.sku, r.on_hand, str(snap.cursor)) for r in snap.stock],
        )
        conn.executemany(
            "INSERT INTO users (id, name, role, badge, pin_hash, may_count)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [(u.id, u.name, u.role, u.badge, u.pin_hash, int(u.may_count)) for u in snap.users],
        )
        conn.executemany(
            "INSERT INTO orders (id, promised_at, state, priority, area, substitutions, tote)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (o.id, o.promised_at, o.state, o.priority, o.area, o.substitutes, o.tote)
                for o in snap.orders
            ],
        )
        conn.executemany(
            "INSERT INTO order_line (order_id, line_no, sku, qty_ordered, state, suggestions,"
            " qty_picked, qty_short, substitute_sku, repick)"
            " VALUES (?, ?, ?, ?, 'open', ?, ?, ?, ?, ?)",
            [
                (o.id, ln.line_no, ln.sku, ln.qty, json.dumps(ln.suggestions), ln.picked,
                 ln.short, ln.substitute, ln.repick)
                for o in snap.orders
                for ln in o.lines
            ],
        )  # fmt: skip
        _waiting_totes(conn, snap.orders)
        conn.execute(
            "INSERT OR REPLACE INTO sync_state (key, value) VALUES ('cursor', ?)",
            (str(snap.cursor),),
        )


def apply_changes(store: LocalStore, page: ChangesPage) -> None:
    """Apply a page of changes and move the cursor past it, in one transaction."""
    tasks_changed = False
    stock: list[tuple[str, str, float, str]] = []
    with store.write() as conn:
        for change in page.changes:
            if change.order is not None:
                o = change.order
                conn.execute(
                    "INSERT INTO orders (id, promised_at, state, priority, area, substitutions,"
                    " tote) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET"
                    " promised_at = excluded.promised_at, state = excluded.state,"
                    " priority = excluded.priority, area = excluded.area,"
                    " substitutions = excluded.substitutions, tote = excluded.tote",
                    (o.id, o.promised_at, o.state, o.priority, o.area, o.substitutes, o.tote),
                )
                for ln in o.lines:
                    # What this device picked itself may be ahead of the backend (events not
                    # sent yet): the larger is kept, and a substitute it recorded; but a line
                    # packing sent back is as the backend says (less was picked than it seemed).
                    conn.execute(
                        "INSERT INTO order_line (order_id, line_no, sku, qty_ordered, state,"
                        " suggestions, qty_picked, qty_short, substitute_sku, repick)"
                        " VALUES (?, ?, ?, ?, 'open', ?, ?, ?, ?, ?) ON CONFLICT"
                        " (order_id, line_no) DO UPDATE SET suggestions = excluded.suggestions,"
                        " qty_picked = CASE WHEN excluded.repick > 0 THEN excluded.qty_picked"
                        " ELSE MAX(qty_picked, excluded.qty_picked) END,"
                        " qty_short = MAX(qty_short, excluded.qty_short),"
                        " substitute_sku = COALESCE(substitute_sku, excluded.substitute_sku),"
                        " repick = excluded.repick",
                        (o.id, ln.line_no, ln.sku, ln.qty, json.dumps(ln.suggestions),
                         ln.picked, ln.short, ln.substitute, ln.repick),
                    )  # fmt: skip
                _waiting_totes(conn, [o])
            if change.count_task is not None:
                t = change.count_task
                conn.execute(
                    "INSERT INTO count_task (id, bins, reason, state, recount_of, sku, counted,"
                    " book) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET"
                    " state = excluded.state, sku = excluded.sku, counted = excluded.counted,"
                    " book = excluded.book",
                    (t.id, json.dumps(t.bins), t.reason, t.state, t.recount_of, t.sku,
                     t.counted, t.book),
                )
            if change.slot_move is not None:
                _slot_moves(conn, [change.slot_move])
                tasks_changed = True
            if change.replenish_task is not None:
                _replenish_tasks(conn, [change.replenish_task])
                tasks_changed = True
            if change.user is not None:
                u = change.user
                conn.execute(
                    "INSERT INTO users (id, name, role, badge, pin_hash, may_count)"
                    " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET"
                    " name = excluded.name, role = excluded.role, badge = excluded.badge,"
                    " pin_hash = excluded.pin_hash, may_count = excluded.may_count",
                    (u.id, u.name, u.role, u.badge, u.pin_hash, int(u.may_count)),
                )
            if change.sku is not None:
                k = change.sku
                conn.execute(
                    "INSERT INTO sku (sku, name, unit, weight_g, bin, category, price, store_code)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (sku) DO UPDATE SET"
                    " name = excluded.name, unit = excluded.unit, weight_g = excluded.weight_g,"
                    " bin = excluded.bin, category = excluded.category, price = excluded.price,"
                    " store_code = excluded.store_code",
                    (k.sku, k.name, k.unit, k.weight_g, k.bin, k.category, k.price, k.store_code),
                )
                conn.executemany(
                    "INSERT OR IGNORE INTO sku_barcode (gtin, sku) VALUES (?, ?)",
                    [(g, k.sku) for g in k.gtins],
                )
            if change.stock is not None:  # written together below (they read nothing)
                st = change.stock
                stock.append((st.bin, st.sku, st.on_hand, str(change.seq)))
        conn.executemany(
            "INSERT INTO stock (bin, sku, on_hand, as_of) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (bin, sku) DO UPDATE SET on_hand = excluded.on_hand,"
            " as_of = excluded.as_of",
            stock,
        )
        if tasks_changed:
            progress.prune(conn)
        conn.execute(
            "INSERT OR REPLACE INTO sync_state (key, value) VALUES ('cursor', ?)",
            (str(page.next_cursor),),
        )


def _slot_moves(conn: sqlite3.Connection, moves: Sequence[SlotMoveWire]) -> None:
    """The backend's moves as it has them (a move done here stays done)."""
    conn.executemany(
        "INSERT INTO slot_move (id, sku, from_bin, to_bin, swap_sku, state)"
        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET"
        " state = CASE WHEN state = 'done' THEN 'done' ELSE excluded.state END",
        [(m.id, m.sku, m.from_bin, m.to_bin, m.swap_sku, m.state) for m in moves],
    )


def _replenish_tasks(conn: sqlite3.Connection, tasks: Sequence[ReplenishTaskWire]) -> None:
    """The backend's replenishment tasks as it has them (one done here stays done)."""
    conn.executemany(
        "INSERT INTO replenish_task (id, bin, sku, qty, state) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT (id) DO UPDATE SET qty = excluded.qty,"
        " state = CASE WHEN state = 'done' THEN 'done' ELSE excluded.state END",
        [(t.id, t.bin, t.sku, t.qty, t.state) for t in tasks],
    )


def _waiting_totes(conn: sqlite3.Connection, orders: Sequence[OrderWire]) -> None:
    """Each order waiting at packing in a tote: the tote is closed with it (on this device too,
    so that its packer can scan it and its pickers do not take it); each packed order's bags,
    for the handover (kept as they are when this device packed them)."""
    conn.executemany(
        "INSERT INTO tote (code, order_id, state) VALUES (?, ?, 'closed') ON CONFLICT (code)"
        " DO UPDATE SET order_id = excluded.order_id, state = 'closed'",
        [(o.tote, o.id) for o in orders if o.tote and o.state == "picked"],
    )
    conn.executemany(
        "INSERT OR IGNORE INTO bag (code, order_id, n, m, state) VALUES (?, ?, ?, ?, ?)",
        [
            (code, o.id, n, len(o.bags), "dispatched" if o.state == "dispatched" else "packed")
            for o in orders
            for n, code in enumerate(o.bags, start=1)
        ],
    )


def set_sync_state(store: LocalStore, **values: str) -> None:
    """Save sync state values (key = value), in one transaction."""
    with store.write() as conn:
        conn.executemany(
            "INSERT OR REPLACE INTO sync_state (key, value) VALUES (?, ?)", values.items()
        )


def sync_state(store: LocalStore) -> dict[str, str]:
    """Every sync state value, by key."""
    return {r["key"]: r["value"] for r in store.rows("SELECT key, value FROM sync_state")}


def cursor(store: LocalStore) -> int | None:
    """The backend cursor the cache is up to date with (None before the first snapshot)."""
    rows = store.rows("SELECT value FROM sync_state WHERE key = 'cursor'")
    return int(rows[0]["value"]) if rows else None


def clock_offset(store: LocalStore) -> float:
    """The offset in seconds between the backend's clock and this device's, measured at the
    last sync (0 before one, or when what was saved is not a number)."""
    row = store.conn.execute("SELECT value FROM sync_state WHERE key = 'clock_offset_s'").fetchone()
    try:
        return float(row[0]) if row else 0.0
    except ValueError:
        return 0.0
