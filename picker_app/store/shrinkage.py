"""The shrinkage report as the device has it (issue 14): the last one fetched from the backend,
kept so that it is shown offline, with when it was fetched."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import ValidationError

from picker_app.wire import ShrinkageReportWire

if TYPE_CHECKING:
    from picker_app.store.db import LocalStore


def keep_report(store: LocalStore, report: ShrinkageReportWire, fetched_at: str) -> None:
    """Keep `report` (fetched at `fetched_at`, an ISO time) as the last report fetched."""
    with store.write() as conn:
        conn.execute(
            "INSERT OR REPLACE INTO shrinkage_kept (id, fetched_at, body) VALUES (1, ?, ?)",
            (fetched_at, report.model_dump_json()),
        )


def kept_report(store: LocalStore) -> tuple[ShrinkageReportWire, str] | None:
    """(the last report fetched, when it was fetched), or None before the first."""
    row = store.conn.execute(
        "SELECT body, fetched_at FROM shrinkage_kept WHERE id = 1"
    ).fetchone()
    if row is None:
        return None
    try:
        return ShrinkageReportWire.model_validate_json(row[0]), row[1]
    except ValidationError:  # kept by another version of the app: as if none were
        return None
