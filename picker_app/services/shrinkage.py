"""The shrinkage report on the lead's device (issue 14): the backend's report (computed on its
counts, write-offs and sales, as `picker-app shrinkage`), kept in the cache each time it is
fetched so that offline the last one is shown with when it was fetched. The report comes from
`fetch` (the caller passes the sync client's; services do not talk to the network)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from picker_app.domain.shrinkage import DAYS
from picker_app.services.fetched import fetch_or_kept
from picker_app.store import shrinkage as rows
from picker_app.wire import ShrinkageReportWire

if TYPE_CHECKING:
    from picker_app.store.db import LocalStore


@dataclass(frozen=True)
class ShrinkageView:
    """The report to show: the backend's now, or offline the last one kept (with when it was
    fetched; None, with no report, if none ever was) and why it is not the backend's now."""

    report: ShrinkageReportWire | None = None
    fetched_at: datetime | None = None
    offline: str | None = None


class ShrinkageService:
    def __init__(
        self, store: LocalStore, clock: Callable[[], datetime],
        fetch: Callable[..., ShrinkageReportWire] | None = None,
    ) -> None:  # fmt: skip
        self.store = store
        self.clock = clock
        self.fetch = fetch

    def read(self, days: int = DAYS) -> ShrinkageView:
        """The backend's report over the last `days` days (kept for offline), or offline the
        last one kept (of whatever period it was), with why."""
        fetch = self.fetch
        got = fetch_or_kept(
            (lambda: fetch(days=days)) if fetch is not None else None, self.clock,
            lambda report, at: rows.keep_report(self.store, report, at),
            lambda: rows.kept_report(self.store),
        )  # fmt: skip
        return ShrinkageView(got.value, got.fetched_at, got.offline)
