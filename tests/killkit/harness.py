"""Killing the recorder (tests/killkit/recorder.py) and checking what it leaves behind.

`run(rounds, template, workdir)` plays rounds, each one recorder process: it resumes the
picker's open task from the cache, the test writes scanner frames to its pty, reads its
acknowledgements, and it dies by SIGKILL, from the test at a random moment or by its own hand
at a fixed point (recorder.POINTS). After every death the cache is opened again the app's way
(`LocalStore.open`, `PickService.open_task`) and checked (`Lane.check`), then synced, and the
backend's events are checked. A failed check raises `Finding`.

Rounds run in lanes (threads, each with its own backend and cache); a lane's rounds go on from
one another's leftovers, so a lane is a device crashing again and again, until its task has too
few scans left for the next round and it takes the next picker's; after the last, it starts
again from the template: a copy of a seeded backend and of a cache with a task begun and synced
for each of PICKERS.

The recorders are forked by one fork server (the app's imports once, about a second, instead of
once a round); a round then costs some 0.1 s, most of it the fsyncs of its commits.
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
import random
import select
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import tty
from collections import Counter
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

from picker_app.backend.server import BackendDB, ServerThread
from picker_app.domain.layout import Layout, parse_layout
from picker_app.domain.picking import PickSession
from picker_app.domain.scan import interpret
from picker_app.services.picking import PickService
from picker_app.store.db import LocalStore
from picker_app.sync.client import SyncClient, SyncSettings
from tests.appkit import STORE, item_code
from tests.killkit.recorder import POINTS, Round

ROOT = Path(__file__).resolve().parent.parent.parent
LAYOUT = ROOT / "layouts" / "demo-store.toml"
# Two pickers, a task of six open orders each: small enough for the exact route planner (a
# task of all twelve would take the compiled search, which compiles for a minute on a cold
# cache); a lane takes the first picker's task, then the second's, then a fresh copy.
PICKERS = ("U101", "U102")
ORDERS_EACH = 6
SYNC_POINTS = ("sent", "marked")
WAIT_S = 20.0  # for a recorder to reach its fixed point: far more than it ever needs


class Finding(AssertionError):
    """What a kill left behind breaks a guarantee (or the round did not go as planned).

    `kind` says which, for a report that counts them (bench/fault_report.py): "lost" or
    "doubled" (`events` of them), "integrity" (integrity_check failed), "save" (a save
    raised), or "other"."""

    def __init__(self, message: str, kind: str = "other", events: int = 1) -> None:
        super().__init__(message)
        self.kind = kind
        self.events = events


@dataclass(frozen=True)
class Spec:
    """One round: the scans to offer, and where it dies (None: when the test kills it)."""

    scans: int
    point: str | None = None
    n: int = 1
    j: int = 1
    ack_early: bool = False  # a broken recorder, acknowledging before it saves (to fail)

    @property
    def needs(self) -> int:
        """Scans the task must have left for the round to reach its point."""
        return self.scans if self.point in (None, *SYNC_POINTS) else self.n


def specs(
    random_rounds: int, fixed_rounds: int, seed: int, points: Sequence[str] = POINTS
) -> list[Spec]:
    """`random_rounds` killed at random, and `fixed_rounds` at each of `points`, shuffled: a
    random round offers 3-8 scans; a fixed one dies in its 1st, 2nd or 3rd transaction (at
    its 1st to 5th statement after BEGIN), acknowledgement, upload or marking."""
    rng = random.Random(seed)
    out = [Spec(rng.randint(3, 8)) for _ in range(random_rounds)]
    for point in points:
        for i in range(fixed_rounds):
            n = 1 + i % 3
            if point in SYNC_POINTS:
                out.append(Spec(10, point, n))
            else:
                out.append(Spec(n, point, n, 1 + i % 5))
    rng.shuffle(out)
    return out


@dataclass
class Report:
    """What the rounds did (counts, for the test's output and a later fault report)."""

    rounds: int = 0
    by_point: Counter[str] = field(default_factory=Counter)
    acks: Counter[int] = field(default_factory=Counter)  # rounds by acknowledgements seen
    committed_unacked: int = 0  # rounds whose last scan was kept though never acknowledged
    resent: int = 0  # events the backend had already (answered `duplicate`) when resent
    epochs: int = 0
    seconds: float = 0.0
    acked_events: int = 0  # events acknowledged, each then found once in the cache and backend
    ack_ms: list[float] = field(default_factory=list)  # a scan written to its ACK read

    def add(self, other: Report) -> None:
        self.rounds += other.rounds
        self.by_point += other.by_point
        self.acks += other.acks
        self.committed_unacked += other.committed_unacked
        self.resent += other.resent
        self.epochs += other.epochs
        self.acked_events += other.acked_events
        self.ack_ms += other.ack_ms

    def __str__(self) -> str:
        acks = ", ".join(f"{k}: {v}" for k, v in sorted(self.acks.items()))
        return (
            f"{self.rounds} kills in {self.seconds:.1f} s ({self.epochs} task copies): "
            f"{dict(self.by_point)}; rounds by acks seen {{{acks}}}; "
            f"{self.committed_unacked} kept a last scan never acknowledged; "
            f"{self.resent} events resent and answered duplicate"
        )


# --- the template: a seeded backend and a cache with every open order in one task ------------


@dataclass(frozen=True)
class Template:
    directory: Path  # backend.db and picker.db
    token: str
    layout: Layout


def make_template(seeded_backend: Path, directory: Path) -> Template:
    """A backend copied from `seeded_backend` with this device registered, and a cache filled
    from it with a task of ORDERS_EACH open orders for each of PICKERS, begun and synced (both
    checkpointed into one file each, so a copy of the file is a copy of the database)."""
    directory.mkdir(parents=True, exist_ok=True)
    layout = parse_layout(LAYOUT.read_text(), str(LAYOUT))
    shutil.copy(seeded_backend, directory / "backend.db")
    db = BackendDB(directory / "backend.db")
    server = ServerThread(db)
    store = LocalStore.open(directory / "picker.db")
    try:
        token = db.add_device(STORE, store.device)
        client = SyncClient(store, SyncSettings(server.url, STORE, token))
        client.download_changes()
        rows = store.rows("SELECT id FROM orders WHERE state = 'confirmed' ORDER BY id")
        orders = [r["id"] for r in rows]
        service = PickService(store, layout)
        for n, picker in enumerate(PICKERS):
            mine = orders[n * ORDERS_EACH : (n + 1) * ORDERS_EACH]
            assert len(mine) == ORDERS_EACH, f"the seeded backend has {len(orders)} open orders"
            service.start(picker, {o: f"TT{n}{i:05d}" for i, o in enumerate(mine)})
        client.sync_once()
    finally:
        store.close()
        server.stop()
        db.conn.close()
    for name in ("backend.db", "picker.db"):
        conn = sqlite3.connect(directory / name)
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.close()
    return Template(directory, token, layout)


# --- the fork server ---------------------------------------------------------------------------


class ForkServer:
    """tests/killkit/recorder.py serving: one recorder process per `fork`."""

    def __init__(self, log: Path) -> None:
        self.log = log
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        with open(log, "w") as err:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "tests.killkit.recorder", str(LAYOUT)],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err, text=True,
                cwd=ROOT, env=env, start_new_session=True,
            )  # fmt: skip
        self.lock = threading.Lock()

    def fork(self, r: Any, role: str = "scan") -> int:
        """A recorder of `r` (a Round), or a child of tests/killkit/syncroles.py (its
        dataclass, and its role); returns its pid."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        with self.lock:
            self.proc.stdin.write(json.dumps({"role": role, **asdict(r)}) + "\n")
            self.proc.stdin.flush()
            line = self.proc.stdout.readline()
        if not line:
            raise Finding(f"the fork server ended: {self.errors()}")
        return int(line)

    def errors(self) -> str:
        return self.log.read_text()[-3000:]

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()


@contextmanager
def fork_server(log: Path) -> Iterator[ForkServer]:
    server = ForkServer(log)
    try:
        yield server
    finally:
        server.close()


# --- a round's plan: the scans that finish the task, and the state after each -----------------


def signature(session: PickSession) -> tuple[object, ...]:
    """What a scan changes in a session: the quantities picked and whether the bin is confirmed."""
    picked = sorted((k, round(v, 6)) for k, v in session.picked.items() if v)
    return (tuple(picked), session.bin_confirmed)


@dataclass
class Plan:
    texts: list[str]
    states: list[tuple[object, ...]]  # states[k]: after the first k scans
    events: list[int]  # events each scan records

    @classmethod
    def of(cls, session: PickSession, scans: int) -> Plan:
        """The next `scans` scans of the task (fewer if it is done sooner): each line's bin,
        then its item a unit at a time (a weighed item's label once)."""
        sim = copy.deepcopy(session)
        plan = cls([], [signature(sim)], [])
        while len(plan.texts) < scans and sim.current is not None:
            line = sim.current
            text = line.bin if sim.require_bin_scan and not sim.bin_confirmed else item_code(line)
            decision = sim.scan(interpret(text))
            if not decision.accepted:
                raise Finding(f"the plan's scan {text!r} is refused: {decision.message}")
            plan.texts.append(text)
            plan.states.append(signature(sim))
            plan.events.append(len(decision.events))
        return plan


# --- a lane: one device's rounds ------------------------------------------------------------


class Epoch:
    """A fresh copy of the template, its backend served on loopback."""

    def __init__(self, t: Template, directory: Path) -> None:
        directory.mkdir(parents=True)
        for name in ("backend.db", "picker.db"):
            shutil.copy(t.directory / name, directory / name)
        self.directory = directory
        self.cache = directory / "picker.db"
        self.backend_db = BackendDB(directory / "backend.db")
        self.server = ServerThread(self.backend_db)
        self.acked: dict[str, int] = {}  # event id -> seq: each one acknowledged so far

    def close(self) -> None:
        self.server.stop()
        self.backend_db.conn.close()


@dataclass
class Seen:
    """What the test saw of one recorder."""

    acks: list[tuple[int, list[tuple[int, str]]]] = field(default_factory=list)
    ready: bool = False
    killed_by_test: bool = False


@dataclass
class Offer:
    """The scans of a round being written to its recorder's pty."""

    spec: Spec
    plan: Plan
    master: int  # the pty's master end
    sent: int = 0  # scans written
    written: list[float] = field(default_factory=list)  # when each was written
    due: list[float] = field(default_factory=list)  # when each is written (random rounds)
    kill_at: float | None = None  # (random rounds)
    ready_at: float = 0.0
    answered: int = 0  # scans acknowledged
    waiting: int = 0  # the seq of the last event acknowledged (sync rounds)
    uploaded: int = 0  # the last seq the recorder has had answered by the backend
    over: bool = False  # the recorder is dead

    def write(self, scans: int) -> None:
        texts = self.plan.texts[self.sent : self.sent + scans]
        if texts and not self.over:
            os.write(self.master, b"".join(t.encode() + b"\r" for t in texts))
            self.sent += len(texts)
            self.written += [time.monotonic()] * len(texts)

    def write_if_uploaded(self) -> None:
        """The next scan, once the last one is acknowledged and its event (if any) uploaded
        (sync rounds)."""
        if self.answered == self.sent and self.uploaded >= self.waiting:
            self.write(1)


class Lane:
    def __init__(self, t: Template, forks: ForkServer, directory: Path, seed: int) -> None:
        self.t = t
        self.forks = forks
        self.directory = directory
        self.rng = random.Random(seed)
        self.report = Report()
        self.epoch: Epoch | None = None
        self.session: PickSession | None = None  # the task of PICKERS[self.picker]
        self.picker = 0
        self.rounds = 0
        self.per_scan_s = 0.015  # how long the recorder takes a scan, as this lane sees it
        # One a lane, for plain http on loopback (a new client loads CA bundle and proxies).
        self.http = httpx.Client(timeout=10, trust_env=False)

    def run(self, rounds: Sequence[Spec], stop: threading.Event) -> Report:
        try:
            for spec in rounds:
                if stop.is_set():  # another lane has failed
                    break
                self.play(spec)
        except BaseException:
            stop.set()
            raise
        finally:
            self.http.close()
            if self.epoch is not None:
                self.epoch.close()
        return self.report

    def _next_task(self) -> None:
        """The next picker's task; after the last one's, a fresh copy of the template."""
        if self.epoch is None or self.picker == len(PICKERS) - 1:
            if self.epoch is not None:
                self.epoch.close()
            self.report.epochs += 1
            self.epoch = Epoch(self.t, self.directory / f"epoch-{self.report.epochs}")
            self.picker = 0
        else:
            self.picker += 1
        store = LocalStore.open(self.epoch.cache)
        try:
            task = PickService(store, self.t.layout).open_task(PICKERS[self.picker])
            assert task is not None
            self.session = task.session
        finally:
            store.close()

    def play(self, spec: Spec) -> None:
        if self.session is None:
            self._next_task()
        assert self.session is not None
        plan = Plan.of(self.session, spec.scans)
        while len(plan.texts) < spec.needs:
            self._next_task()
            plan = Plan.of(self.session, spec.scans)
        self.rounds += 1
        seen = self.drive(spec, plan)
        self.session = self.check(spec, plan, seen)

    # --- one recorder -----------------------------------------------------------------------

    def drive(self, spec: Spec, plan: Plan) -> Seen:
        assert self.epoch is not None
        fifo = self.directory / f"round-{self.rounds}.fifo"
        os.mkfifo(fifo)
        master, slave = os.openpty()
        tty.setraw(slave)
        lines = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
        try:
            r = Round(
                fifo=str(fifo), db=str(self.epoch.cache), pty=os.ttyname(slave),
                picker=PICKERS[self.picker], url=self.epoch.server.url, store=STORE,
                token=self.t.token,
                point=spec.point, n=spec.n, j=spec.j, ack_early=spec.ack_early,
            )  # fmt: skip
            pid = self.forks.fork(r)
            try:
                dead = os.pidfd_open(pid)
            except ProcessLookupError:  # dead and reaped already (an ERR line says why)
                return self._last_words(Seen(), Offer(spec, plan, master), lines)
            try:
                return self._watch(dead, Offer(spec, plan, master), lines)
            finally:
                with contextlib.suppress(ProcessLookupError):
                    signal.pidfd_send_signal(dead, signal.SIGKILL)  # if a check failed early
                os.close(dead)
        finally:
            os.close(lines)
            os.close(master)
            os.close(slave)
            fifo.unlink()

    def _watch(self, dead: int, r: Offer, lines: int) -> Seen:
        """Offer the scans, read the answers, kill when it is time; until the recorder is dead.

        A random round writes its scans as a fast scanner would, 0-8 ms apart whatever the
        recorder is doing, and kills it at a moment drawn over the time it takes them all (as
        this lane has seen it do), or, once in seven rounds, while it opens the cache. A fixed
        round writes its scans at once; one that dies in the sync writes each only when the
        scan before it is acknowledged and its event uploaded, so that there is an upload (and
        a marking) per item scanned."""
        seen = Seen()
        spec, rng = r.spec, self.rng
        start = time.monotonic()
        if spec.point is None and rng.random() < 0.15:
            r.kill_at = start + rng.uniform(0, 0.06)
        limit = start + WAIT_S
        buf = b""
        while True:
            now = time.monotonic()
            while r.sent < len(r.due) and r.due[r.sent] <= now:
                r.write(1)
            if now >= min(r.kill_at or limit, limit) and not seen.killed_by_test:
                with contextlib.suppress(ProcessLookupError):  # dead already: its last words
                    signal.pidfd_send_signal(dead, signal.SIGKILL)
                seen.killed_by_test = True
            wake = [t for t in (*r.due[r.sent : r.sent + 1], r.kill_at, limit) if t is not None]
            timeout = max(0.0, min(wake) - time.monotonic())
            ready, _, _ = select.select([lines, dead], [], [], timeout)
            if dead in ready:
                break
            if lines in ready:
                buf += _read(lines)
                while b"\n" in buf:
                    line, buf = buf.split(b"\n", 1)
                    self._answer(line.decode(), r, seen)
        seen = self._last_words(seen, r, lines, buf)
        if spec.point is not None and seen.killed_by_test:
            raise Finding(f"{spec} never reached its point: {seen}")
        return seen

    def _last_words(self, seen: Seen, r: Offer, lines: int, buf: bytes = b"") -> Seen:
        """The lines a dead recorder wrote before it died."""
        r.over = True
        for line in (buf + _read(lines)).decode().splitlines():
            self._answer(line, r, seen)
        return seen

    def _answer(self, line: str, r: Offer, seen: Seen) -> None:
        """Take one line from the recorder."""
        word, _, rest = line.partition(" ")
        spec = r.spec
        now = time.monotonic()
        if word == "READY":
            seen.ready = True
            r.ready_at = now
            if spec.point is None:  # a fast scanner
                t = now
                for _ in r.plan.texts:
                    t += self.rng.uniform(0, 0.008)
                    r.due.append(t)
                if r.kill_at is None:
                    span = t - now + self.per_scan_s * len(r.plan.texts)
                    r.kill_at = now + self.rng.uniform(0, span)
            else:
                r.write(1 if spec.point in SYNC_POINTS else len(r.plan.texts))
        elif word == "ACK":
            n, *events = rest.split()
            acked = [(int(s), e) for s, e in (x.split(":") for x in events)]
            seen.acks.append((int(n), acked))
            r.answered += 1
            if not r.over and int(n) < len(r.written):
                self.report.ack_ms.append((now - r.written[int(n)]) * 1000)
            if spec.point is None:
                taken = (now - r.ready_at) / (int(n) + 1)
                self.per_scan_s = 0.8 * self.per_scan_s + 0.2 * taken
            elif spec.point in SYNC_POINTS:
                r.waiting = max((s for s, _ in acked), default=0)
                r.write_if_uploaded()
        elif word == "UP":
            r.uploaded = max(r.uploaded, int(rest))
            r.write_if_uploaded()
        else:
            kind = "save" if line.startswith("NAK") and "not saved" in line else "other"
            raise Finding(f"the recorder said {line!r} in {spec}: {self.forks.errors()}", kind)

    # --- after a death ----------------------------------------------------------------------

    def check(self, spec: Spec, plan: Plan, seen: Seen) -> PickSession:
        """The cache as the app finds it after the kill, then synced; the next round's session."""
        assert self.epoch is not None
        epoch = self.epoch
        acks = [n for n, _ in seen.acks]
        m = len(acks)
        where = f"{spec} after {m} acks"
        if acks != list(range(m)):
            raise Finding(f"{where}: acknowledgements out of order: {acks}")
        for n, events in seen.acks:
            if len(events) != plan.events[n]:
                raise Finding(f"{where}: scan {n} acknowledged with {events}")
            for seq, event_id in events:
                epoch.acked[event_id] = seq
        store = LocalStore.open(epoch.cache)  # the app's recovery: as it opens after a crash
        try:
            (row,) = store.rows("PRAGMA integrity_check")
            if list(row.values()) != ["ok"]:
                raise Finding(f"{where}: integrity_check says {row}", "integrity")
            outbox = store.rows("SELECT seq, event_id, type, payload FROM outbox ORDER BY seq")
            seqs = [r["seq"] for r in outbox]
            if seqs != list(range(1, len(seqs) + 1)):
                gaps = max(1, len(set(range(1, max(seqs, default=0) + 1)) - set(seqs)))
                raise Finding(f"{where}: the outbox's seq has gaps: {seqs}", "lost", gaps)
            ids = {r["event_id"]: r["seq"] for r in outbox}
            if len(ids) != len(outbox):
                twice = len(outbox) - len(ids)
                raise Finding(f"{where}: an event id is in the outbox twice", "doubled", twice)
            lost = {e: s for e, s in epoch.acked.items() if ids.get(e) != s}
            if lost:
                raise Finding(
                    f"{where}: acknowledged events lost or renumbered: {lost}", "lost", len(lost)
                )
            self._state_matches_events(store, outbox, where)
            task = PickService(store, self.t.layout).open_task(PICKERS[self.picker])
            if task is None:
                raise Finding(f"{where}: the task is no longer open")
            state = signature(task.session)
            if spec.point in ("begin", "commit"):
                allowed = [plan.states[spec.n - 1]]
                if m != spec.n - 1:
                    raise Finding(f"{where}: killed in transaction {spec.n}")
            elif spec.point == "ack":
                allowed = [plan.states[spec.n]]
                if m != spec.n - 1:
                    raise Finding(f"{where}: killed before acknowledgement {spec.n}")
            else:
                allowed = plan.states[m : m + 2]
            if state not in allowed:
                raise Finding(f"{where}: the task resumes at {state}, not one of {allowed}")
            if state != plan.states[m]:
                self.report.committed_unacked += 1
            resent = self._sync_and_compare(store, outbox, where)
            if spec.point == "sent" and not resent:
                raise Finding(f"{where}: nothing was in flight after the upload's answer")
            if spec.point == "marked" and resent:
                raise Finding(f"{where}: {resent} events still in flight after their marking")
            session = task.session
        finally:
            store.close()
        self.report.rounds += 1
        self.report.by_point[spec.point or "random"] += 1
        self.report.acks[m] += 1
        self.report.acked_events += sum(len(events) for _, events in seen.acks)
        return session

    @staticmethod
    def _state_matches_events(store: LocalStore, outbox: list[dict], where: str) -> None:
        """Each pick line's quantity picked is what its kept events say (saved together)."""
        picked: Counter[tuple[str, int]] = Counter()
        for r in outbox:
            if r["type"] == "stock_picked":
                p = json.loads(r["payload"])
                picked[(p["order"], p["line"])] += p["qty"]
        for line in store.rows("SELECT order_id, line_no, qty_picked FROM order_line"):
            key = (line["order_id"], line["line_no"])
            if abs(line["qty_picked"] - picked[key]) > 1e-9:
                raise Finding(
                    f"{where}: line {key} has {line['qty_picked']} picked, its events {picked[key]}"
                )

    def _sync_and_compare(self, store: LocalStore, outbox: list[dict], where: str) -> int:
        """Upload what is waiting; the backend then has each event once, and only those.
        Returns how many events it had before (sent, not marked: answered `duplicate`)."""
        assert self.epoch is not None
        settings = SyncSettings(self.epoch.server.url, STORE, self.t.token)
        client = SyncClient(store, settings, http=self.http)
        report = client.upload_all(max_attempts=3)
        self.report.resent += report.duplicate
        counts = store.counts()
        if counts["pending"] or counts["rejected"]:
            raise Finding(f"{where}: after a sync the outbox has {counts}")
        conn = sqlite3.connect(f"file:{self.epoch.directory / 'backend.db'}?mode=ro", uri=True)
        try:
            rows = conn.execute(
                "SELECT event_id, seq, status FROM events WHERE device = ?", (store.device,)
            ).fetchall()
        finally:
            conn.close()
        twice = [e for e, n in Counter(r[0] for r in rows).items() if n > 1]
        twice += [f"seq {s}" for s, n in Counter(r[1] for r in rows).items() if n > 1]
        if twice:
            extra = max(
                1, len(rows) - len({r[0] for r in rows}), len(rows) - len({r[1] for r in rows})
            )
            raise Finding(f"{where}: the backend has events twice: {twice}", "doubled", extra)
        missing = {r["event_id"] for r in outbox} - {r[0] for r in rows}
        if missing:
            raise Finding(f"{where}: the backend lacks {len(missing)} events", "lost", len(missing))
        if {r[0] for r in rows} != {r["event_id"] for r in outbox}:
            raise Finding(f"{where}: the backend's events are not the outbox's")
        refused = [r for r in rows if r[2] != "applied"]
        if refused:
            raise Finding(f"{where}: the backend refused {refused}")
        return report.duplicate


def _read(fd: int) -> bytes:
    out = b""
    while True:
        try:
            chunk = os.read(fd, 65536)
        except BlockingIOError:
            return out
        if not chunk:
            return out
        out += chunk


def run(
    rounds: Sequence[Spec],
    t: Template,
    workdir: Path,
    lanes: int = 2,
    seed: int = 15,
    forks: ForkServer | None = None,
) -> Report:
    """Play `rounds` in `lanes` concurrent lanes (with `forks`, or a fork server of their own);
    the first Finding (if any) is raised."""
    started = time.monotonic()
    workdir.mkdir(parents=True, exist_ok=True)
    with contextlib.ExitStack() as stack:
        if forks is None:
            forks = stack.enter_context(fork_server(workdir / "recorders.log"))
        lane_list = [Lane(t, forks, workdir / f"lane-{i}", seed * 100 + i) for i in range(lanes)]
        for lane in lane_list:
            lane.directory.mkdir(parents=True)
        total = run_lanes(lane_list, rounds, Report())
    total.seconds = time.monotonic() - started
    return total


def run_lanes(lanes: Sequence[Any], rounds: Sequence[Any], total: Any) -> Any:
    """Play `rounds` shared out among `lanes` (each a thread, its own device and directory; a
    lane's `run(rounds, stop)` returns its report), and add their reports up into `total`."""
    stop = threading.Event()
    with ThreadPoolExecutor(len(lanes)) as pool:
        futures = [
            pool.submit(lane.run, rounds[i :: len(lanes)], stop) for i, lane in enumerate(lanes)
        ]
        reports = [f.result() for f in futures]
    for r in reports:
        total.add(r)
    return total
