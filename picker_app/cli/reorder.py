"""`picker-app reorder`: the products to reorder at the demo store (its stock and its last 14
days of order history), by the days their stock still covers; `--csv FILE` for the supplier."""

from __future__ import annotations

import argparse
import csv
from datetime import datetime
from pathlib import Path
from typing import TextIO

from picker_app.cli import demo_data
from picker_app.cli.common import Parser, number_type
from picker_app.domain.reorder import (
    BELOW_DAYS,
    COVER_DAYS,
    SALES_DAYS,
    daily_sales,
    reorder_csv,
    reorder_list,
)
from picker_app.errors import UserError


def demo_stock(fixtures: Path) -> tuple[dict[str, float], dict[str, tuple[str, str]]]:
    """(on hand per SKU, name and unit per SKU) of the demo store."""
    products = {r["sku"]: (r["name"], r["unit"]) for r in demo_data.catalog(fixtures)}
    on_hand: dict[str, float] = {}
    with open(fixtures / "stock.csv", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            on_hand[r["sku"]] = on_hand.get(r["sku"], 0.0) + float(r["on_hand"])
    return on_hand, products


def demo_sales(fixtures: Path) -> list[tuple[datetime, str, float]]:
    """(placed at, sku, qty) of each line of the demo store's order history."""
    return [(ln.placed_at, ln.sku, ln.qty) for ln in demo_data.history(fixtures)]


def cmd_reorder(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from picker_app.config import FIXTURES

    sales = demo_sales(FIXTURES)
    until = max(when for when, _, _ in sales)
    per_day = daily_sales(sales, until, int(args.days))
    on_hand, products = demo_stock(FIXTURES)
    lines = reorder_list(per_day, on_hand, products, args.below, args.cover)
    if args.csv:
        try:
            Path(args.csv).write_text(reorder_csv(lines), encoding="utf-8")
        except OSError as e:
            raise UserError(f"{args.csv}: cannot write the list: {e.strerror or e}") from None
    out.write(
        f"{len(lines)} products below {args.below:g} days of sales (the {int(args.days)} days to "
        f"{until:%Y-%m-%d}); order to cover {args.cover:g} days:\n"
    )
    for r in lines[: args.top]:
        unit = " kg" if r.unit == "kg" else ""
        out.write(
            f"{r.sku}  {r.name[:40]:<40}  on hand {r.on_hand:g}{unit}, {r.per_day:.1f}{unit}/day,"
            f" {r.days_left:.1f} days: order {r.suggest:g}{unit}\n"
        )
    if len(lines) > args.top:
        out.write(f"... and {len(lines) - args.top} more (--csv FILE has them all)\n")
    if args.csv:
        out.write(f"written to {args.csv}\n")
    return 0


def add_reorder_parser(sub: argparse._SubParsersAction[Parser]) -> None:
    reorder = sub.add_parser(
        "reorder",
        help="products to reorder at the demo store",
        description="Products whose stock covers fewer days than --below of their average "
        "sales over --days, with the quantity that covers --cover days.",
    )
    reorder.add_argument(
        "--days", type=number_type(1, 30, "days of sales must be 1 to 30"), default=SALES_DAYS,
        help=f"days of sales averaged (default {SALES_DAYS})",
    )
    reorder.add_argument(
        "--below", type=number_type(0.5, 60, "--below must be 0.5 to 60 days"),
        default=BELOW_DAYS, help=f"reorder below this many days of stock (default {BELOW_DAYS:g})",
    )
    reorder.add_argument(
        "--cover", type=number_type(1, 90, "--cover must be 1 to 90 days"), default=COVER_DAYS,
        help=f"order enough for this many days (default {COVER_DAYS:g})",
    )  # fmt: skip
    reorder.add_argument("--top", type=int, default=20, help="lines printed (default 20)")
    reorder.add_argument("--csv", metavar="FILE", help="write the whole list as CSV")
    reorder.set_defaults(func=cmd_reorder)
