"""Fault report (issue 15): the suite's fault scenarios at 10 times the counts CI runs, in one
table: scenario, count, events lost, events doubled, integrity failures, failed saves,
tracebacks, other findings, p99.

Scenarios (CI's counts at --scale 1; the tests named run them in CI):

- kill-scans: the recorder killed with SIGKILL at random moments (200) and at each of its five
  fixed points (20 each): tests/test_kill_scans.py's harness; p99 of a scan written to its
  acknowledgement.
- kill-downloads: a download killed as it is applied, at random (40) and at each of four fixed
  points (15 each): tests/test_kill_sync.py. Its checks are of orders and cursors, not events:
  a failed one is an "other finding".
- kill-backend: the backend process killed (100 times) under two uploading devices.
- network: 500 batches of 4 events through the fault proxy (tests/faultproxy.py: 20% faults of
  seven kinds, 5% answered 500 after they were applied); p99 of an upload that got its answer.
- backend-down: 2,000 scans recorded while the backend is down (retried every 500), then
  uploaded in batches of 500; p99 of those uploads.
- disk-full: the cache's page limit lowered to its size (SQLite answers SQLITE_FULL) and
  scans saved until they are refused, an upload tried, the limit lifted, more scans saved
  and all uploaded (10 rounds; CI fills a disk once each way, tests/test_full_disk.py).
- load: bench/load_bench.py's 8 device processes against the backend process (3 s at
  --scale 1; 30 s at 10); p99 of an upload.

Every count comes of a check that ran: a kill round's checks (tests/killkit) raise Finding at
the first violation, so the kill scenarios run in chunks of CHUNK rounds and a finding costs
only the rest of its chunk; it is counted in its column (lost, doubled, integrity, save or
other) and the next chunk goes on. Events lost and doubled elsewhere are counted by comparing
each device's outbox with the backend's events; integrity failures are `PRAGMA
integrity_check` not ok on a cache or a backend; failed saves are saves that raised other than
the full disk's sentence; tracebacks are "Traceback" in this run's stderr (the in-process
backends, clients and devices, and an error of a scenario's own that is not a check's
finding, printed whole and counted as an other finding too), the fork server's children's
and the backend processes' logs.

    PYTHONPATH=. .venv/bin/python bench/fault_report.py [--scale 10] [--only SCENARIO ...]

At --scale 10 it takes some 22 minutes on 2 cores; --scale 1 about 3.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import sqlite3
import sys
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
STORE = "BLR-KOR-01"
CHUNK = 100  # kill rounds a chunk
LANES = 2
SEED = 15


def pct(values: Sequence[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


@dataclass
class Row:
    """One scenario's line of the table, its counts from the checks that ran."""

    scenario: str
    count: str = ""
    lost: int | None = 0  # None: not a question this scenario asks
    doubled: int | None = 0
    integrity: int = 0
    failed_saves: int | None = 0
    tracebacks: int = 0
    other: int = 0
    p99_ms: float | None = None
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def finding(self, err: BaseException) -> None:
        """Count what a failed check or an unexpected error says (a Finding names its kind)."""
        kind = getattr(err, "kind", "other")
        events = int(getattr(err, "events", 1))
        if kind == "lost" and self.lost is not None:
            self.lost += events
        elif kind == "doubled" and self.doubled is not None:
            self.doubled += events
        elif kind == "integrity":
            self.integrity += 1
        elif kind == "save" and self.failed_saves is not None:
            self.failed_saves += 1
        else:
            self.other += 1
        message = str(err).splitlines()[0] if str(err) else type(err).__name__
        self.notes.append(f"FINDING ({kind}): {message[:300]}")
        if not hasattr(err, "kind"):  # not a check's finding: a defect, shown whole
            traceback.print_exception(err)


