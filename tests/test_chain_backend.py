"""The chain backend (issue 16) beyond what the sync suite checks on both back ends: writes of
several backend processes at once on one city's database (claims and cancellations that read
then write cannot race), and two cities on two PostgreSQL servers, one stopped mid-run while
the other's devices keep syncing."""

from __future__ import annotations

import multiprocessing
import shutil
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx
import pytest

from picker_app.backend.server import ServerThread, seed_from_fixtures
from picker_app.domain.events import StockPicked
from picker_app.store.db import LocalStore
from picker_app.sync.client import Retryable, SyncClient, SyncSettings
from picker_app.wire import EventBatch, WireEvent
from tests.backends import ROOT, STORE

PROCESSES = 4


def _event(device: str, seq: int, type_: str, payload: dict) -> WireEvent:
    return WireEvent(
        event_id=str(uuid.uuid4()), device=device, seq=seq, type=type_, user=None,
        created_at="2026-12-02T10:00:00+05:30", payload=payload,
    )  # fmt: skip


def _claimer(dsn: str, device: str, orders: list[str], start, out) -> None:  # type: ignore[no-untyped-def]
    """One backend process: its own pool, each order claimed by `device` in its own batch."""
    from picker_app.backend.repository.postgres import PostgresDB

    db = PostgresDB(dsn, pool_size=2)
    start.wait(30)
    won = []
    for seq, order in enumerate(orders, start=1):
        payload = {"task": f"T-{device}-{seq}", "orders": [order]}
        claim = _event(device, seq, "pick_started", payload)
        batch = EventBatch(device=device, batch_id=f"{device}-{seq}", events=[claim])
        if db.apply_batch(STORE, batch).results[0].status == "applied":
            won.append(order)
    db.close()
    out.put((device, won))


