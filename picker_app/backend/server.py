"""The reference order backend: FastAPI under uvicorn, with its own SQLite database.

This slice serves health, device authentication and the event upload with exactly-once
semantics (every event_id is kept forever, so a resend is never applied twice). Catalog, orders,
snapshots and changes come in the next slice of issue 4.
"""

import hashlib
import json
import secrets
import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

from fastapi import Depends, FastAPI, Header, HTTPException

from picker_app.domain.events import EVENT_TYPES
from picker_app.sync.wire import BatchResult, EventBatch, EventResult, Health, WireEvent

SCHEMA = """
CREATE TABLE IF NOT EXISTS devices (
    token_hash TEXT PRIMARY KEY, device TEXT NOT NULL, store TEXT NOT NULL, created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
    event_id TEXT PRIMARY KEY, store TEXT NOT NULL, device TEXT NOT NULL, seq INTEGER NOT NULL,
    type TEXT NOT NULL, payload TEXT NOT NULL, created_at TEXT NOT NULL, received_at TEXT NOT NULL,
    status TEXT NOT NULL, reason TEXT
);
CREATE TABLE IF NOT EXISTS stock (
    store TEXT NOT NULL, bin TEXT NOT NULL, sku TEXT NOT NULL, on_hand REAL NOT NULL,
    PRIMARY KEY (store, bin, sku)
);
"""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class BackendDB:
    """The backend's database: one connection, one writer at a time."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self.conn.execute("PRAGMA journal_mode = WAL")
        self.conn.execute("PRAGMA synchronous = FULL")
        self.conn.executescript(SCHEMA)
        self.lock = threading.Lock()

    def add_device(self, store: str, device: str = "") -> str:
        """Issue a bearer token for one device of one store; only its hash is kept."""
        token = secrets.token_urlsafe(32)
        with self.lock:
            self.conn.execute(
                "INSERT INTO devices (token_hash, device, store, created_at) VALUES (?, ?, ?, ?)",
                (_hash(token), device or f"device-{secrets.token_hex(4)}", store, _now()),
            )
        return token

    def device_for(self, token: str) -> tuple[str, str] | None:
        row = self.conn.execute(
            "SELECT device, store FROM devices WHERE token_hash = ?", (_hash(token),)
        ).fetchone()
        return (row[0], row[1]) if row else None

    def apply_batch(self, store: str, batch: EventBatch) -> BatchResult:
        """Apply a batch in order, each event at most once, in one transaction."""
        results: list[EventResult] = []
        with self.lock:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                for event in batch.events:
                    results.append(self._apply(store, event))
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            self.conn.execute("COMMIT")
        return BatchResult(batch_id=batch.batch_id, results=results)

    def _apply(self, store: str, event: WireEvent) -> EventResult:
        seen = self.conn.execute(
            "SELECT status, reason FROM events WHERE event_id = ?", (event.event_id,)
        ).fetchone()
        if seen is not None:
            status, reason = seen
            if status == "rejected":
                return EventResult(event_id=event.event_id, status="rejected", reason=reason)
            return EventResult(event_id=event.event_id, status="duplicate")
        reason = self._effect(store, event)
        self.conn.execute(
            "INSERT INTO events (event_id, store, device, seq, type, payload, created_at,"
            " received_at, status, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                event.event_id,
                store,
                event.device,
                event.seq,
                event.type,
                json.dumps(event.payload, sort_keys=True),
                event.created_at,
                _now(),
                "rejected" if reason else "applied",
                reason,
            ),
        )
        if reason:
            return EventResult(event_id=event.event_id, status="rejected", reason=reason)
        return EventResult(event_id=event.event_id, status="applied")

    def _effect(self, store: str, event: WireEvent) -> str | None:
        """Apply an event's effect; return why it is rejected, or None."""
        if event.type not in EVENT_TYPES:
            return f"unknown event type {event.type!r}"
        p = event.payload
        if event.type in ("stock_picked", "stock_returned", "stock_expired", "stock_damaged"):
            try:
                qty = float(p["qty"])
                bin_, sku = str(p["bin"]), str(p["sku"])
            except (KeyError, TypeError, ValueError):
                return "payload needs bin, sku and a numeric qty"
            sign = 1 if event.type == "stock_returned" else -1
            self.conn.execute(
                "INSERT INTO stock (store, bin, sku, on_hand) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (store, bin, sku) DO UPDATE SET on_hand = on_hand + excluded.on_hand",
                (store, bin_, sku, sign * qty),
            )
        elif event.type == "out_of_stock_flagged":
            bin_, sku = str(p.get("bin", "")), str(p.get("sku", ""))
            self.conn.execute(
                "INSERT INTO stock (store, bin, sku, on_hand) VALUES (?, ?, ?, 0)"
                " ON CONFLICT (store, bin, sku) DO UPDATE SET on_hand = 0",
                (store, bin_, sku),
            )
        return None


def create_app(db: BackendDB) -> FastAPI:
    """The backend's ASGI app over `db`."""
    app = FastAPI(title="picker_app reference order backend", version="0.1")

    def device(authorization: Annotated[str | None, Header()] = None) -> tuple[str, str]:
        if not authorization or not authorization.lower().startswith("bearer "):
            raise HTTPException(401, "missing bearer token", {"WWW-Authenticate": "Bearer"})
        found = db.device_for(authorization[7:].strip())
        if found is None:
            raise HTTPException(401, "unknown device token", {"WWW-Authenticate": "Bearer"})
        return found

    @app.get("/v1/health")
    def health() -> Health:
        return Health(time=_now())

    @app.post("/v1/stores/{store}/events")
    def upload(
        store: str, batch: EventBatch, who: Annotated[tuple[str, str], Depends(device)]
    ) -> BatchResult:
        _, token_store = who
        if token_store != store:
            raise HTTPException(403, f"this device belongs to store {token_store}, not {store}")
        return db.apply_batch(store, batch)

    return app
