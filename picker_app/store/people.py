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


def may_count(store: LocalStore, user_id: str) -> bool:
    """Whether a store lead let this person take count tasks (as this device knows it)."""
    row = store.conn.execute("SELECT may_count FROM users WHERE id = ?", (user_id,)).fetchone()
    return bool(row and row[0])


def by_badge(store: LocalStore, code: str) -> tuple[str, str, str] | None:
    """(id, name, role) of the person with this badge (or id), or None."""
    row = store.conn.execute(
        "SELECT id, name, role FROM users WHERE badge = ? OR id = ?", (code, code)
    ).fetchone()
    return (str(row[0]), str(row[1]), str(row[2])) if row else None


def set_may_count(store: LocalStore, user_id: str, allowed: bool) -> None:
    """As the lead decided on this device (inside `write()`), until the backend says."""
    store.conn.execute("UPDATE users SET may_count = ? WHERE id = ?", (int(allowed), user_id))
