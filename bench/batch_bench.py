"""Batches chosen to save walking (domain.batching) against simpler ways to batch, over a day.

A day of the demo store's orders: placed as the demo's customers place them (the demo day's
demand curve, `domain.demand.DEMO_DAY`, by thinning with a fixed seed), each drawn as the backend
draws one (`backend.seed.add_orders`: 1-10 products, about 4, by the catalog's demand weights,
from `fixtures/catalog.csv`), promised DELIVERY_PROMISE after it is placed. PICKERS pickers work
the whole day; a picker who is free takes work as soon as an order waits, by one of three
policies, with a batch of at most N orders (N = 2, 3, 4):

- none: the next order alone;
- next N: the next N orders in due order (all of them when fewer wait), as "N Enter" took
  before batches were chosen;
- chosen: the batch the queue offers (domain.batching over the first BATCH_CANDIDATES of the
  queue, sizes 2..N, the one saving the most), or the next order alone when none is offered.

A task takes `pick_time` of its route (the demo layout's planner, no congestion) and its lines
and totes; an order misses its promise when its task ends later than its promise less
PACK_ALLOWANCE. Printed per N: metres walked, picker-minutes, tasks, orders missing their
promise, and what the chosen batches save against each other policy; then the time one choice
takes (every size 2..N at a take): with the route lengths the run has planned so far (as the app
keeps them between refreshes) and cold, planning everything (every 10th take, again). The choices
are searched to the end (no time budget, unless `--budget-ms`), so the figures are the same on
any machine but the times; it says how many choices took longer than the app's budget, where the
app would have offered the best batch found by then.

    .venv/bin/python bench/batch_bench.py                     # seed 2026, 3 pickers
    .venv/bin/python bench/batch_bench.py --seed 7 --pickers 4 --sizes 2 4
    .venv/bin/python bench/batch_bench.py --budget-ms 250     # the app's time budget
"""

from __future__ import annotations

import argparse
import csv
import heapq
import random
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from picker_app.backend.seed import DELIVERY_PROMISE
from picker_app.domain.batching import (
    BATCH_CANDIDATES,
    BUDGET_MS,
    Candidate,
    best_offer,
    choose_batches,
)
from picker_app.domain.demand import DEMO_DAY, IST, arrivals_between
from picker_app.domain.layout import parse_layout
from picker_app.domain.queue import (
    LINE_HANDLING,
    PACK_ALLOWANCE,
    TOTE_HANDLING,
    WALK_SPEED_M_S,
    pick_time,
)
from picker_app.domain.routing import RoutePlanner

ROOT = Path(__file__).resolve().parent.parent
DAY = datetime(2026, 11, 25, tzinfo=IST)
PICKERS = 3
COLD_EVERY = 10  # every 10th take of the chosen policy is timed again with nothing planned


@dataclass(frozen=True)
class Order:
    id: str
    placed: datetime
    promised: datetime
    bins: tuple[str, ...]

    def candidate(self) -> Candidate:
        return Candidate(self.id, self.bins, len(self.bins), self.promised)


def day_of_orders(seed: int) -> list[Order]:
    """The demo day's orders: when they are placed, and their lines' bins."""
    with open(ROOT / "fixtures" / "catalog.csv", encoding="utf-8") as f:
        rows = [(r["sku"], r["bin"], float(r["demand_weight"])) for r in csv.DictReader(f)]
    rows.sort()  # by SKU, as the backend's repository lists its demand
    weights = [w for _, _, w in rows]
    placed = arrivals_between(DEMO_DAY, DAY, DAY + timedelta(days=1), random.Random(seed))
    contents = random.Random(seed + 1)
    orders = []
    for n, when in enumerate(placed):
        k = max(1, int(contents.triangular(1, 10, 4)))
        picked = {sku: bin_ for sku, bin_, _ in contents.choices(rows, weights=weights, k=k)}
        bins = tuple(b for b in picked.values() if b)
        orders.append(Order(f"OR{n + 1:05d}", when, when + DELIVERY_PROMISE, bins))
    return orders


class Routes:
    """Route lengths by set of bins, planned once (as PickReads.route_m does)."""

    def __init__(self, planner: RoutePlanner) -> None:
        self.planner = planner
        self.known: dict[frozenset[str], float] = {}

    def __call__(self, bins: Sequence[str]) -> float:
        key = frozenset(bins)
        if key not in self.known:
            self.known[key] = self.planner.plan(sorted(key)).length_m if key else 0.0
        return self.known[key]


