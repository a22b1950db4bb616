"""The chain's inventory stream (issue 16): what moved stock, from each city's outbox
(repository/pg_outbox.py) into NATS JetStream, exactly once and in order per store; and reading
it back (`backend tail`, the stock check).

Exactly once into the stream, across crashes of the publisher at any point:
- a row is marked published only after the stream acknowledged its message; a message
  published whose row was not yet marked is published again, with the same `Nats-Msg-Id`,
  which the stream drops as a duplicate within its window (DEDUPE_WINDOW_S);
- and, for a publisher down longer than that window, on taking over it asks the stream for
  each store's last message and marks every row up to the outbox id that message carries
  (`Picker-Outbox-Id`): rows of a store are published in outbox-id order, which is the
  order their transactions committed (the store's lock, repository/postgres.py).
One publisher at a time a city: it holds a session advisory lock on its own connection; the
others (every `backend serve --stream` process runs one) wait to take over. A killed
publisher's connection closes and its lock with it.

Subjects are `stock.<city>.<store>`; one stream, STREAM, holds them all (file storage).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import nats
import psycopg
from nats.errors import Error as NatsError
from nats.errors import MaxPayloadError
from nats.js import api
from nats.js.client import JetStreamContext
from nats.js.errors import APIError, NotFoundError, ServiceUnavailableError

from picker_app.backend.clock import now
from picker_app.errors import PickerError

log = logging.getLogger(__name__)

STREAM = "PICKER_STOCK"
DEDUPE_WINDOW_S = 600.0  # the stream drops a message id seen this recently
PUBLISHER_LOCK = 0x7069636B707562  # "pickpub": one publisher a city's database
OUTBOX_ID = "Picker-Outbox-Id"
SINGLE_CITY = "main"  # the city of a backend on one --database


def token(text: str) -> str:
    """`text` as one token of a NATS subject (no dots, spaces or wildcards)."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", text) or "_"


def subject(city: str, store: str) -> str:
    return f"stock.{token(city)}.{token(store)}"


async def _quiet(err: Exception) -> None:
    log.debug("nats: %s", err)


async def connect(url: str, window: float = DEDUPE_WINDOW_S) -> tuple[Any, JetStreamContext]:
    """A NATS connection and its JetStream context, the stream made if it is not there (its
    duplicate window `window` seconds); a PickerError saying why not."""
    try:
        # One try: nats-py reads max_reconnect_attempts=0 as "for ever", and its default error
        # callback logs a traceback a try; the publisher's loop does its own waiting.
        nc = await asyncio.wait_for(nats.connect(
            url, connect_timeout=3, max_reconnect_attempts=1, reconnect_time_wait=0.2,
            allow_reconnect=False, error_cb=_quiet,
        ), timeout=10)  # fmt: skip
    except (TimeoutError, OSError, NatsError) as err:
        raise PickerError(f"cannot reach NATS at {url} ({type(err).__name__}): is nats-server"
                          " running with JetStream (-js)?") from None  # fmt: skip
    js = nc.jetstream()
    try:
        await js.stream_info(STREAM)
    except NotFoundError:
        await js.add_stream(api.StreamConfig(
            name=STREAM, subjects=["stock.>"], storage=api.StorageType.FILE,
            duplicate_window=window,
        ))  # fmt: skip
    return nc, js


