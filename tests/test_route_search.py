"""The batch route search (route_search) on a store with two-sided bays (open rows, a pillar, a
chilled zone picked last) and on the demo store: valid tours (every bay once, ranks in order,
each cell one of its bay's), never better than the exact optimum, never worse than the
nearest-neighbour or S-shape order with the best cells (issue 12's property tests)."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from picker_app.domain.layout import Layout, parse_layout
from picker_app.domain.route_exact import solve_exact
from picker_app.domain.route_problem import Problem, make_problem
from picker_app.domain.route_search import solve_heuristic
from picker_app.domain.route_tours import nearest_neighbour_order, sshape_order
from picker_app.domain.routing import RoutePlanner

# Open rows (one row of shelves between two walking aisles: every bay can be picked from either
# side, the end bays from the cross aisle too), in two blocks cut by a cross aisle, with a
# chilled zone picked last and a pillar in an aisle.
TWO_SIDED = '''id = "TWO-SIDED"
cell_m = 0.5
levels = 2

floor = """
####################
#@.................#
#..A.B.C.D.E.F.G.H.#
#..A.B.C.D.E.F.G.H.#
#..A.B.C.D.E.F.G.H.#
#..A.B.C.D#E.F.G.H.#
#..A.B.C.D.E.F.G.H.#
#..................#
#..J.K.L.M.N.P.Q.R.#
#..J.K.L.M.N.P.Q.R.#
#..J.K.L.M.N.P.Q.R.#
#..J.K.L.M.N.P.Q.R.#
#..................#
####################
"""

[zones.chilled]
aisles = ["H", "R"]
pick_rank = 2
'''

_LAYOUT = parse_layout(TWO_SIDED, "two-sided.toml")
_PLANNER = RoutePlanner(_LAYOUT)


def _problem(layout: Layout, planner: RoutePlanner, size: int, seed: int) -> Problem:
    bays = random.Random(seed).sample(list(layout.bays), size)
    return make_problem(planner.table, bays)


def _assert_valid(problem: Problem, result: tuple[list[int], list[int], float]) -> None:
    order, cells, cost = result
    assert sorted(order) == list(range(len(problem.bays))), "every bay exactly once"
    ranks = [problem.bays[b].pick_rank for b in order]
    assert ranks == sorted(ranks), "pick ranks in order"
    assert len(cells) == len(order)
    for b, cell in zip(order, cells, strict=True):
        assert cell in problem.cand_lists[b], "each stop on one of its bay's access cells"
    assert cost == problem.tour_cost(order, cells)


def test_the_layout_has_two_sided_bays():
    sides = [len(bay.access) for bay in _LAYOUT.bays]
    assert sum(n >= 2 for n in sides) >= 0.9 * len(sides) and max(sides) == 3
    assert {bay.pick_rank for bay in _LAYOUT.bays} == {1, 2}


@settings(max_examples=40, deadline=None)
@given(size=st.integers(1, 12), seed=st.integers(0, 10_000))
def test_small_orders_are_valid_and_never_beat_the_optimum(size, seed):
    problem = _problem(_LAYOUT, _PLANNER, size, seed)
    result = solve_heuristic(problem, seed)
    _assert_valid(problem, result)
    assert result[2] >= solve_exact(problem)[2]


def test_tiny_orders_mostly_find_the_optimum():
    # The search alone (without the exact solver in front of it, as RoutePlanner has it) on
    # orders of 4-11 bays: never below the optimum, and equal to it on nine in ten.
    equal = 0
    cases = 40
    for seed in range(cases):
        problem = _problem(_LAYOUT, _PLANNER, 4 + seed % 8, seed)
        found = solve_heuristic(problem, seed)[2]
        best = solve_exact(problem)[2]
        assert found >= best
        equal += found == best
    assert equal >= 0.9 * cases


@settings(max_examples=10, deadline=None)
@given(size=st.integers(16, 70), seed=st.integers(0, 10_000))
def test_batches_are_valid_and_beat_the_simple_tours(size, seed):
    problem = _problem(_LAYOUT, _PLANNER, size, seed)
    result = solve_heuristic(problem, seed)
    _assert_valid(problem, result)
    for start in (nearest_neighbour_order(problem), sshape_order(problem)):
        assert result[2] <= problem.best_cells(start)[1]


@settings(max_examples=10, deadline=None)
@given(size=st.integers(16, 80), seed=st.integers(0, 10_000))
def test_never_worse_than_s_shape_on_parallel_aisles(demo, size, seed):
    planner = RoutePlanner(demo)
    problem = _problem(demo, planner, size, seed)
    result = solve_heuristic(problem, seed)
    _assert_valid(problem, result)
    assert result[2] <= problem.best_cells(sshape_order(problem))[1]


def test_congestion_costs_keep_the_tour_valid():
    heat = {bay.code: float(i % 7) for i, bay in enumerate(_LAYOUT.bays)}
    planner = RoutePlanner(_LAYOUT, heat=heat, congestion=2.0)
    for seed in range(3):
        problem = _problem(_LAYOUT, planner, 30, seed)
        result = solve_heuristic(problem, seed)
        _assert_valid(problem, result)
        assert result[2] <= problem.best_cells(sshape_order(problem))[1] + 1e-9


def test_the_search_is_deterministic_for_a_seed():
    problem = _problem(_LAYOUT, _PLANNER, 50, 7)
    assert solve_heuristic(problem, 3) == solve_heuristic(problem, 3)


def test_a_planned_batch_on_two_sided_bays_checks_out():
    from tests.routecheck import check_route

    rng = random.Random(11)
    bins = [f"{bay.code}-{rng.randint(1, bay.levels)}" for bay in rng.sample(_LAYOUT.bays, 40)]
    route = _PLANNER.plan(bins)
    check_route(_LAYOUT, route, bins)
    assert not route.optimal
