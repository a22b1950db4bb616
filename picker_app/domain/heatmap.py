"""The heat map of where picks happen (issue 14): picks per bay over a window, with the totals
per aisle and per zone, and the store map drawn with a shade per bay and its legend.

Plain logic: the picks come as a `bin,picks` CSV's text or as timed pick lines (the device's
history, the demo's order history); nothing here reads a file or a clock.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from picker_app.domain.layout import BinCodeError, Layout
from picker_app.errors import UserError

# Shades from the least to the most picked bay (a bay with no pick keeps its letter).
SHADES = ("░", "▒", "▓", "█")
_WINDOW_RE = re.compile(r"(\d{1,4})([dh])", re.ASCII)


class PicksError(UserError):
    """A picks file (or window) that cannot be read: the sentence says where and why."""


@dataclass(frozen=True)
class Window:
    """How far back the picks count: `text` as given (`today`, `7d`, `30d`, `12h`)."""

    text: str
    span: timedelta | None  # None: since the start of the last day ("today")

    def since(self, until: datetime) -> datetime:
        """The first moment inside the window that ends at `until`."""
        if self.span is None:
            return until.replace(hour=0, minute=0, second=0, microsecond=0)
        return until - self.span


def parse_window(text: str) -> Window:
    """`today`, or a number of days or hours (`7d`, `30d`, `12h`)."""
    clean = text.strip().lower()
    if clean == "today":
        return Window("today", None)
    m = _WINDOW_RE.fullmatch(clean)
    if m is None or int(m.group(1)) == 0:
        raise PicksError(f"window {text!r}: give today, or days or hours such as 7d, 30d or 12h")
    n = int(m.group(1))
    return Window(clean, timedelta(days=n) if m.group(2) == "d" else timedelta(hours=n))


def parse_picks(text: str, layout: Layout, source: str = "<picks>") -> dict[str, int]:
    """Picks per bay code from a CSV with the header `bin,picks`: one row per bin or per pick;
    the rows of one bin (and of one bay) add up."""
    rows = list(csv.reader(io.StringIO(text)))
    if not rows or [h.strip().lower() for h in rows[0]] != ["bin", "picks"]:
        got = ",".join(rows[0]) if rows else "an empty file"
        raise PicksError(f"{source}: line 1: the header must be 'bin,picks', got {got!r}")
    picks: dict[str, int] = {}
    for line_no, row in enumerate(rows[1:], start=2):
        if not row or all(not cell.strip() for cell in row):
            continue
        if len(row) != 2:
            raise PicksError(f"{source}: line {line_no}: expected 2 fields, got {len(row)}")
        try:
            bay = layout.bin(row[0]).bay
        except BinCodeError as err:
            raise PicksError(f"{source}: line {line_no}: {err}") from None
        value = row[1].strip()
        if not value.isdigit() or len(value) > 9:
            raise PicksError(
                f"{source}: line {line_no}: picks must be a whole number >= 0, got {value!r}"
            )
        picks[bay.code] = picks.get(bay.code, 0) + int(value)
    return picks


def picks_in_window(
    lines: Iterable[tuple[datetime, str]], layout: Layout, window: Window, until: datetime
) -> dict[str, int]:
    """Pick lines per bay code from (when, bin code) pairs inside the window ending at `until`;
    bins the layout does not have are left out."""
    since = window.since(until)
    picks: dict[str, int] = {}
    bays: dict[str, str | None] = {}  # bin code -> its bay's (a bin is read once)
    for when, bin_code in lines:
        if not since <= when <= until:
            continue
        if bin_code not in bays:
            try:
                bays[bin_code] = layout.bin(bin_code).bay.code
            except BinCodeError:
                bays[bin_code] = None
        bay = bays[bin_code]
        if bay is not None:
            picks[bay] = picks.get(bay, 0) + 1
    return picks


@dataclass(frozen=True)
class HeatSummary:
    """Picks per bay, per aisle and per zone (every zone of the layout, picked or not)."""

    bays: dict[str, int]
    aisles: dict[str, int]
    zones: dict[str, int]
    window: str
    total: int

    def to_json(self) -> dict[str, object]:
        return {
            "bays": self.bays,
            "aisles": self.aisles,
            "zones": self.zones,
            "window": self.window,
            "total": self.total,
        }


def summarize(layout: Layout, bay_picks: dict[str, int], window: str) -> HeatSummary:
    """The totals of `bay_picks` (bays of `layout`) by bay, aisle and zone, in layout order."""
    bays: dict[str, int] = {}
    aisles: dict[str, int] = {}
    zones: dict[str, int] = {name: 0 for name in sorted({b.zone for b in layout.bays})}
    for name in layout.zone_ranks:
        zones.setdefault(name, 0)
    for bay in sorted(layout.bays, key=lambda b: (b.aisle, b.number)):
        n = bay_picks.get(bay.code, 0)
        if n:
            bays[bay.code] = n
        aisles[bay.aisle] = aisles.get(bay.aisle, 0) + n
        zones[bay.zone] = zones.get(bay.zone, 0) + n
    return HeatSummary(bays, aisles, zones, window, sum(bays.values()))


def shade_levels(summary: HeatSummary) -> list[int]:
    """The upper bound of picks for each shade: quartiles of the picked bays (demand is skewed:
    a fifth of the products take most picks, so an even split of the range would draw nearly
    every bay in the palest shade)."""
    values = sorted(summary.bays.values())
    if not values:
        return [1] * len(SHADES)
    levels = []
    for k in range(len(SHADES)):
        i = max(0, -(-len(values) * (k + 1) // len(SHADES)) - 1)
        levels.append(values[i])
    for k in range(1, len(levels)):
        levels[k] = max(levels[k], levels[k - 1])
    return levels


def shade_of(picks: int, levels: list[int]) -> str:
    for shade, upper in zip(SHADES, levels, strict=True):
        if picks <= upper:
            return shade
    return SHADES[-1]


def heat_lines(layout: Layout, summary: HeatSummary) -> list[str]:
    """The store map with each picked bay drawn in its shade, then the legend and the totals
    per zone and per aisle."""
    levels = shade_levels(summary)
    grid = [list(row) for row in layout.rows]
    for bay in layout.bays:
        n = summary.bays.get(bay.code, 0)
        if n:
            r, c = bay.cell
            grid[r][c] = shade_of(n, levels)
    lines = ["".join(row) for row in grid]
    lows = [1, *(u + 1 for u in levels[:-1])]
    legend = "  ".join(
        f"{shade} {low}-{high}" if low < high else f"{shade} {high}"
        for shade, low, high in zip(SHADES, lows, levels, strict=True)
        if low <= high
    )  # each shade a quarter of the bays picked
    lines.append(f"picks per bay ({summary.window}): {legend}; a letter: none")
    lines.append(
        "zones: " + ", ".join(f"{name} {n}" for name, n in summary.zones.items())
        + f"; total {summary.total}"
    )
    lines.append("aisles: " + " ".join(f"{a} {n}" for a, n in summary.aisles.items()))
    return lines
