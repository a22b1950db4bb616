"""`picker-app slotting`: moves of fast movers to bins nearer the pack station at the demo store,
each measured by planning the last days' orders again (domain/slotting.py); with --heat, the heat
map of those orders' picks before and after the moves, side by side (and as a PNG with --png)."""

from __future__ import annotations

import argparse
import json
import shutil
from datetime import timedelta
from pathlib import Path
from typing import TextIO

from picker_app.cli import demo_data
from picker_app.cli.common import Parser, load_layout, number_type
from picker_app.domain.heatmap import HeatSummary, heat_pair_lines, summarize
from picker_app.domain.layout import Layout
from picker_app.domain.slotting import WALK_MPS, Move, Product, advise, heat_before_after, orders_of
from picker_app.errors import UserError


def demo_orders(fixtures: Path, days: int) -> dict[str, list[str]]:
    """The demo store's orders of the last `days` days of its history: order id -> SKUs."""
    lines = demo_data.history(fixtures)
    since = max(ln.placed_at for ln in lines) - timedelta(days=days)
    return orders_of((ln.order_id, ln.sku) for ln in lines if ln.placed_at > since)


def demo_products(fixtures: Path) -> list[Product]:
    return [
        Product(r["sku"], r["name"], r["bin"], float(r["weight_g"]) if r["weight_g"] else None)
        for r in demo_data.catalog(fixtures)
        if r["bin"]
    ]


def cmd_slotting(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from picker_app.config import FIXTURES, LAYOUTS

    if args.png and not args.heat:
        raise UserError("--png draws the heat maps before and after the moves: give --heat too.")
    layout = load_layout(args.layout or LAYOUTS / "demo-store.toml")
    days = int(args.days)
    orders = demo_orders(FIXTURES, days)
    products = demo_products(FIXTURES)
    moves = advise(layout, products, orders, days, int(args.moves))
    total_m = sum(m.metres_per_day for m in moves)
    heat = _heat(layout, products, orders, moves, days) if args.heat else None
    titles = ("before", f"after the {len(moves)} moves")
    if heat is not None and args.png:
        from picker_app.printing.heatmap import write_heat_pair_png

        write_heat_pair_png(layout, *heat, args.png, titles)
    if args.json:
        data: dict[str, object] = {
            "days": days, "orders": len(orders),
            "moves": [m.__dict__ for m in moves],
            "metres_per_day": round(total_m, 1),
            "seconds_per_day": round(total_m / WALK_MPS, 1),
        }  # fmt: skip
        if heat is not None:
            data["heat"] = {"before": {"bays": heat[0].bays}, "after": {"bays": heat[1].bays}}
        out.write(json.dumps(data) + "\n")
        return 0
    out.write(
        f"{len(moves)} moves for {layout.id}, measured on {len(orders)} orders of {days} days:\n"
    )
    for m in moves:
        swap = f" (swap with {m.swap_sku})" if m.swap_sku else " (an empty bin)"
        out.write(
            f"{m.sku} {m.name[:34]:<34} {m.from_bin:>6} -> {m.to_bin:<6}{swap}: "
            f"{m.metres_per_day:.0f} m, {m.seconds_per_day / 60:.1f} min a day\n"
        )
    out.write(f"all {len(moves)}: {total_m / 1000:.2f} km, {total_m / WALK_MPS / 60:.0f} "
              f"picker-minutes a day at {WALK_MPS} m/s\n")  # fmt: skip
    if heat is not None:
        width = shutil.get_terminal_size().columns
        out.write("\n" + "\n".join(heat_pair_lines(layout, *heat, width, titles)) + "\n")
        if args.png:
            out.write(f"heat maps written to {args.png}\n")
    return 0


def _heat(
    layout: Layout,
    products: list[Product],
    orders: dict[str, list[str]],
    moves: list[Move],
    days: int,
) -> tuple[HeatSummary, HeatSummary]:
    """The heat of the orders' picks per bay before and after the moves."""
    before, after = heat_before_after(layout, products, orders, moves)
    window = f"{len(orders)} orders of {days} days"
    return summarize(layout, before, window), summarize(layout, after, window)


def add_slotting_parser(sub: argparse._SubParsersAction[Parser]) -> None:
    slot = sub.add_parser(
        "slotting",
        help="moves of fast movers nearer the pack station, with what each saves",
        description="Moves of fast movers to nearer bins (same zone; heavy items low), each "
        "measured by planning the demo store's last --days of orders again, before and after.",
    )
    slot.add_argument("--days", type=number_type(1, 30, "--days must be 1 to 30"), default=30,
                      help="days of order history (default 30)")  # fmt: skip
    slot.add_argument("--moves", type=number_type(1, 100, "--moves must be 1 to 100"),
                      default=20, help="moves advised, at most (default 20)")  # fmt: skip
    slot.add_argument("--layout", metavar="FILE", help="the store's layout (default: the demo's)")
    slot.add_argument("--json", action="store_true", help="print one JSON object")
    slot.add_argument(
        "--heat", action="store_true", help="also the heat map before and after, side by side"
    )
    slot.add_argument(
        "--png", metavar="FILE", help="with --heat: also write both maps side by side as a PNG"
    )
    slot.set_defaults(func=cmd_slotting)