def _run_processes(target, args_of) -> list:  # type: ignore[no-untyped-def]
    ctx = multiprocessing.get_context("spawn")
    start, out = ctx.Barrier(PROCESSES), ctx.Queue()
    procs = [ctx.Process(target=target, args=(*args_of(i), start, out)) for i in range(PROCESSES)]
    for p in procs:
        p.start()
    results = [out.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(30)
        assert p.exitcode == 0
    return results


@pytest.fixture
def seeded_pg(repo_templates, pg_server) -> str:
    """A copy of the small seeded store (5 open orders) on PostgreSQL: its address."""
    return pg_server.new_database(repo_templates.seeded("postgres", 5))


def test_devices_of_several_backend_processes_claim_each_order_once(seeded_pg):
    """Four backend processes, each for one device claiming every open order (in its own
    order), released at once: each order is claimed by exactly one device, and it is that
    device the order names."""
    from picker_app.backend.repository.postgres import PostgresDB

    db = PostgresDB(seeded_pg)
    orders = [r[0] for r in db.conn.execute("SELECT id FROM orders ORDER BY id")]
    assert len(orders) == 5

    def args_of(i: int) -> tuple:
        return (seeded_pg, f"dev-{i}", orders[i:] + orders[:i])

    won = dict(_run_processes(_claimer, args_of))
    claimed = [order for device in won for order in won[device]]
    assert sorted(claimed) == orders  # each once
    holders = dict(db.conn.execute("SELECT id, claimed_by FROM orders").fetchall())
    assert holders == {order: device for device in won for order in won[device]}
    db.close()


def _picker_or_canceller(dsn: str, role: int, orders: list[str], start, out) -> None:  # type: ignore[no-untyped-def]
    """One backend process: process 0 is the customers cancelling every order, one after
    another; the others devices claiming them all, one batch of claims each, again and again
    (each batch's transaction reads every order early and writes it late)."""
    from picker_app.backend.repository.postgres import PostgresDB

    db = PostgresDB(dsn, pool_size=2)
    start.wait(30)
    done = []
    if role == 0:
        for order in orders:
            if db.cancel_order(STORE, order):
                done.append(order)
            time.sleep(0.01)
    else:
        device = f"dev-{role}"
        for n in range(10):
            claims = [
                _event(device, n * len(orders) + k, "pick_started",
                       {"task": f"T-{device}-{n}-{k}", "orders": [order]})
                for k, order in enumerate(orders, start=1)
            ]  # fmt: skip
            db.apply_batch(STORE, EventBatch(device=device, batch_id=f"b{n}", events=claims))
    db.close()
    out.put((role, done))


def test_a_cancellation_racing_claims_of_other_processes_is_never_undone(
    repo_templates, pg_server
):
    """The customers cancel every order from one process while devices claim them from three
    others: an order the cancellation went through for stays cancelled (a claim that read
    the order before the cancel committed would otherwise write `picking` over it)."""
    from picker_app.backend.repository.postgres import PostgresDB

    dsn = pg_server.new_database(repo_templates.seeded("postgres", 20))
    db = PostgresDB(dsn)
    orders = [r[0] for r in db.conn.execute("SELECT id FROM orders ORDER BY id")]
    results = dict(_run_processes(_picker_or_canceller, lambda i: (dsn, i, orders)))
    states = dict(db.conn.execute("SELECT id, state FROM orders").fetchall())
    assert results[0], "no cancellation went through: the race was not run"
    assert all(states[order] == "cancelled" for order in results[0]), states
    db.close()


# Two cities, two servers.
CITIES = {"bengaluru": STORE, "hyderabad": "HYD-MAD-01"}


@pytest.fixture
def second_server():
    """A PostgreSQL server of this test's own (the test stops and starts it)."""
    from tests.pgserver import PgServer

    folder = Path(tempfile.mkdtemp(prefix="picker-app-pg2-"))
    server = PgServer(folder).start()
    yield server
    server.stop()
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def two_cities(pg_server, second_server, tmp_path):
    """A backend over a shard map of two cities, one store each, on two servers."""
    from picker_app.backend.repository.sharded import ShardedDB
    from picker_app.backend.shards import load_shards

    shards = tmp_path / "shards.toml"
    shards.write_text(
        f'[cities.bengaluru]\ndatabase = "{pg_server.new_database()}"\nstores = ["{STORE}"]\n'
        f'[cities.hyderabad]\ndatabase = "{second_server.new_database()}"\n'
        f'stores = ["{CITIES["hyderabad"]}"]\n'
    )
    db = ShardedDB(load_shards(shards), wait=2)
    assert db.ready().unreachable == {}
    for store in CITIES.values():
        seed_from_fixtures(db, ROOT / "fixtures", store, open_orders=2)
    server = ServerThread(db)
    yield server, second_server
    server.stop()
    db.close()


class Device:
    """A device of one store recording a pick every few milliseconds and syncing, in a thread,
    until stopped; what each upload attempt raised is kept."""

    def __init__(self, server: ServerThread, store: str, folder: Path) -> None:
        self.store = store
        self.local = LocalStore.open(folder / f"{store}.db", device=f"dev-{store}")
        token = server.db.add_device(store, self.local.device)
        settings = SyncSettings(server.url, store, token, batch_size=5)
        self.client = SyncClient(self.local, settings, sleep=lambda s: None)
        self.failures: list[str] = []
        self.uploads = 0
        self.recorded = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, name=f"device {store}")

    def run(self) -> None:
        while not self.stop.is_set():
            with self.local.write():
                self.local.record(StockPicked(bin="A07-2", sku="SKU-000001", qty=1))
            self.recorded += 1
            try:
                self.client.upload_all(max_attempts=1)
                self.uploads += 1
            except Retryable as err:
                self.failures.append(str(err))
            time.sleep(0.005)


