"""The compiled core of the batch route search (numba): an iterated local search over the bay
order and each bay's access cell together (a generalized TSP, pick ranks kept), fast enough for
thousands of kicks in a few hundred milliseconds. Plain computation on arrays: no IO, no UI
(numba keeps its compiled code in `__pycache__`, or in the user's cache folder).

The tour is `seq` (positions 0 and n+1 are the pack station, bay index n; 1..n the bays) with a
cell per bay (`cell`, an index into `dist`, which may be asymmetric: with congestion a step
costs what the cell stepped onto costs). Pick ranks never decrease along the tour, so each rank
fills a fixed range of positions.

- **Local search** with neighbour lists and don't-look bits: for a bay whose tour neighbours
  changed, every 2-opt that makes it adjacent to one of its nearest bays (the reversed part
  re-costed from prefix sums, so asymmetric walks are right), also with the four bays at the
  new edges on their best cells; every Or-opt of a segment of 1-3 bays with it at one end to
  beside one of its nearest bays (either way round; a single bay on the best of its cells
  there); a change of its own cell. The best of these is applied.
- **At a local optimum**, the reversal of each rank's part of a stretch that crosses ranks (a
  2-opt cannot: where one rank is left and the next entered turns round with it), then the
  cells of the whole tour re-chosen exactly (a layered shortest path); the search goes on from
  the bays these change.
- **Kicks** (after Smith and Imeson's GLNS and Karapetyan and Gutin's generalized-TSP local
  searches): ruin and recreate (the bays nearest a random bay taken out and put back one by one
  beside their nearest bays, where they cost least, on their best cells); a row flip (the bays
  picked near a random bay's cell whose other side is as near that bay's other cell, its row,
  moved to that side and re-threaded one by one); a segment of up to `seg_max` bays moved,
  either way round, to where it costs least; a double bridge inside a window of one rank, or
  anywhere in it, with a few cells changed. A kicked tour is kept when it is no longer than the
  current one.

Deterministic for a given seed (numba's own generator, seeded here).
"""

from __future__ import annotations

import numpy as np
from numba import njit

EPS = 1e-9
CROSS_TAIL = 40  # a cross-rank reversal starts this near its first rank's end, at most
_BIG = 1 << 40


@njit(cache=True)
def _rank_at(rank, seq, k, n):
    if k == 0:
        return -1
    if k == n + 1:
        return _BIG
    return rank[seq[k]]


@njit(cache=True)
def _prefix(dist, seq, cell, fw, bw):
    fw[0] = 0.0
    bw[0] = 0.0
    for k in range(seq.shape[0] - 1):
        a = cell[seq[k]]
        b = cell[seq[k + 1]]
        fw[k + 1] = fw[k] + dist[a, b]
        bw[k + 1] = bw[k] + dist[b, a]


@njit(cache=True)
def _positions(seq, pos):
    for k in range(seq.shape[0] - 1):
        pos[seq[k]] = k


@njit(cache=True)
def _cost(dist, seq, cell):
    total = 0.0
    for k in range(seq.shape[0] - 1):
        total += dist[cell[seq[k]], cell[seq[k + 1]]]
    return total


@njit(cache=True)
def _push(b, n, stack, top, queued):
    if b < n and not queued[b]:
        queued[b] = True
        stack[top] = b
        top += 1
    return top


