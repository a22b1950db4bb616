"""Exact-route benchmark (issue 12, item 3): how long proving a route optimal takes per order size.

On each shipped layout (demo, irregular and kiosk store) it draws random orders (fixed seed) of
10-22 distinct bays (pick ranks as the bays have them, so most orders mix ranks) and prints, per
layout and size:

- median, p95 and max wall time of the solver chosen with `--solver`:
  `plan` (default): `RoutePlanner.plan(bins)` end to end, as the route command runs it (its
  `solve_ms`), and how many of the routes came back `optimal`;
  `exact`: `route_exact.solve_exact(problem)` as `plan` calls it (with the local search's quick
  tour to prune against, counted in the time) but without a budget;
  `bounded`: the bounded search alone (`solve_bounded`, no dense table for small orders);
  `dense`: the plain dense Held-Karp (`solve_dense`, the old solver, now that of small orders;
  up to `--dense-max` bays: its table has 2^k x cells entries);
- the peak memory of one solve (tracemalloc, numpy's arrays included; a separate pass over the
  first `--memory` orders, since tracing slows the solve).

The distance table is built before timing (as in the route command, it is cached per layout).
It is a report, not a test: it exits 0.

    .venv/bin/python bench/exact_bench.py                      # plan, 10-22 bays, 40 orders each
    .venv/bin/python bench/exact_bench.py --solver exact --sizes 16 18 20
    .venv/bin/python bench/exact_bench.py --solver dense --sizes 10 12 14 15 16 --count 20
    taskset -c 0 .venv/bin/python bench/exact_bench.py --sizes 10 15 16 20 24 28 29  # one core
    .venv/bin/python bench/exact_bench.py --exact-max 15 --budget 0   # the old hand-over
"""

from __future__ import annotations

import argparse
import random
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import numpy as np

from picker_app.domain import route_exact
from picker_app.domain.layout import Layout, parse_layout
from picker_app.domain.routing import (
    EXACT_BUDGET,
    EXACT_MAX_BAYS,
    RoutePlanner,
    make_problem,
    solve_heuristic,
)

ROOT = Path(__file__).resolve().parent.parent
LAYOUTS = ("demo-store", "irregular-store", "kiosk-store")


def load(name: str) -> Layout:
    path = ROOT / "layouts" / f"{name}.toml"
    return parse_layout(path.read_text(), str(path))


def random_orders(layout: Layout, size: int, count: int, seed: int) -> list[list[str]]:
    """Distinct random bays, a random level each (the same orders for every solver)."""
    rng = random.Random(f"{seed}:{layout.id}:{size}")
    bays = list(layout.bays)
    out = []
    for _ in range(count):
        chosen = rng.sample(bays, size)
        out.append([f"{b.code}-{rng.randint(1, b.levels)}" for b in chosen])
    return out


def runner(
    solver: str, planner: RoutePlanner, bins: list[str], args: argparse.Namespace
) -> Callable[[], bool]:
    """A call that solves one order and says whether the answer is proven optimal."""
    if solver == "plan":
        return lambda: planner.plan(bins, args.exact_max, args.budget).optimal
    bays = list({planner.layout.bin(b).bay for b in bins})
    problem = make_problem(planner.table, bays)
    if solver == "dense":
        return lambda: bool(route_exact.solve_dense(problem))

    def known() -> route_exact.Solution:
        return solve_heuristic(problem, 0, iterations=0)

    if solver == "bounded":
        return lambda: route_exact.solve_bounded(problem, known()) is not None
    return lambda: route_exact.solve_exact(problem, known) is not None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--solver", choices=("plan", "exact", "bounded", "dense"), default="plan")
    ap.add_argument("--sizes", type=int, nargs="+", default=list(range(10, 23)))
    ap.add_argument("--count", type=int, default=40, help="orders per layout and size")
    ap.add_argument("--memory", type=int, default=5, help="orders per size traced for memory")
    ap.add_argument("--dense-max", type=int, default=18)
    ap.add_argument("--exact-max", type=int, default=EXACT_MAX_BAYS, help="plan's exact_max")
    ap.add_argument("--budget", type=int, default=EXACT_BUDGET, help="plan's exact_budget")
    ap.add_argument("--layouts", nargs="+", default=list(LAYOUTS))
    ap.add_argument("--seed", type=int, default=2024)
    args = ap.parse_args()

    print(f"solver: {args.solver}; {args.count} orders per layout and size; times in ms")
    if args.solver == "plan":
        print(f"plan(exact_max={args.exact_max}, exact_budget={args.budget})")
    head = ("layout", "bays", "median", "p95", "max", "optimal", "peak MB")
    print(f"{head[0]:16} {head[1]:>4}" + "".join(f" {h:>8}" for h in head[2:]))
    for name in args.layouts:
        layout = load(name)
        planner = RoutePlanner(layout)
        planner.plan([f"{layout.bays[0].code}-1"])  # warm-up: the distance table is cached
        # and the batch search compiled (numba, or loaded from its cache): a one-off too
        planner.plan([f"{bay.code}-1" for bay in layout.bays[:40]])
        for size in args.sizes:
            if args.solver == "dense" and size > args.dense_max:
                continue
            orders = random_orders(layout, size, args.count, args.seed)
            times, proven = [], 0
            for bins in orders:
                call = runner(args.solver, planner, bins, args)
                t0 = time.perf_counter()
                ok = call()
                times.append((time.perf_counter() - t0) * 1000)
                proven += ok
            peaks = []
            for bins in orders[: args.memory]:
                call = runner(args.solver, planner, bins, args)
                tracemalloc.start()
                call()
                peaks.append(tracemalloc.get_traced_memory()[1] / 1e6)
                tracemalloc.stop()
            arr = np.asarray(times)
            peak = max(peaks, default=float("nan"))
            print(
                f"{name:16} {size:4d} {np.median(arr):8.1f} {np.percentile(arr, 95):8.1f}"
                f" {arr.max():8.1f} {proven:4d}/{len(orders):<3d} {peak:8.1f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
