"""The store lead's live board: open orders against the delivery promise, the people at work,
today's out-of-stock flags, the count tasks open and the devices' sync. Plain logic on plain
records and a given `now`; the backend builds the store-wide board, a device its own view.

An order is at risk when the time left to its promise is less than its remaining work takes at
today's pace. Its remaining work is what `queue.pick_time` says of its lines still to pick (on
an estimated walk: no route is planned for the board) plus PACK_ALLOWANCE, or PACK_ALLOWANCE
alone once it is picked; a packed order only waits for its rider (at risk once it is late).
Today's pace is how much slower (or faster) the pickers are today than `pick_time` assumes:
the lines/hour it gives a typical basket over the lines/hour of today's pickers while they
were picking (the quarter hours in which each picked anything), clamped to PACE_BOUNDS.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from picker_app.domain.queue import BASE_LINES, PACK_ALLOWANCE, pick_time

# The board's order states, in the order of the work (`confirmed` is shown as `placed`).
STATES = ("placed", "picking", "picked", "packed")
_AS_STATE = {"placed": "placed", "confirmed": "placed", "picking": "picking",
             "picked": "picked", "packed": "packed"}  # fmt: skip

# The walk of an order without a planned route: to its first bin and back, and between bins.
BASE_WALK_M = 30.0
WALK_M_PER_LINE = 6.0
SLOT = timedelta(minutes=15)  # a picker picked in a quarter hour: at work in all of it
PACE_BOUNDS = (0.5, 3.0)
HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class OrderRecord:
    """An open order: its state, promise, lines in all and lines still to pick."""

    id: str
    state: str
    promised_at: datetime | None
    lines: int
    lines_left: int


@dataclass(frozen=True)
class WorkRecord:
    """`lines` lines a person did at `at`: picked (role picker) or checked at QC (packer)."""

    person: str
    role: str
    at: datetime
    lines: int = 1


@dataclass(frozen=True)
class QcRecord:
    """A QC result of a picker's order: the lines checked and the discrepancies found."""

    picker: str
    at: datetime
    lines: int
    discrepancies: int


@dataclass(frozen=True)
class OosRecord:
    sku: str
    bin: str
    at: datetime


@dataclass(frozen=True)
class DeviceRecord:
    """A device as the board knows it: its last sync and the events it still holds (None:
    it never said)."""

    device: str
    last_sync: datetime | None
    pending: int | None


@dataclass(frozen=True)
class BoardRow:
    id: str
    state: str
    promised_at: datetime | None
    left_s: float | None  # to the promise (negative: late); None without a promise
    need_s: float  # the remaining work at today's pace
    at_risk: bool


@dataclass(frozen=True)
class PersonRate:
    person: str
    name: str
    role: str
    lines_hour: int  # lines picked (packers: checked) in the last hour
    qc_lines: int  # of this picker's lines, checked at QC today
    qc_errors: int  # discrepancies QC found in them

    @property
    def error_rate(self) -> float | None:
        """Discrepancies a line checked (None: none of this person's lines was checked)."""
        return self.qc_errors / self.qc_lines if self.qc_lines else None


@dataclass(frozen=True)
class Board:
    """What the board shows, as of `as_of`; `source` "store" (the backend's store-wide view)
    or "device" (this device's cache, when the backend cannot be reached)."""

    as_of: datetime
    source: str
    by_state: dict[str, int]
    rows: tuple[BoardRow, ...]
    at_risk: int
    pace: float
    people: tuple[PersonRate, ...]
    oos: tuple[OosRecord, ...]
    counts_open: int
    devices: tuple[DeviceRecord, ...]


def estimated_walk_m(lines: int) -> float:
    """The walk of `lines` lines without a planned route."""
    return BASE_WALK_M + WALK_M_PER_LINE * lines if lines > 0 else 0.0


def nominal_lines_per_hour() -> float:
    """The lines/hour `pick_time` assumes of a picker on a typical basket (BASE_LINES lines)."""
    seconds = pick_time(estimated_walk_m(BASE_LINES), BASE_LINES, 1).total_seconds()
    return BASE_LINES * 3600 / seconds


