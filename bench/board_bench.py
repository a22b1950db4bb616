"""Store board benchmark (issue 14): one refresh of the lead's board (read, compute, render),
target under 50 ms, against the picker's queue screen's read (its orders and the count waiting)
measured in the same run on the same store.

The store is the demo's (seeded from fixtures/, fixed seed) with --orders open orders, served by
the reference backend on a loopback port. Three samples, each from the call to the drawn text:

- board, store view: GET /v1/stores/{store}/board through the device's sync client (the backend
  reads and computes), then the board's three panes drawn at 100x30 (Rich, as Textual does);
- board, device view: the same from the device's own cache (offline);
- baseline: PickService.queue(12) and waiting(), what the queue screen reads at each refresh.

The device's outbox holds a month of its own work first (--device-days days of --device-lines
picks a day, a QC result for every fourth order, between 06:00 and 10:00; the last day is the
board's): the device view reads today's people, rates and QC error rates from them.

    .venv/bin/python bench/board_bench.py [--orders 36] [--n 300] [--device-lines 800]
        [--device-days 30]
"""

from __future__ import annotations

import argparse
import io
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rich.console import Console

from picker_app.backend.app import ServerThread
from picker_app.backend.server import BackendDB, seed_from_fixtures
from picker_app.domain.events import Discrepancy, QcCompleted, StockPicked
from picker_app.domain.layout import parse_layout
from picker_app.services.board import BoardService, BoardView
from picker_app.services.picking import PickService
from picker_app.store.db import LocalStore
from picker_app.sync.board import fetch_board
from picker_app.sync.client import SyncClient, SyncSettings
from picker_app.ui.screens.lead.board import orders_text, side_text, summary_text

ROOT = Path(__file__).resolve().parent.parent
STORE = "BLR-KOR-01"
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
TARGET_MS = 50.0


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def figures(name: str, ms: list[float]) -> str:
    return (
        f"{name:<28} n={len(ms):>5}  median {statistics.median(ms):6.2f} ms  "
        f"p99 {pct(ms, 0.99):6.2f} ms"
    )


def draw(console: Console, view: BoardView) -> None:
    """The board's panes as the screen draws them at 100x30 (50 + 45 columns, 27 lines)."""
    console.render_lines(summary_text(view), console.options.update_width(98))
    console.render_lines(orders_text(view.board, 27, UTC), console.options.update_width(50))
    console.render_lines(side_text(view.board, 27, UTC), console.options.update_width(45))


def sample(n: int, once: Callable[[], object]) -> list[float]:
    once()  # warm: connections, statement caches
    ms = []
    for _ in range(n):
        t = time.perf_counter()
        once()
        ms.append((time.perf_counter() - t) * 1000)
    return ms


def busy_day(store: LocalStore, lines: int, days: int = 1) -> int:
    """`days` days of this device's work, the last of them the board's: each `lines` picks by
    six pickers (of the catalog's SKUs at their bins, orders of 8 lines) and a QC result for
    every fourth order, one discrepancy in every tenth, stamped between 06:00 and 10:00 of its
    day (the outbox keeps sent events too); the QC results of the board's day."""
    skus = store.conn.execute("SELECT sku, bin FROM sku WHERE bin IS NOT NULL").fetchall()
    qcs = 0
    for day in range(days - 1, -1, -1):
        qcs = 0
        with store.write():
            first = store.conn.execute("SELECT COALESCE(MAX(seq), 0) FROM outbox").fetchone()[0]
            for k in range(lines):
                order, line = f"D{day:02d}-{k // 8:05d}", k % 8 + 1
                sku, bin_ = skus[(k * 37) % len(skus)]
                store.record(StockPicked(order=order, line=line, sku=sku, bin=bin_, qty=1),
                             user=f"U10{k // 8 % 6 + 1}")  # fmt: skip
                if line == 8 and k // 8 % 4 == 0:
                    found = (Discrepancy(line=1, kind="missing", qty=1),) if qcs % 10 == 0 else ()
                    store.record(QcCompleted(order=order, result="pass", discrepancies=found,
                                             packer="U113"), user="U113")  # fmt: skip
                    qcs += 1
            n = store.conn.execute("SELECT MAX(seq) FROM outbox").fetchone()[0] - first
            start = (NOW - timedelta(days=day)).replace(hour=6).timestamp()
            store.conn.execute(  # the real clock stamped them: spread them over the morning
                "UPDATE outbox SET created_at = strftime('%Y-%m-%dT%H:%M:%f+00:00',"
                " ? + ((seq - ?) * 14400.0 / ?), 'unixepoch') WHERE seq > ?",
                (start, first, n + 1, first),
            )
    return qcs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=36, help="open orders (default 36: a rush)")
    parser.add_argument("--n", type=int, default=300, help="refreshes sampled (default 300)")
    parser.add_argument("--device-lines", type=int, default=800,
                        help="lines picked on the device a day (default 800)")  # fmt: skip
    parser.add_argument("--device-days", type=int, default=30,
                        help="days of them in its outbox, today the last (default 30)")
    args = parser.parse_args()
    layout_path = ROOT / "layouts" / "demo-store.toml"
    layout = parse_layout(layout_path.read_text(), str(layout_path))
    console = Console(width=100, height=30, file=io.StringIO(), color_system="truecolor")
    with tempfile.TemporaryDirectory() as tmp:
        db = BackendDB(Path(tmp) / "backend.db")
        seed_from_fixtures(db, ROOT / "fixtures", STORE, open_orders=args.orders, now=NOW)
        server = ServerThread(db)
        try:
            store = LocalStore.open(Path(tmp) / "device.db", device="bench")
            token = db.add_device(STORE, store.device)
            client = SyncClient(store, SyncSettings(server.url, STORE, token))
            client.download_changes()
            qcs = busy_day(store, args.device_lines, args.device_days)
            online = BoardService(store, lambda: NOW, lambda: fetch_board(client))
            offline = BoardService(store, lambda: NOW)
            picking = PickService(store, layout, lambda: NOW, require_bin_scan=False)
            base = sample(args.n, lambda: (picking.queue(limit=12), picking.waiting()))
            store_view = sample(args.n, lambda: draw(console, online.read()))
            device_view = sample(args.n, lambda: draw(console, offline.read()))
            rows = len(online.read().board.rows)
        finally:
            server.stop()
    print(f"store board bench: {args.orders} open orders seeded, {rows} on the board; the "
          f"device holds {args.device_days} days of {args.device_lines} picks, {qcs} QC "
          f"results today; "
          f"target {TARGET_MS:.0f} ms a refresh")  # fmt: skip
    print(figures("baseline: queue screen read", base))
    print(figures("board, store view", store_view))
    print(figures("board, device view", device_view))
    worst = max(pct(store_view, 0.99), pct(device_view, 0.99))
    verdict = "under" if worst < TARGET_MS else "OVER"
    print(f"p99 of a refresh {worst:.2f} ms: {verdict} the {TARGET_MS:.0f} ms target")


if __name__ == "__main__":
    main()
