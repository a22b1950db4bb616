"""Chain backend load (issue 16): simulated devices uploading stock moves at a steady rate to
`picker-app backend serve` on PostgreSQL (--workers processes, publishing to NATS JetStream),
against the same load on the reference backend's SQLite file (one process) as the baseline,
both measured in the same run. Then the same shard under more and more devices, to find the
load one city shard takes before the p99 upload passes 200 ms.

Each device is an async HTTP client of its own (its own connection, as a handheld has),
spread over the stores of one city: every --every seconds it uploads the events it recorded
since (--rate a second: stock_picked and stock_returned of one unit, alternately, on the
store's stocked bins, so that every event moves stock and goes through the outbox), in one
batch, exactly as the app's sync worker does (POST /v1/stores/S/events, its device token); a
transport error or a 5xx is counted and the same batch sent again after its Retry-After (or
0.5 s). Timed: each POST, from its send to its answer. A device that falls behind sends what
it has when it can (a bigger batch), as the app does, so a slow backend shows as latency.
Each run starts with --warmup seconds of the same load, reported apart and not counted: the
devices connecting at once, each backend process's first requests and its pool's first
connections (a second, measured, that a backend started once pays once); then the p99 of
each 10 s of the measured run is printed too.

Both servers are durable as in a store: PostgreSQL with fsync and synchronous_commit on (the
test suite's server has fsync off), the SQLite backend with synchronous=FULL as it ships.

After each run the backend is asked: every device's events are there once, numbered 1..N
with no gap, each applied, none refused; no 5xx; and on PostgreSQL, once the outbox is
empty, every store's stream holds each stock move once, in the order of its outbox, and the
stock rebuilt from the stream equals PostgreSQL's.

    .venv/bin/python bench/chain_bench.py [--devices 64] [--rate 10] [--seconds 60]
        [--every 1.0] [--stores 8] [--workers 2] [--steps 64,128,256,384,512]
        [--step-seconds 20] [--warmup 10] [--no-stream] [--no-baseline]

Needs PostgreSQL's binaries (apt-get install postgresql) and, for the stream, nats-server
(apt-get install nats-server); both are started here, on free loopback ports, and stopped.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.load_bench import free_port, pct, wait_up  # noqa: E402

APP = [sys.executable, "-m", "picker_app.cli"]
STORES = ["BLR-KOR-01", "BLR-HSR-02", "BLR-IND-03", "BLR-WHF-04", "BLR-JPN-05", "BLR-BTM-06",
          "BLR-MRT-07", "BLR-ELC-08", "BLR-YLK-09", "BLR-RRN-10", "BLR-BEL-11", "BLR-MAL-12"]
TARGET_P99_MS = 200.0


@dataclass
class Device:
    name: str
    store: str
    token: str
    bins: list[tuple[str, str]]  # (bin, sku) of the store's stock
    sent: int = 0  # events answered applied
    latencies: list[float] = field(default_factory=list)  # ms, a successful POST each
    at: list[float] = field(default_factory=list)  # s after the start, each POST's send
    sizes: list[int] = field(default_factory=list)  # events applied, each POST
    failures: list[str] = field(default_factory=list)  # 5xx and transport errors
    refused: list[str] = field(default_factory=list)  # events not "applied"


@dataclass
class Run:
    label: str
    devices: list[Device]
    warmup: float  # seconds of load before the measured `seconds`
    seconds: float
    problems: list[str]
    tracebacks: int
    cpu: str = ""  # what each part of the machine used, measured run only

    def _measured(self) -> list[tuple[float, int]]:
        return [(ms, n) for d in self.devices
                for at, ms, n in zip(d.at, d.latencies, d.sizes, strict=True)
                if at >= self.warmup]  # fmt: skip

    @property
    def latencies(self) -> list[float]:
        """Each POST sent after the warm-up: ms from its send to its answer."""
        return [ms for ms, _ in self._measured()]

    @property
    def warm_latencies(self) -> list[float]:
        return [ms for d in self.devices for at, ms in zip(d.at, d.latencies, strict=True)
                if at < self.warmup]  # fmt: skip

    @property
    def rate(self) -> float:
        """Events applied a second, of those sent after the warm-up."""
        return sum(n for _, n in self._measured()) / self.seconds

    def windows(self, width: float = 10.0) -> list[float]:
        """The p99 of the POSTs sent in each `width` seconds of the run."""
        by: dict[int, list[float]] = {}
        for d in self.devices:
            for at, ms in zip(d.at, d.latencies, strict=True):
                if at >= self.warmup:
                    by.setdefault(int((at - self.warmup) // width), []).append(ms)
        return [pct(by[k], 0.99) for k in sorted(by)]


def wire_event(device: str, seq: int, bin_sku: tuple[str, str]) -> dict[str, Any]:
    type_ = "stock_picked" if seq % 2 else "stock_returned"
    return {
        "event_id": str(uuid.uuid4()), "device": device, "seq": seq, "type": type_,
        "user": "U101", "created_at": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime()),
        "payload": {"bin": bin_sku[0], "sku": bin_sku[1], "qty": 1},
    }  # fmt: skip


async def drive(dev: Device, url: str, rate: float, every: float, start: float, end: float,
                rng: random.Random) -> None:  # fmt: skip
    """One device: record `rate` events a second, upload them every `every` s until `end`."""
    seq = 0
    start_perf = time.perf_counter() + (start - time.monotonic())
    recorded_until = start
    pending: list[dict[str, Any]] = []
    pair = rng.choice(dev.bins)
    headers = {"Authorization": f"Bearer {dev.token}", "Content-Type": "application/json"}
    tick = start + rng.random() * every  # devices do not all send at the same instant
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as http:
        while True:
            loop_now = time.monotonic()
            if tick > loop_now:
                await asyncio.sleep(tick - loop_now)
            stop = min(time.monotonic(), end)
            due = int((stop - start) * rate) - int((recorded_until - start) * rate)
            recorded_until = stop
            for _ in range(due):
                seq += 1
                if seq % 2:  # a pick, then its return: the bin's stock stays where it was
                    pair = rng.choice(dev.bins)
                pending.append(wire_event(dev.name, seq, pair))
            while pending:
                batch = pending[:1000]
                body = json.dumps({"device": dev.name, "batch_id": str(uuid.uuid4()),
                                   "events": batch})  # fmt: skip
                while True:  # the same batch until it is answered, as the sync client does
                    t0 = time.perf_counter()
                    try:
                        r = await http.post(f"/v1/stores/{dev.store}/events", content=body,
                                            headers=headers)  # fmt: skip
                    except httpx.HTTPError as err:
                        dev.failures.append(f"{type(err).__name__}: {err}")
                        await asyncio.sleep(0.5)
                        continue
                    if r.status_code >= 500:
                        dev.failures.append(f"{r.status_code}: {r.text[:120]}")
                        await asyncio.sleep(float(r.headers.get("retry-after", 0.5)))
                        continue
                    dev.latencies.append((time.perf_counter() - t0) * 1000)
                    dev.at.append(t0 - start_perf)
                    break
                if r.status_code != 200:
                    dev.refused.append(f"{r.status_code}: {r.text[:160]}")
                    return
                applied = 0
                for result in r.json()["results"]:
                    if result["status"] == "applied":
                        applied += 1
                    else:
                        dev.refused.append(f"{result['status']}: {result.get('reason')}")
                dev.sent += applied
                dev.sizes.append(applied)
                del pending[: len(batch)]
            if stop >= end:
                return
            tick += every


def cpu_ticks() -> dict[str, int]:
    """CPU time used so far (clock ticks) by each part on this machine: the backend's
    processes (its publisher among them), PostgreSQL's, nats-server, these devices (this
    process), the rest; and the machine's own idle and stolen (by the hypervisor) time."""
    parts = {"backend": 0, "postgres": 0, "nats": 0, "devices": 0, "other": 0}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            stat = (proc / "stat").read_text()
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue  # ended meanwhile
        comm, fields = stat[stat.index("(") + 1 : stat.rindex(")")], stat[stat.rindex(")") + 2 :]
        ticks = sum(int(x) for x in fields.split()[11:13])  # utime, stime
        if int(proc.name) == os.getpid():
            parts["devices"] += ticks
        elif comm.startswith("postgres") or cmdline.startswith("postgres"):
            parts["postgres"] += ticks
        elif comm == "nats-server":
            parts["nats"] += ticks
        elif "picker_app.cli backend" in cmdline or "multiprocessing" in cmdline:
            parts["backend"] += ticks
        else:
            parts["other"] += ticks
    cpu = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    parts["idle"] = int(cpu[3]) + int(cpu[4])  # idle, iowait
    parts["stolen"] = int(cpu[7]) if len(cpu) > 7 else 0
    return parts