class Logs:
    """This run's stderr (fd 2, so threads and child processes too) into a file, and the other
    logs that tracebacks are counted in."""

    def __init__(self, work: Path) -> None:
        self.path = work / "stderr.log"
        self.extra: list[Path] = []  # more files or folders whose files are read
        self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        sys.stderr.flush()
        self._saved = os.dup(2)
        os.dup2(self._fd, 2)

    def tracebacks(self) -> int:
        sys.stderr.flush()
        files = [self.path]
        for p in self.extra:
            files += sorted(f for f in p.rglob("*") if f.is_file()) if p.is_dir() else [p]
        return sum(f.read_text(errors="replace").count("Traceback") for f in files if f.exists())

    def first_traceback(self) -> str:
        text = self.path.read_text(errors="replace")
        at = text.find("Traceback")
        return text[at : at + 2000] if at >= 0 else ""

    def close(self) -> None:
        sys.stderr.flush()
        os.dup2(self._saved, 2)
        os.close(self._saved)
        os.close(self._fd)


class Context:
    """What the scenarios share: the work folder, the logs, and (made once, when first asked
    for) the seeded backend, the kill template and the fork server."""

    def __init__(self, work: Path, logs: Logs, stack: contextlib.ExitStack) -> None:
        self.work = work
        self.logs = logs
        self.stack = stack
        self._seeded: Path | None = None
        self._template: Any = None
        self._forks: Any = None

    def seeded(self) -> Path:
        if self._seeded is None:
            from tests.appkit import seeded_template

            (self.work / "seed").mkdir()
            self._seeded = seeded_template(self.work / "seed")
        return self._seeded

    def template(self) -> Any:
        if self._template is None:
            from tests.killkit.harness import make_template

            self._template = make_template(self.seeded(), self.work / "kill-template")
        return self._template

    def forks(self) -> Any:
        if self._forks is None:
            from tests.killkit.harness import fork_server

            log = self.work / "children.log"
            self._forks = self.stack.enter_context(fork_server(log))
            self.logs.extra.append(log)
        return self._forks


def chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# --- the kill scenarios (tests/killkit) ------------------------------------------------------


def kill_scans(scale: int, ctx: Context) -> Row:
    from tests.killkit.harness import Report, run, specs
    from tests.killkit.recorder import POINTS

    row = Row("kill -9 while scanning")
    rounds = specs(200 * scale, 20 * scale, SEED)
    total = Report()
    for i, chunk in enumerate(chunks(rounds, CHUNK)):
        try:
            total.add(run(chunk, ctx.template(), ctx.work / f"scans-{i}", LANES, SEED + i,
                          ctx.forks()))  # fmt: skip
        except Exception as err:
            row.finding(err)
    row.count = f"{total.rounds:,} of {len(rounds):,} kills"
    row.p99_ms = pct(total.ack_ms, 0.99)
    at = ", ".join(f"{total.by_point[p]} at {p}" for p in ("random", *POINTS))
    row.notes.append(
        f"{at}; {total.acked_events:,} acknowledged events each found once in the cache and"
        f" at the backend; {total.resent:,} resent and answered duplicate; p99 is a scan"
        f" written to its acknowledgement ({len(total.ack_ms):,} of them)"
    )
    return row


def kill_downloads(scale: int, ctx: Context) -> Row:
    from tests.killkit.syncs import DReport, dspecs, run_downloads

    row = Row("kill -9 during download apply", lost=None, doubled=None, failed_saves=None)
    rounds = dspecs(40 * scale, 15 * scale, SEED)
    total = DReport()
    for i, chunk in enumerate(chunks(rounds, CHUNK)):
        try:
            rep = run_downloads(chunk, ctx.template(), ctx.work / f"downloads-{i}", ctx.forks(),
                                LANES, SEED + i)  # fmt: skip
        except Exception as err:
            row.finding(err)
        else:
            total.add(rep)
    row.count = f"{total.rounds:,} of {len(rounds):,} kills"
    row.notes.append(
        f"{dict(sorted(total.by_point.items()))}; random kills kept of their download: "
        f"{dict(total.pages_kept)}; after each the cached orders were exactly the backend's at"
        " the saved cursor, then at its latest"
    )
    return row