@njit(cache=True)
def _best_move(b, dist, cand, ncand, rank, nb, seq, pos, cell, fw, bw, n):
    """The best move that gives bay `b` a new tour neighbour (or a new cell): (gain, kind, m1,
    m2, m3, m4). Kinds: 0 none; 1 the 2-opt reversing positions m1+1..m2; 4 the same with the
    bays at m1, m2 on cells m3 // 65536, m3 % 65536 and at m1+1, m2+1 on m4 // 65536,
    m4 % 65536; 2 the Or-opt of positions m1..m2 to between m3 and m3+1 (m4: the single bay's
    new cell, or -1 as it is, -2 reversed); 3 bay b on cell m1."""
    i = pos[b]
    best = -EPS
    kind = 0
    m1 = 0
    m2 = 0
    m3 = 0
    m4 = 0
    # a new cell for b where it is
    prev = cell[seq[i - 1]]
    nxt = cell[seq[i + 1]]
    here = dist[prev, cell[b]] + dist[cell[b], nxt]
    for t in range(ncand[b]):
        c = cand[b, t]
        g = dist[prev, c] + dist[c, nxt] - here
        if g < best:
            best = g
            kind = 3
            m1 = c
    for t in range(nb.shape[1]):
        x = nb[b, t]
        j = pos[x]
        lo = min(i, j)
        hi = max(i, j)
        # 2-opt: reverse p+1..q; new edges p->q and p+1->q+1
        for shift in range(2):
            p = lo - shift
            q = hi - shift
            if p < 0 or q > n or q < p + 2:
                continue
            if _rank_at(rank, seq, p + 1, n) != _rank_at(rank, seq, q, n):
                continue
            na = cell[seq[p]]
            nb1 = cell[seq[p + 1]]
            nc = cell[seq[q]]
            ne = cell[seq[q + 1]]
            g = (
                dist[na, nc] + dist[nb1, ne] - dist[na, nb1] - dist[nc, ne]
                + (bw[q] - bw[p + 1]) - (fw[q] - fw[p + 1])
            )
            if g < best:
                best = g
                kind = 1
                m1 = p
                m2 = q
                m3 = -1
            if q >= p + 3 and (
                ncand[seq[p]] > 1 or ncand[seq[p + 1]] > 1 or ncand[seq[q]] > 1
                or ncand[seq[q + 1]] > 1
            ):
                # the four bays at the new edges on their best cells for their new neighbours
                g2, ca, cc, cb, ce = _two_opt_cells(dist, cand, ncand, seq, cell, fw, bw, p, q, n)
                if g2 < best:
                    best = g2
                    kind = 4
                    m1 = p
                    m2 = q
                    m3 = ca * 65536 + cc
                    m4 = cb * 65536 + ce
        # Or-opt: a segment with b at one end, put beside x (before or after it)
        for seg in range(1, 4):
            for side in range(2):
                if side == 0:
                    s = i
                    e = i + seg - 1
                else:
                    if seg == 1:
                        continue
                    s = i - seg + 1
                    e = i
                if s < 1 or e > n:
                    continue
                r = _rank_at(rank, seq, s, n)
                if _rank_at(rank, seq, e, n) != r:
                    continue
                if s <= j <= e:
                    continue
                cs = cell[seq[s]]
                ce = cell[seq[e]]
                cp = cell[seq[s - 1]]
                cn = cell[seq[e + 1]]
                removed = dist[cp, cs] + dist[ce, cn] - dist[cp, cn]
                inner_f = fw[e] - fw[s]
                inner_b = bw[e] - bw[s]
                for where in range(2):
                    jj = j - 1 + where  # insert between jj and jj+1
                    if jj < 0 or jj > n or (jj >= s - 1 and jj <= e):
                        continue
                    if _rank_at(rank, seq, jj, n) > r or r > _rank_at(rank, seq, jj + 1, n):
                        continue
                    u = cell[seq[jj]]
                    v = cell[seq[jj + 1]]
                    base = -removed - dist[u, v]
                    if seg == 1:
                        bay = seq[s]
                        for tt in range(ncand[bay]):
                            c = cand[bay, tt]
                            g = base + dist[u, c] + dist[c, v]
                            if g < best:
                                best = g
                                kind = 2
                                m1 = s
                                m2 = e
                                m3 = jj
                                m4 = c
                    else:
                        g = base + dist[u, cs] + dist[ce, v]
                        if g < best:
                            best = g
                            kind = 2
                            m1 = s
                            m2 = e
                            m3 = jj
                            m4 = -1
                        g = base + dist[u, ce] + dist[cs, v] + inner_b - inner_f
                        if g < best:
                            best = g
                            kind = 2
                            m1 = s
                            m2 = e
                            m3 = jj
                            m4 = -2
    return best, kind, m1, m2, m3, m4


