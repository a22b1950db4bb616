"""Route planner benchmark: the length of `RoutePlanner.plan`'s routes against LKH on the whole
problem, and the time it takes, on random stores of five kinds and on the shipped ones.

The reference (bench/route_reference.py) is LKH (elkai) on the *generalized* problem: the route
through one access cell of every bay, each cell chosen freely among all of the bay's cells, pick
ranks in order, turned into an asymmetric TSP by the exact Noon-Bean transformation. Before the
batches, it is checked against the exact optimum (Held-Karp, `solve_exact`) on small orders:
the two must agree on every order, and the dominance pruning of `make_problem` must not change
the optimum.

Stores: `bench/layoutgen.py` makes them (kinds parallel, two_block, l_shape, islands,
horizontal: single-sided wall rows, back-to-back gondolas and open rows pickable from both
sides, end bays, cells of 0.5-1 m, some with chilled and frozen zones); the shipped demo and
irregular stores run too. Orders are distinct random bays, a random level each. Per kind and
order size (40, 80, 100, 120, 150 bays; 10, 15, 20 for speed) it prints the mean and max gap
(ours / LKH - 1, both recomputed in steps from the same distance matrix), how many orders ours
is shorter / equal / longer, median and p95 `solve_ms` of `plan` (after one warm-up plan per
store, so the distance table is not counted), and the seeds of the worst order; on the
parallel-aisle stores also the orders where ours is longer than the S-shape route (the S-shape
visit order with the best access cells). Then the issue's targets with PASS/FAIL, and every
figure as JSON in `bench/results/route_bench.json`. It exits 0: it is a report, not a test.

Batching savings are measured by bench/batch_bench.py (issue 12, item 4), not here.

elkai is a bench-only dependency (`pip install -e '.[bench]'`); picker_app never imports it.
Run from the repository root (full run about 10 minutes on this 2-core machine, --quick 2):

    .venv/bin/python bench/route_bench.py
    .venv/bin/python bench/route_bench.py --quick
    .venv/bin/python bench/route_bench.py --kinds islands l_shape --seed 7
    .venv/bin/python bench/route_bench.py --replay two_block 3 0 150   # KIND LAYOUT ORDER SIZE

`--replay` plans one order again (KIND may be a shipped store, e.g. demo-store, whose layout
seed is ignored), prints both routes and writes the store's layout file to bench/results/ so
that `picker-app route` can be run on it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from layoutgen import KINDS, make_layout
from route_reference import check_route, full_problem, route_length, solve_reference

from picker_app.domain.distances import DistanceTable
from picker_app.domain.layout import Bay, Layout, parse_layout
from picker_app.domain.routing import (
    Route,
    RoutePlanner,
    listed_order_nearest_side,
    make_problem,
    solve_exact,
    sshape_order,
)

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
SHIPPED = ("demo-store", "irregular-store")
PARALLEL = ("parallel", "demo-store")  # parallel-aisle stores: compared with S-shape

SIZES = (40, 80, 100, 120, 150)  # against the reference
SPEED_SIZES = (10, 15, 20)  # speed (and the reference, it is cheap there)
EXACT_SIZES = (5, 8, 10, 12)  # the reference against Held-Karp

# Counts as (full run, --quick): generated stores per kind (one order of each size on each), the
# orders of each size on a shipped store, exactness checks per store, LKH runs per order.
STORES_PER_KIND = (5, 2)
SHIPPED_ORDERS = (5, 2)
EXACT_PER_STORE = (4, 2)
LKH_RUNS = (16, 8)

WALK_SPEED_MPS = 1.2
WALK_LINES = 10
WALK_ORDERS = 20

# The targets (issue 12).
GAP_MEAN_PCT = 0.3
GAP_MAX_PCT = 1.0
MEDIAN_100_MS = 300.0
MAX_150_MS = 1000.0
PRECOMPUTE_MS = 1000.0


@dataclass
class Result:
    """One order: our route against the reference."""

    kind: str
    layout_seed: int
    order_seed: int
    size: int
    ours: int  # steps
    ref: int  # steps
    gap_pct: float
    solve_ms: float
    optimal: bool
    ref_s: float
    ref_nodes: int
    ref_proper: bool
    ref_polished: bool
    sshape: int | None  # steps, parallel-aisle stores only


@dataclass
class Check:
    """One exactness check: the reference and Held-Karp (pruned and unpruned) on one order."""

    kind: str
    layout_seed: int
    order_seed: int
    size: int
    exact: int
    exact_unpruned: int
    ref: int


# --- stores and orders -------------------------------------------------------------------------


def load_store(kind: str, seed: int) -> Layout:
    """A generated store (`kind` one of layoutgen.KINDS) or a shipped one (seed ignored)."""
    if kind in KINDS:
        return parse_layout(make_layout(kind, seed), f"layoutgen {kind} {seed}")
    path = Path(kind) if kind.endswith(".toml") else ROOT / "layouts" / f"{kind}.toml"
    return parse_layout(path.read_text(encoding="utf-8"), str(path))


def store_text(kind: str, seed: int) -> str:
    if kind in KINDS:
        return make_layout(kind, seed)
    return (ROOT / "layouts" / f"{kind}.toml").read_text(encoding="utf-8")


def draw_order(layout: Layout, order_seed: int, size: int) -> list[str]:
    """`size` distinct random bays, a random level each (the same for the same seeds)."""
    rng = random.Random(f"order:{order_seed}:{size}")
    chosen = rng.sample(list(layout.bays), size)
    return [f"{bay.code}-{rng.randint(1, bay.levels)}" for bay in chosen]


def order_bays(layout: Layout, bins: list[str]) -> list[Bay]:
    return list(dict.fromkeys(layout.bin(code).bay for code in bins))


def route_stops(planner: RoutePlanner, route: Route) -> tuple[list[str], list[int]]:
    """Bay codes and station ids of a route's stops in visiting order, one per bay."""
    bays: list[str] = []
    cells: list[int] = []
    for stop in route.stops:
        bay = stop.bin.rsplit("-", 1)[0]
        if not bays or bay != bays[-1]:
            bays.append(bay)
            cells.append(planner.table.station_of[stop.cell])
    return bays, cells


