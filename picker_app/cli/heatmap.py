"""`picker-app heatmap LAYOUT`: picks per bay over a window on the store map, with the totals per
aisle and zone; from a `bin,picks` CSV, or the demo store's order history."""

from __future__ import annotations

import argparse
import json
from datetime import datetime
from pathlib import Path
from typing import TextIO

from picker_app.cli import demo_data
from picker_app.cli.common import Parser, load_layout, read_text
from picker_app.domain.heatmap import (
    heat_lines,
    parse_picks,
    parse_window,
    picks_in_window,
    summarize,
)
from picker_app.errors import UserError


def demo_history(fixtures: Path) -> list[tuple[datetime, str]]:
    """(placed at, bin) of each line of the demo store's 30 days of orders."""
    bins = {r["sku"]: r["bin"] for r in demo_data.catalog(fixtures) if r["bin"]}
    return [(ln.placed_at, bins[ln.sku]) for ln in demo_data.history(fixtures) if ln.sku in bins]


def cmd_heatmap(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from picker_app.config import FIXTURES

    layout = load_layout(args.layout)
    if args.picks is not None:
        if args.window is not None:
            raise UserError(
                "--window counts the pick history; a --picks file has no times: give one or "
                "the other."
            )
        picks = parse_picks(read_text(args.picks, "picks file"), layout, args.picks)
        window = f"all of {args.picks}"
    else:
        history = demo_history(FIXTURES)
        chosen = parse_window(args.window or "7d")
        until = max(when for when, _ in history)
        picks = picks_in_window(history, layout, chosen, until)
        window = f"{chosen.text} to {until:%Y-%m-%d %H:%M}"
        if not picks:
            err.write(f"picker-app: no pick of the demo history is in a bin of {args.layout}\n")
    summary = summarize(layout, picks, window)
    if args.png:
        from picker_app.printing.heatmap import write_heat_png

        write_heat_png(layout, summary, args.png)
    if args.json:
        out.write(json.dumps(summary.to_json()) + "\n")
        return 0
    out.write("\n".join(heat_lines(layout, summary)) + "\n")
    if args.png:
        out.write(f"heat map written to {args.png}\n")
    return 0


def add_heatmap_parser(sub: argparse._SubParsersAction[Parser]) -> None:
    heat = sub.add_parser(
        "heatmap",
        help="picks per bay on the store map",
        description="Picks per bay over a window on the store map, with the totals per aisle "
        "and per zone. With only the layout: the demo store's order history.",
    )
    heat.add_argument("layout", help="layout file (layouts/*.toml)")
    heat.add_argument("--picks", metavar="FILE.csv", help="a bin,picks CSV (rows of a bin add up)")
    heat.add_argument(
        "--window", metavar="W", help="today, 7d, 30d or 12h of the history (default 7d)"
    )
    heat.add_argument("--json", action="store_true", help="print one JSON object")
    heat.add_argument("--png", metavar="FILE", help="also write the map as a PNG image")
    heat.set_defaults(func=cmd_heatmap)
