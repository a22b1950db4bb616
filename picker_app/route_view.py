"""A route drawn for a person: the stop list and the floor plan with the walk on it (plain text)."""

from __future__ import annotations

from picker_app.domain.layout import Layout
from picker_app.domain.routing import Route
from picker_app.domain.words import count

WALK_SPEED_M_S = 1.2
_STOP_MARKS = "123456789abcdefghijklmnopqrstuvwxyz"


def _duration(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes} min {secs:02d} s" if minutes else f"{secs} s"


def render_route(layout: Layout, route: Route) -> str:
    """The route as text: a heading, the numbered stops, and the floor plan with the route."""
    cells = {s.cell for s in route.stops}
    lines = [
        f"Route on {layout.id}{f' ({layout.name})' if layout.name else ''}: "
        f"{count(len(route.stops), 'bin')} at {count(len(cells), 'stop')}, "
        f"{route.length_m:g} m walk "
        f"(about {_duration(route.length_m / WALK_SPEED_M_S)} at {WALK_SPEED_M_S} m/s)",
        ("Proven shortest route" if route.optimal else "Near-optimal route (batch)")
        + (f", congestion cost {route.cost:g}" if route.cost is not None else "")
        + f"; planned in {route.solve_ms:g} ms",
        "",
        "  #  bin       stand at    zone",
    ]
    bays = {b.code: b for b in layout.bays}
    mark_of: dict[tuple[int, int], str] = {}
    stop_no = 0
    last_cell = None
    for stop in route.stops:
        if stop.cell != last_cell:
            stop_no += 1
            last_cell = stop.cell
        mark = _STOP_MARKS[stop_no - 1] if stop_no <= len(_STOP_MARKS) else "+"
        mark_of.setdefault(stop.cell, mark)
        bay = bays[stop.bin.split("-")[0]]
        place = f"[{stop.cell[0]}, {stop.cell[1]}]"
        lines.append(f"  {mark:>2} {stop.bin:<9} {place:<11} {bay.zone}")
    lines.append("")
    grid = [list(row) for row in layout.rows]
    for r, c in route.path:
        if grid[r][c] == ".":
            grid[r][c] = "*"
    for (r, c), mark in mark_of.items():
        if grid[r][c] != "@":
            grid[r][c] = mark
    lines.extend("".join(row).rstrip() for row in grid)
    lines.append("")
    lines.append("@ pack station (start and end)   * route   1-9 a-z stops in order   # wall")
    return "\n".join(lines)
