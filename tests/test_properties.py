"""Property tests: random valid layouts and orders always give valid routes; small orders give
optimal ones (against a brute force with its own BFS); bad input always gives a verdict."""

from __future__ import annotations

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from picker_app.domain.layout import BinCodeError, Layout, LayoutError, parse_layout
from picker_app.domain.routing import RoutePlanner
from tests.routecheck import bfs_from, brute_force_steps, check_route

RANKS = {"A": 1, "B": 1, "C": 2, "D": 3}


@st.composite
def layouts(draw) -> Layout:
    """A random store that obeys every rule: unreachable floor and unreachable bays are walled."""
    h = draw(st.integers(3, 9))
    w = draw(st.integers(3, 12))
    grid = [[draw(st.sampled_from(".....##AABCD")) for _ in range(w)] for _ in range(h)]
    pr, pc = draw(st.integers(0, h - 1)), draw(st.integers(0, w - 1))
    grid[pr][pc] = "@"
    rows = ["".join(row) for row in grid]
    reach = bfs_from(_walk_only(rows), (pr, pc))
    for r in range(h):
        for c in range(w):
            if grid[r][c] == "." and (r, c) not in reach:
                grid[r][c] = "#"
    for r in range(h):
        for c in range(w):
            if grid[r][c] in RANKS and not any(
                0 <= r + dr < h and 0 <= c + dc < w and grid[r + dr][c + dc] in ".@"
                for dr, dc in ((-1, 0), (1, 0), (0, -1), (0, 1))
            ):
                grid[r][c] = "#"
    letters = {ch for row in grid for ch in row if ch in RANKS}
    assume(letters)
    zones = "".join(
        f'[zones.z{letter}]\naisles = ["{letter}"]\npick_rank = {RANKS[letter]}\n'
        for letter in sorted(letters)
        if RANKS[letter] > 1
    )
    levels = draw(st.integers(1, 3))
    cell_m = draw(st.sampled_from([0.5, 1, 0.75]))
    floor = "\n".join("".join(row) for row in grid)
    text = f'id = "P"\ncell_m = {cell_m}\nlevels = {levels}\nfloor = """\n{floor}\n"""\n{zones}'
    return parse_layout(text, "random.toml")


def _walk_only(rows: list[str]) -> Layout:
    """A stand-in with just `walkable`, for the BFS that decides what to wall off."""

    class Grid:
        def walkable(self, cell):
            r, c = cell
            return 0 <= r < len(rows) and 0 <= c < len(rows[0]) and rows[r][c] in ".@"

    return Grid()  # type: ignore[return-value]


@st.composite
def layouts_and_orders(draw, max_bays: int):
    layout = draw(layouts())
    bays = draw(st.lists(st.sampled_from(layout.bays), min_size=1, max_size=max_bays, unique=True))
    bins = [f"{b.code}-{draw(st.integers(1, b.levels))}" for b in bays]
    # The same bin twice, written another way, is planned once.
    if draw(st.booleans()):
        bins.append(bins[0].lower())
    return layout, bins


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(layouts_and_orders(max_bays=4))
def test_small_orders_are_valid_and_optimal(case):
    layout, bins = case
    route = RoutePlanner(layout).plan(bins)
    check_route(layout, route, bins)
    assert route.optimal
    assert round(route.length_m / layout.cell_m) == brute_force_steps(layout, bins)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(layouts_and_orders(max_bays=30))
def test_heuristic_routes_are_valid_and_never_beat_the_optimum(case):
    layout, bins = case
    planner = RoutePlanner(layout)
    heuristic = planner.plan(bins, exact_max=0)
    check_route(layout, heuristic, bins)
    assert not heuristic.optimal
    if len({layout.bin(b).bay for b in bins}) <= 12:
        exact = planner.plan(bins)
        assert exact.optimal and exact.length_m <= heuristic.length_m


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list('#.@ABz \n"=[]x1-')), max_size=80))
def test_any_floor_text_gives_a_layout_or_one_clear_error(floor):
    try:
        parse_layout(f'id = "F"\nfloor = """\n{floor}\n"""\n', "fuzz.toml")
    except LayoutError as err:
        assert str(err).startswith("fuzz.toml: ") and "\n" not in str(err)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_any_file_text_gives_a_layout_or_one_clear_error(text):
    try:
        parse_layout(text, "fuzz.toml")
    except LayoutError as err:
        assert str(err).startswith("fuzz.toml: ") and "\n" not in str(err)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=12))
def test_any_bin_code_gives_a_bin_or_one_clear_error(code):
    layout = parse_layout('id = "B"\nfloor = """\n#####\n#A@B#\n#####\n"""', "b.toml")
    try:
        found = layout.bin(code)
    except BinCodeError as err:
        assert "\n" not in str(err)
    else:
        assert found.code in {f"{bay}01-{level}" for bay in "AB" for level in range(1, 5)}
