"""The near-optimal route for batches: iterated local search over the bay order and the access
cell of each bay together (a generalized TSP, pick ranks kept).

The moves choose cells as they go: a 2-opt lets the four bays at its two new edges take their
best cells for their new neighbours; an Or-opt moves a segment of 1-3 bays, either way round,
with its end bays on their best cells for the place it lands in. Every move of a row is scored
at once with numpy, only for rows at a bay whose neighbours changed (don't-look bits). After
each local optimum a cluster optimisation (the best cells of the whole order, a layered shortest
path) runs, and the search goes on from the bays whose cells it changed.

Kicks change order and cells together (after Smith and Imeson's GLNS and Karapetyan and Gutin's
generalized-TSP local searches): ruin and recreate (the bays nearest a random bay taken out and
put back one by one where they cost least, each on its best cell), side flips (the bays picked
near a random bay's cell moved to their other side, as if the picker walked the next aisle) and
double bridges inside a pick-rank segment with a few random cell changes. A kicked tour is kept
when it is no longer than the current one.
"""

from __future__ import annotations

import random
from collections.abc import Iterable

import numpy as np

from picker_app.domain.route_problem import Problem
from picker_app.domain.route_tours import nearest_neighbour_order, sshape_order

# Kicks of the iterated local search for n bays, split between its two starts. Chosen on
# bench/layoutgen.py's stores against the generalized LKH reference (bench/route_reference.py):
# 5 per bay gave mean gaps 0.40% at 100 bays and 0.72% at 150 but a median of 390 ms at 100
# bays; 3 per bay keeps 100 bays under 300 ms (median) and 150 under 1 s at 0.57% and 0.86%.
ILS_BASE_ITERATIONS = 30
ILS_ITERATIONS_PER_BAY = 3

_EPS = 1e-9


