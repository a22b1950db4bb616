"""`picker-app shrinkage`: the store lead's shrinkage report from the backend's database, read
only: approved counts and write-offs over the last `--days`, by bin, aisle, zone, reason and day,
as a share of the period's sales against `--target`; the largest losses; the counts' accuracy."""

from __future__ import annotations

import argparse
import json
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TextIO

from picker_app.cli.common import Parser, load_layout, number_type
from picker_app.domain.counting import velocity_classes
from picker_app.domain.layout import BinCodeError, Layout, parse_layout
from picker_app.domain.shrinkage import (
    TARGET_PCT,
    TOP,
    CountRecord,
    Sale,
    WriteOff,
    report_lines,
    shrinkage_report,
)
from picker_app.errors import UserError

DAYS = 30
_TABLES = ("variances", "count_tasks", "losses", "events", "catalog", "store_meta")
_WRITE_OFFS = ("stock_expired", "stock_damaged")


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


def _when(text: object) -> datetime | None:
    """A stored time (ISO 8601; without an offset: UTC), or None when it cannot be read."""
    if not isinstance(text, str):
        return None
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def _no_backend(path: Path) -> UserError:
    return UserError(
        f"no backend database at {path}: start the app once (make run) or give --database"
    )


@contextmanager
def read_only(path: Path) -> Iterator[sqlite3.Connection]:
    """The backend's database opened read-only (it is never written or locked by the report),
    or the sentence that it is not there or not a backend's."""
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
        if not set(_TABLES) <= tables:
            raise _no_backend(path)
        try:
            yield conn
        except sqlite3.Error as e:
            raise UserError(f"{path}: cannot read the backend database: {e}") from None


def _store(conn: sqlite3.Connection, wanted: str | None, path: Path) -> str:
    """The store asked for, or the only store of the database, or the demo store."""
    from picker_app.config import DEMO_STORE

    stores = sorted(r[0] for r in conn.execute("SELECT DISTINCT store FROM catalog"))
    store = wanted or (stores[0] if len(stores) == 1 else DEMO_STORE)
    if store not in stores:
        known = ", ".join(stores) or "none"
        raise UserError(f"store {store} is not in {path} (its stores: {known}): give --store")
    return store


def _layout(conn: sqlite3.Connection, store: str, given: str | None, err: TextIO) -> Layout | None:
    """The store's layout: `given`, or the one the backend names (its text, or a shipped
    file such as layouts/demo-store.toml); None, said on `err`, when there is none to read."""
    if given:
        return load_layout(given)
    from picker_app.shipped import shipped_file

    row = conn.execute("SELECT layout FROM store_meta WHERE store = ?", (store,)).fetchone()
    named = (row[0] or "") if row else ""
    try:
        if "\n" in named:
            return parse_layout(named, f"the layout of {store}")
        if named:
            return load_layout(shipped_file(named))
    except UserError as e:
        err.write(f"picker-app: zones unknown: {e}\n")
        return None
    err.write(f"picker-app: zones unknown: the backend names no layout of {store}\n")
    return None


def _places(layout: Layout | None, bins: set[str]) -> dict[str, tuple[str, str]]:
    """(aisle, zone) of each bin code the layout knows."""
    out: dict[str, tuple[str, str]] = {}
    for code in bins:
        if layout is None:
            continue
        try:
            bay = layout.bin(code).bay
        except BinCodeError:
            continue
        out[code] = (bay.aisle, bay.zone)
    return out


