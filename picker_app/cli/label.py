"""`picker-app label`: one bag label as PNG, SVG or ZPL, or printed on a ZPL label printer."""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import TextIO

from picker_app.cli.common import Parser, number_type
from picker_app.domain.labels import (
    COLD_WINDOW_MIN,
    TEMP_CLASSES,
    label_zpl,
    make_bag_label,
    parse_bag_spec,
)


def add_label_parser(sub: argparse._SubParsersAction[Parser]) -> None:
    """Add `label` to the subcommands `sub` (what `add_subparsers` returned)."""
    label = sub.add_parser(
        "label",
        help="render or print one bag label",
        description="Make the label of one bag of an order: its bag code (printed on the first "
        "line), then the label as a PNG or SVG file, as ZPL on standard output, or printed on "
        "a ZPL label printer.",
    )
    label.add_argument("order", metavar="ORDER_ID", help="the order, e.g. OR52000001")
    label.add_argument("--bag", required=True, metavar="N/M", help="bag N of M, e.g. 2/3")
    label.add_argument("--temp", choices=TEMP_CLASSES, default="ambient")
    label.add_argument("--area", metavar="CODE", help="the customer's area code, e.g. KOR-4")
    label.add_argument(
        "--duplicate", action="store_true", help="a reprint: the label says DUPLICATE"
    )
    label.add_argument(
        "--cold-window",
        type=int,
        default=COLD_WINDOW_MIN,
        metavar="MIN",
        help=f"chilled and frozen: hand over within MIN minutes of now (default {COLD_WINDOW_MIN})",
    )
    label.add_argument(
        "--timeout", type=_timeout, default=3.0, metavar="S", help="printer timeout (default 3 s)"
    )
    to = label.add_mutually_exclusive_group(required=True)
    to.add_argument("--png", metavar="FILE", help="write the label as a PNG image")
    to.add_argument("--svg", metavar="FILE", help="write the label as an SVG image")
    to.add_argument("--zpl", action="store_true", help="print the label's ZPL after the bag code")
    to.add_argument(
        "--printer", metavar="URL", help="tcp://HOST[:9100], a serial port, or a pyserial URL"
    )
    label.set_defaults(func=cmd_label)


_timeout = number_type(0.1, 60, "must be a number of seconds from 0.1 to 60")


def cmd_label(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """`picker-app label ORDER_ID --bag N/M ...`: the bag code, then the label where asked."""
    bag, bags = parse_bag_spec(args.bag)
    label = make_bag_label(
        args.order,
        bag,
        bags,
        datetime.now().astimezone(),
        temp=args.temp,
        area=args.area,
        cold_window_min=args.cold_window,
        duplicate=args.duplicate,
    )
    if args.png or args.svg:
        from picker_app.printing.render import write_png, write_svg

        if args.png:
            write_png(label, args.png)
        else:
            write_svg(label, args.svg)
    elif args.printer:
        from picker_app.printing.zpl_printer import LabelPrinter

        LabelPrinter(args.printer, timeout_s=args.timeout).print_label(label)
    out.write(f"{label.bag_id}\n")
    if args.zpl:
        out.write(label_zpl(label))
    return 0
