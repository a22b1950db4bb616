"""What to reorder, on the lead's device (issue 14): the backend's list (computed on its stock and
sales), kept in the cache each time it is fetched so that offline the last one is shown with
when it was fetched; written as CSV for the supplier into the device's data folder. And the
pick faces to replenish (tasks the backend opens when a pick leaves a bin under its minimum):
scan the bin, then the units brought, reported as `stock_replenished`. The list comes from
`fetch` (the caller passes the sync client's; services do not talk to the network)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from picker_app.domain.events import StockReplenished
from picker_app.domain.layout import BinCodeError, Layout
from picker_app.domain.reorder import ReorderLine, reorder_csv
from picker_app.domain.scan import DEFAULT_SCAN_CONFIG, ScanConfig, interpret
from picker_app.errors import UserError
from picker_app.services.fetched import fetch_or_kept
from picker_app.services.pick_reads import product_gtins
from picker_app.store import progress as kept
from picker_app.store import projection
from picker_app.store import reorder as rows
from picker_app.wire import ReorderLineWire, ReorderList

if TYPE_CHECKING:
    from picker_app.store.db import LocalStore


@dataclass(frozen=True)
class ReorderView:
    """The list to show: the backend's now, or offline the last one kept (with when it was
    fetched, None if none ever was) and why it is not the backend's now."""

    lines: list[ReorderLineWire] = field(default_factory=list)
    fetched_at: datetime | None = None
    offline: str | None = None
    listed: ReorderList | None = None


@dataclass(frozen=True)
class ReplenishTask:
    """A pick face to replenish: bring `qty` of `sku` to `bin`."""

    id: str
    bin: str
    sku: str
    name: str
    qty: float
    unit: str


@dataclass
class ReplenishProgress:
    """A replenishment under way: the bin scanned yet, and the units brought so far."""

    task: ReplenishTask
    at_bin: bool = False
    qty: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """Where the replenishment is, to keep (the task itself is kept apart, by its id)."""
        return {"at_bin": self.at_bin, "qty": self.qty}

    @classmethod
    def from_dict(cls, task: ReplenishTask, state: dict[str, Any]) -> ReplenishProgress:
        """The replenishment of `task` where `state` (of `to_dict`) left it; its start if
        `state` is not one (kept by another version of the app)."""
        at_bin, qty = state.get("at_bin"), state.get("qty")
        if not isinstance(at_bin, bool) or not isinstance(qty, int | float) or qty < 0:
            return cls(task)
        return cls(task, at_bin, float(qty))

    def restore(self, state: dict[str, Any]) -> None:
        """Go back to `state` (of `to_dict`): a scan whose saving failed is undone."""
        back = ReplenishProgress.from_dict(self.task, state)
        self.at_bin, self.qty = back.at_bin, back.qty

    def prompt(self) -> str:
        t = self.task
        if not self.at_bin:
            return f"Scan bin {t.bin}."
        return f"Scan each unit of {t.sku} ({self.qty:g} of {t.qty:g}); F9 when done."


