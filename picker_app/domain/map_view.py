"""The store map for a screen of any size: the walk ahead, the picker and the next stop.

Plain text, no UI: the route screen shows these lines as they are. When the floor is larger than
the space, the window takes the rows (and columns) from the picker to the next stop; if even
those do not fit, the floor is folded where it repeats itself (the long identical rows of an
aisle block), and only then are rows between them left out, so the picker `P`, the next stop `!`
and the walk's last step into it are always in view.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from picker_app.domain.layout import Cell, Layout

PATH, LATER, NEXT, PICKER = "*", "o", "!", "P"
LEGEND = f"{PICKER} you  {NEXT} next stop  {PATH} walk  {LATER} later stops"
SHORT_LEGEND = f"{PICKER} you {NEXT} next {PATH} walk {LATER} later"


@dataclass(frozen=True)
class MapView:
    """The lines to show, and which floor rows and columns they are (top down, left to right;
    fewer rows than lines when the floor is shorter than the window)."""

    lines: list[str]
    rows: list[int]
    cols: list[int]

    def at(self, cell: Cell) -> tuple[int, int] | None:
        """Where `cell` is in `lines` (line, column), or None when it is out of view."""
        r, c = cell
        if r not in self.rows or c not in self.cols:
            return None
        return self.rows.index(r), self.cols.index(c)


def map_view(
    layout: Layout,
    path_ahead: Sequence[Cell],
    next_stop: Cell | None,
    later_stops: Sequence[Cell],
    here: Cell,
    width: int,
    height: int,
) -> MapView:
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
    target = next_stop or here
    # The walk's last step into the stop stays in view with it.
    step = path_ahead[-2] if len(path_ahead) >= 2 and path_ahead[-1] == target else target
    columns = ["".join(row[c] for row in grid) for c in range(layout.width)]
    cols = _choose(columns, width, here[1], target[1], step[1])
    rows_text = ["".join(row[c] for c in cols) for row in grid]
    rows = _choose(rows_text, height, here[0], target[0], step[0])
    lines = [rows_text[r].ljust(width) for r in rows]
    lines += [" " * width] * (height - len(lines))
    return MapView(lines, rows, cols)


def map_window(
    layout: Layout,
    path_ahead: Sequence[Cell],
    next_stop: Cell | None,
    later_stops: Sequence[Cell],
    here: Cell,
    width: int,
    height: int,
) -> list[str]:
    """The lines of `map_view`."""
    return map_view(layout, path_ahead, next_stop, later_stops, here, width, height).lines


def _choose(items: Sequence[str], window: int, here: int, target: int, step: int) -> list[int]:
    """Which of `items` (the floor's rows, or its columns) a window of `window` shows, in order:
    all when they fit; else from the picker to the target with context around it, folded where
    the floor repeats itself if that span is too long."""
    n = len(items)
    if n <= window:
        return list(range(n))
    if window < 3:
        return sorted({target, here} if window == 2 else {target})
    must = {here, target, step}
    lo, hi = min(must), max(must)
    keep = list(range(lo, hi + 1))
    if len(keep) > window:
        return _fold(items, keep, window, must)
    before, after = lo - 1, hi + 1
    while len(keep) < window:  # context, evenly either side
        if after < n and (before < 0 or after - hi <= lo - before):
            keep.append(after)
            after += 1
        else:
            keep.insert(0, before)
            before -= 1
    return keep


def _fold(items: Sequence[str], keep: list[int], window: int, must: set[int]) -> list[int]:
    """`keep` cut down to `window` entries, never dropping one of `must`: first the middle of
    the longest run of identical entries, again and again; then evenly spaced ones."""
    keep = list(keep)
    while len(keep) > window:
        runs: list[list[int]] = []
        for i, index in enumerate(keep):
            if i and items[index] == items[keep[i - 1]]:
                runs[-1].append(i)
            else:
                runs.append([i])
        droppable = [
            [i for i in run[1:-1] if keep[i] not in must] for run in runs if len(run) > 2
        ]
        droppable = [d for d in droppable if d]
        if not droppable:
            break
        longest = max(droppable, key=len)
        del keep[longest[len(longest) // 2]]
    if len(keep) > window:
        fixed = [i for i in keep if i in must]
        others = [i for i in keep if i not in must]
        room = window - len(fixed)
        chosen = [others[(2 * j + 1) * len(others) // (2 * room)] for j in range(room)]
        keep = sorted(fixed + chosen)
    return keep
