"""The store board's reads of this device's cache (its own view, when the backend cannot be
reached): its open orders, its outbox's picks, checks and out-of-stock flags, its count tasks,
its people and its sync. Rows as tuples; picker_app/services/board.py makes the board of them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from picker_app.store.db import LocalStore

OPEN_STATES = ("placed", "confirmed", "picking", "picked", "packed")


def open_orders(store: LocalStore) -> list[tuple[Any, ...]]:
    """(id, state, promised_at, lines, lines still to pick) of each open order."""
    marks = ", ".join("?" for _ in OPEN_STATES)
    return store.conn.execute(
        "SELECT o.id, o.state, o.promised_at, COUNT(l.line_no),"
        " COALESCE(SUM(l.qty_picked + l.qty_short < l.qty_ordered OR l.repick > 0), 0)"
        " FROM orders o LEFT JOIN order_line l ON l.order_id = o.id"
        f" WHERE o.state IN ({marks}) GROUP BY o.id",
        OPEN_STATES,
    ).fetchall()


def picks_since(store: LocalStore, since: str) -> list[tuple[Any, ...]]:
    """(user, first pick's time) of each order line this device's people picked since `since`."""
    return store.conn.execute(
        "SELECT user, MIN(created_at) FROM outbox WHERE type = 'stock_picked'"
        " AND created_at >= ? AND user IS NOT NULL AND state != 'rejected'"
        " GROUP BY user, json_extract(payload, '$.order'), json_extract(payload, '$.line')",
        (since,),
    ).fetchall()


def checks_since(store: LocalStore, since: str) -> list[tuple[Any, ...]]:
    """(packer, time, lines of the order) of each QC result recorded here since `since`."""
    return store.conn.execute(
        "SELECT COALESCE(json_extract(e.payload, '$.packer'), e.user), e.created_at,"
        " (SELECT COUNT(*) FROM order_line l WHERE l.order_id = json_extract(e.payload, '$.order'))"
        " FROM outbox e WHERE e.type = 'qc_completed' AND e.created_at >= ?"
        " AND e.state != 'rejected'",
        (since,),
    ).fetchall()


def qc_since(store: LocalStore, since: str, picked_since: str) -> list[tuple[Any, ...]]:
    """(picker, time, lines of the order, discrepancies found) of each QC result recorded here
    since `since` of an order picked on this device since `picked_since` (its picker is the
    user of the order's last pick here; QC of orders picked elsewhere names no picker this
    device knows, and is left out)."""
    return store.conn.execute(
        # One pass over the picks: each order's last picker (SQLite gives the bare column of
        # the MAX row), then each QC result joined to it.
        "WITH picker AS (SELECT json_extract(payload, '$.order') AS order_id, user,"
        "  MAX(seq) FROM outbox WHERE type = 'stock_picked' AND created_at >= ?"
        "  AND user IS NOT NULL AND state != 'rejected' GROUP BY order_id)"
        " SELECT p.user, e.created_at,"
        " (SELECT COUNT(*) FROM order_line l WHERE l.order_id = p.order_id),"
        " COALESCE(json_array_length(e.payload, '$.discrepancies'), 0)"
        " FROM outbox e JOIN picker p ON p.order_id = json_extract(e.payload, '$.order')"
        " WHERE e.type = 'qc_completed' AND e.created_at >= ? AND e.state != 'rejected'",
        (picked_since, since),
    ).fetchall()


def oos_since(store: LocalStore, since: str) -> list[tuple[Any, ...]]:
    """(sku, bin, time) of each out-of-stock flag recorded here since `since`."""
    return store.conn.execute(
        "SELECT json_extract(payload, '$.sku'), json_extract(payload, '$.bin'), created_at"
        " FROM outbox WHERE type = 'out_of_stock_flagged' AND created_at >= ?"
        " AND state != 'rejected'",
        (since,),
    ).fetchall()


def counts_open(store: LocalStore) -> int:
    """Count tasks not decided yet (open, or submitted and waiting for a lead)."""
    row = store.conn.execute(
        "SELECT COUNT(*) FROM count_task WHERE state IN ('open', 'submitted')"
    ).fetchone()
    return int(row[0])


def names(store: LocalStore) -> dict[str, str]:
    """Each person's name, by id."""
    return {r[0]: r[1] for r in store.conn.execute("SELECT id, name FROM users")}
