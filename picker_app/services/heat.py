"""The heat map as the lead sees it on the device: picks per bay from the cache's pick history
(the backend's counts and this device's own picks), over all of it or today."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from picker_app.domain.heatmap import HeatSummary, summarize
from picker_app.domain.layout import BinCodeError, Layout
from picker_app.domain.slotting import bin_picks_after
from picker_app.store import tasks as task_rows

if TYPE_CHECKING:
    from picker_app.store.db import LocalStore

WINDOWS = ("all", "today")


class HeatService:
    def __init__(self, store: LocalStore, layout: Layout, clock: Callable[[], datetime]) -> None:
        self.store = store
        self.layout = layout
        self.clock = clock

    def summary(self, window: str = "all") -> HeatSummary:
        """Picks per bay, aisle and zone: "all" the history this device has, or "today" (this
        device's own picks since midnight, its clock)."""
        since = None
        if window == "today":
            since = self.clock().replace(hour=0, minute=0, second=0, microsecond=0).isoformat()
        picks = self._bays(dict(task_rows.pick_lines_by_bin(self.store, since)))
        label = "all history" if window == "all" else f"today, {self.clock():%Y-%m-%d}"
        return summarize(self.layout, picks, label)

    def before_after(
        self, moves: Iterable[tuple[str, str, bool]]
    ) -> tuple[HeatSummary, HeatSummary]:
        """The heat of all the history this device has, per bay, as the bins are now and as
        they would be once `moves` (from bin, to bin, swap) are made: each bin's picks follow
        its product (domain/slotting.bin_picks_after)."""
        bins = {b: int(n or 0) for b, n in task_rows.pick_lines_by_bin(self.store)}
        after = bin_picks_after(bins, moves)
        return (
            summarize(self.layout, self._bays(bins), "all history"),
            summarize(self.layout, self._bays(after), "all history"),
        )

    def _bays(self, bins: dict[str, Any]) -> dict[str, int]:
        """Picks per bay of picks per bin (bins the layout lacks are left out)."""
        picks: dict[str, int] = {}
        for bin_code, n in bins.items():
            try:
                bay = self.layout.bin(bin_code).bay.code
            except BinCodeError:
                continue
            picks[bay] = picks.get(bay, 0) + int(n or 0)
        return picks
