"""The store's people, as downloaded (so login works offline)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from picker_app.store.db import LocalStore

USER_FIELDS = ("id", "name", "role", "badge", "pin_hash")


def users(store: LocalStore) -> list[dict[str, str]]:
    """Every user: id, name, role, badge and PIN hash, by id."""
    rows = store.conn.execute("SELECT id, name, role, badge, pin_hash FROM users ORDER BY id")
    return [dict(zip(USER_FIELDS, row, strict=True)) for row in rows]