def cpu_line(before: dict[str, int], after: dict[str, int], seconds: float) -> str:
    """How many of the machine's cores each part used on average."""
    hz = os.sysconf("SC_CLK_TCK")
    used = {k: (after[k] - before[k]) / hz / seconds for k in after}
    return f"CPU (of {os.cpu_count()} cores): " + ", ".join(f"{k} {v:.2f}" for k, v in used.items())


async def load(devices: list[Device], url: str, rate: float, every: float,
               seconds: float, warmup: float = 0.0) -> str:  # fmt: skip
    """Drive the devices for `warmup` + `seconds`; the CPU the parts used in the `seconds`."""
    start = time.monotonic() + 0.5
    rng = random.Random(16)
    ticks: list[dict[str, int]] = []

    async def account() -> None:
        await asyncio.sleep(start + warmup - time.monotonic())
        ticks.append(cpu_ticks())

    accounting = asyncio.create_task(account())
    await asyncio.gather(*(
        drive(d, url, rate, every, start, start + warmup + seconds, random.Random(rng.random()))
        for d in devices
    ))  # fmt: skip
    await accounting
    return cpu_line(ticks[0], cpu_ticks(), time.monotonic() - start - warmup)


class Backend:
    """A served backend: its repository (for seeding and checking) and its process."""

    def __init__(self, kind: str, work: Path, dsn: str = "") -> None:
        self.kind, self.work, self.dsn = kind, work, dsn
        self.db_path = work / "backend.db"
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = work / f"{kind}-serve.log"
        self.url = ""

    def repository(self) -> Any:
        if self.kind == "sqlite":
            from picker_app.backend.server import BackendDB

            return BackendDB(self.db_path)
        from picker_app.backend.repository.postgres import PostgresDB

        return PostgresDB(self.dsn).ready()

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        if self.kind == "sqlite":
            with sqlite3.connect(self.db_path) as conn:
                return conn.execute(sql, params).fetchall()
        import psycopg

        with psycopg.connect(self.dsn) as conn:
            return [tuple(r) for r in conn.execute(sql.replace("?", "%s").encode(), params)]

    def serve(self, workers: int, stream: str) -> None:
        port = free_port()
        where = (["--db", str(self.db_path), "serve"] if self.kind == "sqlite" else
                 ["serve", "--database", self.dsn, "--workers", str(workers),
                  *(["--stream", stream] if stream else [])])  # fmt: skip
        cmd = [*APP, "backend", *where, "--port", str(port), "--order-rate", "0",
               "--store", STORES[0]]  # fmt: skip
        self.proc = subprocess.Popen(
            cmd, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.DEVNULL,
            stderr=self.log.open("w"),
        )  # fmt: skip
        self.url = f"http://127.0.0.1:{port}"
        wait_up(self.url, self.proc, self.log, timeout=120)

    def stop(self) -> int:
        """Stop the server; the tracebacks in its log."""
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.log.read_text().count("Traceback") if self.log.exists() else 0


