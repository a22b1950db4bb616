"""One reader of kept ISO times (domain/times.py), used by the cache, the backend's reports and
the count schedule."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from picker_app.domain.times import parse_time


def test_a_time_with_an_offset_keeps_it_and_one_without_is_utc():
    assert parse_time("2026-11-25T15:30:00+05:30") == datetime(
        2026, 11, 25, 15, 30, tzinfo=timezone(timedelta(hours=5, minutes=30))
    )
    assert parse_time("2026-11-25T10:00:00") == datetime(2026, 11, 25, 10, tzinfo=UTC)
    assert parse_time("2026-11-25T10:00:00Z") == datetime(2026, 11, 25, 10, tzinfo=UTC)


@pytest.mark.parametrize("text", [None, "", "yesterday", "2026-13-01T00:00:00", 17, b"2026"])
def test_nothing_or_what_cannot_be_read_is_none(text):
    assert parse_time(text) is None
