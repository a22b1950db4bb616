"""The route planner: exact for orders, near-optimal for batches, ranks, sides, congestion."""

from __future__ import annotations

import random
from itertools import permutations

import pytest

from picker_app.domain.distances import distance_table
from picker_app.domain.heat import cell_heat
from picker_app.domain.layout import parse_layout
from picker_app.domain.routing import (
    EXACT_MAX_BAYS,
    EmptyOrderError,
    RoutePlanner,
    listed_order_nearest_side,
    make_problem,
    solve_exact,
    solve_heuristic,
    sshape_order,
)
from tests.routecheck import bfs_from, brute_force_steps, check_route


def random_bins(layout, n, seed, rank=None):
    rng = random.Random(seed)
    bays = [b for b in layout.bays if rank is None or b.pick_rank == rank]
    return [f"{b.code}-{rng.randint(1, b.levels)}" for b in rng.sample(bays, n)]


def test_spec_example_route(example):
    route = RoutePlanner(example).plan(["A01-2", "C03-1"])
    assert route.length_m == 7.0 and route.optimal
    assert [(s.bin, s.cell) for s in route.stops] == [("A01-2", (2, 2)), ("C03-1", (4, 5))]
    check_route(example, route, ["A01-2", "C03-1"])
    # Ties between equally short walks go up, right, down, left: the spec's own example path.
    assert [list(c) for c in route.path] == [
        [1, 1], [1, 2], [2, 2], [3, 2], [4, 2], [4, 3], [4, 4], [4, 5],
        [4, 4], [4, 3], [4, 2], [3, 2], [2, 2], [1, 2], [1, 1],
    ]  # fmt: skip


def test_json_shape_follows_the_spec(example):
    data = RoutePlanner(example).plan(["a1-2", "C03-1"]).to_json()
    assert list(data) == ["layout", "length_m", "solve_ms", "optimal", "stops", "path"]
    assert data["layout"] == "DEMO-01"
    assert data["stops"][0] == {"bin": "A01-2", "cell": [2, 2]}
    assert data["path"][0] == [1, 1] == data["path"][-1]


def test_a_bin_named_twice_is_planned_once(example):
    route = RoutePlanner(example).plan(["A01-2", "a1-2", "A001-02", "C03-1"])
    assert [s.bin for s in route.stops] == ["A01-2", "C03-1"]
    assert route.length_m == 7.0


def test_bins_of_one_bay_share_a_stop(example):
    route = RoutePlanner(example).plan(["C03-4", "C03-1", "C03-2"])
    assert [s.bin for s in route.stops] == ["C03-1", "C03-2", "C03-4"]
    assert len({s.cell for s in route.stops}) == 1


def test_empty_order_is_a_user_error(example):
    with pytest.raises(EmptyOrderError, match="empty order"):
        RoutePlanner(example).plan([])


def test_frozen_is_picked_last_even_when_it_is_on_the_way(example):
    bins = ["F01-1", "B05-1", "A01-1"]
    route = RoutePlanner(example).plan(bins)
    assert route.stops[-1].bin == "F01-1"
    check_route(example, route, bins)
    assert route.length_m * 2 == brute_force_steps(example, bins)


def test_order_picked_from_the_pack_station_is_a_one_cell_path():
    layout = parse_layout('id = "T"\nfloor = """\n#####\n#A@B#\n#####\n"""', "t.toml")
    route = RoutePlanner(layout).plan(["A01-1", "B01-2"])
    assert route.path == ((1, 2),) and route.length_m == 0.0 and route.optimal
    assert all(s.cell == (1, 2) for s in route.stops)


def test_the_better_side_of_a_two_sided_bay_is_chosen():
    # B01 can be picked from above (row 1, next to @) or below (row 3, far round).
    floor = "#######\n#@....#\n#.BBB.#\n#.....#\n#######"
    layout = parse_layout(f'id = "T"\nfloor = """\n{floor}\n"""', "t.toml")
    route = RoutePlanner(layout).plan(["B01-1"])
    assert route.stops[0].cell == (1, 2) and route.length_m == 1.0
    # B02 from above is 2 steps, from below 4 (round the end): above wins.
    assert RoutePlanner(layout).plan(["B02-1"]).stops[0].cell == (1, 3)


@pytest.mark.parametrize("seed", range(6))
def test_small_orders_are_optimal_against_brute_force(demo, seed):
    bins = random_bins(demo, 5, seed)
    route = RoutePlanner(demo).plan(bins)
    check_route(demo, route, bins)
    assert route.optimal
    assert round(route.length_m / demo.cell_m) == brute_force_steps(demo, bins)


@pytest.mark.parametrize("seed", range(4))
def test_exact_up_to_fifteen_bays(demo, seed):
    bins = random_bins(demo, 15, seed)
    route = RoutePlanner(demo).plan(bins)
    check_route(demo, route, bins)
    assert route.optimal
    heuristic = RoutePlanner(demo).plan(bins, exact_max=0)
    assert not heuristic.optimal
    assert heuristic.length_m >= route.length_m


