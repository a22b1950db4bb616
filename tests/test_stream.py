"""The chain's inventory stream (issue 16): every applied event that moved stock, and each
store's starting stock, published from the outbox to a real NATS JetStream exactly once and in
order per store, read back by `backend tail`, and rebuilt into every bin's stock, which equals
PostgreSQL's. The publisher killed with SIGKILL at random points 50 times loses nothing and
doubles nothing."""

from __future__ import annotations

import asyncio
import json
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

from picker_app.backend import stream
from picker_app.backend.repository.postgres import PostgresDB
from picker_app.cli import main
from picker_app.wire import EventBatch, WireEvent
from tests.backends import STORE

APP = str(Path(sys.executable).parent / "picker-app")


@pytest.fixture
def chain(repo_templates, pg_server):
    """A copy of the small seeded store on PostgreSQL (its starting stock in the outbox)."""
    dsn = pg_server.new_database(repo_templates.seeded("postgres", 5))
    db = PostgresDB(dsn).ready()
    yield db
    db.close()


def event(device: str, seq: int, type_: str, payload: dict) -> WireEvent:
    return WireEvent(
        event_id=str(uuid.uuid4()), device=device, seq=seq, type=type_, user=None,
        created_at="2026-12-02T10:00:00+05:30", payload=payload,
    )  # fmt: skip


def stocked(db: PostgresDB, n: int) -> list[tuple[str, str]]:
    return [(r[0], r[1]) for r in db.conn.execute(
        "SELECT bin, sku FROM stock WHERE store = ? ORDER BY bin, sku LIMIT ?", (STORE, n)
    )]  # fmt: skip


def publish_all(db: PostgresDB, url: str, city: str = stream.SINGLE_CITY) -> int:
    """Run a publisher until the outbox is empty; how many it published."""

    async def run() -> int:
        publisher = stream.Publisher(db.dsn, city, url)
        task = asyncio.create_task(publisher.run())
        while unpublished(db):
            await asyncio.sleep(0.02)
        publisher.stopping.set()
        await task
        return publisher.published

    return asyncio.run(run())


def unpublished(db: PostgresDB) -> int:
    return int(db.conn.execute(
        "SELECT COUNT(*) FROM stock_outbox WHERE published_at IS NULL"
    ).fetchone()[0])  # fmt: skip


def read(url: str, store: str = STORE, city: str = stream.SINGLE_CITY) -> list[stream.Message]:
    async def collect() -> list[stream.Message]:
        return [m async for m in stream.messages(url, city, store)]

    return asyncio.run(collect())


def database_stock(db: PostgresDB, store: str = STORE) -> dict[tuple[str, str], float]:
    return {(r[0], r[1]): r[2] for r in db.conn.execute(
        "SELECT bin, sku, on_hand FROM stock WHERE store = ?", (store,)
    )}  # fmt: skip


def test_each_stock_move_is_published_once_in_order_and_rebuilds_the_stock(chain, nats_server):
    (bin1, sku1), (bin2, sku2) = stocked(chain, 2)
    events = [
        event("dev-1", 1, "stock_picked", {"bin": bin1, "sku": sku1, "qty": 2}),
        event("dev-1", 2, "stock_picked", {"bin": bin1, "sku": "SKU-NOT-THERE", "qty": 1}),
        event("dev-1", 3, "out_of_stock_flagged", {"bin": bin2, "sku": sku2}),
        event("dev-1", 4, "stock_returned", {"bin": bin1, "sku": sku1, "qty": 0.5}),
        event("dev-1", 5, "pick_started", {"task": "T1", "orders": ["OR52000001"]}),  # no stock
    ]
    results = chain.apply_batch(STORE, EventBatch(device="dev-1", batch_id="b1", events=events))
    applied = [e.event_id for e, r in zip(events, results.results, strict=True)
               if r.status == "applied"]  # fmt: skip
    chain.apply_batch(STORE, EventBatch(device="dev-1", batch_id="b1", events=events))  # again
    loads = unpublished(chain) - 4
    assert loads == 4  # 1,991 bins of starting stock, 500 a message
    assert publish_all(chain, nats_server.url) == loads + 4
    got = read(nats_server.url)
    assert [m.body["type"] for m in got] == ["stock_loaded"] * loads + [
        "stock_picked", "stock_picked", "out_of_stock_flagged", "stock_returned",
    ]  # fmt: skip
    assert [m.body["event_id"] for m in got[loads:]] == applied[:4]
    assert [m.outbox_id for m in got] == sorted(m.outbox_id for m in got)
    assert got[loads].body["moves"] == [{"bin": bin1, "sku": sku1, "delta": -2.0}]
    assert got[loads + 2].body["moves"][0]["on_hand"] == 0  # a flag sets the stock, exactly
    stock, _ = asyncio.run(stream.rebuild(nats_server.url, stream.SINGLE_CITY, STORE))
    assert stock == database_stock(chain)
    assert publish_all(chain, nats_server.url) == 0  # nothing is published twice
    assert len(read(nats_server.url)) == len(got)


