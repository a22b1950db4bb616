"""The `picker-app` command: builds things from files and arguments, decides nothing itself."""

from __future__ import annotations

import argparse
import io
import json
import math
import os
import random
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, TextIO

from picker_app.domain.heat import parse_heat
from picker_app.domain.layout import Layout, parse_layout
from picker_app.domain.routing import RoutePlanner
from picker_app.errors import PickerError, UserError
from picker_app.route_view import render_route
from picker_app.shipped import shipped

if TYPE_CHECKING:
    from picker_app.config import Settings

LAYOUTS_DIR = shipped("layouts")
DEMO_LAYOUT = LAYOUTS_DIR / "demo-store.toml"
FIXTURES_DIR = shipped("fixtures")


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


def _number(low: float, high: float, what: str):
    """An argparse type: a finite number from `low` to `high`, or `what` is the complaint."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not (math.isfinite(value) and low <= value <= high):
            raise argparse.ArgumentTypeError(f"{what}, got {text!r}")
        return value

    return parse


# A step onto the busiest cell costs at most 1,001 quiet steps: beyond that the planner avoids
# busy aisles all the same, and larger K only overflows the route's cost.
_congestion = _number(0, 1000, "K must be a number >= 0 (and at most 1000)")
_probability = _number(0, 1, "must be a number from 0 to 1")


def _baud(text: str) -> int:
    """An argparse type: a serial baud rate, the range `Settings.scanner_baud` accepts."""
    if not (text.isascii() and text.isdigit() and 300 <= int(text) <= 921600):
        raise argparse.ArgumentTypeError(f"must be a whole number from 300 to 921600, got {text!r}")
    return int(text)


def _prefix(text: str) -> bytes:
    """An argparse type: bytes written as ASCII text with backslash escapes (\\x02, \\t, \\\\)."""
    import codecs

    try:
        return codecs.decode(text.encode("ascii"), "unicode_escape").encode("latin-1")
    except UnicodeError:
        raise argparse.ArgumentTypeError(
            f"must be ASCII with escapes of bytes such as \\x02 (a backslash is \\\\), got {text!r}"
        ) from None


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


def cmd_app(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """With no subcommand: the app (the demo store on this machine unless configured)."""
    from picker_app.config import load_settings
    from picker_app.launch import run_app

    settings = load_settings(
        overrides={
            "backend_url": args.backend, "token": args.token, "store": args.store,
            "scanner": args.scanner, "scanner_baud": args.baud, "layout": args.layout,
            "db": args.db, "port": args.port,
        }
    )  # fmt: skip
    return run_app(settings, err)


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


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on standard error (and exit status 2)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


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


def cmd_backend(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """`picker-app backend serve|add-device`: the reference order backend."""
    import platformdirs

    from picker_app.backend.server import BackendDB

    db_path = args.db or (
        Path(platformdirs.user_data_dir("picker_app", appauthor=False)) / "backend.db"
    )
    try:
        db = BackendDB(db_path)
    except Exception as e:  # sqlite3 or OS errors: name the file, no traceback
        raise UserError(f"{db_path}: cannot open the backend database: {e}") from None
    if args.backend_command == "add-device":
        token = db.add_device(args.store, args.device or "")
        found = db.device_for(token)
        name = found[0] if found else args.device
        out.write(f"{token}\n")
        err.write(
            f"device token for device {name} of store {args.store} (keep it secret; shown"
            " once); the backend takes events from this token only as that device\n"
        )
        return 0
    import uvicorn

    from picker_app.backend.server import (
        DEFAULT_OPEN_ORDERS,
        create_app,
        place_orders,
        seed_from_fixtures,
    )
    from picker_app.domain.demand import DEMO_DAY, RUSH_FACTOR, arrivals, steady

    _port_free(args.host, args.port)
    day = DEMO_DAY.rushed() if args.rush else DEMO_DAY
    open_orders = args.open_orders
    if open_orders is None:
        open_orders = round(DEFAULT_OPEN_ORDERS * (RUSH_FACTOR if args.rush else 1))
    seeded = seed_from_fixtures(db, FIXTURES_DIR, args.store, open_orders=open_orders, demand=day)
    if seeded:
        err.write(f"seeded store {args.store} from {FIXTURES_DIR}: {seeded}\n")
    if args.order_rate is None or args.order_rate > 0:
        import random
        import threading
        from datetime import UTC, datetime

        now = datetime.now(UTC)
        curve = day if args.order_rate is None else steady(args.order_rate)
        stream = arrivals(curve, now, random.Random(f"arrivals-{args.seed}"))
        threading.Thread(
            target=place_orders, args=(db, args.store, stream, threading.Event()),
            kwargs={"seed": args.seed}, name="orders", daemon=True,
        ).start()  # fmt: skip
        if args.order_rate is not None:
            what = f"{args.order_rate:g} a minute"
        else:
            day_name = "a festival's day" if args.rush else "the day"
            what = f"as {day_name} brings them, {curve.rate(now):.1f} a minute now"
        err.write(f"new orders: {what}\n")
    err.write(f"picker-app backend on http://{args.host}:{args.port} (database {db_path})\n")
    uvicorn.run(create_app(db), host=args.host, port=args.port, log_level="warning")
    return 0


def _port_free(host: str, port: int) -> None:
    """A clear sentence, not uvicorn's traceback, when the port cannot be served."""
    import socket

    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as err:
            raise UserError(
                f"cannot serve on {host}:{port} ({err.strerror}): another program (perhaps a "
                "picker-app already serving the demo) uses it; stop it or pass --port"
            ) from None


