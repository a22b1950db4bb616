"""The backend's clock as it writes times: ISO 8601 in UTC, to the millisecond."""

from datetime import UTC, datetime


def iso(when: datetime) -> str:
    """`when` as the backend stores and sends it."""
    return when.isoformat(timespec="milliseconds")


def now() -> str:
    """The backend's time now, as it stores and sends it."""
    return iso(datetime.now(UTC))