def test_one_citys_database_stopped_mid_run_leaves_the_other_city_syncing(two_cities, tmp_path):
    server, hyderabad_pg = two_cities
    devices = {city: Device(server, store, tmp_path) for city, store in CITIES.items()}
    for d in devices.values():
        d.thread.start()
    time.sleep(1.5)
    hyderabad_pg.stop()  # mid-run: pg_ctl -m immediate
    before = devices["bengaluru"].uploads
    time.sleep(3)
    # Bengaluru went on syncing the whole time; Hyderabad's device was answered 503 (in
    # seconds, not hung) and keeps its events.
    assert devices["bengaluru"].uploads > before + 20
    assert devices["bengaluru"].failures == []
    assert any("503" in f for f in devices["hyderabad"].failures)
    answer = httpx.get(f"{server.url}/v1/stores/{CITIES['hyderabad']}/snapshot",
                       headers={"Authorization": "Bearer x"}, timeout=10)  # fmt: skip
    assert answer.status_code == 503
    assert "hyderabad" in answer.json()["detail"] and answer.headers["Retry-After"] == "5"
    assert devices["hyderabad"].local.counts()["pending"] > 0
    hyderabad_pg.start()  # back: the device sends what waited
    time.sleep(2)
    for d in devices.values():
        d.stop.set()
        d.thread.join(30)
        d.client.upload_all()
    for city, d in devices.items():
        assert d.local.counts() == {"pending": 0, "sent": d.recorded, "rejected": 0}, city
        db = server.db.for_store(d.store)
        seqs = [r[0] for r in db.conn.execute(
            "SELECT seq FROM events WHERE store = ? ORDER BY rowid", (d.store,)
        )]  # fmt: skip
        assert seqs == list(range(1, d.recorded + 1)), city  # each once, in order
        d.client.http.close()
        d.local.close()


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_with_workers_on_a_shard_map_with_a_city_down(pg_server, tmp_path):
    """`backend serve --shards F --workers 2` with one city's server not there: it says so in
    one sentence and serves the other city from two processes; the down city's stores get
    503; add-device for a store of no city, or of the down city, is one sentence."""
    import os
    import subprocess
    import sys

    from picker_app.cli import main

    shards = tmp_path / "shards.toml"
    shards.write_text(
        f'[cities.bengaluru]\ndatabase = "{pg_server.new_database()}"\nstores = ["{STORE}"]\n'
        f'[cities.hyderabad]\ndatabase = "postgresql://picker@127.0.0.1:{_free_port()}/hyd"\n'
        'stores = ["HYD-MAD-01"]\n'
    )
    port = _free_port()
    serve = subprocess.Popen(
        [str(Path(sys.executable).parent / "picker-app"), "backend", "serve", "--shards",
         str(shards), "--port", str(port), "--workers", "2", "--order-rate", "0",
         "--open-orders", "2"],
        stderr=subprocess.PIPE, text=True, env={**os.environ, "XDG_DATA_HOME": str(tmp_path)},
    )  # fmt: skip
    try:
        said = []
        while serve.stderr and not any("picker-app backend on" in s for s in said):
            line = serve.stderr.readline()
            assert line, f"serve ended: {''.join(said)}"
            said.append(line)
        down = [s for s in said if "hyderabad" in s]
        assert len(down) == 1 and "cannot be reached" in down[0] and "503" in down[0]
        assert "2 worker processes" in said[-1]
        url = f"http://127.0.0.1:{port}"
        for _ in range(100):  # the workers come up after the supervisor says it serves
            try:
                httpx.get(f"{url}/v1/health", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        assert main(["backend", "add-device", "--shards", str(shards), "--store", "NOWHERE-1"]) == 2
        assert main(["backend", "add-device", "--shards", str(shards), "--store",
                     "HYD-MAD-01"]) == 2  # fmt: skip
        from picker_app.backend.repository.sharded import ShardedDB
        from picker_app.backend.shards import load_shards

        tokens = ShardedDB(load_shards(shards))
        token = tokens.add_device(STORE, "dev-1")
        local = LocalStore.open(tmp_path / "device.db", device="dev-1")
        for _ in range(40):
            with local.write():
                local.record(StockPicked(bin="A07-2", sku="SKU-000001", qty=1))
        client = SyncClient(local, SyncSettings(url, STORE, token, batch_size=2))
        client.upload_all()
        assert local.counts() == {"pending": 0, "sent": 40, "rejected": 0}
        hyd = httpx.get(f"{url}/v1/stores/HYD-MAD-01/snapshot", headers={"Authorization":
                        "Bearer x"}, timeout=10)  # fmt: skip
        assert hyd.status_code == 503
        nowhere = httpx.get(f"{url}/v1/stores/NOWHERE-1/snapshot", headers={"Authorization":
                            "Bearer x"}, timeout=10)  # fmt: skip
        assert nowhere.status_code == 404 and "no store 'NOWHERE-1'" in nowhere.json()["detail"]
        tokens.close()
        client.http.close()
        local.close()
    finally:
        serve.terminate()
        serve.wait(30)


def _workers_of(pid: int) -> list[int]:
    """The backend processes `backend serve --workers N` (pid) started."""
    found = []
    for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
        cmdline = Path(f"/proc/{child}/cmdline").read_bytes()
        if b"spawn_main" in cmdline:  # not multiprocessing's resource tracker
            found.append(int(child))
    return found


def _connections_held(pid: int, port: int) -> int:
    """The established TCP connections to `port` that process `pid` holds."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = fd.readlink().name
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    held = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for row in Path(table).read_text().splitlines()[1:]:
            fields = row.split()
            local_port = int(fields[1].rsplit(":", 1)[1], 16)
            if local_port == port and fields[3] == "01" and fields[9] in inodes:
                held += 1
    return held


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads Linux's /proc")
def test_serve_workers_share_the_devices_connections_and_one_killed_is_replaced(
    pg_server, tmp_path
):
    """`backend serve --database D --workers 2`: 64 devices' connections opened at once are
    spread over both processes, each with a socket of its own (backend/workers.py); a process
    killed with SIGKILL is said once and another serves in its place."""
    import os
    import signal
    import subprocess
    import sys

    port = _free_port()
    serve = subprocess.Popen(
        [str(Path(sys.executable).parent / "picker-app"), "backend", "serve", "--database",
         pg_server.new_database(), "--port", str(port), "--workers", "2", "--order-rate", "0",
         "--open-orders", "2"],
        stderr=subprocess.PIPE, text=True, env={**os.environ, "XDG_DATA_HOME": str(tmp_path)},
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    clients = [httpx.Client(base_url=url, timeout=10) for _ in range(64)]
    try:
        deadline = time.monotonic() + 60
        while len(_workers_of(serve.pid)) < 2 or not _answers(url):  # both started, served
            assert serve.poll() is None and time.monotonic() < deadline, "serve did not start"
            time.sleep(0.2)
        time.sleep(2)  # the second process listening too
        threads = [threading.Thread(target=c.get, args=("/v1/health",)) for c in clients]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        workers = _workers_of(serve.pid)
        held = [_connections_held(w, port) for w in workers]
        assert sum(held) == 64, held
        # By the connections' addresses: 32 each, give or take; 16 or fewer, 1 in 50,000.
        assert min(held) > 16, f"one process took nearly every connection: {held}"

        os.kill(workers[0], signal.SIGKILL)
        deadline = time.monotonic() + 60
        while True:
            now = _workers_of(serve.pid)
            if len(now) == 2 and workers[0] not in now and _answers(url):
                break
            assert time.monotonic() < deadline, f"not replaced: {now}"
            time.sleep(0.2)
        assert all(c.get("/v1/health").status_code == 200 for c in clients)  # reconnected
    finally:
        for c in clients:
            c.close()
        serve.send_signal(signal.SIGTERM)
        _, said = serve.communicate(timeout=60)
    ended = [s for s in said.splitlines() if "ended" in s]
    assert len(ended) == 1 and str(workers[0]) in ended[0] and "another is started" in ended[0]
    assert serve.returncode == 0
    assert "Traceback" not in said


def _answers(url: str) -> bool:
    try:
        return httpx.get(f"{url}/v1/health", timeout=2).status_code == 200
    except httpx.TransportError:
        return False
