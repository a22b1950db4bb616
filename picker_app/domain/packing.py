"""The packer's quality check: every unit of an order scanned into its bag, each scan judged on
the spot, and the bags an order needs (split by temperature class, "bag n of m").

Plain logic: the packing service gives it the order as the device knows it (what the picker
picked, short-picked or substituted), the scans as read, and today's date; it says what each
scan means and what is still missing. Nothing here reads a clock, a file or the cache.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from picker_app.domain.labels import TempClass
from picker_app.domain.picking import DEFAULT_WEIGHT_TOLERANCE, WeightTolerance

PACK_ORDER: tuple[TempClass, ...] = ("frozen", "chilled", "ambient")  # bags numbered so

RefusalKind = Literal[
    "not_in_order", "over", "substitute_refused", "expired", "short_life", "weight",
    "needs_weight",
]  # fmt: skip

# How many days a product must still keep, by catalog category (lower case), for a customer to
# get it: what a city dark store promises on fresh food. The store can set its own
# (settings `shelf_life_days`); categories not named need only not be expired.
DEFAULT_SHELF_LIFE_DAYS: dict[str, int] = {
    "milk": 2,
    "curd & yoghurt": 2,
    "paneer & tofu": 2,
    "butter & cream": 5,
    "cheese": 5,
    "bread & buns": 1,
    "eggs": 3,
    "fresh vegetables": 1,
    "fresh fruits": 1,
    "herbs & leafy greens": 1,
    "ready-to-cook": 2,
}

BAG_CAPACITY_G = 7000  # a paper carry bag: about 7 kg before the handles give way
BAG_UNKNOWN_WEIGHT_G = 500  # a unit the catalog has no weight for counts as this much


def temp_class(zone: str | None) -> TempClass:
    """The temperature class of a bin's zone (layout zones `chilled` and `frozen`)."""
    if zone == "frozen":
        return "frozen"
    if zone == "chilled":
        return "chilled"
    return "ambient"


@dataclass(frozen=True)
class QcLine:
    """One line of the order at packing: what is to go in the bags (`sku`, the substitute when
    the picker substituted) and how much (`qty`: what the picker picked)."""

    line_no: int
    sku: str
    name: str
    unit: str  # "each" or "kg"
    qty: float  # picked: what the tote should hold
    ordered: float
    ordered_sku: str
    short: float = 0.0  # what the picker could not find
    temp: TempClass = "ambient"
    category: str | None = None
    weight_g: float | None = None
    repick: float = 0.0  # of `qty`, sent back to picking and not here yet

    @property
    def substituted(self) -> bool:
        return self.sku != self.ordered_sku

    @property
    def units(self) -> int:
        """How many scans the line takes: one per unit, one per weighed pack."""
        if self.unit == "kg":
            return 1 if self.qty > 0 else 0
        return round(self.qty)


@dataclass(frozen=True)
class QcOrder:
    id: str
    lines: tuple[QcLine, ...]
    substitutes_ok: bool = True  # the customer's preference
    promised_at: str | None = None
    area: str | None = None
    tote: str | None = None


@dataclass(frozen=True)
class Item:
    """A scanned product, as the scanner read it: its SKU (None when no product of the catalog
    has its barcode) and what its GS1 label says."""

    sku: str | None
    gtin: str | None = None
    batch: str | None = None
    expiry: date | None = None
    weight_kg: float | None = None


@dataclass(frozen=True)
class Accepted:
    line: QcLine
    qty: float  # 1 unit, or the pack's weight in kg
    bag: int  # into bag n (1-based) of the order
    left: int  # scans the line still needs


@dataclass(frozen=True)
class Refused:
    kind: RefusalKind
    reason: str  # one sentence for the packer
    line: QcLine | None = None


@dataclass(frozen=True)
class Bag:
    n: int
    temp: TempClass
    lines: tuple[tuple[int, int], ...]  # (line_no, units) that go in it


@dataclass(frozen=True)
class Discrepancy:
    kind: str  # a RefusalKind, "missing" or "short_approved"
    line: int | None
    sku: str | None
    qty: float


