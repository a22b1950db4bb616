"""`picker-app scale-sim`: a packing scale on a pty, its weight typed at the keyboard."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any, TextIO

from picker_app.cli.common import number_type
from picker_app.errors import UserError

_grams = number_type(-1_000_000, 1_000_000, "must be a weight in grams, e.g. 512")
_capacity = number_type(1, 1_000_000, "must be a weight in grams from 1, e.g. 15000")


def cmd_scale_sim(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """`picker-app scale-sim`: an MT-SICS scale on a new pty, its weight changed from stdin."""
    from picker_app.scale.sim import CONSOLE_HELP, ScaleSim, console

    sim = ScaleSim(grams=args.grams, unit=args.unit, link=args.link, capacity_g=args.capacity_g)
    try:
        sim.start()
    except OSError as e:
        where = args.link or "a new pty"
        raise UserError(f"{where}: cannot make the scale's pty: {e.strerror or e}") from None
    try:
        out.write(
            f"scale-sim: a scale on {sim.path}  (MT-SICS in {args.unit}, any baud rate; "
            "connect the packing station's scale to it)\n"
        )
        out.write(f"{CONSOLE_HELP}\n")
        out.flush()
        for line in sys.stdin:
            try:
                said = console(sim, line)
            except ValueError as e:
                err.write(f"scale-sim: {e}\n")
                continue
            if said is None:
                return 0
            out.write(f"scale-sim: {said}\n")
            out.flush()
        err.write("scale-sim: no more input; the scale stays on until Ctrl-C\n")
        while True:
            time.sleep(3600)
    finally:
        sim.stop()


def add_scale_parser(sub: argparse._SubParsersAction[Any]) -> None:
    """Add `scale-sim` to the command's subparsers."""
    sim = sub.add_parser(
        "scale-sim",
        help="simulate a packing scale (MT-SICS)",
        description="A packing scale on a new pty (its path is printed) answering MT-SICS S and "
        "SI. Type +512 to put 512 g on it, -200 to take 200 g off, =0 to empty it, u to make it "
        "wobble, g to garble a reply, b to make it busy, q to quit.",
    )
    sim.add_argument("--grams", type=_grams, default=0.0, help="weight on it at the start")
    sim.add_argument("--unit", choices=["kg", "g", "lb"], default="kg", help="unit it replies in")
    sim.add_argument(
        "--capacity-g", type=_capacity, default=15000.0, help="above it, it reports overload"
    )
    sim.add_argument("--link", metavar="PATH", help="make PATH a symlink to the new pty")
    sim.set_defaults(func=cmd_scale_sim)