def test_a_publisher_gone_before_marking_what_it_published_is_caught_up(chain, nats_server):
    """Published, the last rows not marked (the publisher killed between the stream's ack and
    its UPDATE), and the stream's duplicate window long past: the next publisher finds them in
    the stream and publishes none of them again."""

    async def short_window() -> None:
        nc, _ = await stream.connect(nats_server.url, window=0.1)
        await nc.close()

    asyncio.run(short_window())
    publish_all(chain, nats_server.url)
    chain.conn.execute("UPDATE stock_outbox SET published_at = NULL WHERE id > (SELECT MIN(id)"
                       " FROM stock_outbox)")  # fmt: skip
    time.sleep(0.3)  # past the window: the stream would keep a message published again
    assert publish_all(chain, nats_server.url) == 0
    assert len(read(nats_server.url)) == 4


def test_a_move_the_stream_refuses_holds_back_its_store_only_and_keeps_its_order(
    chain, nats_server
):
    """Two stores' rows go out at once; one of store A's is refused by the stream (bigger than
    NATS takes): the publisher says so, A's rows before it are published and none after it (a
    store's row is sent only after the one before it is acknowledged), store B's all are. Once
    the row can go, A's go on in their order. Store B's later rows are not held back by A's."""
    publish_all(chain, nats_server.url)  # the starting stock
    other = "BLR-HSR-02"
    rows = [(STORE, "a1"), (other, "b1"), (STORE, "a2"), (other, "b2"), (STORE, "a3"),
            (other, "b3")]  # fmt: skip
    for store, name in rows:
        big = "x" * (2 << 20) if name == "a2" else ""  # nats-server takes up to 1 MB
        chain.conn.execute(
            "INSERT INTO stock_outbox (store, msg_id, body) VALUES (?, ?, ?)",
            (store, f"{store}/dev-1/{name}", json.dumps({"name": name, "moves": [], "pad": big})),
        )  # fmt: skip
    said: list[str] = []

    async def names(store: str) -> list[str]:
        got = stream.messages(nats_server.url, stream.SINGLE_CITY, store)
        return [m.body["name"] async for m in got if "name" in m.body]

    def sent(name: str) -> bool:
        return chain.conn.execute(
            "SELECT published_at IS NOT NULL FROM stock_outbox WHERE msg_id LIKE ?", (f"%/{name}",)
        ).fetchone()[0]  # fmt: skip

    async def run() -> None:
        # Three rows a go: A's held rows alone would fill it.
        publisher = stream.Publisher(chain.dsn, stream.SINGLE_CITY, nats_server.url, batch=3,
                                     say=said.append)  # fmt: skip
        task = asyncio.create_task(publisher.run())
        for _ in range(500):
            if said and sent("b3"):
                break
            await asyncio.sleep(0.02)
        assert [sent(n) for n in ("a1", "a2", "a3", "b1", "b2", "b3")] == [
            True, False, False, True, True, True]  # fmt: skip
        assert await names(STORE) == ["a1"] and await names(other) == ["b1", "b2", "b3"]
        for name in ("a4", "b4"):  # more of both while A is held back: B's goes on
            chain.conn.execute(
                "INSERT INTO stock_outbox (store, msg_id, body) VALUES (?, ?, ?)",
                (STORE if name[0] == "a" else other, f"x/{name}", json.dumps({"name": name})),
            )  # fmt: skip
        for _ in range(500):
            if sent("b4"):
                break
            await asyncio.sleep(0.02)
        assert [sent(n) for n in ("a2", "a4", "b4")] == [False, False, True]
        chain.conn.execute("UPDATE stock_outbox SET body = ? WHERE msg_id LIKE '%/a2'",
                           (json.dumps({"name": "a2", "moves": []}),))  # fmt: skip
        while unpublished(chain):
            await asyncio.sleep(0.02)
        publisher.stopping.set()
        await task
        assert await names(STORE) == ["a1", "a2", "a3", "a4"]
        assert await names(other) == ["b1", "b2", "b3", "b4"]

    asyncio.run(run())
    assert said[0].startswith(
        f"the stock publisher of city main: the stream refuses stock move {STORE}/dev-1/a2"
        " (outbox row "
    ) and said[0].endswith(f"store {STORE}'s later moves wait for it, the other stores' go on")
    assert said[1:] == [f"the stock publisher of city main publishes store {STORE}'s moves again"]


