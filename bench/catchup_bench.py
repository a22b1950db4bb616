"""Catch-up benchmark (issue 15): what a device does after the store's other devices come back
online together: download and apply their stock changes.

The reference backend (in-process, on a loopback port, seeded from fixtures/) takes --devices
batches of --batch picks from other devices, cycling through every stocked bin; then one device,
which had synced before, downloads the changes (pages of 500, each applied with its cursor in
one transaction, as the sync worker does). Repeated --rounds times. Baseline in the same run:
the same device taking a full snapshot of the store instead.

    PYTHONPATH=. .venv/bin/python bench/catchup_bench.py [--devices 8] [--batch 500] [--rounds 5]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from bench.load_bench import line
from picker_app.backend.server import BackendDB, ServerThread, seed_from_fixtures
from picker_app.store.db import LocalStore
from picker_app.sync.client import SyncClient, SyncSettings
from picker_app.wire import EventBatch, WireEvent

ROOT = Path(__file__).resolve().parent.parent
STORE = "BLR-KOR-01"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--devices", type=int, default=8)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = BackendDB(Path(tmp) / "backend.db")
        seed_from_fixtures(db, ROOT / "fixtures", STORE)
        token = db.add_device(STORE, "catching-up")
        picks = db.conn.execute("SELECT sku, bin FROM stock WHERE store = ?", (STORE,)).fetchall()
        server = ServerThread(db)
        store = LocalStore.open(Path(tmp) / "device.db", device="catching-up")
        client = SyncClient(store, SyncSettings(server.url, STORE, token))
        client.download_changes()
        seqs: dict[str, int] = {}
        catch_up: list[float] = []
        snapshot: list[float] = []
        changes = 0
        try:
            for r in range(args.rounds):
                for d in range(args.devices):
                    name = f"other-{d + 1}"
                    events = []
                    for i in range(args.batch):
                        seqs[name] = seqs.get(name, 0) + 1
                        sku, bin_ = picks[((r * args.devices + d) * args.batch + i) % len(picks)]
                        events.append(WireEvent(
                            event_id=str(uuid.uuid4()), device=name, seq=seqs[name],
                            type="stock_picked", user="U101",
                            created_at="2026-11-25T10:00:00+05:30",
                            payload={"sku": sku, "bin": bin_, "qty": 1},
                        ))  # fmt: skip
                    db.apply_batch(
                        STORE, EventBatch(device=name, batch_id=str(uuid.uuid4()), events=events)
                    )
                t0 = time.perf_counter()
                changes += client.download_changes()
                catch_up.append((time.perf_counter() - t0) * 1000)
                t0 = time.perf_counter()
                client.download_snapshot()
                snapshot.append((time.perf_counter() - t0) * 1000)
        finally:
            server.stop()
            store.close()
    print(f"catch-up bench: after {args.devices} devices' batches of {args.batch} picks, "
          f"{len(picks)} stocked bins, {args.rounds} rounds, {changes // args.rounds} changes "
          "a round")  # fmt: skip
    print(line("baseline: a snapshot of the store", snapshot))
    print(line("the changes, downloaded and applied", catch_up))
    ratio = statistics.median(catch_up) / statistics.median(snapshot)
    print(f"catch-up / snapshot (medians): {ratio:.2f}")


if __name__ == "__main__":
    main()
