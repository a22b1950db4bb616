"""Killing a download as it is applied, and killing the backend under uploading devices.

`run_downloads(rounds, template, workdir, forks)` plays download rounds in lanes (threads, each
a device of its own against a backend of its own, in process). A round places new orders at
the backend and cancels a few (so the device has pages of changes to fetch), forgets the
cache's cursor if it is a snapshot round, and forks a downloader (tests/killkit/syncroles.py)
that dies at its fixed point or is killed at a random moment. Then `DownloadLane.check`: the
cache opened the app's way is whole, and holds exactly what the backend had issued up to the
cursor it saved (see `expected`), then a download brings it to the backend's latest state.

`kill_backend(...)` runs the backend as a process (the CLI's `backend serve`, forked by the
fork server), kills it again and again under uploading devices and starts it again on the
same file; in the end every event a device recorded is at the backend once, none lost.
"""

from __future__ import annotations

import contextlib
import os
import random
import select
import shutil
import signal
import socket
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from picker_app.backend.seed import add_orders
from picker_app.backend.server import BackendDB, ServerThread
from picker_app.store.db import LocalStore
from picker_app.sync.client import SyncClient, SyncSettings
from picker_app.wire import ChangesPage, OrderWire
from tests.appkit import STORE
from tests.killkit.harness import Finding, ForkServer, Template, _read
from tests.killkit.syncroles import KINDS, Backend, Download, Upload

WAIT_S = 20.0

# What the comparison looks at: an order's fields and its lines' (not the backend's ranked
# suggestions, which it works out as each page is read).
Orders = dict[str, tuple[Any, ...]]


def wire_row(o: OrderWire) -> tuple[Any, ...]:
    lines = tuple(
        (ln.line_no, ln.sku, ln.qty, ln.picked, ln.short, ln.substitute, ln.repick)
        for ln in sorted(o.lines, key=lambda ln: ln.line_no)
    )
    return (o.state, o.promised_at, o.priority, o.area, o.substitutes, o.tote, lines)


def cache_orders(conn: sqlite3.Connection) -> Orders:
    """The cache's orders, as `wire_row` puts the backend's (a line twice shows twice)."""
    lines: dict[str, list[tuple[Any, ...]]] = {}
    for r in conn.execute(
        "SELECT order_id, line_no, sku, qty_ordered, qty_picked, qty_short, substitute_sku,"
        " repick FROM order_line ORDER BY order_id, line_no"
    ):
        lines.setdefault(r[0], []).append(tuple(r[1:]))
    return {
        r[0]: (*r[1:], tuple(lines.get(r[0], ())))
        for r in conn.execute(
            "SELECT id, state, promised_at, priority, area, substitutions, tote FROM orders"
        )
    }


@dataclass(frozen=True)
class DSpec:
    """One download round: its kind, and where it dies (None: when the test kills it)."""

    kind: str = "changes"
    point: str | None = None
    n: int = 1
    j: int = 1


def dspecs(random_rounds: int, fixed_rounds: int, seed: int) -> list[DSpec]:
    """`random_rounds` killed at random (one in five a snapshot), and `fixed_rounds` at each
    of begin and commit of a snapshot and of a page of changes (a page's 1st to 3rd, its 1st
    to 30th statement after BEGIN), shuffled."""
    rng = random.Random(seed)
    out = [DSpec("snapshot" if rng.random() < 0.2 else "changes") for _ in range(random_rounds)]
    for kind in KINDS:
        for point in ("begin", "commit"):
            for i in range(fixed_rounds):
                n = 1 if kind == "snapshot" else 1 + i % 3
                out.append(DSpec(kind, point, n, rng.randint(1, 30)))
    rng.shuffle(out)
    return out


@dataclass
class DReport:
    rounds: int = 0
    by_point: Counter[str] = field(default_factory=Counter)
    pages_kept: Counter[str] = field(default_factory=Counter)  # random rounds: none, some, all
    seconds: float = 0.0

    def add(self, other: DReport) -> None:
        self.rounds += other.rounds
        self.by_point += other.by_point
        self.pages_kept += other.pages_kept

    def __str__(self) -> str:
        return (
            f"{self.rounds} kills in {self.seconds:.1f} s: {dict(self.by_point)}; random kills"
            f" by what they kept of the download: {dict(self.pages_kept)}"
        )


@dataclass
class Feed:
    """What the backend issues to a device at cursor `c0`: the pages of `limit` changes."""

    c0: int
    pages: list[ChangesPage]

    @property
    def ends(self) -> list[int]:
        """The cursors a device can save: where it began, and each page's end."""
        return [self.c0, *(p.next_cursor for p in self.pages)]

    def expected(self, prior: Orders, cursor: int) -> Orders:
        """The orders a cache that had `prior` at `c0` must have at `cursor`: each order of a
        change the backend issued up to `cursor` as the backend sent it, none after."""
        out = dict(prior)
        for page in self.pages:
            if page.next_cursor > cursor:
                break
            for change in page.changes:
                if change.order is not None:
                    out[change.order.id] = wire_row(change.order)
        return out