def seed(backend: Backend, stores: list[str]) -> dict[str, list[tuple[str, str]]]:
    """Every store seeded from the demo's fixtures; each store's stocked (bin, sku)."""
    from picker_app.backend.server import seed_from_fixtures

    db = backend.repository()
    try:
        for store in stores:
            seed_from_fixtures(db, ROOT / "fixtures", store, open_orders=12)
    finally:
        db.close()
    return {s: [(b, k) for b, k in backend.rows(
        "SELECT bin, sku FROM stock WHERE store = ? AND on_hand >= 2 ORDER BY bin, sku", (s,)
    )] for s in stores}  # fmt: skip


def make_devices(backend: Backend, bins: dict[str, list[tuple[str, str]]], n: int,
                 prefix: str) -> list[Device]:  # fmt: skip
    db = backend.repository()
    stores = list(bins)
    try:
        out = []
        for i in range(n):
            store = stores[i % len(stores)]
            name = f"{prefix}-{i + 1:03d}"
            out.append(Device(name, store, db.add_device(store, name), bins[store]))
        return out
    finally:
        db.close()


def check_events(backend: Backend, devices: list[Device]) -> list[str]:
    problems = []
    for d in devices:
        rows = backend.rows(
            "SELECT seq, status, COUNT(*) FROM events WHERE store = ? AND device = ?"
            " GROUP BY seq, status ORDER BY seq", (d.store, d.name),
        )  # fmt: skip
        seqs = [r[0] for r in rows]
        if seqs != list(range(1, len(seqs) + 1)) or len(seqs) != d.sent:
            problems.append(f"{d.name}: {len(seqs)} events held, {d.sent} answered applied,"
                            " or a gap in seq")  # fmt: skip
        if any(r[2] != 1 for r in rows):
            problems.append(f"{d.name}: an event held twice")
        if any(r[1] != "applied" for r in rows):
            problems.append(f"{d.name}: an event not applied")
        if d.refused:
            problems.append(f"{d.name}: {len(d.refused)} refused, e.g. {d.refused[0]}")
        if any(f[:1] == "5" for f in d.failures):
            problems.append(f"{d.name}: {len(d.failures)} failed POSTs, e.g. {d.failures[0]}")
    return problems


