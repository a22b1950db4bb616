"""The headless recorder the kill tests kill: the app's scan path without its screen.

Run as `python -m tests.killkit.recorder LAYOUT`, it is a fork server: it imports the app's code
and reads the layout once, then forks one recorder per JSON line on stdin (a round; see
`Round`) and answers with the recorder's pid, so a round costs a fork, not an interpreter.

A recorder opens the cache as the app does (`LocalStore.open`, then `PickService.open_task`:
the crash recovery path), reads a real `SerialScanner` on the round's pty, runs the app's
`SyncWorker` against the backend, and takes each scan as the route screen does (interpret,
`PickSession.scan`, `PickService.save`); it writes `ACK <n> <seq>:<event id>...` for the
n-th scan of the round (0-based) only once `save` has returned, and `NAK <n> <why>` for one
refused, and `UP <seq>` when the backend has answered an upload ending at event `seq`. Lines
go to the round's FIFO, each one os.write (whole, and no buffer to lose).

Given a fixed point, it kills itself (SIGKILL) there, with no hook in the app's code: the
writer connection's trace callback sees each BEGIN and COMMIT and the UPDATE that marks
events sent, a commit watcher (`LocalStore.watch`) sees that update committed, and the sync
client's HTTP transport is wrapped to see the backend's answer to an upload.

The route screen's double-read guard is left out: the test scans a bin, its item and the same
bin again faster than a person pulls a trigger, and the guard would rightly drop that.
"""

from __future__ import annotations

import copy
import json
import os
import queue
import signal
import sys
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from picker_app.domain.layout import Layout, parse_layout
from picker_app.domain.scan import interpret
from picker_app.errors import PickerError
from picker_app.scanner.framing import Misread
from picker_app.scanner.serial_reader import ScannerStatus, ScanRead, SerialScanner, SerialSettings
from picker_app.services.picking import PickService, PickTask
from picker_app.store.db import Event, LocalStore
from picker_app.sync.client import SyncClient, SyncSettings
from picker_app.sync.worker import SyncWorker
from tests.killkit.syncroles import ROLES, preload

# Where a recorder can be told to kill itself.
POINTS = ("begin", "commit", "ack", "sent", "marked")


@dataclass(frozen=True)
class Round:
    """One recorder's orders (the JSON of a line on the fork server's stdin)."""

    fifo: str  # where it writes its READY, ACK, NAK, UP and ERR lines
    db: str  # the cache file
    pty: str  # the scanner's serial port (the slave end of the test's pty)
    picker: str  # whose open task it resumes
    url: str  # the backend
    store: str
    token: str
    sync_interval_s: float = 0.02
    point: str | None = None  # one of POINTS, or None: the test kills it
    n: int = 1  # at the n-th occurrence of the point (1-based)
    j: int = 1  # "begin": at the j-th statement after BEGIN (or its COMMIT, if sooner)
    ack_early: bool = False  # acknowledge before saving: a broken app, for the checks to catch


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


class FixedPoint:
    """Kills this process at the n-th occurrence of one point (see the module's docstring)."""

    def __init__(self, r: Round) -> None:
        self.r = r
        self.main = threading.main_thread()
        self.transactions = 0  # the scan thread's
        self.statements = 0  # in its current transaction
        self.marking = False  # the sync thread's open transaction marks events sent
        self.marks = 0
        self.uploads = 0

    def trace(self, sql: str) -> None:
        """The writer connection's trace callback: called as each statement starts."""
        point, here = self.r.point, threading.current_thread()
        if point in ("begin", "commit") and here is self.main:
            if sql == "BEGIN IMMEDIATE":
                self.transactions += 1
                self.statements = 0
                return
            if self.transactions != self.r.n:
                return
            self.statements += 1
            if sql == "COMMIT" or (point == "begin" and self.statements >= self.r.j):
                die()  # before the statement runs: before COMMIT, the transaction is lost
        elif point == "marked" and here is not self.main:
            if sql == "BEGIN IMMEDIATE":
                self.marking = False
            elif sql.startswith("UPDATE outbox SET state = 'sent'"):
                self.marking = True

    def committed(self, tables: frozenset[str]) -> None:
        """A commit watcher: told after each commit, in the thread that made it."""
        if self.r.point == "marked" and self.marking and "outbox" in tables:
            self.marking = False
            self.marks += 1
            if self.marks == self.r.n:
                die()

    def uploaded(self) -> None:
        """The backend has answered an upload (it has applied the batch)."""
        self.uploads += 1
        if self.r.point == "sent" and self.uploads == self.r.n:
            die()  # before the client reads the answer, so before it marks anything


