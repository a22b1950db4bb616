"""A batch of events applied with exactly-once semantics (every event_id is kept forever, per
store and device, so a resend is never applied twice): read each event once as its typed model
(domain.events.parse_event, as the device reads what it records), then its effect
(backend/effects.py), all in one transaction of the repository."""

from __future__ import annotations

import json

from picker_app.backend import effects
from picker_app.backend.clock import now
from picker_app.backend.intake import IncomingBatch, clip, explain, non_finite
from picker_app.backend.repository import EventWrites, Repository
from picker_app.domain.events import MAX_PAYLOAD_BYTES, BadEvent, parse_event
from picker_app.wire import BatchResult, EventBatch, EventResult, WireEvent


def apply_batch(
    repo: Repository, store: str, batch: EventBatch | IncomingBatch, device: str | None = None
) -> BatchResult:
    """Apply a batch in order, each event at most once (per store and device), in one
    transaction. `device` is the device the token belongs to (default: the one the batch
    names): orders are claimed by it, and an event naming another device is refused. Events
    of an IncomingBatch refused as read keep their answer."""
    known = device or batch.device
    received_at = now()
    with repo.event_writes(store) as writes:

        def run() -> list[EventResult]:
            return [
                e if isinstance(e, EventResult) else _apply(writes, store, known, e, received_at)
                for e in batch.events
            ]

        writes.expect(known, [e.event_id for e in batch.events if isinstance(e, WireEvent)])
        results = writes.apply_all(run)
    return BatchResult.model_construct(batch_id=batch.batch_id, results=results)


def _apply(
    writes: EventWrites, store: str, device: str, event: WireEvent, received_at: str
) -> EventResult:
    """One event: its earlier answer if it was seen, refused if it cannot be read as its
    type says (not stored: the same bytes get the same answer), else applied or refused
    by its effect (stored)."""

    def refused(reason: str) -> EventResult:
        return EventResult(event_id=event.event_id, status="rejected", reason=reason)

    if event.device != device:
        # Refused on its own, not the whole batch: a 403 would stop the queue behind it.
        return refused(
            f"this event names device {clip(event.device)!r} but comes from device "
            f"{device!r}: a device can only send its own events"
        )
    seen = writes.seen(device, event.event_id)
    if seen is not None:
        status, reason = seen
        if status == "rejected":
            return refused(reason or "")
        return EventResult.model_construct(event_id=event.event_id, status="duplicate")
    try:
        typed = parse_event(event.type, event.payload)
    except BadEvent as err:
        if not err.errors:
            return refused(f"type: unknown event type {clip(event.type)!r}")
        return refused(f"{event.type} refused: {explain(err.errors, 'payload')}")
    try:  # the keys the model ignores are stored too
        stored = json.dumps(event.payload, sort_keys=True, allow_nan=False)
    except (ValueError, RecursionError):
        return refused(f"{non_finite(event.payload, 'payload')}: numbers must be finite")
    if len(stored) > MAX_PAYLOAD_BYTES:
        return refused(f"payload: over {MAX_PAYLOAD_BYTES} bytes as JSON")
    fx = effects.Effect(
        writes, store, device, event.event_id, received_at, event.user, event.created_at
    )
    reason = writes.attempt(lambda: effects.apply(fx, typed))
    writes.record_event(device, event, stored, received_at, reason)
    if reason:
        return refused(reason)
    return EventResult.model_construct(event_id=event.event_id, status="applied")