def kill_backend(scale: int, ctx: Context) -> Row:
    from tests.killkit.syncs import kill_backend as kill
    from tests.killkit.syncs import make_devices

    row = Row("kill -9 of the backend", failed_saves=None)
    kills = events = acked = 0
    planned = 100 * scale
    for i, n in enumerate(len(c) for c in chunks(range(planned), CHUNK)):
        where = ctx.work / f"backend-{i}"
        ctx.logs.extra.append(where / "kills" / "home")
        try:
            devices = make_devices(ctx.seeded(), where / "devices")
            rep = kill(devices, ctx.forks(), where / "kills", n, SEED + i)
        except Exception as err:
            row.finding(err)
        else:
            kills += rep.kills
            events += sum(rep.events.values())
            acked += rep.acked_checked
    row.count = f"{kills:,} of {planned:,} kills"
    row.notes.append(
        f"{events:,} events uploaded by the devices, each found once (seq 1..N) at the backend;"
        f" {acked:,} acknowledgements found kept after a restart"
    )
    return row


# --- the sync scenarios ----------------------------------------------------------------------


def compare(row: Row, db_path: Path, cache: Path, device: str, effect: int | None = None) -> int:
    """Count into `row` the events of the cache `cache` lost or doubled at the backend
    `db_path`, and either file's integrity failures; out of order is an "other" finding.
    `effect`: the stock the backend must have taken off (each event once). Returns how many
    events the device holds."""
    backend = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=30)
    dev = sqlite3.connect(f"file:{cache}?mode=ro", uri=True, timeout=30)
    try:
        for conn in (backend, dev):
            if conn.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                row.integrity += 1
        outbox = dev.execute("SELECT seq, event_id, state FROM outbox ORDER BY seq").fetchall()
        rows = backend.execute(
            "SELECT seq, event_id, status FROM events WHERE device = ? ORDER BY rowid", (device,)
        ).fetchall()
        taken = None
        if effect is not None:
            taken = -backend.execute("SELECT COALESCE(SUM(on_hand), 0) FROM stock").fetchone()[0]
    finally:
        backend.close()
        dev.close()
    have = Counter(e for _, e, status in rows if status == "applied")
    assert row.lost is not None and row.doubled is not None
    row.lost += sum(1 for _, e, _ in outbox if have[e] == 0)
    row.doubled += sum(n - 1 for n in have.values())
    if taken is not None and effect is not None and taken > effect:
        row.doubled += int(taken - effect)
    order = [s for s, _, status in rows if status == "applied"]
    if sorted(order) == [s for s, _, _ in outbox] and order != sorted(order):
        row.other += 1
        row.notes.append(f"FINDING (other): {device}'s events are not at the backend in order")
    waiting = sum(1 for _, _, state in outbox if state != "sent")
    if waiting:
        row.other += 1
        row.notes.append(f"FINDING (other): {waiting} of {device}'s events are not marked sent")
    return len(outbox)


def record_picks(store: Any, n: int, row: Row, per_transaction: int = 1) -> int:
    """Record `n` picks of one unit (`per_transaction` a save); the saves that raised go
    into `row`. Returns how many were saved."""
    from picker_app.domain.events import StockPicked

    saved = 0
    for _ in range(0, n, per_transaction):
        try:
            with store.write():
                for _ in range(per_transaction):
                    store.record(StockPicked(bin="A07-2", sku="SKU-1", qty=1))
        except Exception as err:
            assert row.failed_saves is not None
            row.failed_saves += 1
            row.notes.append(f"FINDING (save): {err}")
        else:
            saved += per_transaction
    return saved


