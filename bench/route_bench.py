"""Route planner benchmark: speed of `RoutePlanner.plan` and length of its routes against other
ways to walk the same order.

For each layout (default: the demo store and the irregular one) it draws random orders (fixed
seed) of 5, 10, 12 and 15 bays and batches of 40, 100 and 150 bays (distinct bays, a random level
each, the lines listed in random order) and prints, per size:

- median, p95 and max `solve_ms` of `planner.plan(bins)` (after one warm-up plan, so the
  per-layout distance table is cached and not counted, as in the route command);
- our route length against (a) the S-shape policy: the S-shape visit order joined by shortest
  walks with the best access cells (never longer than a classic S-shape traversal, so the
  comparison favours S-shape), (b) the lines visited in the order listed, nearest side first
  (what a picker does unaided), (c) the exact optimum: up to 15 bays our route *is* the exact
  optimum, so the heuristic (`exact_max=0`) is run on the same orders and its gap to the optimum
  is reported; for batches "n/a";
- (d) on separate instances drawn only from bays of pick rank 1 (no pick-rank constraints), our
  route against LKH (elkai, 10 runs) and, unless disabled, OR-Tools' routing solver (guided local
  search, 1 s), both given the walking-distance matrix of the access cells our route chose (plus
  the pack station). Gap = our length / their length - 1. Our own length is recomputed from the
  same matrix and checked against `route.length_m`;
- the walking time of a 10-line order at 1.2 m/s with each policy and the seconds saved per
  1,000 orders;
- the per-layout distance precompute (`DistanceTable(layout)`, median of 5).

It ends with the targets of the issue, the measured values and PASS/FAIL, writes every figure as
JSON to `bench/results/route_bench.json`, and exits 0 (it is a report, not a test).

elkai and OR-Tools are benchmark-only dependencies (`pip install -e '.[bench]'`); picker_app
never imports them.

Run from the repository root (the full run takes a few minutes on 2 cores):

    .venv/bin/python bench/route_bench.py
    .venv/bin/python bench/route_bench.py --quick
    .venv/bin/python bench/route_bench.py --layouts demo-store irregular-store --seed 7
    .venv/bin/python bench/route_bench.py --ortools-s 0     # skip OR-Tools
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
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from picker_app.cli import load_layout
from picker_app.domain.distances import DistanceTable
from picker_app.domain.layout import Bay, Layout
from picker_app.domain.routing import (
    EXACT_MAX_BAYS,
    Route,
    RoutePlanner,
    listed_order_nearest_side,
    make_problem,
    sshape_order,
)

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "route_bench.json"

ORDER_SIZES = (5, 10, 12, 15)
BATCH_SIZES = (40, 100, 150)
LKH_SIZES = (15, 40, 100, 150)
WALK_SPEED_MPS = 1.2
WALK_LINES = 10
LKH_RUNS = 10

# Instances per size: (full run, --quick).
COUNTS = {5: (40, 10), 10: (40, 10), 12: (40, 10), 15: (40, 10), 40: (20, 5), 100: (15, 4)}
COUNTS[150] = (10, 3)
LKH_COUNTS = {15: (20, 5), 40: (20, 5), 100: (15, 4), 150: (10, 3)}

# The targets.
EXACT_P95_MS = 50.0
EXACT12_MEDIAN_MS = 10.0
GAP100_MEAN_PCT = 0.5
GAP100_MAX_PCT = 1.5
BATCH100_MEDIAN_MS = 300.0
BATCH150_MAX_MS = 1000.0
PRECOMPUTE_MS = 1000.0


# --- helpers ---------------------------------------------------------------------------------


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values, dtype=np.float64), q)) if values else float("nan")


def mean(values: list[float]) -> float:
    return statistics.fmean(values) if values else float("nan")


def layout_path(name: str) -> Path:
    if name.endswith(".toml"):
        return Path(name)
    return ROOT / "layouts" / f"{name}.toml"


def random_order(rng: random.Random, bays: list[Bay], size: int) -> list[str]:
    """Distinct random bays, a random level each, listed in random order."""
    chosen = rng.sample(bays, size)  # sample order is already random: that is the listed order
    return [f"{bay.code}-{rng.randint(1, bay.levels)}" for bay in chosen]


def route_stations(planner: RoutePlanner, route: Route) -> list[int]:
    """Station ids of the route's stops in visiting order (stops sharing a bay counted once)."""
    out: list[int] = []
    last_bay = None
    for stop in route.stops:
        bay = stop.bin.rsplit("-", 1)[0]
        if bay != last_bay:
            out.append(planner.table.station_of[stop.cell])
            last_bay = bay
    return out


