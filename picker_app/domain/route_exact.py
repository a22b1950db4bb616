"""The exact route: a Held-Karp dynamic programme over (set of bays, access cell), layered by
pick rank, for orders of up to `routing.EXACT_MAX_BAYS` bays.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from picker_app.domain.route_problem import Problem


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
