"""Totes: which order each label carries, and whether it is being picked, closed or free."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from picker_app.store.db import LocalStore


def status(store: LocalStore, code: str) -> tuple[Any, ...] | None:
    """(order_id, tote state, order state) of the tote, or None for a tote never used here."""
    row = store.conn.execute(
        "SELECT t.order_id, t.state, o.state FROM tote t LEFT JOIN orders o"
        " ON o.id = t.order_id WHERE t.code = ?",
        (code,),
    ).fetchone()
    return tuple(row) if row is not None else None


def take(store: LocalStore, totes: dict[str, str]) -> None:
    """Each tote (order id -> tote label) now carries its order, being picked (inside
    `write()`)."""
    store.conn.executemany(
        "INSERT INTO tote (code, order_id, state) VALUES (?, ?, 'picking')"
        " ON CONFLICT (code) DO UPDATE SET order_id = excluded.order_id,"
        " state = 'picking'",
        [(tote, order_id) for order_id, tote in totes.items()],
    )


def free(store: LocalStore, code: str | None) -> None:
    """The tote carries no order any more (inside `write()`)."""
    store.conn.execute("UPDATE tote SET state = 'free', order_id = NULL WHERE code = ?", (code,))


def close(store: LocalStore, code: str | None) -> None:
    """The tote is closed: its order waits for packing (inside `write()`)."""
    store.conn.execute("UPDATE tote SET state = 'closed' WHERE code = ?", (code,))
