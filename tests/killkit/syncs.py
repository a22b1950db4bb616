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
from tests.killkit.harness import Finding, ForkServer, Template, _read, run_lanes
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
    cursor_first: bool = False  # a broken downloader (see syncroles.Download)


def dspecs(random_rounds: int, fixed_rounds: int, seed: int) -> list[DSpec]:
    """`random_rounds` killed at random (one in ten a snapshot), and `fixed_rounds` at each
    of begin and commit of a snapshot and of a page of changes (a page's 1st to 3rd, its 1st
    to 30th statement after BEGIN), shuffled."""
    rng = random.Random(seed)
    out = [DSpec("snapshot" if rng.random() < 0.1 else "changes") for _ in range(random_rounds)]
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
        self.span_s = 0.05  # a random kill comes within this of READY (see `_watch`)
        # Plain http on loopback: no CA bundle to load (0.03 s a client).
        self.http = httpx.Client(timeout=10, trust_env=False)
        self.rounds = 0

    def close(self) -> None:
        self.http.close()
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
        limit = rng.randint(2, 4)  # changes a page: 3 to 5 pages a round
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
        latest = self.db.conn.execute(
            "SELECT COALESCE(MAX(seq), 0) FROM changes WHERE store = ?", (STORE,)
        ).fetchone()[0]
        snap: Orders | None = None  # read only for a snapshot round (it takes 0.1 s)
        if spec.kind == "snapshot":
            whole = self.db.snapshot(STORE)
            if whole.cursor != latest:
                raise Finding(f"the snapshot's cursor {whole.cursor} is not the latest {latest}")
            snap = {o.id: wire_row(o) for o in whole.orders}
        d = Download(
            fifo="", db=str(self.cache), url=self.server.url, store=STORE, token=self.t.token,
            limit=limit, point=spec.point, kind=spec.kind, n=spec.n, j=spec.j,
            cursor_first=spec.cursor_first,
        )  # fmt: skip
        done = self.fork(d)
        if spec.point is not None and done is not None:
            raise Finding(f"{spec} never reached its point (done at cursor {done})")
        self.check(spec, feed, prior, latest, snap)

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
                with contextlib.suppress(ProcessLookupError):  # dead already: its last words
                    signal.pidfd_send_signal(dead, signal.SIGKILL)
                kill_at = limit = now + WAIT_S
            ready, _, _ = select.select(
                [lines, dead], [], [], max(0.0, min(kill_at or limit, limit) - now)
            )
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
        if d.point is None:
            # The span a random kill is drawn over follows the downloads: shorter after one
            # done before its kill, longer after one killed first, so that some 70% of the
            # kills land in the download (it is some 1.4 times as long as a download).
            self.span_s *= 0.8 if done is not None else 1.1
        return done

    def check(
        self, spec: DSpec, feed: Feed, prior: Orders, latest: int, snap: Orders | None
    ) -> None:
        """The cache after the kill (see the module's docstring); then a download."""
        where = f"{spec} in round {self.rounds}"
        store = LocalStore.open(self.cache)
        try:
            (row,) = store.rows("PRAGMA integrity_check")
            if list(row.values()) != ["ok"]:
                raise Finding(f"{where}: integrity_check says {row}", "integrity")
            cursor = store.cursor()
            have = cache_orders(store.conn)
            if snap is not None:
                if cursor is None:
                    want, kept = prior, "none"  # the snapshot was lost whole: as it was
                elif cursor == latest:
                    want, kept = snap, "all"
                else:
                    raise Finding(f"{where}: cursor {cursor}, the snapshot's is {latest}")
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
            SyncClient(store, self.settings(), http=self.http).download_changes()
            if store.cursor() != latest:
                raise Finding(f"{where}: downloaded to {store.cursor()}, not {latest}")
            have = cache_orders(store.conn)
            now = snap if snap is not None else feed.expected(prior, latest)
            _compare(have, now, f"{where}, after a download")
            self._as_the_backend_has_them(have, where)
        finally:
            store.close()
        self.report.rounds += 1
        self.report.by_point[f"{spec.kind} {spec.point or 'random'}"] += 1
        if spec.point is None:
            self.report.pages_kept[kept] += 1

    def _as_the_backend_has_them(self, have: Orders, where: str) -> None:
        """Each order of the cache has the backend's state and its lines, each once."""
        rows = self.db.conn.execute(
            "SELECT o.id, o.state, (SELECT COUNT(*) FROM order_lines l WHERE l.store = o.store"
            " AND l.order_id = o.id) FROM orders o WHERE o.store = ?",
            (STORE,),
        ).fetchall()
        backend = {r[0]: (r[1], r[2]) for r in rows}
        mine = {k: (v[0], len(v[-1])) for k, v in have.items()}
        wrong = {k: (v, backend.get(k)) for k, v in mine.items() if backend.get(k) != v}
        if wrong:
            raise Finding(f"{where}: orders not as the backend has them: {list(wrong.items())[:3]}")


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
    total = run_lanes(lane_list, rounds, DReport())
    total.seconds = time.monotonic() - started
    return total


