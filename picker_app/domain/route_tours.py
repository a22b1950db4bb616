"""Simple tours: nearest neighbour and S-shape (the starts of the local search), and the
picker's own unaided order (the baseline routes are measured against).
"""

from __future__ import annotations

from collections.abc import Sequence

from picker_app.domain.layout import Bay, Layout
from picker_app.domain.route_problem import Problem


def nearest_neighbour_order(problem: Problem) -> list[int]:
    """Greedy tour: from where the picker stands, the nearest bay of the current pick rank."""
    d = problem.table.rows
    cands = problem.cand_lists
    here = 0
    order: list[int] = []
    for group in problem.groups:
        left = set(group)
        while left:
            row = d[here]
            best = min(left, key=lambda b: (min(row[c] for c in cands[b]), b))
            order.append(best)
            here = min(cands[best], key=row.__getitem__)
            left.remove(best)
    return order


def listed_order_nearest_side(
    problem: Problem, listed: Sequence[Bay]
) -> tuple[list[int], list[int]]:
    """What a picker does unaided: bays in the order the lines are listed (pick ranks kept in
    order), each picked from the side nearest to where the picker stands. (order, stations)."""
    d = problem.dist
    index = {bay: i for i, bay in enumerate(problem.bays)}
    order: list[int] = []
    for bay in sorted(dict.fromkeys(listed), key=lambda b: b.pick_rank):
        if bay in index and index[bay] not in order:
            order.append(index[bay])
    here = 0
    cells: list[int] = []
    for b in order:
        here = int(problem.cands[b][int(d[here, problem.cands[b]].argmin())])
        cells.append(here)
    return order, cells


def sshape_order(problem: Problem) -> list[int]:
    """S-shape (traversal) order: aisle by aisle across the store, up one aisle and down the
    next, within each pick rank. Aisles are found from the floor: a bay's aisle is the run of
    walkable cells across the corridor it is picked from."""
    layout = problem.table.layout
    order: list[int] = []
    for group in problem.groups:
        keyed = []
        for b in group:
            lane, along = _aisle_position(layout, problem.bays[b])
            keyed.append((lane, along, b))
        lanes = sorted({k[0] for k in keyed})
        rank_of_lane = {lane: i for i, lane in enumerate(lanes)}
        keyed.sort(key=lambda k: (k[0], k[1] if rank_of_lane[k[0]] % 2 == 0 else -k[1]))
        order.extend(k[2] for k in keyed)
    return order


def _aisle_position(layout: Layout, bay: Bay) -> tuple[tuple[int, float], int]:
    """(aisle key, position along the aisle) of the corridor a bay is picked from."""
    best: tuple[int, tuple[tuple[int, float], int]] | None = None
    for r, c in bay.access:
        vertical = r == bay.cell[0]  # picked from the left or right: the aisle runs up and down
        if vertical:
            c0 = c
            while layout.walkable((r, c0 - 1)):
                c0 -= 1
            c1 = c
            while layout.walkable((r, c1 + 1)):
                c1 += 1
            key = ((0, (c0 + c1) / 2), r)
            width = c1 - c0 + 1
        else:
            r0 = r
            while layout.walkable((r0 - 1, c)):
                r0 -= 1
            r1 = r
            while layout.walkable((r1 + 1, c)):
                r1 += 1
            key = ((1, (r0 + r1) / 2), c)
            width = r1 - r0 + 1
        if best is None or width < best[0]:
            best = (width, key)
    assert best is not None
    return best[1]