@njit(cache=True)
def _best_pair(dist, cand, ncand, before, x, y, after):
    """Cells of bays x then y (neighbours) minimising before->x->y->after (-1: no such end)."""
    best = 1e300
    bx = cand[x, 0]
    by = cand[y, 0]
    for i in range(ncand[x]):
        cx = cand[x, i]
        head = dist[before, cx] if before >= 0 else 0.0
        for j in range(ncand[y]):
            cy = cand[y, j]
            v = head + dist[cx, cy] + (dist[cy, after] if after >= 0 else 0.0)
            if v < best:
                best = v
                bx = cx
                by = cy
    return best, bx, by


@njit(cache=True)
def _two_opt_cells(dist, cand, ncand, seq, cell, fw, bw, p, q, n):
    """The gain of the 2-opt reversing p+1..q (q >= p+3) with the bays at p, q (new neighbours)
    and p+1, q+1 on their best cells: (gain, cell of p, of q, of p+1, of q+1)."""
    a = seq[p]
    b = seq[p + 1]
    c = seq[q]
    e = seq[q + 1]
    before = cell[seq[p - 1]] if p >= 1 else -1
    after = cell[seq[q + 2]] if q + 2 <= n + 1 else -1
    old = (
        (dist[before, cell[a]] if before >= 0 else 0.0)
        + fw[p + 2] - fw[p] + fw[q + 1] - fw[q - 1]
        + (dist[cell[e], after] if after >= 0 else 0.0)
        + fw[q - 1] - fw[p + 2]
    )
    first, ca, cc = _best_pair(dist, cand, ncand, before, a, c, cell[seq[q - 1]])
    second, cb, ce = _best_pair(dist, cand, ncand, cell[seq[p + 2]], b, e, after)
    new = first + second + bw[q - 1] - bw[p + 2]
    return new - old, ca, cc, cb, ce


@njit(cache=True)
def _move_segment(seq, tmp, s, e, jj, reverse):
    """seq with positions s..e taken out and put between jj and jj+1 (jj outside s-1..e)."""
    n2 = seq.shape[0]
    k = 0
    if jj < s:
        for t in range(0, jj + 1):
            tmp[k] = seq[t]
            k += 1
        if reverse:
            for t in range(e, s - 1, -1):
                tmp[k] = seq[t]
                k += 1
        else:
            for t in range(s, e + 1):
                tmp[k] = seq[t]
                k += 1
        for t in range(jj + 1, s):
            tmp[k] = seq[t]
            k += 1
        for t in range(e + 1, n2):
            tmp[k] = seq[t]
            k += 1
    else:
        for t in range(0, s):
            tmp[k] = seq[t]
            k += 1
        for t in range(e + 1, jj + 1):
            tmp[k] = seq[t]
            k += 1
        if reverse:
            for t in range(e, s - 1, -1):
                tmp[k] = seq[t]
                k += 1
        else:
            for t in range(s, e + 1):
                tmp[k] = seq[t]
                k += 1
        for t in range(jj + 1, n2):
            tmp[k] = seq[t]
            k += 1
    for t in range(n2):
        seq[t] = tmp[t]


