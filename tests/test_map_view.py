"""The store map fitted to a handheld or a kiosk screen."""

from __future__ import annotations

import pytest

from picker_app.domain.map_view import map_view, map_window
from picker_app.domain.routing import RoutePlanner


def test_small_store_fits_whole_with_marks(example):
    route = RoutePlanner(example).plan(["A01-2", "C03-1"])
    lines = map_window(
        example, route.path, route.stops[0].cell, [route.stops[1].cell], example.pack, 40, 20
    )
    assert len(lines) == 20 and all(len(line) == 40 for line in lines)
    assert lines[1].startswith("#P*") and lines[2][2] == "!" and lines[4][5] == "o"
    assert lines[8].strip() == ""  # below the floor: blank


def test_demo_store_on_a_handheld_keeps_the_next_stop_in_view(demo):
    planner = RoutePlanner(demo)
    far = ["S30-1", "J02-1"]  # the back wall, then the far corner
    route = planner.plan(far)
    for w, h in ((40, 20), (100, 30)):
        lines = map_window(demo, route.path, route.stops[0].cell, [], demo.pack, w, h)
        text = "\n".join(lines)
        assert len(lines) == h and all(len(line) == w for line in lines)
        assert "!" in text, f"next stop out of view at {w}x{h}"
    # Close together, both the picker and the next stop show.
    near = planner.plan(["T06-1"])
    lines = map_window(demo, near.path, near.stops[0].cell, [], demo.pack, 40, 20)
    assert "P" in "".join(lines) and "!" in "".join(lines)


@pytest.mark.parametrize("size", [(38, 7), (38, 5), (38, 3), (20, 7), (63, 12)])
@pytest.mark.parametrize("bins", [["S30-1"], ["J02-1"], ["A19-4"], ["R10-3"], ["T03-3"]])
def test_a_small_map_keeps_the_picker_and_the_walk_to_the_next_stop_in_view(demo, size, bins):
    """The handheld's 7-row map: however far the next stop, `P` and the walk reaching `!` show
    (the floor is folded where it repeats itself, never the picker's or the stop's row)."""
    width, height = size
    route = RoutePlanner(demo).plan(bins)
    target = route.stops[0].cell
    walk = RoutePlanner(demo).table.path(demo.pack, target)
    view = map_view(demo, walk, target, [], demo.pack, width, height)
    assert len(view.lines) == height and all(len(line) == width for line in view.lines)
    assert map_window(demo, walk, target, [], demo.pack, width, height) == view.lines

    def shown(cell):
        r, c = cell
        if r not in view.rows or c not in view.cols:
            return None
        return view.lines[view.rows.index(r)][view.cols.index(c)]

    assert shown(demo.pack) == "P", "the picker is out of view"
    assert shown(target) == "!", "the next stop is out of view"
    if len(walk) > 2:
        assert shown(walk[-2]) == "*", "the walk does not reach the next stop"
    assert view.rows == sorted(view.rows) and view.cols == sorted(view.cols)


def test_the_map_is_not_folded_when_the_floor_fits(example):
    route = RoutePlanner(example).plan(["A01-2"])
    view = map_view(example, route.path, route.stops[0].cell, [], example.pack, 40, 20)
    assert view.rows == list(range(example.height))
    assert view.cols == list(range(example.width))