class DownloadLane:
    """One device downloading, killed round after round, against a backend of its own."""

    def __init__(self, t: Template, forks: ForkServer, directory: Path, seed: int) -> None:
        directory.mkdir(parents=True)
        for name in ("backend.db", "picker.db"):
            shutil.copy(t.directory / name, directory / name)
        self.t = t
        self.forks = forks
        self.directory = directory
        self.cache = directory / "picker.db"
        self.db = BackendDB(directory / "backend.db")
        self.server = ServerThread(self.db)
        self.rng = random.Random(seed)
        self.report = DReport()
        self.span_s = 0.05  # how long a download takes, as this lane has seen it
        self.rounds = 0

    def close(self) -> None:
        self.server.stop()
        self.db.conn.close()

    def run(self, rounds: Sequence[DSpec], stop: threading.Event) -> DReport:
        try:
            for spec in rounds:
                if stop.is_set():
                    break
                try:
                    self.play(spec)
                except BaseException:
                    stop.set()
                    raise
        finally:
            self.close()
        return self.report

    def settings(self) -> SyncSettings:
        return SyncSettings(self.server.url, STORE, self.t.token)

    def play(self, spec: DSpec) -> None:
        rng = self.rng
        self.rounds += 1
        limit = rng.randint(3, 6)
        add_orders(self.db, STORE, rng.randint(3 * limit, 4 * limit), rng)
        open_ = self.db.conn.execute(
            "SELECT id FROM orders WHERE store = ? AND state = 'confirmed'", (STORE,)
        ).fetchall()
        for (order_id,) in rng.sample(open_, min(len(open_), rng.randint(1, 4))):
            self.db.cancel_order(STORE, order_id)
        conn = sqlite3.connect(self.cache)
        try:
            if spec.kind == "snapshot":
                with conn:
                    conn.execute("DELETE FROM sync_state WHERE key = 'cursor'")
            prior = cache_orders(conn)
            row = conn.execute("SELECT value FROM sync_state WHERE key = 'cursor'").fetchone()
        finally:
            conn.close()
        c0 = int(row[0]) if row else None
        feed = Feed(c0 or 0, [])
        if c0 is not None:
            cur = c0
            while True:
                page = self.db.changes(STORE, cur, limit)
                assert page is not None
                feed.pages.append(page)
                cur = page.next_cursor
                if not page.more:
                    break
        snap = self.db.snapshot(STORE)
        d = Download(
            fifo="", db=str(self.cache), url=self.server.url, store=STORE, token=self.t.token,
            limit=limit, point=spec.point, kind=spec.kind, n=spec.n, j=spec.j,
        )  # fmt: skip
        done = self.fork(d)
        if spec.point is not None and done is not None:
            raise Finding(f"{spec} never reached its point (done at cursor {done})")
        self.check(spec, feed, prior, snap.cursor, {o.id: wire_row(o) for o in snap.orders})

    def fork(self, d: Download) -> int | None:
        """Fork the downloader and see it die; the cursor it said it was done at, if it did."""
        fifo = self.directory / f"round-{self.rounds}.fifo"
        os.mkfifo(fifo)
        lines = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
        try:
            pid = self.forks.fork(_with(d, fifo=str(fifo)), "download")
            try:
                dead = os.pidfd_open(pid)
            except ProcessLookupError:
                dead = -1
            try:
                return self._watch(dead, d, lines)
            finally:
                if dead >= 0:
                    with contextlib.suppress(ProcessLookupError):
                        signal.pidfd_send_signal(dead, signal.SIGKILL)
                    os.close(dead)
        finally:
            os.close(lines)
            fifo.unlink()

    def _watch(self, dead: int, d: Download, lines: int) -> int | None:
        start = time.monotonic()
        limit = start + WAIT_S
        kill_at: float | None = None
        if d.point is None and self.rng.random() < 0.15:
            kill_at = start + self.rng.uniform(0, 0.03)  # while it opens the cache
        ready_at = start
        done: int | None = None
        buf = b""
        while dead >= 0:
            now = time.monotonic()
            if now >= min(kill_at or limit, limit):
                if now >= limit and d.point is not None:
                    raise Finding(f"{d} is not dead after {WAIT_S} s")
                signal.pidfd_send_signal(dead, signal.SIGKILL)
                kill_at = limit = now + WAIT_S
            ready, _, _ = select.select([lines, dead], [], [], max(0.0, min(kill_at or limit, limit) - now))
            if dead in ready:
                break
            if lines in ready:
                buf += _read(lines)
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                word, _, rest = line.decode().partition(" ")
                if word == "READY":
                    ready_at = time.monotonic()
                    if d.point is None and kill_at is None:
                        kill_at = ready_at + self.rng.uniform(0, self.span_s)
                elif word == "DONE":
                    done = int(rest) if rest != "None" else None
                    self.span_s = 0.7 * self.span_s + 0.3 * (time.monotonic() - ready_at)
                    if d.point is not None:
                        return done  # it will not die by itself
                    kill_at = time.monotonic()
                else:
                    raise Finding(f"the downloader said {line!r}: {self.forks.errors()}")
        buf += _read(lines)
        for line in buf.decode().splitlines():
            if line.startswith("ERR"):
                raise Finding(f"the downloader said {line!r}: {self.forks.errors()}")
            if line.startswith("DONE"):
                done = -1
        return done

    def check(
        self, spec: DSpec, feed: Feed, prior: Orders, snap_cursor: int, snap: Orders
    ) -> None:
        """The cache after the kill (see the module's docstring); then a download."""
        where = f"{spec} in round {self.rounds}"
        store = LocalStore.open(self.cache)
        try:
            (row,) = store.rows("PRAGMA integrity_check")
            if list(row.values()) != ["ok"]:
                raise Finding(f"{where}: integrity_check says {row}")
            cursor = store.cursor()
            have = cache_orders(store.conn)
            if spec.kind == "snapshot":
                if cursor is None:
                    want, kept = prior, "none"  # the snapshot was lost whole: as it was
                elif cursor == snap_cursor:
                    want, kept = snap, "all"
                else:
                    raise Finding(f"{where}: cursor {cursor}, the snapshot's is {snap_cursor}")
                if spec.point is not None and cursor is not None:
                    raise Finding(f"{where}: the snapshot was kept though killed before COMMIT")
            else:
                ends = feed.ends
                if cursor not in ends:
                    raise Finding(f"{where}: cursor {cursor} is no page's end ({ends})")
                if spec.point is not None and cursor != ends[spec.n - 1]:
                    raise Finding(f"{where}: cursor {cursor}, page {spec.n} begins at "
                                  f"{ends[spec.n - 1]}")  # fmt: skip
                want = feed.expected(prior, cursor)
                kept = "none" if cursor == ends[0] else "all" if cursor == ends[-1] else "some"
            _compare(have, want, f"{where}, at cursor {cursor}")
            SyncClient(store, self.settings()).download_changes()
            if store.cursor() != snap_cursor:
                raise Finding(f"{where}: downloaded to {store.cursor()}, not {snap_cursor}")
            have = cache_orders(store.conn)
            latest = snap if spec.kind == "snapshot" else feed.expected(prior, snap_cursor)
            _compare(have, latest, f"{where}, after a download")
            _compare({k: have[k] for k in snap if k in have}, snap, f"{where}: the backend's")
        finally:
            store.close()
        self.report.rounds += 1
        self.report.by_point[f"{spec.kind} {spec.point or 'random'}"] += 1
        if spec.point is None:
            self.report.pages_kept[kept] += 1