def check_stream(backend: Backend, url: str, stores: list[str]) -> tuple[list[str], float]:
    """The stream against PostgreSQL, once the outbox is empty; and how long that took."""
    from picker_app.backend import stream

    t0 = time.perf_counter()
    deadline = time.monotonic() + 300
    while backend.rows("SELECT COUNT(*) FROM stock_outbox WHERE published_at IS NULL")[0][0]:
        if time.monotonic() > deadline:
            return ["the outbox was not emptied in 300 s"], time.perf_counter() - t0
        time.sleep(0.1)
    drained = time.perf_counter() - t0
    problems = []
    for store in stores:
        got = asyncio.run(_read(stream, url, store))
        ids = [m.outbox_id for m in got]
        held = [r[0] for r in backend.rows(
            "SELECT id FROM stock_outbox WHERE store = ? ORDER BY id", (store,))]  # fmt: skip
        if ids != held:
            problems.append(f"{store}: the stream's {len(ids)} messages are not the outbox's "
                            f"{len(held)} rows once each in order")  # fmt: skip
        moved = backend.rows(
            "SELECT COUNT(*) FROM events WHERE store = ? AND status = 'applied'", (store,))[0][0]
        if sum(1 for m in got if m.body["type"] != "stock_loaded") != moved:
            problems.append(f"{store}: the stream's stock moves are not the {moved} applied")
        rebuilt, _ = asyncio.run(stream.rebuild(url, stream.SINGLE_CITY, store))
        stock = {(r[0], r[1]): r[2] for r in backend.rows(
            "SELECT bin, sku, on_hand FROM stock WHERE store = ?", (store,))}  # fmt: skip
        if rebuilt != stock:
            problems.append(f"{store}: the stock rebuilt from the stream is not PostgreSQL's")
    return problems, drained


async def _read(stream: Any, url: str, store: str) -> list[Any]:
    return [m async for m in stream.messages(url, stream.SINGLE_CITY, store)]


def run_one(label: str, backend: Backend, devices: list[Device], args: argparse.Namespace,
            seconds: float, after: Callable[[], list[str]] | None = None) -> Run:  # fmt: skip
    cpu = asyncio.run(load(devices, backend.url, args.rate, args.every, seconds, args.warmup))
    problems = check_events(backend, devices)
    if after is not None:
        problems += after()
    return Run(label, devices, args.warmup, seconds, problems, 0, cpu)


