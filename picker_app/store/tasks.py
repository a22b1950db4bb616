"""Pick tasks (who picks which orders, where they are in the route) and the pick history."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from picker_app.store.db import LocalStore


@dataclass(frozen=True)
class SavedTask:
    """An unfinished pick task as the cache keeps it."""

    id: str
    orders: list[str]
    totes: dict[str, str]
    progress: dict[str, Any]  # where the picker is: stops, skipped, cells... (as saved)
    started_at: str | None


def add(
    store: LocalStore, task_id: str, picker: str, orders: Sequence[str], totes: dict[str, str],
    progress: dict[str, object], started_at: str,
) -> None:  # fmt: skip
    """Record a new pick task (inside `write()`)."""
    store.conn.execute(
        "INSERT INTO pick_task (id, picker, order_ids, totes, route, started_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (task_id, picker, json.dumps(list(orders)), json.dumps(totes), json.dumps(progress),
         started_at),
    )  # fmt: skip


def open_task(store: LocalStore, picker: str) -> SavedTask | None:
    """The picker's latest unfinished task, or None."""
    row = store.conn.execute(
        "SELECT id, order_ids, totes, route, started_at FROM pick_task"
        " WHERE picker = ? AND finished_at IS NULL ORDER BY started_at DESC LIMIT 1",
        (picker,),
    ).fetchone()
    if row is None:
        return None
    task_id, orders_json, totes_json, route_json, started = row
    return SavedTask(
        task_id, json.loads(orders_json), json.loads(totes_json or "{}"),
        json.loads(route_json or "{}"), started,
    )  # fmt: skip


def save_progress(store: LocalStore, task_id: str, progress: dict[str, object]) -> None:
    """Where the picker now is in the task (inside `write()`)."""
    store.conn.execute(
        "UPDATE pick_task SET route = ? WHERE id = ?", (json.dumps(progress), task_id)
    )


def finish(store: LocalStore, task_id: str, finished_at: str) -> None:
    """End the task (inside `write()`)."""
    store.conn.execute("UPDATE pick_task SET finished_at = ? WHERE id = ?", (finished_at, task_id))


def finished_since(
    store: LocalStore, picker: str, since: str
) -> list[tuple[list[str], str | None, str | None]]:
    """The picker's finished tasks started since `since`: (orders, started_at, finished_at)."""
    rows = store.conn.execute(
        "SELECT order_ids, started_at, finished_at FROM pick_task WHERE picker = ?"
        " AND finished_at IS NOT NULL AND started_at >= ?",
        (picker, since),
    ).fetchall()
    return [(json.loads(orders), started, finished) for orders, started, finished in rows]


def picks_by_bin(store: LocalStore) -> list[tuple[str, Any]]:
    """The pick history: how much was picked from each bin (recently, and as downloaded)."""
    return store.conn.execute("SELECT bin, SUM(qty) FROM pick_history GROUP BY bin").fetchall()


def pick_lines_by_bin(store: LocalStore, since: str | None = None) -> list[tuple[str, Any]]:
    """Pick lines per bin: the backend's history (kept as counts) and this device's own picks
    (a line each), or only this device's picks since `since` (an ISO time)."""
    if since is None:
        return store.conn.execute(
            "SELECT bin, SUM(CASE WHEN at = 'history' THEN qty ELSE 1 END) FROM pick_history"
            " GROUP BY bin"
        ).fetchall()
    return store.conn.execute(
        "SELECT bin, COUNT(*) FROM pick_history WHERE at != 'history' AND at >= ? GROUP BY bin",
        (since,),
    ).fetchall()
