"""The picker's work on this device: the queue, starting a pick task, saving each decision with
its state change in one transaction, closing totes, and resuming after a crash.

The glue between the domain (`PickSession` decides) and the local cache (`LocalStore` keeps):
no UI here. Every accepted decision goes through `save()`, which applies the events to the
cache's tables and appends them to the outbox in the same transaction, and stores where the
picker is in the task, so a restart lands on the same order at the same line.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from picker_app.domain.layout import Cell, Layout
from picker_app.domain.picking import (
    DEFAULT_WEIGHT_TOLERANCE,
    PickLine,
    PickSession,
    WeightTolerance,
    pick_allowance,
)
from picker_app.domain.queue import PICK_PACK_BUDGET, QueuedOrder, next_orders, task_budget
from picker_app.domain.scan import DEFAULT_SCAN_CONFIG, ScanConfig, lookup_gtins
from picker_app.errors import UserError
from picker_app.store.db import Busy, LocalStore

if TYPE_CHECKING:
    from picker_app.domain.routing import RoutePlanner

Events = Sequence[tuple[str, dict[str, object]]]
DEFAULT_CONGESTION = 0.5  # busy aisles cost up to 1.5x to walk through: a mild detour


@dataclass(frozen=True)
class QueueEntry:
    """An order waiting to be picked, as the queue screen lists it."""

    order: QueuedOrder
    lines: int
    units: float


@dataclass
class PickTask:
    """One pick task: 1..N orders, a tote each, one route."""

    id: str
    picker: str
    orders: list[str]
    totes: dict[str, str]  # order id -> tote label
    started_at: datetime
    session: PickSession
    stop_cells: dict[str, Cell]  # bin code -> the cell the picker stands on to pick it


@dataclass(frozen=True)
class FinishStats:
    """What the picker sees when a task is done."""

    lines: int  # lines picked (not short)
    pieces: int  # pieces picked on those lines sold by the piece
    kg: float  # kilograms picked on those lines sold by weight
    short: int
    took: timedelta
    budget: timedelta  # this task's (PickService.task_budget)
    lines_per_hour: float  # this task's lines an hour
    picks_per_hour: float  # this picker's picked lines an hour over the shift's tasks


def _parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    when = datetime.fromisoformat(text)
    return when if when.tzinfo else when.replace(tzinfo=UTC)


class PickService:
    """The picker's work against the local cache."""

    def __init__(
        self,
        store: LocalStore,
        layout: Layout,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        require_bin_scan: bool = True,
        congestion: float = DEFAULT_CONGESTION,
        budget: timedelta = PICK_PACK_BUDGET,
        scan_config: ScanConfig = DEFAULT_SCAN_CONFIG,
        weight_tolerance: WeightTolerance = DEFAULT_WEIGHT_TOLERANCE,
    ) -> None:
        self.store = store
        self.weight_tolerance = weight_tolerance
        self.scan_config = scan_config
        self.layout = layout
        self.clock = clock
        self.require_bin_scan = require_bin_scan
        self.congestion = congestion
        self.budget = budget
        self._planner: RoutePlanner | None = None

    # --- reading ----------------------------------------------------------------------------

    @property
    def planner(self) -> RoutePlanner:
        """The heat-aware planner: busy aisles (by recent picks) cost more to walk through."""
        if self._planner is None:
            # Imported here: numpy and scipy are not needed before the first route (start-up).
            from picker_app.domain.routing import RoutePlanner

            heat: dict[str, float] = {}
            for code, picks in self.store.conn.execute(
                "SELECT bin, SUM(qty) FROM pick_history GROUP BY bin"
            ):
                try:
                    bay = self.layout.bin(code).bay.code
                except UserError:
                    continue  # a bin no longer in the layout
                heat[bay] = heat.get(bay, 0.0) + float(picks or 0)
            self._planner = RoutePlanner(self.layout, heat, self.congestion if heat else None)
        return self._planner

    def queue(self, limit: int = 20) -> list[QueueEntry]:
        """Orders waiting to be picked, in the order they should be taken."""
        rows = self.store.conn.execute(
            "SELECT o.id, o.state, o.promised_at, o.priority, COUNT(l.line_no),"
            " COALESCE(SUM(l.qty_ordered), 0) FROM orders o"
            " JOIN order_line l ON l.order_id = o.id"
            " WHERE o.state IN ('placed', 'confirmed') GROUP BY o.id"
        ).fetchall()
        by_id = {r[0]: r for r in rows}
        queued = [QueuedOrder(r[0], r[1], _parse_time(r[2]), int(r[3] or 0)) for r in rows]
        return [
            QueueEntry(o, by_id[o.id][4], float(by_id[o.id][5]))
            for o in next_orders(queued, batch=limit)
        ]

    def backend_now(self) -> datetime:
        """The backend's time: this device's clock and the offset measured at the last sync
        (promise times are the backend's)."""
        row = self.store.conn.execute(
            "SELECT value FROM sync_state WHERE key = 'clock_offset_s'"
        ).fetchone()
        try:
            offset = float(row[0]) if row else 0.0
        except ValueError:
            offset = 0.0
        return self.clock() + timedelta(seconds=offset)

    def waiting(self) -> int:
        """How many orders wait to be picked."""
        return int(self.store.conn.execute(
            "SELECT COUNT(*) FROM orders WHERE state IN ('placed', 'confirmed')"
        ).fetchone()[0])  # fmt: skip

    def order_state(self, order_id: str) -> str | None:
        row = self.store.conn.execute(
            "SELECT state FROM orders WHERE id = ?", (order_id,)
        ).fetchone()
        return row[0] if row else None

    def order_problem(self, order_id: str) -> str | None:
        """Why `order_id` cannot be taken for picking now, or None when it can."""
        state = self.order_state(order_id)
        why = {
            None: "is not on this device yet (new? it comes with the next sync)",
            "picking": "is already being picked",
            "picked": "is already picked: it is waiting for packing",
            "packed": "is already packed",
            "dispatched": "has left the store",
            "delivered": "has been delivered",
            "cancelled": "was cancelled by the customer",
        }
        if state in ("placed", "confirmed"):
            return None
        return f"Order {order_id} {why.get(state, f'is {state}')}: take another."

    def tote_problem(self, code: str, taken: Sequence[str] = ()) -> str | None:
        """Why a tote label cannot take a new order, or None when it can."""
        if code in taken:
            return f"Tote {code} is already used for another order of this batch: scan another."
        row = self.store.conn.execute(
            "SELECT t.order_id, t.state, o.state FROM tote t LEFT JOIN orders o"
            " ON o.id = t.order_id WHERE t.code = ?",
            (code,),
        ).fetchone()
        if row is None:
            return None
        order_id, tote_state, order_state = row
        if tote_state == "picking":
            return f"Tote {code} is in use for order {order_id}: take an empty tote."
        # A closed tote is busy until packing releases it: until the backend says its order
        # is packed (or cancelled, or gone from the open orders).
        if tote_state == "closed" and order_state in ("picking", "picked"):
            return f"Tote {code} is with order {order_id} at packing: take an empty tote."
        return None

    def open_task(self, picker: str) -> PickTask | None:
        """This picker's unfinished task, rebuilt from the cache (after a crash or restart)."""
        row = self.store.conn.execute(
            "SELECT id, order_ids, totes, route, started_at FROM pick_task"
            " WHERE picker = ? AND finished_at IS NULL ORDER BY started_at DESC LIMIT 1",
            (picker,),
        ).fetchone()
        if row is None:
            return None
        task_id, orders_json, totes_json, route_json, started = row
        orders = json.loads(orders_json)
        self.store.hold(task_id, _what(orders))
        totes = json.loads(totes_json or "{}")
        route = json.loads(route_json or "{}")
        saved = {b: tuple(c) for b, c in route.get("cells", {}).items()}
        session, cells = self._session(orders, totes, saved or None)
        session.skipped = [tuple(k) for k in route.get("skipped", [])]  # type: ignore[misc]
        session.bin_confirmed = bool(route.get("bin_confirmed", False))
        dropped = set(route.get("dropped", []))
        session.lines = [ln for ln in session.lines if ln.order_id not in dropped]
        lines = {(ln.order_id, ln.line_no): ln for ln in session.lines}
        for order_id, line_no, picked, short in self.store.conn.execute(
            "SELECT order_id, line_no, qty_picked, qty_short FROM order_line"
            f" WHERE order_id IN ({','.join('?' * len(orders))})",
            orders,
        ):
            if (order_id, line_no) in lines:
                if picked:
                    session.picked[(order_id, line_no)] = float(picked)
                if short:
                    session.short[(order_id, line_no)] = float(short)
        # Orders cancelled while this task was open leave it (their put-back is recorded).
        return PickTask(
            task_id, picker, orders, totes, _parse_time(started) or self.clock(), session, cells
        )

    def _session(
        self,
        orders: Sequence[str],
        totes: dict[str, str],
        saved: dict[str, Cell] | None = None,
    ) -> tuple[PickSession, dict[str, Cell]]:
        """The lines of `orders` in route order, and where each stop is picked from: planned
        now, or as `saved` when the task was planned before (a restart keeps its route, even
        if the heat has changed since)."""
        rows = self.store.conn.execute(
            "SELECT l.order_id, l.line_no, COALESCE(l.substitute_sku, l.sku), l.qty_ordered,"
            " s.name, s.unit, s.bin, s.category FROM order_line l JOIN sku s"
            " ON s.sku = COALESCE(l.substitute_sku, l.sku)"
            f" WHERE l.order_id IN ({','.join('?' * len(orders))})"
            " ORDER BY l.order_id, l.line_no",
            list(orders),
        ).fetchall()
        lines: list[PickLine] = []
        for order_id, line_no, sku, qty, name, unit, bin_, category in rows:
            if not bin_:
                continue  # nowhere to pick it from: the backend will short it
            lines.append(
                PickLine(
                    order_id,
                    line_no,
                    sku,
                    name,
                    bin_,
                    float(qty),
                    unit,
                    self._gtins(sku),
                    self._zone(bin_),
                    totes.get(order_id),
                    category,
                )  # fmt: skip
            )
        if not lines:
            return self._new_session([]), {}
        if saved is not None and all(ln.bin in saved for ln in lines):
            cells = dict(saved)  # in the saved route order
        else:
            route = self.planner.plan(ln.bin for ln in lines)
            cells = {stop.bin: stop.cell for stop in route.stops}
        rank = {b: i for i, b in enumerate(cells)}
        position = {order_id: i for i, order_id in enumerate(orders)}
        lines.sort(key=lambda ln: (rank[ln.bin], position[ln.order_id], ln.line_no))
        return self._new_session(lines), cells

    def _new_session(self, lines: list[PickLine]) -> PickSession:
        return PickSession(
            lines, self.require_bin_scan, self.clock().date(),
            weight_tolerance=self.weight_tolerance,
        )  # fmt: skip

    def _gtins(self, sku: str) -> frozenset[str]:
        """A product's barcodes as 14-digit GTINs, with the look-up GTINs the store's own weight
        labels read as for an item sold by weight."""
        rows = self.store.conn.execute("SELECT gtin FROM sku_barcode WHERE sku = ?", (sku,))
        gtins = {g.zfill(14) for (g,) in rows}
        code = self.store.conn.execute(
            "SELECT store_code FROM sku WHERE sku = ? AND unit = 'kg'", (sku,)
        ).fetchone()
        if code and code[0]:
            gtins |= lookup_gtins(code[0], self.scan_config.variable_measure)
        return frozenset(gtins)

    def _zone(self, bin_code: str) -> str:
        try:
            return self.layout.bin(bin_code).bay.zone
        except UserError:
            return "?"

    def line_for(self, sku: str) -> PickLine | None:
        """A product as a pick line (for substitutes): its name, bin, unit and barcodes."""
        row = self.store.conn.execute(
            "SELECT name, unit, bin, category FROM sku WHERE sku = ?", (sku,)
        ).fetchone()
        if row is None or not row[2]:
            return None
        name, unit, bin_, category = row
        return PickLine("", 0, sku, name, bin_, 0.0, unit, self._gtins(sku), self._zone(bin_),
                        None, category)  # fmt: skip

    def suggested(self, line: PickLine) -> list[str]:
        """The backend's substitutes for `line` (best first), as it sent them with the order."""
        row = self.store.conn.execute(
            "SELECT suggestions FROM order_line WHERE order_id = ? AND line_no = ?",
            (line.order_id, line.line_no),
        ).fetchone()
        try:
            found = json.loads(row[0]) if row and row[0] else []
        except ValueError:
            return []
        return [str(sku) for sku in found if sku != line.sku] if isinstance(found, list) else []

    def substitutes(self, line: PickLine, limit: int = 5) -> list[tuple[PickLine, float]]:
        """Products to offer instead of `line`, with the stock on hand: first the backend's
        suggestions, then more of the same category and unit, the closest in price first;
        each in stock here (enough for the line)."""
        offered: list[tuple[PickLine, float]] = []
        for sku in self.suggested(line):
            on_hand = self.store.conn.execute(
                "SELECT COALESCE(SUM(on_hand), 0) FROM stock WHERE sku = ?", (sku,)
            ).fetchone()[0]
            sub = self.line_for(sku)
            if sub is not None and on_hand >= line.qty and len(offered) < limit:
                offered.append((sub, float(on_hand)))
        return offered + [
            (sub, on_hand)
            for sub, on_hand in self._same_category(line, limit + len(offered))
            if sub.sku not in {o.sku for o, _ in offered}
        ][: limit - len(offered)]

    def _same_category(self, line: PickLine, limit: int) -> list[tuple[PickLine, float]]:
        """Same category and unit, in stock (enough for the line), the closest in price first."""
        price_row = self.store.conn.execute(
            "SELECT price FROM sku WHERE sku = ?", (line.sku,)
        ).fetchone()
        price = float(price_row[0] or 0) if price_row else 0.0
        rows = self.store.conn.execute(
            "SELECT s.sku, SUM(st.on_hand) AS on_hand FROM sku s JOIN stock st ON st.sku = s.sku"
            " WHERE s.category = ? AND s.unit = ? AND s.sku != ? AND s.bin IS NOT NULL"
            " GROUP BY s.sku HAVING on_hand >= ? ORDER BY ABS(COALESCE(s.price, 0) - ?), s.sku"
            " LIMIT ?",
            (line.category, line.unit, line.sku, line.qty, price, limit),
        ).fetchall()
        out = []
        for sku, on_hand in rows:
            sub = self.line_for(sku)
            if sub is not None:
                out.append((sub, float(on_hand)))
        return out

    # --- writing ----------------------------------------------------------------------------

    def start(self, picker: str, totes: dict[str, str]) -> PickTask:
        """Take the orders of `totes` (order id -> tote label): one task, one route."""
        orders = list(totes)
        if not orders:
            raise ValueError("a pick task needs at least one order")
        session, cells = self._session(orders, totes)
        task = PickTask(
            f"PT-{uuid.uuid4().hex[:10]}", picker, orders, dict(totes), self.clock(), session,
            cells,
        )  # fmt: skip
        with self.store.write() as conn:
            conn.execute(
                "INSERT INTO pick_task (id, picker, order_ids, totes, route, started_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (task.id, picker, json.dumps(orders), json.dumps(totes),
                 json.dumps(self._progress(task)), task.started_at.isoformat()),
            )  # fmt: skip
            conn.executemany(
                "INSERT INTO tote (code, order_id, state) VALUES (?, ?, 'picking')"
                " ON CONFLICT (code) DO UPDATE SET order_id = excluded.order_id,"
                " state = 'picking'",
                [(tote, order_id) for order_id, tote in totes.items()],
            )
            conn.executemany(
                "UPDATE orders SET state = 'picking' WHERE id = ?", [(o,) for o in orders]
            )
            self.store.record(
                "pick_started",
                {"task": task.id, "orders": orders, "totes": [totes[o] for o in orders]},
                picker,
            )
        self.store.hold(task.id, _what(orders))
        return task

    @staticmethod
    def _progress(task: PickTask) -> dict[str, object]:
        live = task.session.orders()
        return {
            "stops": [ln.bin for ln in task.session.lines],
            "skipped": [list(k) for k in task.session.skipped],
            "bin_confirmed": task.session.bin_confirmed,
            "dropped": [o for o in task.orders if o not in live],
            "cells": {b: list(c) for b, c in task.stop_cells.items()},
        }

    def save(
        self,
        task: PickTask,
        events: Events,
        also: Callable[[sqlite3.Connection], None] | None = None,
    ) -> None:
        """One accepted decision: its events and their effect on the cache, and where the
        picker now is (and `also`), in one transaction. Returns only after the commit.
        Refused (PickerError, nothing saved) if another app on this cache holds the task, or a
        pick would take a line beyond what it needs (as another app's picks of it can)."""
        if not self.store.holds(task.id):
            raise Busy(f"{_what(task.orders)} is held by another picker-app on this device")
        with self.store.write() as conn:
            if also is not None:
                also(conn)
            for type_, payload in events:
                if type_ == "stock_picked":
                    self._refuse_over_pick(conn, payload)
                self._apply(conn, type_, payload)
                self.store.record(type_, dict(payload), task.picker)
            conn.execute(
                "UPDATE pick_task SET route = ? WHERE id = ?",
                (json.dumps(self._progress(task)), task.id),
            )

    def _refuse_over_pick(self, conn: sqlite3.Connection, p: dict[str, object]) -> None:
        row = conn.execute(
            "SELECT l.qty_ordered, l.qty_picked, COALESCE(s.unit, 'each') FROM order_line l"
            " LEFT JOIN sku s ON s.sku = COALESCE(l.substitute_sku, l.sku)"
            " WHERE l.order_id = ? AND l.line_no = ?",
            (p.get("order"), p.get("line")),
        ).fetchone()
        if row is None:
            return
        ordered, picked, unit = row
        qty = float(p.get("qty", 0) or 0)  # type: ignore[arg-type]
        if picked + qty > ordered + pick_allowance(ordered, unit, self.weight_tolerance) + 1e-9:
            left = max(0.0, ordered - picked)
            raise UserError(
                f"line {p.get('line')} of {p.get('order')} needs only {left:g} more "
                f"({picked:g} of {ordered:g} {'kg ' if unit == 'kg' else ''}already picked)"
            )

    def _apply(self, conn, type_: str, p: dict[str, object]) -> None:  # type: ignore[no-untyped-def]
        """The local effect of one event (the backend applies the same when it arrives)."""
        qty = float(p.get("qty", 0) or 0)  # type: ignore[arg-type]
        if type_ == "stock_picked":
            conn.execute(
                "UPDATE order_line SET qty_picked = qty_picked + ? WHERE order_id = ?"
                " AND line_no = ?",
                (qty, p["order"], p["line"]),
            )
            conn.execute(
                "INSERT INTO pick_history (at, bin, sku, qty) VALUES (?, ?, ?, ?)",
                (self.clock().isoformat(), p["bin"], p["sku"], qty),
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
            conn.execute(
                "UPDATE stock SET on_hand = 0 WHERE bin = ? AND sku = ?", (p["bin"], p["sku"])
            )

    def cancelled(self, task: PickTask) -> list[str]:
        """Orders of the task the backend says were cancelled (and still in the session)."""
        live = task.session.orders()
        return [o for o in task.orders if o in live and self.order_state(o) == "cancelled"]

    def refused(self, task: PickTask) -> dict[str, str]:
        """Orders of the task whose start the backend refused (e.g. another device is picking
        them), with the backend's reason."""
        out: dict[str, str] = {}
        live = task.session.orders()
        for payload, reason in self.store.conn.execute(
            "SELECT o.payload, r.reason FROM outbox o JOIN rejected r ON r.event_id = o.event_id"
            " WHERE o.type = 'pick_started' AND json_extract(o.payload, '$.task') = ?",
            (task.id,),
        ):
            for order_id in json.loads(payload).get("orders", []):
                if order_id in live and order_id in (reason or ""):
                    out[order_id] = reason
        return out

    def drop_order(self, task: PickTask, order_id: str, events: Events) -> None:
        """A cancelled order leaves the task: its put-backs recorded and its tote freed, in one
        transaction."""

        def free_tote(conn: sqlite3.Connection) -> None:
            conn.execute(
                "UPDATE tote SET state = 'free', order_id = NULL WHERE code = ?",
                (task.totes.get(order_id),),
            )

        self.save(task, events, also=free_tote)

    @staticmethod
    def live_orders(task: PickTask) -> list[str]:
        """The task's orders still being picked (not dropped: cancelled or taken elsewhere)."""
        live = task.session.orders()
        return [o for o in task.orders if o in live]

    def finish(self, task: PickTask) -> FinishStats:
        """Close every tote of the task (its order is then waiting for packing) and end it."""
        now = self.clock()
        live = self.live_orders(task)
        with self.store.write() as conn:
            for order_id in live:
                tote = task.totes.get(order_id)
                conn.execute("UPDATE orders SET state = 'picked' WHERE id = ?", (order_id,))
                conn.execute("UPDATE tote SET state = 'closed' WHERE code = ?", (tote,))
                self.store.record("tote_closed", {"order": order_id, "tote": tote}, task.picker)
            conn.execute(
                "UPDATE pick_task SET finished_at = ? WHERE id = ?", (now.isoformat(), task.id)
            )
        self.store.release(task.id)
        session = task.session
        done = [ln for ln in session.lines if session.key(ln) not in session.short]
        picked = {ln.unit: 0.0 for ln in done}
        for ln in done:
            picked[ln.unit] += session.picked.get(session.key(ln), 0.0)
        took = now - task.started_at
        seconds = took.total_seconds()
        return FinishStats(
            lines=len(done),
            pieces=round(sum(qty for unit, qty in picked.items() if unit != "kg")),
            kg=picked.get("kg", 0.0),
            short=len(session.short),
            took=took,
            budget=self.task_budget(task),
            lines_per_hour=len(done) * 3600 / seconds if seconds > 0 else 0.0,
            picks_per_hour=self.picks_per_hour(task.picker, now),
        )

    def task_budget(self, task: PickTask) -> timedelta:
        """The task's pick-and-pack budget (domain.queue.task_budget, on this service's base):
        by its orders and the lines its route has, as taken (an order cancelled on the way
        keeps its share: it was bound, and its items put back)."""
        lines = self.store.conn.execute(
            "SELECT COUNT(*) FROM order_line l JOIN sku s"
            " ON s.sku = COALESCE(l.substitute_sku, l.sku)"
            f" WHERE l.order_id IN ({','.join('?' * len(task.orders))}) AND s.bin != ''",
            task.orders,
        ).fetchone()[0]
        return task_budget(len(task.orders), int(lines), self.budget)

    def picks_per_hour(self, picker: str, now: datetime) -> float:
        """Lines picked an hour over the picker's finished tasks of the last 12 hours."""
        since = (now - timedelta(hours=12)).isoformat()
        lines = 0
        seconds = 0.0
        for orders_json, started, finished in self.store.conn.execute(
            "SELECT order_ids, started_at, finished_at FROM pick_task WHERE picker = ?"
            " AND finished_at IS NOT NULL AND started_at >= ?",
            (picker, since),
        ):
            begin, end = _parse_time(started), _parse_time(finished)
            if begin is None or end is None:
                continue
            seconds += max(0.0, (end - begin).total_seconds())
            orders = json.loads(orders_json)
            lines += self.store.conn.execute(
                f"SELECT COUNT(*) FROM order_line WHERE order_id IN ({','.join('?' * len(orders))})"
                " AND qty_picked > 0",
                orders,
            ).fetchone()[0]
        return lines * 3600 / seconds if seconds > 0 else 0.0


def _what(orders: Sequence[str]) -> str:
    """How a person names a task: by its orders."""
    return f"order{'s' if len(orders) > 1 else ''} {', '.join(orders)}"