def line(run: Run) -> str:
    ms = run.latencies
    fails = sum(len(d.failures) for d in run.devices)
    warm = run.warm_latencies
    return (f"{run.label:<34} {len(run.devices):>4} dev  {run.rate:7.0f} ev/s  "
            f"POST p50 {statistics.median(ms):6.1f} ms  p99 {pct(ms, 0.99):7.1f} ms  "
            f"max {max(ms):7.1f} ms  retried {fails}\n{'':<34} p99 by 10 s: "
            + " ".join(f"{x:.0f}" for x in run.windows()) + " ms"
            + (f"; the {run.warmup:g} s warm-up before, not counted: p50 "
               f"{statistics.median(warm):.1f} ms, p99 {pct(warm, 0.99):.1f} ms" if warm else "")
            + (f"\n{'':<34} {run.cpu}" if run.cpu else ""))  # noqa: E501  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--devices", type=int, default=64)
    parser.add_argument("--rate", type=float, default=10.0, help="events a second a device")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--every", type=float, default=1.0, help="seconds between uploads")
    parser.add_argument("--stores", type=int, default=8, help="stores of the city (max 12)")
    parser.add_argument("--workers", type=int, default=2, help="backend processes on PostgreSQL")
    parser.add_argument("--steps", default="64,128,256,384,512",
                        help="devices on the shard, a step each, to find where p99 passes 200 ms")
    parser.add_argument("--step-seconds", type=float, default=20.0)
    parser.add_argument("--warmup", type=float, default=10.0,
                        help="seconds of the same load before each measured run, not counted")
    parser.add_argument("--no-stream", action="store_true", help="no NATS: the outbox only")
    parser.add_argument("--no-baseline", action="store_true", help="skip the SQLite run")
    args = parser.parse_args()
    from tests.natsserver import NatsServer, binary
    from tests.pgserver import PgServer

    stores = STORES[: max(1, min(args.stores, len(STORES)))]
    steps = [int(s) for s in args.steps.split(",") if s.strip()]
    print(f"chain bench: {args.devices} devices over {len(stores)} stores, {args.rate:g} events/s"
          f" each, an upload every {args.every:g} s, {args.seconds:g} s; {os.cpu_count()} CPUs"
          " (the devices, the backend and its databases all on this machine)")  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        runs: list[Run] = []
        if not args.no_baseline:
            (work / "sqlite").mkdir()
            sqlite = Backend("sqlite", work / "sqlite")
            bins = seed(sqlite, stores)
            devices = make_devices(sqlite, bins, args.devices, "dev")
            sqlite.serve(1, "")
            try:
                run = run_one("SQLite backend (1 process)", sqlite, devices, args, args.seconds)
            finally:
                tracebacks = sqlite.stop()
            run.tracebacks = tracebacks
            runs.append(run)
            print(line(run), flush=True)
        # Its own folder in /tmp: the server runs as `postgres` when this runs as root, and
        # may not enter this one.
        pg_dir = Path(tempfile.mkdtemp(prefix="chain-bench-pg-"))
        pg = PgServer(pg_dir, durable=True).start()
        nats = None
        try:
            if not args.no_stream:
                if binary() is None:
                    raise SystemExit("no nats-server here (apt-get install nats-server), or "
                                     "--no-stream")  # fmt: skip
                nats = NatsServer(work / "nats").start()
            chain = Backend("postgres", work, pg.new_database())
            bins = seed(chain, stores)
            devices = make_devices(chain, bins, args.devices, "dev")
            stream_url = nats.url if nats else ""
            chain.serve(args.workers, stream_url)
            drained: list[float] = []

            def after() -> list[str]:
                if not nats:
                    return []
                problems, took = check_stream(chain, stream_url, stores)
                drained.append(took)
                return problems

            try:
                label = f"PostgreSQL, {args.workers} processes" + (", stream" if nats else "")
                run = run_one(label, chain, devices, args, args.seconds, after)
                runs.append(run)
                print(line(run), flush=True)
                if drained:
                    print(f"{'':<34} the outbox emptied into the stream {drained[0]:.1f} s "
                          "after the last upload")  # fmt: skip
                print(f"one city shard, {args.step_seconds:g} s a step, devices added until"
                      f" the p99 upload passes {TARGET_P99_MS:g} ms:")  # fmt: skip
                for i, n in enumerate(steps):
                    devs = make_devices(chain, bins, n, f"step{i}")
                    step = run_one(f"  shard step {i + 1}", chain, devs, args, args.step_seconds)
                    runs.append(step)
                    print(line(step), flush=True)
                    if pct(step.latencies, 0.99) > TARGET_P99_MS:
                        break
            finally:
                tracebacks = chain.stop()
                for r in runs[1 if not args.no_baseline else 0:]:
                    r.tracebacks = tracebacks
        finally:
            if nats:
                nats.stop()
            pg.stop()
            shutil.rmtree(pg_dir, ignore_errors=True)
    report(runs)


def report(runs: list[Run]) -> None:
    main_runs = [r for r in runs if not r.label.startswith("  shard")]
    if len(main_runs) == 2:
        base, chain = main_runs
        p99 = pct(chain.latencies, 0.99) / pct(base.latencies, 0.99)
        p50 = statistics.median(chain.latencies) / statistics.median(base.latencies)
        print(f"PostgreSQL against SQLite: p99 x{p99:.2f}, p50 x{p50:.2f}")
    steps = [r for r in runs if r.label.startswith("  shard")]
    under = [r for r in steps if pct(r.latencies, 0.99) <= TARGET_P99_MS]
    if under:
        best = under[-1]
        over = " (no step passed it)" if len(under) == len(steps) else ""
        print(f"one shard held p99 <= {TARGET_P99_MS:g} ms up to {best.rate:.0f} "
              f"events/s ({len(best.devices)} devices){over}")  # fmt: skip
    tracebacks = max((r.tracebacks for r in runs), default=0)
    print(f"tracebacks in the backends' logs: {tracebacks}")
    problems = [p for r in runs for p in r.problems]
    if problems or tracebacks:
        print("PROBLEMS:")
        for p in problems[:20]:
            print("  " + p)
        raise SystemExit(1)
    print("every event once, in order, applied; no 5xx" + (
        "; the stream holds each stock move once, in order, and rebuilds PostgreSQL's stock"
        if any("stream" in r.label for r in runs) else ""))  # fmt: skip


if __name__ == "__main__":
    main()
