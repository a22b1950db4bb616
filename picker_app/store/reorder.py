"""Reorder and replenishment as the device has them (issue 14): the last reorder list fetched
from the backend (kept so that it is shown offline, with when it was fetched), and the pick
faces to replenish, with their products' names."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from picker_app.wire import ReorderList

if TYPE_CHECKING:
    from picker_app.store.db import LocalStore


def keep_list(store: LocalStore, listed: ReorderList, fetched_at: str) -> None:
    """Keep `listed` (fetched at `fetched_at`, an ISO time) as the last list fetched."""
    with store.write() as conn:
        conn.execute(
            "INSERT OR REPLACE INTO reorder_kept (id, fetched_at, body) VALUES (1, ?, ?)",
            (fetched_at, listed.model_dump_json()),
        )


def kept_list(store: LocalStore) -> tuple[ReorderList, str] | None:
    """(the last list fetched, when it was fetched), or None before the first."""
    row = store.conn.execute("SELECT body, fetched_at FROM reorder_kept WHERE id = 1").fetchone()
    if row is None:
        return None
    try:
        return ReorderList.model_validate_json(row[0]), row[1]
    except ValidationError:  # kept by another version of the app: as if none were
        return None


def replenish_tasks(store: LocalStore) -> list[tuple[Any, ...]]:
    """The pick faces to replenish: (id, bin, sku, name, qty, unit) each, by bin and id."""
    return [
        tuple(r)
        for r in store.conn.execute(
            "SELECT t.id, t.bin, t.sku, COALESCE(s.name, t.sku), t.qty, COALESCE(s.unit, 'each')"
            " FROM replenish_task t LEFT JOIN sku s ON s.sku = t.sku WHERE t.state = 'open'"
            " ORDER BY t.bin, t.id"
        )
    ]