def closed_length(matrix: np.ndarray, seq: list[int]) -> int:
    """Steps of the closed walk @ -> seq... -> @ (station ids)."""
    walk = [0, *seq, 0]
    return int(sum(int(matrix[a, b]) for a, b in zip(walk, walk[1:], strict=False)))


@dataclass
class Checks:
    """Correctness checks made on the way; any failure is printed and fails the summary."""

    length_checked: int = 0
    length_mismatch: int = 0
    not_optimal_exact: int = 0
    exact_longer: int = 0  # an "exact" route longer than the heuristic or a policy route
    messages: list[str] | None = None

    def fail(self, text: str) -> None:
        if self.messages is None:
            self.messages = []
        self.messages.append(text)
        print(f"  !! {text}", flush=True)


# --- reference solvers -------------------------------------------------------------------------


def lkh_length(sub: np.ndarray, runs: int) -> tuple[int, float]:
    """LKH (elkai 2.x) tour length on an integer distance matrix, and its wall time in s."""
    import elkai

    n = len(sub)
    if n < 3:
        return int(sub[0, 1] + sub[1, 0]) if n == 2 else 0, 0.0
    t0 = time.perf_counter()
    # elkai 2.x returns a closed tour (first city repeated at the end), 0-based.
    tour = elkai.DistanceMatrix(sub.tolist()).solve_tsp(runs=runs)
    secs = time.perf_counter() - t0
    if tour[0] != tour[-1]:
        tour = [*tour, tour[0]]
    assert sorted(tour[:-1]) == list(range(n)), "elkai returned a tour that is not a permutation"
    return int(sum(int(sub[a, b]) for a, b in zip(tour, tour[1:], strict=False))), secs


def ortools_length(sub: np.ndarray, seconds: float) -> tuple[int, float]:
    """OR-Tools routing (one vehicle from node 0, guided local search) tour length, wall time."""
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    n = len(sub)
    if n < 3:
        return int(sub[0, 1] + sub[1, 0]) if n == 2 else 0, 0.0
    rows = sub.tolist()
    manager = pywrapcp.RoutingIndexManager(n, 1, 0)
    model = pywrapcp.RoutingModel(manager)

    def cost(i: int, j: int) -> int:
        return rows[manager.IndexToNode(i)][manager.IndexToNode(j)]

    model.SetArcCostEvaluatorOfAllVehicles(model.RegisterTransitCallback(cost))
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC
    params.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    )
    params.time_limit.FromMilliseconds(int(seconds * 1000))
    t0 = time.perf_counter()
    solution = model.SolveWithParameters(params)
    secs = time.perf_counter() - t0
    assert solution is not None, "OR-Tools found no tour"
    nodes = []
    index = model.Start(0)
    while not model.IsEnd(index):
        nodes.append(manager.IndexToNode(index))
        index = solution.Value(model.NextVar(index))
    nodes.append(0)
    assert sorted(nodes[:-1]) == list(range(n)), "OR-Tools returned a tour that is not a perm."
    return int(sum(int(sub[a, b]) for a, b in zip(nodes, nodes[1:], strict=False))), secs


# --- the measurements --------------------------------------------------------------------------


def bench_precompute(layout: Layout, repeats: int = 5) -> dict:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        table = DistanceTable(layout)
        times.append((time.perf_counter() - t0) * 1000)
    return {
        "median_ms": statistics.median(times),
        "max_ms": max(times),
        "stations": len(table.stations),
        "walkable_cells": len(table.cells),
    }


