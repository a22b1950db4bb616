"""The heat map of where picks happen (issue 14): picks per bay over a window, with the totals
per aisle and per zone, and the store map drawn with a shade per bay and its legend; two maps of
one store (before and after slotting moves) side by side under one legend.

Plain logic: the picks come as a `bin,picks` CSV's text or as timed pick lines (the device's
history, the demo's order history); nothing here reads a file or a clock.
"""

from __future__ import annotations

import csv
import io
import re
import textwrap
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
    return _levels(list(summary.bays.values()))


def _levels(picked: list[int]) -> list[int]:
    values = sorted(picked)
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


def _floor(layout: Layout, summary: HeatSummary, levels: list[int]) -> list[str]:
    """The store map's rows with each picked bay drawn in its shade."""
    grid = [list(row) for row in layout.rows]
    for bay in layout.bays:
        n = summary.bays.get(bay.code, 0)
        if n:
            r, c = bay.cell
            grid[r][c] = shade_of(n, levels)
    return ["".join(row) for row in grid]


def _legend(levels: list[int], window: str) -> str:
    lows = [1, *(u + 1 for u in levels[:-1])]
    legend = "  ".join(
        f"{shade} {low}-{high}" if low < high else f"{shade} {high}"
        for shade, low, high in zip(SHADES, lows, levels, strict=True)
        if low <= high
    )  # each shade a quarter of the bays picked
    return f"picks per bay ({window}): {legend}; a letter: none"


def _zones(summary: HeatSummary) -> str:
    zones = ", ".join(f"{name} {n}" for name, n in summary.zones.items())
    return f"{zones}; total {summary.total}"


def heat_lines(layout: Layout, summary: HeatSummary) -> list[str]:
    """The store map with each picked bay drawn in its shade, then the legend and the totals
    per zone and per aisle."""
    levels = shade_levels(summary)
    lines = _floor(layout, summary, levels)
    lines.append(_legend(levels, summary.window))
    lines.append("zones: " + _zones(summary))
    lines.append("aisles: " + " ".join(f"{a} {n}" for a, n in summary.aisles.items()))
    return lines


PAIR_GAP = 4  # columns between the two maps side by side


def heat_pair_lines(
    layout: Layout,
    before: HeatSummary,
    after: HeatSummary,
    width: int,
    titles: tuple[str, str] = ("before", "after"),
) -> list[str]:
    """Two heat maps of one store (`before` and `after`, each under its title) side by side
    when `width` columns hold both, else one under the other; one legend for both (the shades
    are the quartiles of both maps' bays), the totals per zone of each, and the bays that gain
    or lose picks, wrapped to `width`."""
    levels = _levels([*before.bays.values(), *after.bays.values()])
    left, right = _floor(layout, before, levels), _floor(layout, after, levels)
    heads = [title[: layout.width].ljust(layout.width) for title in titles]
    if 2 * layout.width + PAIR_GAP <= width:
        gap = " " * PAIR_GAP
        lines = [(heads[0] + gap + heads[1]).rstrip()]
        lines += [a + gap + b for a, b in zip(left, right, strict=True)]
    else:
        lines = [heads[0].rstrip(), *left, "", heads[1].rstrip(), *right]
    notes = [_legend(levels, before.window)]
    if before.zones == after.zones:
        notes.append("zones, before and after alike: " + _zones(before))
    else:
        notes.append(f"zones, {titles[0]}: " + _zones(before))
        notes.append(f"zones, {titles[1]}: " + _zones(after))
    changes = _changes(before, after)
    gained = [f"{bay} +{d}" for bay, d in changes if d > 0]
    lost = [f"{bay} {d}" for bay, d in changes if d < 0]
    notes.append("bays that gain picks: " + (", ".join(gained) or "none"))
    notes.append("bays that lose picks: " + (", ".join(lost) or "none"))
    for note in notes:
        lines += textwrap.wrap(note, max(width, 20), subsequent_indent="  ") or [""]
    return lines


def _changes(before: HeatSummary, after: HeatSummary) -> list[tuple[str, int]]:
    """(bay, after - before) of each bay whose picks change, the largest change first."""
    codes = sorted(set(before.bays) | set(after.bays))
    deltas = [(c, after.bays.get(c, 0) - before.bays.get(c, 0)) for c in codes]
    return sorted(((c, d) for c, d in deltas if d), key=lambda cd: (-abs(cd[1]), cd[0]))