@njit(cache=True)
def _cluster_opt(dist, cand, ncand, seq, cell, n, cost_buf, back):
    """Set the best cells for the order `seq` (a layered shortest path); the bays whose cell
    changed are marked in `back[:, 0]` as -1 (returns how many)."""
    c = cand.shape[1]
    depot = cell[n]
    prev_cost = np.empty(c)
    cur_cost = np.empty(c)
    b0 = seq[1]
    for t in range(ncand[b0]):
        prev_cost[t] = dist[depot, cand[b0, t]]
    for k in range(2, n + 1):
        b = seq[k]
        a = seq[k - 1]
        for t in range(ncand[b]):
            x = cand[b, t]
            best = 1e300
            arg = 0
            for u in range(ncand[a]):
                v = prev_cost[u] + dist[cand[a, u], x]
                if v < best:
                    best = v
                    arg = u
            cur_cost[t] = best
            back[k, t] = arg
        for t in range(ncand[b]):
            prev_cost[t] = cur_cost[t]
    last = seq[n]
    best = 1e300
    j = 0
    for t in range(ncand[last]):
        v = prev_cost[t] + dist[cand[last, t], depot]
        if v < best:
            best = v
            j = t
    changed = 0
    for k in range(n, 0, -1):
        b = seq[k]
        x = cand[b, j]
        if cell[b] != x:
            cell[b] = x
            cost_buf[changed] = b
            changed += 1
        if k > 1:
            j = back[k, j]
    return changed


@njit(cache=True)
def _cross_rank(dist, seq, cell, fw, bw, bstart, bend, nblocks):
    """The best reversal of each rank's part of positions a..b, where a and b are in different
    ranks (the ranks stay in order; a 2-opt cannot cross them) and a is among the last
    CROSS_TAIL positions of its rank: (gain, a, b)."""
    best = -EPS
    best_a = -1
    best_b = -1
    for k1 in range(nblocks - 1):
        e1 = bend[k1]
        for a in range(max(bstart[k1], e1 + 1 - CROSS_TAIL), e1 + 1):
            x = cell[seq[a - 1]]
            acc = dist[x, cell[seq[e1]]] + bw[e1] - bw[a]
            open_ = cell[seq[a]]
            for k2 in range(k1 + 1, nblocks):
                s2 = bstart[k2]
                for b in range(s2, bend[k2] + 1):
                    y = cell[seq[b + 1]]
                    new = acc + dist[open_, cell[seq[b]]] + bw[b] - bw[s2] + dist[cell[seq[s2]], y]
                    g = new - (fw[b + 1] - fw[a - 1])
                    if g < best:
                        best = g
                        best_a = a
                        best_b = b
                # block k2 whole, for the blocks after it
                acc += dist[open_, cell[seq[bend[k2]]]] + bw[bend[k2]] - bw[s2]
                open_ = cell[seq[s2]]
    return best, best_a, best_b


@njit(cache=True)
def _reverse(seq, pos, lo, hi):
    i = lo
    j = hi
    while i < j:
        t = seq[i]
        seq[i] = seq[j]
        seq[j] = t
        i += 1
        j -= 1
    for t in range(lo, hi + 1):
        pos[seq[t]] = t


@njit(cache=True)
def _apply_move(b, kind, m1, m2, m3, m4, seq, pos, cell, tmp, n, stack, top, queued):
    """Apply a move of `_best_move` for bay b; the bays whose neighbours changed go on the
    stack (its new top is returned). `fw`/`bw` are stale after it."""
    if kind == 3:
        cell[b] = m1
        i = pos[b]
        top = _push(seq[i - 1], n, stack, top, queued)
        top = _push(seq[i + 1], n, stack, top, queued)
        top = _push(b, n, stack, top, queued)
    elif kind == 1 or kind == 4:
        p = m1
        q = m2
        ends = (seq[p], seq[p + 1], seq[q], seq[q + 1])
        if kind == 4:
            cell[seq[p]] = m3 // 65536
            cell[seq[q]] = m3 % 65536
            cell[seq[p + 1]] = m4 // 65536
            cell[seq[q + 1]] = m4 % 65536
            if p >= 1:
                top = _push(seq[p - 1], n, stack, top, queued)
            top = _push(seq[q - 1], n, stack, top, queued)
            top = _push(seq[p + 2], n, stack, top, queued)
            if q + 2 <= n + 1:
                top = _push(seq[q + 2], n, stack, top, queued)
        _reverse(seq, pos, p + 1, q)
        for x in ends:
            top = _push(x, n, stack, top, queued)
    else:
        s = m1
        e = m2
        jj = m3
        ends = (seq[s - 1], seq[s], seq[e], seq[e + 1], seq[jj], seq[jj + 1])
        if m4 >= 0:
            cell[seq[s]] = m4
        _move_segment(seq, tmp, s, e, jj, m4 == -2)
        _positions(seq, pos)
        for x in ends:
            top = _push(x, n, stack, top, queued)
    return top


