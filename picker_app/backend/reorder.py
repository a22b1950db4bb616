"""The backend's reorder list (issue 14): domain/reorder.reorder_list over the store's stock
(summed per product over its bins) and its daily sales over the last days to now (the order
history, with the picks applied since)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from picker_app.backend.repository.sqlite_reorder import ReorderStorage, reorder_inputs
from picker_app.domain.reorder import daily_sales, reorder_list
from picker_app.wire import ReorderLineWire, ReorderList


def now() -> datetime:
    """The backend's time now (the tests set their own)."""
    return datetime.now(UTC)


def reorder(
    db: ReorderStorage, store: str, days: int, below: float, cover: float,
    until: datetime | None = None,
) -> ReorderList:  # fmt: skip
    """What `store` should reorder: products whose stock covers fewer than `below` days of
    their average sales over the `days` to `until`, with what covers `cover`. `until` is by
    default now, or the end of the last day anything sold when that is earlier (a store whose
    sales stopped, or the demo's fixed history: its averages stay those of its last days)."""
    if until is None:
        until = now()
        last = last_sales_day_end(db, store)
        if last is not None and last < until - timedelta(days=1):  # nothing sold for a day
            until = last
    inputs = reorder_inputs(db, store, until, days)
    per_day = daily_sales(inputs.sales, until, days)
    lines = reorder_list(per_day, inputs.on_hand, inputs.products, below, cover)
    return ReorderList(
        as_of=until.astimezone(UTC).isoformat(timespec="seconds"), days=days, below=below,
        cover=cover,
        lines=[
            ReorderLineWire(
                sku=r.sku, name=r.name, unit="kg" if r.unit == "kg" else "each",
                on_hand=r.on_hand, per_day=round(r.per_day, 3),
                days_left=round(r.days_left, 2), suggest=r.suggest,
            )
            for r in lines
        ],
    )  # fmt: skip


def last_sales_day_end(db: ReorderStorage, store: str) -> datetime | None:
    """The end (UTC midnight after) of the last day `store` sold anything, or None."""
    with db.reading() as conn:
        (day,) = conn.execute(
            "SELECT MAX(day) FROM sales_by_day WHERE store = ?", (store,)
        ).fetchone()
    if not day:
        return None
    return datetime.fromisoformat(day).replace(tzinfo=UTC) + timedelta(days=1)
