"""`picker-app scanner` (the test page) and `scanner-sim`."""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, TextIO

from picker_app.errors import UserError

if TYPE_CHECKING:
    pass

from picker_app.cli.common import (
    read_text,
)


def cmd_scanner_sim(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """`picker-app scanner-sim`: send barcodes as a serial scanner would."""
    from picker_app.scanner.sim import SimSettings, open_pty, run_simulator, wait_for_reader

    settings = SimSettings(
        terminator=args.terminator,
        noise=args.noise,
        split=args.split,
        delay_s=args.delay_ms / 1000,
        seed=args.seed,
    )
    if args.file:
        lines: Iterable[str] = read_text(args.file, "barcode file").splitlines()
    else:
        lines = sys.stdin
    codes = (line.strip() for line in lines if line.strip())
    if args.port:
        import serial

        try:
            port = serial.serial_for_url(args.port, baudrate=args.baud)
        except (serial.SerialException, OSError, ValueError) as e:
            raise UserError(f"{args.port}: cannot open the port: {e}") from None
        with port:
            sent = run_simulator(codes, settings, port.write)
        err.write(f"scanner-sim: sent {sent} barcodes to {args.port}\n")
        return 0
    master, path = open_pty(args.link)
    out.write(f"scanner-sim: a scanner on {path}  (try: picker-app scanner {path})\n")
    out.flush()
    try:
        err.write("scanner-sim: waiting for the app to open it...\n")
        wait_for_reader(master)
        if not args.file:
            out.write("Type a barcode and Enter to scan it; Ctrl-D when done.\n")
            out.flush()
        sent = run_simulator(codes, settings, lambda data: os.write(master, data))
        err.write(f"scanner-sim: sent {sent} barcodes\n")
        if args.linger is None:
            err.write("scanner-sim: Ctrl-C to unplug the scanner\n")
            while True:
                time.sleep(3600)
        time.sleep(args.linger)
    finally:
        os.close(master)
        if args.link and os.path.islink(args.link):
            os.unlink(args.link)
    return 0

def cmd_scanner(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """`picker-app scanner PORT`: the scanner test page."""
    import queue

    from pydantic import ValidationError

    from picker_app.domain.scan import ScanConfig
    from picker_app.scanner.framing import FramingConfig
    from picker_app.scanner.page import Tally, run_page
    from picker_app.scanner.serial_reader import SerialScanner, SerialSettings

    try:
        config = ScanConfig(gs_substitute=args.gs_substitute)
    except ValidationError as e:
        raise UserError(f"--gs-substitute: {e.errors()[0]['msg']}") from None
    settings = SerialSettings(
        port=args.port,
        baudrate=args.baud,
        parity=args.parity,
        bytesize=args.bytesize,
        stopbits=args.stopbits,
        framing=FramingConfig(terminator=args.terminator, prefix=args.prefix),
        feedback=args.feedback,
    )
    events: queue.Queue = queue.Queue()
    scanner = SerialScanner(settings, events.put)
    tally = Tally()
    scanner.start()
    try:
        run_page(scanner, events, out, err, args.json, args.count, config, tally)
    except KeyboardInterrupt:
        pass
    finally:
        scanner.stop()
    if not args.json:
        out.write(f"{tally.scans} scans, {tally.rejected} refused, {tally.misreads} misreads\n")
    return 0
