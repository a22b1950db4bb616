"""The expiry sweep on the device (issue 14): the first product scanned names the category;
then every unit of it on the shelves is scanned and judged by the date in its barcode
(domain/expiry.py). An expired unit is written off at once (`stock_expired`), one too short for a
customer or soon to be is flagged (`stock_near_expiry`), each recorded as it is scanned."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from picker_app.domain.events import StockExpired, StockNearExpiry
from picker_app.domain.expiry import Judged, judge, saying
from picker_app.domain.packing import DEFAULT_SHELF_LIFE_DAYS
from picker_app.domain.scan_result import Scan
from picker_app.errors import UserError
from picker_app.store import catalog

if TYPE_CHECKING:
    from picker_app.store.db import LocalStore


@dataclass
class Sweep:
    """One sweep of one category: what was found, by verdict."""

    category: str
    found: Counter[str] = field(default_factory=Counter)

    def summary(self) -> str:
        n = sum(self.found.values())
        words = (
            ("expired", "expired (written off)"), ("pull", "off the shelf"),
            ("soon", "to sell first"), ("undated", "without a date"),
        )  # fmt: skip
        parts = [f"{self.found[v]} {w}" for v, w in words if self.found[v]]
        return f"{self.category}: {n} unit{'s' if n != 1 else ''} swept" + (
            f", {', '.join(parts)}." if parts else ", every one fine."
        )


class ExpirySweeps:
    def __init__(
        self, store: LocalStore, clock: Callable[[], datetime],
        shelf_life_days: Mapping[str, int] = DEFAULT_SHELF_LIFE_DAYS,
    ) -> None:  # fmt: skip
        self.store = store
        self.clock = clock
        self.shelf_life_days = shelf_life_days

    def _product(self, scan: Scan) -> tuple[str, str, str, str]:
        """(sku, name, bin, category) of a scanned unit; a UserError sentence otherwise."""
        if scan.kind not in ("product", "variable_measure") or scan.gtin is None:
            raise UserError("Scan the barcode of a product (its GS1 barcode has the date).")
        sku = catalog.sku_of_gtin(self.store, scan.gtin)
        found = catalog.product(self.store, sku) if sku else None
        if sku is None or found is None:
            raise UserError("This product is not in the store's catalog: put it aside.")
        name, _unit, bin_, category = found
        return sku, str(name), str(bin_ or ""), str(category or "")

    def begin(self, scan: Scan) -> Sweep:
        """A sweep of the category of the scanned product (the unit itself is judged too, with
        `judge_unit`)."""
        _, _, _, category = self._product(scan)
        if not category:
            raise UserError("This product has no category: scan another one of the shelf.")
        return Sweep(category)

    def judge_unit(self, sweep: Sweep, scan: Scan, user: str) -> tuple[Judged, str]:
        """Judge one scanned unit of the sweep's category; record it if it is flagged; what the
        sweeper is told."""
        sku, name, bin_, category = self._product(scan)
        if category != sweep.category:
            raise UserError(f"That is {category}, not {sweep.category}: sweep it in its own sweep.")
        judged = judge(scan.expiry, self.clock().date(), category, self.shelf_life_days)
        event: StockExpired | StockNearExpiry | None = None
        if judged.verdict == "expired":
            event = StockExpired(sku=sku, bin=bin_, qty=1.0, batch=scan.batch)
        elif judged.verdict in ("pull", "soon") and scan.expiry is not None:
            event = StockNearExpiry(
                sku=sku, bin=bin_, batch=scan.batch, expiry=scan.expiry.isoformat(),
                verdict="pull" if judged.verdict == "pull" else "soon",
            )  # fmt: skip
        if event is not None:
            with self.store.write():
                self.store.record(event, user=user)
        sweep.found[judged.verdict] += 1
        return judged, saying(name, judged, scan.expiry)