def plan_bags(lines: Sequence[QcLine], capacity_g: float = BAG_CAPACITY_G) -> list[Bag]:
    """The bags of an order: by temperature class (frozen, chilled, ambient: a frozen item never
    shares a bag with others), each class split so no bag weighs more than `capacity_g` (a single
    unit heavier than that gets a bag of its own); numbered 1..m in that order."""
    bags: list[Bag] = []
    for temp in PACK_ORDER:
        units: list[tuple[float, int]] = []  # (grams, line_no), heaviest first
        for line in lines:
            if line.temp != temp:
                continue
            grams = line.weight_g or BAG_UNKNOWN_WEIGHT_G
            if line.unit == "kg":
                units.append((line.qty * 1000.0, line.line_no))
            else:
                units.extend((grams, line.line_no) for _ in range(line.units))
        units.sort(key=lambda u: (-u[0], u[1]))
        loads: list[float] = []
        content: list[dict[int, int]] = []
        for grams, line_no in units:  # first fit, heaviest first
            for k, load in enumerate(loads):
                if load + grams <= capacity_g:
                    loads[k] += grams
                    content[k][line_no] = content[k].get(line_no, 0) + 1
                    break
            else:
                loads.append(grams)
                content.append({line_no: 1})
        for c in content:
            bags.append(Bag(len(bags) + 1, temp, tuple(sorted(c.items()))))
    return bags


