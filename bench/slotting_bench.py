"""Slotting benchmark (issue 14): the top 20 moves for the demo store over its 30 days of order
history (22,893 orders), each measured by planning the orders that hold either product again
(a sample of 150 when there are more), as `picker-app slotting` does. Target: under 30 s.
Baseline in the same run: planning one day of the orders once, with the same planner.

    .venv/bin/python bench/slotting_bench.py [--days 30] [--moves 20]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from picker_app.cli.slotting import demo_orders, demo_products
from picker_app.domain.layout import parse_layout
from picker_app.domain.routing import RoutePlanner
from picker_app.domain.slotting import WALK_MPS, advise

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--moves", type=int, default=20)
    args = parser.parse_args()
    path = ROOT / "layouts" / "demo-store.toml"
    layout = parse_layout(path.read_text(), str(path))
    products = demo_products(ROOT / "fixtures")
    orders = demo_orders(ROOT / "fixtures", args.days)
    bins = {p.sku: p.bin for p in products}
    planner = RoutePlanner(layout)
    one_day = list(orders.items())[: len(orders) // args.days]
    t0 = time.perf_counter()
    walked = sum(planner.plan([bins[s] for s in skus if s in bins]).length_m
                 for _, skus in one_day if any(s in bins for s in skus))  # fmt: skip
    t1 = time.perf_counter()
    moves = advise(layout, products, orders, args.days, args.moves, planner=RoutePlanner(layout))
    t2 = time.perf_counter()
    saved = sum(m.metres_per_day for m in moves)
    print(f"slotting_bench: {len(orders)} orders of {args.days} days, {len(moves)} moves")
    print(f"baseline: one day's {len(one_day)} orders planned once in {t1 - t0:.1f} s "
          f"({walked / 1000:.1f} km of single-order routes)")  # fmt: skip
    print(f"advice for the top {args.moves} moves: {t2 - t1:.1f} s (target under 30 s); they "
          f"save {saved / 1000:.2f} km, {saved / WALK_MPS / 60:.0f} picker-minutes a day "
          f"({100 * saved / walked:.1f}% of that day's walking)")  # fmt: skip


if __name__ == "__main__":
    main()
