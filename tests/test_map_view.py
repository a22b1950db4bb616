"""The store map fitted to a handheld or a kiosk screen."""

from __future__ import annotations

from picker_app.domain.map_view import map_window
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
