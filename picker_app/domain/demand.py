"""When customers order: a day's demand curve and the orders it brings. Plain logic, no IO.

A dark store takes 500-1,000 orders a day, few at night, most in a morning and an evening peak,
2-3 a minute at the busiest. Orders arrive as a non-homogeneous Poisson process whose intensity
follows that day (`DemandCurve.rate`); `arrivals` draws it by thinning (Lewis and Shedler: draw
a steady Poisson stream at the curve's top rate, keep each arrival with the share of that rate
the curve has at its time). The random generator is passed in, so a fixed seed and a fixed
start give the same orders at the same times, in tests and in the demo alike.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone

IST = timezone(timedelta(hours=5, minutes=30), "IST")  # the demo store is in Bengaluru

# A festival peak (Diwali, New Year's Eve): three times the orders of an ordinary day.
RUSH_FACTOR = 3.0


@dataclass(frozen=True)
class Peak:
    """A busy time of day: bell-shaped around `hour` (local time)."""

    hour: float  # when it is at its top, hours after local midnight
    width_h: float  # its standard deviation, in hours
    share: float  # the part of the day's orders it brings


@dataclass(frozen=True)
class DemandCurve:
    """The day's orders: a base spread evenly over the opening hours, and the peaks on top.

    The base is `1 - sum(peak shares)` of the day's orders, from `opens_h` to `closes_h` (local
    time); each peak brings its share as a normal curve (wrapped around midnight)."""

    daily_orders: float = 900.0
    peaks: tuple[Peak, ...] = (
        Peak(9.5, 1.25, 0.25),  # breakfast, milk and bread before work: 1.35 a minute at 9-10
        Peak(20.0, 1.5, 0.45),  # dinner and the evening's snacks: 2 a minute at 20:00
    )
    opens_h: float = 6.0
    closes_h: float = 24.0
    tz: timezone = IST

    def rate(self, at: datetime) -> float:
        """Orders a minute expected at `at` (an aware time)."""
        local = at.astimezone(self.tz)
        hour = local.hour + local.minute / 60 + (local.second + local.microsecond / 1e6) / 3600
        per_hour = 0.0
        if self.opens_h <= hour < self.closes_h:
            per_hour += self._base_share * self.daily_orders / (self.closes_h - self.opens_h)
        for peak in self.peaks:
            away = abs(hour - peak.hour) % 24
            away = min(away, 24 - away)
            z = away / peak.width_h
            per_hour += (
                peak.share * self.daily_orders * math.exp(-z * z / 2)
                / (peak.width_h * math.sqrt(2 * math.pi))
            )  # fmt: skip
        return per_hour / 60

    def top_rate(self) -> float:
        """A rate the curve never exceeds (orders a minute): the base and every peak's top."""
        base = self._base_share * self.daily_orders / (self.closes_h - self.opens_h)
        tops = sum(
            p.share * self.daily_orders / (p.width_h * math.sqrt(2 * math.pi)) for p in self.peaks
        )
        return (base + tops) / 60

    def rushed(self, factor: float = RUSH_FACTOR) -> DemandCurve:
        """The same day with `factor` times the orders (a festival)."""
        return replace(self, daily_orders=self.daily_orders * factor)

    @property
    def _base_share(self) -> float:
        return max(0.0, 1.0 - sum(p.share for p in self.peaks))


DEMO_DAY = DemandCurve()


def steady(per_minute: float) -> DemandCurve:
    """Orders at the same rate all day and night (a homogeneous Poisson process)."""
    return DemandCurve(daily_orders=per_minute * 24 * 60, peaks=(), opens_h=0.0, closes_h=24.0)


def arrivals(curve: DemandCurve, start: datetime, rng: random.Random) -> Iterator[datetime]:
    """The times of the orders placed after `start`, in order, for ever (thinning)."""
    top = curve.top_rate()
    if top <= 0:
        return
    when = start
    while True:
        when += timedelta(minutes=rng.expovariate(top))
        if rng.random() * top < curve.rate(when):
            yield when


def arrivals_between(
    curve: DemandCurve, start: datetime, end: datetime, rng: random.Random
) -> list[datetime]:
    """The times of the orders placed after `start` and before `end`."""
    out: list[datetime] = []
    for when in arrivals(curve, start, rng):
        if when >= end:
            break
        out.append(when)
    return out


def placed_over(
    curve: DemandCurve, end: datetime, window: timedelta, count: int, rng: random.Random
) -> list[datetime]:
    """When `count` orders were placed in the `window` before `end`, oldest first: how the
    curve's process spreads a known number of arrivals (independent, each as likely as the
    curve's rate at its time)."""
    top = curve.top_rate()
    out: list[datetime] = []
    while len(out) < count:
        when = end - window * rng.random()
        if top <= 0 or rng.random() * top < curve.rate(when):
            out.append(when)
    return sorted(out)