def read_records(
    conn: sqlite3.Connection, store: str
) -> tuple[list[CountRecord], list[WriteOff], list[Sale], int]:
    """The store's approved counts (with the lead's reason), write-offs (at their event's
    time), applied picks, and how many records had no readable time (left out)."""
    unreadable = 0
    counts: list[CountRecord] = []
    for task, bin_, sku, expected, counted, at, why in conn.execute(
        "SELECT v.task_id, v.bin, v.sku, v.expected, v.counted, v.at, t.decided_why"
        " FROM variances v LEFT JOIN count_tasks t ON t.store = v.store AND t.id = v.task_id"
        " WHERE v.store = ? ORDER BY v.rowid",
        (store,),
    ):
        when = _when(at)
        if when is None or counted is None:
            unreadable += 1
            continue
        counts.append(CountRecord(task, bin_, sku, expected, float(counted), when, why))
    times: dict[str, str] = {}
    for event_id, created_at in conn.execute(
        "SELECT event_id, created_at FROM events WHERE store = ? AND status = 'applied'"
        f" AND type IN ({', '.join('?' * len(_WRITE_OFFS))}) ORDER BY rowid",
        (store, *_WRITE_OFFS),
    ):
        times.setdefault(event_id, created_at)
    write_offs: list[WriteOff] = []
    for event_id, kind, bin_, sku, qty in conn.execute(
        "SELECT event_id, kind, bin, sku, qty FROM losses WHERE store = ? ORDER BY rowid",
        (store,),
    ):
        when = _when(times.get(event_id))
        if when is None or qty is None:
            unreadable += 1
            continue
        write_offs.append(WriteOff(event_id, kind, bin_, sku, float(qty), when))
    sales: list[Sale] = []
    for payload, created_at in conn.execute(
        "SELECT payload, created_at FROM events WHERE store = ? AND type = 'stock_picked'"
        " AND status = 'applied' ORDER BY rowid",
        (store,),
    ):
        when = _when(created_at)
        try:
            p = json.loads(payload)
            sale = Sale(str(p["sku"]), float(p["qty"]), when) if when else None
        except (ValueError, KeyError, TypeError):
            sale = None
        if sale is None:
            unreadable += 1
        else:
            sales.append(sale)
    # The store's sales from before the backend took its orders (the seeded order history).
    for placed_at, sku, qty in conn.execute(
        "SELECT placed_at, sku, qty FROM order_history WHERE store = ?", (store,)
    ):
        when = _when(placed_at)
        if when is None or qty is None:
            unreadable += 1
        else:
            sales.append(Sale(sku, float(qty), when))
    return counts, write_offs, sales, unreadable


def _classes(conn: sqlite3.Connection, store: str) -> dict[str, str]:
    """The velocity class of each SKU, as the backend judges a count's tolerance by (its pick
    lines in the order history)."""
    picks = {s: 0 for (s,) in conn.execute("SELECT sku FROM catalog WHERE store = ?", (store,))}
    for sku, n in conn.execute(
        "SELECT sku, COUNT(*) FROM order_history WHERE store = ? GROUP BY sku", (store,)
    ):
        picks[sku] = int(n)
    return dict(velocity_classes(picks))


def cmd_shrinkage(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from picker_app.config import BACKEND_FILE, data_dir

    path = Path(args.database) if args.database else data_dir() / BACKEND_FILE
    until = args.now or datetime.now().astimezone()
    since = until - timedelta(days=args.days)
    with read_only(path) as conn:
        store = _store(conn, args.store, path)
        counts, write_offs, sales, unreadable = read_records(conn, store)
        catalog = list(
            conn.execute("SELECT sku, price, name FROM catalog WHERE store = ?", (store,))
        )
        classes = _classes(conn, store)
        bins = {c.bin for c in counts} | {w.bin for w in write_offs if w.bin}
        places = _places(_layout(conn, store, args.layout, err), bins)
    report = shrinkage_report(
        counts, write_offs, sales,
        prices={sku: float(price) for sku, price, _ in catalog if price is not None},
        places=places, since=since, until=until, classes=classes,
        target_pct=args.target, top=args.top, tz=until.tzinfo or UTC,
    )  # fmt: skip
    if unreadable:
        err.write(f"picker-app: {unreadable} records without a readable time left out\n")
    if args.json:
        out.write(json.dumps({"store": store, "days": args.days, **report.to_json()}) + "\n")
        return 0
    names = {sku: name for sku, _, name in catalog}
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
