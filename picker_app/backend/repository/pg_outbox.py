"""The chain's transactional outbox (issue 16): what moved stock, written in the same transaction
as the move, as the message the stream is to hold (backend/stream.py publishes it).

One message per applied event that moved stock (a pick, a return, a write-off, an approved
count, an out-of-stock flag, a slot move, a replenishment: whatever called the storage's stock
writes), with every move it made, and one per 500 bins of a store's starting stock. Its id on
the stream (`Nats-Msg-Id`) is the event's own (store/device/event_id): a message published
twice, after a publisher's crash, is one message in the stream.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Sequence
from typing import Any, cast

from picker_app.backend.repository.pg_sql import PgConn
from picker_app.backend.repository.sqlite_reorder import UPSERT_SALES
from picker_app.backend.repository.sqlite_writes import SqliteEventWrites
from picker_app.wire import WireEvent

LOAD_CHUNK = 500  # bins a starting-stock message carries

_INSERT = "INSERT INTO stock_outbox (store, msg_id, body) VALUES (?, ?, ?)"
_ADD_STOCK = (  # a bin's stock moved by a delta, the move kept: the stock it has now
    "WITH moved AS (INSERT INTO stock (store, bin, sku, on_hand) VALUES (?, ?, ?, ?)"
    " ON CONFLICT (store, bin, sku) DO UPDATE SET on_hand = stock.on_hand + excluded.on_hand"
    " RETURNING store, bin, sku, on_hand),"
    " kept AS (INSERT INTO stock_moves (store, bin, sku, delta, at, event_id)"
    " SELECT store, bin, sku, ?, ?, ? FROM moved)"
    " SELECT on_hand FROM moved"
)


def body(message: dict[str, Any]) -> str:
    return json.dumps(message, sort_keys=True, separators=(",", ":"))


def write_loaded(conn: Any, store: str, stock: Sequence[tuple[str, str, float]]) -> None:
    """The outbox messages of a store's starting stock (bin, sku, on_hand)."""
    load = uuid.uuid4().hex[:12]  # a store loaded again is another load
    rows = []
    for n in range(0, len(stock), LOAD_CHUNK):
        moves = [
            {"bin": b, "sku": s, "delta": q, "on_hand": q} for b, s, q in stock[n : n + LOAD_CHUNK]
        ]
        message = {"store": store, "type": "stock_loaded", "moves": moves}
        rows.append((store, f"{store}/load-{load}/{n // LOAD_CHUNK}", body(message)))
    if rows:
        conn.executemany(_INSERT, rows)


class PgEventWrites(SqliteEventWrites):
    """The effects' storage on PostgreSQL: SqliteEventWrites, and each applied event's stock
    moves as an outbox message, written with the events at the end of the batch (and undone
    with the event, or the batch, when they are)."""

    def _reset(self) -> None:
        super()._reset()
        self._moves: list[dict[str, Any]] = []  # the moves of the event being applied
        self._setting: float | None = None  # the stock a set_stock sets (exact, not a delta)
        self._outbox: list[tuple[str, str, str]] = []

    def set_stock(self, bin_: str, sku: str, on_hand: float, at: str, event_id: str) -> None:
        self._setting = on_hand
        try:
            super().set_stock(bin_, sku, on_hand, at, event_id)
        finally:
            self._setting = None

    def add_stock(self, bin_: str, sku: str, delta: float, at: str, event_id: str) -> float:
        # One round trip, not SQLite's three (the upsert, the move, the stock read back).
        moved = self.conn.execute(_ADD_STOCK, (self.store, bin_, sku, delta, delta, at, event_id))
        on_hand = float(moved.fetchone()[0])
        self._noted(bin_, sku, delta)
        return on_hand

    def _noted(self, bin_: str, sku: str, delta: float) -> None:
        super()._noted(bin_, sku, delta)
        move: dict[str, Any] = {"bin": bin_, "sku": sku, "delta": delta}
        if self._setting is not None:
            move["on_hand"] = self._setting  # a rebuild takes it as is: no rounding in a sum
        self._moves.append(move)

    def record_event(
        self, device: str, event: WireEvent, payload: str, received_at: str, reason: str | None
    ) -> None:
        super().record_event(device, event, payload, received_at, reason)
        moves, self._moves = self._moves, []
        if not moves:  # no stock moved (or the moves were undone with the event)
            return
        message = {
            "store": self.store, "device": device, "event_id": event.event_id,
            "type": event.type, "created_at": event.created_at, "moves": moves,
        }  # fmt: skip
        self._outbox.append((self.store, f"{self.store}/{device}/{event.event_id}", body(message)))

    def attempt(self, effect: Callable[[], str | None]) -> str | None:
        ran: list[bool] = []

        def tracked() -> str | None:
            self._moves = []
            reason = effect()
            ran.append(True)
            return reason

        reason = super().attempt(tracked)
        if not ran:  # the database refused its writes: they were undone, moves and all
            self._moves = []
        return reason

    def _write_sales(self, rows: list[tuple[str, str, str, float]]) -> None:
        # One statement (the rows are of distinct days of products); the connection is a PgConn.
        cast("PgConn", self.conn).insert_rows(UPSERT_SALES, rows)

    def flush(self) -> None:
        super().flush()
        if self._outbox:
            self.conn.executemany(_INSERT, self._outbox)
            self._outbox = []
