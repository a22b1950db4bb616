"""What the cache knows of itself (`store_info`): its device id, its store and layout, and the
backend it was registered with and the token it was given there."""

from __future__ import annotations

import sqlite3
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

from picker_app.store.readonly import read_only

if TYPE_CHECKING:
    from picker_app.store.db import LocalStore


def store_info(store: LocalStore) -> dict[str, str]:
    """Every `store_info` value, by key."""
    return dict(store.conn.execute("SELECT key, value FROM store_info"))


def set_store_info(store: LocalStore, **values: str) -> None:
    """Save `store_info` values (key = value), in one transaction."""
    with store.write() as conn:
        conn.executemany(
            "INSERT OR REPLACE INTO store_info (key, value) VALUES (?, ?)", values.items()
        )


def device_id(store: LocalStore) -> str:
    """This cache's device id, made (and kept) the first time it is asked for."""
    with store.write() as conn:
        row = conn.execute("SELECT value FROM store_info WHERE key = 'device'").fetchone()
        if row:
            return str(row[0])
        device = f"dev-{uuid.uuid4().hex[:12]}"
        conn.execute("INSERT INTO store_info (key, value) VALUES ('device', ?)", (device,))
    return device


def recorded_backend_url(path: Path) -> str | None:
    """The backend URL recorded in the cache file at `path` ("" when none is), read without
    opening it as a store; None when the file cannot be read (not a cache of ours, damaged)."""
    try:
        conn = read_only(path, timeout=1)
        try:
            row = conn.execute("SELECT value FROM store_info WHERE key = 'backend_url'").fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return None
    return str(row[0]) if row else ""