# --- measurements ------------------------------------------------------------------------------


def measure(
    kind: str,
    layout_seed: int,
    order_seed: int,
    layout: Layout,
    planner: RoutePlanner,
    size: int,
    runs: int,
    problems: list[str],
) -> Result:
    """Plan one order, solve its reference, and compare them."""
    bins = draw_order(layout, order_seed, size)
    route = planner.plan(bins)
    codes, cells = route_stops(planner, route)
    ours = route_length(planner.table.matrix, cells)
    steps = round(route.length_m / layout.cell_m)
    where = f"{kind} {layout_seed} {order_seed} {size}"
    if ours != steps:
        problems.append(f"{where}: route is {steps} steps, its stops {ours} in the matrix")
    full = full_problem(planner.table, order_bays(layout, bins))
    index = {bay.code: i for i, bay in enumerate(full.bays)}
    wrong = check_route(full, [index.get(code, -1) for code in codes], cells)
    if wrong:
        problems.append(f"{where}: our route {wrong}")
    ref = solve_reference(full, runs)
    sshape = None
    if kind in PARALLEL:
        problem = make_problem(planner.table, full.bays)
        sshape = int(problem.best_cells(sshape_order(problem))[1])
    return Result(
        kind=kind,
        layout_seed=layout_seed,
        order_seed=order_seed,
        size=size,
        ours=ours,
        ref=ref.length,
        gap_pct=100.0 * (ours / ref.length - 1) if ref.length else 0.0,
        solve_ms=route.solve_ms,
        optimal=route.optimal,
        ref_s=ref.secs,
        ref_nodes=ref.nodes,
        ref_proper=ref.proper,
        ref_polished=ref.polished,
        sshape=sshape,
    )


def exact_check(
    kind: str, layout_seed: int, order_seed: int, layout: Layout, table: DistanceTable, size: int
) -> Check:
    """The reference against Held-Karp, with and without dominated cells dropped."""
    bays = order_bays(layout, draw_order(layout, order_seed, size))
    full = full_problem(table, bays)
    # Reference first: LKH's runs are cheap here, so it gets as many as in the batches.
    ref = solve_reference(full, LKH_RUNS[0])
    exact = solve_exact(make_problem(table, bays))
    unpruned = solve_exact(full)
    assert exact is not None and unpruned is not None  # no budget: always solved
    return Check(kind, layout_seed, order_seed, size, int(exact[2]), int(unpruned[2]), ref.length)


