"""Sync benchmark (issue 4): the time to record one event durably, and the time to upload
10,000 queued events to the reference backend under uvicorn on loopback.

And the time to download and apply a full snapshot of the demo store (target under 1 s).

Each sample is one `LocalStore.write()` transaction that changes stock and appends one outbox
event, committed with WAL and synchronous=FULL (fsync), on a fresh database in a temporary
directory of this machine's disk. Baseline in the same run: the same transaction with
synchronous=OFF (no fsync), to show what durability costs. Target: p99 under 10 ms.

Upload: 10,000 events recorded on a fresh device, then `SyncClient.upload_all()` in batches of
500 to the backend on an ephemeral loopback port; wall time until the outbox is empty. Baseline
in the same run: the same batches applied by the backend's database directly (no HTTP).
Target: under 5 s.

    .venv/bin/python bench/sync_bench.py [--events 2000] [--upload 10000]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from picker_app.backend.server import BackendDB, ServerThread, seed_from_fixtures
from picker_app.domain.events import StockPicked
from picker_app.store.db import LocalStore
from picker_app.sync.client import SyncClient, SyncSettings
from picker_app.wire import EventBatch, WireEvent


def measure(path: Path, events: int, synchronous: str) -> list[float]:
    store = LocalStore.open(path, device="bench")
    store.writer.execute(f"PRAGMA synchronous = {synchronous}")
    with store.write() as conn:
        conn.execute("INSERT INTO stock (bin, sku, on_hand) VALUES ('A07-2', 'SKU-1', 1e9)")
    times = []
    for _ in range(events):
        t0 = time.perf_counter()
        with store.write() as conn:
            conn.execute("UPDATE stock SET on_hand = on_hand - 1 WHERE bin = 'A07-2'")
            store.record(StockPicked(bin="A07-2", sku="SKU-1", qty=1))
        times.append((time.perf_counter() - t0) * 1000)
    store.close()
    return times


def fill(path: Path, n: int) -> LocalStore:
    store = LocalStore.open(path, device="bench")
    with store.write():
        for _ in range(n):
            store.record(StockPicked(bin="A07-2", sku="SKU-1", qty=1))
    return store


def upload(tmp: Path, n: int) -> tuple[float, float]:
    """(seconds over HTTP, seconds applying the same batches directly)."""
    db = BackendDB(tmp / "backend.db")
    token = db.add_device("BENCH", "bench")
    server = ServerThread(db)
    store = fill(tmp / "device.db", n)
    settings = SyncSettings(server.url, "BENCH", token, batch_size=500)
    t0 = time.perf_counter()
    report = SyncClient(store, settings).upload_all()
    http_s = time.perf_counter() - t0
    assert report.applied == n and store.counts()["pending"] == 0
    server.stop()
    # Baseline: the same events, batches of 500, straight into a fresh backend database.
    direct = BackendDB(tmp / "direct.db")
    events = [
        WireEvent(
            event_id=e.event_id, device=e.device, seq=e.seq, type=e.type, user=e.user,
            created_at=e.created_at, payload=e.payload,
        )
        for e in fill(tmp / "device2.db", n).pending(limit=n)
    ]  # fmt: skip
    t0 = time.perf_counter()
    for i in range(0, n, 500):
        direct.apply_batch(
            "BENCH", EventBatch(device="bench", batch_id=str(i), events=events[i : i + 500])
        )
    return http_s, time.perf_counter() - t0


def snapshot_apply(tmp: Path, repeats: int = 5) -> tuple[dict[str, int], list[float]]:
    """Seed a backend from fixtures/ (1,991 SKUs, stock, 300 open orders), then time a device
    downloading and applying its snapshot."""
    db = BackendDB(tmp / "snap-backend.db")
    fixtures = Path(__file__).resolve().parent.parent / "fixtures"
    counts = seed_from_fixtures(db, fixtures, "BENCH", open_orders=300)  # a heavy snapshot
    token = db.add_device("BENCH", "bench")
    server = ServerThread(db)
    times = []
    for i in range(repeats):
        store = LocalStore.open(tmp / f"snap-device-{i}.db", device="bench")
        client = SyncClient(store, SyncSettings(server.url, "BENCH", token))
        t0 = time.perf_counter()
        client.download_snapshot()
        times.append(time.perf_counter() - t0)
        store.close()
    server.stop()
    return counts, times


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--upload", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=Path.cwd()) as tmp:
        durable = measure(Path(tmp) / "full.db", args.events, "FULL")
        loose = measure(Path(tmp) / "off.db", args.events, "OFF")
        http_s, direct_s = upload(Path(tmp), args.upload)
        snap_counts, snap_times = snapshot_apply(Path(tmp))
    p99 = pct(durable, 0.99)
    print(f"sync_bench: {args.events} events, one transaction each (stock change + outbox event)")
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
    print(
        f"upload {args.upload} queued events in batches of 500 over HTTP on loopback: "
        f"{http_s:.2f} s ({args.upload / http_s:,.0f} events/s); baseline, applied directly: "
        f"{direct_s:.2f} s ({http_s / direct_s:.1f}x)"
    )
    print(f"  {'PASS' if http_s < 5 else 'FAIL'}  under 5 s: {http_s:.2f} s")
    print(
        f"apply a full snapshot of the demo store ({snap_counts}) to a device: "
        f"median {statistics.median(snap_times):.3f} s, max {max(snap_times):.3f} s "
        f"(download + validate + one transaction)"
    )
    print(f"  {'PASS' if max(snap_times) < 1 else 'FAIL'}  under 1 s: {max(snap_times):.3f} s")


if __name__ == "__main__":
    main()
