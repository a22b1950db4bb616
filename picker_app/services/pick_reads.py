"""What the picker reads from the cache: the queue, whether an order or a tote can be taken,
a task's lines in route order, and products with their substitutes (no writes here: those are
`PickService`'s, in services/picking.py)."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from picker_app.domain.batching import (
    BATCH_CANDIDATES,
    BUDGET_MS,
    MAX_PLANS,
    BatchChoice,
    Candidate,
    choose_batches,
)
from picker_app.domain.layout import Cell, Layout
from picker_app.domain.picking import (
    DEFAULT_WEIGHT_TOLERANCE,
    PickLine,
    PickSession,
    WeightTolerance,
)
from picker_app.domain.queue import PICK_PACK_BUDGET, QueuedOrder, next_orders
from picker_app.domain.scan import DEFAULT_SCAN_CONFIG, ScanConfig, lookup_gtins
from picker_app.domain.times import parse_time
from picker_app.errors import UserError
from picker_app.store import catalog, replica
from picker_app.store import orders as order_rows
from picker_app.store import tasks as task_rows
from picker_app.store import totes as tote_rows

if TYPE_CHECKING:
    from picker_app.domain.routing import RoutePlanner
    from picker_app.store.db import LocalStore

DEFAULT_CONGESTION = 0.5  # busy aisles cost up to 1.5x to walk through: a mild detour
ROUTES_KEPT = 4096  # route lengths remembered for choosing batches (by set of bins)


@dataclass(frozen=True)
class QueueEntry:
    """An order waiting to be picked, as the queue screen lists it."""

    order: QueuedOrder
    lines: int
    units: float
    repick: bool = False  # lines packing sent back: picked first, into a tote for packing


def product_gtins(store: LocalStore, sku: str, scan_config: ScanConfig) -> frozenset[str]:
    """A product's barcodes as 14-digit GTINs, with the look-up GTINs the store's own weight
    labels read as for an item sold by weight."""
    gtins = {g.zfill(14) for g in catalog.barcodes(store, sku)}
    code = catalog.weight_code(store, sku)
    if code:
        gtins |= lookup_gtins(code, scan_config.variable_measure)
    return frozenset(gtins)


class PickReads:
    """The picker's view of the local cache."""

    def __init__(
        self,
        store: LocalStore,
        layout: Layout,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        require_bin_scan: bool = True,
        congestion: float = DEFAULT_CONGESTION,
        budget: timedelta = PICK_PACK_BUDGET,
        scan_config: ScanConfig = DEFAULT_SCAN_CONFIG,
        weight_tolerance: WeightTolerance = DEFAULT_WEIGHT_TOLERANCE,
    ) -> None:
        self.store = store
        self.weight_tolerance = weight_tolerance
        self.scan_config = scan_config
        self.layout = layout
        self.clock = clock
        self.require_bin_scan = require_bin_scan
        self.congestion = congestion
        self.budget = budget
        self._planner: RoutePlanner | None = None
        self._route_m: dict[frozenset[str], float] = {}

    @property
    def planner(self) -> RoutePlanner:
        """The heat-aware planner: busy aisles (by recent picks) cost more to walk through."""
        if self._planner is None:
            # Imported here: numpy and scipy are not needed before the first route (start-up).
            from picker_app.domain.routing import RoutePlanner

            heat: dict[str, float] = {}
            for code, picks in task_rows.picks_by_bin(self.store):
                try:
                    bay = self.layout.bin(code).bay.code
                except UserError:
                    continue  # a bin no longer in the layout
                heat[bay] = heat.get(bay, 0.0) + float(picks or 0)
            self._planner = RoutePlanner(self.layout, heat, self.congestion if heat else None)
        return self._planner

    def queue(self, limit: int = 20) -> list[QueueEntry]:
        """Orders waiting to be picked, in the order they should be taken."""
        rows = order_rows.waiting_rows(self.store)
        by_id = {r[0]: r for r in rows}
        queued = [QueuedOrder(r[0], r[1], parse_time(r[2]), int(r[3] or 0)) for r in rows]
        # Lines packing sent back come first: their order waits at packing for them.
        repicks = [
            QueueEntry(
                QueuedOrder(order_id, "picked", parse_time(promised), int(priority or 0)),
                int(n), float(units or 0), repick=True,
            )  # fmt: skip
            for order_id, promised, priority, n, units in order_rows.repick_rows(self.store)
        ]
        repicks.sort(key=lambda e: (e.order.promised_at is None, e.order.promised_at or 0))
        return (repicks + [
            QueueEntry(o, by_id[o.id][4], float(by_id[o.id][5]))
            for o in next_orders(queued, batch=limit)
        ])[:limit]

    def batch_candidates(self, entries: Sequence[QueueEntry]) -> list[Candidate]:
        """The queue's orders as batch candidates: the bins of their lines (those this layout
        has: the others are shorted at the bin) and their promises."""
        ids = [e.order.id for e in entries]
        bins: dict[str, list[str]] = {o: [] for o in ids}
        for order_id, *_, bin_, _category in order_rows.pick_lines(self.store, ids):
            if bin_ and self._known(bin_):
                bins[order_id].append(bin_)
        return [
            Candidate(e.order.id, tuple(bins[e.order.id]), len(bins[e.order.id]),
                      e.order.promised_at)
            for e in entries
        ]  # fmt: skip

    def _known(self, bin_code: str) -> bool:
        try:
            self.layout.bin(bin_code)
        except UserError:
            return False
        return True

    def suggest_batches(
        self,
        sizes: Sequence[int],
        entries: Sequence[QueueEntry] | None = None,
        max_plans: int = MAX_PLANS,
        budget_ms: float | None = BUDGET_MS,
    ) -> dict[int, BatchChoice]:
        """The batch to offer of each size in `sizes` (domain.batching), among the first
        BATCH_CANDIDATES (or the largest size) of `entries` (default: the queue now), at the
        backend's time. Route lengths are remembered by their bins, so asking again about
        the same queue plans nothing. A re-pick (a line packing sent back) is taken alone,
        never batched."""
        k = max(BATCH_CANDIDATES, *sizes, 1)
        queued = list(entries) if entries is not None else self.queue(limit=k + 8)
        shown = [e for e in queued if not e.repick][:k]
        candidates = self.batch_candidates(shown)
        now = self.backend_now()
        return choose_batches(candidates, sizes, self.route_m, now, max_plans, budget_ms)

    def suggest_batch(self, n: int) -> BatchChoice:
        """The batch of `n` orders to offer now (suggest_batches)."""
        return self.suggest_batches([n])[n]

    def route_m(self, bins: Sequence[str]) -> float:
        """Metres of the planner's route through `bins`, remembered."""
        key = frozenset(bins)
        found = self._route_m.get(key)
        if found is None:
            if len(self._route_m) >= ROUTES_KEPT:
                self._route_m.clear()
            found = self._route_m[key] = self.planner.plan(sorted(key)).length_m
        return found

    def backend_now(self) -> datetime:
        """The backend's time: this device's clock and the offset measured at the last sync
        (promise times are the backend's)."""
        return self.clock() + timedelta(seconds=replica.clock_offset(self.store))

    def waiting(self) -> int:
        """How many orders wait to be picked."""
        return order_rows.waiting_count(self.store)

    def order_state(self, order_id: str) -> str | None:
        return order_rows.state(self.store, order_id)

    def order_problem(self, order_id: str) -> str | None:
        """Why `order_id` cannot be taken for picking now, or None when it can."""
        state = self.order_state(order_id)
        why = {
            None: "is not on this device yet (new? it comes with the next sync)",
            "picking": "is already being picked",
            "picked": "is already picked: it is waiting for packing",
            "packed": "is already packed",
            "dispatched": "has left the store",
            "delivered": "has been delivered",
            "cancelled": "was cancelled by the customer",
        }
        if state in ("placed", "confirmed"):
            return None
        if state == "picked" and order_rows.repick_lines(self.store, [order_id]):
            return None  # a line packing sent back
        return f"Order {order_id} {why.get(state, f'is {state}')}: take another."

    def tote_problem(self, code: str, taken: Sequence[str] = ()) -> str | None:
        """Why a tote label cannot take a new order, or None when it can."""
        if code in taken:
            return f"Tote {code} is already used for another order of this batch: scan another."
        row = tote_rows.status(self.store, code)
        if row is None:
            return None
        order_id, tote_state, order_state = row
        if tote_state == "picking":
            return f"Tote {code} is in use for order {order_id}: take an empty tote."
        # A closed tote is busy until packing releases it: until the backend says its order
        # is packed (or cancelled, or gone from the open orders).
        if tote_state == "closed" and order_state in ("picking", "picked"):
            return f"Tote {code} is with order {order_id} at packing: take an empty tote."
        return None

    def _session(
        self,
        orders: Sequence[str],
        totes: dict[str, str],
        saved: dict[str, Cell] | None = None,
        repick_lines: frozenset[tuple[str, int]] = frozenset(),
    ) -> tuple[PickSession, dict[str, Cell]]:
        """The lines of `orders` in route order, and where each stop is picked from: planned
        now, or as `saved` when the task was planned before (a restart keeps its route, even
        if the heat has changed since). Of an order with lines in `repick_lines` (sent back by
        packing), only those."""
        rows = order_rows.pick_lines(self.store, orders)
        lines: list[PickLine] = []
        repicked = {o for o, _ in repick_lines}
        for order_id, line_no, sku, qty, name, unit, bin_, category in rows:
            if not bin_:
                continue  # nowhere to pick it from: the backend will short it
            if order_id in repicked and (order_id, line_no) not in repick_lines:
                continue  # at packing already: only the lines sent back are picked again
            lines.append(
                PickLine(
                    order_id,
                    line_no,
                    sku,
                    name,
                    bin_,
                    float(qty),
                    unit,
                    self._gtins(sku),
                    self._zone(bin_),
                    totes.get(order_id),
                    category,
                )  # fmt: skip
            )
        if not lines:
            return self._new_session([]), {}
        if saved is not None and all(ln.bin in saved for ln in lines):
            cells = dict(saved)  # in the saved route order
        else:
            route = self.planner.plan(ln.bin for ln in lines)
            cells = {stop.bin: stop.cell for stop in route.stops}
        rank = {b: i for i, b in enumerate(cells)}
        position = {order_id: i for i, order_id in enumerate(orders)}
        lines.sort(key=lambda ln: (rank[ln.bin], position[ln.order_id], ln.line_no))
        return self._new_session(lines), cells

    def _new_session(self, lines: list[PickLine]) -> PickSession:
        return PickSession(
            lines, self.require_bin_scan, self.clock().date(),
            weight_tolerance=self.weight_tolerance,
        )  # fmt: skip

    def _gtins(self, sku: str) -> frozenset[str]:
        return product_gtins(self.store, sku, self.scan_config)

    def _zone(self, bin_code: str) -> str:
        try:
            return self.layout.bin(bin_code).bay.zone
        except UserError:
            return "?"

    def line_for(self, sku: str) -> PickLine | None:
        """A product as a pick line (for substitutes): its name, bin, unit and barcodes."""
        row = catalog.product(self.store, sku)
        if row is None or not row[2]:
            return None
        name, unit, bin_, category = row
        return PickLine("", 0, sku, name, bin_, 0.0, unit, self._gtins(sku), self._zone(bin_),
                        None, category)  # fmt: skip

    def suggested(self, line: PickLine) -> list[str]:
        """The backend's substitutes for `line` (best first), as it sent them with the order."""
        text = order_rows.suggestions(self.store, line.order_id, line.line_no)
        try:
            found = json.loads(text) if text else []
        except ValueError:
            return []
        return [str(sku) for sku in found if sku != line.sku] if isinstance(found, list) else []

    def substitutes(self, line: PickLine, limit: int = 5) -> list[tuple[PickLine, float]]:
        """Products to offer instead of `line`, with the stock on hand: first the backend's
        suggestions, then more of the same category and unit, the closest in price first;
        each in stock here (enough for the line)."""
        offered: list[tuple[PickLine, float]] = []
        for sku in self.suggested(line):
            on_hand = catalog.on_hand(self.store, sku)
            sub = self.line_for(sku)
            if sub is not None and on_hand >= line.qty and len(offered) < limit:
                offered.append((sub, float(on_hand)))
        return offered + [
            (sub, on_hand)
            for sub, on_hand in self._same_category(line, limit + len(offered))
            if sub.sku not in {o.sku for o, _ in offered}
        ][: limit - len(offered)]

    def _same_category(self, line: PickLine, limit: int) -> list[tuple[PickLine, float]]:
        """Same category and unit, in stock (enough for the line), the closest in price first."""
        price = catalog.price(self.store, line.sku)
        rows = catalog.alike_in_stock(
            self.store, line.category, line.unit, line.sku, line.qty, price, limit
        )
        out = []
        for sku, on_hand in rows:
            sub = self.line_for(sku)
            if sub is not None:
                out.append((sub, float(on_hand)))
        return out