@njit(cache=True)
def _apply_cross(a, b, seq, pos, bstart, bend, nblocks, n, stack, top, queued):
    """Apply a move of `_cross_rank`: each rank's part of positions a..b reversed in place."""
    for k in range(nblocks):
        lo = max(a, bstart[k])
        hi = min(b, bend[k])
        if lo <= hi:
            top = _push(seq[lo - 1], n, stack, top, queued)
            top = _push(seq[hi + 1], n, stack, top, queued)
            _reverse(seq, pos, lo, hi)
            top = _push(seq[lo], n, stack, top, queued)
            top = _push(seq[hi], n, stack, top, queued)
    return top


@njit(cache=True)
def _descend(dist, cand, ncand, rank, nb, seq, pos, cell, fw, bw, n, stack, top, queued,
             tmp, changed_buf, back, bstart, bend, nblocks):
    """Local search from the bays on the stack, then cell optimisation, until neither gains."""
    while True:
        _prefix(dist, seq, cell, fw, bw)
        while top > 0:
            top -= 1
            b = stack[top]
            queued[b] = False
            g, kind, m1, m2, m3, m4 = _best_move(
                b, dist, cand, ncand, rank, nb, seq, pos, cell, fw, bw, n
            )
            if kind == 0:
                continue
            top = _apply_move(b, kind, m1, m2, m3, m4, seq, pos, cell, tmp, n, stack, top,
                              queued)
            _prefix(dist, seq, cell, fw, bw)
        if nblocks > 1:
            g, a, b = _cross_rank(dist, seq, cell, fw, bw, bstart, bend, nblocks)
            if a >= 0:
                top = _apply_cross(a, b, seq, pos, bstart, bend, nblocks, n, stack, top, queued)
                continue
        before = fw[n + 1]
        changed = _cluster_opt(dist, cand, ncand, seq, cell, n, changed_buf, back)
        if changed == 0:
            return
        _prefix(dist, seq, cell, fw, bw)
        if fw[n + 1] >= before - EPS:
            return
        for t in range(changed):
            b = changed_buf[t]
            i = pos[b]
            top = _push(b, n, stack, top, queued)
            top = _push(seq[i - 1], n, stack, top, queued)
            top = _push(seq[i + 1], n, stack, top, queued)


@njit(cache=True)
def _insert_cheapest(dist, cand, ncand, rank, seq, cell, length, b, n):
    """Put bay b (not in seq[0:length], which ends with the pack station) where it costs least
    among the positions its rank allows, on its best cell; the new length."""
    r = rank[b]
    best = 1e300
    at = 1
    best_c = cand[b, 0]
    for j in range(length - 1):  # between j and j+1
        rj = -1 if j == 0 else rank[seq[j]]
        rn = _BIG if j + 1 == length - 1 else rank[seq[j + 1]]
        if rj > r or r > rn:
            continue
        u = cell[seq[j]]
        v = cell[seq[j + 1]]
        for t in range(ncand[b]):
            c = cand[b, t]
            g = dist[u, c] + dist[c, v] - dist[u, v]
            if g < best:
                best = g
                at = j + 1
                best_c = c
    for t in range(length, at, -1):
        seq[t] = seq[t - 1]
    seq[at] = b
    cell[b] = best_c
    return length + 1


