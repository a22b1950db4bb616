"""What to reorder (issue 14): a product whose stock falls below a few days of its average sales
is suggested for reorder, with the quantity that covers a week. Plain logic: the sales and the
stock come in; nothing here reads a file or a clock."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

# The seed's rule: reorder below 3 days of sales (averaged over the last 14), to cover 7.
SALES_DAYS = 14
BELOW_DAYS = 3.0
COVER_DAYS = 7.0


@dataclass(frozen=True)
class ReorderLine:
    sku: str
    name: str
    unit: str  # "each" or "kg"
    on_hand: float
    per_day: float  # average sales a day
    days_left: float  # on hand / per day
    suggest: float  # to order: covers `COVER_DAYS` of sales beyond what is on hand


def daily_sales(
    lines: Iterable[tuple[datetime, str, float]], until: datetime, days: int = SALES_DAYS
) -> dict[str, float]:
    """Average quantity sold a day per SKU over the `days` before `until`, from (when, sku, qty)."""
    since = until - timedelta(days=days)
    sold: dict[str, float] = {}
    for when, sku, qty in lines:
        if since < when <= until:
            sold[sku] = sold.get(sku, 0.0) + qty
    return {sku: total / days for sku, total in sold.items()}


def reorder_list(
    per_day: Mapping[str, float],
    on_hand: Mapping[str, float],
    products: Mapping[str, tuple[str, str]],
    below_days: float = BELOW_DAYS,
    cover_days: float = COVER_DAYS,
) -> list[ReorderLine]:
    """Products whose stock covers fewer than `below_days` of sales, the fewest days first; each
    with the quantity to order so that stock covers `cover_days` (whole units for products sold
    by the piece, 0.5 kg steps for those sold by weight). `products`: sku -> (name, unit)."""
    out: list[ReorderLine] = []
    for sku, rate in per_day.items():
        if rate <= 0 or sku not in products:
            continue
        stock = max(0.0, on_hand.get(sku, 0.0))
        days_left = stock / rate
        if days_left >= below_days:
            continue
        name, unit = products[sku]
        need = cover_days * rate - stock
        suggest = math.ceil(need * 2) / 2 if unit == "kg" else float(math.ceil(need))
        out.append(ReorderLine(sku, name, unit, stock, rate, days_left, max(suggest, 0.0)))
    out.sort(key=lambda r: (r.days_left, -r.per_day, r.sku))
    return out


def reorder_csv(lines: Iterable[ReorderLine]) -> str:
    """The list as CSV for the supplier order: sku,name,unit,on_hand,per_day,days_left,order."""
    rows = ["sku,name,unit,on_hand,per_day,days_left,order"]
    for r in lines:
        name = '"' + r.name.replace('"', '""') + '"' if "," in r.name or '"' in r.name else r.name
        rows.append(
            f"{r.sku},{name},{r.unit},{r.on_hand:g},{r.per_day:.2f},{r.days_left:.1f},{r.suggest:g}"
        )
    return "\n".join(rows) + "\n"


# Pick-face replenishment (issue 14): a bin's minimum is a day of its product's sales (at least
# a unit); under it, a task brings the pick face back to its fill, 3 days of sales.
REPLENISH_DAYS = 1.0
FILL_DAYS = 3.0


def pick_face_minimum(per_day: float, days: float = REPLENISH_DAYS) -> float:
    """The least a pick face should hold: `days` of its product's average sales, at least 1."""
    return max(1.0, days * per_day)


def replenish_qty(
    per_day: float, left: float, minimum: float, fill_days: float = FILL_DAYS
) -> float:
    """Whole units to bring to a pick face holding `left`: up to `fill_days` of sales (never
    below its minimum), at least 1."""
    fill = max(fill_days * per_day, minimum)
    return float(max(1, math.ceil(fill - max(0.0, left) - 1e-9)))