def precompute_ms(layout: Layout, repeats: int = 3) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        DistanceTable(layout)
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def walk_times(layout: Layout, planner: RoutePlanner, seed: int) -> dict:
    """Walking time of 10-line orders (10 bays, one bin each): ours, S-shape, lines as listed."""
    ours, sshape, listed = [], [], []
    for k in range(WALK_ORDERS):
        bins = draw_order(layout, seed * 1000 + 900 + k, WALK_LINES)
        route = planner.plan(bins)
        bays = order_bays(layout, bins)
        problem = make_problem(planner.table, bays)
        _, s_cost = problem.best_cells(sshape_order(problem))
        l_order, l_cells = listed_order_nearest_side(problem, bays)
        ours.append(route.length_m)
        sshape.append(s_cost * layout.cell_m)
        listed.append(problem.tour_cost(l_order, l_cells) * layout.cell_m)
    return {
        name: statistics.fmean(v) / WALK_SPEED_MPS
        for name, v in (("ours", ours), ("sshape", sshape), ("listed", listed))
    }


# --- summaries ---------------------------------------------------------------------------------


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def summarize(rows: list[Result]) -> dict:
    gaps = [r.gap_pct for r in rows]
    ms = [r.solve_ms for r in rows]
    worst = max(rows, key=lambda r: r.gap_pct)
    out = {
        "orders": len(rows),
        "gap_mean_pct": statistics.fmean(gaps),
        "gap_max_pct": max(gaps),
        "shorter": sum(r.ours < r.ref for r in rows),
        "equal": sum(r.ours == r.ref for r in rows),
        "longer": sum(r.ours > r.ref for r in rows),
        "solve_ms_median": statistics.median(ms),
        "solve_ms_p95": pct(ms, 95),
        "solve_ms_max": max(ms),
        "optimal": sum(r.optimal for r in rows),
        "ref_s_mean": statistics.fmean(r.ref_s for r in rows),
        "worst": {"layout_seed": worst.layout_seed, "order_seed": worst.order_seed},
    }
    pairs = [(r.ours, r.sshape) for r in rows if r.sshape is not None]
    if pairs:
        out["worse_than_sshape"] = sum(o > s for o, s in pairs)
        out["saved_vs_sshape_pct"] = 100.0 * (
            1 - sum(o for o, _ in pairs) / sum(s for _, s in pairs)
        )
    return out


