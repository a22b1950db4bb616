"""Slotting advice (issue 14): moves of fast movers to bins nearer the pack station, each with
what it saves, measured by planning real orders again with the route planner.

A candidate takes a product from its bin to a nearer bin of the same zone (chilled stays
chilled, frozen frozen): an empty bin, or one whose product is picked less (the two swap). A
heavy product (5 kg or more) goes to the two lowest levels only, for the product moving into
its bin as for itself. Candidates are ranked by a quick estimate (picks a day times how much
nearer), then the best are measured: the orders of the window that hold either product are
planned before and after the move (a sample of them when there are many, scaled up), and the
moves that save most, none touching the same bin or product twice, are advised.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from picker_app.domain.layout import BinCodeError, Layout
from picker_app.domain.routing import RoutePlanner

HEAVY_G = 5000.0  # a product this heavy goes on levels 1-2
LOW_LEVELS = 2
WALK_MPS = 1.2  # a picker's walking speed, for seconds saved
FAST_SHARE = 0.2  # the fast movers: the fifth of products with most pick lines
SAMPLE_ORDERS = 150  # orders planned again per move, at most (scaled to all of them)
MEASURED = 3  # candidates measured per move advised


@dataclass(frozen=True)
class Product:
    sku: str
    name: str
    bin: str
    weight_g: float | None = None


@dataclass(frozen=True)
class Move:
    sku: str
    name: str
    from_bin: str
    to_bin: str
    swap_sku: str | None  # the product that goes the other way, if the bin was not empty
    picks_per_day: float
    metres_per_day: float  # saved, by planning the orders again
    seconds_per_day: float
    orders_planned: int  # of the window's orders that hold either product (sample)


def fits(product: Product, bin_code: str, layout: Layout) -> bool:
    """Whether `product` may go to `bin_code` by weight (heavy low)."""
    level = layout.bin(bin_code).level
    heavy = product.weight_g is not None and product.weight_g >= HEAVY_G
    return not (heavy and level > LOW_LEVELS)


def _pack_distance(layout: Layout, planner: RoutePlanner) -> dict[str, float]:
    """Walk from the pack station to each bay (its nearest access cell), in metres."""
    table = planner.table
    row = table.matrix[table.station_of[layout.pack]]
    return {
        bay.code: min(float(row[table.station_of[c]]) for c in bay.access) * layout.cell_m
        for bay in layout.bays
    }


def candidates(
    layout: Layout,
    planner: RoutePlanner,
    products: Sequence[Product],
    picks: Mapping[str, int],
    days: float,
    limit: int,
    fast_share: float = FAST_SHARE,
) -> list[tuple[float, Product, str, Product | None]]:
    """The best moves by the quick estimate (metres a day, as if each pick were a trip from the
    pack station and back): (estimate, product, to bin, product swapped back or None)."""
    near = _pack_distance(layout, planner)
    by_bin = {p.bin: p for p in products}
    ranked = sorted(products, key=lambda p: (-picks.get(p.sku, 0), p.sku))
    fast = [p for p in ranked[: max(1, int(len(ranked) * fast_share))] if picks.get(p.sku)]
    every_bin = [
        f"{bay.code}-{level}" for bay in layout.bays for level in range(1, bay.levels + 1)
    ]
    out: list[tuple[float, Product, str, Product | None]] = []
    for p in fast:
        here = layout.bin(p.bin).bay
        d_here = near[here.code]
        rate = picks[p.sku] / days
        for code in every_bin:
            there = layout.bin(code).bay
            if there.zone != here.zone or near[there.code] >= d_here or not fits(p, code, layout):
                continue
            other = by_bin.get(code)
            if other is not None and (
                picks.get(other.sku, 0) >= picks[p.sku] or not fits(other, p.bin, layout)
            ):
                continue
            gain = 2 * (d_here - near[there.code])
            estimate = rate * gain - (picks.get(other.sku, 0) / days * gain if other else 0.0)
            out.append((estimate, p, code, other))
    out.sort(key=lambda c: (-c[0], c[1].sku, c[2]))
    # Greedy, best estimate first: each product moves once, each bin takes one move, and a bin
    # a product leaves is not the target of another (the moves can all be made).
    moved: set[str] = set()
    taken: set[str] = set()
    best: list[tuple[float, Product, str, Product | None]] = []
    for cand in out:
        estimate, p, code, other = cand
        keys = {p.bin, code}
        if estimate <= 0 or p.sku in moved or (other and other.sku in moved) or keys & taken:
            continue
        moved |= {p.sku} | ({other.sku} if other else set())
        taken |= keys
        best.append(cand)
        if len(best) >= limit:
            break
    return best


def advise(
    layout: Layout,
    products: Sequence[Product],
    orders: Mapping[str, Sequence[str]],
    days: float,
    moves: int = 20,
    planner: RoutePlanner | None = None,
    seed: int = 0,
    fast_share: float = FAST_SHARE,
) -> list[Move]:
    """Up to `moves` moves that save the most walking over `orders` (order id -> its SKUs, the
    window's orders, `days` long), each measured by planning its orders again."""
    planner = planner or RoutePlanner(layout)
    bin_of = {p.sku: p.bin for p in products}
    picks: dict[str, int] = {}
    holding: dict[str, list[str]] = {}
    for order_id, skus in orders.items():
        for sku in set(skus):
            picks[sku] = picks.get(sku, 0) + 1
            holding.setdefault(sku, []).append(order_id)
    rng = random.Random(seed)
    before: dict[str, float] = {}

    def length(order_id: str, bins: dict[str, str]) -> float:
        codes = [bins[s] for s in orders[order_id] if s in bins]
        if not codes:
            return 0.0
        try:
            return planner.plan(codes).length_m
        except BinCodeError:
            return 0.0

    measured: list[Move] = []
    for _, p, to_bin, other in candidates(
        layout, planner, products, picks, days, MEASURED * moves, fast_share
    ):
        swapped = holding.get(other.sku, []) if other else []
        touched = sorted(set(holding.get(p.sku, [])) | set(swapped))
        sample = touched if len(touched) <= SAMPLE_ORDERS else rng.sample(touched, SAMPLE_ORDERS)
        after_bins = dict(bin_of)
        after_bins[p.sku] = to_bin
        if other is not None:
            after_bins[other.sku] = p.bin
        saved = 0.0
        for order_id in sample:
            if order_id not in before:
                before[order_id] = length(order_id, bin_of)
            saved += before[order_id] - length(order_id, after_bins)
        scale = len(touched) / len(sample) if sample else 0.0
        per_day = saved * scale / days
        measured.append(
            Move(p.sku, p.name, p.bin, to_bin, other.sku if other else None, picks[p.sku] / days,
                 per_day, per_day / WALK_MPS, len(sample))
        )  # fmt: skip
    measured.sort(key=lambda m: (-m.metres_per_day, m.sku))
    chosen: list[Move] = []
    used: set[str] = set()
    for move in measured:
        keys = {move.sku, move.from_bin, move.to_bin, move.swap_sku or ""} - {""}
        if move.metres_per_day <= 0 or keys & used:
            continue
        chosen.append(move)
        used |= keys
        if len(chosen) >= moves:
            break
    return chosen


def orders_of(lines: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    """Order id -> its SKUs, from (order id, sku) lines."""
    out: dict[str, list[str]] = {}
    for order_id, sku in lines:
        out.setdefault(order_id, []).append(sku)
    return out


def bins_after(bins: Mapping[str, str], moves: Iterable[Move]) -> dict[str, str]:
    """Each product's bin (sku -> bin code) once `moves` are made; a swap moves both."""
    after = dict(bins)
    for move in moves:
        after[move.sku] = move.to_bin
        if move.swap_sku is not None:
            after[move.swap_sku] = move.from_bin
    return after


def bin_picks_after(
    picks: Mapping[str, int], moves: Iterable[tuple[str, str, bool]]
) -> dict[str, int]:
    """Picks per bin once each move `(from_bin, to_bin, swap)` is made: a bin's picks follow
    its product, so the target bin takes the moved product's picks and, for a swap, the source
    bin takes the other product's (else the source is left empty, with none). Moves are made in
    turn; bins that no move names keep their picks."""
    after = dict(picks)
    for from_bin, to_bin, swap in moves:
        moved, back = after.get(from_bin, 0), after.get(to_bin, 0)
        after[to_bin] = moved
        after[from_bin] = back if swap else 0
    return {b: n for b, n in after.items() if n}


def bay_picks(
    layout: Layout, orders: Mapping[str, Sequence[str]], bins: Mapping[str, str]
) -> dict[str, int]:
    """Pick lines per bay code: each line of `orders` counted at its product's bin in `bins`
    (lines of a product with no bin, or with a bin the layout lacks, are left out)."""
    bay_of: dict[str, str | None] = {}  # sku -> its bay's code (each product read once)
    picks: dict[str, int] = {}
    for skus in orders.values():
        for sku in skus:
            if sku not in bay_of:
                try:
                    bay_of[sku] = layout.bin(bins[sku]).bay.code if sku in bins else None
                except BinCodeError:
                    bay_of[sku] = None
            bay = bay_of[sku]
            if bay is not None:
                picks[bay] = picks.get(bay, 0) + 1
    return picks


def heat_before_after(
    layout: Layout,
    products: Sequence[Product],
    orders: Mapping[str, Sequence[str]],
    moves: Iterable[Move],
) -> tuple[dict[str, int], dict[str, int]]:
    """Picks per bay of `orders` with the products where they are, and again with each moved
    product's picks counted at its new bin (the same lines: the totals per zone hold, as the
    moves stay within their zones)."""
    bins = {p.sku: p.bin for p in products}
    return bay_picks(layout, orders, bins), bay_picks(layout, orders, bins_after(bins, moves))
