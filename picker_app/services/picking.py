"""The picker's work on this device: the queue, starting a pick task, saving each decision with
its state change in one transaction, closing totes, and resuming after a crash.

The glue between the domain (`PickSession` decides) and the local cache (`LocalStore` keeps):
no UI here. Every accepted decision goes through `save()`, which applies the events to the
cache's tables and appends them to the outbox in the same transaction, and stores where the
picker is in the task, so a restart lands on the same order at the same line.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from pydantic import ValidationError

from picker_app.domain.events import (
    AnyEvent,
    BadEvent,
    EventPayload,
    PickStarted,
    StockPicked,
    ToteClosed,
)
from picker_app.domain.layout import Cell
from picker_app.domain.picking import PickSession, pick_allowance
from picker_app.domain.queue import task_budget
from picker_app.errors import PickerError, UserError
from picker_app.services.pick_reads import DEFAULT_CONGESTION, PickReads, QueueEntry, parse_time
from picker_app.store import orders as order_rows
from picker_app.store import outbox, projection
from picker_app.store import tasks as task_rows
from picker_app.store import totes as tote_rows
from picker_app.store.db import Busy

__all__ = ["DEFAULT_CONGESTION", "FinishStats", "PickService", "PickTask", "QueueEntry"]

Events = Sequence[AnyEvent]
_E = TypeVar("_E", bound=EventPayload)


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
    repick: frozenset[tuple[str, int]] = frozenset()  # (order, line) sent back by packing


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


class PickService(PickReads):
    """The picker's work against the local cache: its reads (PickReads) and its writes."""

    def open_task(self, picker: str) -> PickTask | None:
        """This picker's unfinished task, rebuilt from the cache (after a crash or restart)."""
        saved_task = task_rows.open_task(self.store, picker)
        if saved_task is None:
            return None
        task_id, orders, totes = saved_task.id, saved_task.orders, saved_task.totes
        self.store.hold(task_id, _what(orders))
        route = saved_task.progress
        saved = {b: tuple(c) for b, c in route.get("cells", {}).items()}
        again = frozenset((o, int(n)) for o, n in route.get("repick", []))
        session, cells = self._session(orders, totes, saved or None, again)
        session.skipped = [tuple(k) for k in route.get("skipped", [])]  # type: ignore[misc]
        session.bin_confirmed = bool(route.get("bin_confirmed", False))
        dropped = set(route.get("dropped", []))
        session.lines = [ln for ln in session.lines if ln.order_id not in dropped]
        lines = {(ln.order_id, ln.line_no): ln for ln in session.lines}
        for order_id, line_no, picked, short in order_rows.progress(self.store, orders):
            if (order_id, line_no) in lines:
                if picked:
                    session.picked[(order_id, line_no)] = float(picked)
                if short:
                    session.short[(order_id, line_no)] = float(short)
        # Orders cancelled while this task was open leave it (their put-back is recorded).
        return PickTask(
            task_id, picker, orders, totes, parse_time(saved_task.started_at) or self.clock(),
            session, cells, again,
        )  # fmt: skip

    # --- writing ----------------------------------------------------------------------------

    def start(self, picker: str, totes: dict[str, str]) -> PickTask:
        """Take the orders of `totes` (order id -> tote label): one task, one route."""
        orders = list(totes)
        if not orders:
            raise ValueError("a pick task needs at least one order")
        again = frozenset(order_rows.repick_lines(self.store, orders))
        session, cells = self._session(orders, totes, repick_lines=again)
        for order_id, line_no, picked, _ in order_rows.progress(self.store, orders):
            if (order_id, line_no) in again and picked:
                session.picked[(order_id, line_no)] = float(picked)  # the rest is sent back
        task = PickTask(
            f"PT-{uuid.uuid4().hex[:10]}", picker, orders, dict(totes), self.clock(), session,
            cells, again,
        )  # fmt: skip
        started = _made(
            PickStarted, task=task.id, orders=tuple(orders), totes=tuple(totes[o] for o in orders)
        )
        with self.store.write():
            task_rows.add(
                self.store, task.id, picker, orders, totes, self._progress(task),
                task.started_at.isoformat(),
            )  # fmt: skip
            tote_rows.take(self.store, totes)
            order_rows.set_state(self.store, orders, "picking")
            self._record(started, picker)
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
            "repick": sorted([o, n] for o, n in task.repick),
        }

    def save(
        self,
        task: PickTask,
        events: Events,
        also: Callable[[], None] | None = None,
    ) -> None:
        """One accepted decision: its events and their effect on the cache, and where the
        picker now is (and `also`), in one transaction. Returns only after the commit.
        Refused (PickerError, nothing saved) if another app on this cache holds the task, or a
        pick would take a line beyond what it needs (as another app's picks of it can)."""
        if not self.store.holds(task.id):
            raise Busy(f"{_what(task.orders)} is held by another picker-app on this device")
        with self.store.write():
            if also is not None:
                also()
            for event in events:
                if isinstance(event, StockPicked):
                    self._refuse_over_pick(event)
                projection.apply(self.store, event, self.clock)
                self._record(event, task.picker)
            task_rows.save_progress(self.store, task.id, self._progress(task))

    def _record(self, event: AnyEvent, user: str) -> None:
        """Record an event (inside the write). The store takes only what the backend's reader
        takes (domain.events.parse_event): one it refuses is this app's defect (e.g. a model
        made without its checks), refused before anything is saved."""
        try:
            self.store.record(event, user)
        except BadEvent as err:
            raise PickerError(err.refusal) from None

    def _refuse_over_pick(self, p: StockPicked) -> None:
        row = order_rows.need(self.store, p.order, p.line)
        if row is None:
            return
        ordered, picked, unit = row
        qty = p.qty
        if picked + qty > ordered + pick_allowance(ordered, unit, self.weight_tolerance) + 1e-9:
            left = max(0.0, ordered - picked)
            raise UserError(
                f"line {p.line} of {p.order} needs only {left:g} more "
                f"({picked:g} of {ordered:g} {'kg ' if unit == 'kg' else ''}already picked)"
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
        for payload, reason in outbox.refused_starts(self.store, task.id):
            for order_id in json.loads(payload).get("orders", []):
                if order_id in live and order_id in (reason or ""):
                    out[order_id] = reason
        return out

    def drop_order(self, task: PickTask, order_id: str, events: Events) -> None:
        """A cancelled order leaves the task: its put-backs recorded and its tote freed, in one
        transaction."""

        def free_tote() -> None:
            tote_rows.free(self.store, task.totes.get(order_id))

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
        closed = [_made(ToteClosed, order=o, tote=task.totes.get(o)) for o in live]
        with self.store.write():
            for event in closed:
                order_rows.set_state(self.store, [event.order], "picked")
                tote_rows.close(self.store, event.tote)
                self._record(event, task.picker)
            task_rows.finish(self.store, task.id, now.isoformat())
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
        lines = order_rows.binned_lines(self.store, task.orders)
        return task_budget(len(task.orders), lines, self.budget)

    def picks_per_hour(self, picker: str, now: datetime) -> float:
        """Lines picked an hour over the picker's finished tasks of the last 12 hours."""
        since = (now - timedelta(hours=12)).isoformat()
        lines = 0
        seconds = 0.0
        for orders, started, finished in task_rows.finished_since(self.store, picker, since):
            begin, end = parse_time(started), parse_time(finished)
            if begin is None or end is None:
                continue
            seconds += max(0.0, (end - begin).total_seconds())
            lines += order_rows.picked_lines(self.store, orders)
        return lines * 3600 / seconds if seconds > 0 else 0.0


def _made(model: type[_E], **fields: Any) -> _E:
    """An event this service makes; one that does not fit its model is this app's defect,
    refused (PickerError) before anything is saved."""
    try:
        return model(**fields)
    except ValidationError as err:
        raise PickerError(BadEvent.built(err).refusal) from None


def _what(orders: Sequence[str]) -> str:
    """How a person names a task: by its orders."""
    return f"order{'s' if len(orders) > 1 else ''} {', '.join(orders)}"