def print_table(kinds: list[str], sizes: list[int], results: list[Result]) -> dict:
    print(
        f"{'kind':<16}{'bays':>5}{'n':>3} {'gap mean':>8} {'max':>7} {'<':>3}{'=':>3}{'>':>3}"
        f" {'med ms':>7} {'p95 ms':>7} {'LKH s':>6} {'vs S-shape':>11}  worst (layout order)"
    )
    table: dict = {}
    for kind in kinds:
        for size in sizes:
            rows = [r for r in results if r.kind == kind and r.size == size]
            if not rows:
                continue
            s = summarize(rows)
            table.setdefault(kind, {})[size] = s
            vs = (
                f"{s['saved_vs_sshape_pct']:5.1f}% {s['worse_than_sshape']}w"
                if "worse_than_sshape" in s
                else ""
            )
            seeds = f"{s['worst']['layout_seed']} {s['worst']['order_seed']}"
            print(
                f"{kind:<16}{size:>5}{s['orders']:>3} {s['gap_mean_pct']:7.2f}% "
                f"{s['gap_max_pct']:6.2f}% {s['shorter']:>3}{s['equal']:>3}{s['longer']:>3}"
                f" {s['solve_ms_median']:7.1f} {s['solve_ms_p95']:7.1f} {s['ref_s_mean']:6.2f}"
                f" {vs:>11}  {seeds}"
            )
    print(
        "  gap = ours / LKH - 1 (steps, same distance matrix); < = > : orders where ours is\n"
        "  shorter / equal / longer; ms = planner.plan solve_ms; LKH s = the reference's mean\n"
        "  time; vs S-shape = walking saved against the S-shape route, and orders where ours\n"
        "  is longer (w); worst = seeds of the largest gap: --replay KIND LAYOUT ORDER SIZE."
    )
    return table


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def targets(
    results: list[Result], checks: list[Check], pre: dict[str, list[float]], problems: list[str]
) -> list[tuple[str, str, bool]]:
    out: list[tuple[str, str, bool]] = []
    batch = [r for r in results if r.kind in KINDS and r.size in SIZES]
    if batch:
        gaps = [r.gap_pct for r in batch]
        worst = max(batch, key=lambda r: r.gap_pct)
        kinds = sorted({r.kind for r in batch})
        what = f"{len(kinds)} kinds" if len(kinds) < len(KINDS) else "all five kinds"
        mean_gap = statistics.fmean(gaps)
        out.append(
            (
                f"40-150 bays, {what}: mean gap to generalized LKH < {GAP_MEAN_PCT}%",
                f"{mean_gap:.3f}% over {len(batch)} orders",
                mean_gap < GAP_MEAN_PCT,
            )
        )
        out.append(
            (
                f"40-150 bays, {what}: max gap < {GAP_MAX_PCT}%",
                f"{max(gaps):.2f}% (--replay {worst.kind} {worst.layout_seed} "
                f"{worst.order_seed} {worst.size})",
                max(gaps) < GAP_MAX_PCT,
            )
        )
    for size, label, limit, stat in (
        (100, "median", MEDIAN_100_MS, statistics.median),
        (150, "max", MAX_150_MS, max),
    ):
        ms = [r.solve_ms for r in results if r.size == size]
        if ms:
            value = stat(ms)
            out.append(
                (
                    f"{size} bays, all stores: {label} solve < {limit:g} ms",
                    f"{value:.0f} ms over {len(ms)} orders",
                    value < limit,
                )
            )
    par = [r for r in results if r.sshape is not None]
    if par:
        worse = [r for r in par if r.sshape is not None and r.ours > r.sshape]
        seeds = "; ".join(f"{r.kind} {r.layout_seed} {r.order_seed} {r.size}" for r in worse[:3])
        out.append(
            (
                "parallel aisles (generated + demo store): never longer than S-shape",
                f"{len(worse)} of {len(par)} orders longer" + (f" ({seeds})" if seeds else ""),
                not worse,
            )
        )
    small = [r for r in results if r.size <= 15]
    if small:
        n_opt = sum(r.optimal for r in small)
        out.append(
            ("up to 15 bays: routes proven optimal", f"{n_opt}/{len(small)}", n_opt == len(small))
        )
    every = [ms for v in pre.values() for ms in v]
    if every:
        out.append(
            (
                f"distance precompute < {PRECOMPUTE_MS / 1000:g} s on every store",
                f"max {max(every):.0f} ms over {len(every)} stores",
                max(every) < PRECOMPUTE_MS,
            )
        )
    bad = [c for c in checks if not c.exact == c.exact_unpruned == c.ref]
    out.append(
        (
            "check: reference = Held-Karp optimum (pruned = unpruned) on small orders",
            f"{len(checks) - len(bad)}/{len(checks)} agree"
            + "".join(f"; {c.kind} {c.layout_seed} {c.order_seed} {c.size}" for c in bad[:3]),
            not bad,
        )
    )
    out.append(
        (
            "check: route length = its stops' matrix distances",
            f"{len(results)} routes, {len(problems)} mismatches",
            not problems,
        )
    )
    return out


# --- the run -----------------------------------------------------------------------------------


def warm_search() -> None:
    """Compile the batch search (numba; or load it from numba's cache) before anything is timed,
    as the app does at start-up (picker_app/warmup.py): a one-off, like the distance table."""
    layout = load_store("demo-store", 0)
    RoutePlanner(layout).plan(draw_order(layout, 0, 40))


