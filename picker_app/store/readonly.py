"""A cache file opened only to read: to check what it is, or to rescue what a damaged one holds,
without SQLite writing anything to it."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def read_only(path: Path, timeout: float = 5.0) -> sqlite3.Connection:
    """A read-only connection to the SQLite file at `path` (any path: made absolute, quoted)."""
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=timeout)
