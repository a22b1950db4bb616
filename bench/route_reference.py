"""The route bench's reference: LKH (elkai) on the whole, generalized problem.

A pick route visits one access cell of every bay, the cell chosen freely, in non-decreasing pick
rank, from and back to the pack station: a generalized TSP (one node per cluster) with
precedence between the clusters' ranks. `solve_reference` turns it into an asymmetric TSP by the
exact Noon-Bean transformation and has LKH solve that:

- a node per (bay, access cell), every access cell of the bay (no dominance pruning: the
  reference sees all the choices the planner has and more), and one for the pack station;
- the nodes of one bay joined by a zero-cost cycle c1 -> c2 -> ... -> cm -> c1; every other arc
  inside a bay costs `big` (forbidden);
- an arc leaving bay A from node ci costs the walk from c(i+1), its successor on A's cycle, plus
  `big`: a tour that enters A at c(i+1) goes round A's cycle and leaves from ci, so it pays the
  walk from the cell it entered by, the cell where the picker stands;
- an arc into a bay of a lower pick rank than the bay it leaves costs `big` more (the arcs into
  the pack station excepted): a closed tour without such arcs picks ranks in order.

With `big` larger than the length U of some feasible route (the nearest-neighbour route), a tour
with a forbidden arc, a rank going back or a bay entered twice costs at least (K+1)*big, more
than the K*big + U of that route (K clusters, each entered once): the optimal ATSP tour is a
proper one, and its cost is K*big plus the walking length of the best route. The tour LKH finds
is decoded (the cell of each bay is the node the tour enters it by), its cells re-chosen by the
planner's layered shortest path if that is shorter, and its walking length recomputed from the
distance matrix, with every bay visited once, at one of its own cells, ranks in order.

LKH runs with `RUNS` independent runs of `MAX_TRIALS` trials each and LKH's genetic
recombination of the best `POPULATION_SIZE` tours (parameters elkai's `solve_tsp` does not
pass, so the problem goes to elkai's `_elkai.solve_problem` as `solve_tsp` sends it). On
150-bay orders of the generated stores, 16 runs come within 0.13% (mean; max 1.1%) of the best
of 20 plain runs and every other setting tried, in a sixth of the time; on 100-bay orders they
found it on all 8 orders tried.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from picker_app.domain.distances import DistanceTable
from picker_app.domain.layout import Bay
from picker_app.domain.route_problem import Problem
from picker_app.domain.route_tours import nearest_neighbour_order

# LKH parameters (see the module docstring). POPULATION_SIZE must stay the same for every call
# in one process: elkai 2.0.1 (LKH 3.0.8) keeps the population of its first call, and a later
# call with a larger one crashes the interpreter (segmentation fault).
POPULATION_SIZE = 8
MAX_TRIALS = 100


def full_problem(table: DistanceTable, bays: Sequence[Bay]) -> Problem:
    """The order as a `Problem` with every access cell of every bay (no dominance pruning),
    bays sorted and grouped by pick rank as `make_problem` does."""
    ordered = sorted(set(bays), key=lambda b: (b.pick_rank, b.aisle, b.number))
    cands = [
        np.array(list(dict.fromkeys(table.station_of[c] for c in bay.access)), dtype=np.int64)
        for bay in ordered
    ]
    groups: dict[int, list[int]] = {}
    for i, bay in enumerate(ordered):
        groups.setdefault(bay.pick_rank, []).append(i)
    return Problem(table, ordered, cands, [groups[r] for r in sorted(groups)])


@dataclass
class Reference:
    """The reference route of one order, and how it was found."""

    order: list[int]  # indices into problem.bays
    cells: list[int]  # station ids, one per bay of `order`
    length: int  # walking steps, recomputed from the distance matrix
    proper: bool  # LKH's tour was a proper Noon-Bean tour (else repaired)
    polished: bool  # re-choosing the cells for LKH's order made it shorter
    nodes: int  # ATSP nodes
    secs: float  # LKH wall time


def route_length(matrix: np.ndarray, cells: Sequence[int]) -> int:
    """Steps of the closed walk @ -> cells... -> @ (station ids)."""
    walk = [0, *cells, 0]
    return int(sum(int(matrix[a, b]) for a, b in zip(walk, walk[1:], strict=False)))


def check_route(problem: Problem, order: Sequence[int], cells: Sequence[int]) -> str | None:
    """What is wrong with a route of `problem` (None if nothing): every bay once, at one of its
    own access cells, pick ranks non-decreasing."""
    if sorted(order) != list(range(len(problem.bays))):
        return "does not visit every bay exactly once"
    for b, cell in zip(order, cells, strict=True):
        if cell not in problem.cand_lists[b]:
            return f"stands at station {cell}, not an access cell of {problem.bays[b].code}"
    ranks = [problem.bays[b].pick_rank for b in order]
    if ranks != sorted(ranks):
        return "picks a lower pick rank after a higher one"
    return None


def noon_bean(problem: Problem, big: int) -> tuple[list[list[int]], list[int], list[int]]:
    """The ATSP matrix of the Noon-Bean transformation; for each node its bay (-1: the pack
    station) and its station."""
    node_bay = [-1]
    node_station = [0]
    for b, cells in enumerate(problem.cand_lists):
        node_bay += [b] * len(cells)
        node_station += cells
    n = len(node_bay)
    bay_of = np.array(node_bay)
    station = np.array(node_station)
    # Successor of each node on its bay's zero-cost cycle (the pack station is its own).
    succ = np.arange(n)
    start = 1
    for cells in problem.cand_lists:
        m = len(cells)
        succ[start : start + m] = np.roll(np.arange(start, start + m), -1)
        start += m
    rank = np.array([0] + [problem.bays[b].pick_rank for b in node_bay[1:]])
    dist = problem.table.matrix.astype(np.int64)
    cost = dist[np.ix_(station[succ], station)] + big
    back = (rank[None, :] < rank[:, None]) & (bay_of[None, :] >= 0)
    cost += big * back
    same = bay_of[:, None] == bay_of[None, :]
    cost[same] = big
    cost[np.arange(n), succ] = 0
    np.fill_diagonal(cost, 0)
    return cost.tolist(), node_bay, node_station


def lkh_tour(matrix: list[list[int]], runs: int) -> list[int]:
    """LKH's tour of an integer (A)TSP matrix: the nodes in order, 0-based, not closed."""
    import elkai

    try:
        from elkai import _elkai
    except ImportError:  # pragma: no cover - another elkai layout: its own parameters
        return elkai.DistanceMatrix(matrix).solve_tsp(runs=runs)[:-1]
    n = len(matrix)
    symmetric = all(matrix[i][j] == matrix[j][i] for i in range(n) for j in range(i))
    params = (
        f"RUNS = {runs}\nMAX_TRIALS = {MAX_TRIALS}\nPOPULATION_SIZE = {POPULATION_SIZE}\n"
        "PROBLEM_FILE = :stdin:\n"
    )
    problem = (
        f"TYPE : {'TSP' if symmetric else 'ATSP'}\nDIMENSION : {n}\n"
        "EDGE_WEIGHT_TYPE : EXPLICIT\nEDGE_WEIGHT_FORMAT : FULL_MATRIX\nEDGE_WEIGHT_SECTION\n"
        + "".join(" ".join(map(str, row)) + "\n" for row in matrix)
    )
    return [node - 1 for node in _elkai.solve_problem(params, problem)]