class WatchUploads(httpx.BaseTransport):
    """A real transport that tells `point` each time the backend answers an upload, then
    says `UP <its last seq>` (the test paces the scans of a sync round by it)."""

    def __init__(self, point: FixedPoint, say: Callable[[str], None]) -> None:
        self.inner = httpx.HTTPTransport(verify=False)  # plain http on loopback: no CA bundle
        self.point = point
        self.say = say

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if request.method == "POST" and request.url.path.endswith("/events"):
            self.point.uploaded()
            self.say(f"UP {json.loads(request.content)['events'][-1]['seq']}")
        return response

    def close(self) -> None:
        self.inner.close()


class Recorder:
    """One round: the scans of a pty through the pick service into the cache."""

    def __init__(self, r: Round, layout: Layout, out: int) -> None:
        self.r = r
        self.out = out
        self.point = FixedPoint(r)
        self.store = LocalStore.open(r.db)
        self.service = PickService(self.store, layout)
        task = self.service.open_task(r.picker)
        if task is None:
            raise RuntimeError(f"{r.picker} has no open task in {r.db}")
        self.task: PickTask = task
        self.acks = 0
        self.recorded: list[Event] = []
        record = self.store.record

        def recording(event, user=None):  # type: ignore[no-untyped-def]
            made = record(event, user)
            self.recorded.append(made)
            return made

        self.store.record = recording  # type: ignore[method-assign]
        self.store.writer.set_trace_callback(self.point.trace)
        self.store.watch(self.point.committed)

    def say(self, line: str) -> None:
        os.write(self.out, f"{line}\n".encode())

    def run(self) -> None:
        r = self.r
        # Plain http on loopback: no CA bundle or proxy settings to load (0.2 s a process).
        http = httpx.Client(
            transport=WatchUploads(self.point, self.say), timeout=10, trust_env=False
        )
        client = SyncClient(self.store, SyncSettings(r.url, r.store, r.token), http=http)
        SyncWorker(client, interval_s=r.sync_interval_s).start()
        events: queue.Queue[object] = queue.Queue()
        SerialScanner(SerialSettings(port=r.pty), events.put).start()
        n = 0
        while True:
            event = events.get()
            if isinstance(event, ScannerStatus) and event.connected:
                self.say("READY")
            elif isinstance(event, Misread):
                self.say(f"ERR misread {event.reason}")
            elif isinstance(event, ScanRead):
                self.take(n, event.text)
                n += 1

    def take(self, n: int, text: str) -> None:
        """One scan, as the route screen takes it (PickScreen.handle_scan and decide)."""
        session = self.task.session
        before = copy.deepcopy(session)
        decision = session.scan(interpret(text, self.service.scan_config))
        if not decision.accepted:
            self.say(f"NAK {n} {decision.message}")
            return
        self.recorded = []
        if self.r.ack_early:
            self.say(f"ACK {n}")
        try:
            self.service.save(self.task, decision.events)
        except PickerError as err:
            session.__dict__.update(before.__dict__)
            self.say(f"NAK {n} not saved: {err}")
            return
        self.acks += 1
        if self.r.point == "ack" and self.acks == self.r.n:
            die()  # committed, not yet shown
        if not self.r.ack_early:
            self.say(" ".join(["ACK", str(n), *(f"{e.seq}:{e.event_id}" for e in self.recorded)]))


def record(r: Round, layout: Layout) -> None:
    """A forked recorder's life: until it is killed (or its round goes wrong: ERR)."""
    out = os.open(r.fifo, os.O_WRONLY)
    try:
        Recorder(r, layout, out).run()
    except BaseException as err:
        traceback.print_exc()
        os.write(out, f"ERR {type(err).__name__}: {err}\n".encode())
        raise


def serve(layout_path: Path) -> None:
    """The fork server: one recorder per line of stdin, its pid on stdout (a line with a
    `role` other than `scan` forks one of tests/killkit/syncroles.py instead)."""
    layout = parse_layout(layout_path.read_text(), str(layout_path))
    httpx.HTTPTransport(verify=False).close()  # its lazy imports (0.2 s) once, not per recorder
    preload()
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # recorders are reaped by the kernel
    for line in sys.stdin:
        orders = json.loads(line)
        role = orders.pop("role", "scan")
        pid = os.fork()
        if pid == 0:
            try:
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                devnull = os.open(os.devnull, os.O_RDWR)
                os.dup2(devnull, 0)  # stdin and stdout are the fork server's
                os.dup2(devnull, 1)
                if role == "scan":
                    record(Round(**orders), layout)
                else:
                    kind, play = ROLES[role]
                    play(kind(**orders))
            finally:
                os._exit(1)  # a recorder ends only when killed, or when its round went wrong
        sys.stdout.write(f"{pid}\n")
        sys.stdout.flush()


if __name__ == "__main__":
    serve(Path(sys.argv[1]))
