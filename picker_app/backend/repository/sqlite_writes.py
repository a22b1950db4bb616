"""The effects' storage in SQLite (EventWrites): one store, on the writer's connection, inside
the batch's transaction (repository/sqlite.py opens it)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from picker_app.backend.clock import now
from picker_app.backend.repository import CountSchedule, CountTaskRow, OrderLineRow
from picker_app.backend.repository.sqlite_reorder import SqliteReplenishWrites
from picker_app.backend.repository.sqlite_slotting import SqliteSlotMoveWrites
from picker_app.wire import WireEvent

_T = TypeVar("_T")

# What an event's own data can make the database refuse (a number out of range, a constraint):
# that event is refused alone, its writes undone (SqliteEventWrites.attempt).
_EVENTS_FAULT = (sqlite3.IntegrityError, sqlite3.DataError, OverflowError)

_INSERT_EVENT = (
    "INSERT INTO events (event_id, store, device, seq, type, payload, created_at, received_at,"
    " status, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def record_change(conn: sqlite3.Connection, store: str, kind: str, key: str) -> None:
    """A change for the devices' feed (changes after a cursor)."""
    conn.execute(
        "INSERT INTO changes (store, kind, key, at) VALUES (?, ?, ?, ?)", (store, kind, key, now())
    )


def move_order(
    conn: sqlite3.Connection, store: str, order_id: str, state: str, claimed_by: str | None = None
) -> bool:
    """Move a known order to `state` (claimed by `claimed_by` when given); whether it is known."""
    return bool(conn.execute(
        "UPDATE orders SET state = ?, claimed_by = COALESCE(?, claimed_by)"
        " WHERE store = ? AND id = ?",
        (state, claimed_by, store, order_id),
    ).rowcount)  # fmt: skip


def set_order(
    conn: sqlite3.Connection, store: str, order_id: str, state: str, claimed_by: str | None = None
) -> None:
    """Move a known order to `state` (a change for the devices); an order this backend does not
    know is left alone, with no change (a devices' page could not send it)."""
    if move_order(conn, store, order_id, state, claimed_by):
        record_change(conn, store, "order", order_id)


