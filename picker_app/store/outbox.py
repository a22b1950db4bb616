"""The outbox: every fact this device records, in order, until the backend has it.

Events are appended inside the `LocalStore.write()` that makes their local state change; the
sync worker takes them out in fixed batches and acknowledges them here.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from picker_app.domain.events import AnyEvent, dump_payload, parse_event

if TYPE_CHECKING:
    from picker_app.store.db import LocalStore


@dataclass(frozen=True)
class Event:
    """One recorded fact, as it sits in the outbox."""

    seq: int
    event_id: str
    device: str
    type: str
    user: str | None
    created_at: str
    payload: dict[str, Any]


def record(store: LocalStore, event: AnyEvent, user: str | None = None) -> Event:
    """Append an event to the outbox; call inside `write()` with the state change it reports.
    Its payload (the model's fields it was made with) is stored only if the backend's reader
    takes it (domain.events.parse_event): else BadEvent, e.g. for a model made unchecked."""
    if not store.conn.in_transaction:
        raise RuntimeError("record() must run inside LocalStore.write()")
    payload = dump_payload(event)
    parse_event(event.type, payload)
    seq = store.conn.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM outbox").fetchone()[0]
    recorded = Event(
        seq=seq,
        event_id=str(uuid.uuid4()),
        device=store.device,
        type=event.type,
        user=user,
        created_at=store.clock(),
        payload=payload,
    )
    store.conn.execute(
        "INSERT INTO outbox (seq, event_id, device, type, user, created_at, payload)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            recorded.seq,
            recorded.event_id,
            recorded.device,
            recorded.type,
            recorded.user,
            recorded.created_at,
            json.dumps(payload, sort_keys=True, separators=(",", ":")),
        ),
    )
    return recorded


def pending(store: LocalStore, limit: int = 1000) -> list[Event]:
    """Events not yet acknowledged by the backend, oldest first."""
    rows = store.rows("SELECT * FROM outbox WHERE state = 'pending' ORDER BY seq LIMIT ?", (limit,))
    return [event_from_row(r) for r in rows]


def next_batch(store: LocalStore, limit: int) -> tuple[str, list[Event]] | None:
    """The batch to send: the one already in flight (sent, no answer yet: resent exactly as
    it was), or the next `limit` pending events, fixed under a new batch id now."""
    with store.write() as conn:  # read and fix the batch in one transaction
        row = conn.execute(
            "SELECT batch_id FROM outbox WHERE state = 'pending' AND batch_id IS NOT NULL"
            " ORDER BY seq LIMIT 1"
        ).fetchone()
        if row is None:
            batch_id = str(uuid.uuid4())
            conn.execute(
                "UPDATE outbox SET batch_id = ? WHERE seq IN (SELECT seq FROM outbox"
                " WHERE state = 'pending' ORDER BY seq LIMIT ?)",
                (batch_id, limit),
            )
        else:
            batch_id = row[0]
        rows = store.rows(
            "SELECT * FROM outbox WHERE batch_id = ? AND state = 'pending' ORDER BY seq",
            (batch_id,),
        )
    events = [event_from_row(r) for r in rows]
    return (batch_id, events) if events else None


def shrink_batch(store: LocalStore, batch_id: str, keep: int) -> None:
    """Keep only the first `keep` events in the batch (the backend refused it whole, as too
    large, so none of it was applied); the rest go back to waiting, in order."""
    with store.write() as conn:
        conn.execute(
            "UPDATE outbox SET batch_id = NULL WHERE batch_id = ? AND state = 'pending'"
            " AND seq NOT IN (SELECT seq FROM outbox WHERE batch_id = ? AND"
            " state = 'pending' ORDER BY seq LIMIT ?)",
            (batch_id, batch_id, keep),
        )


def ack_batch(store: LocalStore, batch_id: str, results: dict[str, tuple[str, str | None]]) -> None:
    """The backend's answer for a batch: applied or duplicate events are sent; rejected
    ones are moved aside (kept, with the reason, until a lead dismisses them)."""
    with store.write() as conn:
        for event_id, (status, reason) in results.items():
            if status == "rejected":
                conn.execute(
                    "UPDATE outbox SET state = 'rejected' WHERE event_id = ? AND batch_id = ?",
                    (event_id, batch_id),
                )
                conn.execute(
                    "INSERT OR REPLACE INTO rejected (event_id, reason, seen_at) VALUES (?, ?, ?)",
                    (event_id, reason or "rejected by the backend", store.clock()),
                )
            else:
                conn.execute(
                    "UPDATE outbox SET state = 'sent' WHERE event_id = ? AND batch_id = ?",
                    (event_id, batch_id),
                )


def counts(store: LocalStore) -> dict[str, int]:
    """Events by outbox state."""
    rows = store.rows("SELECT state, COUNT(*) AS n FROM outbox GROUP BY state")
    return {"pending": 0, "sent": 0, "rejected": 0} | {r["state"]: r["n"] for r in rows}


def refused_starts(store: LocalStore, task_id: str) -> list[tuple[str, str]]:
    """The `pick_started` events of task `task_id` the backend rejected: (payload JSON,
    reason) each."""
    return list(
        store.conn.execute(
            "SELECT o.payload, r.reason FROM outbox o JOIN rejected r ON r.event_id = o.event_id"
            " WHERE o.type = 'pick_started' AND json_extract(o.payload, '$.task') = ?",
            (task_id,),
        )
    )


def event_from_row(r: dict[str, Any]) -> Event:
    """An outbox row (a dict of its columns) as an Event."""
    return Event(
        seq=r["seq"],
        event_id=r["event_id"],
        device=r["device"],
        type=r["type"],
        user=r["user"],
        created_at=r["created_at"],
        payload=json.loads(r["payload"]),
    )