@njit(cache=True)
def _insert_near(dist, cand, ncand, rank, nb, seq, pos, gone, cell, length, b, n):
    """Like `_insert_cheapest`, but only beside b's nearest bays still in the tour (all places
    when none is); `pos` is kept up to date."""
    r = rank[b]
    best = 1e300
    at = -1
    best_c = cand[b, 0]
    for t in range(nb.shape[1]):
        x = nb[b, t]
        if gone[x]:
            continue
        jx = pos[x]
        for j in range(jx - 1, jx + 1):  # between j and j+1
            if j < 0 or j + 1 > length - 1:
                continue
            rj = -1 if j == 0 else rank[seq[j]]
            rn = _BIG if j + 1 == length - 1 else rank[seq[j + 1]]
            if rj > r or r > rn:
                continue
            u = cell[seq[j]]
            v = cell[seq[j + 1]]
            for k in range(ncand[b]):
                c = cand[b, k]
                g = dist[u, c] + dist[c, v] - dist[u, v]
                if g < best:
                    best = g
                    at = j + 1
                    best_c = c
    if at < 0:
        length = _insert_cheapest(dist, cand, ncand, rank, seq, cell, length, b, n)
        for t in range(length):
            pos[seq[t]] = t
        return length
    for t in range(length, at, -1):
        seq[t] = seq[t - 1]
        pos[seq[t]] = t
    seq[at] = b
    pos[b] = at
    cell[b] = best_c
    return length + 1


@njit(cache=True)
def _insert_on_cell(dist, rank, seq, cell, length, b, n):
    """Put bay b, on the cell it has, where it costs least among the positions its rank allows."""
    r = rank[b]
    best = 1e300
    at = 1
    c = cell[b]
    for j in range(length - 1):
        rj = -1 if j == 0 else rank[seq[j]]
        rn = _BIG if j + 1 == length - 1 else rank[seq[j + 1]]
        if rj > r or r > rn:
            continue
        u = cell[seq[j]]
        v = cell[seq[j + 1]]
        g = dist[u, c] + dist[c, v] - dist[u, v]
        if g < best:
            best = g
            at = j + 1
    for t in range(length, at, -1):
        seq[t] = seq[t - 1]
    seq[at] = b
    return length + 1


