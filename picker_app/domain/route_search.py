"""The near-optimal route for batches: iterated local search with 2-opt and Or-opt moves
scored with numpy for the whole tour at once, and double-bridge kicks inside a pick-rank
segment; access cells are re-chosen after each local optimum.
"""

from __future__ import annotations

import random
from collections.abc import Iterable

import numpy as np

from picker_app.domain.route_problem import Problem
from picker_app.domain.route_tours import nearest_neighbour_order, sshape_order

# Kicks of the iterated local search for n bays, split between its two starts. Chosen on the
# demo and irregular stores against LKH (bench/route_bench.py): about 270 ms for 100 bays.
ILS_BASE_ITERATIONS = 30
ILS_ITERATIONS_PER_BAY = 5


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
