"""Pick-route planning: the shortest closed walk from `@` through an access cell of every bay.

- Up to `EXACT_MAX_BAYS` distinct bays: an exact Held-Karp dynamic programme over (set of bays,
  access cell), layered by pick rank and with dominated access cells dropped; `optimal` is true.
- More bays (batches): iterated local search (2-opt and Or-opt moves evaluated for the whole tour
  at once with numpy, double-bridge kicks inside a pick-rank segment, access cells re-chosen by a
  layered shortest path), started from the better of a nearest-neighbour and an S-shape tour.

Everything here is plain computation: no IO, no UI.
"""

from __future__ import annotations

import hashlib
import random
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from picker_app.domain.distances import DistanceTable, distance_table
from picker_app.domain.heat import congestion_weights
from picker_app.domain.layout import Bay, Bin, Cell, Layout
from picker_app.errors import UserError

EXACT_MAX_BAYS = 15


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


@dataclass
class Problem:
    """An order reduced to what the solvers need: bays in pick-rank groups and their stations."""

    table: DistanceTable
    bays: list[Bay]
    cands: list[np.ndarray]  # station ids each bay can be picked from (dominated ones dropped)
    groups: list[list[int]]  # indices into `bays`, one list per pick rank, ascending

    @property
    def dist(self) -> np.ndarray:
        return self.table.matrix

    def tour_cost(self, order: Sequence[int], cells: Sequence[int]) -> float:
        """Cost of visiting bays `order` at stations `cells` (same length), from and back to @."""
        seq = [0, *cells, 0]
        d = self.dist
        return float(sum(d[a, b] for a, b in zip(seq, seq[1:], strict=False)))

    def best_cells(self, order: Sequence[int]) -> tuple[list[int], float]:
        """The best access cell for each bay visited in `order` (a layered shortest path)."""
        d = self.dist
        prev_nodes = np.array([0])
        prev_cost = np.zeros(1, dtype=np.float64)
        back: list[np.ndarray] = []
        for b in order:
            nodes = self.cands[b]
            total = prev_cost[:, None] + d[np.ix_(prev_nodes, nodes)]
            back.append(total.argmin(axis=0))
            prev_cost = total.min(axis=0)
            prev_nodes = nodes
        final = prev_cost + d[prev_nodes, 0]
        j = int(final.argmin())
        cost = float(final[j])
        cells: list[int] = []
        for b, arg in zip(reversed(order), reversed(back), strict=True):
            cells.append(int(self.cands[b][j]))
            j = int(arg[j])
        cells.reverse()
        return cells, cost


def make_problem(table: DistanceTable, bays: Sequence[Bay]) -> Problem:
    """Group bays by pick rank and keep, for each bay, only access cells not dominated by another
    of its cells (one at least as close to every other station of the order)."""
    bays = sorted(set(bays), key=lambda b: (b.pick_rank, b.aisle, b.number))
    raw = [np.array([table.station_of[c] for c in bay.access], dtype=np.int64) for bay in bays]
    every_cell = np.concatenate(raw)
    owner = np.concatenate([np.full(len(own), i) for i, own in enumerate(raw)])
    d = table.matrix
    cands: list[np.ndarray] = []
    for b, own in enumerate(raw):
        if len(own) == 1:
            cands.append(own)
            continue
        # What the bay's stop can sit between: the pack station and every other bay's cells
        # (a cell this bay shares with another bay counts too).
        others = np.unique(np.concatenate(([0], every_cell[owner != b])))
        rows = d[np.ix_(own, others)]
        keep: list[int] = []
        for i in range(len(own)):
            dominated = False
            for j in range(len(own)):
                if i == j:
                    continue
                if np.all(rows[j] <= rows[i]) and (np.any(rows[j] < rows[i]) or j < i):
                    dominated = True
                    break
            if not dominated:
                keep.append(i)
        cands.append(own[keep])
    groups: dict[int, list[int]] = {}
    for i, bay in enumerate(bays):
        groups.setdefault(bay.pick_rank, []).append(i)
    return Problem(table, list(bays), cands, [groups[r] for r in sorted(groups)])


# --- exact: Held-Karp ------------------------------------------------------------------------


