"""The picker's order queue and the pick-and-pack countdown. Plain logic with an injected clock."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

# The pick-and-pack budget of a task grows with its work (`task_budget`): PICK_PACK_BUDGET (the
# `budget_s` setting) for the first order and its first BASE_LINES lines (a typical basket),
# LINE_ALLOWANCE for each line beyond (a walk to a bin and a scan), ORDER_ALLOWANCE for each order
# beyond the first (a tote to bind, close and hand over). A batch still saves time: one walk.
PICK_PACK_BUDGET = timedelta(minutes=2, seconds=30)
BASE_LINES = 4
LINE_ALLOWANCE = timedelta(seconds=12)
ORDER_ALLOWANCE = timedelta(seconds=45)
TAKEABLE = ("placed", "confirmed")

# How long a task takes, for choosing batches (domain.batching): its walk at WALK_SPEED_M_S
# (a picker with a trolley, as the route command prints), LINE_HANDLING at each line's bin (scan
# the bin label, take the items, scan them), TOTE_HANDLING an order (bind an empty tote, close
# it); then PACK_ALLOWANCE from the tote at packing to the bag ready for the rider.
WALK_SPEED_M_S = 1.2
LINE_HANDLING = timedelta(seconds=10)
TOTE_HANDLING = timedelta(seconds=10)
PACK_ALLOWANCE = timedelta(seconds=60)


@dataclass(frozen=True)
class QueuedOrder:
    id: str
    state: str
    promised_at: datetime | None
    priority: int = 0


def next_orders(orders: Sequence[QueuedOrder], batch: int = 1) -> list[QueuedOrder]:
    """The orders to take next: takeable ones, higher priority first, then by the delivery
    promise (earliest first; orders without one last), then by id for a stable order."""
    takeable = [o for o in orders if o.state in TAKEABLE]

    def key(o: QueuedOrder) -> tuple[int, datetime, str]:
        when = o.promised_at or datetime.max
        if when.tzinfo is not None:  # compare promises made in any offset as UTC
            when = when.astimezone(UTC).replace(tzinfo=None)
        return (-o.priority, when, o.id)

    return sorted(takeable, key=key)[: max(0, batch)]


@dataclass(frozen=True)
class Countdown:
    left: timedelta
    level: Literal["ok", "amber", "red"]

    @property
    def text(self) -> str:
        seconds = int(self.left.total_seconds())
        return ("-" if seconds < 0 else "") + clock_text(seconds)


def clock_text(seconds: float) -> str:
    """`m:ss` of a duration's size (whole seconds); the caller says whether it is left or over."""
    minutes, secs = divmod(abs(int(seconds)), 60)
    return f"{minutes}:{secs:02d}"


def task_budget(orders: int, lines: int, base: timedelta = PICK_PACK_BUDGET) -> timedelta:
    """The pick-and-pack budget of a task of `orders` orders and `lines` lines in all: `base`
    for the first order and its first BASE_LINES lines, LINE_ALLOWANCE a line beyond them,
    ORDER_ALLOWANCE an order beyond the first."""
    return (
        base
        + ORDER_ALLOWANCE * max(0, orders - 1)
        + LINE_ALLOWANCE * max(0, lines - BASE_LINES)
    )


def pick_time(walk_m: float, lines: int, orders: int) -> timedelta:
    """How long a picker takes over a task of `orders` orders and `lines` lines whose route is
    `walk_m` metres long (packing not included: PACK_ALLOWANCE follows it)."""
    walk = timedelta(seconds=walk_m / WALK_SPEED_M_S)
    return walk + LINE_HANDLING * lines + TOTE_HANDLING * orders


def countdown(started: datetime, now: datetime, budget: timedelta = PICK_PACK_BUDGET) -> Countdown:
    """Time left of the pick-and-pack budget; amber in the last third, red when it runs out."""
    left = budget - (now - started)
    if left <= timedelta(0):
        level: Literal["ok", "amber", "red"] = "red"
    elif left <= budget / 3:
        level = "amber"
    else:
        level = "ok"
    return Countdown(left, level)
