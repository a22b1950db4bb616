"""The compiled batch search (domain/route_kernel.py) on random instances it was not tuned on:
asymmetric walking costs (as congestion makes them), bays with one to three cells, one to three
pick ranks. Every move's gain is what applying it changes the tour by; the cross-rank reversal's
too; and the whole search returns a valid tour costing what it says."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from picker_app.domain import route_kernel as k


def instance(seed: int, n: int, ranks: int):
    """A random problem in the kernel's arrays, and a random valid tour of it."""
    rng = np.random.default_rng(seed)
    m = 3 * n + 1  # cells; the pack station is cell 0
    points = rng.integers(0, 40, size=(m, 2))
    dist = np.abs(points[:, None, :] - points[None, :, :]).sum(axis=2).astype(np.float64)
    dist += rng.integers(0, 4, size=(m, m))  # asymmetric, like a step onto a busy cell
    np.fill_diagonal(dist, 0.0)
    width = 3
    cand = np.zeros((n + 1, width), dtype=np.int64)
    ncand = np.ones(n + 1, dtype=np.int64)
    for b in range(n):
        count = int(rng.integers(1, width + 1))
        cells = rng.choice(np.arange(1, m), size=count, replace=False)
        cand[b] = [*cells, *[cells[0]] * (width - count)]
        ncand[b] = count
    rank = np.array([*np.sort(rng.integers(0, ranks, size=n)), 0], dtype=np.int64)
    near = np.argsort(rng.random((n, n)), axis=1).astype(np.int64)
    nb = np.array([[x for x in near[b] if x != b][: min(6, n - 1)] for b in range(n)],
                  dtype=np.int64).reshape(n, min(6, n - 1))  # fmt: skip
    order = []
    for r in range(ranks):
        part = [b for b in range(n) if rank[b] == r]
        rng.shuffle(part)
        order += part
    seq = np.array([n, *order, n], dtype=np.int64)
    cell = np.array([cand[b, int(rng.integers(0, ncand[b]))] for b in range(n + 1)],
                    dtype=np.int64)  # fmt: skip
    return dist, cand, ncand, rank, nb, near, seq, cell


def blocks(rank, seq, n):
    bstart = np.empty(n + 1, dtype=np.int64)
    bend = np.empty(n + 1, dtype=np.int64)
    count = 0
    for p in range(1, n + 1):
        if p == 1 or rank[seq[p]] != rank[seq[p - 1]]:
            bstart[count] = p
            count += 1
        bend[count - 1] = p
    return bstart, bend, count


