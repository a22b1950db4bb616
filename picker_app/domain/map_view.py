"""The store map for a screen of any size: the walk ahead, the picker and the next stop.

Plain text, no UI: the route screen shows these lines as they are. When the floor is larger than
the space, the window follows the picker and the next stop (the next stop is always in view).
"""

from __future__ import annotations

from collections.abc import Sequence

from picker_app.domain.layout import Cell, Layout

PATH, LATER, NEXT, PICKER = "*", "o", "!", "P"


def map_window(
    layout: Layout,
    path_ahead: Sequence[Cell],
    next_stop: Cell | None,
    later_stops: Sequence[Cell],
    here: Cell,
    width: int,
    height: int,
) -> list[str]:
    """`height` lines of `width` characters: the floor with `*` the walk ahead, `o` later stops,
    `!` the next stop and `P` the picker (drawn in that order, the last on top)."""
    grid = [list(row) for row in layout.rows]
    for r, c in path_ahead:
        if grid[r][c] == ".":
            grid[r][c] = PATH
    for r, c in later_stops:
        grid[r][c] = LATER
    if next_stop is not None:
        grid[next_stop[0]][next_stop[1]] = NEXT
    grid[here[0]][here[1]] = PICKER
    top = _offset(layout.height, height, here[0], next_stop[0] if next_stop else here[0])
    left = _offset(layout.width, width, here[1], next_stop[1] if next_stop else here[1])
    lines = []
    for r in range(top, top + height):
        row = "".join(grid[r][left : left + width]) if 0 <= r < layout.height else ""
        lines.append(row.ljust(width))
    return lines


def _offset(size: int, window: int, here: int, target: int) -> int:
    """Where a window of `window` cells starts along an axis of `size` cells: everything when it
    fits; else centred between the picker and the target, shifted to keep the target in view."""
    if size <= window:
        return 0
    start = (here + target) // 2 - window // 2
    start = min(max(start, target - window + 1), target)  # the target stays inside
    return min(max(start, 0), size - window)