# --- the backend killed under uploading devices -----------------------------------------------


@dataclass(frozen=True)
class Devices:
    """A seeded backend and DEVICES caches registered with it and filled from it."""

    directory: Path  # backend.db, device-<n>.db
    tokens: list[str]

    def cache(self, n: int) -> Path:
        return self.directory / f"device-{n}.db"


def make_devices(seeded_backend: Path, directory: Path, devices: int = 2) -> Devices:
    directory.mkdir(parents=True, exist_ok=True)
    shutil.copy(seeded_backend, directory / "backend.db")
    db = BackendDB(directory / "backend.db")
    server = ServerThread(db)
    tokens = []
    try:
        for n in range(devices):
            store = LocalStore.open(directory / f"device-{n}.db")
            try:
                tokens.append(db.add_device(STORE, store.device))
                SyncClient(store, SyncSettings(server.url, STORE, tokens[-1])).download_snapshot()
            finally:
                store.close()
    finally:
        server.stop()
        db.conn.close()
    return Devices(directory, tokens)


@dataclass
class BReport:
    kills: int = 0
    acked_checked: int = 0  # acknowledged events found at the restarted backend
    events: Counter[str] = field(default_factory=Counter)  # by device
    upload_errors: int = 0  # uploads that failed (the backend was down or died under them)
    seconds: float = 0.0

    def __str__(self) -> str:
        return (
            f"{self.kills} backend kills in {self.seconds:.1f} s; events uploaded by device "
            f"{dict(self.events)}; {self.upload_errors} failed uploads retried; "
            f"{self.acked_checked} acknowledgements found kept after a restart"
        )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class BackendProcess:
    """`picker-app backend --db FILE serve --port P --order-rate 0`, forked by the fork server."""

    def __init__(self, forks: ForkServer, db: Path, home: Path) -> None:
        self.forks = forks
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        argv = ["backend", "--db", str(db), "serve", "--port", str(self.port)]
        self.b = Backend([*argv, "--order-rate", "0", "--store", STORE], str(home))
        self.dead = -1

    def start(self) -> None:
        pid = self.forks.fork(self.b, "backend")
        self.dead = os.pidfd_open(pid)
        limit = time.monotonic() + WAIT_S
        while time.monotonic() < limit:
            if select.select([self.dead], [], [], 0)[0]:
                raise Finding(f"the backend ended as it started: {self.forks.errors()}")
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.002)
        raise Finding(f"the backend does not listen after {WAIT_S} s")

    def kill(self) -> None:
        signal.pidfd_send_signal(self.dead, signal.SIGKILL)
        if not select.select([self.dead], [], [], WAIT_S)[0]:
            raise Finding("the backend is not dead after a SIGKILL")
        os.close(self.dead)
        self.dead = -1


def _sent(cache: Path) -> set[str]:
    """The events a device has marked sent (the backend answered that it has them)."""
    conn = sqlite3.connect(f"file:{cache}?mode=ro", uri=True, timeout=10)
    try:
        return {r[0] for r in conn.execute("SELECT event_id FROM outbox WHERE state = 'sent'")}
    finally:
        conn.close()


