"""`picker-app shrinkage`: the store lead's shrinkage report from the backend's database, read
only: approved counts and write-offs over the last `--days`, by bin, aisle, zone, reason and day,
as a share of the period's sales against `--target`; the largest losses; the counts' accuracy.
The reading and the report are the backend's (backend/repository/sqlite_shrinkage.py and
backend/shrinkage.py, as `GET /v1/stores/{store}/shrinkage` has them); this opens the file."""

from __future__ import annotations

import argparse
import json
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from datetime import datetime
from pathlib import Path
from typing import TextIO

from picker_app.cli.common import Parser, load_layout, number_type
from picker_app.domain.layout import Layout
from picker_app.domain.shrinkage import DAYS, TARGET_PCT, TOP, report_lines
from picker_app.errors import UserError


def whole_type(low: int, high: int, what: str) -> Callable[[str], int]:
    """An argparse type: a whole number from `low` to `high`, or `what` is the complaint."""

    def parse(text: str) -> int:
        clean = text.strip()
        if not (clean.isascii() and clean.isdigit() and low <= int(clean) <= high):
            raise argparse.ArgumentTypeError(f"{what}, got {text!r}")
        return int(clean)

    return parse


def moment_type(text: str) -> datetime:
    """An argparse type: an ISO 8601 time (without an offset: this machine's local time)."""
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be an ISO time such as 2026-11-25T18:00+05:30, got {text!r}"
        ) from None
    return when if when.tzinfo is not None else when.astimezone()


def _no_backend(path: Path) -> UserError:
    return UserError(
        f"no backend database at {path}: start the app once (make run) or give --database"
    )


@contextmanager
def read_only(path: Path) -> Iterator[sqlite3.Connection]:
    """The backend's database opened read-only (it is never written or locked by the report),
    or the sentence that it is not there or not a backend's."""
    from picker_app.backend.repository.sqlite_shrinkage import TABLES

    if not path.is_file():
        raise _no_backend(path)
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error:
        raise _no_backend(path) from None
    with closing(conn):
        try:
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        except sqlite3.DatabaseError:
            raise _no_backend(path) from None
        if not set(TABLES) <= tables:
            raise _no_backend(path)
        try:
            yield conn
        except sqlite3.Error as e:
            raise UserError(f"{path}: cannot read the backend database: {e}") from None


def _store(conn: sqlite3.Connection, wanted: str | None, path: Path) -> str:
    """The store asked for, or the only store of the database, or the demo store."""
    from picker_app.backend.repository.sqlite_shrinkage import store_ids
    from picker_app.config import DEMO_STORE

    stores = store_ids(conn)
    store = wanted or (stores[0] if len(stores) == 1 else DEMO_STORE)
    if store not in stores:
        known = ", ".join(stores) or "none"
        raise UserError(f"store {store} is not in {path} (its stores: {known}): give --store")
    return store


def _layout(named: str, store: str, given: str | None, err: TextIO) -> Layout | None:
    """The store's layout: `given`, or the one the backend names (`named`: its text, or a
    shipped file such as layouts/demo-store.toml); None, said on `err`, when there is none."""
    if given:
        return load_layout(given)
    from picker_app.backend.shrinkage import stored_layout

    layout, why = stored_layout(named, store)
    if layout is None:
        err.write(f"picker-app: zones unknown: {why}\n")
    return layout


def cmd_shrinkage(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from picker_app.backend.repository.sqlite_shrinkage import shrinkage_inputs
    from picker_app.backend.shrinkage import report_of
    from picker_app.config import BACKEND_FILE, data_dir

    path = Path(args.database) if args.database else data_dir() / BACKEND_FILE
    until = args.now or datetime.now().astimezone()

    with read_only(path) as conn:
        store = _store(conn, args.store, path)
        inputs = shrinkage_inputs(conn, store)
    layout = _layout(inputs.layout, store, args.layout, err)
    report = report_of(inputs, layout, until, args.days, args.target, args.top)
    if inputs.unreadable:
        err.write(f"picker-app: {inputs.unreadable} records without a readable time left out\n")
    if args.json:
        out.write(json.dumps({"store": store, "days": args.days, **report.to_json()}) + "\n")
        return 0
    names = {sku: name for sku, (_, name) in inputs.catalog.items()}
    title = f"shrinkage at {store}, {args.days} days"
    out.write("\n".join(report_lines(report, title, names, args.top)) + "\n")
    return 0


def add_shrinkage_parser(sub: argparse._SubParsersAction[Parser]) -> None:
    shrink = sub.add_parser(
        "shrinkage",
        help="the store lead's shrinkage report",
        description="Stock lost over the last --days (approved counts and write-offs) by bin, "
        "aisle, zone, reason and day, as a share of the period's sales against --target; the "
        "largest losses; how accurate the counts were. Reads the backend's database only.",
    )
    shrink.add_argument(
        "--database", metavar="FILE",
        help="the backend's database (default: the demo's, in the user data dir)",
    )  # fmt: skip
    shrink.add_argument(
        "--store", help="store id (default: the database's only store, or the demo)"
    )
    shrink.add_argument(
        "--days", metavar="N", type=whole_type(1, 366, "must be a whole number from 1 to 366"),
        default=DAYS, help=f"days of the period, ending now (default {DAYS})",
    )  # fmt: skip
    shrink.add_argument(
        "--target", metavar="PCT", type=number_type(0, 100, "must be 0 to 100 (% of sales)"),
        default=TARGET_PCT, help=f"the store's target, %% of sales (default {TARGET_PCT:g})",
    )  # fmt: skip
    shrink.add_argument(
        "--top", metavar="N", type=whole_type(0, 1000, "must be a whole number from 0 to 1000"),
        default=TOP, help=f"bins and losses listed (default {TOP})",
    )  # fmt: skip
    shrink.add_argument("--layout", metavar="FILE", help="layout file (default: the backend's)")
    shrink.add_argument(
        "--now",
        metavar="TIME",
        type=moment_type,
        help="the end of the period, ISO 8601 (default: now)",
    )
    shrink.add_argument("--json", action="store_true", help="print one JSON object")
    shrink.set_defaults(func=cmd_shrinkage)
