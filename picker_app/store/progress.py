"""Multi-scan tasks under way (a slotting move, a replenishment): the progress of each, saved as
it is scanned (the JSON of its domain state), read back to resume it, deleted once it is done."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from picker_app.store.db import LocalStore

SLOT_MOVE, REPLENISH = "slot_move", "replenish"


def save(store: LocalStore, kind: str, task: str, state: dict[str, Any], at: str) -> None:
    """Keep the progress of task `task` of `kind` (inside `write()`), replacing the last."""
    store.conn.execute(
        # REPLACE: a new rowid each time, so the rowid orders them by their last scan.
        "INSERT OR REPLACE INTO task_progress (kind, task, state, at) VALUES (?, ?, ?, ?)",
        (kind, task, json.dumps(state, sort_keys=True), at),
    )


class Progress(Protocol):
    """What a multi-scan task's progress gives to be kept (domain/slot_moves.MoveProgress,
    services/reorder.ReplenishProgress)."""

    @property
    def task(self) -> Any: ...  # has an `id`

    def to_dict(self) -> dict[str, Any]: ...

    def restore(self, state: dict[str, Any]) -> None: ...


def kept_step(
    store: LocalStore, kind: str, progress: Progress, step: Callable[[], str], at: str
) -> str:
    """Apply one scan (`step`, which changes `progress` and says what next) and keep the new
    progress before returning; if it cannot be kept, `progress` goes back to where it was and
    the store's error is raised."""
    before = progress.to_dict()
    said = step()
    try:
        with store.write():
            save(store, kind, progress.task.id, progress.to_dict(), at)
    except BaseException:
        progress.restore(before)
        raise
    return said


def saved(store: LocalStore, kind: str, task: str) -> dict[str, Any] | None:
    """The progress kept of a task, or None (none kept, or not readable)."""
    row = store.conn.execute(
        "SELECT state FROM task_progress WHERE kind = ? AND task = ?", (kind, task)
    ).fetchone()
    return _state(row[0]) if row else None


def replenishing(store: LocalStore) -> list[tuple[str, dict[str, Any]]]:
    """(task id, progress) of each replenishment kept of a task still open, the last scanned
    first."""
    found = []
    for task, text in store.conn.execute(
        "SELECT p.task, p.state FROM task_progress p JOIN replenish_task t ON t.id = p.task"
        " WHERE p.kind = ? AND t.state = 'open' ORDER BY p.rowid DESC",
        (REPLENISH,),
    ):
        state = _state(text)
        if state is not None:
            found.append((task, state))
    return found


def prune(conn: sqlite3.Connection) -> None:
    """Forget the progress of tasks no longer to do here (done or closed on another device, or
    gone from the backend), in the transaction that applies a download: nothing would resume
    it, and its rows would stay for ever."""
    conn.execute(
        "DELETE FROM task_progress WHERE (kind = ? AND task NOT IN"
        " (SELECT id FROM slot_move WHERE state IN ('accepted', 'open')))"
        " OR (kind = ? AND task NOT IN (SELECT id FROM replenish_task WHERE state = 'open'))",
        (SLOT_MOVE, REPLENISH),
    )


def drop(store: LocalStore, kind: str, task: str) -> None:
    """Forget the progress of a task (inside `write()`, with the event reporting it done)."""
    store.conn.execute("DELETE FROM task_progress WHERE kind = ? AND task = ?", (kind, task))


def _state(text: str) -> dict[str, Any] | None:
    try:
        state = json.loads(text)
    except ValueError:
        return None
    return state if isinstance(state, dict) else None