def test_tail_and_the_stock_check_read_the_stream(chain, nats_server, capsys):
    (bin1, sku1), _ = stocked(chain, 2)
    pick = event("dev-1", 1, "stock_picked", {"bin": bin1, "sku": sku1, "qty": 3})
    chain.apply_batch(STORE, EventBatch(device="dev-1", batch_id="b", events=[pick]))
    publish_all(chain, nats_server.url)
    args = ["--database", chain.dsn, "--stream", nats_server.url]
    assert main(["backend", "tail", "--store", STORE, *args]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 5 and lines[-1].endswith(f"stock_picked dev-1 {pick.event_id}: "
                                                  f"{bin1} {sku1} -3")  # fmt: skip
    assert main(["backend", "stock-check", *args]) == 0
    said = capsys.readouterr()
    assert f"store {STORE}: 1991 bins from 5 messages: the stream's stock equals" in said.out
    # A bin changed behind the outbox's back is found.
    chain.conn.execute("UPDATE stock SET on_hand = on_hand + 1 WHERE bin = ? AND sku = ?",
                       (bin1, sku1))  # fmt: skip
    assert main(["backend", "stock-check", *args]) == 1
    said = capsys.readouterr()
    assert f"1 bin differs: {bin1} {sku1}: the stream says" in said.out


def test_tail_says_so_when_nats_is_not_there(chain, capsys):
    url = "nats://127.0.0.1:1"
    assert main(["backend", "tail", "--store", STORE, "--database", chain.dsn, "--stream",
                 url]) == 2  # fmt: skip
    said = capsys.readouterr().err
    assert said.startswith(f"picker-app: cannot reach NATS at {url}") and "Traceback" not in said


KILLS = 50


def test_the_publisher_killed_50_times_publishes_each_move_once_in_order(chain, nats_server):
    """Events applied all along by four devices while `backend publish` is started and killed
    (SIGKILL) 50 times at random points; then a last publisher empties the outbox. The stream
    was made with a duplicate window of 100 ms (the least JetStream takes), so a republish is
    not saved by the stream's dedupe but by the publisher's catch-up. The stream then holds
    every outbox row once, each store's in the order they were written, and the rebuilt stock
    equals PostgreSQL's."""

    async def short_window() -> None:
        nc, _ = await stream.connect(nats_server.url, window=0.1)
        await nc.close()

    asyncio.run(short_window())
    bins = stocked(chain, 40)
    stop = threading.Event()
    applied = [0]

    def devices() -> None:
        rng = random.Random(7)
        seq = dict.fromkeys(range(4), 0)
        while not stop.is_set():
            d = rng.randrange(4)
            batch = []
            for _ in range(rng.randint(1, 5)):
                seq[d] += 1
                bin_, sku = rng.choice(bins)
                pick = {"bin": bin_, "sku": sku, "qty": rng.randint(1, 3)}
                batch.append(event(f"dev-{d}", seq[d], "stock_picked", pick))
            chain.apply_batch(STORE, EventBatch(device=f"dev-{d}", batch_id=str(uuid.uuid4()),
                                                events=batch))  # fmt: skip
            applied[0] += len(batch)
            time.sleep(0.002)

    writer = threading.Thread(target=devices)
    writer.start()
    rng = random.Random(2026)
    command = [APP, "backend", "publish", "--database", chain.dsn, "--stream", nats_server.url]
    try:
        for _ in range(KILLS):
            publisher = subprocess.Popen(command, stdout=subprocess.DEVNULL,
                                         stderr=subprocess.PIPE, text=True)  # fmt: skip
            # Timed from its first sentence, not from its start: its imports take 0.5 s on
            # a quiet machine and several on a busy one, which would leave it no time to
            # publish before it is killed.
            assert publisher.stderr is not None
            said = publisher.stderr.readline()
            assert said.startswith("publishing stock moves"), said
            time.sleep(rng.uniform(0.0, 0.9))
            publisher.send_signal(signal.SIGKILL)
            publisher.wait(10)
            publisher.stderr.close()
    finally:
        stop.set()
        writer.join(30)
    assert applied[0] > 500
    outbox = [r[0] for r in chain.conn.execute("SELECT id FROM stock_outbox ORDER BY id")]
    assert len(outbox) - unpublished(chain) > 0  # the killed publishers did publish
    publish_all(chain, nats_server.url)
    got = read(nats_server.url)
    assert [m.outbox_id for m in got] == outbox  # each row once, in order
    assert len({m.msg_id for m in got}) == len(got)
    stock, _ = asyncio.run(stream.rebuild(nats_server.url, stream.SINGLE_CITY, STORE))
    assert stock == database_stock(chain)


def test_nats_gone_a_while_is_said_once_and_nothing_is_lost(chain, nats_server):
    """NATS stopped under a running publisher: one sentence when it starts waiting (the moves
    stay in the outbox), one when it publishes again; then the stream has every move once."""
    said: list[str] = []
    (bin1, sku1), _ = stocked(chain, 2)

    async def run() -> None:
        publisher = stream.Publisher(chain.dsn, stream.SINGLE_CITY, nats_server.url,
                                     say=said.append)  # fmt: skip
        task = asyncio.create_task(publisher.run())
        while unpublished(chain):
            await asyncio.sleep(0.02)
        nats_server.stop()
        for seq in (1, 2):
            pick = event("dev-1", seq, "stock_picked", {"bin": bin1, "sku": sku1, "qty": 1})
            chain.apply_batch(STORE, EventBatch(device="dev-1", batch_id=f"b{seq}", events=[pick]))
        await asyncio.sleep(3.0)  # several tries, each refused
        assert unpublished(chain) == 2
        nats_server.start()
        deadline = time.monotonic() + 20
        while unpublished(chain) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        publisher.stopping.set()
        await task

    asyncio.run(run())
    assert len(said) == 2, said
    assert said[0].startswith("the stock publisher of city main waits, the moves kept in the "
                              "outbox: ") and nats_server.url in said[0]  # fmt: skip
    assert said[1] == "the stock publisher of city main publishes again"
    got = read(nats_server.url)
    assert [m.body["type"] for m in got[-2:]] == ["stock_picked", "stock_picked"]
    stock, _ = asyncio.run(stream.rebuild(nats_server.url, stream.SINGLE_CITY, STORE))
    assert stock == database_stock(chain)