def cmd_sync(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """`picker-app sync [--status]`: one sync now, or the state of sync."""
    from picker_app.config import data_dir, load_settings
    from picker_app.embedded import recorded_port
    from picker_app.launch import is_embedded
    from picker_app.store.db import LocalStore, StoreError, health
    from picker_app.sync.client import SyncClient, SyncError, SyncSettings

    settings = load_settings(overrides={"port": args.port})
    cache = settings.db or data_dir() / "picker.db"
    if "port" not in settings.model_fields_set:  # follow the app: the port its device is on
        port = recorded_port(cache)
        settings = settings.model_copy(update={"port": port or settings.port})
    damage = health(cache) if cache.exists() else None
    if damage is not None:  # read it, never open it for writing
        return _damaged(cache, damage, settings, args.status, out, err)
    embedded = None
    if is_embedded(settings):
        # The demo store on this machine: its backend (found running, or started for this sync)
        # and this device's token, kept in the cache since the app's first run.
        from picker_app.embedded import start_embedded

        folder = settings.db.parent if settings.db else data_dir()
        embedded = start_embedded(folder, port=settings.port, store_id=settings.store,
                                  customers=False, cache=settings.db)  # fmt: skip
        settings = settings.model_copy(
            update={"backend_url": embedded.url, "token": embedded.token}
        )
        store = embedded.store
    else:
        store = LocalStore.open(cache)
    try:
        if not settings.token:
            raise UserError(
                "this device has no backend token: run `picker-app backend add-device --store "
                f"{settings.store}` on the backend and set PICKER_APP_TOKEN (or `token` in "
                f"{data_dir() / 'config.toml'})"
            )
        client = SyncClient(
            store, SyncSettings(settings.backend_url, settings.store, settings.token)
        )
        if args.status:
            counts = store.counts()
            state = store.sync_state()
            reachable = client.backend_reachable()
            out.write(
                f"device {store.device}, store {settings.store}, backend {settings.backend_url} "
                f"({'reachable' if reachable else 'NOT reachable'})\n"
                f"events waiting: {counts['pending']}, rejected: {counts['rejected']}, "
                f"sent: {counts['sent']}\n"
                f"last success: {state.get('last_success') or 'never'}\n"
                f"last error: {state.get('last_error') or 'none'}\n"
                f"cursor: {state.get('cursor', 'none (no snapshot yet)')}\n"
            )
            return 0
        try:
            report, changes = client.sync_once()
        except SyncError as e:
            err.write(f"picker-app: sync failed: {e}; {store.counts()['pending']} events kept\n")
            return 1
        except StoreError as e:  # damage that a quick check did not see
            if e.kind != "damaged":
                raise
            store.close()
            return _damaged(store.path, str(e), settings, False, out, err)
        out.write(
            f"sent {report.applied} events ({report.duplicate} already there, "
            f"{report.rejected} rejected); {changes} changes downloaded\n"
        )
        return 0
    finally:
        if embedded is not None:
            embedded.stop()
        else:
            store.close()


def _damaged(
    path: Path, damage: str, settings: Settings, status: bool, out: TextIO, err: TextIO
) -> int:
    """A damaged cache, only read: with --status, said so; else its readable events saved
    beside it and, where the backend answers, sent (each is applied once, however often this
    runs). The file is left as it is, for the store lead."""
    from picker_app.launch import is_embedded
    from picker_app.store.db import rescue
    from picker_app.sync.client import SyncClient, SyncError, SyncSettings

    if status:
        out.write(
            f"local database {path}: DAMAGED ({damage}); run `picker-app sync` to save and "
            "send the events that can still be read, then move it aside\n"
        )
        return 1
    saved = rescue(path)
    url, token = settings.backend_url, settings.token
    if is_embedded(settings):  # the demo's backend, with the token the cache kept
        url, token = f"http://127.0.0.1:{settings.port}", saved.info.get("token")
    sent = ""
    if saved.unsent and token:
        client = SyncClient(None, SyncSettings(url, settings.store, token))
        try:
            report = client.upload_rescued(saved.unsent)
            sent = f", and {report.applied + report.duplicate} of those are now at the backend"
        except SyncError as e:
            sent = f"; they could not be sent yet ({e})"
    lost = f"; {saved.unreadable} could not be read" if saved.unreadable else ""
    err.write(
        f"picker-app: {path}: the local database is damaged and was left untouched. "
        f"{len(saved.events)} readable events ({len(saved.unsent)} not yet sent) were saved to "
        f"{saved.file}{sent}{lost}. Tell your store lead, then move the damaged file aside and "
        "start again.\n"
    )
    return 1


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="picker-app",
        description="Dark-store picking: routes, scans, offline sync. With no command, runs "
        "the app: the demo store on this machine unless a backend is configured.",
    )
    app = parser.add_argument_group("the app (no command)")
    app.add_argument("--backend", metavar="URL", help="the order backend (default: the demo)")
    app.add_argument("--token", help="this device's token, from `backend add-device`")
    app.add_argument("--store", help="store id, e.g. BLR-KOR-01")
    app.add_argument("--scanner", metavar="PORT", help="serial scanner port or pyserial URL")
    app.add_argument("--baud", type=_baud, help="serial scanner baud rate (default 9600)")
    app.add_argument("--layout", metavar="FILE", help="store layout file (default: the backend's)")
    app.add_argument("--db", metavar="FILE", help="local cache (default: in the user data dir)")
    app.add_argument("--port", type=int, help="the demo backend's loopback port (default 8765)")
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

    page = sub.add_parser(
        "scanner",
        help="scanner test page: every scan as it arrives, and what it means",
        description="Read a serial barcode scanner and show each scan with its symbology and "
        "meaning, or why it is refused; line noise is counted as misreads. Ctrl-C ends.",
    )
    page.add_argument("port", help="/dev/ttyACM0, /dev/serial/by-id/..., or a pyserial URL")
    page.add_argument("--baud", type=_baud, default=9600)
    page.add_argument("--parity", choices=["N", "E", "O", "M", "S"], default="N")
    page.add_argument("--bytesize", type=int, choices=[5, 6, 7, 8], default=8)
    page.add_argument("--stopbits", type=float, choices=[1, 1.5, 2], default=1)
    page.add_argument("--terminator", choices=["CR", "LF", "CRLF", "TAB"], default="CR")
    page.add_argument(
        "--prefix", type=_prefix, default=b"", help=r"bytes before each barcode, e.g. \x02"
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
    serve.add_argument("--port", type=int, default=8765)
    serve.add_argument("--store", default="BLR-KOR-01", help="store to seed on first run")
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
    add = backend_sub.add_parser("add-device", help="issue a device token for one store")
    add.add_argument("--store", required=True, help="store id, e.g. BLR-KOR-01")
    add.add_argument(
        "--device", help="the device's name, as it names itself in its uploads (default: a new one)"
    )
    backend.set_defaults(func=cmd_backend)

    sim = sub.add_parser(
        "scanner-sim",
        help="simulate a serial barcode scanner",
        description="Send barcodes as a serial scanner would: on a new pty (its path is "
        "printed) or to --port. Barcodes come from --file (one a line) or are typed.",
    )
    sim.add_argument("--port", help="write to this serial port or pyserial URL, not a new pty")
    sim.add_argument("--baud", type=_baud, default=9600, help="baud rate with --port")
    sim.add_argument("--link", metavar="PATH", help="make PATH a symlink to the new pty")
    sim.add_argument("--file", help="barcodes to send, one a line (default: type them)")
    sim.add_argument("--terminator", choices=["CR", "LF", "CRLF", "TAB"], default="CRLF")
    sim.add_argument("--noise", type=_probability, default=0.0, help="chance of line noise")
    sim.add_argument("--split", type=_probability, default=0.0, help="chance a frame is split")
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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `picker-app`; returns the exit status (2 for user errors)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    func = getattr(args, "func", cmd_app)
    from picker_app.logs import setup

    log_path = setup()
    try:
        return func(args, sys.stdout, sys.stderr)
    except UserError as e:
        sys.stderr.write(f"picker-app: {e}\n")
        return 2
    except PickerError as e:  # e.g. a locked or damaged local database: say so, no traceback
        sys.stderr.write(f"picker-app: {e}\n")
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    except Exception as e:  # a defect of ours: one sentence here, the traceback in the log
        import logging

        logging.getLogger("picker_app").exception("picker-app failed")
        sys.stderr.write(
            f"picker-app: unexpected error ({type(e).__name__}); nothing saved was lost. "
            f"Details are in {log_path}: please send it to the store lead.\n"
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())
