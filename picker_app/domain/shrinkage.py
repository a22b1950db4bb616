"""The store lead's shrinkage report (issue 14): stock lost over a period, in units and value, by
bin, aisle, zone, reason and day, as a share of the period's sales against the store's target;
the largest losses; and how accurate the cycle counts were, bin by bin.

Two kinds of record are losses: approved cycle counts (the book minus the count: stock missing
is a loss, stock found over the book a gain) and the write-offs pickers record (damaged or
expired stock: always a loss, its kind is its reason).

- **Net** figures (`units`, `value`) let stock found offset stock missing: what the books lost.
- **Absolute** figures (`abs_units`, `abs_value`) add every count's difference as if it were
  lost, whatever its sign: how far the books were off. A +3 in one bin and a -3 in another are 0
  net and 6 absolute.

Every figure counts units lost as positive (a negative net figure: more found than lost).
Plain logic: records in, a frozen report out; nothing here reads a database or a clock.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import Literal

from picker_app.domain.counting import DEFAULT_TOLERANCE, Tolerance

TARGET_PCT = 2.0  # the store's shrinkage target: losses at most 2% of sales
TOP = 10
DAYS = 30  # the period of the report, ending now
UNKNOWN = "unknown"  # the zone (or aisle, bin) of a record the layout cannot place
NO_REASON = "no reason"  # a count approved without a reason code (it matched the book)
_AISLE_RE = re.compile(r"[A-Za-z]+")
_EPSILON = 1e-9


@dataclass(frozen=True)
class CountRecord:
    """One cycle count a store lead approved: the book before it (None: the bin had no book,
    taken as 0), what was counted, when it was approved and the lead's reason code."""

    task: str
    bin: str
    sku: str | None
    expected: float | None
    counted: float
    at: datetime
    reason: str | None = None

    @property
    def lost(self) -> float:
        """Units missing from the book (negative: units found over it)."""
        return (self.expected or 0.0) - self.counted


@dataclass(frozen=True)
class WriteOff:
    """Stock a picker wrote off: `kind` is `damaged` or `expired`, `at` the event's time."""

    event_id: str
    kind: str
    bin: str | None
    sku: str | None
    qty: float
    at: datetime


@dataclass(frozen=True)
class Sale:
    """One sale: a pick of stock for a customer (an applied `stock_picked` event), or a line of
    the order history the backend was seeded with."""

    sku: str
    qty: float
    at: datetime


@dataclass(frozen=True)
class Group:
    """The losses of one bin, aisle, zone, reason or day. `units` and `value` are net (stock
    found offsets stock missing), `abs_units` and `abs_value` absolute (it does not);
    `pct_of_sales` is the net value as a percentage of the period's sales (None: no sales)."""

    key: str
    units: float
    value: float
    abs_units: float
    abs_value: float
    pct_of_sales: float | None

    def to_json(self) -> dict[str, object]:
        return {
            "key": self.key,
            "units": _units(self.units),
            "value": _money(self.value),
            "abs_units": _units(self.abs_units),
            "abs_value": _money(self.abs_value),
            "pct_of_sales": _pct(self.pct_of_sales),
        }


@dataclass(frozen=True)
class Loss:
    """One record of stock lost (a count short of the book, or a write-off), for the list of
    the largest losses: `ref` is the count task's id or the write-off event's id."""

    source: Literal["count", "write_off"]
    ref: str
    bin: str
    sku: str | None
    reason: str
    day: str
    units: float
    value: float

    def to_json(self) -> dict[str, object]:
        return {
            "source": self.source,
            "ref": self.ref,
            "bin": self.bin,
            "sku": self.sku,
            "reason": self.reason,
            "day": self.day,
            "units": _units(self.units),
            "value": _money(self.value),
        }


@dataclass(frozen=True)
class BinAccuracy:
    """The approved counts of one bin: how many, how many were within their tolerance, and
    the units they were off the book, absolute (every difference adds up) and net (lost minus
    found). The bin is accurate when every one of its counts was within tolerance."""

    bin: str
    counts: int
    within: int
    abs_units: float
    net_units: float

    @property
    def accurate(self) -> bool:
        return self.within == self.counts

    def to_json(self) -> dict[str, object]:
        return {
            "bin": self.bin,
            "counts": self.counts,
            "within": self.within,
            "accurate": self.accurate,
            "abs_units": _units(self.abs_units),
            "net_units": _units(self.net_units),
        }