def network(scale: int, ctx: Context) -> Row:
    """10 x the CI test's 500 batches (tests/test_sync_upload.py), each run its own device and
    backend; its checks counted, not asserted."""
    from picker_app.backend.server import BackendDB, ServerThread
    from picker_app.store.db import LocalStore
    from tests.faultproxy import ALL_FAULTS, upload_through

    row = Row("network faults (proxy)")
    faults: Counter[str] = Counter()
    batches = events = lost_answers = unwaited = reapplied = 0
    latencies: list[float] = []
    for i in range(scale):
        where = ctx.work / f"network-{i}"
        where.mkdir()
        server = ServerThread(BackendDB(where / "backend.db"))
        store = LocalStore.open(where / "device.db", device=f"dev-{i}")
        try:
            token = server.db.add_device(STORE, store.device)
            saved = record_picks(store, 2000, row, per_transaction=100)
            run = upload_through(store, server.url, token, STORE, seed=7 + i)
        except Exception as err:
            row.finding(err)
            continue
        finally:
            store.close()
            server.stop()
            server.db.conn.close()
        batches += run.report.batches
        faults += run.proxy.counts
        latencies += run.upload_ms
        events += compare(row, where / "backend.db", where / "device.db", f"dev-{i}", saved)
        failed = [(f, after) for f, after in run.proxy.log if f not in ("pass", "delay", "twice")]
        honoured = [w for w, (f, _) in zip(run.waits, failed, strict=False) if f == "busy"]
        asked = [float(a) for f, a in failed if f == "busy" and a is not None]
        if len(run.waits) != len(failed) or honoured != asked:
            unwaited += 1
            row.other += 1
            row.notes.append(f"FINDING (other): run {i}: not each failure waited for as asked")
        lost = {json.loads(body)["batch_id"] for body in run.proxy.lost_answers}
        lost_answers += len(lost)
        again = sum(1 for b in lost if set(run.answers.get(b, ())) != {"duplicate"})
        if again:
            reapplied += again
            row.other += 1
            said = f"run {i}: {again} batches whose answer was lost not answered duplicate later"
            row.notes.append(f"FINDING (other): {said}")
    requests = sum(faults.values())
    row.count = f"{batches:,} batches, {events:,} events"
    row.p99_ms = pct(latencies, 0.99)
    kinds = ", ".join(f"{faults[k]} {k}" for k in ALL_FAULTS)
    row.notes.append(
        f"{requests:,} requests, {requests - faults['pass']:,} of them faulty: {kinds};"
        f" {lost_answers} batches whose answer was lost after they were applied, {reapplied} of"
        f" them not answered duplicate when sent again; {unwaited} of {scale} runs where a"
        " failure was not waited for once (a busy answer for its Retry-After)"
    )
    return row


def backend_down(scale: int, ctx: Context) -> Row:
    import socket

    from picker_app.backend.server import BackendDB, ServerThread
    from picker_app.store.db import LocalStore
    from picker_app.sync.client import Retryable, SyncClient, SyncSettings

    row = Row("backend down, then up")
    where = ctx.work / "down"
    where.mkdir()
    scans = 2000 * scale
    with socket.socket() as s:  # a port where nothing listens
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}"
    server = ServerThread(BackendDB(where / "backend.db"))
    store = LocalStore.open(where / "device.db", device="dev-down")
    saved = tries = 0
    uploads: list[float] = []
    try:
        token = server.db.add_device(STORE, store.device)
        down = SyncClient(store, SyncSettings(dead, STORE, token), sleep=lambda s: None)
        for _ in range(0, scans, 500):
            saved += record_picks(store, 500, row)
            tries += 1
            try:  # the device keeps trying while it records
                down.upload_all(max_attempts=2)
            except Retryable:
                pass
            else:
                row.other += 1
                row.notes.append("FINDING (other): an upload to no backend succeeded")
        held = store.counts()["pending"]
        settings = SyncSettings(server.url, STORE, token, batch_size=500)
        up = SyncClient(store, settings, sleep=lambda s: None)
        while True:
            t0 = time.perf_counter()
            if up.upload_batch() is None:
                break
            uploads.append((time.perf_counter() - t0) * 1000)
    except Exception as err:
        row.finding(err)
        held = 0
    finally:
        store.close()
        server.stop()
        server.db.conn.close()
    events = compare(row, where / "backend.db", where / "device.db", "dev-down", saved)
    row.count = f"{events:,} scans"
    row.p99_ms = pct(uploads, 0.99)
    row.notes.append(
        f"{held:,} events held while the backend was down ({tries} failed tries to upload),"
        f" then sent in {len(uploads)} batches of 500; p99 is one such upload"
    )
    return row


