"""Slotting moves as the device has them (issue 14): those a lead accepted, open as tasks until
done; the products in a bin (a move into a bin that is not empty swaps with them)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from picker_app.store.db import LocalStore


def moves(store: LocalStore) -> list[tuple[Any, ...]]:
    """Moves accepted and not done: (id, sku, name, from_bin, to_bin, swap_sku, swap name,
    state, refused) each, by id; `accepted` ones the backend does not have yet, and `refused`
    the backend's reason when it refused this device's acceptance (else None)."""
    return [
        tuple(r)
        for r in store.conn.execute(
            "SELECT m.id, m.sku, COALESCE(a.name, m.sku), m.from_bin, m.to_bin, m.swap_sku,"
            " b.name, m.state, (SELECT r.reason FROM outbox o JOIN rejected r"
            " ON r.event_id = o.event_id WHERE o.type = 'slot_move_accepted'"
            " AND o.state = 'rejected' AND json_extract(o.payload, '$.move') = m.id LIMIT 1)"
            " FROM slot_move m LEFT JOIN sku a ON a.sku = m.sku"
            " LEFT JOIN sku b ON b.sku = m.swap_sku WHERE m.state IN ('accepted', 'open')"
            " ORDER BY m.id"
        )
    ]


def drop_refused(store: LocalStore, move_id: str) -> None:
    """Put away a move the backend refused (it never had it): no longer a task here."""
    store.conn.execute(
        "UPDATE slot_move SET state = 'refused' WHERE id = ? AND state = 'accepted'", (move_id,)
    )


def known(store: LocalStore, move_id: str) -> str | None:
    """The state of a move this device has (accepted, open, done), or None."""
    row = store.conn.execute("SELECT state FROM slot_move WHERE id = ?", (move_id,)).fetchone()
    return row[0] if row else None
