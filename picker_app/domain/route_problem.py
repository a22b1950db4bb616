"""An order as the route solvers see it: its bays in pick-rank groups, each with the access
cells worth standing on, and the choice of access cells for a given bay order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from picker_app.domain.distances import DistanceTable
from picker_app.domain.layout import Bay


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