def run(args: argparse.Namespace) -> int:
    which = 1 if args.quick else 0
    runs = args.lkh_runs or LKH_RUNS[which]
    kinds = list(args.kinds)
    sizes = sorted(set(SPEED_SIZES) | set(SIZES)) if not args.sizes else sorted(args.sizes)
    started = time.perf_counter()
    print(
        f"route_bench: seed {args.seed}, {'quick' if args.quick else 'full'} run, LKH "
        f"{runs} runs, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"numpy {np.__version__}"
    )
    warm_search()
    results: list[Result] = []
    checks: list[Check] = []
    problems: list[str] = []
    pre: dict[str, list[float]] = {}
    walks: dict[str, dict] = {}
    for kind in kinds:
        shipped = kind not in KINDS
        stores = [0] if shipped else [args.seed * 100 + i for i in range(STORES_PER_KIND[which])]
        orders = SHIPPED_ORDERS[which] if shipped else 1
        for layout_seed in stores:
            t0 = time.perf_counter()
            layout = load_store(kind, layout_seed)
            pre.setdefault(kind, []).append(precompute_ms(layout))
            planner = RoutePlanner(layout)
            planner.plan([f"{layout.bays[0].code}-1"])  # warm-up: the distance table is cached
            for k in range(EXACT_PER_STORE[which]):
                size = EXACT_SIZES[k % len(EXACT_SIZES)]
                c = exact_check(kind, layout_seed, 500 + k, layout, planner.table, size)
                checks.append(c)
                if not c.exact == c.exact_unpruned == c.ref:
                    print(
                        f"  !! reference {c.ref} steps, Held-Karp {c.exact} (unpruned "
                        f"{c.exact_unpruned}): --replay {kind} {layout_seed} {500 + k} {size}",
                        flush=True,
                    )
            for size in sizes:
                for order_seed in range(orders):
                    results.append(
                        measure(
                            kind, layout_seed, order_seed, layout, planner, size, runs, problems
                        )
                    )
            if shipped and kind in SHIPPED:
                walks[kind] = walk_times(layout, planner, args.seed)
            ranks = sorted({b.pick_rank for b in layout.bays})
            mine = [r for r in results if r.kind == kind and r.layout_seed == layout_seed]
            print(
                f"{kind} {layout_seed}: {len(layout.bays)} bays, cell {layout.cell_m} m, "
                f"ranks {ranks}; gaps max {max(r.gap_pct for r in mine):.2f}%; "
                f"{time.perf_counter() - t0:.0f} s",
                flush=True,
            )
    for text in problems:
        print(f"  !! {text}")

    print()
    agree = sum(c.exact == c.exact_unpruned == c.ref for c in checks)
    print(
        f"Reference check: generalized LKH = Held-Karp optimum on {agree}/{len(checks)} orders of "
        f"{min(EXACT_SIZES)}-{max(EXACT_SIZES)} bays (dominance pruning lossless on "
        f"{sum(c.exact == c.exact_unpruned for c in checks)}/{len(checks)})"
    )
    proper = sum(r.ref_proper for r in results)
    polished = sum(r.ref_polished for r in results)
    print(
        f"LKH tours decoded as proper Noon-Bean tours: {proper}/{len(results)}; "
        f"shortened by re-choosing cells: {polished}"
    )
    print()
    print("Our routes against the generalized LKH reference:")
    table = print_table(kinds, sizes, results)
    batch = [r for r in results if r.size in SIZES]
    if batch:
        print()
        print("All kinds, 40-150 bays:")
        overall = {kind: summarize([r for r in batch if r.kind == kind]) for kind in kinds}
        for kind, s in overall.items():
            if s["orders"]:
                print(
                    f"  {kind:<16} mean gap {s['gap_mean_pct']:6.3f}%  max {s['gap_max_pct']:5.2f}%"
                    f"  ({s['orders']} orders, ours shorter/equal/longer "
                    f"{s['shorter']}/{s['equal']}/{s['longer']})"
                )
    for kind, w in walks.items():
        print(
            f"{kind}: walking time of a {WALK_LINES}-line order at {WALK_SPEED_MPS} m/s (mean of "
            f"{WALK_ORDERS}): ours {w['ours']:.1f} s, S-shape {w['sshape']:.1f} s, as listed "
            f"{w['listed']:.1f} s"
        )
    print(
        "Distance precompute (DistanceTable, median of 3): "
        + ", ".join(f"{k} max {max(v):.0f} ms" for k, v in pre.items())
    )
    print("Batching savings: bench/batch_bench.py (issue 12, item 4).")

    found = targets(results, checks, pre, problems)
    print()
    print("=== targets (issue 12) ===")
    width = max(len(t[0]) for t in found)
    for what, measured, ok in found:
        print(f"{verdict(ok)}  {what:<{width}}  {measured}")
    wall = time.perf_counter() - started
    print(f"\nwall time {wall:.0f} s")

    report = {
        "seed": args.seed,
        "quick": args.quick,
        "lkh_runs": runs,
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "summary": {k: {str(s): v for s, v in d.items()} for k, d in table.items()},
        "targets": [{"target": t, "measured": m, "pass": ok} for t, m, ok in found],
        "checks": [asdict(c) for c in checks],
        "orders": [asdict(r) for r in results],
        "precompute_ms": pre,
        "walk_10_lines_s": walks,
        "problems": problems,
        "wall_s": wall,
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2) + "\n")
    print(f"figures written to {args.json}")
    return 0


