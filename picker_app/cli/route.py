"""`picker-app route` (spec/route-cli.md) and the sample route."""

from __future__ import annotations

import argparse
import io
import json
import random
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, TextIO

from picker_app.domain.heat import parse_heat
from picker_app.domain.routing import RoutePlanner
from picker_app.errors import UserError
from picker_app.route_view import render_route

if TYPE_CHECKING:
    pass

from picker_app.cli.common import (
    DEMO_LAYOUT,
    load_layout,
    read_text,
)


def read_orders(stream: TextIO, source: str) -> Iterator[tuple[int, object, list[str] | str]]:
    """(line number, id or None, bins or an error sentence) for each non-blank line."""
    for line_no, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as err:
            yield line_no, None, f"{source}: line {line_no}: not JSON ({err.msg})"
            continue
        if not isinstance(obj, dict):
            yield line_no, None, f"{source}: line {line_no}: expected a JSON object"
            continue
        order_id = obj.get("id")
        bins = obj.get("bins")
        if not isinstance(bins, list) or not all(isinstance(b, str) for b in bins):
            yield line_no, order_id, f"{source}: line {line_no}: 'bins' must be a list of bin codes"
            continue
        yield line_no, order_id, bins

def cmd_route(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """`picker-app route`: plan one route, or one per line of an orders file."""
    layout = load_layout(args.layout)
    heat = None
    if args.heat is not None:
        heat = parse_heat(read_text(args.heat, "heat file"), layout, args.heat)
    if args.congestion and heat is None:
        raise UserError("--congestion needs --heat FILE.csv to know which aisles are busy")
    planner = RoutePlanner(layout, heat=heat, congestion=args.congestion)
    if args.orders is None:
        if not args.bins:
            raise UserError("no bins given: name at least one bin (e.g. A07-2) or use --orders")
        route = planner.plan(args.bins)
        if args.json:
            out.write(json.dumps(route.to_json()) + "\n")
        else:
            out.write(render_route(layout, route) + "\n")
        return 0
    if args.bins:
        raise UserError("give either bins or --orders FILE.jsonl, not both")
    if args.orders == "-":
        stream, source = sys.stdin, "<stdin>"
    else:
        stream, source = io.StringIO(read_text(args.orders, "orders file")), args.orders
    status = 0
    with stream:
        for line_no, order_id, bins in read_orders(stream, source):
            if isinstance(bins, list):
                try:
                    result = {"id": order_id, **planner.plan(bins).to_json()}
                except UserError as e:
                    bins = f"{source}: line {line_no}: {e}"
            if isinstance(bins, str):
                result = {"id": order_id, "error": bins}
                err.write(bins + "\n")
                status = 2
            out.write(json.dumps(result) + "\n")
            out.flush()
    return status

def cmd_demo(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """`picker-app sample-route`: plan a route for a sample order on the demo store."""
    layout = load_layout(DEMO_LAYOUT)
    rng = random.Random(7)
    ambient = [b for b in layout.bays if b.pick_rank == 1]
    cold = [b for b in layout.bays if b.pick_rank > 1]
    picked = rng.sample(ambient, 8) + rng.sample(cold, min(2, len(cold)))
    bins = [f"{b.code}-{rng.randint(1, b.levels)}" for b in picked]
    route = RoutePlanner(layout).plan(bins)
    out.write(f"Sample order on the demo store: {' '.join(bins)}\n\n")
    out.write(render_route(layout, route) + "\n\n")
    out.write(
        "Plan your own: picker-app route layouts/demo-store.toml A07-2 C12-4 ... "
        "(--json for scripts, --orders FILE.jsonl for many)\n"
    )
    return 0
