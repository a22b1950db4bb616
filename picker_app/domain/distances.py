"""Walking distances on a layout's floor grid, computed once per layout and cached.

A *station* is a cell a route can stop at: the pack station `@` (always station 0) and every
access cell of every bay. The table holds the true shortest walking distance (in steps, or in
congestion cost) between every pair of stations, found by breadth-first / Dijkstra search on the
grid (walls, shelves and dead ends included), plus what is needed to walk the path between them.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from picker_app.domain.layout import STEPS, Cell, Layout

# The order in which ties between equally short steps are broken: up, right, down, left.
PATH_PREFERENCE: tuple[Cell, ...] = ((-1, 0), (0, 1), (1, 0), (0, -1))

# Large enough to lose every comparison, small enough that INF + INF fits in int32.
INF_STEPS = np.int32(1 << 29)


class DistanceTable:
    """Shortest walks between the stations of one layout (optionally congestion-weighted)."""

    def __init__(self, layout: Layout, cell_weight: np.ndarray | None = None) -> None:
        """`cell_weight[i]`, if given, is the cost of stepping onto walkable cell i (reading order).

        Without it the cost of every step is 1 and distances are whole steps (int32).
        """
        self.layout = layout
        self.cells: tuple[Cell, ...] = layout.walkable_cells
        self.node_of: dict[Cell, int] = {cell: i for i, cell in enumerate(self.cells)}
        stations: list[Cell] = [layout.pack]
        seen = {layout.pack}
        for bay in layout.bays:
            for cell in bay.access:
                if cell not in seen:
                    seen.add(cell)
                    stations.append(cell)
        self.stations: tuple[Cell, ...] = tuple(stations)
        self.station_of: dict[Cell, int] = {cell: i for i, cell in enumerate(stations)}
        self.weighted = cell_weight is not None
        self.cell_weight = cell_weight

        n = len(self.cells)
        src: list[int] = []
        dst: list[int] = []
        for i, (r, c) in enumerate(self.cells):
            for dr, dc in STEPS:
                j = self.node_of.get((r + dr, c + dc))
                if j is not None:
                    src.append(i)
                    dst.append(j)
        if cell_weight is None:
            weights = np.ones(len(dst), dtype=np.float64)
        else:
            weights = np.asarray(cell_weight, dtype=np.float64)[dst]
        graph = csr_matrix((weights, (src, dst)), shape=(n, n))
        station_nodes = np.array([self.node_of[cell] for cell in stations], dtype=np.int64)
        dist = dijkstra(graph, directed=True, indices=station_nodes, unweighted=cell_weight is None)
        # Cost of the walk from each station to every cell, kept to trace paths back.
        self._from_station = dist.astype(np.int32) if cell_weight is None else dist
        self._neighbours = [
            [self.node_of.get((r + dr, c + dc), -1) for dr, dc in PATH_PREFERENCE]
            for r, c in self.cells
        ]
        between = dist[:, station_nodes]
        if cell_weight is None:
            self.matrix = between.astype(np.int32)
        else:
            # A step's cost depends on the cell entered, so d(a->b) - d(b->a) = w(b) - w(a): the
            # difference telescopes to zero around any closed tour, and the symmetric half-sum
            # gives every tour its true cost while letting the planner treat costs as symmetric.
            self.matrix = (between + between.T) / 2.0
        # The same as nested lists: faster than numpy for one element at a time.
        self.rows: list[list] = self.matrix.tolist()

    @property
    def inf(self) -> np.int32 | float:
        return np.inf if self.weighted else INF_STEPS

    def path(self, a: Cell, b: Cell) -> list[Cell]:
        """Cells walked from cell `a` to station `b`, both included, each 4-adjacent to the last.

        Among equally short walks it takes, at every step, the first of up, right, down, left
        that stays on a shortest walk: the same rule everywhere, so routes are reproducible."""
        to_b = self._from_station[self.station_of[b]]  # cost b -> x, the cost x -> b shifted
        weight = self.cell_weight
        here = self.node_of[a]
        target = self.node_of[b]
        out = [here]
        while here != target:
            # Stepping onto n is on a shortest walk to b when cost(b -> n) = cost(b -> here)
            # minus the cost of entering `here` (1 per step without congestion).
            want = to_b[here] - (1 if weight is None else weight[here])
            for n in self._neighbours[here]:
                if n >= 0 and (to_b[n] == want if weight is None else abs(to_b[n] - want) <= 1e-9):
                    here = n
                    break
            else:  # pragma: no cover - the distances above guarantee a next step
                raise AssertionError(f"no shortest step from {self.cells[here]} to {b}")
            out.append(here)
        return [self.cells[i] for i in out]

    def walk(self, stops: Sequence[Cell]) -> list[Cell]:
        """The whole walk from `@` through `stops` (station cells) and back to `@`."""
        pack = self.layout.pack
        path = [pack]
        here = pack
        for cell in [*stops, pack]:
            if cell != here:
                path.extend(self.path(here, cell)[1:])
                here = cell
        return path

    def cost_of(self, path: Sequence[Cell]) -> float:
        """Cost of walking `path` (steps times cell_m, or the congestion-weighted cost)."""
        if self.cell_weight is None:
            return (len(path) - 1) * self.layout.cell_m
        return float(sum(self.cell_weight[self.node_of[cell]] for cell in path[1:]))


_CACHE: OrderedDict[tuple[str, bytes], DistanceTable] = OrderedDict()
_CACHE_SIZE = 8


def distance_table(layout: Layout, cell_weight: np.ndarray | None = None) -> DistanceTable:
    """The distance table of `layout`, cached by the layout's content hash (and the weights)."""
    key = (layout.content_hash, b"" if cell_weight is None else np.asarray(cell_weight).tobytes())
    table = _CACHE.get(key)
    if table is None:
        table = DistanceTable(layout, cell_weight)
        _CACHE[key] = table
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    else:
        _CACHE.move_to_end(key)
    return table
