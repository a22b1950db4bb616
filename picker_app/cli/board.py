"""`picker-app board`: the store lead's live board in this terminal, against the configured
backend or the demo store on this machine; `--serve PORT` serves it to browsers on the store's
network (textual-serve: each browser gets a board of its own, run as `picker-app board`)."""

from __future__ import annotations

import argparse
import os
import shlex
import socket
import sys
from typing import TYPE_CHECKING, TextIO

from picker_app.cli.common import Parser
from picker_app.config import DEFAULT_PORT

if TYPE_CHECKING:
    from picker_app.parts import Parts
    from picker_app.services.board import BoardService

WILDCARD = ("0.0.0.0", "::", "")


def board_service(parts: Parts) -> BoardService:
    """The board on these parts: the backend's view through their sync client, the cache's
    when it cannot be reached."""
    assert parts.board is not None  # bootstrap.assemble makes it
    return parts.board


def _settings(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from picker_app.config import load_settings

    return load_settings(
        overrides={
            "backend_url": args.backend, "token": args.token, "store": args.store,
            "db": args.db, "port": args.port,
        }
    )  # fmt: skip


def _say(err: TextIO):  # type: ignore[no-untyped-def]
    def say(text: str) -> None:
        err.write(f"{text}\n")

    return say


def public_url(host: str, port: int) -> str:
    """Where browsers reach the board: the host given, or this machine's address on the
    store's network when it serves on every address."""
    if host not in WILDCARD:
        return f"http://{host}:{port}"
    try:  # the address this machine would use to reach the network (nothing is sent)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("10.255.255.255", 1))
            address = s.getsockname()[0]
    except OSError:
        address = socket.gethostname()
    return f"http://{address}:{port}"


def cmd_board(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from picker_app.bootstrap import from_settings

    settings = _settings(args)
    parts = from_settings(settings, _say(err))
    try:
        if args.serve is not None:
            return _serve(args, settings.token, out)
        from picker_app.ui.board import BoardApp

        app = BoardApp(board_service(parts), settings.store, parts.sync_client, args.interval)
        parts.wake.append(app.board.action_refresh_board)
        app.run()
    finally:
        parts.stop()
    return 0


def _serve(args: argparse.Namespace, token: str | None, out: TextIO) -> int:
    """Serve the board until Ctrl+C (this process keeps the demo backend, when it started it,
    for the boards it serves)."""
    from textual_serve.server import Server

    passed = [
        f"--{name}={value}"
        for name, value in (("backend", args.backend), ("store", args.store), ("db", args.db),
                            ("port", args.port), ("interval", args.interval))
        if value is not None
    ]  # fmt: skip
    if token:  # to the boards it starts, never on their command line
        os.environ["PICKER_APP_TOKEN"] = token
    command = shlex.join([sys.executable, "-m", "picker_app.cli", "board", *passed])
    url = public_url(args.host, args.serve)
    out.write(f"The store board: open {url}/ in a browser (Ctrl+C stops serving)\n")
    out.flush()
    Server(command, host=args.host, port=args.serve, title="Store board",
           public_url=url).serve()  # fmt: skip
    return 0


def _port(text: str) -> int:
    if not (text.isascii() and text.isdigit() and 0 < int(text) < 65536):
        raise argparse.ArgumentTypeError(f"must be a port number from 1 to 65535, got {text!r}")
    return int(text)


def _interval(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 0.5 <= value <= 600:
        raise argparse.ArgumentTypeError(f"must be 0.5 to 600 seconds, got {text!r}")
    return value


def add_board_parser(sub: argparse._SubParsersAction[Parser]) -> None:
    board = sub.add_parser(
        "board",
        help="the store lead's live board (kiosk size, 100x30, or a browser with --serve)",
        description="Open orders against the promise (at risk first), the people at work, "
        "today's out-of-stock flags, count tasks and the devices' sync: the backend's view, "
        "or this device's own when the backend cannot be reached.",
    )
    board.add_argument("--backend", metavar="URL", help="the order backend (default: the demo)")
    board.add_argument("--token", help="this device's token, from `backend add-device`")
    board.add_argument("--store", help="store id")
    board.add_argument("--db", metavar="FILE", help="local cache (default: in the user data dir)")
    board.add_argument(
        "--port", type=_port, help=f"the demo backend's loopback port (default {DEFAULT_PORT})"
    )
    board.add_argument(
        "--interval", type=_interval, default=5.0, metavar="S",
        help="read the board again every S seconds (default 5)",
    )  # fmt: skip
    board.add_argument(
        "--serve", type=_port, metavar="PORT", help="serve the board to browsers on this port"
    )
    board.add_argument(
        "--host", default="127.0.0.1",
        help="address to serve on with --serve (0.0.0.0: the store's network; default loopback)",
    )  # fmt: skip
    board.set_defaults(func=cmd_board)