@dataclass(frozen=True)
class Accuracy:
    """How accurate the books were where they were counted: the share of counted bins whose
    every count was within tolerance (None: no bin counted), and the counts' differences from
    the book summed as absolute values (bins cannot cancel each other out) and net."""

    bins: int
    accurate_bins: int
    counts: int
    counts_within: int
    abs_units: float
    abs_value: float
    net_units: float
    net_value: float
    by_bin: tuple[BinAccuracy, ...]

    @property
    def pct(self) -> float | None:
        return 100.0 * self.accurate_bins / self.bins if self.bins else None

    def to_json(self) -> dict[str, object]:
        return {
            "bins": self.bins,
            "accurate_bins": self.accurate_bins,
            "pct": _pct(self.pct),
            "counts": self.counts,
            "counts_within": self.counts_within,
            "abs_units": _units(self.abs_units),
            "abs_value": _money(self.abs_value),
            "net_units": _units(self.net_units),
            "net_value": _money(self.net_value),
            "by_bin": [b.to_json() for b in self.by_bin],
        }


@dataclass(frozen=True)
class ShrinkageReport:
    """Shrinkage over `since` to `until`: losses net (`units`, `value`: found stock offsets
    them) and absolute (`abs_units`, `abs_value`: it does not); the period's sales; the net
    loss as a percentage of sales (None: no sales) against `target_pct`; the breakdowns (largest
    net value first, days in order); the largest losses; the counts' accuracy; and the SKUs
    with a loss but no price (valued at 0)."""

    since: datetime
    until: datetime
    units: float
    value: float
    abs_units: float
    abs_value: float
    sales_units: float
    sales_value: float
    target_pct: float
    by_bin: tuple[Group, ...]
    by_aisle: tuple[Group, ...]
    by_zone: tuple[Group, ...]
    by_reason: tuple[Group, ...]
    by_day: tuple[Group, ...]
    top: tuple[Loss, ...]
    accuracy: Accuracy
    unpriced: tuple[str, ...] = field(default=())

    @property
    def loss_pct(self) -> float | None:
        """The net loss's value as a percentage of the sales' value (None: no sales)."""
        return 100.0 * self.value / self.sales_value if self.sales_value > 0 else None

    @property
    def over_target(self) -> bool:
        """Whether the net loss is more than the target share of sales (any loss, when there
        were no sales)."""
        return self.value > self.target_pct / 100.0 * self.sales_value + _EPSILON

    def to_json(self) -> dict[str, object]:
        return {
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "units": _units(self.units),
            "value": _money(self.value),
            "abs_units": _units(self.abs_units),
            "abs_value": _money(self.abs_value),
            "sales_units": _units(self.sales_units),
            "sales_value": _money(self.sales_value),
            "loss_pct": _pct(self.loss_pct),
            "target_pct": self.target_pct,
            "over_target": self.over_target,
            "by_bin": [g.to_json() for g in self.by_bin],
            "by_aisle": [g.to_json() for g in self.by_aisle],
            "by_zone": [g.to_json() for g in self.by_zone],
            "by_reason": [g.to_json() for g in self.by_reason],
            "by_day": [g.to_json() for g in self.by_day],
            "top": [loss.to_json() for loss in self.top],
            "accuracy": self.accuracy.to_json(),
            "unpriced": list(self.unpriced),
        }


def _units(x: float) -> float:
    return round(x, 3) + 0.0  # + 0.0: no -0.0 in the JSON


def _money(x: float) -> float:
    return round(x, 2) + 0.0


def _pct(x: float | None) -> float | None:
    return None if x is None else round(x, 3) + 0.0


def _aware(when: datetime) -> datetime:
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


@dataclass
class _Sum:
    units: float = 0.0
    value: float = 0.0
    abs_units: float = 0.0
    abs_value: float = 0.0

    def add(self, units: float, price: float) -> None:
        self.units += units
        self.value += units * price
        self.abs_units += abs(units)
        self.abs_value += abs(units) * price


@dataclass(frozen=True)
class _Line:
    """One record as a loss: where, why, when, how many units lost (negative: found)."""

    source: Literal["count", "write_off"]
    ref: str
    bin: str
    sku: str | None
    reason: str
    at: datetime
    units: float


