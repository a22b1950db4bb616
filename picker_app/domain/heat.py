"""Pick-frequency heat: how busy each bay is, and the congestion weight of each floor cell."""

from __future__ import annotations

import csv
import io
import math

import numpy as np

from picker_app.domain.layout import BinCodeError, Layout
from picker_app.errors import UserError


class HeatError(UserError):
    """A heat file that breaks a rule of spec/route-cli.md."""


def parse_heat(text: str, layout: Layout, source: str = "<heat>") -> dict[str, float]:
    """Picks per hour per bay code from a `bin,picks_per_hour` or `bay,picks_per_hour` CSV."""
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        raise HeatError(f"{source}: line 1: empty file; expected the header bin,picks_per_hour")
    header = [h.strip().lower() for h in rows[0]]
    if header not in (["bin", "picks_per_hour"], ["bay", "picks_per_hour"]):
        raise HeatError(
            f"{source}: line 1: header must be 'bin,picks_per_hour' or 'bay,picks_per_hour', "
            f"got {','.join(rows[0])!r}"
        )
    by_bin = header[0] == "bin"
    heat: dict[str, float] = {}
    for line_no, row in enumerate(rows[1:], start=2):
        if not row or all(not cell.strip() for cell in row):
            continue
        if len(row) != 2:
            raise HeatError(f"{source}: line {line_no}: expected 2 fields, got {len(row)}")
        code, value = row[0], row[1].strip()
        try:
            bay = layout.bin(code).bay if by_bin else layout.bay(code)
        except BinCodeError as err:
            raise HeatError(f"{source}: line {line_no}: {err}") from None
        try:
            pph = float(value)
        except ValueError:
            pph = math.nan
        if not math.isfinite(pph) or pph < 0:
            raise HeatError(
                f"{source}: line {line_no}: picks_per_hour must be a number >= 0, got {value!r}"
            )
        heat[bay.code] = heat.get(bay.code, 0.0) + pph
    return heat


def cell_heat(layout: Layout, bay_heat: dict[str, float]) -> np.ndarray:
    """Heat 0..1 of every walkable cell (reading order): picks/hour of the bays it gives access
    to, divided by the largest such sum in the store."""
    index = {cell: i for i, cell in enumerate(layout.walkable_cells)}
    sums = np.zeros(len(index), dtype=np.float64)
    for bay in layout.bays:
        pph = bay_heat.get(bay.code, 0.0)
        if pph:
            for cell in bay.access:
                sums[index[cell]] += pph
    top = sums.max() if len(sums) else 0.0
    return sums / top if top > 0 else sums


def congestion_weights(layout: Layout, bay_heat: dict[str, float], k: float) -> np.ndarray:
    """Cost of a step onto each walkable cell: cell_m x (1 + k x heat)."""
    return layout.cell_m * (1.0 + k * cell_heat(layout, bay_heat))