def replay(args: argparse.Namespace) -> int:
    """Plan one order again and print both routes."""
    kind, layout_seed, order_seed, size = args.replay
    layout_seed, order_seed, size = int(layout_seed), int(order_seed), int(size)
    layout = load_store(kind, layout_seed)
    path = RESULTS / f"replay-{kind}-{layout_seed}.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(store_text(kind, layout_seed), encoding="utf-8")
    planner = RoutePlanner(layout)
    warm_search()
    planner.plan([f"{layout.bays[0].code}-1"])
    bins = draw_order(layout, order_seed, size)
    route = planner.plan(bins)
    bays = order_bays(layout, bins)
    full = full_problem(planner.table, bays)
    ref = solve_reference(full, args.lkh_runs or LKH_RUNS[0])
    codes, cells = route_stops(planner, route)
    ours = route_length(planner.table.matrix, cells)
    stations = planner.table.stations
    print(f"store {kind} {layout_seed}: {len(layout.bays)} bays, cell {layout.cell_m} m -> {path}")
    print(f"order ({size} bays): {' '.join(bins)}")
    print(
        f"ours: {ours} steps ({route.length_m} m), {route.solve_ms:.0f} ms, optimal={route.optimal}"
    )
    print(
        f"LKH:  {ref.length} steps, {ref.secs:.1f} s, {ref.nodes} ATSP nodes, "
        f"proper={ref.proper}, polished={ref.polished}"
    )
    print(f"gap:  {100.0 * (ours / ref.length - 1):.2f}%")
    ours_stops = zip(codes, cells, strict=True)
    print("ours: " + " ".join(f"{code}@{list(stations[c])}" for code, c in ours_stops))
    print(
        "LKH:  "
        + " ".join(
            f"{full.bays[b].code}@{list(stations[c])}"
            for b, c in zip(ref.order, ref.cells, strict=True)
        )
    )
    if kind in PARALLEL:
        problem = make_problem(planner.table, bays)
        print(f"S-shape: {int(problem.best_cells(sshape_order(problem))[1])} steps")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer stores and LKH runs")
    parser.add_argument("--seed", type=int, default=1, help="base seed of the stores (default 1)")
    parser.add_argument(
        "--kinds",
        nargs="+",
        default=[*KINDS, *SHIPPED],
        help=f"store kinds: {', '.join(KINDS)}, or shipped layout names (default: all + "
        f"{', '.join(SHIPPED)})",
    )
    parser.add_argument("--sizes", nargs="+", type=int, help="order sizes (default: all)")
    parser.add_argument("--lkh-runs", type=int, help="LKH runs per order (default 16, quick 8)")
    parser.add_argument(
        "--replay",
        nargs=4,
        metavar=("KIND", "LAYOUT_SEED", "ORDER_SEED", "SIZE"),
        help="plan one order of the bench again and print both routes",
    )
    parser.add_argument(
        "--json", type=Path, default=RESULTS / "route_bench.json", help="where to write figures"
    )
    args = parser.parse_args(argv)
    try:
        import elkai  # noqa: F401
    except ImportError:
        print("route_bench needs elkai: .venv/bin/pip install -e '.[bench]'")
        return 0
    return replay(args) if args.replay else run(args)


if __name__ == "__main__":
    sys.exit(main())
