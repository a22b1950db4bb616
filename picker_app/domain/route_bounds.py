"""Lower bounds for the exact route's bounded search (route_exact.solve_bounded): spanning trees
that follow the tour's shape, rank by rank, tightened by Held and Karp's penalties on the bays.
"""

from __future__ import annotations

import numpy as np

from picker_app.domain.route_problem import Problem

# Rounds of subgradient ascent on the bays' penalties (it stops sooner once the known tour is
# proven, or when the steps become too small to help).
ASCENT_ROUNDS = 40


class Bounds:
    """An order for the bounded search: its bays in rank order (bit i of a set is bay `seq[i]`,
    each rank a run of bits `spans[r]`), their candidate cells as nodes, and lower bounds on the
    cost of finishing a tour from a state."""

    def __init__(self, problem: Problem, upper: float, target: float) -> None:
        """Bounds for `problem` with penalties tuned against `upper`, a tour's cost; the tuning
        stops once the root bound is above `target`."""
        d = problem.dist
        self.seq = [b for group in problem.groups for b in group]
        cells = [problem.cands[b] for b in self.seq]
        self.station = np.concatenate(cells)  # node -> station
        self.bit = np.concatenate([np.full(len(c), i) for i, c in enumerate(cells)])
        self.first = np.cumsum([0] + [len(c) for c in cells])  # bay i: nodes first[i]..[i+1]
        self.dist = d[np.ix_(self.station, self.station)].astype(np.float64)
        self.out = d[0, self.station].astype(np.float64)  # @ -> node
        self.home = d[self.station, 0].astype(np.float64)  # node -> @
        # Between bays, the shortest walk between any of their cells.
        starts = self.first[:-1]
        self.to_bay = np.minimum.reduceat(self.dist, starts, axis=1)  # node -> bay
        self.bay_bay = np.minimum.reduceat(self.to_bay, starts, axis=0)
        self.bay_out = np.minimum.reduceat(self.out, starts)
        self.bay_home = np.minimum.reduceat(self.home, starts)
        self.spans: list[tuple[int, int]] = []
        lo = 0
        for group in problem.groups:
            self.spans.append((lo, lo + len(group)))
            lo += len(group)
        self.rank_of = np.concatenate(
            [np.full(hi - lo, r) for r, (lo, hi) in enumerate(self.spans)]
        )
        self.root = self._ascend(upper, target)

    def _penalise(self, pen: np.ndarray) -> tuple[float, np.ndarray]:
        """Set the bounds for bay penalties `pen` (any penalties give valid bounds): the bound
        on the whole tour, and each bay's degree in the structure that gives it."""
        self.pen = pen
        last = len(self.spans) - 1
        w = self.bay_bay + pen[:, None] + pen[None, :]
        self.to_bay_p = self.to_bay + pen[None, :]
        self.home_p = self.bay_home + pen
        self.weights = [w[lo:hi, lo:hi] for lo, hi in self.spans]
        # full_tree[r]: the spanning tree of rank r. after[r]: a bound on the tour from leaving
        # rank r (its bays all picked) to @, less the step out of it (0 for the last rank).
        # enter[r][node]: a bound from standing on node with rank r done to @.
        self.full_tree = [0.0] * len(self.spans)
        self.after = [0.0] * len(self.spans)
        self.enter = [self.home] * len(self.spans)
        degree = np.zeros(len(pen))
        tail = 0.0  # a bound from arriving at rank r+1 (its first bay's penalty counted) to @
        for r in range(last, -1, -1):
            lo, hi = self.spans[r]
            tree, deg = _tree(self.weights[r].tolist())
            self.full_tree[r] = tree
            degree[lo:hi] += deg
            through = tree - 2 * float(pen[lo:hi].sum())
            if r == last:
                j = int(self.home_p[lo:hi].argmin())
                through += float(self.home_p[lo + j])
                degree[lo + j] += 1
            else:
                nlo, nhi = self.spans[r + 1]
                block = w[lo:hi, nlo:nhi]
                a, b = np.unravel_index(int(block.argmin()), block.shape)
                degree[lo + a] += 1
                degree[nlo + b] += 1
                self.after[r] = float(block[a, b]) + tail
                self.enter[r] = self.to_bay_p[:, nlo:nhi].min(axis=1) + tail
            tail = through + self.after[r]
        lo, hi = self.spans[0]
        out = self.bay_out[lo:hi] + pen[lo:hi]
        j = int(out.argmin())
        degree[lo + j] += 1
        return float(out[j]) + tail, degree

    def _ascend(self, upper: float, target: float) -> float:
        """Held and Karp's subgradient ascent: push penalties up on bays the bound's structure
        touches less than twice and down on those it touches more (a tour touches each twice);
        keep the best penalties. The best root bound."""
        pen = np.zeros(len(self.seq))
        best, degree = self._penalise(pen)
        best_pen = pen
        step = 2.0
        stall = 0
        for _ in range(ASCENT_ROUNDS):
            g = degree - 2
            norm = float(g @ g)
            if norm == 0 or best > target or step < 1e-3:
                break
            pen = pen + step * (upper - best) / norm * g
            root, degree = self._penalise(pen)
            if root > best + 1e-9:
                best, best_pen, stall = root, pen, 0
            else:
                stall += 1
                if stall == 3:
                    step /= 2
                    stall = 0
        if best_pen is not pen:
            self._penalise(best_pen)
        return best

    def prune(
        self,
        sets: np.ndarray,
        nodes: np.ndarray,
        cost: np.ndarray,
        count: int,
        parent_tree: np.ndarray | float,
        limit: float,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Which states of `count` bays (`sets` picked, standing on `nodes`, at `cost`) could
        still finish at `limit` or less, and for those the spanning tree of their rank's bays
        still to pick (`parent_tree`: that of the states they came from)."""
        r = int(self.rank_of[count - 1])
        lo, hi = self.spans[r]
        if count == hi:  # the rank is done
            keep = np.flatnonzero(cost + self.enter[r][nodes] <= limit)
            return keep, np.zeros(len(keep))
        k = hi - lo
        left = (~sets >> lo) & ((1 << k) - 1)
        open_ = ((left[:, None] >> np.arange(k)) & 1).astype(bool)
        base = cost + np.where(open_, self.to_bay_p[nodes, lo:hi], np.inf).min(axis=1)
        base -= 2 * (open_ @ self.pen[lo:hi])
        if r == len(self.spans) - 1:
            base += np.where(open_, self.home_p[lo:hi], np.inf).min(axis=1)
        else:
            base += self.after[r]
        # A cheap test first: the tree of the bays left is at least the parent's tree less the
        # cheapest edge from the bay just picked to them.
        edge = np.where(open_, self.weights[r][self.bit[nodes] - lo], np.inf).min(axis=1)
        keep = np.flatnonzero(base + parent_tree - edge <= limit)
        uniq, which = np.unique(left[keep], return_inverse=True)
        inside = ((uniq[:, None] >> np.arange(k)) & 1).astype(bool)
        tree = _mst(self.weights[r], inside)[which]
        ok = base[keep] + tree <= limit
        return keep[ok], tree[ok]


def _tree(w: list[list[float]]) -> tuple[float, list[int]]:
    """The minimum spanning tree of all points under weights `w`: its weight and the points'
    degrees in it (Prim; plain Python is quicker than numpy at this size)."""
    q = len(w)
    key = list(w[0])
    parent = [0] * q
    degree = [0] * q
    todo = list(range(1, q))
    total = 0.0
    while todo:
        j = min(todo, key=key.__getitem__)
        todo.remove(j)
        total += key[j]
        degree[j] += 1
        degree[parent[j]] += 1
        row = w[j]
        for i in todo:
            if row[i] < key[i]:
                key[i] = row[i]
                parent[i] = j
    return total, degree


def _mst(w: np.ndarray, inside: np.ndarray) -> np.ndarray:
    """The weight of the minimum spanning tree of each row's set of points (`inside[u, i]`: point
    i is in set u) under the symmetric weights `w`: Prim's algorithm on every set at once."""
    sets = len(inside)
    rows = np.arange(sets)
    total = np.zeros(sets)
    root = inside.argmax(axis=1)
    todo = inside.copy()
    todo[rows, root] = False
    key = np.where(todo, w[root], np.inf)
    for _ in range(int(todo.sum(axis=1).max(initial=0))):
        j = key.argmin(axis=1)
        step = key[rows, j]
        more = step < np.inf
        total += np.where(more, step, 0.0)
        todo[rows[more], j[more]] = False
        key = np.where(todo, np.minimum(key, w[j]), np.inf)
    return total
