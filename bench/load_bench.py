"""Load benchmark (issue 15): several devices, each a real client process, syncing to the
reference backend (`picker-app backend serve` in a process of its own, on loopback) while they
record and while customer orders stream in.

Each device records a burst of picks every --interval seconds (its own events, in its own
cache, synchronous=FULL as the app does), then uploads what it holds in batches of --batch and
downloads the changes, as the sync worker does; it times each upload (one POST and the marking
of its answer) and each download. Orders stream in at the backend at --order-rate a minute.

After the run every device syncs until its outbox is empty and the backend is asked: each
device's events are there once, numbered 1..N with no gap, and none was refused or failed.
Printed: upload and download latency (median, p99, max), the time a burst takes to be sent
(from its first upload until its last is answered), events a second, and the same devices
alone in the same run (one device, the others idle) as the baseline.

With --send-at S every device records its burst (each scan its own durable transaction, as
the app saves them), then all send it at the same instant, S seconds after the burst began: the
backend's side of a store's devices coming back online together, apart from the eight devices'
own recording, which on one 2-core machine would otherwise take the CPU their uploads wait for.

    .venv/bin/python bench/load_bench.py [--devices 8] [--seconds 30] [--burst 10]
        [--interval 1.0] [--batch 10] [--order-rate 30] [--send-at 0] [--no-download]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STORE = "BLR-KOR-01"


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def line(name: str, ms: list[float]) -> str:
    if not ms:
        return f"{name:<32} n=    0"
    return (f"{name:<32} n={len(ms):>6}  median {statistics.median(ms):7.1f} ms  "
            f"p99 {pct(ms, 0.99):7.1f} ms  max {max(ms):7.1f} ms")  # fmt: skip


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def client(args: argparse.Namespace) -> None:
    """One device: record bursts, upload and download, until --seconds have passed; then
    write its timings to --out."""
    from picker_app.domain.events import StockPicked
    from picker_app.store.db import LocalStore
    from picker_app.sync.client import SyncClient, SyncError, SyncSettings

    store = LocalStore.open(Path(args.cache), device=args.device)
    settings = SyncSettings(args.url, STORE, args.token, batch_size=args.batch)
    sync = SyncClient(store, settings)
    sync.download_changes()
    picks = store.conn.execute("SELECT sku, bin FROM sku WHERE bin IS NOT NULL").fetchall()
    uploads: list[float] = []
    drains: list[float] = []  # a burst's uploads, from the first send until all are answered
    downloads: list[float] = []
    errors: list[str] = []
    recorded = 0
    if args.epoch:  # all devices start their bursts at the same wall-clock instants
        time.sleep(max(0.0, float(args.epoch) - time.time()))
    deadline = time.monotonic() + args.seconds
    next_burst = time.monotonic()
    while time.monotonic() < deadline:
        for _ in range(args.burst):
            sku, bin_ = picks[recorded % len(picks)]
            with store.write():
                store.record(StockPicked(sku=sku, bin=bin_, qty=1), user="U101")
            recorded += 1
        if args.send_at:  # every device sends what it recorded at the same instant
            time.sleep(max(0.0, next_burst + args.send_at - time.monotonic()))
        try:
            started = time.perf_counter()
            while True:
                t0 = time.perf_counter()
                if sync.upload_batch() is None:
                    break
                uploads.append((time.perf_counter() - t0) * 1000)
            drains.append((time.perf_counter() - started) * 1000)
            if not args.no_download:
                t0 = time.perf_counter()
                sync.download_changes()
                downloads.append((time.perf_counter() - t0) * 1000)
        except SyncError as err:
            errors.append(str(err))
        next_burst += args.interval
        time.sleep(max(0.0, next_burst - time.monotonic()))
    for _ in range(20):  # what is left, until the outbox is empty
        try:
            sync.upload_all()
            break
        except SyncError as err:
            errors.append(str(err))
    left = store.counts()
    store.close()
    Path(args.out).write_text(json.dumps({
        "device": args.device, "recorded": recorded, "uploads": uploads,
        "drains": drains, "downloads": downloads, "errors": errors, "left": left,
    }))  # fmt: skip


def run_devices(
    url: str, tokens: dict[str, str], work: Path, args: argparse.Namespace, active: list[str]
) -> tuple[list[dict], float]:
    """Run a client process for each device in `active` at once; their reports and the wall
    time."""
    procs = []
    devices = Path(tempfile.mkdtemp(dir=args.device_dir)) if args.device_dir else work
    started = time.perf_counter()
    # With --send-at, the bursts start together, a few seconds on (each device downloads its
    # snapshot first).
    epoch = time.time() + 2 + 0.5 * len(active) if args.send_at else 0
    for name in active:
        cmd = [
            sys.executable, __file__, "--client", "--device", name, "--token", tokens[name],
            "--url", url, "--cache", str(devices / f"{name}.db"),
            "--out", str(work / f"{name}.json"),
            "--seconds", str(args.seconds), "--burst", str(args.burst),
            "--interval", str(args.interval), "--batch", str(args.batch),
            "--send-at", str(args.send_at), "--epoch", str(epoch),
            *(["--no-download"] if args.no_download else []),
        ]  # fmt: skip
        procs.append(subprocess.Popen(cmd, env={**os.environ, "PYTHONPATH": str(ROOT)}))
    for p in procs:
        if p.wait() != 0:
            raise SystemExit(f"a device process failed (exit {p.returncode})")
    wall = time.perf_counter() - started
    return [json.loads((work / f"{n}.json").read_text()) for n in active], wall


def check(db: Path, reports: list[dict]) -> list[str]:
    """What the backend holds against what the devices recorded: problems, as sentences."""
    problems = []
    conn = sqlite3.connect(db)
    for r in reports:
        rows = conn.execute(
            "SELECT seq, status, COUNT(*) FROM events WHERE store = ? AND device = ?"
            " GROUP BY seq ORDER BY seq",
            (STORE, r["device"]),
        ).fetchall()
        seqs = [s for s, _, _ in rows]
        if seqs != list(range(1, len(seqs) + 1)):
            problems.append(f"{r['device']}: seq not 1..N")
        if any(n != 1 for _, _, n in rows):
            problems.append(f"{r['device']}: an event applied twice")
        if any(status != "applied" for _, status, _ in rows):
            problems.append(f"{r['device']}: an event not applied")
        if r["left"].get("pending", 0):
            problems.append(f"{r['device']}: {r['left']['pending']} events still on the device")
        if r["errors"]:
            problems.append(f"{r['device']}: {len(r['errors'])} sync errors, e.g. {r['errors'][0]}")
    conn.close()
    return problems


@dataclass
class Load:
    """One load run: the devices' reports (and the lone device's), its wall time, the
    backend's file and the tracebacks in its log."""

    alone: list[dict]
    reports: list[dict]
    wall: float
    db: Path
    tracebacks: int


