"""An independent checker of routes: the walking rules of spec/route-cli.md, with its own BFS."""

from __future__ import annotations

from collections import deque
from itertools import permutations, product

from picker_app.domain.layout import Cell, Layout
from picker_app.domain.routing import Route


def bfs_from(layout: Layout, start: Cell) -> dict[Cell, int]:
    """Steps from `start` to every walkable cell it can reach."""
    dist = {start: 0}
    queue = deque([start])
    while queue:
        r, c = queue.popleft()
        for nxt in ((r - 1, c), (r + 1, c), (r, c - 1), (r, c + 1)):
            if nxt not in dist and layout.walkable(nxt):
                dist[nxt] = dist[(r, c)] + 1
                queue.append(nxt)
    return dist


def check_route(layout: Layout, route: Route, bins: list[str]) -> None:
    """Assert every rule a route must keep; raise AssertionError naming the broken one."""
    path = [tuple(cell) for cell in route.path]
    assert path[0] == layout.pack and path[-1] == layout.pack, "path must start and end at @"
    for a, b in zip(path, path[1:], strict=False):
        assert layout.walkable(b), f"{b} is not walkable"
        assert abs(a[0] - b[0]) + abs(a[1] - b[1]) == 1, f"{a} -> {b} is not one step"
    assert route.length_m == round((len(path) - 1) * layout.cell_m, 3)
    wanted = {layout.bin(code).code for code in bins}
    got = [s.bin for s in route.stops]
    assert sorted(got) == sorted(wanted), "every distinct bin exactly once"
    ranks = [layout.bin(s.bin).bay.pick_rank for s in route.stops]
    assert ranks == sorted(ranks), "stops must keep pick_rank order"
    for stop in route.stops:
        assert stop.cell in layout.bin(stop.bin).bay.access, f"{stop} is not an access cell"
    # The stop cells appear in the path in stop order, as a subsequence.
    i = 0
    for stop in route.stops:
        while i < len(path) and path[i] != stop.cell:
            i += 1
        assert i < len(path), f"stop {stop.bin} at {stop.cell} is not on the path in order"


def brute_force_steps(layout: Layout, bins: list[str]) -> int:
    """The shortest closed walk through all bins, in pick-rank order, by trying every order and
    every access cell (only for a handful of bays)."""
    bays = sorted({layout.bin(code).bay for code in bins}, key=lambda b: b.code)
    cells = {cell for bay in bays for cell in bay.access} | {layout.pack}
    dist = {cell: bfs_from(layout, cell) for cell in cells}
    best = None
    for order in permutations(bays):
        ranks = [b.pick_rank for b in order]
        if ranks != sorted(ranks):
            continue
        for choice in product(*(bay.access for bay in order)):
            seq = [layout.pack, *choice, layout.pack]
            total = sum(dist[a][b] for a, b in zip(seq, seq[1:], strict=False))
            if best is None or total < best:
                best = total
    assert best is not None
    return best