@lru_cache(maxsize=32)
def _mask_plan(k: int) -> list[tuple[int, np.ndarray, np.ndarray]]:
    """For each (popcount >= 2, bay i): the masks holding bay i, and those masks without it."""
    masks = np.arange(1 << k, dtype=np.int64)
    pop = np.zeros(1 << k, dtype=np.int64)
    for i in range(k):
        pop += (masks >> i) & 1
    plan = []
    for p in range(2, k + 1):
        at_p = masks[pop == p]
        for i in range(k):
            sub = at_p[((at_p >> i) & 1) == 1]
            plan.append((i, sub, sub ^ (1 << i)))
    return plan


def solve_exact(problem: Problem) -> tuple[list[int], list[int], float]:
    """The proven-optimal (bay order, stations, cost), pick ranks respected."""
    d = problem.dist
    inf = problem.table.inf
    prev_nodes = np.array([0], dtype=np.int64)
    prev_cost = np.zeros(1, dtype=d.dtype)
    layers = []
    for group in problem.groups:
        k = len(group)
        ns = np.concatenate([problem.cands[b] for b in group])
        nb = np.concatenate([np.full(len(problem.cands[b]), i) for i, b in enumerate(group)])
        cols_of = [np.flatnonzero(nb == i) for i in range(k)]
        dm = d[np.ix_(ns, ns)]
        start = prev_cost[:, None] + d[np.ix_(prev_nodes, ns)]
        init_arg = start.argmin(axis=0)
        init = start.min(axis=0)
        dp = np.full((1 << k, len(ns)), inf, dtype=d.dtype)
        for i in range(k):
            dp[1 << i, cols_of[i]] = init[cols_of[i]]
        for i, sub, without in _mask_plan(k):
            cols = cols_of[i]
            step = dp[without][:, :, None] + dm[:, cols][None, :, :]
            dp[sub[:, None], cols[None, :]] = step.min(axis=1)
        layers.append((group, ns, nb, dm, dp, init_arg))
        prev_nodes = ns
        prev_cost = dp[(1 << k) - 1]
    final = prev_cost + d[prev_nodes, 0]
    j = int(final.argmin())
    cost = float(final[j])
    order: list[int] = []
    cells: list[int] = []
    for group, ns, nb, dm, dp, init_arg in reversed(layers):
        mask = (1 << len(group)) - 1
        while True:
            i = int(nb[j])
            order.append(group[i])
            cells.append(int(ns[j]))
            if mask == 1 << i:
                j = int(init_arg[j])
                break
            mask ^= 1 << i
            j = int((dp[mask] + dm[:, j]).argmin())
    order.reverse()
    cells.reverse()
    return order, cells, cost


# --- heuristic: iterated local search ----------------------------------------------------------


def nearest_neighbour_order(problem: Problem) -> list[int]:
    """Greedy tour: from where the picker stands, the nearest bay of the current pick rank."""
    d = problem.dist
    here = 0
    order: list[int] = []
    for group in problem.groups:
        left = set(group)
        while left:
            best = min(left, key=lambda b: (float(d[here, problem.cands[b]].min()), b))
            order.append(best)
            here = int(problem.cands[best][int(d[here, problem.cands[best]].argmin())])
            left.remove(best)
    return order


def listed_order_nearest_side(
    problem: Problem, listed: Sequence[Bay]
) -> tuple[list[int], list[int]]:
    """What a picker does unaided: bays in the order the lines are listed (pick ranks kept in
    order), each picked from the side nearest to where the picker stands. (order, stations)."""
    d = problem.dist
    index = {bay: i for i, bay in enumerate(problem.bays)}
    order: list[int] = []
    for bay in sorted(dict.fromkeys(listed), key=lambda b: b.pick_rank):
        if bay in index and index[bay] not in order:
            order.append(index[bay])
    here = 0
    cells: list[int] = []
    for b in order:
        here = int(problem.cands[b][int(d[here, problem.cands[b]].argmin())])
        cells.append(here)
    return order, cells


