"""The sync suite's children, forked by the recorder's fork server (tests/killkit/recorder.py).

A downloader (`Download`) opens the cache the app's way and brings it up to date from the
backend (`SyncClient.download_changes`, in pages of `limit` changes, or a snapshot when the
cache has no cursor), says `READY` before and `DONE <cursor>` after, then waits to be killed.
Given a fixed point it kills itself there, seen through the writer connection's trace
callback: in the n-th transaction of its kind (a snapshot's begins by emptying `order_line`,
a page's by writing an order), before its j-th statement after BEGIN ("begin") or before its
COMMIT ("commit"); a kill before COMMIT loses that transaction whole.

An uploader (`Upload`) records out-of-stock flags in its cache and uploads them, a few at a
time, as fast as the backend takes them, errors and all (the test kills the backend under
it), pausing while `backlog` wait (else the backend, down a third of the time, leaves thousands
to drain at the end); once its stop file exists it records no more, uploads the rest and says
`DONE <events> <failed uploads>`.

A backend (`Backend`) is `picker-app backend --db FILE serve ...` (the CLI's own `main`).
"""

from __future__ import annotations

import os
import signal
import threading
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from picker_app.domain.events import OutOfStockFlagged
from picker_app.store.db import LocalStore
from picker_app.sync.client import SyncClient, SyncError, SyncSettings

KINDS = ("snapshot", "changes")


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def say(out: int, line: str) -> None:
    os.write(out, f"{line}\n".encode())


@contextmanager
def telling(out: int) -> Iterator[None]:
    """A child's error: its traceback to the fork server's log and `ERR <error>` to the test
    (the fork server ends a child with os._exit, which would say nothing)."""
    try:
        yield
    except BaseException as err:
        traceback.print_exc()
        say(out, f"ERR {type(err).__name__}: {err}")
        raise


@dataclass(frozen=True)
class Download:
    """One downloader's orders (a fork server's line, role `download`)."""

    fifo: str
    db: str
    url: str
    store: str
    token: str
    limit: int = 4  # changes a page
    point: str | None = None  # "begin" or "commit"; None: the test kills it
    kind: str = "changes"  # the transaction it dies in: one of KINDS
    n: int = 1  # the n-th transaction of that kind (1-based)
    j: int = 1  # "begin": before the j-th statement after BEGIN (or its COMMIT, if sooner)
    cursor_first: bool = False  # a broken app: saves a page's cursor before its data (to fail)


class ApplyPoint:
    """Kills this process inside the n-th replica transaction of one kind."""

    def __init__(self, d: Download) -> None:
        self.d = d
        self.kind: str | None = None  # of the open transaction, once its first statement runs
        self.seen = 0  # transactions of the kind `d` names
        self.statements = 0

    def trace(self, sql: str) -> None:
        """The writer connection's trace callback: called as each statement starts."""
        d = self.d
        if sql == "BEGIN IMMEDIATE":
            self.kind = None
            self.statements = 0
            return
        if self.kind is None:
            if sql.startswith("DELETE FROM order_line"):
                self.kind = "snapshot"
            elif sql.startswith("INSERT INTO orders"):
                self.kind = "changes"
            else:
                self.kind = "other"
            if self.kind == d.kind:
                self.seen += 1
        if d.point is None or self.kind != d.kind or self.seen != d.n:
            return
        self.statements += 1
        if sql == "COMMIT" or (d.point == "begin" and self.statements >= d.j):
            die()  # before the statement runs: the transaction is not committed


def download(d: Download) -> None:
    out = os.open(d.fifo, os.O_WRONLY)
    with telling(out):
        store = LocalStore.open(d.db)
        point = ApplyPoint(d)
        store.writer.set_trace_callback(point.trace)
        http = httpx.Client(timeout=10, trust_env=False)
        client = SyncClient(store, SyncSettings(d.url, d.store, d.token), http=http)
        if d.cursor_first:
            apply = store.apply_changes

            def cursor_first(page):  # type: ignore[no-untyped-def]
                store.set_sync_state(cursor=str(page.next_cursor))
                apply(page)

            store.apply_changes = cursor_first  # type: ignore[method-assign]
        say(out, "READY")
        client.download_changes(limit=d.limit)
        say(out, f"DONE {store.cursor()}")
        while True:
            signal.pause()


@dataclass(frozen=True)
class Upload:
    """One uploading device's orders (role `upload`)."""

    fifo: str
    db: str
    url: str
    store: str
    token: str
    stop: str  # a file: once it exists, record no more, upload the rest, say DONE
    batch: int = 3  # events an upload
    every_s: float = 0.004  # between recordings
    backlog: int = 60  # no more recording while this many wait (the drain after stop is short)


def upload(u: Upload) -> None:
    out = os.open(u.fifo, os.O_WRONLY)
    with telling(out):
        store = LocalStore.open(u.db)
        places = store.rows("SELECT bin, sku FROM stock ORDER BY bin, sku")
        settings = SyncSettings(u.url, u.store, u.token, batch_size=u.batch, timeout_s=5)
        client = SyncClient(store, settings, http=httpx.Client(timeout=5, trust_env=False))
        stop = Path(u.stop)
        state = {"recorded": 0, "stopping": False}

        def recorder() -> None:
            while not stop.exists():
                if store.counts()["pending"] >= u.backlog:
                    time.sleep(u.every_s)
                    continue
                place = places[state["recorded"] % len(places)]
                with store.write():
                    store.record(OutOfStockFlagged(sku=place["sku"], bin=place["bin"]))
                state["recorded"] += 1
                time.sleep(u.every_s)
            state["stopping"] = True

        thread = threading.Thread(target=recorder, daemon=True)
        thread.start()
        say(out, "READY")
        errors = 0
        while True:
            stopping = state["stopping"]
            try:
                client.upload_all(max_attempts=1)
            except SyncError:
                errors += 1
                time.sleep(0.005)
                continue
            if stopping and not store.counts()["pending"]:
                break
            time.sleep(0.002)
        say(out, f"DONE {state['recorded']} {errors}")
        while True:
            signal.pause()


@dataclass(frozen=True)
class Backend:
    """A backend process's command line and its own data folder (for its log)."""

    argv: list[str]
    home: str


def backend(b: Backend) -> None:
    os.environ["XDG_DATA_HOME"] = b.home
    from picker_app.cli import main

    os._exit(main(b.argv))


def preload() -> None:
    """The backend's imports (a second and a half), once in the fork server, not per child."""
    import uvicorn  # noqa: F401

    import picker_app.backend.app  # noqa: F401
    import picker_app.cli  # noqa: F401
    import picker_app.cli.backend  # noqa: F401


ROLES = {
    "download": (Download, download),
    "upload": (Upload, upload),
    "backend": (Backend, backend),
}