@dataclass
class Publisher:
    """Publishes one city's outbox (`dsn`) to the stream at `url`, until stopped."""

    dsn: str
    city: str
    url: str
    batch: int = 200
    idle_s: float = 0.05  # how often an empty outbox is looked at again
    published: int = 0
    stopping: asyncio.Event = field(default_factory=asyncio.Event)
    say: Callable[[str], None] | None = None  # told once when it waits, once when it goes on
    waiting: bool = False
    retry_s: float = 1.0  # how long a store whose move the stream refused waits to try again
    held: dict[str, float] = field(default_factory=dict)  # such a store: when it tries again

    async def run(self) -> None:
        """Publish until `stopping` is set; a database or NATS gone is waited out."""
        while not self.stopping.is_set():
            try:
                await self._run_once()
            except (TimeoutError, psycopg.OperationalError, NatsError, OSError,
                    PickerError) as err:  # fmt: skip
                log.warning("the stock publisher of city %s waits (%s)", self.city, err)
                if self.say and not self.waiting:
                    self.say(f"the stock publisher of city {self.city} waits, the moves kept in"
                             f" the outbox: {self._why(err)}")  # fmt: skip
                self.waiting = True
                await self._sleep(1.0)

    def _why(self, err: Exception) -> str:
        if isinstance(err, PickerError):
            return str(err)
        if isinstance(err, psycopg.OperationalError):
            first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            return f"its database does not answer ({first})"
        return f"NATS at {self.url} is gone ({str(err) or type(err).__name__})"

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.stopping.wait(), seconds)

    async def _run_once(self) -> None:
        async with await psycopg.AsyncConnection.connect(self.dsn, autocommit=True) as conn:
            while not self.stopping.is_set():  # take the city's lock, or wait for it
                row = await (await conn.execute(
                    "SELECT pg_try_advisory_lock(%s)", (PUBLISHER_LOCK,)
                )).fetchone()  # fmt: skip
                if row and row[0]:
                    break
                await self._sleep(0.5)
            else:
                return
            nc, js = await connect(self.url)
            try:
                await self._catch_up(conn, js)
                if self.waiting and self.say:
                    self.say(f"the stock publisher of city {self.city} publishes again")
                self.waiting = False
                while not self.stopping.is_set():
                    if not await self._publish_some(conn, js):
                        await self._sleep(self.idle_s)
            finally:
                await nc.close()

    async def _catch_up(self, conn: psycopg.AsyncConnection, js: JetStreamContext) -> None:
        """Mark what the stream already holds (published, the publisher gone before marking)."""
        stores = [r[0] for r in await (await conn.execute(
            "SELECT DISTINCT store FROM stock_outbox WHERE published_at IS NULL"
        )).fetchall()]  # fmt: skip
        for store in stores:
            try:
                last = await js.get_last_msg(STREAM, subject(self.city, store))
            except NotFoundError:
                continue
            held = int((last.headers or {}).get(OUTBOX_ID, 0))
            await conn.execute(
                "UPDATE stock_outbox SET published_at = %s WHERE store = %s AND id <= %s"
                " AND published_at IS NULL",
                (now(), store, held),
            )

    async def _publish_some(self, conn: psycopg.AsyncConnection, js: JetStreamContext) -> int:
        """Publish the next rows of the outbox; how many. The stores' rows go out at once, each
        store's one at a time: a row is sent only once the stream acknowledged the store's row
        before it, so that the stream holds a prefix of every store's rows whatever fails (the
        order _catch_up relies on). The rows acknowledged are marked, then NATS gone is raised;
        a row the stream refuses holds back its own store (tried again every `retry_s`)."""
        clock = time.monotonic()
        holding = [store for store, until in self.held.items() if until > clock]
        rows = await (await conn.execute(
            "SELECT id, store, msg_id, body FROM stock_outbox WHERE published_at IS NULL"
            " AND NOT (store = ANY(%s)) ORDER BY id LIMIT %s",
            (holding, self.batch),
        )).fetchall()  # fmt: skip
        lanes: dict[str, list[tuple[int, str, str]]] = {}
        for outbox_id, store, msg_id, message in rows:
            lanes.setdefault(store, []).append((outbox_id, msg_id, message))
        acked: list[int] = []
        failures = await asyncio.gather(
            *(self._publish_store(js, store, lane, acked) for store, lane in lanes.items())
        )  # fmt: skip
        if acked:
            await conn.execute(
                "UPDATE stock_outbox SET published_at = %s WHERE id = ANY(%s)", (now(), acked)
            )
            self.published += len(acked)
        gone: Exception | None = None
        for store, failure in zip(lanes, failures, strict=True):
            if isinstance(failure, Refused):
                if store not in self.held:
                    log.warning("%s", failure)
                    if self.say:
                        self.say(f"the stock publisher of city {self.city}: {failure}")
                self.held[store] = clock + self.retry_s
            elif failure is not None:
                gone = gone or failure
            elif store in self.held:
                del self.held[store]
                if self.say:
                    self.say(f"the stock publisher of city {self.city} publishes store {store}'s"
                             " moves again")  # fmt: skip
        if gone is not None:
            raise gone
        return len(rows)

    async def _publish_store(
        self, js: JetStreamContext, store: str, lane: list[tuple[int, str, str]], acked: list[int]
    ) -> Exception | None:
        """Publish one store's rows in order, each after the last one's ack (its id then in
        `acked`); stop at the first that fails: what failed, or None."""
        for outbox_id, msg_id, message in lane:
            try:
                await js.publish(
                    subject(self.city, store), message.encode(), stream=STREAM,
                    headers={"Nats-Msg-Id": msg_id, OUTBOX_ID: str(outbox_id)},
                )  # fmt: skip
            except ServiceUnavailableError as err:  # JetStream not there: NATS gone, said so
                return err
            except (MaxPayloadError, APIError) as err:  # this one message refused
                why = err.description if isinstance(err, APIError) else None
                return Refused(
                    f"the stream refuses stock move {msg_id} (outbox row {outbox_id}):"
                    f" {why or err}; store {store}'s later moves wait for it, the other stores'"
                    " go on"
                )
            except (TimeoutError, NatsError, OSError) as err:  # NATS gone: said as such
                return err
            acked.append(outbox_id)
        return None


class Refused(PickerError):
    """One outbox row the stream will not take (too big, or refused by the server)."""


@dataclass(frozen=True)
class Message:
    """One message of a store's subject: its stream sequence, outbox id and content."""

    seq: int
    outbox_id: int
    msg_id: str
    body: dict[str, Any]


async def messages(url: str, city: str, store: str) -> AsyncIterator[Message]:
    """The messages of `store`'s subject from the first up to the last there now."""
    nc, js = await connect(url)
    try:
        sub = await js.pull_subscribe(
            subject(city, store), stream=STREAM,
            config=api.ConsumerConfig(
                deliver_policy=api.DeliverPolicy.ALL, ack_policy=api.AckPolicy.NONE,
                inactive_threshold=30.0,
            ),
        )  # fmt: skip
        info = await sub.consumer_info()
        left = info.num_pending or 0
        while left > 0:
            for msg in await sub.fetch(min(left, 500), timeout=10):
                left -= 1
                headers = msg.headers or {}
                yield Message(
                    msg.metadata.sequence.stream, int(headers.get(OUTBOX_ID, 0)),
                    headers.get("Nats-Msg-Id", ""), json.loads(msg.data),
                )  # fmt: skip
        await sub.unsubscribe()
    finally:
        await nc.close()


async def rebuild(url: str, city: str, store: str) -> tuple[dict[tuple[str, str], float], int]:
    """Every bin's stock of `store` as its stream says, (bin, sku) -> on hand, and how many
    messages it read: the starting stock, then each event's moves in order (a count or a
    flag sets the stock, the others add to it)."""
    stock: dict[tuple[str, str], float] = {}
    read = 0
    async for message in messages(url, city, store):
        read += 1
        for move in message.body["moves"]:
            key = (move["bin"], move["sku"])
            if "on_hand" in move:
                stock[key] = move["on_hand"]
            else:
                stock[key] = stock.get(key, 0) + move["delta"]
    return stock, read