def kill_backend(
    d: Devices, forks: ForkServer, workdir: Path, kills: int, seed: int = 15
) -> BReport:
    """Kill the backend `kills` times at random moments while the devices upload; after each
    restart its file is whole and keeps every event a device had been answered for; in the end
    every device's events are there once each, seq 1..N, and its outbox is empty."""
    started = time.monotonic()
    rng = random.Random(seed)
    report = BReport()
    workdir.mkdir(parents=True, exist_ok=True)
    backend_db = d.directory / "backend.db"
    backend = BackendProcess(forks, backend_db, workdir / "home")
    stop = workdir / "stop"
    fifos, pids = [], []
    backend.start()
    try:
        for n, token in enumerate(d.tokens):
            fifo = workdir / f"device-{n}.fifo"
            os.mkfifo(fifo)
            fifos.append(os.open(fifo, os.O_RDONLY | os.O_NONBLOCK))
            u = Upload(str(fifo), str(d.cache(n)), backend.url, STORE, token, str(stop))
            pids.append(os.pidfd_open(forks.fork(u, "upload")))
        for k in range(kills):
            time.sleep(rng.uniform(0.0, 0.12))
            backend.kill()
            report.kills += 1
            acked = set().union(*(_sent(d.cache(n)) for n in range(len(d.tokens))))
            backend.start()
            conn = sqlite3.connect(backend_db, timeout=10)
            try:
                (ok,) = conn.execute("PRAGMA integrity_check").fetchone()
                have = {r[0] for r in conn.execute("SELECT event_id FROM events")}
            finally:
                conn.close()
            if ok != "ok":
                raise Finding(
                    f"after kill {k + 1} the backend's integrity_check says {ok}", "integrity"
                )
            lost = acked - have
            if lost:
                gone = f"after kill {k + 1}: {len(lost)} acknowledged events are gone"
                raise Finding(gone, "lost", len(lost))
            report.acked_checked += len(acked)
        stop.touch()
        words = [_until_done(fd, pid, forks) for fd, pid in zip(fifos, pids, strict=True)]
        report.upload_errors = sum(int(w.split()[2]) for w in words)
    finally:
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                signal.pidfd_send_signal(pid, signal.SIGKILL)
            os.close(pid)
        for fd in fifos:
            os.close(fd)
        if backend.dead >= 0:
            backend.kill()
    _each_event_once(d, report)
    report.seconds = time.monotonic() - started
    return report


def _until_done(fd: int, pid: int, forks: ForkServer) -> str:
    """An uploader's DONE line (it has uploaded all it recorded)."""
    buf = b""
    limit = time.monotonic() + WAIT_S
    while time.monotonic() < limit:
        ready, _, _ = select.select([fd, pid], [], [], max(0.0, limit - time.monotonic()))
        buf += _read(fd)
        for line in buf.decode().splitlines():
            if line.startswith("DONE"):
                return line
            if line.startswith("ERR"):
                raise Finding(f"an uploader said {line!r}: {forks.errors()}")
        if pid in ready:
            raise Finding(f"an uploader died: {buf!r} {forks.errors()}")
    raise Finding(f"an uploader is not done after {WAIT_S} s: {buf!r}")


def _each_event_once(d: Devices, report: BReport) -> None:
    conn = sqlite3.connect(f"file:{d.directory / 'backend.db'}?mode=ro", uri=True)
    try:
        rows = conn.execute("SELECT device, event_id, seq FROM events").fetchall()
    finally:
        conn.close()
    for n in range(len(d.tokens)):
        store = LocalStore.open(d.cache(n))
        try:
            counts = store.counts()
            if counts["pending"] or counts["rejected"]:
                raise Finding(f"device {n}'s outbox is not empty: {counts}")
            outbox = store.rows("SELECT event_id, seq FROM outbox ORDER BY seq")
            device = store.device
        finally:
            store.close()
        mine = [(r[1], r[2]) for r in rows if r[0] == device]
        twice = [e for e, c in Counter(e for e, _ in mine).items() if c > 1]
        if twice:
            extra = len(mine) - len({e for e, _ in mine})
            raise Finding(
                f"device {n}'s events are at the backend twice: {twice[:5]}", "doubled", extra
            )
        seqs = sorted(s for _, s in mine)
        if seqs != list(range(1, len(outbox) + 1)):
            gaps = sorted(set(range(1, len(outbox) + 1)) - set(seqs))
            raise Finding(
                f"device {n}'s seqs at the backend: {len(seqs)} of {len(outbox)}, {gaps[:5]}",
                "lost" if gaps else "other", len(gaps) or 1,
            )  # fmt: skip
        if {e for e, _ in mine} != {r["event_id"] for r in outbox}:
            raise Finding(f"device {n}'s events at the backend are not its outbox's")
        report.events[f"device {n}"] = len(mine)
