"""Packing benchmark (issue 13): the time of one QC scan through the packer's service (judged,
then kept in the cache with WAL and synchronous=FULL before the packer hears "OK"), against the
picker's item scan through the picker's service (judged, then its stock_picked event and state
change committed the same way) measured in the same run on the same orders; and the time to
render one bag label as ZPL, PNG and SVG.

The orders are the demo store's (seeded from fixtures/, fixed seed), picked in full by the
picker's service first (that is the baseline's sample), then checked by the packer's service
unit by unit (the QC sample). Each sample is one scan, from the scanned text to the call's
return (interpret, judge, commit).

    .venv/bin/python bench/pack_bench.py [--orders 60] [--labels 200]
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from picker_app.backend.server import BackendDB, seed_from_fixtures, snapshot
from picker_app.domain.labels import label_zpl, make_bag_label
from picker_app.domain.layout import parse_layout
from picker_app.domain.scan import interpret
from picker_app.printing.render import label_png, label_svg
from picker_app.services.packing import PackService
from picker_app.services.picking import PickService
from picker_app.store.db import LocalStore

ROOT = Path(__file__).resolve().parent.parent
STORE = "BLR-KOR-01"
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def figures(name: str, ms: list[float]) -> str:
    return (
        f"{name:<34} n={len(ms):>5}  median {statistics.median(ms):6.2f} ms  "
        f"p99 {pct(ms, 0.99):6.2f} ms"
    )


def gtin(store: LocalStore, sku: str) -> str:
    return store.conn.execute("SELECT gtin FROM sku_barcode WHERE sku = ?", (sku,)).fetchone()[0]


def run(orders: int, labels: int) -> None:
    layout_path = ROOT / "layouts" / "demo-store.toml"
    layout = parse_layout(layout_path.read_text(), str(layout_path))
    with tempfile.TemporaryDirectory() as tmp:
        db = BackendDB(Path(tmp) / "backend.db")
        seed_from_fixtures(db, ROOT / "fixtures", STORE, open_orders=orders, now=NOW)
        snap = snapshot(db, STORE)
        store = LocalStore.open(Path(tmp) / "device.db", device="bench")
        store.apply_snapshot(snap)

        def clock() -> datetime:
            return NOW

        picking = PickService(store, layout, clock, require_bin_scan=False)
        packing = PackService(store, layout, clock)
        pick_ms: list[float] = []
        qc_ms: list[float] = []
        weighed = {
            r[0]
            for r in store.conn.execute(
                "SELECT DISTINCT l.order_id FROM order_line l JOIN sku s ON s.sku = l.sku"
                " WHERE s.unit = 'kg'"
            )
        }
        ids = [
            r[0]
            for r in store.conn.execute(
                "SELECT id FROM orders WHERE state = 'confirmed' ORDER BY id"
            )
            if r[0] not in weighed
        ]
        for n, order_id in enumerate(ids):
            task = picking.start("U101", {order_id: f"TT{n + 1:06d}"})
            session = task.session
            while not session.finished:
                line = session.current
                code = gtin(store, line.sku)
                for _ in range(int(line.qty)):
                    t0 = time.perf_counter()
                    decision = session.scan(interpret(code))
                    picking.save(task, decision.events)
                    pick_ms.append((time.perf_counter() - t0) * 1000)
                    if session.current is not line:
                        break
            picking.finish(task)
            job = packing.open(order_id)
            for qc_line in job.qc.order.lines:
                code = gtin(store, qc_line.sku)
                for _ in range(qc_line.units):
                    t0 = time.perf_counter()
                    packing.scan(job, interpret(code), "U113")
                    qc_ms.append((time.perf_counter() - t0) * 1000)
            packing.finish(job, "U113")
        store.close()

    rng = random.Random(13)
    zpl_ms: list[float] = []
    png_ms: list[float] = []
    svg_ms: list[float] = []
    for i in range(labels):
        label = make_bag_label(
            f"OR{52000001 + i}", 1 + i % 3, 3, NOW,
            temp=rng.choice(("ambient", "chilled", "frozen")), area="KRM-4",
        )  # fmt: skip
        for out, render in ((zpl_ms, label_zpl), (png_ms, label_png), (svg_ms, label_svg)):
            t0 = time.perf_counter()
            render(label)
            out.append((time.perf_counter() - t0) * 1000)

    print(f"pack_bench: {len(ids)} orders of the demo store, {labels} labels")
    print(figures("picker's item scan (baseline)", pick_ms))
    print(figures("QC scan through the service", qc_ms))
    ratio = statistics.median(qc_ms) / statistics.median(pick_ms)
    tail = pct(qc_ms, 0.99) / pct(pick_ms, 0.99)
    print(f"QC scan / picker's scan: median {ratio:.2f}x, p99 {tail:.2f}x")
    print(figures("label as ZPL", zpl_ms))
    print(figures("label as PNG", png_ms))
    print(figures("label as SVG", svg_ms))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=60, help="demo orders to pick and pack")
    parser.add_argument("--labels", type=int, default=200, help="labels to render")
    args = parser.parse_args()
    run(args.orders, args.labels)


if __name__ == "__main__":
    main()
