"""Pick-route planning: the shortest closed walk from `@` through an access cell of every bay.

- Up to `EXACT_MAX_BAYS` distinct bays: the exact dynamic programme over (set of bays, access
  cell), layered by pick rank and with dominated access cells dropped: dense Held-Karp for small
  orders, above that a search that keeps only the states that could beat a quick local-search
  tour, within a fixed work budget (`EXACT_BUDGET`). A route it proves is `optimal`.
- More bays (batches), or an order whose proof would overrun the budget: iterated local search
  over the bay order and the access cells together (`route_search`, compiled with numba in
  `route_kernel`: 2-opt and Or-opt with the moved bays' best cells, reversals across pick
  ranks, the whole order's best cells at each local optimum; ruin-and-recreate, row-flip,
  segment and double-bridge kicks), from ten starts; `optimal` is false.

The parts live in modules of their own, re-exported here (import them from here):
`route_problem` (`Problem`, access-cell choice), `route_exact` (the exact searches), `route_tours`
(nearest-neighbour, S-shape and listed-order tours) and `route_search` (the local search).
This module holds the planner and the `Route` it returns.

Everything here is plain computation: no IO, no UI.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from picker_app.domain.distances import distance_table
from picker_app.domain.heat import congestion_weights
from picker_app.domain.layout import Bay, Bin, Cell, Layout
from picker_app.domain.route_exact import DENSE_MAX_WORK, Solution, dense_work, solve_exact
from picker_app.domain.route_problem import Problem, make_problem
from picker_app.domain.route_search import (
    ILS_BASE_ITERATIONS,
    ILS_ITERATIONS_PER_BAY,
    load_search,
    solve_heuristic,
)
from picker_app.domain.route_tours import (
    listed_order_nearest_side,
    nearest_neighbour_order,
    sshape_order,
)
from picker_app.errors import UserError

__all__ = [
    "EXACT_BUDGET",
    "EXACT_MAX_BAYS",
    "ILS_BASE_ITERATIONS",
    "ILS_ITERATIONS_PER_BAY",
    "EmptyOrderError",
    "Problem",
    "Route",
    "RoutePlanner",
    "Stop",
    "listed_order_nearest_side",
    "make_problem",
    "nearest_neighbour_order",
    "solve_exact",
    "solve_heuristic",
    "sshape_order",
]

# Orders of up to this many distinct bays are planned exactly when the proof fits in
# EXACT_BUDGET (bigger ones go straight to the local search): the largest size at which p95 of
# `plan` stayed under 100 ms on the shipped layouts in bench/exact_bench.py (issue 12; at 30 an
# order in 20 overran the first try and waited for the local search).
EXACT_MAX_BAYS = 28
# Kicks a bay of the local search whose tour the exact search prunes against: its descents
# alone left kiosk-store's 28-bay orders at p95 109 ms (bench/exact_bench.py); a few kicks,
# about 1 ms, find a tighter bound.
QUICK_KICKS_PER_BAY = 4
# The exact search's limit, in state expansions, for each of its (at most two) tries: about 55 ms
# of search on the bench machine. A count, not a time, so the same order always gets the same
# route. Orders of up to 15 bays are always proven (route_exact.ALWAYS_EXACT_BAYS).
EXACT_BUDGET = 200_000


class EmptyOrderError(UserError):
    """An order with no bins."""


@dataclass(frozen=True)
class Stop:
    """One bin to pick, and the access cell the picker stands on to pick it."""

    bin: str
    cell: Cell


@dataclass(frozen=True)
class Route:
    """A planned pick route, as the route command prints it."""

    layout: str
    stops: tuple[Stop, ...]
    path: tuple[Cell, ...]
    length_m: float
    solve_ms: float
    optimal: bool
    cost: float | None = None

    def to_json(self) -> dict[str, object]:
        """The JSON object of spec/route-cli.md."""
        out: dict[str, object] = {
            "layout": self.layout,
            "length_m": self.length_m,
            "solve_ms": self.solve_ms,
            "optimal": self.optimal,
            "stops": [{"bin": s.bin, "cell": list(s.cell)} for s in self.stops],
            "path": [list(cell) for cell in self.path],
        }
        if self.cost is not None:
            out["cost"] = self.cost
        return out


class RoutePlanner:
    """Plans pick routes on one layout; reuse it for many orders (the distance table is cached)."""

    def __init__(
        self,
        layout: Layout,
        heat: Mapping[str, float] | None = None,
        congestion: float | None = None,
    ) -> None:
        """`congestion` K (with `heat`, picks/hour by bay code) makes busy cells cost more;
        when K is given, routes report their `cost`."""
        if congestion is not None and not congestion >= 0:
            raise UserError(f"congestion must be a number >= 0, got {congestion}")
        self.layout = layout
        congested = heat is not None and bool(congestion)
        weights = (
            congestion_weights(layout, dict(heat or {}), congestion or 0.0) if congested else None
        )
        self.report_cost = congestion is not None
        self.table = distance_table(layout, weights)

    def resolve(self, codes: Iterable[str]) -> list[Bin]:
        """The distinct bins of an order (a bin named twice is planned once)."""
        seen: dict[str, Bin] = {}
        for code in codes:
            b = self.layout.bin(code)
            seen.setdefault(b.code, b)
        if not seen:
            raise EmptyOrderError("empty order: give at least one bin code (e.g. A07-2)")
        return list(seen.values())

    def plan(
        self,
        codes: Iterable[str],
        exact_max: int = EXACT_MAX_BAYS,
        exact_budget: int | None = EXACT_BUDGET,
    ) -> Route:
        """The shortest (or, with congestion, cheapest) route through every bin of an order:
        proven (`optimal`) for up to `exact_max` bays when the proof takes at most `exact_budget`
        state expansions (None: no limit), else the local search's."""
        t0 = time.perf_counter()
        bins = self.resolve(codes)
        by_bay: dict[Bay, list[Bin]] = {}
        for b in bins:
            by_bay.setdefault(b.bay, []).append(b)
        problem = make_problem(self.table, list(by_bay))
        if len(problem.bays) > exact_max or dense_work(problem) > DENSE_MAX_WORK:
            t0 += load_search(make_problem(self.table, list(by_bay)[:3]))  # the search is used
        seed = int.from_bytes(
            hashlib.blake2b(
                ",".join(sorted(b.code for b in bins)).encode(), digest_size=4
            ).digest(),
            "big",
        )
        (order, cells, _), exact = _solve(problem, seed, exact_max, exact_budget)
        if len(problem.groups) == 1:
            # A tour and its reverse cost the same: print the one starting with the lower bay.
            codes = [problem.bays[b].code for b in order]
            if codes[::-1] < codes:
                order, cells = order[::-1], cells[::-1]
        return self._route(problem, order, cells, by_bay, exact, t0)

    def _route(
        self,
        problem: Problem,
        order: list[int],
        cells: list[int],
        by_bay: dict[Bay, list[Bin]],
        optimal: bool,
        t0: float,
    ) -> Route:
        stations = self.table.stations
        stops: list[Stop] = []
        stop_cells: list[Cell] = []
        for b, st in zip(order, cells, strict=True):
            bay = problem.bays[b]
            cell = stations[st]
            stop_cells.append(cell)
            for bin_ in sorted(by_bay[bay], key=lambda x: x.level):
                stops.append(Stop(bin_.code, cell))
        path = self.table.walk(stop_cells)
        solve_ms = round((time.perf_counter() - t0) * 1000, 3)
        return Route(
            layout=self.layout.id,
            stops=tuple(stops),
            path=tuple(path),
            length_m=round((len(path) - 1) * self.layout.cell_m, 3),
            solve_ms=solve_ms,
            optimal=optimal,
            cost=round(self.table.cost_of(path), 3) if self.report_cost else None,
        )


def _solve(
    problem: Problem, seed: int, exact_max: int, budget: int | None
) -> tuple[Solution, bool]:
    """The route (bay order, stations, cost) of `problem` and whether it is proven optimal."""
    n = len(problem.bays)
    if n > exact_max:
        return solve_heuristic(problem, seed), False
    quick: list[Solution] = []

    def known() -> Solution:
        # A short local search (a few kicks a bay): a good tour, quickly, to prune against.
        quick.append(solve_heuristic(problem, seed, iterations=QUICK_KICKS_PER_BAY * n))
        return quick[0]

    found = solve_exact(problem, known, budget)
    if found is not None:
        return found, True
    # Out of budget, mostly because the quick tour was not optimal: the local search proper
    # (needed now anyway), and one more try against its tour when that is better.
    best = solve_heuristic(problem, seed)
    if best[2] < quick[0][2]:
        found = solve_exact(problem, lambda: best, budget)
        if found is not None:
            return found, True
    return best, False
