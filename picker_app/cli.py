"""The `picker-app` command: builds things from files and arguments, decides nothing itself."""

from __future__ import annotations

import argparse
import io
import json
import math
import random
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import NoReturn, TextIO

from picker_app.domain.heat import parse_heat
from picker_app.domain.layout import Layout, parse_layout
from picker_app.domain.routing import RoutePlanner
from picker_app.errors import UserError
from picker_app.route_view import render_route

LAYOUTS_DIR = Path(__file__).resolve().parent.parent / "layouts"
DEMO_LAYOUT = LAYOUTS_DIR / "demo-store.toml"


def read_text(path: str | Path, what: str) -> str:
    """A text file's contents, or a UserError naming the file and what is wrong."""
    try:
        with open(path, encoding="utf-8-sig") as f:
            return f.read()
    except FileNotFoundError:
        raise UserError(f"{path}: cannot read the {what}: no such file") from None
    except IsADirectoryError:
        raise UserError(f"{path}: cannot read the {what}: it is a directory") from None
    except PermissionError:
        raise UserError(f"{path}: cannot read the {what}: permission denied") from None
    except UnicodeDecodeError as err:
        raise UserError(
            f"{path}: the {what} is not UTF-8 text (bad byte at offset {err.start})"
        ) from None
    except OSError as err:
        raise UserError(f"{path}: cannot read the {what}: {err.strerror or err}") from None


def load_layout(path: str | Path) -> Layout:
    """Read and check a layout file."""
    return parse_layout(read_text(path, "layout file"), str(path))


def _congestion(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"K must be a number >= 0, got {text!r}")
    return value


def _orders(stream: TextIO, source: str) -> Iterator[tuple[int, object, list[str] | str]]:
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
        for line_no, order_id, bins in _orders(stream, source):
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
    """With no subcommand: plan a route for a sample order on the demo store and print it."""
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


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on standard error (and exit status 2)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="picker-app",
        description="Dark-store picking: routes, scans, offline sync. "
        "With no command, plans a sample order on the demo store.",
    )
    sub = parser.add_subparsers(dest="command")
    route = sub.add_parser(
        "route",
        help="plan pick routes on a layout",
        description="Plan the shortest pick route through bins of a store layout.",
    )
    route.add_argument("layout", help="layout file (layouts/*.toml)")
    route.add_argument("bins", nargs="*", help="bin codes such as A07-2")
    route.add_argument("--json", action="store_true", help="print one JSON object")
    route.add_argument(
        "--orders", metavar="FILE.jsonl", help='one {"id":..., "bins": [...]} a line; - for stdin'
    )
    route.add_argument(
        "--heat", metavar="FILE.csv", help="bin,picks_per_hour or bay,picks_per_hour"
    )
    route.add_argument(
        "--congestion",
        metavar="K",
        type=_congestion,
        default=None,
        help="detour around busy aisles: a step costs cell_m x (1 + K x heat); default 0 (off)",
    )
    route.set_defaults(func=cmd_route)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `picker-app`; returns the exit status (2 for user errors)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    func = getattr(args, "func", cmd_demo)
    try:
        return func(args, sys.stdout, sys.stderr)
    except UserError as e:
        sys.stderr.write(f"picker-app: {e}\n")
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
