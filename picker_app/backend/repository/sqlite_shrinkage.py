"""What the shrinkage report (issue 14) is computed on, read from the backend's SQLite: the
store's approved counts, write-offs and sales, its catalog, the velocity class of each product
and the layout it names. One reading code for `picker-app shrinkage` (the database file opened
read-only) and for `GET /v1/stores/{store}/shrinkage` (a read transaction on a reader
connection): both hand it a connection."""

from __future__ import annotations

import json
import sqlite3
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from picker_app.domain.counting import velocity_classes
from picker_app.domain.shrinkage import CountRecord, Sale, WriteOff
from picker_app.domain.times import parse_time

TABLES = ("variances", "count_tasks", "losses", "events", "catalog", "store_meta")
"""The tables a backend's database has that the report reads."""
_WRITE_OFFS = ("stock_expired", "stock_damaged")


@runtime_checkable
class ShrinkageStorage(Protocol):
    """What the shrinkage report needs of the backend's storage (BackendDB has it)."""

    def reading(self) -> AbstractContextManager[sqlite3.Connection]: ...


@dataclass(frozen=True)
class ShrinkageInputs:
    """A store's records as the report reads them: approved counts (with the lead's reason),
    write-offs (at their event's time), sales, how many records had no readable time (left
    out), each product's (price, name), its velocity class, and the layout the store names
    (its text, or a shipped file's name; "" when it names none)."""

    counts: list[CountRecord]
    write_offs: list[WriteOff]
    sales: list[Sale]
    unreadable: int
    catalog: dict[str, tuple[float | None, str]]
    classes: dict[str, str]
    layout: str


def store_ids(conn: sqlite3.Connection) -> list[str]:
    """The stores of the database (those with a catalog), in order."""
    return sorted(r[0] for r in conn.execute("SELECT DISTINCT store FROM catalog"))


def read_records(
    conn: sqlite3.Connection, store: str
) -> tuple[list[CountRecord], list[WriteOff], list[Sale], int]:
    """The store's approved counts (with the lead's reason), write-offs (at their event's
    time), applied picks, and how many records had no readable time (left out)."""
    unreadable = 0
    counts: list[CountRecord] = []
    for task, bin_, sku, expected, counted, at, why in conn.execute(
        "SELECT v.task_id, v.bin, v.sku, v.expected, v.counted, v.at, t.decided_why"
        " FROM variances v LEFT JOIN count_tasks t ON t.store = v.store AND t.id = v.task_id"
        " WHERE v.store = ? ORDER BY v.rowid",
        (store,),
    ):
        when = parse_time(at)
        if when is None or counted is None:
            unreadable += 1
            continue
        counts.append(CountRecord(task, bin_, sku, expected, float(counted), when, why))
    times: dict[str, str] = {}
    for event_id, created_at in conn.execute(
        "SELECT event_id, created_at FROM events WHERE store = ? AND status = 'applied'"
        f" AND type IN ({', '.join('?' * len(_WRITE_OFFS))}) ORDER BY rowid",
        (store, *_WRITE_OFFS),
    ):
        times.setdefault(event_id, created_at)
    write_offs: list[WriteOff] = []
    for event_id, kind, bin_, sku, qty in conn.execute(
        "SELECT event_id, kind, bin, sku, qty FROM losses WHERE store = ? ORDER BY rowid",
        (store,),
    ):
        when = parse_time(times.get(event_id))
        if when is None or qty is None:
            unreadable += 1
            continue
        write_offs.append(WriteOff(event_id, kind, bin_, sku, float(qty), when))
    sales: list[Sale] = []
    for payload, created_at in conn.execute(
        "SELECT payload, created_at FROM events WHERE store = ? AND type = 'stock_picked'"
        " AND status = 'applied' ORDER BY rowid",
        (store,),
    ):
        when = parse_time(created_at)
        try:
            p = json.loads(payload)
            sale = Sale(str(p["sku"]), float(p["qty"]), when) if when else None
        except (ValueError, KeyError, TypeError):
            sale = None
        if sale is None:
            unreadable += 1
        else:
            sales.append(sale)
    # The store's sales from before the backend took its orders (the seeded order history).
    for placed_at, sku, qty in conn.execute(
        "SELECT placed_at, sku, qty FROM order_history WHERE store = ?", (store,)
    ):
        when = parse_time(placed_at)
        if when is None or qty is None:
            unreadable += 1
        else:
            sales.append(Sale(sku, float(qty), when))
    return counts, write_offs, sales, unreadable


def classes(conn: sqlite3.Connection, store: str) -> dict[str, str]:
    """The velocity class of each SKU, as the backend judges a count's tolerance by (its pick
    lines in the order history)."""
    picks = {s: 0 for (s,) in conn.execute("SELECT sku FROM catalog WHERE store = ?", (store,))}
    for sku, n in conn.execute(
        "SELECT sku, COUNT(*) FROM order_history WHERE store = ? GROUP BY sku", (store,)
    ):
        picks[sku] = int(n)
    return dict(velocity_classes(picks))


def shrinkage_inputs(conn: sqlite3.Connection, store: str) -> ShrinkageInputs:
    """Everything the report of `store` is computed on, read on `conn` (in the caller's read
    transaction, or a read-only file)."""
    counts, write_offs, sales, unreadable = read_records(conn, store)
    catalog = {
        sku: (float(price) if price is not None else None, name)
        for sku, price, name in conn.execute(
            "SELECT sku, price, name FROM catalog WHERE store = ?", (store,)
        )
    }
    row = conn.execute("SELECT layout FROM store_meta WHERE store = ?", (store,)).fetchone()
    layout = (row[0] or "") if row else ""
    return ShrinkageInputs(
        counts, write_offs, sales, unreadable, catalog, classes(conn, store), layout
    )
