"""Cycle counts (issue 14): the velocity class of each product and the tolerance a count of it
may be off the book by before a recount by another person is needed; the reasons a lead gives.
Plain logic."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

VelocityClass = Literal["A", "B", "C"]
# A: the fifth of products with most pick lines (counted weekly), B the next 30% (monthly),
# C the rest (quarterly).
CLASS_SHARES: tuple[tuple[VelocityClass, float], ...] = (("A", 0.2), ("B", 0.3))
REASONS = ("damaged", "expired", "theft", "misplaced", "miscount", "picked_not_recorded")


def velocity_classes(picks: Mapping[str, int]) -> dict[str, VelocityClass]:
    """A, B or C for each product of `picks` (pick lines per SKU), by rank."""
    ranked = sorted(picks, key=lambda sku: (-picks[sku], sku))
    out: dict[str, VelocityClass] = {}
    start = 0
    for name, share in CLASS_SHARES:
        end = start + round(len(ranked) * share)
        for sku in ranked[start:end]:
            out[sku] = name
        start = end
    for sku in ranked[start:]:
        out[sku] = "C"
    return out


@dataclass(frozen=True)
class Tolerance:
    """How far a count may be from the book: the larger of a share of the book (by class) and
    a floor in units."""

    shares: Mapping[str, float] = field(default_factory=lambda: {"A": 0.01, "B": 0.03, "C": 0.05})
    floor_units: float = 1.0

    def allowed(self, expected: float, cls: str) -> float:
        return max(self.floor_units, self.shares.get(cls, self.shares["C"]) * abs(expected))

    def within(self, counted: float, expected: float, cls: str) -> bool:
        return abs(counted - expected) <= self.allowed(expected, cls) + 1e-9


DEFAULT_TOLERANCE = Tolerance()


def book_during_count(counted: float, at_first: float, at_last: float) -> float:
    """The book a count is held against when the bin moved while it was counted.

    `at_first` and `at_last` are the book at the count's first scan and at its last, from the
    stock moves recorded in between (a pick of the bin confirmed before a unit was scanned
    took a unit out of the bin; one after had it counted first). Any count between the two is
    one that some order of those picks and scans explains, so it is held against itself (no
    variance); beyond them, against the nearer.
    """
    low, high = min(at_first, at_last), max(at_first, at_last)
    return min(max(counted, low), high)


# How often each velocity class is counted (days): A weekly, B monthly, C quarterly.
COUNT_EVERY_DAYS: Mapping[str, int] = {"A": 7, "B": 30, "C": 90}


def counts_due(
    classes: Mapping[str, str],
    last_counted: Mapping[str, datetime],
    since: datetime,
    now: datetime,
    every: Mapping[str, int] = COUNT_EVERY_DAYS,
) -> list[str]:
    """The products (of `classes`, SKU -> velocity class) whose cycle count is due at `now`:
    last counted more than their class's interval ago. A product never counted counts as last
    counted at `since` (when the store started) less a part of its interval fixed by its SKU,
    so that products never counted come due spread over their interval, not all on the first
    day. By SKU."""
    due = []
    for sku, cls in sorted(classes.items()):
        days = every.get(cls, every.get("C", 90))
        last = last_counted.get(sku)
        if last is None:
            hours = days * 24
            phase = int.from_bytes(hashlib.blake2b(sku.encode(), digest_size=4).digest(), "big")
            last = since - timedelta(hours=phase % hours)
        if now - last >= timedelta(days=days):
            due.append(sku)
    return due