def run_load(args: argparse.Namespace, work: Path, baseline: bool = True) -> Load:
    """Seed a backend in `work`, serve it as its own process (streaming orders in at
    --order-rate), and run --devices device processes against it at once (after one device
    alone, with `baseline`)."""
    from picker_app.backend.server import BackendDB, seed_from_fixtures

    db_path = work / "backend.db"
    db = BackendDB(db_path)
    seed_from_fixtures(db, ROOT / "fixtures", STORE)
    names = [f"load-{i + 1}" for i in range(args.devices)] + ["alone"]
    tokens = {n: db.add_device(STORE, n) for n in names}
    db.conn.close()
    port = free_port()
    backend = subprocess.Popen(
        [sys.executable, "-m", "picker_app.cli", "backend", "--db", str(db_path), "serve",
         "--port", str(port), "--order-rate", str(args.order_rate)],
        env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.DEVNULL,
        stderr=(work / "backend.log").open("w"),
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    alone: list[dict] = []
    try:
        wait_up(url)
        if baseline:
            alone, _ = run_devices(url, tokens, work, args, ["alone"])
        reports, wall = run_devices(url, tokens, work, args, names[:-1])
    finally:
        backend.terminate()
        backend.wait(10)
    tracebacks = (work / "backend.log").read_text().count("Traceback")
    return Load(alone, reports, wall, db_path, tracebacks)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--devices", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--burst", type=int, default=10, help="events a device records at once")
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between bursts")
    parser.add_argument("--batch", type=int, default=10, help="events an upload carries at most")
    parser.add_argument("--order-rate", type=float, default=30.0, help="new orders a minute")
    parser.add_argument(
        "--send-at", type=float, default=0.0,
        help="seconds after a burst starts when every device sends it, all at the same instant "
        "(0: each sends as soon as it has recorded its burst)",
    )  # fmt: skip
    parser.add_argument(
        "--device-dir", default="",
        help="where the devices' caches are (default: beside the backend's database, on the "
        "same disk; /dev/shm stands for devices with storage of their own, not the backend's)",
    )  # fmt: skip
    parser.add_argument(
        "--no-download", action="store_true",
        help="devices only upload (to see what the downloads of the others' changes cost)",
    )
    parser.add_argument("--epoch", type=float, default=0.0, help=argparse.SUPPRESS)
    parser.add_argument("--client", action="store_true", help=argparse.SUPPRESS)
    for name in ("--device", "--token", "--url", "--cache", "--out"):
        parser.add_argument(name, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client:
        client(args)
        return
    with tempfile.TemporaryDirectory() as tmp:
        load = run_load(args, Path(tmp))
        problems = check(load.db, load.alone + load.reports)
    alone, reports, wall, tracebacks = load.alone, load.reports, load.wall, load.tracebacks
    events = sum(r["recorded"] for r in reports)
    print(f"load bench: {args.devices} devices, each a process, {args.seconds:g} s, a burst of "
          f"{args.burst} picks every {args.interval:g} s, batches of {args.batch}, "
          f"{args.order_rate:g} new orders a minute, {os.cpu_count()} CPUs")  # fmt: skip
    print(line("baseline: one device, upload", alone[0]["uploads"]))
    print(line("baseline: one device, download", alone[0]["downloads"]))
    print(line("baseline: one device, a burst sent", alone[0]["drains"]))
    print(line(f"{args.devices} devices, upload", [x for r in reports for x in r["uploads"]]))
    print(line(f"{args.devices} devices, a burst sent", [x for r in reports for x in r["drains"]]))
    print(line(f"{args.devices} devices, download", [x for r in reports for x in r["downloads"]]))
    print(f"{events} events recorded and sent in {wall:.1f} s: {events / wall:.0f} events/s")
    print(f"tracebacks in the backend's log: {tracebacks}")
    print("every event once, in order, none refused" if not problems else "PROBLEMS:")
    for p in problems:
        print("  " + p)


def wait_up(url: str, proc: subprocess.Popen[bytes] | None = None, log: Path | None = None,
            timeout: float = 60) -> None:  # fmt: skip
    """Until the backend at `url` answers; the process `proc` (its stderr in `log`) ending
    first ends the bench with what it said."""
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            said = log.read_text()[-2000:] if log is not None else ""
            raise SystemExit(f"the backend ended: {said}")
        try:
            if httpx.get(f"{url}/v1/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"the backend did not answer at {url}")


if __name__ == "__main__":
    main()