def bench_size(
    name: str, layout: Layout, planner: RoutePlanner, size: int, count: int, seed: int, ck: Checks
) -> dict:
    """Random orders (with pick ranks) of one size: timing and the policy comparisons."""
    rng = random.Random(f"{seed}:{name}:orders:{size}")
    bays = list(layout.bays)
    cell_m = layout.cell_m
    ours, sshape, listed, heur, ms, heur_ms, optimal = [], [], [], [], [], [], []
    for k in range(count):
        bins = random_order(rng, bays, size)
        route = planner.plan(bins)
        ms.append(route.solve_ms)
        optimal.append(route.optimal)
        steps = round(route.length_m / cell_m)
        own = closed_length(planner.table.matrix, route_stations(planner, route))
        ck.length_checked += 1
        if own != steps:
            ck.length_mismatch += 1
            ck.fail(f"{name} {size} bays #{k}: route {steps} steps, matrix says {own}")
        listed_bays = [layout.bin(code).bay for code in bins]
        problem = make_problem(planner.table, listed_bays)
        _, s_cost = problem.best_cells(sshape_order(problem))
        l_order, l_cells = listed_order_nearest_side(problem, listed_bays)
        l_cost = problem.tour_cost(l_order, l_cells)
        ours.append(steps)
        sshape.append(s_cost)
        listed.append(l_cost)
        if size <= EXACT_MAX_BAYS:
            if not route.optimal:
                ck.not_optimal_exact += 1
                ck.fail(f"{name} {size} bays #{k}: route not marked optimal")
            h = planner.plan(bins, exact_max=0)
            heur_ms.append(h.solve_ms)
            h_steps = round(h.length_m / cell_m)
            heur.append(h_steps)
            if steps > min(h_steps, s_cost, l_cost):
                ck.exact_longer += 1
                ck.fail(
                    f"{name} {size} bays #{k}: exact route {steps} steps longer than "
                    f"heuristic {h_steps} / S-shape {s_cost:g} / listed {l_cost:g}"
                )
    res: dict = {
        "size": size,
        "instances": count,
        "solve_ms": {
            "median": statistics.median(ms),
            "p95": pct(ms, 95),
            "max": max(ms),
            "mean": mean(ms),
        },
        "optimal": sum(optimal),
        "length_m": {"ours_mean": mean(ours) * cell_m},
    }
    for label, theirs in (("sshape", sshape), ("listed", listed)):
        ratios = [o / t for o, t in zip(ours, theirs, strict=True)]
        res[f"vs_{label}"] = {
            "mean_ratio": mean(ratios),
            "saved_pct": 100.0 * (1 - sum(ours) / sum(theirs)),
            "their_mean_m": mean(theirs) * cell_m,
        }
    if heur:
        gaps = [100.0 * (h / o - 1) for h, o in zip(heur, ours, strict=True)]
        res["heuristic_vs_exact"] = {
            "mean_gap_pct": mean(gaps),
            "max_gap_pct": max(gaps),
            "equal": sum(1 for g in gaps if g == 0),
            "heuristic_ms_median": statistics.median(heur_ms),
            "heuristic_ms_p95": pct(heur_ms, 95),
        }
    else:
        res["heuristic_vs_exact"] = None
    return res


def bench_reference(
    name: str,
    layout: Layout,
    planner: RoutePlanner,
    size: int,
    count: int,
    seed: int,
    ortools_s: float,
    ck: Checks,
) -> dict:
    """Rank-1-only instances: our route against LKH / OR-Tools on our chosen access cells."""
    rng = random.Random(f"{seed}:{name}:reference:{size}")
    bays = [b for b in layout.bays if b.pick_rank == 1]
    matrix = planner.table.matrix
    ms, lkh_gaps, lkh_secs, ort_gaps, ort_secs = [], [], [], [], []
    for k in range(count):
        bins = random_order(rng, bays, size)
        route = planner.plan(bins)
        ms.append(route.solve_ms)
        steps = round(route.length_m / layout.cell_m)
        seq = route_stations(planner, route)
        own = closed_length(matrix, seq)
        ck.length_checked += 1
        if own != steps:
            ck.length_mismatch += 1
            ck.fail(f"{name} ref {size} bays #{k}: route {steps} steps, matrix says {own}")
        nodes = sorted({0, *seq})
        sub = matrix[np.ix_(nodes, nodes)].astype(np.int64)
        lkh, secs = lkh_length(sub, LKH_RUNS)
        lkh_gaps.append(100.0 * (own / lkh - 1) if lkh else 0.0)
        lkh_secs.append(secs)
        if ortools_s > 0 and size > EXACT_MAX_BAYS:  # up to 15 bays LKH already checks it
            ort, secs = ortools_length(sub, ortools_s)
            ort_gaps.append(100.0 * (own / ort - 1) if ort else 0.0)
            ort_secs.append(secs)
    res: dict = {
        "size": size,
        "instances": count,
        "solve_ms": {"median": statistics.median(ms), "p95": pct(ms, 95), "max": max(ms)},
    }
    for label, gaps, secs in (("lkh", lkh_gaps, lkh_secs), ("ortools", ort_gaps, ort_secs)):
        if not gaps:
            res[label] = None
            continue
        res[label] = {
            "mean_gap_pct": mean(gaps),
            "max_gap_pct": max(gaps),
            "ours_better": sum(1 for g in gaps if g < -1e-9),
            "equal": sum(1 for g in gaps if abs(g) <= 1e-9),
            "ours_worse": sum(1 for g in gaps if g > 1e-9),
            "their_mean_s": mean(secs),
        }
    return res