class ReorderService:
    def __init__(
        self, store: LocalStore, layout: Layout | None, clock: Callable[[], datetime],
        fetch: Callable[[], ReorderList] | None = None,
        scan_config: ScanConfig = DEFAULT_SCAN_CONFIG,
    ) -> None:  # fmt: skip
        self.store = store
        self.layout = layout
        self.clock = clock
        self.fetch = fetch
        self.scan_config = scan_config
        self.folder = store.path.parent / "reorder"  # the CSV files, beside the cache

    def read(self) -> ReorderView:
        """The backend's list (kept for offline), or offline the last one kept, with why."""
        got = fetch_or_kept(
            self.fetch, self.clock, lambda listed, at: rows.keep_list(self.store, listed, at),
            lambda: rows.kept_list(self.store),
        )  # fmt: skip
        if got.value is None:
            return ReorderView([], None, got.offline)
        return ReorderView(got.value.lines, got.fetched_at, got.offline, got.value)

    def export(self, view: ReorderView) -> Path:
        """Write the list shown as CSV (domain/reorder.reorder_csv) into the device's data
        folder, named by the date and time; where it went, or a UserError."""
        lines = [
            ReorderLine(r.sku, r.name, r.unit, r.on_hand, r.per_day, r.days_left, r.suggest)
            for r in view.lines
        ]
        path = self.folder / f"reorder-{self.clock():%Y%m%d-%H%M%S}.csv"
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            path.write_text(reorder_csv(lines), encoding="utf-8")
        except OSError as err:
            raise UserError(
                f"The list could not be saved in {self.folder}: {err.strerror}."
            ) from None
        return path

    # Replenishment.
    def tasks(self) -> list[ReplenishTask]:
        """The pick faces to replenish, by bin."""
        return [ReplenishTask(*r) for r in rows.replenish_tasks(self.store)]

    def start(self, task: ReplenishTask) -> ReplenishProgress:
        """The task's progress: where it was left (kept in the cache with each scan, so after
        Esc, a restart or a crash too), or its start."""
        state = kept.saved(self.store, kept.REPLENISH, task.id)
        if state is None:
            return ReplenishProgress(task)
        return ReplenishProgress.from_dict(task, state)

    def under_way(self) -> ReplenishProgress | None:
        """The replenishment last scanned and not reported, of a task still open, or None."""
        tasks = {t.id: t for t in self.tasks()}
        for task_id, state in kept.replenishing(self.store):
            if task_id in tasks:
                return ReplenishProgress.from_dict(tasks[task_id], state)
        return None

    def scan(self, progress: ReplenishProgress, text: str, qty: float = 1.0) -> str:
        """A scan while replenishing: the bin first, then each unit brought (`qty` of them);
        what to do next, or a UserError sentence. A scan accepted is kept in the cache
        before this returns (undone in `progress` if it cannot be)."""
        return kept.kept_step(
            self.store, kept.REPLENISH, progress, lambda: self._step(progress, text, qty),
            self.clock().isoformat(),
        )  # fmt: skip

    def _step(self, progress: ReplenishProgress, text: str, qty: float) -> str:
        t = progress.task
        scan = interpret(text, self.scan_config)
        if scan.kind == "bin" and scan.code is not None:
            code = scan.code
            if self.layout is not None:
                try:
                    code = self.layout.bin(code).code
                except BinCodeError as err:
                    raise UserError(str(err)) from None
            if code != t.bin:
                raise UserError(f"That is bin {code}: this task is bin {t.bin}.")
            progress.at_bin = True
            return progress.prompt()
        if scan.kind in ("product", "variable_measure") and scan.gtin is not None:
            if not progress.at_bin:
                raise UserError(f"Scan bin {t.bin} first.")
            if scan.gtin not in product_gtins(self.store, t.sku, self.scan_config):
                raise UserError(f"That is not {t.sku} ({t.name}): this task brings {t.sku}.")
            if not 0 < qty <= 10_000:
                raise UserError("Key a quantity of 1 or more.")
            progress.qty += scan.net_weight_kg if scan.net_weight_kg is not None else qty
            return progress.prompt()
        raise UserError(scan.reason or f"Scan a bin label or a product. {progress.prompt()}")

    def finish(self, progress: ReplenishProgress, user: dict[str, str]) -> str:
        """Report the units brought (`stock_replenished`); the bin's stock goes up here at
        once. Any role may replenish."""
        t = progress.task
        if not progress.at_bin or progress.qty <= 0:
            raise UserError(f"Nothing brought yet: {progress.prompt()}")
        event = StockReplenished(task=t.id, bin=t.bin, sku=t.sku, qty=progress.qty)
        with self.store.write():
            self.store.record(event, user=user["id"])
            projection.apply(self.store, event, self.clock)
            kept.drop(self.store, kept.REPLENISH, t.id)
        return f"Replenished {progress.qty:g} of {t.sku} in {t.bin}."
