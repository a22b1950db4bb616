"""Count tasks as the device has them, and each unit a counter scanned (blind: no book quantity
is read here)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from picker_app.store import catalog

if TYPE_CHECKING:
    from picker_app.store.db import LocalStore


def open_tasks(store: LocalStore) -> list[tuple[str, list[str], str, str | None, str | None]]:
    """Count tasks open for counting: (id, bins, reason, sku, recount_of) each, by id."""
    return [
        (task_id, json.loads(bins or "[]"), reason, sku, recount_of)
        for task_id, bins, reason, sku, recount_of in store.conn.execute(
            "SELECT id, bins, reason, sku, recount_of FROM count_task WHERE state = 'open'"
            " ORDER BY id"
        )
    ]


def add_scan(
    store: LocalStore, task: str, bin_: str, sku: str, qty: float, gtin: str | None,
    batch: str | None, expiry: str | None, counter: str, at: str,
) -> None:  # fmt: skip
    """One counted unit (or a keyed quantity) (inside `write()`)."""
    store.conn.execute(
        "INSERT INTO count_scan (task, bin, sku, qty, gtin, batch, expiry, counter, at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (task, bin_, sku, qty, gtin, batch, expiry, counter, at),
    )


def counted(store: LocalStore, task: str, counter: str) -> float:
    """What `counter` has counted of the task so far."""
    row = store.conn.execute(
        "SELECT COALESCE(SUM(qty), 0) FROM count_scan WHERE task = ? AND counter = ?",
        (task, counter),
    ).fetchone()
    return float(row[0])


def scan_window(
    store: LocalStore, task: str, counter: str
) -> tuple[datetime | None, datetime | None]:
    """When `counter` scanned the first unit of the task and the last, or Nones."""
    times = [
        datetime.fromisoformat(at)
        for (at,) in store.conn.execute(
            "SELECT at FROM count_scan WHERE task = ? AND counter = ?", (task, counter)
        )
    ]
    times = [t if t.tzinfo else t.replace(tzinfo=UTC) for t in times]
    return (min(times), max(times)) if times else (None, None)


def slotted_bins(store: LocalStore) -> list[str]:
    """Every bin a product is slotted to, by code."""
    return [
        r[0]
        for r in store.conn.execute(
            "SELECT DISTINCT bin FROM sku WHERE bin IS NOT NULL AND bin != '' ORDER BY bin"
        )
    ]


def bin_of_barcode(store: LocalStore, gtin: str) -> str | None:
    """The bin of the product with this GTIN (catalog.sku_of_gtin), or None."""
    sku = catalog.sku_of_gtin(store, gtin)
    found = catalog.product(store, sku) if sku else None
    return found[2] if found and found[2] else None


def to_decide(store: LocalStore) -> list[tuple[str, str, str | None, float, float, str | None]]:
    """Counts in and waiting for a lead's decision: (id, bin, sku, counted, book, recount_of)
    each, by id. Only those the backend sent the figures of (never one still being counted)."""
    return [
        (task_id, (json.loads(bins or "[]") or [""])[0], sku, counted, book, recount_of)
        for task_id, bins, sku, counted, book, recount_of in store.conn.execute(
            "SELECT id, bins, sku, counted, book, recount_of FROM count_task"
            " WHERE state = 'submitted' AND counted IS NOT NULL AND book IS NOT NULL ORDER BY id"
        )
    ]


def decided(store: LocalStore, task: str, state: str) -> None:
    """The lead decided the count (inside `write()`): it leaves the list until the backend says
    otherwise."""
    store.conn.execute("UPDATE count_task SET state = ? WHERE id = ?", (state, task))


def submitted(store: LocalStore, task: str, done: bool) -> None:
    """The counter's count is sent; the task is submitted when it was the last (inside
    `write()`)."""
    if done:
        store.conn.execute("UPDATE count_task SET state = 'submitted' WHERE id = ?", (task,))