def disk_full(scale: int, ctx: Context) -> Row:
    from picker_app.backend.server import BackendDB, ServerThread
    from picker_app.domain.events import StockDamaged
    from picker_app.store.db import LocalStore, StoreError
    from picker_app.sync.client import SyncClient, SyncError, SyncSettings

    row = Row("disk full (SQLITE_FULL)")
    where = ctx.work / "full"
    where.mkdir()
    rounds = 10 * scale
    server = ServerThread(BackendDB(where / "backend.db"))
    store = LocalStore.open(where / "device.db", device="dev-full")
    refused = fills = saved = 0
    unmarked: Counter[str] = Counter()  # the uploads tried while full, by how they ended
    rng = random.Random(SEED)

    def save(i: int) -> bool:
        """One scan's save: True if saved, False if refused with the full disk's sentence."""
        nonlocal saved, refused
        try:
            with store.write():
                store.record(StockDamaged(bin="A07-2", sku="SKU-1", qty=1,
                                          batch=f"B{i:06d}" * rng.randint(1, 9)))  # fmt: skip
        except StoreError as err:
            if not str(err).startswith("this device is out of storage") or "\n" in str(err):
                assert row.failed_saves is not None
                row.failed_saves += 1
                row.notes.append(f"FINDING (save): {err}")
            refused += 1
            return False
        saved += 1
        return True

    try:
        token = server.db.add_device(STORE, store.device)
        client = SyncClient(store, SyncSettings(server.url, STORE, token, batch_size=50),
                            sleep=lambda s: None)  # fmt: skip
        i = 0
        for _ in range(rounds):
            pages = store.writer.execute("PRAGMA page_count").fetchone()[0]
            store.writer.execute(f"PRAGMA max_page_count = {pages}")
            for _ in range(20_000):
                i += 1
                if not save(i):
                    fills += 1
                    break
            for _ in range(5):  # a few more tries while it is full: refused too
                i += 1
                save(i)
            try:  # sent; its marking may not fit
                client.upload_all(max_attempts=1)
            except (SyncError, StoreError) as err:
                unmarked[type(err).__name__] += 1
            else:
                unmarked["none"] += 1
            if store.writer.in_transaction:
                row.other += 1
                row.notes.append("FINDING (other): a transaction left open by the full disk")
            store.writer.execute("PRAGMA max_page_count = 1073741823")
            for _ in range(rng.randint(1, 20)):  # space again: saves go on, no reopening
                i += 1
                save(i)
            client.upload_all()
    except Exception as err:
        row.finding(err)
    finally:
        store.close()
        server.stop()
        server.db.conn.close()
    events = compare(row, where / "backend.db", where / "device.db", "dev-full")
    if events != saved:
        row.other += 1
        row.notes.append(f"FINDING (other): {saved} saves acknowledged, {events} in the outbox")
    row.count = f"{fills:,} fills, {events:,} events"
    row.notes.append(
        f"{refused:,} saves refused with the full disk's sentence (none saved, none lost);"
        f" the upload tried while full ended: {dict(unmarked)}; after each fill the limit was"
        " lifted and saves and sync went on in the same process"
    )
    return row


def load(scale: int, ctx: Context) -> Row:
    from bench.load_bench import check, run_load

    row = Row("load: 8 devices")
    args = argparse.Namespace(
        devices=8, seconds=3.0 * scale, burst=10, interval=1.0, batch=10, order_rate=30.0,
        send_at=0.0, device_dir="", no_download=False,
    )  # fmt: skip
    where = ctx.work / "load"
    where.mkdir()
    try:
        run = run_load(args, where, baseline=False)
    except (Exception, SystemExit) as err:
        row.finding(err)
        return row
    conn = sqlite3.connect(run.db)
    try:
        if conn.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            row.integrity += 1
        assert row.lost is not None and row.doubled is not None
        for r in run.reports:
            rows = conn.execute(
                "SELECT seq, COUNT(*) FROM events WHERE device = ? AND status = 'applied'"
                " GROUP BY seq", (r["device"],),
            ).fetchall()  # fmt: skip
            row.lost += max(0, r["recorded"] - len(rows))
            row.doubled += sum(n - 1 for _, n in rows)
    finally:
        conn.close()
    problems = check(run.db, run.reports)
    row.other += sum(1 for p in problems if "seq not" in p or "not applied" in p)
    errors = [e for r in run.reports for e in r["errors"]]
    failing = [e for e in errors if "failing (5" in e]  # the backend answered 5xx
    row.other += len(failing)
    row.tracebacks += run.tracebacks
    events = sum(r["recorded"] for r in run.reports)
    uploads = [x for r in run.reports for x in r["uploads"]]
    row.count = f"{events:,} events"
    row.p99_ms = pct(uploads, 0.99)
    row.notes.append(
        f"{args.seconds:g} s, a burst of 10 picks a device a second, batches of 10: "
        f"{len(uploads):,} uploads, {len(errors)} sync errors"
        + (f" (e.g. {errors[0]})" if errors else "")
    )
    return row


