"""The exact route beyond the dense table (issue 12, item 3): the bounded search finds the same
optimum as plain Held-Karp, its proofs are never beaten by the local search, and a search that
runs out of budget never claims to be optimal."""

from __future__ import annotations

import random
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from picker_app.domain import route_bounds, route_exact
from picker_app.domain.layout import Layout, parse_layout
from picker_app.domain.route_exact import solve_bounded, solve_dense, solve_exact
from picker_app.domain.routing import RoutePlanner, make_problem, solve_heuristic
from tests.conftest import LAYOUTS
from tests.routecheck import check_route

SHIPPED = ("demo-store", "irregular-store", "kiosk-store")
_LOADED: dict[str, Layout] = {}


def shipped(name: str) -> Layout:
    if name not in _LOADED:
        path = LAYOUTS / f"{name}.toml"
        _LOADED[name] = parse_layout(path.read_text(), str(path))
    return _LOADED[name]


def pick_bays(layout: Layout, n: int, rng: random.Random, ranked: bool) -> list:
    """n distinct bays; with `ranked`, half of them (when there are enough) of pick rank > 1, so
    that orders have several ranks of real size."""
    bays = list(layout.bays)
    if not ranked:
        return rng.sample(bays, n)
    later = [b for b in bays if b.pick_rank > 1]
    k = min(len(later), n // 2)
    chosen = rng.sample(later, k)
    rest = [b for b in bays if b not in chosen]
    return chosen + rng.sample(rest, n - k)


def codes(layout: Layout, bays: list, rng: random.Random) -> list[str]:
    return [f"{b.code}-{rng.randint(1, b.levels)}" for b in bays]


def assert_valid_visit(problem, order: list[int], cells: list[int], cost: float) -> None:
    """Every bay once, pick ranks in order, each at one of its cells, and the cost adds up."""
    assert sorted(order) == list(range(len(problem.bays)))
    ranks = [problem.bays[b].pick_rank for b in order]
    assert ranks == sorted(ranks)
    for b, cell in zip(order, cells, strict=True):
        assert cell in problem.cand_lists[b]
    assert problem.tour_cost(order, cells) == pytest.approx(cost, abs=1e-9)


# --- the same optimum as Held-Karp ----------------------------------------------------------------


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=st.sampled_from(SHIPPED),
    n=st.integers(1, 13),
    ranked=st.booleans(),
    congestion=st.sampled_from([None, 0.0, 3.0]),
    ascent=st.sampled_from([0, route_bounds.ASCENT_ROUNDS]),
    seed=st.integers(0, 10**6),
)
def test_bounded_search_finds_held_karps_optimum(name, n, ranked, congestion, ascent, seed):
    # Without the ascent (weak bounds) the search, not the root bound, has to do the proving.
    layout = shipped(name)
    rng = random.Random(seed)
    heat = {b.code: rng.uniform(0, 100) for b in rng.sample(list(layout.bays), 40)}
    planner = RoutePlanner(layout, heat=heat, congestion=congestion)
    problem = make_problem(planner.table, pick_bays(layout, n, rng, ranked))
    _, _, want = solve_dense(problem)
    with mock.patch.object(route_bounds, "ASCENT_ROUNDS", ascent):
        for known in (None, solve_heuristic(problem, seed, iterations=0)):
            found = solve_bounded(problem, known)
            assert found is not None
            order, cells, cost = found
            assert cost == pytest.approx(want, rel=1e-9, abs=1e-9)
            assert_valid_visit(problem, order, cells, cost)


def test_bounded_search_on_bays_that_share_an_access_cell():
    # A01/B01 and A02/B02 face each other across one aisle: picked from the same cell.
    floor = "#######\n#@....#\n#.AAA.#\n#.....#\n#.BBB.#\n#.....#\n#######"
    layout = parse_layout(f'id = "T"\nfloor = """\n{floor}\n"""', "t.toml")
    problem = make_problem(RoutePlanner(layout).table, list(layout.bays))
    found = solve_bounded(problem)
    assert found is not None and found[2] == solve_dense(problem)[2]
    assert_valid_visit(problem, *found)