class _Search:
    """Moves on a tour given as a bay order and a cell per bay; pick-rank segments stay whole.

    Positions: 0 and n+1 are the pack station, 1..n the bays; edge k joins positions k and k+1.
    Cells are indices into `self.lm`, the distances between the order's stations; every bay has
    `self.c` candidate slots (its own cells, the first repeated to fill). The pack station is
    bay index n with one cell.
    """

    OR_SEGMENTS: tuple[int, ...] = (1, 2, 3)

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        n = self.n = len(problem.bays)
        stations = np.unique(np.concatenate([[0], *problem.cands]))
        self.stations = stations
        local = {int(s): i for i, s in enumerate(stations)}
        self.lm = problem.dist[np.ix_(stations, stations)].astype(np.float64)
        self.rows: list[list[float]] = self.lm.tolist()
        self.cands: list[list[int]] = [[local[s] for s in c] for c in problem.cand_lists]
        self.cands.append([local[0]])
        c = self.c = max(len(x) for x in self.cands)
        self.node = np.array([(x * c)[:c] for x in self.cands], dtype=np.int64)  # (n+1, c)
        self.multi = [b for b in range(n) if len(self.cands[b]) > 1]
        self.max_moves = 20 * (n + 10)  # a bound that a descent never meets in practice
        self.groups = problem.groups
        self.rank_of = {b: r for r, g in enumerate(problem.groups) for b in g}
        # bay to bay: the shortest walk between any of their cells
        self.bay_dist = np.full((n + 1, n + 1), np.inf)
        for ka in range(c):
            for kb in range(c):
                np.minimum(
                    self.bay_dist,
                    self.lm[np.ix_(self.node[:, ka], self.node[:, kb])],
                    out=self.bay_dist,
                )
        # Pick rank by position (the same for every tour: the ranks' segments never move).
        huge = 1 << 30
        rpos = np.array([-huge, *(self.rank_of[b] for g in problem.groups for b in g), huge])
        k = np.arange(n + 1)
        lo, hi = np.minimum.outer(k, k), np.maximum.outer(k, k)
        # 2-opt on edges p < q reverses positions p+1..q: they must share one pick rank. Moves
        # with q - p = 2 swap two bays; the Or-opt of one bay does that.
        ok = (hi >= lo + 3) & (rpos[np.minimum(lo + 1, n + 1)] == rpos[hi])
        self.two_pen = np.where(ok, 0.0, np.inf)
        # Or-opt: every segment (first position i, last e) of 1-3 bays, stacked by length, and
        # where it may go (between positions j and j+1).
        firsts, lasts, pens, self.seg_blocks = [], [], [], []
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
            self.seg_blocks.append(seg)
            firsts.append(i)
            lasts.append(e)
            pens.append(np.where(ok, 0.0, np.inf))
        self.first = np.concatenate(firsts)
        self.last = np.concatenate(lasts)
        self.or_pen = np.vstack(pens)
        self.block_ends = np.cumsum([len(x) for x in firsts])

    # --- tours ---------------------------------------------------------------------------------

    def cost(self, order: list[int], cell: np.ndarray) -> float:
        """Length of the tour visiting `order` at cells `cell` (by bay)."""
        s = cell[[self.n, *order, self.n]]
        return float(self.lm[s[:-1], s[1:]].sum())

    def cluster_opt(self, order: list[int], cell: np.ndarray) -> tuple[float, list[int]]:
        """The best cells for `order` (layered shortest path), set in `cell`; the new cost and
        the bays whose cell changed."""
        d = self.rows
        cands = self.cands
        depot = cands[self.n][0]
        prev_nodes = [depot]
        prev_cost = [0.0]
        back: list[list[int]] = []
        for b in order:
            nodes = cands[b]
            if len(prev_nodes) == 1:
                row = d[prev_nodes[0]]
                base = prev_cost[0]
                costs = [base + row[x] for x in nodes]
                back.append([0] * len(nodes))
            else:
                costs, args = [], []
                for x in nodes:
                    col = d[x]
                    best_k, best = 0, prev_cost[0] + col[prev_nodes[0]]
                    for k in range(1, len(prev_nodes)):
                        value = prev_cost[k] + col[prev_nodes[k]]
                        if value < best:
                            best_k, best = k, value
                    costs.append(best)
                    args.append(best_k)
                back.append(args)
            prev_nodes, prev_cost = nodes, costs
        final = [c + d[x][depot] for c, x in zip(prev_cost, prev_nodes, strict=True)]
        j = min(range(len(final)), key=final.__getitem__)
        cost = float(final[j])
        changed: list[int] = []
        for b, args in zip(reversed(order), reversed(back), strict=True):
            x = cands[b][j]
            if cell[b] != x:
                changed.append(b)
                cell[b] = x
            j = args[j]
        return cost, changed

    # --- local search --------------------------------------------------------------------------

    def improve(
        self, order: list[int], cell: np.ndarray, dirty: Iterable[int] | None = None
    ) -> list[int]:
        """Best-improvement 2-opt and Or-opt, cells chosen inside the moves, until no move that
        touches a dirty bay (every bay when `dirty` is None) shortens the tour. `cell` (by bay)
        is updated in place; the new order is returned."""
        n = self.n
        dirty_bay = np.zeros(n + 1, dtype=bool)
        if dirty is None:
            dirty_bay[:] = True
        else:
            dirty_bay[list(dirty)] = True
        dmask = np.zeros(n + 1, dtype=bool)
        for _ in range(self.max_moves):
            seq = np.array([n, *order, n])
            pos = np.flatnonzero(dirty_bay[seq[1:-1]]) + 1
            dmask[:] = False
            dmask[pos] = True
            dmask[pos - 1] = True
            dmask[0] = dmask[n] = True
            rows = np.flatnonzero(dmask)
            best, move, hot = self._best_move(seq, cell, rows, dmask)
            if best > -_EPS:
                return order
            # Don't-look bits: a bay stays dirty only while a move at one of its edges gains.
            dirty_bay[seq[1:-1]] &= hot[:-1] | hot[1:]
            order, touched = self._apply(order, cell, move)
            dirty_bay[list(touched)] = True
        return order

    def _best_move(
        self, seq: np.ndarray, cell: np.ndarray, rows: np.ndarray, dmask: np.ndarray
    ) -> tuple[float, tuple, np.ndarray]:
        """The best 2-opt with a removed edge in `rows`, or Or-opt of a segment with a dirty end
        edge: its gain (negative: shorter), the move, and the edges where some move gains."""
        n, lm, c = self.n, self.lm, self.c
        pn = self.node.take(seq, axis=0)  # (n+2, c) candidate cells by position
        s = cell.take(seq)  # current cells by position
        edge = lm[s[:-1], s[1:]]  # (n+1,)
        # d(candidate k of the bay at i, current cell of i-1 / i+1); 0 beyond the pack station.
        left = np.zeros((n + 2, c))
        right = np.zeros((n + 2, c))
        left[1:] = lm[pn[1:], s[:-1, None]]
        right[:-1] = lm[pn[:-1], s[1:, None]]
        ep = np.concatenate(([0.0], edge, [0.0]))
        e3 = ep[:-2] + ep[1:-1] + ep[2:]  # (n+1,): edges k-1, k, k+1
        hot = np.zeros(n + 1, dtype=bool)

        # 2-opt on edges r (in rows) and x: positions r, x get new neighbours x, r (their cells
        # free, their other neighbours r-1, x-1 fixed), and r+1, x+1 likewise (r+2, x+2 fixed).
        nr = len(rows)
        both = np.concatenate((rows, rows + 1))
        if c == 1:
            t = lm.take(s.take(both), axis=0).take(s, axis=1)  # (2R, n+2)
            t[:nr] += left[:, 0]
            t[nr:] += right[:, 0]
            t += np.concatenate((left.take(rows, axis=0), right.take(rows + 1, axis=0)))
            f = t
        else:
            # (2R, c, c, n+2): d(slot k of the bay at row r, slot l of the bay at position x)
            t = lm.take(pn.take(both, axis=0).ravel(), axis=0).take(pn.T.ravel(), axis=1)
            t = t.reshape(2 * nr, c, c, n + 2)
            t[:nr] += left.T
            t[nr:] += right.T
            t += np.concatenate((left.take(rows, axis=0), right.take(rows + 1, axis=0)))[
                :, :, None, None
            ]
            f = np.minimum.reduce(t.reshape(2 * nr, c * c, n + 2), axis=1)
        two = f[:nr, :-1] + f[nr:, 1:]
        two -= e3.take(rows)[:, None] + e3[None, :]
        two += self.two_pen.take(rows, axis=0)
        hot[rows[two.min(axis=1) < -_EPS]] = True
        k = int(two.argmin())
        best = float(two.flat[k])
        r, x = divmod(k, n + 1)
        move: tuple = ("2", min(int(rows[r]), x), max(int(rows[r]), x))

        # Or-opt: segment i..e out (i-1 joined to e+1), in between j and j+1, either way round,
        # its end bays on their best cells there (a middle bay keeps its cell).
        sel = np.flatnonzero(dmask[self.first - 1] | dmask[self.last])
        fs_all, ls_all = self.first.take(sel), self.last.take(sel)
        # Out go the edges at both ends and, inside, those at the end bays (their cells change).
        removed = lm[s.take(fs_all - 1), s.take(ls_all + 1)]
        removed -= edge.take(fs_all - 1) + edge.take(ls_all)
        inner = ls_all > fs_all
        removed[inner] -= edge.take(fs_all[inner])
        inner &= ls_all > fs_all + 1
        removed[inner] -= edge.take(ls_all[inner] - 1)
        base_all = self.or_pen.take(sel, axis=0)
        base_all += removed[:, None] - edge[None, :]
        cuts = np.searchsorted(sel, self.block_ends)
        lo = 0
        for seg, hi in zip(self.seg_blocks, cuts, strict=True):
            if hi == lo:
                continue
            fs, ls, base = fs_all[lo:hi], ls_all[lo:hi], base_all[lo:hi]
            lo = hi
            pf = pn.take(fs, axis=0)  # (S, c)
            # (S, c, n+2): each slot of the first bay to the current cell of each position
            uf = lm.take(pf.ravel(), axis=0).take(s, axis=1).reshape(len(fs), c, n + 2)
            if seg == 1:
                g1 = uf[:, 0, :-1] + uf[:, 0, 1:]
                for k in range(1, c):
                    np.minimum(g1, uf[:, k, :-1] + uf[:, k, 1:], out=g1)
                options = [(g1, False)]
            else:
                pl = pn.take(ls, axis=0)
                ul = lm.take(pl.ravel(), axis=0).take(s, axis=1).reshape(len(ls), c, n + 2)
                if seg == 2:
                    # w[k, l]: slot k of the first bay to slot l of the last
                    w = lm[pf[:, :, None], pl[:, None, :]]
                    # g_f[l, j]: best first-bay slot next to position j, the last bay on slot l
                    g_f = uf[:, 0, None, :] + w[:, 0, :, None]
                    g_l = ul[:, 0, None, :] + w[:, :, 0, None]
                    for k in range(1, c):
                        np.minimum(g_f, uf[:, k, None, :] + w[:, k, :, None], out=g_f)
                        np.minimum(g_l, ul[:, k, None, :] + w[:, :, k, None], out=g_l)
                    g_f = g_f[:, :, :-1]
                    g_f += ul[:, :, 1:]
                    g_l = g_l[:, :, :-1]
                    g_l += uf[:, :, 1:]
                    forward = np.minimum.reduce(g_f, axis=1)
                    backward = np.minimum.reduce(g_l, axis=1)
                else:
                    uf += lm[pf, s.take(fs + 1)[:, None]][:, :, None]  # via the middle bay
                    ul += lm[pl, s.take(ls - 1)[:, None]][:, :, None]
                    h_f = np.minimum.reduce(uf, axis=1)  # (S, n+2)
                    h_l = np.minimum.reduce(ul, axis=1)
                    forward = h_f[:, :-1] + h_l[:, 1:]
                    backward = h_l[:, :-1] + h_f[:, 1:]
                options = [(forward, False), (backward, True)]
            for gain, flipped in options:
                gain += base
                gains = gain.min(axis=1) < -_EPS
                hot[fs[gains] - 1] = True
                hot[ls[gains]] = True
                g = int(gain.argmin())
                if gain.flat[g] < best:
                    best = float(gain.flat[g])
                    r2, jj = divmod(g, n + 1)
                    move = ("or", seg, flipped, int(fs[r2]), jj)
        return best, move, hot

    def _best_pair(
        self, a: int | None, x_cands: list[int], y_cands: list[int], b: int | None
    ) -> tuple[int, int]:
        """Cells x, y (of two neighbouring stops) minimising d(a, x) + d(x, y) + d(y, b); a
        missing `a` or `b` costs nothing."""
        d = self.rows
        best, pair = float("inf"), (x_cands[0], y_cands[0])
        for x in x_cands:
            rx = d[x]
            ax = 0.0 if a is None else rx[a]
            for y in y_cands:
                ry = d[y]
                value = ax + rx[y] + (0.0 if b is None else ry[b])
                if value < best:
                    best, pair = value, (x, y)
        return pair

    def _apply(self, order: list[int], cell: np.ndarray, move: tuple) -> tuple[list[int], set[int]]:
        """The tour after `move` (cells set in `cell`), and the bays whose neighbours changed."""
        n = self.n
        ext = [n, *order, n]
        cands = self.cands
        if move[0] == "2":
            p, q = move[1], move[2]
            touched = {ext[p], ext[p + 1], ext[q], ext[q + 1]}
            was = cell.copy()
            # new neighbours: p-1 | p, q | q-1   and   p+2 | p+1, q+1 | q+2
            a = int(cell[ext[p - 1]]) if p >= 1 else None
            x, y = self._best_pair(a, cands[ext[p]], cands[ext[q]], int(cell[ext[q - 1]]))
            cell[ext[p]], cell[ext[q]] = x, y
            b = int(cell[ext[q + 2]]) if q + 2 <= n + 1 else None
            x, y = self._best_pair(int(cell[ext[p + 2]]), cands[ext[p + 1]], cands[ext[q + 1]], b)
            cell[ext[p + 1]], cell[ext[q + 1]] = x, y
            # a bay on a new cell changes its other neighbour's edge too
            for k, other in ((p, p - 1), (q, q - 1), (p + 1, p + 2), (q + 1, q + 2)):
                if cell[ext[k]] != was[ext[k]]:
                    touched.add(ext[other])
            order = order[:p] + order[p:q][::-1] + order[q:]
        else:
            _, seg, flipped, i, j = move
            e = i + seg - 1
            part = order[i - 1 : i - 1 + seg]
            if flipped:
                part = part[::-1]
            prev, nxt = int(cell[ext[j]]), int(cell[ext[j + 1]])
            first, last = part[0], part[-1]
            touched = {ext[i - 1], ext[e + 1], ext[j], ext[j + 1], first, last}
            was_first, was_last = cell[first], cell[last]
            if seg == 1:
                d = self.rows
                cell[first] = min(cands[first], key=lambda c: d[prev][c] + d[c][nxt])
            elif seg == 2:
                x, y = self._best_pair(prev, cands[first], cands[last], nxt)
                cell[first], cell[last] = x, y
            else:
                d = self.rows
                after, before = int(cell[part[1]]), int(cell[part[-2]])
                cell[first] = min(cands[first], key=lambda c: d[prev][c] + d[c][after])
                cell[last] = min(cands[last], key=lambda c: d[before][c] + d[c][nxt])
            if seg > 2 and cell[first] != was_first:
                touched.add(part[1])
            if seg > 2 and cell[last] != was_last:
                touched.add(part[-2])
            if j < i:
                order = order[:j] + part + order[j : i - 1] + order[i - 1 + seg :]
            else:
                order = order[: i - 1] + order[i - 1 + seg : j] + part + order[j:]
        return order, touched


