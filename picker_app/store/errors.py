"""The store's errors: a cache that cannot be used, and a hold taken by another app."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from picker_app.errors import PickerError


class StoreError(PickerError):
    """The local database cannot be used; the message names the file and what to do.
    `kind`: "full" (out of storage), "locked", "damaged" (or not ours), or "other"."""

    def __init__(self, message: str, kind: str = "other") -> None:
        super().__init__(message)
        self.kind = kind


class Busy(PickerError):
    """Something this app wanted to hold is held by another app on the same cache."""


def store_error(path: Path, err: sqlite3.DatabaseError) -> StoreError:
    """A SQLite error on the cache at `path`, as one sentence for the person."""
    text = str(err)
    if "full" in text:
        return StoreError(
            "this device is out of storage: free some space or tell your store lead "
            f"(everything saved before is kept; {path} cannot grow)",
            "full",
        )
    if "locked" in text or "busy" in text:
        return StoreError(
            f"{path}: the local database is locked by another program (is another picker-app "
            "running on this device?); close it and try again.",
            "locked",
        )
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return StoreError(
            f"{path}: the local database is damaged or not a picker_app database; it was left "
            "untouched (unsynced scans may be in it): move it aside and start again, and tell "
            "your store lead.",
            "damaged",
        )
    return StoreError(f"{path}: local database error: {text}")
