"""Cycle counts by schedule (issue 14): each product counted by its velocity class (A weekly,
B monthly, C quarterly by default, domain/counting.py), a count task opened at the backend when
one is due and none is open for its bin. Idempotent (a task's id names its day and product), so
any number of backend processes may run it."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from datetime import UTC, datetime

from picker_app.backend.repository import Repository
from picker_app.domain.counting import COUNT_EVERY_DAYS, counts_due, velocity_classes
from picker_app.domain.times import parse_time

log = logging.getLogger(__name__)

SCHEDULE_EVERY_S = 3600.0  # how often the backend looks for counts that came due


def open_due_counts(
    db: Repository, store: str, now: datetime, every: Mapping[str, int] = COUNT_EVERY_DAYS
) -> int:
    """Open a cycle-count task for each product of `store` whose count is due at `now`; how
    many were opened."""
    with db.event_writes(store) as writes:
        plan = writes.count_schedule()
        classes = velocity_classes({sku: plan.picks.get(sku, 0) for sku in plan.bins})
        last = {sku: t for sku, text in plan.last_counted.items() if (t := parse_time(text))}
        due = counts_due(dict(classes), last, parse_time(plan.since) or now, now, every)
        opened = 0
        for sku in due:
            bin_ = plan.bins[sku]
            if not writes.open_count_for(bin_, sku):
                writes.open_count_task(f"CY-{now:%Y%m%d}-{sku}", bin_, sku, "cycle")
                opened += 1
    return opened


def run_schedule(
    db: Repository, store: str, stop: threading.Event,
    every: Mapping[str, int] = COUNT_EVERY_DAYS, period_s: float = SCHEDULE_EVERY_S,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> None:  # fmt: skip
    """Open the counts that come due, now and every `period_s`, until `stop` is set (a thread's
    target). A failure is logged and tried again next time."""
    while True:
        try:
            opened = open_due_counts(db, store, clock(), every)
            if opened:
                log.info("opened %d cycle counts by schedule at %s", opened, store)
        except Exception:
            log.exception("the count schedule of %s failed; it runs again in %ss", store, period_s)
        if stop.wait(period_s):
            return