def solve_reference(problem: Problem, runs: int) -> Reference:
    """The generalized LKH reference route of `problem` (use `full_problem`), decoded and
    checked; see the module docstring."""
    nn = nearest_neighbour_order(problem)
    nn_cells, upper = problem.best_cells(nn)
    big = int(upper) + 1
    matrix, node_bay, node_station = noon_bean(problem, big)
    n = len(matrix)
    t0 = time.perf_counter()
    tour = lkh_tour(matrix, runs) if n >= 3 else list(range(n))
    secs = time.perf_counter() - t0
    if sorted(tour) != list(range(n)):
        raise AssertionError("elkai returned a tour that is not a permutation of the nodes")
    at = tour.index(0)
    tour = tour[at:] + tour[:at]
    atsp_cost = sum(matrix[a][b] for a, b in zip(tour, [*tour[1:], tour[0]], strict=True))
    order: list[int] = []
    cells: list[int] = []
    last = -1
    for node in tour[1:]:
        if node_bay[node] != last:
            last = node_bay[node]
            order.append(last)
            cells.append(node_station[node])
    clusters = len(problem.bays) + 1
    length = route_length(problem.table.matrix, cells)
    proper = (
        len(order) == len(problem.bays)
        and check_route(problem, order, cells) is None
        and atsp_cost == clusters * big + length
    )
    if not proper:
        # Repair: the bays in the order LKH first entered them, ranks put in order.
        seen: dict[int, None] = {}
        for b in order:
            seen.setdefault(b)
        order = sorted(seen, key=lambda b: problem.bays[b].pick_rank)
        cells, _ = problem.best_cells(order)
        length = route_length(problem.table.matrix, cells)
    better_cells, better = problem.best_cells(order)
    polished = better < length
    if polished:
        cells, length = better_cells, route_length(problem.table.matrix, better_cells)
    if length > upper:  # never worse than the route that set `big`
        order, cells, length = nn, nn_cells, route_length(problem.table.matrix, nn_cells)
    problem_text = check_route(problem, order, cells)
    if problem_text is not None:
        raise AssertionError(f"reference route {problem_text}")
    return Reference(order, cells, length, proper, polished, n, secs)
