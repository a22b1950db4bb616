"""The near-optimal route for batches: iterated local search over the bay order and the access
cell of each bay together (a generalized TSP, pick ranks kept), run in the compiled kernel of
`route_kernel` from several starts; the best tour wins.

This module turns a `Problem` into the kernel's arrays (the distances between the order's
stations, each bay's candidate cells, its pick rank, its nearest bays) and back. The starts are
the nearest-neighbour and S-shape tours and random orders of each pick rank: several shorter
searches from different starts fall into fewer deep traps than one long one (on
bench/layoutgen.py's stores, 10 starts against 2 took the largest gap to the generalized LKH
from 1.9% to 0.85% at the same number of kicks).

The kernel is imported when a search runs, not with this module: numba is loaded only by what
plans a batch, and the app starts without it (see `warm_up`).
"""

from __future__ import annotations

import random
import time

import numpy as np

from picker_app.domain.route_problem import Problem
from picker_app.domain.route_tours import nearest_neighbour_order, sshape_order

# Kicks of the search for n bays, shared among the starts. Chosen on bench/layoutgen.py's stores
# against the generalized LKH reference (bench/route_reference.py) so that 100 bays plan in a
# median under 300 ms and 150 bays under 1 s on one core (bench/route_bench.py).
ILS_BASE_ITERATIONS = 30
ILS_ITERATIONS_PER_BAY = 25
STARTS = 10  # searches from different starts (2 without kicks: iterations=0)

# The kernel's moves and kicks (route_kernel.ils), chosen on the same stores.
NEIGHBOURS = 6  # nearest bays a move may make a bay adjacent to
RUIN_MAX_BAYS = 20  # bays taken out by one ruin, at most
ROW_FLIP_RADIUS = 12  # walk from the chosen bay's cell within which a row flip may reach, x3
WINDOW = 60  # positions a local double bridge cuts within
SEGMENT_MAX = 1 << 30  # bays in a segment moved whole to its best place (no limit: 30 left
# traps where LKH moves a whole block of aisles, e.g. --replay l_shape 701 0 150 at 1.5%)
P_ROW_FLIP, P_RUIN, P_SEGMENT = 0.2, 0.5, 0.15  # shares of the kicks; the rest double bridges
P_WHOLE_RANK = 0.5  # share of double bridges cutting anywhere in the rank, not in a window


class _Inputs:
    """The kernel's view of a problem: local station indices, the distances between them, each
    bay's candidate cells (padded by repeating the first) and count, pick ranks (the pack
    station, bay n, last), each bay's nearest bays."""

    def __init__(self, problem: Problem) -> None:
        n = self.n = len(problem.bays)
        stations = np.unique(np.concatenate([[0], *problem.cands]))
        self.stations = stations
        local = {int(s): i for i, s in enumerate(stations)}
        self.dist = np.ascontiguousarray(
            problem.dist[np.ix_(stations, stations)], dtype=np.float64
        )
        cands = [[local[int(s)] for s in c] for c in problem.cand_lists] + [[local[0]]]
        width = max(len(c) for c in cands)
        self.cand = np.array([(c * width)[:width] for c in cands], dtype=np.int64)
        self.ncand = np.array([len(c) for c in cands], dtype=np.int64)
        rank_of = {b: r for r, g in enumerate(problem.groups) for b in g}
        self.rank = np.array([rank_of[b] for b in range(n)] + [0], dtype=np.int64)
        # bay to bay: the shortest walk between any of their cells
        bay_dist = np.full((n, n), np.inf)
        for ka in range(width):
            for kb in range(width):
                np.minimum(
                    bay_dist,
                    self.dist[np.ix_(self.cand[:n, ka], self.cand[:n, kb])],
                    out=bay_dist,
                )
        self.near = np.ascontiguousarray(np.argsort(bay_dist, axis=1, kind="stable"), np.int64)
        k = min(NEIGHBOURS, n - 1)
        nb = np.empty((n, k), dtype=np.int64)
        for b in range(n):
            nb[b] = [x for x in self.near[b] if x != b][:k]
        self.nb = nb


_loaded: list[bool] = []  # one entry once this process has loaded the kernel


def load_search(small: Problem) -> float:
    """Load the compiled kernel into this process (from numba's cache, or compiling it) by one
    short search of `small` (a problem of a few bays), once; the seconds it took (0 once
    loaded). A route's `solve_ms` leaves it out, as it leaves out the distance table: a one-off
    of the process, not of the route."""
    if _loaded:
        return 0.0
    t0 = time.perf_counter()
    solve_heuristic(small, 0, iterations=1)
    _loaded.append(True)
    return time.perf_counter() - t0


def solve_heuristic(
    problem: Problem, seed: int = 0, iterations: int | None = None
) -> tuple[list[int], list[int], float]:
    """A near-optimal (bay order, stations, cost): the kernel's iterated local search from
    `STARTS` starts sharing `iterations` kicks (default: by the number of bays); the best tour.
    With `iterations=0`, only the descents from the nearest-neighbour and S-shape tours."""
    from picker_app.domain import route_kernel

    n = len(problem.bays)
    if iterations is None:
        iterations = ILS_BASE_ITERATIONS + ILS_ITERATIONS_PER_BAY * n
    inputs = _Inputs(problem)
    starts = [nearest_neighbour_order(problem), sshape_order(problem)]
    rng = random.Random(seed)
    for _ in range(STARTS - len(starts) if iterations else 0):
        start: list[int] = []
        for group in problem.groups:
            part = list(group)
            rng.shuffle(part)
            start += part
        starts.append(start)
    best: tuple[float, list[int], np.ndarray] | None = None
    for t, start in enumerate(starts):
        seq, cell, cost = route_kernel.ils(
            inputs.dist, inputs.cand, inputs.ncand, inputs.rank, inputs.nb, inputs.near,
            np.array([n, *start, n], dtype=np.int64), iterations // len(starts),
            (seed * 7919 + t) % (1 << 32), RUIN_MAX_BAYS, ROW_FLIP_RADIUS, WINDOW, P_ROW_FLIP,
            P_RUIN, P_WHOLE_RANK, P_SEGMENT, SEGMENT_MAX,
        )  # fmt: skip
        if best is None or cost < best[0] - 1e-9:
            best = (float(cost), [int(x) for x in seq[1:-1]], cell)
    assert best is not None
    _, order, cell = best
    cells = [int(inputs.stations[cell[b]]) for b in order]
    return order, cells, problem.tour_cost(order, cells)