def shrinkage_report(
    counts: Iterable[CountRecord],
    write_offs: Iterable[WriteOff],
    sales: Iterable[Sale],
    prices: Mapping[str, float],
    places: Mapping[str, tuple[str, str]],
    since: datetime,
    until: datetime,
    *,
    classes: Mapping[str, str] | None = None,
    tolerance: Tolerance = DEFAULT_TOLERANCE,
    target_pct: float = TARGET_PCT,
    top: int = TOP,
    tz: tzinfo = UTC,
) -> ShrinkageReport:
    """The shrinkage report of the records timed from `since` to `until` (both included).

    `prices` is the price of each SKU (a SKU without one is valued at 0 and listed in
    `unpriced`); `places` the (aisle, zone) of each bin code (a bin it lacks: the aisle of its
    code, zone `unknown`); `classes` the velocity class of each SKU (default C), which sets
    the tolerance a count may be off the book by; `tz` the time zone of the days."""
    since, until = _aware(since), _aware(until)

    def inside(when: datetime) -> bool:
        return since <= _aware(when) <= until

    kept = [c for c in counts if inside(c.at)]
    lines = [
        _Line("count", c.task, c.bin, c.sku, c.reason or NO_REASON, _aware(c.at), c.lost)
        for c in kept
    ] + [
        _Line("write_off", w.event_id, w.bin or UNKNOWN, w.sku, w.kind, _aware(w.at), w.qty)
        for w in write_offs
        if inside(w.at)
    ]
    sold = [s for s in sales if inside(s.at)]
    sales_value = sum(s.qty * prices.get(s.sku, 0.0) for s in sold)

    def price(sku: str | None) -> float:
        return prices.get(sku, 0.0) if sku is not None else 0.0

    def place(bin_code: str) -> tuple[str, str]:
        if bin_code in places:
            return places[bin_code]
        m = _AISLE_RE.match(bin_code)
        return (m.group(0).upper() if m and bin_code != UNKNOWN else UNKNOWN), UNKNOWN

    def day(when: datetime) -> str:
        return when.astimezone(tz).date().isoformat()

    sums: dict[str, dict[str, _Sum]] = {k: {} for k in ("bin", "aisle", "zone", "reason", "day")}
    total = _Sum()
    for ln in lines:
        aisle, zone = place(ln.bin)
        keys = {"bin": ln.bin, "aisle": aisle, "zone": zone, "reason": ln.reason, "day": day(ln.at)}
        for kind, key in keys.items():
            sums[kind].setdefault(key, _Sum()).add(ln.units, price(ln.sku))
        total.add(ln.units, price(ln.sku))

    def groups(kind: str) -> tuple[Group, ...]:
        rows = [
            Group(
                key,
                s.units,
                s.value,
                s.abs_units,
                s.abs_value,
                100.0 * s.value / sales_value if sales_value > 0 else None,
            )
            for key, s in sums[kind].items()
            if s.abs_units > _EPSILON
        ]
        if kind == "day":
            return tuple(sorted(rows, key=lambda g: g.key))
        return tuple(sorted(rows, key=lambda g: (-g.value, -g.abs_value, -g.units, g.key)))

    losses = sorted(
        (ln for ln in lines if ln.units > _EPSILON),
        key=lambda ln: (-ln.units * price(ln.sku), -ln.units, ln.at, ln.ref),
    )
    biggest = tuple(
        Loss(ln.source, ln.ref, ln.bin, ln.sku, ln.reason, day(ln.at), ln.units,
             ln.units * price(ln.sku))
        for ln in losses[: max(0, top)]
    )  # fmt: skip
    unpriced = sorted({ln.sku or UNKNOWN for ln in lines if ln.sku not in prices})
    return ShrinkageReport(
        since=since,
        until=until,
        units=total.units,
        value=total.value,
        abs_units=total.abs_units,
        abs_value=total.abs_value,
        sales_units=sum(s.qty for s in sold),
        sales_value=sales_value,
        target_pct=target_pct,
        by_bin=groups("bin"),
        by_aisle=groups("aisle"),
        by_zone=groups("zone"),
        by_reason=groups("reason"),
        by_day=groups("day"),
        top=biggest,
        accuracy=count_accuracy(kept, prices, classes or {}, tolerance),
        unpriced=tuple(unpriced),
    )