SCENARIOS: dict[str, Callable[[int, Context], Row]] = {
    "kill-scans": kill_scans,
    "kill-downloads": kill_downloads,
    "kill-backend": kill_backend,
    "network": network,
    "backend-down": backend_down,
    "disk-full": disk_full,
    "load": load,
}

COLUMNS = ("scenario", "count", "events lost", "events doubled", "integrity failures",
           "failed saves", "tracebacks", "other findings", "p99")  # fmt: skip


def cells(row: Row) -> list[str]:
    def n(v: int | None) -> str:
        return "-" if v is None else f"{v:,}"

    p99 = "-" if row.p99_ms is None else f"{row.p99_ms:.0f} ms"
    return [row.scenario, row.count, n(row.lost), n(row.doubled), n(row.integrity),
            n(row.failed_saves), n(row.tracebacks), n(row.other), p99]  # fmt: skip


def table(rows: Sequence[Row]) -> str:
    body = [list(COLUMNS), *(cells(r) for r in rows)]
    widths = [max(len(line[i]) for line in body) for i in range(len(COLUMNS))]

    def fmt(line: list[str]) -> str:
        first = [line[0].ljust(widths[0]), line[1].ljust(widths[1])]
        return "  ".join(first + [c.rjust(w) for c, w in zip(line[2:], widths[2:], strict=True)])

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([fmt(body[0]), rule, *(fmt(line) for line in body[1:])])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=int, default=10, help="times CI's counts (default 10)")
    parser.add_argument("--only", nargs="+", choices=sorted(SCENARIOS), metavar="SCENARIO",
                        help=f"only these: {', '.join(SCENARIOS)}")  # fmt: skip
    args = parser.parse_args()
    chosen = [name for name in SCENARIOS if not args.only or name in args.only]
    started = time.monotonic()
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="fault-report-") as tmp, contextlib.ExitStack() as st:
        work = Path(tmp)
        logs = Logs(work)
        st.callback(logs.close)
        ctx = Context(work, logs, st)
        for name in chosen:
            before = logs.tracebacks()
            t0 = time.monotonic()
            try:
                row = SCENARIOS[name](args.scale, ctx)
            except Exception as err:  # the scenario itself broke: said, not hidden
                row = Row(name)
                row.finding(err)
            row.seconds = time.monotonic() - t0
            row.tracebacks += logs.tracebacks() - before
            rows.append(row)
            print(f"{name}: {row.seconds:.0f} s", flush=True)
        first = logs.first_traceback()
    wall = time.monotonic() - started
    print()
    print(f"fault report at --scale {args.scale} ({args.scale} x CI's counts), "
          f"{os.cpu_count()} CPUs, {wall / 60:.1f} min")  # fmt: skip
    print()
    print(table(rows))
    print()
    for row in rows:
        print(f"{row.scenario} ({row.seconds:.0f} s): " + "; ".join(row.notes))
    if first:
        print("\nthe first traceback in this run's stderr:\n" + first)
    bad = sum((r.lost or 0) + (r.doubled or 0) + r.integrity + (r.failed_saves or 0)
              + r.tracebacks + r.other for r in rows)  # fmt: skip
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
