"""`picker-app` with no command: the app."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    pass



def cmd_app(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """With no subcommand: the app (the demo store on this machine unless configured)."""
    from picker_app.config import load_settings
    from picker_app.launch import run_app

    settings = load_settings(
        overrides={
            "backend_url": args.backend, "token": args.token, "store": args.store,
            "scanner": args.scanner, "scanner_baud": args.baud, "layout": args.layout,
            "db": args.db, "port": args.port, "printer": args.printer, "scale": args.scale,
        }
    )  # fmt: skip
    return run_app(settings, err)