@pytest.mark.parametrize("layout_name", ["demo-store", "irregular-store", "kiosk-store"])
@pytest.mark.parametrize("size", [16, 40, 100])
def test_batches_are_valid_and_never_worse_than_s_shape(layout_name, size):
    """Batches: a valid route, never worse than S-shape or the listed order; claimed optimal
    only within the exact range (16 bays is in it since issue 12: proven by the bounded
    search, and then never worse than either policy all the more)."""
    from tests.conftest import LAYOUTS

    path = LAYOUTS / f"{layout_name}.toml"
    layout = parse_layout(path.read_text(), str(path))
    bins = random_bins(layout, size, seed=size)
    planner = RoutePlanner(layout)
    route = planner.plan(bins)
    check_route(layout, route, bins)
    if size > EXACT_MAX_BAYS:
        assert not route.optimal
    problem = make_problem(planner.table, [layout.bin(b).bay for b in bins])
    _, sshape_steps = problem.best_cells(sshape_order(problem))
    listed, cells = listed_order_nearest_side(problem, [layout.bin(b).bay for b in bins])
    assert route.length_m <= sshape_steps * layout.cell_m
    assert route.length_m <= problem.tour_cost(listed, cells) * layout.cell_m


def test_heuristic_finds_the_optimum_on_small_orders(demo):
    planner = RoutePlanner(demo)
    gaps = []
    for seed in range(10):
        bays = [demo.bin(b).bay for b in random_bins(demo, 10, seed)]
        problem = make_problem(planner.table, bays)
        _, _, best = solve_exact(problem)
        _, _, found = solve_heuristic(problem, seed)
        assert found >= best
        gaps.append(found / best - 1)
    assert sum(gaps) / len(gaps) < 0.01


def test_planning_is_deterministic(demo):
    bins = random_bins(demo, 60, seed=3)
    one = RoutePlanner(demo).plan(bins)
    two = RoutePlanner(demo).plan(list(reversed(bins)))
    assert one.path == two.path and one.stops == two.stops


def test_distance_table_is_cached_by_content_hash(example):
    again = parse_layout("# same store\n" + open_example_text(), "other.toml")
    assert distance_table(example) is distance_table(again)


def open_example_text():
    from tests.conftest import EXAMPLE

    return EXAMPLE


def test_distances_are_walking_distances_not_manhattan(demo):
    table = distance_table(demo)
    truth = bfs_from(demo, demo.pack)
    for cell in table.stations[:50]:
        assert table.matrix[0, table.station_of[cell]] == truth[cell]


# --- congestion --------------------------------------------------------------------------------

CONGESTION_FLOOR = """
#########
#@......#
#.AAAAA.#
#.......#
#.BBBBB.#
#.......#
#########
"""


def congestion_layout():
    return parse_layout(f'id = "C"\nfloor = """{CONGESTION_FLOOR}"""', "c.toml")


def test_heat_is_normalised_per_cell():
    layout = congestion_layout()
    heat = cell_heat(layout, {"A01": 10.0, "B01": 30.0})
    index = {cell: i for i, cell in enumerate(layout.walkable_cells)}
    assert heat[index[(1, 2)]] == pytest.approx(0.25)  # above A01
    assert heat[index[(3, 2)]] == pytest.approx(1.0)  # below A01 and above B01
    assert heat[index[(5, 2)]] == pytest.approx(0.75)  # below B01
    assert heat[index[(1, 4)]] == 0.0


def test_congestion_detours_around_a_busy_aisle():
    layout = congestion_layout()
    bins = ["B05-1"]
    plain = RoutePlanner(layout).plan(bins)
    assert plain.cost is None and plain.stops[0].cell == (3, 6) and plain.length_m == 7.0
    # Aisle A is busy: rows 1 and 3 (either side of it) are hot, row 5 is quiet.
    busy = {f"A{n:02d}": 100.0 for n in range(1, 6)}
    calm = RoutePlanner(layout, heat=busy, congestion=0.0).plan(bins)
    assert calm.path == plain.path and calm.cost == calm.length_m
    detour = RoutePlanner(layout, heat=busy, congestion=5.0).plan(bins)
    check_route(layout, detour, bins)
    assert detour.optimal and detour.stops[0].cell == (5, 6)
    assert not [cell for cell in detour.path if cell[0] == 3 and cell[1] >= 2]
    assert detour.length_m == 9.0
    # 18 steps; two enter a hot cell ([2, 1], the end of A01, going and coming back).
    assert detour.cost == pytest.approx(0.5 * (18 + 5 * 2))


def test_congestion_cost_is_exact_against_every_order():
    layout = congestion_layout()
    heat = {"A03": 50.0, "B02": 20.0, "A05": 80.0}
    planner = RoutePlanner(layout, heat=heat, congestion=3.0)
    bins = ["A02-1", "B04-2", "A04-1", "B01-1"]
    route = planner.plan(bins)
    check_route(layout, route, bins)
    # Any other pick order (each with its best sides) costs at least as much.
    problem = make_problem(planner.table, [layout.bin(b).bay for b in bins])
    best = min(problem.best_cells(list(p))[1] for p in permutations(range(len(problem.bays))))
    assert route.cost == pytest.approx(best, abs=1e-6)
    assert route.cost == pytest.approx(planner.table.cost_of(route.path))


def test_negative_congestion_is_refused(example):
    from picker_app.errors import UserError

    with pytest.raises(UserError, match=">= 0"):
        RoutePlanner(example, heat={}, congestion=-1)