@dataclass
class QualityCheck:
    """The check of one order: the scans accepted so far (`packed`, by line), each new scan
    judged by `scan`; `missing()` is the count-down."""

    order: QcOrder
    today: date
    shelf_life_days: Mapping[str, int] = field(default_factory=lambda: DEFAULT_SHELF_LIFE_DAYS)
    tolerance: WeightTolerance = DEFAULT_WEIGHT_TOLERANCE
    packed: dict[int, list[float]] = field(default_factory=dict)  # line_no -> qty of each scan
    shorted: dict[int, float] = field(default_factory=dict)  # line_no -> qty approved short
    refused: list[Refused] = field(default_factory=list)
    bags: list[Bag] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.bags:
            self.bags = plan_bags(self.order.lines)

    # --- what is left ---------------------------------------------------------------------

    def scanned(self, line: QcLine) -> int:
        return len(self.packed.get(line.line_no, ()))

    def weight_packed(self, line: QcLine) -> float:
        return sum(self.packed.get(line.line_no, ()))

    def left(self, line: QcLine) -> int:
        """Scans the line still needs (0 once approved short)."""
        if line.line_no in self.shorted:
            return 0
        return max(0, line.units - self.scanned(line))

    def missing(self) -> list[tuple[QcLine, int]]:
        """Lines not yet all in their bags, with how many scans each still needs."""
        return [(ln, self.left(ln)) for ln in self.order.lines if self.left(ln) > 0]

    @property
    def done(self) -> bool:
        return not self.missing()

    def bag_of(self, line: QcLine, unit_index: int) -> int:
        """The bag (1-based) the line's `unit_index`-th unit (0-based) goes into."""
        seen = 0
        for bag in self.bags:
            for line_no, units in bag.lines:
                if line_no == line.line_no:
                    if unit_index < seen + units:
                        return bag.n
                    seen += units
        return self.bags[-1].n if self.bags else 1

    def bag_complete(self, n: int) -> bool:
        """Whether every unit of bag `n` has been scanned into it."""
        bag = self.bags[n - 1]
        for line_no, _ in bag.lines:
            line = self._line(line_no)
            if line is None:
                continue
            last_unit = max(
                (i for i in range(line.units) if self.bag_of(line, i) == n), default=-1
            )
            if line_no not in self.shorted and self.scanned(line) <= last_unit:
                return False
        return True

    # --- a scan ---------------------------------------------------------------------------

    def scan(self, item: Item) -> Accepted | Refused:
        """Judge one scanned unit: accepted into its bag (and counted), or refused (and nothing
        counted) with the reason the packer hears."""
        verdict = self._judge(item)
        if isinstance(verdict, Refused):
            self.refused.append(verdict)
            return verdict
        line, qty = verdict
        index = self.scanned(line)
        self.packed.setdefault(line.line_no, []).append(qty)
        return Accepted(line, qty, self.bag_of(line, index), self.left(line))

    def restore(self, line_no: int, qty: float) -> None:
        """Count a scan accepted before (the cache's, after a restart)."""
        self.packed.setdefault(line_no, []).append(qty)

    def approve_short(self, line_no: int) -> float:
        """The line is short by what is still missing (a lead approved it); returns how much."""
        line = self._line(line_no)
        if line is None:
            raise KeyError(line_no)
        if line.unit == "kg":
            qty = max(0.0, line.qty - self.weight_packed(line)) if self.left(line) else 0.0
        else:
            qty = float(self.left(line))
        self.shorted[line_no] = qty
        return qty

    def discrepancies(self) -> list[Discrepancy]:
        """What QC found against the picker's work: each refused scan by kind, each line still
        missing, each approved short."""
        found = [
            Discrepancy(r.kind, r.line.line_no, r.line.sku, 1.0)
            if r.line
            else Discrepancy(r.kind, None, None, 1.0)
            for r in self.refused
            if r.kind != "needs_weight"
        ]
        for line, n in self.missing():
            found.append(Discrepancy("missing", line.line_no, line.sku, float(n)))
        for line_no, qty in self.shorted.items():
            short = self._line(line_no)
            found.append(Discrepancy("short_approved", line_no, short.sku if short else None, qty))
        return found

    def _line(self, line_no: int) -> QcLine | None:
        return next((ln for ln in self.order.lines if ln.line_no == line_no), None)

    def _judge(self, item: Item) -> tuple[QcLine, float] | Refused:
        lines = [ln for ln in self.order.lines if item.sku is not None and ln.sku == item.sku]
        if not lines:
            return self._not_in_order(item)
        open_lines = [ln for ln in lines if self.left(ln) > 0]
        line = (open_lines or lines)[0]
        if line.substituted and not self.order.substitutes_ok:
            return Refused(
                "substitute_refused",
                f"{line.name} replaces {line.ordered_sku}, and this customer accepts no "
                "substitutes: take it out; send the line back or mark it short.",
                line,
            )
        if item.expiry is not None:
            refusal = self._shelf_life(line, item.expiry)
            if refusal:
                return refusal
        if not open_lines:
            return Refused(
                "over",
                f"One {line.name} too many: line {line.line_no} needs {_qty(line)}, all packed; "
                "take it out.",
                line,
            )
        if line.unit == "kg":
            return self._weighed(line, item)
        return line, 1.0

    def _not_in_order(self, item: Item) -> Refused:
        what = f"product {item.gtin}" if item.sku is None and item.gtin else (item.sku or "This")
        if item.sku is None:
            return Refused(
                "not_in_order",
                f"Unknown {what}: it is not in this order; take it out.",
            )
        return Refused("not_in_order", f"{what} is not in order {self.order.id}: take it out.")

    def _shelf_life(self, line: QcLine, expiry: date) -> Refused | None:
        if expiry < self.today:
            return Refused(
                "expired",
                f"{line.name} expired on {expiry:%d %b}: take it out and get a fresh one.",
                line,
            )
        need = self.shelf_life_days.get((line.category or "").lower(), 0)
        keeps = (expiry - self.today).days
        if keeps < need:
            return Refused(
                "short_life",
                f"{line.name} keeps {keeps} day{'s' if keeps != 1 else ''} (until {expiry:%d %b});"
                f" {line.category} must keep {need}: get a fresher one.",
                line,
            )
        return None

    def _weighed(self, line: QcLine, item: Item) -> tuple[QcLine, float] | Refused:
        if item.weight_kg is None:
            return Refused(
                "needs_weight",
                f"{line.name} is sold by weight: scan the weight label on its pack.",
                line,
            )
        allowed = self.tolerance.of(line.ordered)
        if abs(item.weight_kg - line.ordered) > allowed + 1e-9:
            return Refused(
                "weight",
                f"{line.name} weighs {item.weight_kg:.3f} kg; the line is {line.ordered:g} kg "
                f"(within {allowed * 1000:.0f} g): weigh out another.",
                line,
            )
        return line, float(item.weight_kg)


def _qty(line: QcLine) -> str:
    return f"{line.qty:g} kg" if line.unit == "kg" else f"{line.qty:g}"