# --- proofs beyond 15 bays ------------------------------------------------------------------------


@pytest.mark.parametrize("name", SHIPPED)
@pytest.mark.parametrize("n", [16, 18, 20])
def test_a_proven_route_is_never_longer_than_the_local_search(name, n):
    layout = shipped(name)
    planner = RoutePlanner(layout)
    for seed in range(3):
        rng = random.Random(f"{name}:{n}:{seed}")
        bins = codes(layout, pick_bays(layout, n, rng, ranked=seed == 2), rng)
        heuristic = planner.plan(bins, exact_max=0)
        assert not heuristic.optimal
        proven = planner.plan(bins, exact_budget=None)  # no budget: always a proof
        for route in (proven, planner.plan(bins)):
            check_route(layout, route, bins)
            if route.optimal:
                assert route.length_m <= heuristic.length_m
                assert route.length_m == proven.length_m
        assert proven.optimal
        problem = make_problem(planner.table, [layout.bin(b).bay for b in bins])
        found = solve_exact(problem)
        assert found is not None
        assert_valid_visit(problem, *found)
        assert found[2] == pytest.approx(proven.length_m / layout.cell_m)
        if n == 16 and seed == 0:  # the dense table is still affordable here
            assert found[2] == solve_dense(problem)[2]


@pytest.mark.parametrize("n", [13, 15, 16])
def test_up_to_fifteen_bays_a_search_out_of_budget_is_finished(monkeypatch, n):
    layout = shipped("demo-store")
    one_rank = [b for b in layout.bays if b.pick_rank == 1]  # no rank splits the dense table
    problem = make_problem(RoutePlanner(layout).table, random.Random(n).sample(one_rank, n))
    monkeypatch.setattr(route_exact, "solve_bounded", lambda *args: None)
    found = solve_exact(problem, budget=0)
    if n <= route_exact.ALWAYS_EXACT_BAYS:
        assert found is not None and found[2] == solve_dense(problem)[2]
    else:
        assert found is None


# --- out of budget: never optimal -----------------------------------------------------------------


@pytest.mark.parametrize("name", SHIPPED)
def test_a_search_out_of_budget_is_not_optimal(name, monkeypatch):
    # Without the penalties' ascent the root bound is too weak to prove any tour on its own, so
    # every proof needs a search, and a budget of one expansion runs out.
    monkeypatch.setattr(route_bounds, "ASCENT_ROUNDS", 0)
    layout = shipped(name)
    planner = RoutePlanner(layout)
    rng = random.Random(name)
    one_rank = [b for b in layout.bays if b.pick_rank == 1]  # too big for the dense table
    bins = codes(layout, rng.sample(one_rank, 20), rng)
    problem = make_problem(planner.table, [layout.bin(b).bay for b in bins])
    quick = solve_heuristic(problem, 0, iterations=0)
    assert solve_bounded(problem, quick, budget=1) is None
    assert solve_exact(problem, lambda: quick, budget=1) is None
    route = planner.plan(bins, exact_budget=1)
    check_route(layout, route, bins)
    assert not route.optimal
    assert route.path == planner.plan(bins, exact_max=0).path  # the local search's route
    assert planner.plan(bins, exact_budget=None).optimal


def test_a_known_tour_the_bound_already_proves_is_returned_as_it_is():
    # Five bays along one wall: with its penalties the root bound reaches the walk there and back,
    # so no search (and no budget) is needed.
    floor = "#########\n#@......#\n#.AAAAA.#\n#########"
    layout = parse_layout(f'id = "T"\nfloor = """\n{floor}\n"""', "t.toml")
    problem = make_problem(RoutePlanner(layout).table, list(layout.bays))
    order, cells, cost = solve_dense(problem)
    known = (order, cells, cost)
    assert solve_bounded(problem, known, budget=0) is known