@dataclass
class Result:
    walked_m: float = 0.0
    picker_s: float = 0.0
    tasks: int = 0
    orders: int = 0
    missed: int = 0
    choice_ms: list[float] = field(default_factory=list)
    cold_ms: list[float] = field(default_factory=list)
    cut_short: int = 0  # choices the time budget (or the plan cap) stopped early
    # Takes where the chosen batch is not the next N, on the same queue: of the same size (what
    # each saves against picking its orders alone), or smaller (the next N would break a promise).
    same_size: int = 0
    chosen_saved_m: float = 0.0
    next_saved_m: float = 0.0
    smaller: int = 0
    smaller_breaks: int = 0  # of those, where the next N would make an order miss its promise


Policy = Callable[[list[Order], datetime, int], list[Order]]


def simulate(orders: list[Order], pickers: int, policy: Policy, routes: Routes) -> Result:
    """The day with `pickers` pickers taking work by `policy` (waiting orders, now, take no.)."""
    out = Result()
    free = [(orders[0].placed, p) for p in range(pickers)]  # (free from, picker)
    heapq.heapify(free)
    waiting: list[Order] = []
    nxt = 0
    while nxt < len(orders) or waiting:
        at, picker = heapq.heappop(free)
        if not waiting and orders[nxt].placed > at:
            at = orders[nxt].placed  # idle until the next order comes in
        while nxt < len(orders) and orders[nxt].placed <= at:
            waiting.append(orders[nxt])  # placed in order: due in order, as the queue lists them
            nxt += 1
        task = policy(waiting, at, out.tasks)
        walk = routes([b for o in task for b in o.bins])
        took = pick_time(walk, sum(len(o.bins) for o in task), len(task))
        done = at + took + PACK_ALLOWANCE
        out.walked_m += walk
        out.picker_s += took.total_seconds()
        out.tasks += 1
        out.orders += len(task)
        out.missed += sum(done > o.promised for o in task)
        taken = {o.id for o in task}
        waiting[:] = [o for o in waiting if o.id not in taken]
        heapq.heappush(free, (at + took, picker))
    return out


def no_batching(waiting: list[Order], now: datetime, _: int) -> list[Order]:
    return waiting[:1]


def next_n(n: int) -> Policy:
    def policy(waiting: list[Order], now: datetime, _: int) -> list[Order]:
        return waiting[:n]

    return policy


def chosen(
    n: int, routes: Routes, result: Result, shared: Routes, budget_ms: float | None
) -> Policy:
    """The queue's batch of up to `n`; `routes`: the route lengths this run has planned (the
    app's service keeps them), timed; `shared`: for what is not timed."""

    def saved(task: Sequence[Order]) -> float:
        alone = sum(shared(o.bins) for o in task)
        return alone - shared([b for o in task for b in o.bins])

    def breaks(task: Sequence[Order], now: datetime) -> bool:
        walk = shared([b for o in task for b in o.bins])
        took = pick_time(walk, sum(len(o.bins) for o in task), len(task)) + PACK_ALLOWANCE
        return any(
            now + pick_time(shared(o.bins), len(o.bins), 1) + PACK_ALLOWANCE <= o.promised
            and now + took > o.promised
            for o in task
        )

    def policy(waiting: list[Order], now: datetime, take: int) -> list[Order]:
        if len(waiting) < 2:
            return waiting[:1]
        cands = [o.candidate() for o in waiting[: max(BATCH_CANDIDATES, n)]]
        sizes = range(2, min(n, len(cands)) + 1)
        t0 = time.perf_counter()
        choices = choose_batches(cands, sizes, routes, now, budget_ms=budget_ms)
        result.choice_ms.append((time.perf_counter() - t0) * 1000)
        result.cut_short += not all(c.complete for c in choices.values())
        if len(result.choice_ms) % COLD_EVERY == 1:
            t0 = time.perf_counter()
            choose_batches(cands, sizes, Routes(shared.planner), now, budget_ms=budget_ms)
            result.cold_ms.append((time.perf_counter() - t0) * 1000)
        best = best_offer(choices.values())
        by_id = {o.id: o for o in waiting}
        task = [by_id[o] for o in best.orders] if best is not None else waiting[:1]
        if len(task) < len(waiting[:n]):
            result.smaller += 1
            result.smaller_breaks += breaks(waiting[:n], now)
        elif task != waiting[:n]:
            result.same_size += 1
            result.chosen_saved_m += saved(task)
            result.next_saved_m += saved(waiting[:n])
        return task

    return policy