def _compare(have: Orders, want: Orders, where: str) -> None:
    missing = sorted(set(want) - set(have))
    extra = sorted(set(have) - set(want))
    differ = sorted(k for k in set(want) & set(have) if want[k] != have[k])
    if missing or extra or differ:
        first = differ[0] if differ else None
        raise Finding(
            f"{where}: orders missing {missing[:5]}, not yet issued {extra[:5]}, differing "
            f"{differ[:5]}" + (f" ({first}: {have[first]} != {want[first]})" if first else "")
        )


def _with(d: Any, **changes: Any) -> Any:
    import dataclasses

    return dataclasses.replace(d, **changes)


def run_downloads(
    rounds: Sequence[DSpec], t: Template, workdir: Path, forks: ForkServer, lanes: int = 2,
    seed: int = 15,
) -> DReport:  # fmt: skip
    """Play `rounds` in `lanes` concurrent lanes; the first Finding (if any) is raised."""
    started = time.monotonic()
    workdir.mkdir(parents=True, exist_ok=True)
    lane_list = [
        DownloadLane(t, forks, workdir / f"lane-{i}", seed * 100 + i) for i in range(lanes)
    ]
    stop = threading.Event()
    with ThreadPoolExecutor(lanes) as pool:
        futures = [pool.submit(lane.run, rounds[i::lanes], stop) for i, lane in enumerate(lane_list)]
        reports = [f.result() for f in futures]
    total = DReport()
    for r in reports:
        total.add(r)
    total.seconds = time.monotonic() - started
    return total
