"""The backend's shrinkage report (issue 14): domain/shrinkage over a store's approved counts,
write-offs and sales as repository/sqlite_shrinkage reads them, its bins placed in aisles and
zones by the layout the store names. Both `GET /v1/stores/{store}/shrinkage` (on a reader
connection) and `picker-app shrinkage` (on the database file opened read-only) report through
here, so they give the same figures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import lru_cache

from picker_app.backend.repository.sqlite_shrinkage import (
    ShrinkageInputs,
    ShrinkageStorage,
    shrinkage_inputs,
)
from picker_app.domain.layout import BinCodeError, Layout, LayoutError, parse_layout
from picker_app.domain.shrinkage import DAYS, TARGET_PCT, TOP, ShrinkageReport, shrinkage_report
from picker_app.shipped import shipped_file
from picker_app.wire import ShrinkageReportWire


def now() -> datetime:
    """The backend's time now, in its local time zone (the report's days are local days; the
    tests set their own)."""
    return datetime.now().astimezone()


@lru_cache(maxsize=8)
def stored_layout(named: str, store: str) -> tuple[Layout | None, str]:
    """The layout a store names (its text, or a shipped file such as layouts/demo-store.toml),
    or None and the sentence why there is none to read."""
    if not named:
        return None, f"the backend names no layout of {store}"
    if "\n" in named:
        try:
            return parse_layout(named, f"the layout of {store}"), ""
        except LayoutError as e:
            return None, str(e)
    path = shipped_file(named)
    try:
        return parse_layout(path.read_text(encoding="utf-8-sig"), str(path)), ""
    except LayoutError as e:
        return None, str(e)
    except (OSError, UnicodeDecodeError):
        return None, f"{path}: cannot read the layout file"


def places(layout: Layout | None, bins: set[str]) -> dict[str, tuple[str, str]]:
    """(aisle, zone) of each bin code the layout knows."""
    out: dict[str, tuple[str, str]] = {}
    for code in bins:
        if layout is None:
            continue
        try:
            bay = layout.bin(code).bay
        except BinCodeError:
            continue
        out[code] = (bay.aisle, bay.zone)
    return out


def report_of(
    inputs: ShrinkageInputs, layout: Layout | None, until: datetime, days: int,
    target_pct: float, top: int,
) -> ShrinkageReport:  # fmt: skip
    """The report of the `days` to `until` (its days in `until`'s time zone)."""
    bins = {c.bin for c in inputs.counts} | {w.bin for w in inputs.write_offs if w.bin}
    return shrinkage_report(
        inputs.counts, inputs.write_offs, inputs.sales,
        prices={sku: price for sku, (price, _) in inputs.catalog.items() if price is not None},
        places=places(layout, bins), since=until - timedelta(days=days), until=until,
        classes=inputs.classes, target_pct=target_pct, top=top, tz=until.tzinfo or UTC,
    )  # fmt: skip


def report_wire(
    report: ShrinkageReport, store: str, days: int, inputs: ShrinkageInputs
) -> ShrinkageReportWire:
    """The report as it is sent (and printed by `picker-app shrinkage --json`), the largest
    losses named by the catalog."""
    wire = ShrinkageReportWire.model_validate(
        {"store": store, "days": days, **report.to_json(), "left_out": inputs.unreadable}
    )
    for loss in wire.top:
        loss.name = inputs.catalog[loss.sku][1] if loss.sku in inputs.catalog else None
    return wire


def shrinkage(
    db: ShrinkageStorage, store: str, days: int = DAYS, target_pct: float = TARGET_PCT,
    top: int = TOP, until: datetime | None = None,
) -> ShrinkageReportWire:  # fmt: skip
    """`store`'s shrinkage over the `days` to `until` (default: now), against `target_pct`
    of sales, with its `top` largest losses."""
    until = until or now()
    with db.reading() as conn:
        inputs = shrinkage_inputs(conn, store)
    layout, _ = stored_layout(inputs.layout, store)
    return report_wire(report_of(inputs, layout, until, days, target_pct, top), store, days, inputs)
