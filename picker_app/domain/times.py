"""Reading the times the cache, the backend and the wire keep: ISO 8601 text as an aware
datetime. One reader for all of them, so that a time with no offset means UTC everywhere."""

from __future__ import annotations

from datetime import UTC, datetime


def parse_time(text: object) -> datetime | None:
    """A kept ISO time as an aware datetime (UTC when it names no zone); None when there is
    none or it cannot be read (a row of another version, a damaged cache)."""
    if not isinstance(text, str) or not text:
        return None
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)