def count_accuracy(
    counts: Sequence[CountRecord],
    prices: Mapping[str, float],
    classes: Mapping[str, str],
    tolerance: Tolerance = DEFAULT_TOLERANCE,
) -> Accuracy:
    """Per-bin accuracy of approved counts: a count is within tolerance when its class's
    tolerance (`classes`, default C) allows its difference from the book (no book: 0); a bin
    is accurate when all of its counts were. Absolute units add every count's difference, so
    bins cannot cancel each other out; net units let stock found offset stock missing."""
    per_bin: dict[str, list[CountRecord]] = {}
    for c in counts:
        per_bin.setdefault(c.bin, []).append(c)
    rows = []
    for bin_code, mine in per_bin.items():
        within = sum(
            tolerance.within(c.counted, c.expected or 0.0, classes.get(c.sku or "", "C"))
            for c in mine
        )
        rows.append(
            BinAccuracy(
                bin_code,
                len(mine),
                within,
                sum(abs(c.lost) for c in mine),
                sum(c.lost for c in mine),
            )
        )
    rows.sort(key=lambda b: (b.accurate, -b.abs_units, b.bin))

    def value(c: CountRecord) -> float:
        return prices.get(c.sku or "", 0.0)

    return Accuracy(
        bins=len(rows),
        accurate_bins=sum(b.accurate for b in rows),
        counts=len(counts),
        counts_within=sum(b.within for b in rows),
        abs_units=sum(abs(c.lost) for c in counts),
        abs_value=sum(abs(c.lost) * value(c) for c in counts),
        net_units=sum(c.lost for c in counts),
        net_value=sum(c.lost * value(c) for c in counts),
        by_bin=tuple(rows),
    )


# --- the report as text, 40 columns wide where it can be ---------------------------------------


def _num(x: float) -> str:
    return f"{x:,.3f}".rstrip("0").rstrip(".") if x % 1 else f"{x:,.0f}"


def _rs(x: float) -> str:
    return f"Rs {x:,.0f}" if x >= 0 else f"-Rs {-x:,.0f}"


def _pct_text(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f}%"


def _table(name: str, rows: Sequence[Group]) -> list[str]:
    """A table under its header: the key, the net units, value and % of sales, the absolute
    units (stock found does not offset them)."""
    cells = [(name, "net", "value", "%sales", "abs")] + [
        (g.key, _num(g.units), _rs(g.value), _pct_text(g.pct_of_sales), _num(g.abs_units))
        for g in rows
    ]
    widths = [max(len(c[i]) for c in cells) for i in range(5)]
    return [
        f"{k:<{widths[0]}} {u:>{widths[1]}} {v:>{widths[2]}} {p:>{widths[3]}} {a:>{widths[4]}}"
        for k, u, v, p, a in cells
    ]


def report_lines(
    report: ShrinkageReport, title: str, names: Mapping[str, str] | None = None, top: int = TOP
) -> list[str]:
    """The report as short lines: the totals against the target, the counts' accuracy, the
    losses by zone, aisle, reason and day, the `top` bins and the largest losses (with the
    product names of `names`)."""
    names = names or {}
    out = [title, f"{report.since:%Y-%m-%d %H:%M} to {report.until:%Y-%m-%d %H:%M}"]
    out.append(f"lost (net): {_num(report.units)} units, {_rs(report.value)}")
    out.append(f"absolute: {_num(report.abs_units)} units, {_rs(report.abs_value)}")
    out.append(f"sales: {_num(report.sales_units)} units, {_rs(report.sales_value)}")
    out.append(f"loss: {_pct_text(report.loss_pct)} of sales, target {report.target_pct:g}%")
    out.append("OVER TARGET" if report.over_target else "within target")
    acc = report.accuracy
    if acc.bins:
        out.append(
            f"counts: {acc.accurate_bins} of {acc.bins} bins accurate ({_pct_text(acc.pct)})"
        )
        out.append(f"  off by {_num(acc.abs_units)} units, {_rs(acc.abs_value)} (abs)")
        out.append(f"  net {_num(acc.net_units)} units, {_rs(acc.net_value)}")
    else:
        out.append("counts: no bin counted")
    sections = [
        ("zone", report.by_zone),
        ("aisle", report.by_aisle),
        ("reason", report.by_reason),
        ("day", report.by_day),
        ("bin", report.by_bin[:top]),
    ]
    for name, rows in sections:
        if rows:
            out.append("")
            out.extend(_table(name, rows))
    if len(report.by_bin) > top:
        out.append(f"... and {len(report.by_bin) - top} more bins: see --json")
    if report.top:
        out.extend(["", "largest losses:"])
        for n, loss in enumerate(report.top, 1):
            what = names.get(loss.sku or "", loss.sku or UNKNOWN)
            out.append(f"{n:>2}. {_rs(loss.value)}, {_num(loss.units)} x {what}"[:40].rstrip())
            out.append(f"    {loss.bin} {loss.reason} {loss.day}")
    elif top:
        out.extend(["", "no stock lost in the period"])
    if report.unpriced:
        out.append(f"no price (valued 0): {', '.join(report.unpriced[:5])}")
    return out
