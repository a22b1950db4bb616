"""The command line: every command, option and its help."""

from __future__ import annotations

import argparse

from picker_app.cli.backend import cmd_backend
from picker_app.cli.board import add_board_parser
from picker_app.cli.common import (
    Parser,
    baud_type,
    congestion_type,
    count_days_type,
    number_type,
    prefix_type,
    probability_type,
)
from picker_app.cli.heatmap import add_heatmap_parser
from picker_app.cli.label import add_label_parser
from picker_app.cli.reorder import add_reorder_parser
from picker_app.cli.route import cmd_demo, cmd_route
from picker_app.cli.scale import add_scale_parser
from picker_app.cli.scanner import cmd_scanner, cmd_scanner_sim
from picker_app.cli.shrinkage import add_shrinkage_parser
from picker_app.cli.slotting import add_slotting_parser
from picker_app.cli.sync import cmd_sync
from picker_app.config import DEFAULT_PORT, DEMO_STORE
from picker_app.domain.reorder import REPLENISH_DAYS


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="picker-app",
        description="Dark-store picking: routes, scans, offline sync. With no command, runs "
        "the app: the demo store on this machine unless a backend is configured.",
    )
    app = parser.add_argument_group("the app (no command)")
    app.add_argument("--backend", metavar="URL", help="the order backend (default: the demo)")
    app.add_argument("--token", help="this device's token, from `backend add-device`")
    app.add_argument("--store", help=f"store id, e.g. {DEMO_STORE}")
    app.add_argument("--scanner", metavar="PORT", help="serial scanner port or pyserial URL")
    app.add_argument("--baud", type=baud_type, help="serial scanner baud rate (default 9600)")
    app.add_argument("--layout", metavar="FILE", help="store layout file (default: the backend's)")
    app.add_argument("--db", metavar="FILE", help="local cache (default: in the user data dir)")
    app.add_argument(
        "--printer", metavar="URL",
        help="label printer: tcp://HOST[:PORT] or a serial port (default: PNG files)",
    )
    app.add_argument(
        "--scale", metavar="PORT", help="packing scale (MT-SICS) on this serial port",
    )  # fmt: skip
    app.add_argument(
        "--port", type=int, help=f"the demo backend's loopback port (default {DEFAULT_PORT})"
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
        type=congestion_type,
        default=None,
        help="detour around busy aisles: a step costs cell_m x (1 + K x heat); default 0 (off)",
    )
    route.set_defaults(func=cmd_route)

    page = sub.add_parser(
        "scanner",
        help="scanner test page: every scan as it arrives, and what it means",
        description="Read a serial barcode scanner and show each scan with its symbology and "
        "meaning, or why it is refused; line noise is counted as misreads. Ctrl-C ends.",
    )
    page.add_argument("port", help="/dev/ttyACM0, /dev/serial/by-id/..., or a pyserial URL")
    page.add_argument("--baud", type=baud_type, default=9600)
    page.add_argument("--parity", choices=["N", "E", "O", "M", "S"], default="N")
    page.add_argument("--bytesize", type=int, choices=[5, 6, 7, 8], default=8)
    page.add_argument("--stopbits", type=float, choices=[1, 1.5, 2], default=1)
    page.add_argument("--terminator", choices=["CR", "LF", "CRLF", "TAB"], default="CR")
    page.add_argument(
        "--prefix", type=prefix_type, default=b"", help=r"bytes before each barcode, e.g. \x02"
    )
    page.add_argument(
        "--feedback",
        choices=["off", "honeywell", "datalogic"],
        default="off",
        help="beep the scanner on good and bad reads",
    )
    page.add_argument(
        "--gs-substitute",
        metavar="CHAR",
        default=None,
        help="a character your wedge/serial scanner sends instead of the GS1 separator",
    )
    page.add_argument("--json", action="store_true", help="one JSON object a line, for scripts")
    page.add_argument("--count", type=int, default=None, metavar="N", help="exit after N lines")
    page.set_defaults(func=cmd_scanner)

    sample = sub.add_parser(
        "sample-route", help="print a route for a sample order on the demo store"
    )
    sample.set_defaults(func=cmd_demo)

    sync = sub.add_parser(
        "sync",
        help="sync with the order backend now, or show its state",
        description="Upload recorded events and download changes once (settings: "
        "PICKER_APP_BACKEND, PICKER_APP_STORE, PICKER_APP_TOKEN, PICKER_APP_DB or config.toml).",
    )
    sync.add_argument("--status", action="store_true", help="show the state of sync only")
    sync.add_argument(
        "--port", type=int, help="the demo backend's loopback port (default: the app's)"
    )
    sync.set_defaults(func=cmd_sync)

    backend = sub.add_parser(
        "backend",
        help="the reference order backend",
        description="The reference order backend: serve it, or register a device.",
    )
    backend.add_argument("--db", help="its SQLite database (default: in the user data dir)")
    backend_sub = backend.add_subparsers(dest="backend_command", required=True)
    serve = backend_sub.add_parser("serve", help="serve the backend over HTTP")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=DEFAULT_PORT)
    serve.add_argument("--store", default=DEMO_STORE, help="store to seed on first run")
    serve.add_argument(
        "--open-orders",
        type=int,
        metavar="N",
        help="open orders to seed on first run (default 12; 36 with --rush)",
    )
    serve.add_argument(
        "--order-rate",
        type=float,
        metavar="N",
        help="new customer orders: N a minute, steady (0: none; default: as a day of the demo"
        " store brings them, 900 a day, peaks about 9:30 and 20:00 in Bengaluru)",
    )
    serve.add_argument(
        "--rush", action="store_true", help="a festival peak: three times the orders"
    )
    serve.add_argument("--seed", type=int, default=1, help="seed of the new orders")
    serve.add_argument(
        "--count-days", type=count_days_type, default=(7, 30, 90), metavar="A,B,C",
        help="cycle counts by schedule: days between counts of velocity class A, B and C"
        " (default 7,30,90: weekly, monthly, quarterly)",
    )  # fmt: skip
    serve.add_argument(
        "--replenish-days", type=number_type(0.1, 30, "--replenish-days must be 0.1 to 30"),
        default=REPLENISH_DAYS, metavar="N",
        help="a pick face's minimum: N days of its product's average sales, at least a unit;"
        " a pick that leaves a bin under it opens a replenishment task"
        f" (default {REPLENISH_DAYS:g})",
    )  # fmt: skip
    add = backend_sub.add_parser("add-device", help="issue a device token for one store")
    add.add_argument("--store", required=True, help=f"store id, e.g. {DEMO_STORE}")
    add.add_argument(
        "--device", help="the device's name, as it names itself in its uploads (default: a new one)"
    )
    add.add_argument(
        "--roles", metavar="ROLE,...",
        help="who logs in on it, e.g. picker or packer,lead: its downloads carry only their PIN"
        " hashes, so a lost device gives away fewer (default: every role)",
    )  # fmt: skip
    revoke = backend_sub.add_parser(
        "revoke-device", help="forget a lost device's tokens: it can no longer sync"
    )
    revoke.add_argument("--store", required=True, help=f"store id, e.g. {DEMO_STORE}")
    revoke.add_argument("--device", required=True, help="the device's name")
    migrate = backend_sub.add_parser(
        "migrate",
        help="create or migrate the backend's schema, and nothing else",
        description="Create or migrate the backend's schema: its SQLite file (--db), or with"
        " --database a PostgreSQL database (the chain's); several processes may run it at once.",
    )
    publish = backend_sub.add_parser(
        "publish", help="publish the chain's stock moves to its stream, until stopped",
        description="Publish each city's outbox of stock moves to NATS JetStream (stream"
        " PICKER_STOCK, subjects stock.CITY.STORE), exactly once; `serve --stream` does this"
        " too. Several may run: one a city publishes, the others wait to take over.",
    )  # fmt: skip
    tail = backend_sub.add_parser(
        "tail", help="a store's stock moves on the stream, from the first",
        description="Replay a store's messages on the stream from the start, a line each.",
    )  # fmt: skip
    tail.add_argument("--store", required=True, help=f"store id, e.g. {DEMO_STORE}")
    check = backend_sub.add_parser(
        "stock-check", help="rebuild each store's stock from the stream, compare it",
        description="Rebuild every bin's stock from the stream and compare it with the"
        " database's: exit 1 if a bin differs.",
    )  # fmt: skip
    check.add_argument("--store", help="only this store (default: every store)")
    for command in (serve, publish, tail, check):
        command.add_argument(
            "--stream", metavar="nats://HOST:PORT", required=command is not serve,
            help="NATS with JetStream (nats-server -js)"
            + (": publish every stock move to it (with --database or --shards)"
               if command is serve else ""),
        )  # fmt: skip
    for command in (serve, add, revoke, migrate, publish, tail, check):
        chain = command.add_mutually_exclusive_group()
        chain.add_argument(
            "--database", metavar="postgresql://USER@HOST:PORT/DB",
            help="a PostgreSQL database (the chain's: one city's shard, every store in it)"
            " instead of the SQLite file; its schema is created or migrated",
        )  # fmt: skip
        chain.add_argument(
            "--shards", metavar="FILE",
            help="a shard map (TOML: [cities.NAME] database = ..., stores = [...]): each"
            " store in its city's PostgreSQL database",
        )  # fmt: skip
    serve.add_argument(
        "--workers", type=lambda t: int(number_type(1, 64, "--workers must be 1 to 64")(t)),
        default=1, metavar="N",
        help="serve from N processes at once (needs --database or --shards; default 1)",
    )  # fmt: skip
    backend.set_defaults(func=cmd_backend)

    sim = sub.add_parser(
        "scanner-sim",
        help="simulate a serial barcode scanner",
        description="Send barcodes as a serial scanner would: on a new pty (its path is "
        "printed) or to --port. Barcodes come from --file (one a line) or are typed.",
    )
    sim.add_argument("--port", help="write to this serial port or pyserial URL, not a new pty")
    sim.add_argument("--baud", type=baud_type, default=9600, help="baud rate with --port")
    sim.add_argument("--link", metavar="PATH", help="make PATH a symlink to the new pty")
    sim.add_argument("--file", help="barcodes to send, one a line (default: type them)")
    sim.add_argument("--terminator", choices=["CR", "LF", "CRLF", "TAB"], default="CRLF")
    sim.add_argument("--noise", type=probability_type, default=0.0, help="chance of line noise")
    sim.add_argument("--split", type=probability_type, default=0.0, help="chance a frame is split")
    sim.add_argument("--delay-ms", type=float, default=0.0, help="pause between barcodes")
    sim.add_argument("--seed", type=int, default=0, help="seed of the noise and splits")
    sim.add_argument(
        "--linger",
        type=float,
        default=None,
        metavar="S",
        help="keep the pty open S seconds after the last barcode (default: until Ctrl-C)",
    )
    sim.set_defaults(func=cmd_scanner_sim)
    add_scale_parser(sub)
    add_label_parser(sub)
    add_heatmap_parser(sub)
    add_reorder_parser(sub)
    add_board_parser(sub)
    add_shrinkage_parser(sub)
    add_slotting_parser(sub)
    return parser