def day_start(now: datetime) -> datetime:
    """Midnight before `now`, in `now`'s time zone: where "today" begins."""
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


def todays_pace(work: Iterable[WorkRecord], now: datetime) -> float:
    """How many times `pick_time` today's picks take (1.0 without a pick today)."""
    start = day_start(now)
    lines = 0
    slots: set[tuple[str, int]] = set()
    for w in work:
        if w.role != "picker" or not start <= w.at <= now:
            continue
        lines += w.lines
        slots.add((w.person, int((w.at - start) / SLOT)))
    if not lines:
        return 1.0
    observed = lines / (len(slots) * SLOT / HOUR)
    low, high = PACE_BOUNDS
    return min(high, max(low, nominal_lines_per_hour() / observed))


def remaining_work(order: OrderRecord) -> timedelta:
    """What is left of an order's pick and pack, at `pick_time`'s pace."""
    state = _AS_STATE.get(order.state, order.state)
    if state == "packed":
        return timedelta(0)
    if state == "picked" or order.lines_left <= 0:
        return PACK_ALLOWANCE
    left = order.lines_left
    return pick_time(estimated_walk_m(left), left, 1) + PACK_ALLOWANCE


def board_row(order: OrderRecord, now: datetime, pace: float) -> BoardRow:
    """An order's line on the board."""
    need = remaining_work(order).total_seconds() * pace
    left = None if order.promised_at is None else (order.promised_at - now).total_seconds()
    at_risk = left is not None and (left < need or left < 0)
    state = _AS_STATE.get(order.state, order.state)
    return BoardRow(order.id, state, order.promised_at, left, need, at_risk)


def people_rates(
    work: Iterable[WorkRecord], qc: Iterable[QcRecord], names: dict[str, str], now: datetime
) -> tuple[PersonRate, ...]:
    """The people at work in the last hour (who picked or checked anything), each with the
    lines of that hour and the QC results of their picks today; pickers first, busiest first."""
    hour_ago, start = now - HOUR, day_start(now)
    lines: dict[tuple[str, str], int] = {}
    for w in work:
        if hour_ago <= w.at <= now:
            lines[(w.person, w.role)] = lines.get((w.person, w.role), 0) + w.lines
    checked: dict[str, tuple[int, int]] = {}
    for r in qc:
        if start <= r.at <= now:
            n, e = checked.get(r.picker, (0, 0))
            checked[r.picker] = (n + r.lines, e + r.discrepancies)
    rates = [
        PersonRate(person, names.get(person, person), role, n,
                   *(checked.get(person, (0, 0)) if role == "picker" else (0, 0)))
        for (person, role), n in lines.items()
    ]  # fmt: skip
    rates.sort(key=lambda p: (p.role != "picker", -p.lines_hour, p.person))
    return tuple(rates)


def build_board(
    now: datetime,
    source: str,
    orders: Sequence[OrderRecord],
    work: Sequence[WorkRecord] = (),
    qc: Sequence[QcRecord] = (),
    oos: Sequence[OosRecord] = (),
    counts_open: int = 0,
    devices: Sequence[DeviceRecord] = (),
    names: dict[str, str] | None = None,
) -> Board:
    """The board as of `now`: the open orders at risk first, then by time left (orders
    without a promise last), the people, today's out-of-stock flags (newest first)."""
    pace = todays_pace(work, now)
    rows = [board_row(o, now, pace) for o in orders if o.state in _AS_STATE]
    rows.sort(key=lambda r: (not r.at_risk, r.left_s is None, r.left_s or 0.0, r.id))
    by_state = dict.fromkeys(STATES, 0)
    for r in rows:
        by_state[r.state] += 1
    start = day_start(now)
    return Board(
        as_of=now, source=source, by_state=by_state, rows=tuple(rows),
        at_risk=sum(r.at_risk for r in rows), pace=round(pace, 2),
        people=people_rates(work, qc, names or {}, now),
        oos=tuple(sorted((f for f in oos if start <= f.at <= now), key=lambda f: f.at,
                         reverse=True)),
        counts_open=counts_open,
        devices=tuple(sorted(devices, key=lambda d: d.device)),
    )  # fmt: skip
