"""Burst benchmark (issue 15): the backend's side of a store's devices coming back online at once.

`picker-app backend serve` runs in a process of its own on loopback, seeded from fixtures/. Eight
devices (threads of this process, each with its own httpx client and token) each hold a batch of
500 picks ready (built before the clock starts, so no device's own work is timed) and post it at
the same instant, released by a barrier; then one device posts one batch of 500 alone (the
baseline, in the same run). Repeated for --rounds rounds; the first is left out (warm-up).

The picks cycle through every stocked bin of the demo store, so bins run empty and the effects
open zero-confirm counts and replenishment tasks as they would. Printed: latency of a batch
posted with seven others and alone (median, p99, max), and the events a second the backend took.

    PYTHONPATH=. .venv/bin/python bench/burst_bench.py [--devices 8] [--batch 500] [--rounds 8]
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx

from bench.load_bench import line, wait_up
from picker_app.backend.server import BackendDB, seed_from_fixtures
from picker_app.wire import EventBatch, WireEvent

ROOT = Path(__file__).resolve().parent.parent
STORE = "BLR-KOR-01"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--devices", type=int, default=8)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=8)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "backend.db"
        db = BackendDB(path)
        seed_from_fixtures(db, ROOT / "fixtures", STORE)
        names = [f"burst-{i + 1}" for i in range(args.devices)]
        tokens = {n: db.add_device(STORE, n) for n in names}
        picks = db.conn.execute("SELECT sku, bin FROM stock WHERE store = ?", (STORE,)).fetchall()
        db.conn.close()
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        server = subprocess.Popen(
            [sys.executable, "-m", "picker_app.cli", "backend", "--db", str(path), "serve",
             "--port", str(port), "--order-rate", "0"],
            env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.DEVNULL,
            stderr=(Path(tmp) / "backend.log").open("w"),
        )  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        try:
            wait_up(url)
            together, alone, wall = run(url, names, tokens, picks, args)
        finally:
            server.terminate()
            server.wait(10)
        tracebacks = (Path(tmp) / "backend.log").read_text().count("Traceback")
    events = args.devices * args.batch * (args.rounds - 1)
    print(f"burst bench: {args.devices} devices each post {args.batch} picks at one instant, "
          f"{args.rounds - 1} rounds (after one warm-up), {os.cpu_count()} CPUs")  # fmt: skip
    print(line("baseline: one batch alone", alone))
    print(line(f"one of {args.devices} posted together", together))
    print(f"{events} events in {wall:.1f} s of bursts: {events / wall:.0f} events/s; "
          f"tracebacks in the backend's log: {tracebacks}")


def run(
    url: str, names: list[str], tokens: dict[str, str], picks: list, args: argparse.Namespace
) -> tuple[list[float], list[float], float]:
    seqs = dict.fromkeys(names, 0)
    clients = {
        n: httpx.Client(
            headers={"Authorization": f"Bearer {tokens[n]}", "Content-Type": "application/json"},
            timeout=60,
        )
        for n in names
    }

    def body(name: str, start: int) -> str:
        events = []
        for i in range(args.batch):
            seqs[name] += 1
            sku, bin_ = picks[(start + i) % len(picks)]
            events.append(WireEvent(
                event_id=str(uuid.uuid4()), device=name, seq=seqs[name], type="stock_picked",
                user="U101", created_at="2026-11-25T10:00:00+05:30",
                payload={"sku": sku, "bin": bin_, "qty": 1},
            ))  # fmt: skip
        return EventBatch(device=name, batch_id=str(uuid.uuid4()), events=events).model_dump_json()

    def post(name: str, content: str) -> float:
        t0 = time.perf_counter()
        response = clients[name].post(f"{url}/v1/stores/{STORE}/events", content=content)
        response.raise_for_status()
        if any(r["status"] != "applied" for r in response.json()["results"]):
            raise SystemExit(f"{name}: an event was not applied")
        return (time.perf_counter() - t0) * 1000

    together: list[float] = []
    alone: list[float] = []
    wall = 0.0
    for r in range(args.rounds):
        bodies = {n: body(n, (r * len(names) + i) * args.batch) for i, n in enumerate(names)}
        barrier = threading.Barrier(len(names))
        times: dict[str, float] = {}

        def send(name: str, content: str, barrier: threading.Barrier, times: dict) -> None:
            barrier.wait()
            times[name] = post(name, content)

        t0 = time.perf_counter()
        threads = [
            threading.Thread(target=send, args=(n, bodies[n], barrier, times)) for n in names
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if r:
            wall += time.perf_counter() - t0
            together.extend(times.values())
        single = post(names[0], body(names[0], r * args.batch))
        if r:
            alone.append(single)
        time.sleep(0.3)
    return together, alone, wall


if __name__ == "__main__":
    main()