def spread(ms: list[float]) -> str:
    if not ms:
        return "no choices"
    p95 = statistics.quantiles(ms, n=20)[-1] if len(ms) >= 20 else max(ms)
    return f"median {statistics.median(ms):.1f} ms, p95 {p95:.1f} ms, max {max(ms):.1f} ms"


def row(name: str, r: Result) -> str:
    return (
        f"  {name:<10} {r.tasks:>6} {r.orders / r.tasks:>6.2f} {r.walked_m / 1000:>9.2f}"
        f" {r.picker_s / 60:>10.0f} {r.missed:>7} ({100 * r.missed / r.orders:4.1f} %)"
    )


def saves(r: Result, than: Result) -> str:
    m = than.walked_m - r.walked_m
    return (
        f"{m:,.0f} m ({100 * m / than.walked_m:.0f} %), "
        f"{(than.picker_s - r.picker_s) / 60:,.0f} picker-min"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--pickers", type=int, default=PICKERS)
    parser.add_argument("--sizes", type=int, nargs="+", default=[2, 3, 4])
    parser.add_argument(
        "--budget-ms", type=float, default=None,
        help=f"stop a choice's search after this, as the app does ({BUDGET_MS:g}); default: "
        "never, so that the figures do not hang on this machine's speed",
    )  # fmt: skip
    args = parser.parse_args()
    path = ROOT / "layouts" / "demo-store.toml"
    layout = parse_layout(path.read_text(encoding="utf-8"), str(path))
    planner = RoutePlanner(layout)
    # The batch search compiled (numba, or loaded from its cache) before anything is timed, as
    # the app does at start-up (picker_app/warmup.py); a fresh planner, so no route is cached.
    RoutePlanner(layout).plan([f"{bay.code}-1" for bay in layout.bays[:40]])
    orders = day_of_orders(args.seed)
    peak = max(DEMO_DAY.rate(DAY + timedelta(minutes=m)) for m in range(24 * 60))
    print(
        f"Seed {args.seed}: {len(orders)} orders on {DAY:%Y-%m-%d} (demo day, "
        f"{DEMO_DAY.daily_orders:.0f} expected, {peak:.1f} a minute at the busiest), "
        f"{sum(len(o.bins) for o in orders)} lines, promised {DELIVERY_PROMISE} after placing;"
        f"\n{args.pickers} pickers all day on {layout.id}; {WALK_SPEED_M_S} m/s, "
        f"{LINE_HANDLING.seconds} s a line, {TOTE_HANDLING.seconds} s a tote, packing "
        f"{PACK_ALLOWANCE.seconds} s; batches chosen among the first {BATCH_CANDIDATES} waiting."
    )
    shared = Routes(planner)
    none = simulate(orders, args.pickers, no_batching, shared)
    for n in args.sizes:
        plain = simulate(orders, args.pickers, next_n(n), shared)
        ours = Result()
        policy = chosen(n, Routes(planner), ours, shared, args.budget_ms)
        picked = simulate(orders, args.pickers, policy, shared)
        print(f"\nN = {n}:  policy      tasks orders/t walked km picker-min  missed promise")
        print(row("none", none))
        print(row(f"next {n}", plain))
        print(row("chosen", picked))
        print(f"  chosen saves against none:   {saves(picked, none)}")
        print(f"  chosen saves against next {n}: {saves(picked, plain)}")
        print(
            f"  of {len(ours.choice_ms)} takes with 2+ waiting, the chosen batch was smaller than"
            f" the next {n} at {ours.smaller} ({ours.smaller_breaks} where the next {n} would make"
            f" an order late),\n  and other orders of the same size at {ours.same_size}: there it"
            f" saves {ours.chosen_saved_m:,.0f} m"
            f" against its orders alone, the next {n} would have saved {ours.next_saved_m:,.0f} m"
        )
        print(f"  one choice (sizes 2-{n}), routes planned so far kept: {spread(ours.choice_ms)}")
        print(f"  one choice, cold (nothing planned, every {COLD_EVERY}th): "
              f"{spread(ours.cold_ms)}")  # fmt: skip
        over = sum(ms > BUDGET_MS for ms in ours.choice_ms)
        print(
            f"  choices over the app's {BUDGET_MS:g} ms budget: {over} (the app offers the best"
            f" found by then); cut short here: {ours.cut_short}"
        )


if __name__ == "__main__":
    main()