def walk_times(name: str, layout: Layout, planner: RoutePlanner, count: int, seed: int) -> dict:
    """Walking time of 10-line orders (10 bays, one bin each) with each policy."""
    rng = random.Random(f"{seed}:{name}:walk")
    ours, sshape, listed = [], [], []
    for _ in range(count):
        bins = random_order(rng, list(layout.bays), WALK_LINES)
        route = planner.plan(bins)
        listed_bays = [layout.bin(code).bay for code in bins]
        problem = make_problem(planner.table, listed_bays)
        _, s_cost = problem.best_cells(sshape_order(problem))
        l_order, l_cells = listed_order_nearest_side(problem, listed_bays)
        ours.append(route.length_m)
        sshape.append(s_cost * layout.cell_m)
        listed.append(problem.tour_cost(l_order, l_cells) * layout.cell_m)
    secs = {
        "ours": mean(ours) / WALK_SPEED_MPS,
        "sshape": mean(sshape) / WALK_SPEED_MPS,
        "listed": mean(listed) / WALK_SPEED_MPS,
    }
    return {
        "instances": count,
        "mean_walk_s": secs,
        "saved_s_per_1000_orders": {
            "vs_sshape": 1000 * (secs["sshape"] - secs["ours"]),
            "vs_listed": 1000 * (secs["listed"] - secs["ours"]),
        },
    }


# --- printing ----------------------------------------------------------------------------------


def print_sizes(rows: list[dict]) -> None:
    head = (
        f"{'bays':>5} {'n':>3} {'med ms':>8} {'p95 ms':>8} {'max ms':>8} {'opt':>5} "
        f"{'ours m':>7} | {'vs S-shape':>15} | {'vs listed':>15} | {'heur vs exact':>19}"
    )
    print(head)
    print(f"{'':>47} | {'ratio  saved':>15} | {'ratio  saved':>15} | {'mean    max  (ms)':>19}")
    for r in rows:
        s = r["solve_ms"]
        sh, li, he = r["vs_sshape"], r["vs_listed"], r["heuristic_vs_exact"]
        opt = f"{r['optimal']}/{r['instances']}" if r["size"] <= EXACT_MAX_BAYS else "-"
        heur = (
            f"{he['mean_gap_pct']:5.2f}% {he['max_gap_pct']:5.2f}% {he['heuristic_ms_median']:4.0f}"
            if he
            else "n/a"
        )
        print(
            f"{r['size']:>5} {r['instances']:>3} {s['median']:8.2f} {s['p95']:8.2f} "
            f"{s['max']:8.2f} {opt:>5} {r['length_m']['ours_mean']:7.1f} | "
            f"{sh['mean_ratio']:6.3f} {sh['saved_pct']:6.1f}% | "
            f"{li['mean_ratio']:6.3f} {li['saved_pct']:6.1f}% | {heur:>19}"
        )


def print_reference(rows: list[dict]) -> None:
    print(
        f"{'bays':>5} {'n':>3} {'med ms':>8} {'max ms':>8} | "
        f"{'LKH gap mean   max  b/=/w   LKH s':>34} | {'OR-Tools gap mean   max  b/=/w':>31}"
    )
    for r in rows:

        def col(x: dict | None, with_time: bool) -> str:
            if x is None:
                return "skipped"
            text = (
                f"{x['mean_gap_pct']:6.2f}% {x['max_gap_pct']:6.2f}% "
                + f"{x['ours_better']}/{x['equal']}/{x['ours_worse']}".rjust(8)
            )
            return text + (f" {x['their_mean_s']:6.2f}" if with_time else "")

        s = r["solve_ms"]
        print(
            f"{r['size']:>5} {r['instances']:>3} {s['median']:8.2f} {s['max']:8.2f} | "
            f"{col(r['lkh'], True):>34} | {col(r['ortools'], False):>31}"
        )


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


