"""Local cache benchmark: the time to record one event durably (issue 4's first figure).

Each sample is one `LocalStore.write()` transaction that changes stock and appends one outbox
event, committed with WAL and synchronous=FULL (fsync), on a fresh database in a temporary
directory of this machine's disk. Baseline in the same run: the same transaction with
synchronous=OFF (no fsync), to show what durability costs. Target: p99 under 10 ms.

    .venv/bin/python bench/store_bench.py [--events 2000]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from picker_app.store.db import LocalStore


def measure(path: Path, events: int, synchronous: str) -> list[float]:
    store = LocalStore.open(path, device="bench")
    store.conn.execute(f"PRAGMA synchronous = {synchronous}")
    with store.write() as conn:
        conn.execute("INSERT INTO stock (bin, sku, on_hand) VALUES ('A07-2', 'SKU-1', 1e9)")
    times = []
    for i in range(events):
        t0 = time.perf_counter()
        with store.write() as conn:
            conn.execute("UPDATE stock SET on_hand = on_hand - 1 WHERE bin = 'A07-2'")
            store.record("stock_picked", {"bin": "A07-2", "sku": "SKU-1", "qty": 1, "n": i})
        times.append((time.perf_counter() - t0) * 1000)
    store.close()
    return times


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=Path.cwd()) as tmp:
        durable = measure(Path(tmp) / "full.db", args.events, "FULL")
        loose = measure(Path(tmp) / "off.db", args.events, "OFF")
    p99 = pct(durable, 0.99)
    print(f"store_bench: {args.events} events, one transaction each (stock change + outbox event)")
    print(
        f"  synchronous=FULL (durable): p50 {statistics.median(durable):.3f} ms, "
        f"p99 {p99:.3f} ms, max {max(durable):.3f} ms"
    )
    print(
        f"  synchronous=OFF (baseline, not durable): p50 {statistics.median(loose):.3f} ms, "
        f"p99 {pct(loose, 0.99):.3f} ms; durability costs "
        f"{statistics.median(durable) / statistics.median(loose):.1f}x at the median"
    )
    print(f"  {'PASS' if p99 < 10 else 'FAIL'}  p99 under 10 ms: {p99:.3f} ms")


if __name__ == "__main__":
    main()