def sshape_order(problem: Problem) -> list[int]:
    """S-shape (traversal) order: aisle by aisle across the store, up one aisle and down the
    next, within each pick rank. Aisles are found from the floor: a bay's aisle is the run of
    walkable cells across the corridor it is picked from."""
    layout = problem.table.layout
    order: list[int] = []
    for group in problem.groups:
        keyed = []
        for b in group:
            lane, along = _aisle_position(layout, problem.bays[b])
            keyed.append((lane, along, b))
        lanes = sorted({k[0] for k in keyed})
        rank_of_lane = {lane: i for i, lane in enumerate(lanes)}
        keyed.sort(key=lambda k: (k[0], k[1] if rank_of_lane[k[0]] % 2 == 0 else -k[1]))
        order.extend(k[2] for k in keyed)
    return order


def _aisle_position(layout: Layout, bay: Bay) -> tuple[tuple[int, float], int]:
    """(aisle key, position along the aisle) of the corridor a bay is picked from."""
    best: tuple[int, tuple[tuple[int, float], int]] | None = None
    for r, c in bay.access:
        vertical = r == bay.cell[0]  # picked from the left or right: the aisle runs up and down
        if vertical:
            c0 = c
            while layout.walkable((r, c0 - 1)):
                c0 -= 1
            c1 = c
            while layout.walkable((r, c1 + 1)):
                c1 += 1
            key = ((0, (c0 + c1) / 2), r)
            width = c1 - c0 + 1
        else:
            r0 = r
            while layout.walkable((r0 - 1, c)):
                r0 -= 1
            r1 = r
            while layout.walkable((r1 + 1, c)):
                r1 += 1
            key = ((1, (r0 + r1) / 2), c)
            width = r1 - r0 + 1
        if best is None or width < best[0]:
            best = (width, key)
    assert best is not None
    return best[1]


class _Tour:
    """Move evaluation for a tour of bays with fixed stations; pick-rank segments stay whole."""

    def __init__(self, problem: Problem, order: list[int]) -> None:
        self.problem = problem
        n = len(order)
        rank = np.array([problem.bays[b].pick_rank for b in order], dtype=np.int64)
        big = 1 << 30
        rpos = np.concatenate(([-big], rank, [big]))  # rank by tour position 0..n+1
        p = np.arange(n + 1)
        # 2-opt removes edges (p, p+1) and (q, q+1), reversing positions p+1..q.
        self.two_ok = (p[None, :] > p[:, None] + 1) & (
            rpos[np.minimum(p + 1, n + 1)][:, None] == rpos[p][None, :]
        )
        self.or_ok: dict[int, np.ndarray] = {}
        for seg in (1, 2, 3):
            if seg > n:
                continue
            i = np.arange(1, n - seg + 2)  # segment occupies positions i..i+seg-1
            j = np.arange(n + 1)  # insert between positions j and j+1
            same = rpos[i] == rpos[i + seg - 1]
            fits = (rpos[j][None, :] <= rpos[i][:, None]) & (
                rpos[i][:, None] <= rpos[j + 1][None, :]
            )
            outside = (j[None, :] < i[:, None] - 1) | (j[None, :] > i[:, None] + seg - 1)
            self.or_ok[seg] = same[:, None] & fits & outside

    def improve(self, order: list[int], cells: dict[int, int]) -> list[int]:
        """Best-improvement 2-opt and Or-opt (segments of 1-3, either way) to a local optimum."""
        d = self.problem.dist
        inf = np.inf
        eps = 1e-9
        n = len(order)
        while True:
            t = np.array([0, *(cells[b] for b in order), 0], dtype=np.int64)
            tt = d[np.ix_(t, t)].astype(np.float64)
            edge = np.diagonal(tt, 1)  # edge[k] = (k, k+1), k = 0..n
            two = tt[:-1, :-1] + tt[1:, 1:] - edge[:, None] - edge[None, :]
            two = np.where(self.two_ok, two, inf)
            best = float(two.min())
            move: tuple = ("2", *np.unravel_index(int(two.argmin()), two.shape))
            for seg, ok in self.or_ok.items():
                m = n - seg + 1
                removed = edge[0:m] + edge[seg : seg + m] - np.diagonal(tt, seg + 1)[0:m]
                base = -edge[None, :] - removed[:, None]
                fwd = tt[1 : m + 1, :-1] + tt[seg : seg + m, 1:] + base
                rev = tt[seg : seg + m, :-1] + tt[1 : m + 1, 1:] + base
                for flipped, gain in ((False, fwd), (True, rev)):
                    if flipped and seg == 1:
                        continue
                    gain = np.where(ok, gain, inf)
                    value = float(gain.min())
                    if value < best:
                        best = value
                        i, j = np.unravel_index(int(gain.argmin()), gain.shape)
                        move = ("or", seg, flipped, int(i) + 1, int(j))
            if best >= -eps:
                return order
            if move[0] == "2":
                p, q = int(move[1]), int(move[2])
                order = order[:p] + order[p:q][::-1] + order[q:]
            else:
                _, seg, flipped, i, j = move
                part = order[i - 1 : i - 1 + seg]
                if flipped:
                    part = part[::-1]
                if j < i:
                    order = order[:j] + part + order[j : i - 1] + order[i - 1 + seg :]
                else:
                    order = order[: i - 1] + order[i - 1 + seg : j] + part + order[j:]


