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
from functools import cached_property, lru_cache

import numpy as np

from picker_app.domain.distances import DistanceTable, distance_table
from picker_app.domain.heat import congestion_weights
from picker_app.domain.layout import Bay, Bin, Cell, Layout
from picker_app.errors import UserError

EXACT_MAX_BAYS = 15
# Kicks of the iterated local search for n bays, split between its two starts. Chosen on the
# demo and irregular stores against LKH (bench/route_bench.py): about 270 ms for 100 bays.
ILS_BASE_ITERATIONS = 30
ILS_ITERATIONS_PER_BAY = 5


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

    def best_cells(self, order: Sequence[int]) -> tuple[list[int], float]:
        """The best access cell for each bay visited in `order` (a layered shortest path)."""
        d = self.table.rows
        prev_nodes: list[int] = [0]
        prev_cost: list[float] = [0.0]
        back: list[list[int]] = []
        for b in order:
            nodes = self.cand_lists[b]
            costs, args = [], []
            for node in nodes:
                best_k, best = 0, prev_cost[0] + d[prev_nodes[0]][node]
                for k in range(1, len(prev_nodes)):
                    value = prev_cost[k] + d[prev_nodes[k]][node]
                    if value < best:
                        best_k, best = k, value
                costs.append(best)
                args.append(best_k)
            back.append(args)
            prev_nodes, prev_cost = nodes, costs
        final = [c + d[node][0] for c, node in zip(prev_cost, prev_nodes, strict=True)]
        j = min(range(len(final)), key=final.__getitem__)
        cost = float(final[j])
        cells: list[int] = []
        for b, args in zip(reversed(order), reversed(back), strict=True):
            cells.append(self.cand_lists[b][j])
            j = args[j]
        cells.reverse()
        return cells, cost

    def tour_cost(self, order: Sequence[int], cells: Sequence[int]) -> float:
        """Cost of visiting bays `order` at stations `cells` (same length), from and back to @."""
        d = self.table.rows
        seq = [0, *cells, 0]
        return float(sum(d[a][b] for a, b in zip(seq, seq[1:], strict=False)))

    @cached_property
    def cand_lists(self) -> list[list[int]]:
        return [[int(x) for x in c] for c in self.cands]


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
    d = problem.table.rows
    cands = problem.cand_lists
    here = 0
    order: list[int] = []
    for group in problem.groups:
        left = set(group)
        while left:
            row = d[here]
            best = min(left, key=lambda b: (min(row[c] for c in cands[b]), b))
            order.append(best)
            here = min(cands[best], key=row.__getitem__)
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
    """Move evaluation for a tour of bays with fixed stations; pick-rank segments stay whole.

    Positions: 0 and n+1 are the pack station, 1..n the bays; edge k joins positions k and k+1.
    Moves are scored with numpy, a whole row of moves at a time, only for rows that touch a
    "dirty" bay (one whose neighbours changed since the last local optimum: don't-look bits).
    """

    OR_SEGMENTS = (1, 2, 3)

    def __init__(self, problem: Problem, order: list[int]) -> None:
        self.problem = problem
        self.d = problem.dist
        self.big = np.inf if self.d.dtype.kind == "f" else int(1 << 28)
        n = self.n = len(order)
        rank = np.array([problem.bays[b].pick_rank for b in order], dtype=np.int64)
        huge = 1 << 30
        rpos = np.concatenate(([-huge], rank, [huge]))  # rank by tour position 0..n+1
        k = np.arange(n + 1)
        lo, hi = np.minimum.outer(k, k), np.maximum.outer(k, k)
        # 2-opt on edges p < q reverses positions p+1..q: they must share one pick rank.
        ok = (hi > lo + 1) & (rpos[np.minimum(lo + 1, n + 1)] == rpos[hi])
        self.two_pen = np.where(ok, 0, self.big).astype(self.d.dtype)
        # Or-opt: every segment (first position i, last position e) of 1-3 bays, stacked, and
        # where it may go (between positions j and j+1).
        firsts, lasts, pens = [], [], []
        j = np.arange(n + 1)
        for seg in self.OR_SEGMENTS:
            if seg > n:
                continue
            i = np.arange(1, n - seg + 2)
            e = i + seg - 1
            same = rpos[i] == rpos[e]
            fits = (rpos[j][None, :] <= rpos[i][:, None]) & (
                rpos[i][:, None] <= rpos[j + 1][None, :]
            )
            outside = (j[None, :] < i[:, None] - 1) | (j[None, :] > e[:, None])
            ok = same[:, None] & fits & outside
            firsts.append(i)
            lasts.append(e)
            pens.append(np.where(ok, 0, self.big).astype(self.d.dtype))
        self.first = np.concatenate(firsts)
        self.last = np.concatenate(lasts)
        self.or_pen = np.vstack(pens)

    def improve(
        self, order: list[int], cells: dict[int, int], dirty: set[int] | None = None
    ) -> list[int]:
        """Best-improvement 2-opt and Or-opt (segments of 1-3, either way) until no move that
        touches a dirty bay (all bays when `dirty` is None) shortens the tour."""
        n = self.n
        # Distances between this tour's stops, by bay index; index n is the pack station.
        stations = np.zeros(n + 1, dtype=np.int64)
        stations[list(cells)] = list(cells.values())
        local = self.d.take(stations, axis=0).take(stations, axis=1)
        dirty_bay = np.zeros(n + 1, dtype=bool)
        if dirty is not None:
            dirty_bay[list(dirty)] = True
        dmask = np.zeros(n + 1, dtype=bool)
        while True:
            seq = np.array([n, *order, n])
            tt = local.take(seq, axis=0).take(seq, axis=1)
            if dirty is None:
                rows = None
            else:
                pos = np.flatnonzero(dirty_bay[seq[1:-1]]) + 1
                dmask[:] = False
                dmask[pos] = True
                dmask[pos - 1] = True
                dmask[0] = dmask[n] = True
                rows = np.flatnonzero(dmask)
            best, move = self._best_move(tt, rows, dmask)
            if best >= 0 or (self.big == np.inf and best > -1e-9):
                return order
            order, touched = self._apply(order, move)
            if dirty is not None:
                dirty_bay[list(touched)] = True

    def _best_move(
        self, tt: np.ndarray, rows: np.ndarray | None, dmask: np.ndarray
    ) -> tuple[float, tuple]:
        """The best 2-opt or Or-opt move touching an edge in `rows` (all edges when None):
        2-opt on a dirty edge and any other; Or-opt of a segment with a dirty end, anywhere.

        The distance matrix is symmetric, so every block is built from whole rows of `tt`
        (contiguous copies), which is several times faster than two-index gathers."""
        n = self.n
        edge = np.diagonal(tt, 1)  # edge k joins positions k and k+1
        first, last = self.first, self.last
        removed = edge[first - 1] + edge[last] - tt[first - 1, last + 1]
        if rows is None:  # everything is dirty
            rows = np.arange(n + 1)
            sel = np.arange(len(first))
        else:
            sel = np.flatnonzero(dmask[first - 1] | dmask[last])
        # 2-opt with one removed edge in `rows` (the move is symmetric in its two edges).
        two = tt.take(rows, axis=0)[:, :-1] + tt.take(rows + 1, axis=0)[:, 1:]
        two -= edge[rows, None] + edge[None, :]
        two += self.two_pen.take(rows, axis=0)
        # Or-opt: segment first..last out (first-1 joined to last+1), in between j and j+1.
        fs, ls = first[sel], last[sel]
        base = edge[None, :] + removed[sel, None]
        pen = self.or_pen.take(sel, axis=0)
        f_rows, l_rows = tt.take(fs, axis=0), tt.take(ls, axis=0)
        forward = f_rows[:, :-1] + l_rows[:, 1:] - base + pen
        backward = l_rows[:, :-1] + f_rows[:, 1:] - base + pen
        k = int(two.argmin())
        best = two.flat[k]
        r, q = divmod(k, n + 1)
        move: tuple = ("2", min(int(rows[r]), q), max(int(rows[r]), q))
        for gain, flipped in ((forward, False), (backward, True)):
            if gain.size == 0 or not gain.min() < best:
                continue
            r2, j = np.unravel_index(int(gain.argmin()), gain.shape)
            best = gain[r2, j]
            i, e = int(fs[r2]), int(ls[r2])
            move = ("or", e - i + 1, flipped and e > i, i, int(j))
        return best, move

    @staticmethod
    def _apply(order: list[int], move: tuple) -> tuple[list[int], set[int]]:
        """The tour after `move`, and the bays whose neighbours changed."""
        ext = [-1, *order, -1]
        if move[0] == "2":
            p, q = move[1], move[2]
            touched = {ext[p], ext[p + 1], ext[q], ext[q + 1]}
            order = order[:p] + order[p:q][::-1] + order[q:]
        else:
            _, seg, flipped, i, j = move
            touched = {ext[i - 1], ext[i], ext[i + seg - 1], ext[i + seg], ext[j], ext[j + 1]}
            part = order[i - 1 : i - 1 + seg]
            if flipped:
                part = part[::-1]
            if j < i:
                order = order[:j] + part + order[j : i - 1] + order[i - 1 + seg :]
            else:
                order = order[: i - 1] + order[i - 1 + seg : j] + part + order[j:]
        touched.discard(-1)
        return order, touched


