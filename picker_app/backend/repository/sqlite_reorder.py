"""Reorder and pick-face replenishment in SQLite (issue 14): a product's sales (the order history
and the picks applied since), the replenishment tasks as the effects write them (a mixin of
SqliteEventWrites) and as the devices get them, and what the reorder list is computed on, read
in one read transaction on a reader connection."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, runtime_checkable

from picker_app.backend.repository import ReplenishTaskRow
from picker_app.domain.reorder import REPLENISH_DAYS
from picker_app.domain.times import parse_time
from picker_app.wire import ReplenishTaskWire


def sales(
    conn: sqlite3.Connection, store: str, since: datetime, until: datetime, sku: str | None = None
) -> Iterator[tuple[datetime, str, float]]:
    """(when, sku, qty) of each sale of `store` (of `sku` alone if given) after `since` up to
    `until`: the lines of the order history, then the picks applied (stock_picked events)."""
    where, args = ("AND sku = ?", (sku,)) if sku else ("", ())
    for placed_at, s, qty in conn.execute(
        f"SELECT placed_at, sku, qty FROM order_history WHERE store = ? {where}", (store, *args)
    ):
        when = parse_time(placed_at)
        if when is not None and since < when <= until:
            yield when, s, float(qty)
    # A pick's stock move is dated by the event (a UTC instant: text order is time order).
    moved = (
        "SELECT m.at, m.sku, -m.delta FROM stock_moves m JOIN events e ON e.event_id = m.event_id"
        f" WHERE m.store = ? {where.replace('sku', 'm.sku')} AND m.at > ? AND m.at <= ?"
        " AND e.type = 'stock_picked' AND e.status = 'applied' AND m.delta < 0"
    )
    bounds = (since.astimezone(UTC).isoformat(), until.astimezone(UTC).isoformat())
    for at, s, qty in conn.execute(moved, (store, *args, *bounds)):
        when = parse_time(at)
        if when is not None:
            yield when, s, float(qty)


UPSERT_SALES = (
    "INSERT INTO sales_by_day (store, sku, day, qty) VALUES (?, ?, ?, ?)"
    " ON CONFLICT (store, sku, day) DO UPDATE SET qty = sales_by_day.qty + excluded.qty"
)


class SqliteReplenishWrites:
    """The replenishment part of SqliteEventWrites (one store, the writer's connection)."""

    conn: sqlite3.Connection
    store: str
    _memo: dict[object, Any]  # SqliteEventWrites'
    _sales: dict[tuple[str, str], float]  # (sku, UTC day): qty sold, not yet written

    def _one(self, sql: str, *args: object) -> Any: ...  # SqliteEventWrites'

    def _change(self, kind: str, key: str) -> None: ...  # SqliteEventWrites'

    # A batch's reads that its own writes keep up to date (SqliteEventWrites._memo): the
    # setting once, and each product's sales over a window once, plus what the batch sells.
    def replenish_days(self) -> float:
        if "replenish_days" not in self._memo:
            row = self._one("SELECT replenish_days FROM store_settings WHERE store = ?")
            days = float(row[0]) if row and row[0] is not None else REPLENISH_DAYS
            self._memo["replenish_days"] = days
        return float(self._memo["replenish_days"])

    def sales_per_day(self, sku: str, until: str, days: int) -> float:
        # From the sales a day (one row per product and UTC day: a few rows, not every line).
        end = parse_time(until) or datetime.now(UTC)
        last = end.astimezone(UTC).date().isoformat()
        first = (end.astimezone(UTC).date() - timedelta(days=days)).isoformat()
        windows = self._memo.setdefault(("sales", sku), {})
        if (first, last) not in windows:
            stored = float(self._one(
                "SELECT COALESCE(SUM(qty), 0) FROM sales_by_day WHERE store = ? AND sku = ?"
                " AND day > ? AND day <= ?",
                sku, first, last,
            )[0])  # fmt: skip
            waiting = sum(q for (s, d), q in self._sales.items() if s == sku and first < d <= last)
            windows[first, last] = stored + waiting
        return float(windows[first, last]) / days

    def record_sale(self, sku: str, qty: float, at: str) -> None:
        """A pick applied: `qty` of `sku` sold on the UTC day of `at` (written with the batch's
        events, a product's day once however many picks it had)."""
        day = (parse_time(at) or datetime.now(UTC)).astimezone(UTC).date().isoformat()
        self._sales[sku, day] = self._sales.get((sku, day), 0.0) + qty
        windows = self._memo.get(("sales", sku), {})
        for first, last in windows:
            if first < day <= last:
                windows[first, last] += qty

    def _flush_sales(self) -> None:
        if self._sales:
            rows = [(self.store, sku, day, qty) for (sku, day), qty in self._sales.items()]
            self._write_sales(rows)
            self._sales = {}

    def _write_sales(self, rows: list[tuple[str, str, str, float]]) -> None:
        self.conn.executemany(UPSERT_SALES, rows)

    def open_replenish_for(self, bin_: str, sku: str) -> bool:
        # The store's open tasks read once a batch (a pick asks for its bin), kept up to date.
        if "open_replenish" not in self._memo:
            self._memo["open_replenish"] = {(r[0], r[1]) for r in self.conn.execute(
                "SELECT bin, sku FROM replenish_tasks WHERE store = ? AND state = 'open'",
                (self.store,),
            )}  # fmt: skip
        return (bin_, sku) in self._memo["open_replenish"]

    def open_replenish_task(self, task_id: str, bin_: str, sku: str, qty: float, at: str) -> None:
        opened = self.conn.execute(
            "INSERT INTO replenish_tasks (store, id, bin, sku, qty, state, opened_at)"
            " VALUES (?, ?, ?, ?, ?, 'open', ?) ON CONFLICT DO NOTHING",
            (self.store, task_id, bin_, sku, qty, at),
        )
        if opened.rowcount and "open_replenish" in self._memo:
            self._memo["open_replenish"].add((bin_, sku))
        self._change("replenish_task", task_id)

    def replenish_task(self, task_id: str) -> ReplenishTaskRow | None:
        row = self._one(
            "SELECT bin, sku, qty, state FROM replenish_tasks WHERE store = ? AND id = ?", task_id
        )
        return ReplenishTaskRow(*row) if row else None

    def finish_replenish_task(self, task_id: str, brought: float, at: str) -> None:
        self.conn.execute(
            "UPDATE replenish_tasks SET state = 'done', brought = ?, done_at = ?"
            " WHERE store = ? AND id = ?",
            (brought, at, self.store, task_id),
        )
        self._memo.pop("open_replenish", None)  # read again if asked
        self._change("replenish_task", task_id)


# The devices' reads.
def replenish_task_wire(
    conn: sqlite3.Connection, store: str, task_id: str
) -> ReplenishTaskWire | None:
    """A replenishment task as the devices get it, or None."""
    r = conn.execute(
        "SELECT id, bin, sku, qty, state FROM replenish_tasks WHERE store = ? AND id = ?",
        (store, task_id),
    ).fetchone()
    if r is None:
        return None
    return ReplenishTaskWire(id=r[0], bin=r[1], sku=r[2], qty=r[3], state=r[4])


def open_replenish_tasks(conn: sqlite3.Connection, store: str) -> list[ReplenishTaskWire]:
    """The replenishment tasks not done yet, by id."""
    return [
        ReplenishTaskWire(id=r[0], bin=r[1], sku=r[2], qty=r[3], state=r[4])
        for r in conn.execute(
            "SELECT id, bin, sku, qty, state FROM replenish_tasks WHERE store = ?"
            " AND state = 'open' ORDER BY id",
            (store,),
        )
    ]


# What the reorder list is computed on.
@runtime_checkable
class ReorderStorage(Protocol):
    """What the reorder list needs of the backend's storage (BackendDB has it)."""

    def reading(self) -> AbstractContextManager[sqlite3.Connection]: ...


@dataclass(frozen=True)
class ReorderInputs:
    """A store's stock per product (summed over its bins), each product's (name, unit), and
    its sales of the window as (when, sku, qty)."""

    on_hand: dict[str, float]
    products: dict[str, tuple[str, str]]
    sales: list[tuple[datetime, str, float]]


def reorder_inputs(db: ReorderStorage, store: str, until: datetime, days: int) -> ReorderInputs:
    """What the reorder list of `store` is computed on, in one read: the stock now and the
    sales of the `days` to `until`."""
    with db.reading() as conn:
        on_hand = {
            r[0]: float(r[1])
            for r in conn.execute(
                "SELECT sku, SUM(CASE WHEN on_hand > 0 THEN on_hand ELSE 0 END) FROM stock"
                " WHERE store = ? GROUP BY sku",
                (store,),
            )
        }
        products = {
            r[0]: (r[1], r[2])
            for r in conn.execute("SELECT sku, name, unit FROM catalog WHERE store = ?", (store,))
        }
        sold = list(sales(conn, store, until - timedelta(days=days), until))
    return ReorderInputs(on_hand, products, sold)


def set_replenish_days(conn: sqlite3.Connection, store: str, days: float) -> None:
    """The store's pick-face minimum, in days of its products' sales."""
    conn.execute(
        "INSERT INTO store_settings (store, replenish_days) VALUES (?, ?) ON CONFLICT (store)"
        " DO UPDATE SET replenish_days = excluded.replenish_days",
        (store, days),
    )
