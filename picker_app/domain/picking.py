"""The picking rules: what each scan or key means at the current stop, and what to record.

Plain logic (DESIGN.md: "the workflow never does IO"): `PickSession` holds an order's lines in
route order and where the picker is; each input returns a `Decision`: accepted or refused, one
sentence for the picker, and the events to record. The caller saves those events (with the state
change) and only then shows the decision as accepted. The events are typed models
(domain/events.py), made before the session changes: one that does not fit its model is this
app's defect, and the input is refused with that sentence, the session left as it was.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Concatenate, ParamSpec

from pydantic import ValidationError

from picker_app.domain.events import (
    AnyEvent,
    BadEvent,
    OutOfStockFlagged,
    PickShorted,
    StockDamaged,
    StockExpired,
    StockPicked,
    StockReturned,
    SubstitutionMade,
)
from picker_app.domain.scan import Scan
from picker_app.domain.words import a


@dataclass(frozen=True)
class WeightTolerance:
    """How far from its ordered weight a weighed line may be picked, either way: the larger of
    `share` of the ordered weight and `at_least_kg` (items do not come in exact weights). The
    store sets it (settings `weight_tolerance` and `weight_tolerance_g`)."""

    share: float = 0.10
    at_least_kg: float = 0.050

    def of(self, ordered_kg: float) -> float:
        return max(self.share * ordered_kg, self.at_least_kg)


DEFAULT_WEIGHT_TOLERANCE = WeightTolerance()
_EPSILON = 1e-9  # float sums of weights (0.1 + 0.2)


def pick_allowance(
    ordered: float, unit: str, tolerance: WeightTolerance = DEFAULT_WEIGHT_TOLERANCE
) -> float:
    """How much more than `ordered` a line of `unit` ("each" or "kg") may take: nothing for
    counted items. The backend refuses beyond the same (its default tolerance)."""
    return tolerance.of(ordered) if unit == "kg" else 0.0


@dataclass(frozen=True)
class PickLine:
    """One line to pick, at its stop."""

    order_id: str
    line_no: int
    sku: str
    name: str
    bin: str
    qty: float  # units, or kg for weighed items
    unit: str = "each"  # "each" or "kg"
    gtins: frozenset[str] = frozenset()  # 14-digit GTINs (look-up GTIN for weighed items)
    zone: str = "ambient"
    tote: str | None = None  # the order's tote, in a batch
    category: str | None = None


@dataclass(frozen=True)
class Decision:
    """What an input did: accepted or not, the sentence to show, the events to record."""

    accepted: bool
    message: str
    events: tuple[AnyEvent, ...] = ()
    line_done: bool = False
    order_done: bool = False


_P = ParamSpec("_P")


def _fitting(
    decide: Callable[Concatenate[PickSession, _P], Decision],
) -> Callable[Concatenate[PickSession, _P], Decision]:
    """`decide`, refusing the input if an event it makes does not fit its model (this app's
    defect: the backend would refuse it). It makes its events before changing the session."""

    @functools.wraps(decide)
    def checked(session: PickSession, *args: _P.args, **kwargs: _P.kwargs) -> Decision:
        try:
            return decide(session, *args, **kwargs)
        except ValidationError as err:
            return Decision(False, BadEvent.built(err).refusal)

    return checked


@dataclass
class PickSession:
    """Picking one order (or a batch) along its route."""

    lines: list[PickLine]
    require_bin_scan: bool = True
    today: date | None = None
    picked: dict[tuple[str, int], float] = field(default_factory=dict)
    short: dict[tuple[str, int], float] = field(default_factory=dict)
    skipped: list[tuple[str, int]] = field(default_factory=list)
    bin_confirmed: bool = False
    weight_tolerance: WeightTolerance = DEFAULT_WEIGHT_TOLERANCE

    @staticmethod
    def key(line: PickLine) -> tuple[str, int]:
        return (line.order_id, line.line_no)

    def is_done(self, line: PickLine) -> bool:
        k = self.key(line)
        if k in self.short:
            return True
        got = self.picked.get(k, 0.0)
        if line.unit == "kg":
            return got >= line.qty - self.weight_tolerance.of(line.qty) - _EPSILON
        return got >= line.qty

    @property
    def current(self) -> PickLine | None:
        """The line to pick now: the first not done in route order, skipped ones last."""
        ahead = self.ahead()
        return ahead[0] if ahead else None

    def ahead(self) -> list[PickLine]:
        """The lines still to pick, in the order they will be picked (skipped ones last)."""
        open_lines = [ln for ln in self.lines if not self.is_done(ln)]
        first = [ln for ln in open_lines if self.key(ln) not in self.skipped]
        later = [ln for k in self.skipped for ln in open_lines if self.key(ln) == k]
        return first + later

    def orders(self) -> set[str]:
        """The orders that still have lines in this session (not dropped)."""
        return {ln.order_id for ln in self.lines}

    @property
    def finished(self) -> bool:
        return self.current is None

    def remaining(self, line: PickLine) -> float:
        return max(0.0, line.qty - self.picked.get(self.key(line), 0.0))

    @_fitting
    def scan(self, scan: Scan, units: int = 1) -> Decision:
        """A scan at the current stop; `units` keyed by the picker count for one scan."""
        line = self.current
        if line is None:
            return Decision(False, "This order is complete: close the tote.")
        if scan.kind == "rejected":
            return Decision(False, scan.reason or "That barcode could not be read; scan again.")
        if scan.kind == "bin":
            if scan.code == line.bin:
                self.bin_confirmed = True
                return Decision(True, f"Bin {line.bin} confirmed: now scan {line.name}.")
            return Decision(False, f"Wrong bin: that is {scan.code}; go to {line.bin}.")
        if scan.kind not in ("product", "variable_measure"):
            return Decision(
                False, f"That is {a(scan.kind)} label; scan {line.name} from {line.bin}."
            )
        if self.require_bin_scan and not self.bin_confirmed:
            return Decision(False, f"Scan the bin label {line.bin} first, then the item.")
        if scan.gtin not in line.gtins:
            other = next((ln for ln in self.lines if scan.gtin in ln.gtins), None)
            if other is not None and not self.is_done(other):
                return Decision(
                    False, f"Wrong item: that is for a later stop; pick {line.name} here."
                )
            return Decision(False, f"Wrong item: expected {line.name} from {line.bin}.")
        if scan.expiry is not None and self.today is not None and scan.expiry < self.today:
            return Decision(
                False,
                f"Expired on {scan.expiry.isoformat()}: put it aside, flag it expired, "
                "and take another.",
            )
        if units < 1:
            return Decision(False, "Key a quantity of 1 or more.")
        qty = float(units)
        if line.unit == "each" and units > 1 and units > self.remaining(line):
            return Decision(
                False,
                f"You keyed {units} but only {self.remaining(line):g} "
                f"{'is' if self.remaining(line) == 1 else 'are'} needed: "
                "key the quantity again.",
            )
        if line.unit == "kg":
            if not scan.net_weight_kg or scan.net_weight_kg <= 0:
                return Decision(False, f"{line.name} is sold by weight: scan its weight label.")
            qty = scan.net_weight_kg
            got = self.picked.get(self.key(line), 0.0)
            most = line.qty + pick_allowance(line.qty, "kg", self.weight_tolerance)
            if got + qty > most + _EPSILON:
                out = math.ceil((got + qty - line.qty) * 1000)
                return Decision(
                    False,
                    f"{qty:g} kg is too much: {line.name} needs {line.qty:g} kg"
                    f"{f' ({got:g} kg picked)' if got else ''}; take out {out} g and weigh "
                    "it again.",
                )
        event = StockPicked(
            order=line.order_id, line=line.line_no, sku=line.sku, bin=line.bin, qty=qty,
            gtin=scan.gtin, batch=scan.batch,
            expiry=scan.expiry.isoformat() if scan.expiry else None,
            weight_kg=scan.net_weight_kg,
        )  # fmt: skip
        k = self.key(line)
        self.picked[k] = self.picked.get(k, 0.0) + qty
        done = self.is_done(line)
        if done:
            self.bin_confirmed = False
            if k in self.skipped:
                self.skipped.remove(k)
        left = self.remaining(line)
        took = f"{qty:g} kg " if line.unit == "kg" else (f"{units} x " if units > 1 else "")
        into = f" into {line.tote}" if line.tote else ""
        message = (
            f"{took}{line.name}{into}: done."
            if done
            else f"{took}{line.name}{into}: {left:g} {_unit(line, left)} to go."
        )
        return Decision(True, message, (event,), line_done=done, order_done=self.finished)

    @_fitting
    def flag_short(self, qty_found: float) -> Decision:
        """Out of stock, or fewer than ordered: record what was found and move on."""
        line = self.current
        if line is None:
            return Decision(False, "Nothing to flag: the order is complete.")
        if qty_found < 0:
            return Decision(False, "The quantity found cannot be negative.")
        k = self.key(line)
        short = max(0.0, line.qty - self.picked.get(k, 0.0))
        events: tuple[AnyEvent, ...] = (
            OutOfStockFlagged(order=line.order_id, line=line.line_no, sku=line.sku,
                              bin=line.bin, qty_found=qty_found),
            PickShorted(order=line.order_id, line=line.line_no, sku=line.sku, qty=short),
        )  # fmt: skip
        self.short[k] = short
        self.bin_confirmed = False
        return Decision(
            True,
            f"{line.name}: flagged short by {short:g}; the bin will be counted.",
            events,
            line_done=True,
            order_done=self.finished,
        )

    def skip(self) -> Decision:
        """Come back to this stop at the end."""
        line = self.current
        if line is None:
            return Decision(False, "Nothing to skip: the order is complete.")
        k = self.key(line)
        if k in self.skipped:
            self.skipped.remove(k)
        self.skipped.append(k)
        self.bin_confirmed = False
        nxt = self.current
        where = f"next: {nxt.bin}" if nxt is not None and nxt is not line else "it is the last"
        return Decision(True, f"Skipped {line.bin} for now; {where}.")

    @_fitting
    def put_back(self, scan: Scan) -> Decision:
        """An item scanned by mistake goes back to its bin."""
        for line in self.lines:
            k = self.key(line)
            if scan.gtin in line.gtins and self.picked.get(k, 0.0) > 0:
                qty = scan.net_weight_kg if line.unit == "kg" and scan.net_weight_kg else 1.0
                event = StockReturned(
                    order=line.order_id, line=line.line_no, sku=line.sku, bin=line.bin,
                    qty=qty, why="scanned by mistake",
                )  # fmt: skip
                self.picked[k] = max(0.0, self.picked[k] - qty)
                return Decision(True, f"Put {line.name} back in {line.bin}.", (event,))
        return Decision(False, "That item was not picked for this order; nothing to put back.")

    @_fitting
    def write_off(self, kind: str, qty: float, scan: Scan | None = None) -> Decision:
        """Damaged or expired stock found at the current stop: recorded as a loss; the line
        stays open and the picker takes another."""
        line = self.current
        if line is None:
            return Decision(False, "Nothing to write off: the order is complete.")
        if kind not in ("damaged", "expired"):
            raise ValueError(f"unknown write-off {kind!r}")
        if not qty > 0:
            return Decision(False, "Key how many are damaged or expired (1 or more).")
        model = StockDamaged if kind == "damaged" else StockExpired
        event = model(
            sku=line.sku, bin=line.bin, qty=qty,
            batch=scan.batch if scan is not None else None, for_order=line.order_id,
        )  # fmt: skip
        return Decision(
            True, f"{qty:g} {line.name} recorded as {kind}: set aside, take another.", (event,)
        )

    @_fitting
    def substitute(self, replacement: PickLine) -> Decision:
        """Pick `replacement` (another SKU, same order line) instead of the current line."""
        line = self.current
        if line is None:
            return Decision(False, "Nothing to substitute: the order is complete.")
        k = self.key(line)
        if self.picked.get(k, 0.0) > 0:
            return Decision(
                False, "Some of this line is already picked: flag the rest short (F2) instead."
            )
        if replacement.sku == line.sku:
            return Decision(False, "That is the same product: choose another one.")
        event = SubstitutionMade(
            order=line.order_id, line=line.line_no, from_sku=line.sku, to_sku=replacement.sku,
            qty=line.qty,
        )  # fmt: skip
        new = PickLine(
            line.order_id, line.line_no, replacement.sku, replacement.name, replacement.bin,
            line.qty, replacement.unit, replacement.gtins, replacement.zone, line.tote,
            replacement.category,
        )  # fmt: skip
        index = self.lines.index(line)
        self.lines[index] = new
        if k in self.skipped:
            self.skipped.remove(k)
        self.bin_confirmed = False
        return Decision(True, f"Substitute {new.name} for {line.name}: go to {new.bin}.", (event,))

    def to_put_back(self, order_id: str) -> list[tuple[PickLine, float]]:
        """What has been picked for `order_id`: each line and its quantity."""
        return [
            (ln, self.picked[self.key(ln)])
            for ln in self.lines
            if ln.order_id == order_id and self.picked.get(self.key(ln), 0.0) > 0
        ]

    @_fitting
    def cancel(self, order_id: str, why: str = "was cancelled") -> Decision:
        """The customer cancelled `order_id`: everything picked for it goes back, and its lines
        leave the session."""
        back = self.to_put_back(order_id)
        events = tuple(
            StockReturned(order=ln.order_id, line=ln.line_no, sku=ln.sku, bin=ln.bin, qty=qty,
                          why="order cancelled")
            for ln, qty in back
        )  # fmt: skip
        self.picked = {k: v for k, v in self.picked.items() if k[0] != order_id}
        self.short = {k: v for k, v in self.short.items() if k[0] != order_id}
        self.lines = [ln for ln in self.lines if ln.order_id != order_id]
        self.skipped = [k for k in self.skipped if k[0] != order_id]
        self.bin_confirmed = False
        what = "; ".join(f"{qty:g} {ln.name} to {ln.bin}" for ln, qty in back)
        message = f"Order {order_id} {why}: " + (
            f"put back {what}." if back else "nothing was picked for it."
        )
        return Decision(True, message, events, order_done=self.finished)


def _unit(line: PickLine, qty: float) -> str:
    return "kg" if line.unit == "kg" else ("unit" if qty == 1 else "units")