def assert_valid(seq, cell, cand, ncand, rank, n):
    assert seq[0] == seq[-1] == n
    assert sorted(seq[1:-1].tolist()) == list(range(n))
    ranks = [rank[b] for b in seq[1:-1]]
    assert ranks == sorted(ranks)
    for b in range(n):
        assert cell[b] in cand[b, : ncand[b]]


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(3, 40), ranks=st.integers(1, 3))
def test_every_move_gains_what_applying_it_changes(seed, n, ranks):
    dist, cand, ncand, rank, nb, _, seq, cell = instance(seed, n, ranks)
    pos = np.empty(n + 1, dtype=np.int64)
    k._positions(seq, pos)
    fw, bw = np.empty(n + 2), np.empty(n + 2)
    stack = np.empty(n + 1, dtype=np.int64)
    queued = np.zeros(n + 1, dtype=np.bool_)
    tmp = np.empty(n + 2, dtype=np.int64)
    for b in list(range(n)) * 3:
        k._prefix(dist, seq, cell, fw, bw)
        before = k._cost(dist, seq, cell)
        gain, kind, m1, m2, m3, m4 = k._best_move(
            b, dist, cand, ncand, rank, nb, seq, pos, cell, fw, bw, n
        )
        if kind == 0:
            assert gain >= -1e-9  # (no move: the threshold a move must beat)
            continue
        assert gain < 0
        k._apply_move(b, kind, m1, m2, m3, m4, seq, pos, cell, tmp, n, stack, 0, queued)
        queued[:] = False
        assert abs(k._cost(dist, seq, cell) - (before + gain)) < 1e-6
        assert_valid(seq, cell, cand, ncand, rank, n)
        assert all(pos[seq[p]] == p for p in range(n + 1))


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(4, 40), ranks=st.integers(2, 3))
def test_the_cross_rank_reversal_gains_what_it_changes_and_keeps_the_ranks(seed, n, ranks):
    dist, cand, ncand, rank, _, _, seq, cell = instance(seed, n, ranks)
    bstart, bend, count = blocks(rank, seq, n)
    if count < 2:
        return
    pos = np.empty(n + 1, dtype=np.int64)
    k._positions(seq, pos)
    fw, bw = np.empty(n + 2), np.empty(n + 2)
    k._prefix(dist, seq, cell, fw, bw)
    before = k._cost(dist, seq, cell)
    gain, a, b = k._cross_rank(dist, seq, cell, fw, bw, bstart, bend, count)
    if a < 0:
        return
    queued = np.zeros(n + 1, dtype=np.bool_)
    k._apply_cross(a, b, seq, pos, bstart, bend, count, n, np.empty(n + 1, np.int64), 0, queued)
    assert abs(k._cost(dist, seq, cell) - (before + gain)) < 1e-6
    assert_valid(seq, cell, cand, ncand, rank, n)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(1, 60), ranks=st.integers(1, 3))
def test_the_search_returns_a_valid_tour_costing_what_it_says(seed, n, ranks):
    dist, cand, ncand, rank, nb, near, seq, _ = instance(seed, n, ranks)
    start = seq.copy()
    best_seq, best_cell, cost = k.ils(dist, cand, ncand, rank, nb, near, seq, 5 * n, seed,
                                      20, 12, 60, 0.2, 0.5, 0.5, 0.15, 1 << 30)  # fmt: skip
    assert_valid(best_seq, best_cell, cand, ncand, rank, n)
    assert abs(k._cost(dist, best_seq, best_cell) - cost) < 1e-6
    assert (seq == start).all()  # the start is not changed in place
    again = k.ils(dist, cand, ncand, rank, nb, near, seq, 5 * n, seed, 20, 12, 60, 0.2, 0.5,
                  0.5, 0.15, 1 << 30)  # fmt: skip
    assert (again[0] == best_seq).all() and again[2] == cost  # the same seed, the same tour


LOAD_ONCE = """
import json, sys
from picker_app.cli.common import DEMO_LAYOUT, load_layout
from picker_app.domain import routing
layout = load_layout(DEMO_LAYOUT)
planner = routing.RoutePlanner(layout)
planner.plan(["A07-2", "B03-1", "C05-3"])  # a small order: the exact search alone
small_loaded = "numba" in sys.modules
loads = []
real = routing.load_search
routing.load_search = lambda small: loads.append(real(small)) or loads[-1]
bays = [b for b in layout.bays if b.pick_rank == 1][:40]
first = planner.plan([f"{b.code}-1" for b in bays])
second = planner.plan([f"{b.code}-1" for b in bays[1:]])
print(json.dumps([small_loaded, loads, first.solve_ms, second.solve_ms]))
"""


def test_a_route_times_its_search_not_loading_the_kernel():
    """In a fresh process (as `picker-app route` runs), a small order never loads the kernel;
    the first order that needs the search loads it once, outside its `solve_ms` (a one-off of
    the process, like the distance table); the next loads nothing."""
    import json
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", LOAD_ONCE], capture_output=True, text=True,
                         check=True, timeout=300).stdout  # fmt: skip
    small_loaded, loads, first_ms, second_ms = json.loads(out)
    assert small_loaded is False
    assert len(loads) == 2 and loads[0] > 0 and loads[1] == 0
    assert first_ms > 0 and second_ms > 0