@njit(cache=True)
def ils(dist, cand, ncand, rank, nb, near, seq0, iterations, seed, ruin_max, flip_radius,
        window, p_flip, p_ruin, p_global, p_seg, seg_max):
    """The best tour found from `seq0` (pack station at both ends) by `iterations` kicks:
    (seq, cell by bay, cost)."""
    np.random.seed(seed)
    n2 = seq0.shape[0]
    n = n2 - 2
    c = cand.shape[1]
    seq = seq0.copy()
    cell = np.empty(n + 1, dtype=np.int64)
    for b in range(n + 1):
        cell[b] = cand[b, 0]
    pos = np.empty(n + 1, dtype=np.int64)
    _positions(seq, pos)
    fw = np.empty(n2)
    bw = np.empty(n2)
    stack = np.empty(n + 1, dtype=np.int64)
    queued = np.zeros(n + 1, dtype=np.bool_)
    tmp = np.empty(n2, dtype=np.int64)
    changed = np.empty(n + 1, dtype=np.int64)
    back = np.zeros((n2, c), dtype=np.int64)
    _cluster_opt(dist, cand, ncand, seq, cell, n, changed, back)
    # the positions of each pick rank (fixed: ranks never decrease along the tour)
    bstart = np.empty(n + 1, dtype=np.int64)
    bend = np.empty(n + 1, dtype=np.int64)
    nblocks = 0
    for k in range(1, n + 1):
        if k == 1 or rank[seq[k]] != rank[seq[k - 1]]:
            bstart[nblocks] = k
            nblocks += 1
        bend[nblocks - 1] = k
    top = 0
    for b in range(n):
        top = _push(b, n, stack, top, queued)
    _descend(dist, cand, ncand, rank, nb, seq, pos, cell, fw, bw, n, stack, top, queued,
             tmp, changed, back, bstart, bend, nblocks)
    cost = _cost(dist, seq, cell)
    best_seq = seq.copy()
    best_cell = cell.copy()
    best = cost
    cur_seq = seq.copy()
    cur_cell = cell.copy()
    # the positions of each rank (fixed: ranks never decrease along the tour)
    multi = np.empty(n, dtype=np.int64)
    nmulti = 0
    for b in range(n):
        if ncand[b] > 1:
            multi[nmulti] = b
            nmulti += 1
    gone = np.zeros(n + 1, dtype=np.bool_)
    out = np.empty(n, dtype=np.int64)
    for _ in range(iterations):
        roll = np.random.random()
        top = 0
        if roll < p_flip and nmulti > 0:
            # row flip
            b0 = multi[np.random.randint(nmulti)]
            here = cell[b0]
            k = np.random.randint(ncand[b0] - 1)
            there = cand[b0, k] if cand[b0, k] != here else cand[b0, ncand[b0] - 1]
            radius = np.random.randint(4, 3 * flip_radius + 1)
            nout = 0
            for t in range(nmulti):
                b = multi[t]
                dh = dist[cell[b], here]
                if dh > radius:
                    continue
                best_o = -1
                best_d = 1e300
                for u in range(ncand[b]):
                    o = cand[b, u]
                    if o != cell[b] and dist[o, there] < best_d:
                        best_d = dist[o, there]
                        best_o = o
                if best_o >= 0 and best_d <= dh + 1.0 + EPS:
                    cell[b] = best_o
                    out[nout] = b
                    nout += 1
            if nout == 0:
                continue
            # nearest the other side first
            keys = np.empty(nout)
            for t in range(nout):
                keys[t] = dist[cell[out[t]], there]
            order = np.argsort(keys)
            for t in range(nout):
                gone[out[t]] = True
            length = 0
            for t in range(n2):
                if not gone[seq[t]] or seq[t] == n:
                    tmp[length] = seq[t]
                    length += 1
            for t in range(length):
                seq[t] = tmp[t]
            for t in range(nout):
                b = out[order[t]]
                gone[b] = False
                length = _insert_on_cell(dist, rank, seq, cell, length, b, n)
            _positions(seq, pos)
            for t in range(nout):
                b = out[t]
                i = pos[b]
                top = _push(b, n, stack, top, queued)
                top = _push(seq[i - 1], n, stack, top, queued)
                top = _push(seq[i + 1], n, stack, top, queued)
        elif roll < p_flip + p_ruin:
            # ruin and recreate around a random bay, within its rank
            b0 = np.random.randint(n)
            r = rank[b0]
            same = 0
            for b in range(n):
                if rank[b] == r:
                    same += 1
            if same < 4:
                continue
            hi = min(ruin_max, max(3, same // 3))
            k = np.random.randint(3, hi + 1) if hi > 3 else 3
            nout = 0
            for t in range(near.shape[1]):
                b = near[b0, t]
                if rank[b] == r:
                    out[nout] = b
                    nout += 1
                    if nout == k:
                        break
            for t in range(nout):
                gone[out[t]] = True
            length = 0
            for t in range(n2):
                if not gone[seq[t]] or seq[t] == n:
                    tmp[length] = seq[t]
                    length += 1
            for t in range(length):
                seq[t] = tmp[t]
            # random order
            for t in range(nout - 1, 0, -1):
                u = np.random.randint(t + 1)
                x = out[t]
                out[t] = out[u]
                out[u] = x
            for t in range(length):
                pos[seq[t]] = t
            for t in range(nout):
                b = out[t]
                length = _insert_near(dist, cand, ncand, rank, nb, seq, pos, gone, cell, length,
                                      b, n)
                gone[b] = False
            _positions(seq, pos)
            for t in range(nout):
                b = out[t]
                i = pos[b]
                top = _push(b, n, stack, top, queued)
                top = _push(seq[i - 1], n, stack, top, queued)
                top = _push(seq[i + 1], n, stack, top, queued)
        elif roll < p_flip + p_ruin + p_seg:
            # a segment of one rank moved (either way round) to where it costs least
            start = 1 + np.random.randint(n)
            r = rank[seq[start]]
            hi = start
            while hi < n and rank[seq[hi + 1]] == r and hi - start + 1 < seg_max:
                hi += 1
            if hi == start:
                continue
            e = start + np.random.randint(hi - start + 1)
            if e == start:
                continue
            cs = cell[seq[start]]
            ce = cell[seq[e]]
            cp = cell[seq[start - 1]]
            cn = cell[seq[e + 1]]
            _prefix(dist, seq, cell, fw, bw)
            removed = dist[cp, cs] + dist[ce, cn] - dist[cp, cn]
            inner = fw[e] - fw[start]
            inner_r = bw[e] - bw[start]
            best_g = 1e300
            best_j = -1
            best_rev = False
            for jj in range(n + 1):
                if jj >= start - 1 and jj <= e:
                    continue
                rj = -1 if jj == 0 else rank[seq[jj]]
                rn = _BIG if jj + 1 == n + 1 else rank[seq[jj + 1]]
                if rj > r or r > rn:
                    continue
                u = cell[seq[jj]]
                v = cell[seq[jj + 1]]
                g = dist[u, cs] + dist[ce, v] - dist[u, v] - removed
                if g < best_g:
                    best_g = g
                    best_j = jj
                    best_rev = False
                g = dist[u, ce] + dist[cs, v] - dist[u, v] - removed + inner_r - inner
                if g < best_g:
                    best_g = g
                    best_j = jj
                    best_rev = True
            if best_j < 0:
                continue
            ends = (seq[start - 1], seq[start], seq[e], seq[e + 1], seq[best_j], seq[best_j + 1])
            _move_segment(seq, tmp, start, e, best_j, best_rev)
            _positions(seq, pos)
            for x in ends:
                top = _push(x, n, stack, top, queued)
        else:
            # double bridge inside a window of one rank: A B C D -> A C B D
            start = 1 + np.random.randint(n)
            r = rank[seq[start]]
            lo = start
            while lo > 1 and rank[seq[lo - 1]] == r:
                lo -= 1
            hi = start
            while hi < n and rank[seq[hi + 1]] == r:
                hi += 1
            size = hi - lo + 1
            if size < 8:
                continue
            w = size if np.random.random() < p_global else min(size, window)
            a0 = lo + np.random.randint(size - w + 1)
            # three cuts a < b < c in a0+1 .. a0+w-1
            cuts = np.sort(np.random.choice(w - 1, 3, replace=False)) + a0 + 1
            a = cuts[0]
            b1 = cuts[1]
            c1 = cuts[2]
            k = 0
            for t in range(0, a):
                tmp[k] = seq[t]
                k += 1
            for t in range(b1, c1):
                tmp[k] = seq[t]
                k += 1
            for t in range(a, b1):
                tmp[k] = seq[t]
                k += 1
            for t in range(c1, n2):
                tmp[k] = seq[t]
                k += 1
            for t in range(n2):
                seq[t] = tmp[t]
            _positions(seq, pos)
            for t in (a - 1, a, b1 - 1, b1, c1 - 1, c1):
                top = _push(seq[t], n, stack, top, queued)
            flips = np.random.randint(3)
            for _f in range(flips):
                if nmulti == 0:
                    break
                b = multi[np.random.randint(nmulti)]
                u = np.random.randint(ncand[b] - 1)
                x = cand[b, u]
                cell[b] = x if x != cell[b] else cand[b, ncand[b] - 1]
                i = pos[b]
                top = _push(b, n, stack, top, queued)
                top = _push(seq[i - 1], n, stack, top, queued)
                top = _push(seq[i + 1], n, stack, top, queued)
        _descend(dist, cand, ncand, rank, nb, seq, pos, cell, fw, bw, n, stack, top, queued,
                 tmp, changed, back, bstart, bend, nblocks)
        new = _cost(dist, seq, cell)
        if new <= cost + EPS:
            cost = new
            cur_seq[:] = seq
            cur_cell[:] = cell
            if new < best - EPS:
                best = new
                best_seq[:] = seq
                best_cell[:] = cell
        else:
            seq[:] = cur_seq
            cell[:] = cur_cell
            _positions(seq, pos)
    return best_seq, best_cell, best