def solve_heuristic(problem: Problem, seed: int = 0) -> tuple[list[int], list[int], float]:
    """A near-optimal (bay order, stations, cost) by iterated local search."""
    rng = random.Random(seed)
    starts = []
    for order in (nearest_neighbour_order(problem), sshape_order(problem)):
        cells, cost = problem.best_cells(order)
        starts.append((cost, order, cells))
    _, order, cell_list = min(starts, key=lambda s: s[0])
    tour = _Tour(problem, order)

    def polish(order: list[int], cell_list: list[int]) -> tuple[list[int], list[int], float]:
        cells = dict(zip(order, cell_list, strict=True))
        cost = problem.tour_cost(order, cell_list)
        while True:
            order = tour.improve(order, cells)
            cell_list, new_cost = problem.best_cells(order)
            cells = dict(zip(order, cell_list, strict=True))
            if new_cost >= cost - 1e-9:
                return order, cell_list, new_cost
            cost = new_cost

    order, cell_list, cost = polish(order, cell_list)
    segments = [(start, start + len(g)) for start, g in _group_starts(problem.groups)]
    n = len(order)
    iterations = 30 + 2 * n
    for _ in range(iterations):
        lo, hi = max(segments, key=lambda s: (s[1] - s[0]) * rng.random())
        if hi - lo < 8:
            break
        cand = _double_bridge(order, lo, hi, rng)
        cand_cells = dict(zip(order, cell_list, strict=True))
        cand = tour.improve(cand, cand_cells)
        cand_list = [cand_cells[b] for b in cand]
        cand_cost = problem.tour_cost(cand, cand_list)
        if cand_cost < cost - 1e-9:
            order, cell_list, cost = polish(cand, cand_list)
    return order, cell_list, cost


def _group_starts(groups: list[list[int]]) -> Iterable[tuple[int, list[int]]]:
    start = 0
    for g in groups:
        yield start, g
        start += len(g)


def _double_bridge(order: list[int], lo: int, hi: int, rng: random.Random) -> list[int]:
    """Cut order[lo:hi] into A B C D and rejoin as A C B D, with the cuts near each other."""
    span = hi - lo
    window = min(span, 30)
    w0 = lo + rng.randrange(span - window + 1)
    a, b, c = sorted(rng.sample(range(w0 + 1, w0 + window), 3))
    return order[:a] + order[b:c] + order[a:b] + order[c:]


# --- the planner -------------------------------------------------------------------------------


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

    def plan(self, codes: Iterable[str], exact_max: int = EXACT_MAX_BAYS) -> Route:
        """The shortest (or, with congestion, cheapest) route through every bin of an order."""
        t0 = time.perf_counter()
        bins = self.resolve(codes)
        by_bay: dict[Bay, list[Bin]] = {}
        for b in bins:
            by_bay.setdefault(b.bay, []).append(b)
        problem = make_problem(self.table, list(by_bay))
        exact = len(problem.bays) <= exact_max
        if exact:
            order, cells, _ = solve_exact(problem)
        else:
            seed = int.from_bytes(
                hashlib.blake2b(
                    ",".join(sorted(b.code for b in bins)).encode(), digest_size=4
                ).digest(),
                "big",
            )
            order, cells, _ = solve_heuristic(problem, seed)
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
