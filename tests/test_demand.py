"""When customers order: the day's curve, its Poisson arrivals (fixed seed and clock), the
seeded queue of the demo store and its live stream of new orders."""

from __future__ import annotations

import random
import shutil
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from picker_app.backend.server import DELIVERY_PROMISE, BackendDB, place_orders
from picker_app.domain.demand import (
    DEMO_DAY,
    IST,
    RUSH_FACTOR,
    arrivals,
    arrivals_between,
    placed_over,
    steady,
)
from tests.appkit import START, STORE

DAY = datetime(2026, 11, 25, tzinfo=IST)  # local midnight of the demo store


def at(hour: float) -> datetime:
    return DAY + timedelta(hours=hour)


def test_the_curve_is_a_day_of_a_dark_store():
    minute = [DEMO_DAY.rate(DAY + timedelta(minutes=m)) for m in range(24 * 60)]
    assert sum(minute) == pytest.approx(DEMO_DAY.daily_orders, rel=0.01)
    assert 500 <= DEMO_DAY.daily_orders <= 1000
    # Two peaks, 2-3 a minute at the busiest (evening), quiet in the afternoon and at night.
    assert 2.0 <= DEMO_DAY.rate(at(20)) <= 3.0 and 1.0 <= DEMO_DAY.rate(at(9.5)) < 2.0
    assert DEMO_DAY.rate(at(15)) < 0.5 and DEMO_DAY.rate(at(3.5)) < 0.05
    assert max(minute) <= DEMO_DAY.top_rate()
    assert DEMO_DAY.rate(at(15)) == DEMO_DAY.rate(at(15).astimezone(UTC))  # an instant is one
    rush = DEMO_DAY.rushed()
    assert rush.rate(at(20)) == pytest.approx(RUSH_FACTOR * DEMO_DAY.rate(at(20)))


def test_arrivals_follow_the_curve_with_a_fixed_seed():
    day = arrivals_between(DEMO_DAY, DAY, DAY + timedelta(days=1), random.Random(7))
    assert day == arrivals_between(DEMO_DAY, DAY, DAY + timedelta(days=1), random.Random(7))
    assert day == sorted(day) and day[0] > DAY and day[-1] < DAY + timedelta(days=1)
    # Poisson: a day's count within 4 standard deviations of the curve's 900.
    assert abs(len(day) - 900) < 4 * 900**0.5
    per_hour = Counter(t.astimezone(IST).hour for t in day)
    for hour in (9, 15, 20):
        expected = sum(DEMO_DAY.rate(at(hour + m / 60)) for m in range(60))
        assert abs(per_hour[hour] - expected) < 4 * expected**0.5 + 1, hour
    assert per_hour[20] > 3 * per_hour[15] and per_hour[3] <= 1
    gaps = [(b - a).total_seconds() for a, b in zip(day, day[1:], strict=False)]
    assert min(gaps) < 5 and max(gaps) > 600  # bursts at the peaks, long gaps at night
    stream = arrivals(DEMO_DAY, DAY, random.Random(7))
    assert [next(stream) for _ in range(5)] == day[:5]  # the endless stream is the same one
    festival = arrivals_between(DEMO_DAY.rushed(), at(19), at(21), random.Random(7))
    ordinary = [t for t in day if at(19) <= t < at(21)]
    assert len(festival) > 2 * len(ordinary)


def test_a_steady_rate_is_the_same_all_day():
    flat = steady(2.0)
    assert flat.rate(at(3)) == flat.rate(at(20)) == flat.top_rate() == pytest.approx(2.0)
    hour = arrivals_between(flat, at(3), at(4), random.Random(1))
    assert abs(len(hour) - 120) < 4 * 120**0.5


def test_placed_over_spreads_a_known_count_over_the_window():
    end = at(15)
    times = placed_over(DEMO_DAY, end, timedelta(minutes=5), 12, random.Random(3))
    assert len(times) == 12 and times == sorted(times)
    assert all(end - timedelta(minutes=5) <= t <= end for t in times)
    assert times == placed_over(DEMO_DAY, end, timedelta(minutes=5), 12, random.Random(3))


def test_the_seeded_store_has_a_handful_of_orders_due_ahead(backend_template, tmp_path):
    """Seeded at START (fixed seed): a queue a picker can work, every promise still ahead,
    spread over the coming minutes, not 300 orders all LATE within the minute."""
    shutil.copy(backend_template, tmp_path / "backend.db")
    db = BackendDB(tmp_path / "backend.db")
    rows = db.conn.execute(
        "SELECT promised_at FROM orders WHERE store = ? AND state = 'confirmed'", (STORE,)
    ).fetchall()
    promises = sorted(datetime.fromisoformat(r[0]) for r in rows)
    assert 8 <= len(promises) <= 15
    assert promises[0] >= START + DELIVERY_PROMISE / 2 and promises[-1] <= START + DELIVERY_PROMISE
    assert promises[-1] - promises[0] >= timedelta(minutes=2)  # spread, not one burst


def test_the_live_stream_places_the_curves_orders(backend_template, tmp_path):
    """The demo's customers (embedded and `backend serve`) place an order at each arrival
    of the curve's stream: a clock an hour ahead of the stream's start catches up at once."""
    shutil.copy(backend_template, tmp_path / "backend.db")
    db = BackendDB(tmp_path / "backend.db")
    start = datetime(2026, 11, 25, 14, 0, tzinfo=UTC)  # 19:30 in Bengaluru: the evening peak
    due = arrivals_between(DEMO_DAY, start, start + timedelta(hours=1), random.Random(5))
    last = db.conn.execute("SELECT MAX(id) FROM orders").fetchone()[0]

    def new_promises() -> list[datetime]:
        return [
            datetime.fromisoformat(r[0])
            for r in db.conn.execute(
                "SELECT promised_at FROM orders WHERE id > ? ORDER BY id", (last,)
            ).fetchall()
        ]

    stop = threading.Event()
    thread = threading.Thread(
        target=place_orders,
        args=(db, STORE, arrivals(DEMO_DAY, start, random.Random(5)), stop),
        kwargs={"clock": lambda: start + timedelta(hours=1)},
    )
    thread.start()
    try:
        for _ in range(200):
            if len(new_promises()) >= len(due):
                break
            stop.wait(0.05)
        stop.wait(0.2)  # and no more: the next arrival is after the clock's hour
    finally:
        stop.set()
        thread.join(10)
    assert 60 <= len(due) <= 180  # 1.7-2 a minute in that hour
    ms = [t.replace(microsecond=t.microsecond // 1000 * 1000) for t in due]  # as stored
    assert new_promises() == [t + DELIVERY_PROMISE for t in ms]