class SqliteEventWrites(SqliteSlotMoveWrites, SqliteReplenishWrites):
    """EventWrites of one store on `conn` (the writer's, in a transaction).

    A batch runs first with no undo point per event (`apply_all`): what each event was answered
    before is read for the whole batch at once (`expect`), and the events and the devices'
    changes are written together at the end, a change named twice once (a bin picked twenty
    times is one change). If an event's writes fail in the database, the whole batch is undone
    and run again, each event under its own savepoint, so that one alone is refused."""

    def __init__(self, conn: sqlite3.Connection, store: str) -> None:
        self.conn = conn
        self.store = store
        self._careful = False  # each event under its own savepoint (see apply_all)
        self._answered: dict[tuple[str, str], tuple[str, str | None]] = {}  # expect()'s
        self._reset()

    def _reset(self) -> None:
        """Forget what this run of the batch wrote but has not yet put in the database."""
        self._recorded: dict[tuple[str, str], tuple[str, str | None]] = {}
        self._events: list[tuple[object, ...]] = []  # rows for `events`, written at the end
        self._changes: dict[tuple[str, str], str] = {}  # (kind, key): when first changed
        self._memo: dict[object, Any] = {}  # reads this batch's own writes keep up to date
        self._sales: dict[tuple[str, str], float] = {}  # record_sale's, written at the end

    def _one(self, sql: str, *args: object) -> Any:
        return self.conn.execute(sql, (self.store, *args)).fetchone()

    def _change(self, kind: str, key: str) -> None:
        self._changes.setdefault((kind, key), now())

    def flush(self) -> None:
        """Write what waits to be written: the events, the changes, the day's sales."""
        if self._events:
            self.conn.executemany(_INSERT_EVENT, self._events)
            self._events = []
        if self._changes:
            self.conn.executemany(
                "INSERT INTO changes (store, kind, key, at) VALUES (?, ?, ?, ?)",
                [(self.store, kind, key, at) for (kind, key), at in self._changes.items()],
            )
            self._changes = {}
        self._flush_sales()

    # The event log.
    def expect(self, device: str, event_ids: Sequence[str]) -> None:
        wanted = list(dict.fromkeys(event_ids))
        for i in range(0, len(wanted), 500):
            chunk = wanted[i : i + 500]
            marks = ", ".join("?" * len(chunk))
            for event_id, status, reason in self.conn.execute(
                "SELECT event_id, status, reason FROM events WHERE store = ? AND device = ?"
                f" AND event_id IN ({marks})",
                (self.store, device, *chunk),
            ):
                self._answered[device, event_id] = (status, reason)
            for event_id in chunk:
                self._answered.setdefault((device, event_id), ("", None))

    def seen(self, device: str, event_id: str) -> tuple[str, str | None] | None:
        key = (device, event_id)
        if key in self._recorded:
            return self._recorded[key]
        known = self._answered.get(key)
        if known is not None:
            return known if known[0] else None
        row = self._one(
            "SELECT status, reason FROM events WHERE store = ? AND device = ? AND event_id = ?",
            device, event_id,
        )  # fmt: skip
        return (row[0], row[1]) if row else None

    def apply_all(self, run: Callable[[], _T]) -> _T:
        self.conn.execute("SAVEPOINT batch")
        try:
            result = run()
            self.flush()
        except _EVENTS_FAULT:
            self.conn.execute("ROLLBACK TO batch")
            self._reset()
            self._careful = True
            result = run()
            self.flush()
        self.conn.execute("RELEASE batch")
        return result

    def attempt(self, effect: Callable[[], str | None]) -> str | None:
        if not self._careful:
            return effect()  # a fault undoes the batch: apply_all runs it again, carefully
        self.flush()
        self.conn.execute("SAVEPOINT event")
        try:
            reason = effect()
            self.flush()
        except _EVENTS_FAULT as err:
            # This event's data, not the database, is at fault: undo its part, refuse it alone.
            self.conn.execute("ROLLBACK TO event")
            self._changes = {}
            self._memo = {}
            self._sales = {}
            reason = f"the backend could not apply this event ({type(err).__name__})"
        self.conn.execute("RELEASE event")
        return reason

    def record_event(
        self, device: str, event: WireEvent, payload: str, received_at: str, reason: str | None
    ) -> None:
        status = "rejected" if reason else "applied"
        self._recorded[device, event.event_id] = (status, reason)
        self._events.append((
            event.event_id, self.store, device, event.seq, event.type, payload,
            event.created_at, received_at, status, reason,
        ))  # fmt: skip

    # Orders.
    def order_state(self, order_id: str) -> tuple[str, str | None] | None:
        row = self._one("SELECT state, claimed_by FROM orders WHERE store = ? AND id = ?", order_id)
        return (row[0], row[1]) if row else None

    def set_order(self, order_id: str, state: str, claimed_by: str | None = None) -> None:
        if move_order(self.conn, self.store, order_id, state, claimed_by):
            self._change("order", order_id)

    def close_tote(self, order_id: str, tote: str | None, picker: str | None) -> None:
        """The order waits in `tote` for packing, no longer held by the picker's device."""
        # The tote the order waits in stays the first one (a re-pick brings its item in
        # another, to the order at packing).
        self.conn.execute(
            "UPDATE orders SET tote = COALESCE(tote, ?), picked_by = COALESCE(picked_by, ?),"
            " claimed_by = NULL WHERE store = ? AND id = ?",
            (tote, picker, self.store, order_id),
        )
        self.set_order(order_id, "picked")

    def order_packing(self, order_id: str) -> tuple[str | None, list[str]]:
        """(who picked it, the bag ids QC packed it into) of a known order."""
        row = self._one("SELECT picked_by, bags FROM orders WHERE store = ? AND id = ?", order_id)
        if row is None:
            return None, []
        return row[0], json.loads(row[1] or "[]")

    def record_qc(
        self, event_id: str, order_id: str, packer: str | None, result: str,
        discrepancies: list[dict[str, object]], bags: list[str], at: str,
    ) -> None:  # fmt: skip
        picker, _ = self.order_packing(order_id)
        lines = self._one(
            "SELECT COUNT(*) FROM order_lines WHERE store = ? AND order_id = ? AND qty_picked > 0",
            order_id,
        )[0]
        self.conn.execute(
            "INSERT INTO qc_results VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (self.store, event_id, order_id, packer, picker, result, json.dumps(discrepancies),
             lines, at),
        )  # fmt: skip
        if result == "pass":
            self.conn.execute(
                "UPDATE orders SET bags = ?, tote = NULL WHERE store = ? AND id = ?",
                (json.dumps(bags), self.store, order_id),
            )

    def record_label(
        self, event_id: str, order_id: str, bag: str | None, n: int | None, m: int | None,
        reprint: bool, at: str,
    ) -> None:  # fmt: skip
        self.conn.execute(
            "INSERT INTO labels VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (self.store, event_id, order_id, bag, n, m, int(reprint), at),
        )

    def record_dispatch(
        self, event_id: str, order_id: str, rider: str | None, bags: list[str], at: str
    ) -> None:
        self.conn.execute(
            "INSERT INTO dispatches VALUES (?, ?, ?, ?, ?, ?)",
            (self.store, event_id, order_id, rider, json.dumps(bags), at),
        )

    def line(self, order_id: str, line_no: int) -> OrderLineRow | None:
        row = self._one(
            "SELECT l.sku, l.qty, l.qty_picked, c.unit, l.repick FROM order_lines l"
            " LEFT JOIN catalog c"
            " ON c.store = l.store AND c.sku = l.sku"
            " WHERE l.store = ? AND l.order_id = ? AND l.line_no = ?",
            order_id, line_no,
        )  # fmt: skip
        return OrderLineRow(*row) if row else None

    def substitutes(self, order_id: str, line_no: int) -> list[str]:
        return [
            r[0]
            for r in self.conn.execute(
                "SELECT to_sku FROM substitutions WHERE store = ? AND order_id = ?"
                " AND line_no = ? ORDER BY rowid",
                (self.store, order_id, line_no),
            )
        ]

    def add_picked(self, order_id: str, line_no: int, qty: float) -> None:
        self.conn.execute(
            "UPDATE order_lines SET qty_picked = qty_picked + ?"
            " WHERE store = ? AND order_id = ? AND line_no = ?",
            (qty, self.store, order_id, line_no),
        )

    def add_repick(self, order_id: str, line_no: int, qty: float) -> None:
        self.conn.execute(
            "UPDATE order_lines SET repick = CASE WHEN repick + ? > 0 THEN repick + ? ELSE 0 END"
            " WHERE store = ? AND order_id = ? AND line_no = ?",
            (qty, qty, self.store, order_id, line_no),
        )

    def add_short(self, order_id: str, line_no: int, qty: float) -> None:
        self.conn.execute(
            "UPDATE order_lines SET qty_short = qty_short + ?"
            " WHERE store = ? AND order_id = ? AND line_no = ?",
            (qty, self.store, order_id, line_no),
        )

    def record_substitution(
        self, event_id: str, order_id: str, line_no: int, from_sku: str, to_sku: str, qty: float
    ) -> None:
        self.conn.execute(
            "INSERT INTO substitutions VALUES (?, ?, ?, ?, ?, ?, ?)",
            (self.store, event_id, order_id, line_no, from_sku, to_sku, qty),
        )

    # Stock.
    def on_hand(self, bin_: str, sku: str) -> float | None:
        row = self._one(
            "SELECT on_hand FROM stock WHERE store = ? AND bin = ? AND sku = ?", bin_, sku
        )
        return row[0] if row else None

    def add_stock(self, bin_: str, sku: str, delta: float, at: str, event_id: str) -> float:
        # Not RETURNING: SQLite's upsert with RETURNING takes three times as long as the two.
        self.conn.execute(
            "INSERT INTO stock (store, bin, sku, on_hand) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (store, bin, sku)"
            " DO UPDATE SET on_hand = stock.on_hand + excluded.on_hand",
            (self.store, bin_, sku, delta),
        )
        self._moved(bin_, sku, delta, at, event_id)
        return float(self._one(
            "SELECT on_hand FROM stock WHERE store = ? AND bin = ? AND sku = ?", bin_, sku
        )[0])  # fmt: skip

    def set_stock(self, bin_: str, sku: str, on_hand: float, at: str, event_id: str) -> None:
        was = self.on_hand(bin_, sku) or 0.0
        self.conn.execute(
            "INSERT INTO stock (store, bin, sku, on_hand) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (store, bin, sku) DO UPDATE SET on_hand = excluded.on_hand",
            (self.store, bin_, sku, on_hand),
        )
        self._moved(bin_, sku, on_hand - was, at, event_id)

    def _moved(self, bin_: str, sku: str, delta: float, at: str, event_id: str) -> None:
        self.conn.execute(
            "INSERT INTO stock_moves (store, bin, sku, delta, at, event_id)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (self.store, bin_, sku, delta, at, event_id),
        )
        self._noted(bin_, sku, delta)

    def _noted(self, bin_: str, sku: str, delta: float) -> None:
        """A move written: the bin's stock is a change for the devices."""
        self._change("stock", f"{bin_}|{sku}")

    def moved_after(self, bin_: str, sku: str, at: str) -> float:
        return float(self._one(
            "SELECT COALESCE(SUM(delta), 0) FROM stock_moves"
            " WHERE store = ? AND bin = ? AND sku = ? AND at > ?",
            bin_, sku, at,
        )[0])  # fmt: skip

    def record_loss(
        self, event_id: str, kind: str, bin_: str, sku: str, qty: float, batch: str | None
    ) -> None:
        self.conn.execute(
            "INSERT INTO losses VALUES (?, ?, ?, ?, ?, ?, ?)",
            (self.store, event_id, kind, bin_, sku, qty, batch),
        )

    # Counting.
    def packed_by(self, order_id: str) -> str | None:
        row = self._one(
            "SELECT e.device FROM qc_results q JOIN events e ON e.store = q.store"
            " AND e.event_id = q.event_id WHERE q.store = ? AND q.order_id = ?"
            " AND q.result = 'pass' ORDER BY q.at DESC LIMIT 1",
            order_id,
        )
        return row[0] if row else None

    def count_task(self, task_id: str) -> CountTaskRow | None:
        row = self._one(
            "SELECT bin, sku, state, counted, recount_of, expected FROM count_tasks"
            " WHERE store = ? AND id = ?",
            task_id,
        )
        return CountTaskRow(*row) if row else None

    def open_count_task(
        self, task_id: str, bin_: str, sku: str, reason: str, recount_of: str | None = None
    ) -> None:
        self.conn.execute(
            "INSERT INTO count_tasks (store, id, bin, sku, reason, state, counted, recount_of)"
            " VALUES (?, ?, ?, ?, ?, 'open', NULL, ?) ON CONFLICT DO NOTHING",
            (self.store, task_id, bin_, sku, reason, recount_of),
        )
        self._change("count_task", task_id)

    def submit_count(self, task_id: str, counted: float, expected: float) -> None:
        self.conn.execute(
            "UPDATE count_tasks SET counted = ?, expected = ?, state = 'submitted'"
            " WHERE store = ? AND id = ?",
            (counted, expected, self.store, task_id),
        )
        self._change("count_task", task_id)

    def decide_count(self, task_id: str, state: str, reason: str | None = None) -> None:
        self.conn.execute(
            "UPDATE count_tasks SET state = ?, decided_why = ? WHERE store = ? AND id = ?",
            (state, reason, self.store, task_id),
        )
        self._change("count_task", task_id)

    def add_count_entry(
        self, task_id: str, event_id: str, counter: str | None, counted: float, at: str,
        scanned: tuple[str, str],
    ) -> float:  # fmt: skip
        self.conn.execute(
            "INSERT INTO count_entries (store, task_id, event_id, counter, counted, at,"
            " first_at, last_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (self.store, task_id, event_id, counter, counted, at, *scanned),
        )
        return float(self._one(
            "SELECT COALESCE(SUM(counted), 0) FROM count_entries WHERE store = ? AND task_id = ?",
            task_id,
        )[0])  # fmt: skip

    def open_count_for(self, bin_: str, sku: str) -> bool:
        return self._one(
            "SELECT 1 FROM count_tasks WHERE store = ? AND bin = ? AND sku = ?"
            " AND state IN ('open', 'submitted') LIMIT 1",
            bin_, sku,
        ) is not None  # fmt: skip

    def skus_in_bin(self, bin_: str) -> list[str] | None:
        rows = self.conn.execute(
            "SELECT sku FROM stock WHERE store = ? AND bin = ?"
            " UNION SELECT sku FROM catalog WHERE store = ? AND bin = ? ORDER BY sku",
            (self.store, bin_, self.store, bin_),
        ).fetchall()
        return [r[0] for r in rows] or None

    def count_schedule(self) -> CountSchedule:
        bins = dict(self.conn.execute(
            "SELECT sku, bin FROM catalog WHERE store = ? AND bin IS NOT NULL", (self.store,)
        ).fetchall())  # fmt: skip
        picks = dict(self.conn.execute(
            "SELECT sku, COUNT(*) FROM order_history WHERE store = ? GROUP BY sku", (self.store,)
        ).fetchall())  # fmt: skip
        last = dict(self.conn.execute(
            "SELECT t.sku, MAX(e.at) FROM count_entries e JOIN count_tasks t"
            " ON t.store = e.store AND t.id = e.task_id WHERE e.store = ? GROUP BY t.sku",
            (self.store,),
        ).fetchall())  # fmt: skip
        self.flush()
        since = self._one("SELECT MIN(at) FROM changes WHERE store = ?")[0]
        return CountSchedule(bins, picks, last, since)

    def count_window(self, task_id: str) -> tuple[str | None, str | None]:
        first, last = self._one(
            "SELECT MIN(COALESCE(first_at, at)), MAX(COALESCE(last_at, at)) FROM count_entries"
            " WHERE store = ? AND task_id = ?",
            task_id,
        )
        return first, last

    def counters(self, task_id: str) -> set[str]:
        return {
            r[0]
            for r in self.conn.execute(
                "SELECT DISTINCT counter FROM count_entries WHERE store = ? AND task_id = ?"
                " AND counter IS NOT NULL",
                (self.store, task_id),
            )
        }

    def set_needs_recount(self, task_id: str, needed: bool) -> None:
        self.conn.execute(
            "UPDATE count_tasks SET needs_recount = ? WHERE store = ? AND id = ?",
            (int(needed), self.store, task_id),
        )

    def needs_recount(self, task_id: str) -> bool:
        row = self._one("SELECT needs_recount FROM count_tasks WHERE store = ? AND id = ?", task_id)
        return bool(row and row[0])

    def may_count(self, user_id: str) -> bool:
        row = self._one("SELECT may_count FROM users WHERE store = ? AND id = ?", user_id)
        return bool(row and row[0])

    def set_may_count(self, user_id: str, allowed: bool) -> None:
        self.conn.execute(
            "UPDATE users SET may_count = ? WHERE store = ? AND id = ?",
            (int(allowed), self.store, user_id),
        )
        self._change("user", user_id)

    def role_of(self, user_id: str) -> str | None:
        row = self._one("SELECT role FROM users WHERE store = ? AND id = ?", user_id)
        return row[0] if row else None

    def velocity_class(self, sku: str) -> str:
        from picker_app.domain.counting import velocity_classes

        rows = self.conn.execute("SELECT sku FROM catalog WHERE store = ?", (self.store,))
        picks = {s: 0 for (s,) in rows}
        for s, n in self.conn.execute(
            "SELECT sku, COUNT(*) FROM order_history WHERE store = ? GROUP BY sku", (self.store,)
        ):
            picks[s] = int(n)
        return velocity_classes(picks).get(sku, "C")

    def record_variance(
        self, task_id: str, bin_: str, sku: str, expected: float | None,
        counted: float | None, at: str,
    ) -> None:  # fmt: skip
        self.conn.execute(
            "INSERT INTO variances VALUES (?, ?, ?, ?, ?, ?, ?)",
            (self.store, task_id, bin_, sku, expected, counted, at),
        )
