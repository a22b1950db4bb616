"""The store board: the backend's store-wide view while it answers, this device's own view
(from its cache) when it does not, saying so. The backend's board comes from `fetch` (the
caller passes the sync client's; services do not talk to the network themselves)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from picker_app.domain.board import (
    Board,
    DeviceRecord,
    OosRecord,
    OrderRecord,
    QcRecord,
    WorkRecord,
    build_board,
    day_start,
)
from picker_app.domain.times import parse_time
from picker_app.services.fetched import fetch_or_kept
from picker_app.store import board as rows

if TYPE_CHECKING:
    from picker_app.store.db import LocalStore


PICKED_BEFORE_QC = timedelta(hours=2)


@dataclass(frozen=True)
class BoardView:
    """A board and where it comes from: `offline` with why when it is this device's own."""

    board: Board
    offline: str | None = None  # why the backend's view is not shown (None: it is)


class BoardService:
    """Reads the board: `fetch()` (the backend's) or, when it fails, the cache's."""

    def __init__(
        self,
        store: LocalStore,
        clock: Callable[[], datetime],
        fetch: Callable[[], Board] | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.fetch = fetch

    def read(self) -> BoardView:
        """The board now: the backend's, else this device's with the reason."""
        got = fetch_or_kept(self.fetch, self.clock)
        if got.value is not None:
            return BoardView(got.value)
        return BoardView(self.local(), got.offline)

    def local(self) -> Board:
        """This device's own board, from its cache, as of the clock."""
        now = self.clock()
        since = day_start(now).isoformat(timespec="milliseconds")
        # An order is QC'd minutes after its picks: those of the last hours before midnight
        # name the pickers of the first QC results of the day.
        picked_since = (day_start(now) - PICKED_BEFORE_QC).isoformat(timespec="milliseconds")
        store = self.store
        orders = [
            OrderRecord(i, s, parse_time(p), n, left)
            for i, s, p, n, left in rows.open_orders(store)
        ]
        work = [WorkRecord(u, "picker", datetime.fromisoformat(at)) for u, at in
                rows.picks_since(store, since)]  # fmt: skip
        work += [WorkRecord(u, "packer", datetime.fromisoformat(at), n) for u, at, n in
                 rows.checks_since(store, since) if u]  # fmt: skip
        qc = [QcRecord(u, datetime.fromisoformat(at), n, found) for u, at, n, found in
              rows.qc_since(store, since, picked_since)]  # fmt: skip
        oos = [OosRecord(str(s), str(b), datetime.fromisoformat(at)) for s, b, at in
               rows.oos_since(store, since)]  # fmt: skip
        state = store.sync_state()
        last = parse_time(state.get("last_success"))
        me = DeviceRecord(store.device, last, store.counts()["pending"])
        return build_board(now, "device", orders, work, qc, oos, rows.counts_open(store), [me],
                           rows.names(store))  # fmt: skip

    def watch(self, callback: Callable[[frozenset[str]], None]) -> None:
        """Call `callback(tables)` after each commit to the cache (from the committing thread)."""
        self.store.watch(callback)

    def unwatch(self, callback: Callable[[frozenset[str]], None]) -> None:
        self.store.unwatch(callback)