# --- main --------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer instances per size")
    parser.add_argument(
        "--layouts",
        nargs="+",
        default=["demo-store", "irregular-store"],
        help="layout names under layouts/ (or .toml paths)",
    )
    parser.add_argument("--seed", type=int, default=2024, help="random seed (default 2024)")
    parser.add_argument(
        "--ortools-s",
        type=float,
        default=1.0,
        help="OR-Tools time limit per instance in seconds; 0 skips OR-Tools (default 1)",
    )
    parser.add_argument("--json", type=Path, default=RESULTS, help="where to write the figures")
    args = parser.parse_args(argv)
    which = 1 if args.quick else 0
    ortools_s = args.ortools_s
    if ortools_s > 0:
        try:
            import ortools  # noqa: F401
        except ImportError:
            print("OR-Tools not installed: OR-Tools column skipped")
            ortools_s = 0.0

    started = time.perf_counter()
    print(
        f"route_bench: seed {args.seed}, {'quick' if args.quick else 'full'} run, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}, numpy {np.__version__}"
    )
    ck = Checks()
    report: dict = {
        "seed": args.seed,
        "quick": args.quick,
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "layouts": {},
    }
    targets: list[tuple[str, str, bool]] = []

    for name in args.layouts:
        layout = load_layout(layout_path(name))
        ranks = sorted({b.pick_rank for b in layout.bays})
        print()
        print(
            f"=== {name} ({layout.id}): {len(layout.bays)} bays, pick ranks {ranks}, "
            f"cell {layout.cell_m} m ==="
        )
        pre = bench_precompute(layout)
        print(
            f"distance precompute (DistanceTable, median of 5): {pre['median_ms']:.1f} ms "
            f"({pre['stations']} stations, {pre['walkable_cells']} walkable cells)"
        )
        planner = RoutePlanner(layout)
        planner.plan([f"{layout.bays[0].code}-1"])  # warm-up: the distance table is now cached

        print()
        print("Random orders (all bays, pick ranks kept), solve_ms of planner.plan:")
        rows = []
        for size in (*ORDER_SIZES, *BATCH_SIZES):
            rows.append(bench_size(name, layout, planner, size, COUNTS[size][which], args.seed, ck))
        print_sizes(rows)
        print(
            "  ratio = mean of ours/theirs per order; saved = 1 - sum(ours)/sum(theirs).\n"
            "  S-shape = S-shape visit order joined by shortest walks, best access cells: never\n"
            "  longer than a classic S-shape traversal, so the comparison favours S-shape."
            + (
                ""
                if name == "demo-store"
                else "\n  (This layout is not purely parallel-aisle: S-shape is indicative only.)"
            )
        )
        print(
            "  listed = the lines in the order listed, each bay from its nearest side.\n"
            "  heur vs exact = our heuristic (exact_max=0) on the same orders against the exact\n"
            "  optimum (our default route up to 15 bays); n/a for batches. opt = routes marked "
            "optimal."
        )

        print()
        print(
            "Against reference TSP solvers (separate orders, pick-rank-1 bays only), on the\n"
            f"access cells our route chose; LKH = elkai, {LKH_RUNS} runs"
            + (f"; OR-Tools = GLS, {ortools_s:g} s (batches only)" if ortools_s > 0 else "")
            + ":"
        )
        refs = []
        for size in LKH_SIZES:
            refs.append(
                bench_reference(
                    name, layout, planner, size, LKH_COUNTS[size][which], args.seed, ortools_s, ck
                )
            )
        print_reference(refs)
        print(
            "  gap = ours/theirs - 1 (negative: ours shorter); b/=/w = orders where ours is\n"
            "  better / equal / worse; med/max ms = our solve_ms on these orders."
        )

        walk = walk_times(name, layout, planner, COUNTS[WALK_LINES][which], args.seed)
        w, saved = walk["mean_walk_s"], walk["saved_s_per_1000_orders"]
        print()
        print(
            f"Walking time of a {WALK_LINES}-line order at {WALK_SPEED_MPS} m/s "
            f"(mean of {walk['instances']}): ours {w['ours']:.1f} s, S-shape {w['sshape']:.1f} s, "
            f"listed order {w['listed']:.1f} s"
        )
        print(
            f"  saved per 1,000 orders: {saved['vs_sshape']:.0f} s "
            f"({saved['vs_sshape'] / 3600:.2f} h) vs S-shape, {saved['vs_listed']:.0f} s "
            f"({saved['vs_listed'] / 3600:.2f} h) vs listed order"
        )

        report["layouts"][name] = {
            "id": layout.id,
            "bays": len(layout.bays),
            "precompute": pre,
            "orders": rows,
            "reference": refs,
            "walk_10_lines": walk,
        }

        by = {r["size"]: r for r in rows}
        ref = {r["size"]: r for r in refs}
        small = [by[s] for s in ORDER_SIZES]
        n_opt = sum(r["optimal"] for r in small)
        n_small = sum(r["instances"] for r in small)
        targets.append(
            (f"{name}: up to 15 bays solved exactly", f"{n_opt}/{n_small}", n_opt == n_small)
        )
        worst = max(small, key=lambda r: r["solve_ms"]["p95"])
        p95 = worst["solve_ms"]["p95"]
        targets.append(
            (
                f"{name}: <= 15 bays p95 < {EXACT_P95_MS:g} ms",
                f"{p95:.1f} ms (worst: {worst['size']} bays)",
                p95 < EXACT_P95_MS,
            )
        )
        m12 = by[12]["solve_ms"]["median"]
        targets.append(
            (
                f"{name}: 12 bays median < {EXACT12_MEDIAN_MS:g} ms",
                f"{m12:.2f} ms",
                m12 < EXACT12_MEDIAN_MS,
            )
        )
        lkh100 = ref[100]["lkh"]
        targets.append(
            (
                f"{name}: 100 bays mean gap to LKH < {GAP100_MEAN_PCT}%",
                f"{lkh100['mean_gap_pct']:.2f}%",
                lkh100["mean_gap_pct"] < GAP100_MEAN_PCT,
            )
        )
        targets.append(
            (
                f"{name}: 100 bays max gap to LKH < {GAP100_MAX_PCT}%",
                f"{lkh100['max_gap_pct']:.2f}%",
                lkh100["max_gap_pct"] < GAP100_MAX_PCT,
            )
        )
        m100 = max(by[100]["solve_ms"]["median"], ref[100]["solve_ms"]["median"])
        targets.append(
            (
                f"{name}: 100 bays median < {BATCH100_MEDIAN_MS:g} ms (worse of both order sets)",
                f"{m100:.0f} ms (random {by[100]['solve_ms']['median']:.0f}, "
                f"rank-1 {ref[100]['solve_ms']['median']:.0f})",
                m100 < BATCH100_MEDIAN_MS,
            )
        )
        x150 = max(by[150]["solve_ms"]["max"], ref[150]["solve_ms"]["max"])
        targets.append(
            (
                f"{name}: 150 bays < {BATCH150_MAX_MS / 1000:g} s (max of all 150-bay plans)",
                f"{x150:.0f} ms",
                x150 < BATCH150_MAX_MS,
            )
        )
        if name == "demo-store":
            targets.append(
                (
                    f"{name}: distance precompute < {PRECOMPUTE_MS / 1000:g} s",
                    f"{pre['median_ms']:.0f} ms",
                    pre["median_ms"] < PRECOMPUTE_MS,
                )
            )

    bad = ck.length_mismatch + ck.not_optimal_exact + ck.exact_longer
    targets.append(
        (
            "check: route length = its stations' matrix distances; exact routes optimal and "
            "no longer than heuristic/policies",
            f"{ck.length_checked} routes, {ck.length_mismatch} length mismatches, "
            f"{ck.not_optimal_exact} not optimal, {ck.exact_longer} exact longer",
            bad == 0,
        )
    )

    print()
    print("=== targets ===")
    width = max(len(t[0]) for t in targets if len(t[0]) < 70)
    for what, measured, ok in targets:
        if len(what) > width:
            print(f"{verdict(ok)}  {what}\n      {'':<{width}}  {measured}")
        else:
            print(f"{verdict(ok)}  {what:<{width}}  {measured}")
    wall = time.perf_counter() - started
    print(f"\nwall time {wall:.0f} s")

    report["targets"] = [{"target": t, "measured": m, "pass": ok} for t, m, ok in targets]
    report["problems"] = ck.messages or []
    report["wall_s"] = wall
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2) + "\n")
    print(f"figures written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
