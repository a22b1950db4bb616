"""The exact route: the proven-optimal bay order and access cells of an order, pick ranks kept.

Both solvers are dynamic programmes over (set of bays visited, access cell last stood on), the
bays of each pick rank visited before those of the next:

- `solve_dense`: Held-Karp with every state of each pick rank in a dense numpy table (2^k rows
  for a rank of k bays). The quickest for small orders, but its work doubles with each bay.
- `solve_bounded`: the same recursion breadth-first by the number of bays visited, keeping only
  the states that could still lead to a tour shorter than a known one (the local search's). A
  state is dropped only when its cost so far plus a lower bound on any way of finishing from it
  is no better than the known tour, so the answer stays proven: either the best tour the search
  kept, or, when it kept none, the known tour itself.

  The lower bound (`route_bounds.Bounds`) follows the tour's shape: from where the picker
  stands to one of the bays of the current rank still to pick, through all of them (a path, so
  at least their minimum spanning tree), across to the next rank, through all of it, and so on,
  back to `@`. Bays are joined by the shortest walk between any of their access cells, so the
  bound holds whichever cells the tour uses. Penalties on the bays, tuned once per order by
  Held and Karp's subgradient ascent, tighten every spanning tree without making any bound
  invalid (each bay still to pick is entered and left once, so its penalty is added twice to
  every finishing walk and taken off again). On the shipped stores the root bound is usually
  within a step or two of the optimum: a 20-bay order keeps at most a couple of thousand states,
  and most keep none (the root bound proves the known tour), where Held-Karp has 20 million.

`solve_exact` uses the dense table while it is small, else the bounded search; only the latter
takes a `budget` of work, and when a search would need more it gives up (None) rather than
answer without proof (up to 15 bays the dense table then finishes it).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

import numpy as np

from picker_app.domain.route_bounds import Bounds
from picker_app.domain.route_problem import Problem
from picker_app.domain.route_tours import nearest_neighbour_order, sshape_order

Solution = tuple[list[int], list[int], float]  # (bay order, station of each, cost)

# Orders whose dense table is at most this much work (`dense_work`; that of one rank of 13 bays
# with a cell each) go to the dense table: up to there it is the quicker (bench/exact_bench.py).
DENSE_MAX_WORK = 13 * 13 << 13
# Orders of up to this many bays are always proven: should the bounded search run out of budget
# (it never has on the shipped stores), the dense table, still affordable here, finishes them.
ALWAYS_EXACT_BAYS = 15

# With weighted (congestion) costs, a state is dropped when it cannot beat the known tour by more
# than this fraction of its cost, which is rounding.
_FLOAT_SLACK = 1e-9

# A set of bays is an int64 of bits, and a state's key (set, cell) must fit one too.
_MAX_BAYS = 48


def solve_exact(
    problem: Problem,
    known: Callable[[], Solution] | None = None,
    budget: int | None = None,
) -> Solution | None:
    """The proven-optimal (bay order, stations, cost), pick ranks respected; None when the
    bounded search would need more than `budget` state expansions (never without a budget, nor
    for orders of up to ALWAYS_EXACT_BAYS bays). `known` gives a good tour of the order; it is
    called only if the bounded search runs."""
    if dense_work(problem) <= DENSE_MAX_WORK:
        return solve_dense(problem)
    found = solve_bounded(problem, known() if known is not None else None, budget)
    if found is None and len(problem.bays) <= ALWAYS_EXACT_BAYS:
        return solve_dense(problem)
    return found


def dense_work(problem: Problem) -> int:
    """The size of `solve_dense`'s table work on `problem`: over ranks, 2^bays x cells^2."""
    total = 0
    for group in problem.groups:
        cells = sum(len(problem.cands[b]) for b in group)
        total += (cells * cells) << len(group)
    return total


# --- Held-Karp, dense --------------------------------------------------------------------------


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


def solve_dense(problem: Problem) -> Solution:
    """The proven-optimal (bay order, stations, cost) by Held-Karp over every state."""
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


# --- Held-Karp, bounded ------------------------------------------------------------------------


def solve_bounded(
    problem: Problem, known: Solution | None = None, budget: int | None = None
) -> Solution | None:
    """The proven-optimal (bay order, stations, cost), searching only the states that could
    still beat `known`, a tour of the order (by default the better of the nearest-neighbour and
    S-shape tours; the closer to the optimum, the less there is to search). None when that takes
    more than `budget` state expansions (a state times a next cell: a count, not a time limit, so
    the same order always gets the same answer)."""
    if known is None:
        tours = (nearest_neighbour_order(problem), sshape_order(problem))
        known = min(((o, *problem.best_cells(o)) for o in tours), key=lambda t: t[2])
    if len(problem.bays) > _MAX_BAYS:
        raise ValueError(f"the exact search takes at most {_MAX_BAYS} bays")
    upper = known[2]
    # Keep only the states that could finish cheaper than the known tour: by a whole step with
    # integer distances, by more than rounding with weighted costs.
    if problem.dist.dtype.kind == "f":
        limit = upper - _FLOAT_SLACK * max(1.0, abs(upper))
    else:
        limit = upper - 1 + 1e-6
    bound = Bounds(problem, upper, limit)
    if bound.root > limit:
        return known
    n = len(bound.seq)
    m = len(bound.station)
    lo, hi = bound.spans[0]
    node = np.arange(bound.first[lo], bound.first[hi])
    sets = np.int64(1) << bound.bit[node]
    cost = bound.out[node]
    keep, tree = bound.prune(sets, node, cost, 1, bound.full_tree[0], limit)
    sets, node, cost = sets[keep], node[keep], cost[keep]
    layers = [(node, keep)]  # per layer: each state's node and the index of its parent
    work = len(node)
    for count in range(2, n + 1):
        if not len(node):
            return known  # nothing beats it
        r = int(bound.rank_of[count - 1])
        lo, hi = bound.spans[r]
        nxt = np.arange(bound.first[lo], bound.first[hi])
        work += len(node) * len(nxt)
        if budget is not None and work > budget:
            return None
        free = ((sets[:, None] >> bound.bit[nxt][None, :]) & 1) == 0
        src, col = np.nonzero(free)
        to = nxt[col]
        new_sets = sets[src] | (np.int64(1) << bound.bit[to])
        new_cost = cost[src] + bound.dist[node[src], to]
        # Of the ways into one state (same bays, same cell), only the cheapest.
        key = new_sets * m + to
        pick = np.lexsort((new_cost, key))
        key = key[pick]
        first = np.ones(len(key), dtype=bool)
        first[1:] = key[1:] != key[:-1]
        pick = pick[first]
        src = src[pick]
        parent_tree = tree[src] if count - 1 > lo else bound.full_tree[r]
        keep, tree = bound.prune(
            new_sets[pick], to[pick], new_cost[pick], count, parent_tree, limit
        )
        pick, src = pick[keep], src[keep]
        sets, node, cost = new_sets[pick], to[pick], new_cost[pick]
        layers.append((node, src))
    if not len(node):
        return known
    final = cost + bound.home[node]
    j = int(final.argmin())
    total = float(final[j])
    order: list[int] = []
    cells: list[int] = []
    for nodes, parents in reversed(layers):
        order.append(bound.seq[int(bound.bit[nodes[j]])])
        cells.append(int(bound.station[nodes[j]]))
        j = int(parents[j])
    order.reverse()
    cells.reverse()
    return order, cells, total