def solve_heuristic(
    problem: Problem, seed: int = 0, iterations: int | None = None
) -> tuple[list[int], list[int], float]:
    """A near-optimal (bay order, stations, cost) by iterated local search, run from two
    different starts (nearest neighbour and S-shape); the better result wins."""
    rng = random.Random(seed)
    n = len(problem.bays)
    if iterations is None:
        iterations = ILS_BASE_ITERATIONS + ILS_ITERATIONS_PER_BAY * n
    starts = [nearest_neighbour_order(problem), sshape_order(problem)]
    tour = _Tour(problem, starts[0])
    results = [
        _iterated_local_search(problem, tour, start, iterations // len(starts), rng)
        for start in starts
    ]
    return min(results, key=lambda r: r[2])


def _iterated_local_search(
    problem: Problem, tour: _Tour, order: list[int], iterations: int, rng: random.Random
) -> tuple[list[int], list[int], float]:
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

    order, cell_list, cost = polish(order, problem.best_cells(order)[0])
    segments = [
        (start, start + len(g)) for start, g in _group_starts(problem.groups) if len(g) >= 8
    ]
    for _ in range(iterations if segments else 0):
        lo, hi = max(segments, key=lambda s: (s[1] - s[0]) * rng.random())
        cand, touched = _double_bridge(order, lo, hi, rng)
        cells = dict(zip(order, cell_list, strict=True))
        cand = tour.improve(cand, cells, touched)
        cand_list = [cells[b] for b in cand]
        cand_cost = problem.tour_cost(cand, cand_list)
        if cand_cost < cost - 1e-9:
            order, cell_list, cost = polish(cand, cand_list)
        elif cand_cost <= cost + 1e-9:
            # Sideways moves: grid distances tie a lot, and walking the plateau escapes it.
            order, cell_list = cand, cand_list
    return order, cell_list, cost


def _group_starts(groups: list[list[int]]) -> Iterable[tuple[int, list[int]]]:
    start = 0
    for g in groups:
        yield start, g
        start += len(g)


def _double_bridge(
    order: list[int], lo: int, hi: int, rng: random.Random
) -> tuple[list[int], set[int]]:
    """Cut order[lo:hi] into A B C D and rejoin as A C B D; also the bays at the cuts."""
    a, b, c = sorted(rng.sample(range(lo + 1, hi), 3))
    touched = {order[k] for k in (a - 1, a, b - 1, b, c - 1, c) if 0 <= k < len(order)}
    return order[:a] + order[b:c] + order[a:b] + order[c:], touched


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