def solve_heuristic(
    problem: Problem, seed: int = 0, iterations: int | None = None
) -> tuple[list[int], list[int], float]:
    """A near-optimal (bay order, stations, cost) by iterated local search over order and access
    cells, run from two different starts (nearest neighbour and S-shape); the better wins."""
    rng = random.Random(seed)
    n = len(problem.bays)
    if iterations is None:
        iterations = ILS_BASE_ITERATIONS + ILS_ITERATIONS_PER_BAY * n
    starts = [nearest_neighbour_order(problem), sshape_order(problem)]
    search = _Search(problem)
    results = [
        _iterated_local_search(search, start, iterations // len(starts), rng) for start in starts
    ]
    order, cell, _ = min(results, key=lambda r: r[2])
    cells = [int(search.stations[cell[b]]) for b in order]
    return order, cells, problem.tour_cost(order, cells)


def _descend(
    search: _Search,
    order: list[int],
    cell: np.ndarray,
    dirty: Iterable[int] | None,
    bound: float = np.inf,
) -> tuple[list[int], float]:
    """Local search, then cluster optimisation, again from the bays whose cells it changed,
    until neither shortens the tour; the cluster optimisation is skipped for a tour still
    longer than `bound`, which it would seldom save."""
    while True:
        order = search.improve(order, cell, dirty)
        before = search.cost(order, cell)
        if before > bound:
            return order, before
        cost, changed = search.cluster_opt(order, cell)
        if not changed or cost >= before - _EPS:
            return order, cost
        pos = {b: k for k, b in enumerate(order)}
        dirty = set(changed)
        for b in changed:
            k = pos[b]
            dirty.update(order[max(k - 1, 0) : k + 2])


# The kicks, by share: ruin and recreate, side flips (for an order whose bays all have a choice
# of cells; the share shrinks with the bays that have one), and for the rest a double bridge
# with a few cell flips.
RUIN_SHARE = 0.5
SIDE_FLIP_SHARE = 0.2
RUIN_MAX_BAYS = 20  # bays taken out by one ruin, at most
SIDE_FLIP_RADIUS = 12  # cells within this walk of the chosen bay's cell change sides with it
CO_SKIP = 0.03  # no cluster optimisation for a kicked tour this much longer than the current


def _iterated_local_search(
    search: _Search, order: list[int], iterations: int, rng: random.Random
) -> tuple[list[int], np.ndarray, float]:
    """The best tour found from `order` by `iterations` kicks, each followed by a descent and
    kept if it is no longer: (order, cell of each bay, cost)."""
    cell = np.array([c[0] for c in search.cands], dtype=np.int64)
    search.cluster_opt(order, cell)
    order, cost = _descend(search, order, cell, None)
    best = (order, cell.copy(), cost)
    segments = [(start, start + len(g)) for start, g in _group_starts(search.groups) if len(g) >= 8]
    side_flips = SIDE_FLIP_SHARE * len(search.multi) / max(search.n, 1)
    ruins = side_flips + RUIN_SHARE
    for _ in range(iterations if segments else 0):
        cand_cell = cell.copy()
        roll = rng.random()
        if roll < side_flips:
            cand, touched = _side_flip(search, order, cand_cell, rng)
        elif roll < ruins:
            cand, touched = _ruin_recreate(search, order, cand_cell, rng)
        else:
            lo, hi = max(segments, key=lambda s: (s[1] - s[0]) * rng.random())
            cand, touched = _double_bridge(order, lo, hi, rng)
            _flip_cells(search, cand, cand_cell, touched, rng.randint(0, 2), rng)
        cand, cand_cost = _descend(search, cand, cand_cell, touched, cost * (1 + CO_SKIP))
        if cand_cost <= cost + _EPS:
            # Sideways moves too: grid distances tie a lot, and walking the plateau escapes it.
            order, cell, cost = cand, cand_cell, cand_cost
            if cost < best[2] - _EPS:
                best = (order, cell.copy(), cost)
    return best


def _flip_cells(
    search: _Search,
    order: list[int],
    cell: np.ndarray,
    touched: set[int],
    count: int,
    rng: random.Random,
) -> None:
    """Put `count` random bays (of those with a choice) on another of their cells."""
    for b in rng.sample(search.multi, min(len(search.multi), count)):
        cell[b] = rng.choice([c for c in search.cands[b] if c != cell[b]])
        k = order.index(b)
        touched.update(order[max(k - 1, 0) : k + 2])


def _side_flip(
    search: _Search, order: list[int], cell: np.ndarray, rng: random.Random
) -> tuple[list[int], set[int]]:
    """Put the bays picked near a random bay's cell on their other side, next to that bay's
    other cell (an aisle's stops moved to the next aisle); the bays around them."""
    d = search.rows
    b0 = rng.choice(search.multi)
    here = int(cell[b0])
    there = rng.choice([c for c in search.cands[b0] if c != here])
    touched: set[int] = set()
    pos = {b: k for k, b in enumerate(order)}
    for b in search.multi:
        if d[int(cell[b])][here] <= SIDE_FLIP_RADIUS:
            others = [c for c in search.cands[b] if c != cell[b]]
            cell[b] = min(others, key=lambda c: d[c][there])
            k = pos[b]
            touched.update(order[max(k - 1, 0) : k + 2])
    return list(order), touched


def _ruin_recreate(
    search: _Search, order: list[int], cell: np.ndarray, rng: random.Random
) -> tuple[list[int], set[int]]:
    """Take out the bays nearest a random bay (of its pick rank) and put each back, in random
    order, where it lengthens the tour least, on its best cell; the bays around the changes."""
    n, lm = search.n, search.lm
    b0 = rng.choice(order)
    rank = search.rank_of[b0]
    same = search.groups[rank]
    k = rng.randint(3, max(3, min(RUIN_MAX_BAYS, len(same) // 3)))
    near = search.bay_dist[b0].take(same)
    out = [same[i] for i in np.argsort(near, kind="stable")[:k]]
    gone = set(out)
    rest = [b for b in order if b not in gone]
    rng.shuffle(out)
    touched: set[int] = set()
    before = sum(1 for b in rest if search.rank_of[b] < rank)  # bays of lower ranks
    for b in out:
        after = before + sum(1 for x in rest[before:] if search.rank_of[x] == rank)
        # between stop j and j+1 for j = before..after (stop 0 and the last are @)
        s = cell.take([n, *rest[before:after], n if after == len(rest) else rest[after]])
        if before > 0:
            s[0] = cell[rest[before - 1]]
        a, z = s[:-1], s[1:]
        choices = np.array(search.cands[b])
        cost = lm[choices[:, None], a[None, :]] + lm[choices[:, None], z[None, :]]
        cost -= lm[a, z][None, :]
        kk, jj = divmod(int(cost.argmin()), cost.shape[1])
        cell[b] = choices[kk]
        j = before + jj
        rest.insert(j, b)
        touched.update(rest[max(j - 1, 0) : j + 2])
    return rest, touched


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
