"""Slotting moves on the lead's device (issue 14): the backend's advice (measured on its order
history: the device has no dated history of its own), accepted by a lead as a task
(`slot_move_accepted`), then done step by step (domain/slot_moves.py) and reported as
`slot_moved`; the backend moves the stock and the products' bins, and every device learns the
new bins on its next download. The advice comes from `fetch` (the caller passes the sync
client's; services do not talk to the network themselves)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from picker_app.domain.auth import may
from picker_app.domain.events import SlotMoveAccepted, SlotMoved
from picker_app.domain.layout import BinCodeError, Layout
from picker_app.domain.scan import DEFAULT_SCAN_CONFIG, ScanConfig, interpret
from picker_app.domain.slot_moves import MoveProgress, MoveTask
from picker_app.errors import UserError
from picker_app.services.fetched import fetch_or_kept
from picker_app.services.pick_reads import product_gtins
from picker_app.store import progress as kept
from picker_app.store import projection
from picker_app.store import slot_moves as rows
from picker_app.wire import SlotAdvice, SlottingAdvice

if TYPE_CHECKING:
    from picker_app.store.db import LocalStore


@dataclass(frozen=True)
class AdviceView:
    """The moves advised (none offline, with why) and the moves accepted, not done yet."""

    moves: list[SlotAdvice] = field(default_factory=list)
    tasks: list[MoveTask] = field(default_factory=list)
    offline: str | None = None  # why there is no advice (None: the backend's is shown)
    orders: int = 0
    days: float = 0.0


class SlottingService:
    def __init__(
        self, store: LocalStore, layout: Layout | None, clock: Callable[[], datetime],
        fetch: Callable[[], SlottingAdvice] | None = None,
        scan_config: ScanConfig = DEFAULT_SCAN_CONFIG,
    ) -> None:  # fmt: skip
        self.store = store
        self.layout = layout
        self.clock = clock
        self.fetch = fetch
        self.scan_config = scan_config

    def read(self) -> AdviceView:
        """The backend's advice (less the moves this device accepted already) and the tasks;
        offline, the tasks alone with why."""
        tasks = self.tasks()
        got = fetch_or_kept(self.fetch, self.clock)
        advice = got.value
        if advice is None:
            return AdviceView([], tasks, f"the advice needs the backend: {got.offline}")
        mine = {
            k for t in tasks if t.refused is None
            for k in (t.sku, t.from_bin, t.to_bin, t.swap_sku) if k
        }  # fmt: skip
        moves = [
            m for m in advice.moves
            if rows.known(self.store, m.id) is None and not {m.sku, m.from_bin, m.to_bin} & mine
        ]  # fmt: skip
        return AdviceView(moves, tasks, None, advice.orders, advice.days)

    def tasks(self) -> list[MoveTask]:
        """The moves accepted and not done, by id."""
        return [
            MoveTask(i, sku, name, src, dst, swap, swap_name or swap, state, refused)
            for i, sku, name, src, dst, swap, swap_name, state, refused in rows.moves(self.store)
        ]

    def under_way(self, task: MoveTask) -> str | None:
        """How far a move is (kept in the cache with each scan), or None if not begun."""
        return self.start(task).summary()

    def accept(self, move: SlotAdvice, lead: dict[str, str]) -> str:
        """A lead accepts an advised move: recorded, it is a task here at once (and on the
        other devices once the backend has it). A UserError when the person may not."""
        if not may(lead.get("role", ""), "approve"):
            raise UserError(f"Only a store lead may accept a move: {lead.get('name')} may not.")
        if rows.known(self.store, move.id) is not None:
            raise UserError(f"Move of {move.sku} to {move.to_bin} is accepted already.")
        event = SlotMoveAccepted(
            move=move.id, sku=move.sku, from_bin=move.from_bin, to_bin=move.to_bin,
            swap_sku=move.swap_sku,
        )  # fmt: skip
        with self.store.write():
            self.store.record(event, user=lead["id"])
            projection.apply(self.store, event, self.clock)
        return f"Accepted: {move.sku} {move.from_bin} -> {move.to_bin}, a task now."

    def drop(self, task: MoveTask) -> str:
        """Put away a move the backend refused (a UserError for any other)."""
        if task.refused is None:
            raise UserError(f"Move of {task.sku} is not refused: do it, or leave it to do.")
        with self.store.write():
            rows.drop_refused(self.store, task.id)
        return f"Put away: {task.sku} {task.from_bin} -> {task.to_bin} (refused: {task.refused})."

    def start(self, task: MoveTask) -> MoveProgress:
        """The move's progress: where it was left (kept in the cache with each scan, so after
        Esc, a restart or a crash too), or its first step."""
        state = kept.saved(self.store, kept.SLOT_MOVE, task.id)
        return MoveProgress.from_dict(task, state) if state is not None else MoveProgress(task)

    def scan(self, progress: MoveProgress, text: str, qty: float = 1.0) -> str:
        """A scan while doing a move: a bin label or a unit of a product (`qty` of them);
        what to do next, or a UserError sentence. A scan accepted is kept in the cache
        before this returns (undone in `progress` if it cannot be)."""
        return kept.kept_step(
            self.store, kept.SLOT_MOVE, progress, lambda: self._step(progress, text, qty),
            self.clock().isoformat(),
        )  # fmt: skip

    def _step(self, progress: MoveProgress, text: str, qty: float) -> str:
        scan = interpret(text, self.scan_config)
        if scan.kind == "bin" and scan.code is not None:
            code = scan.code
            if self.layout is not None:
                try:
                    code = self.layout.bin(code).code
                except BinCodeError as err:
                    raise UserError(str(err)) from None
            return progress.bin_scanned(code)
        if scan.kind in ("product", "variable_measure") and scan.gtin is not None:
            if not 0 < qty <= 10_000:
                raise UserError("Key a quantity of 1 or more.")
            t = progress.task
            sku = next(
                (s for s in (t.sku, t.swap_sku)
                 if s and scan.gtin in product_gtins(self.store, s, self.scan_config)),
                None,
            )  # fmt: skip
            amount = scan.net_weight_kg if scan.net_weight_kg is not None else qty
            return progress.item_scanned(sku, amount)
        raise UserError(scan.reason or f"Scan a bin label or a product. {progress.prompt()}")

    def finish(self, progress: MoveProgress, user: dict[str, str]) -> str:
        """Report a move done (`slot_moved`); the products' bins change here at once."""
        if not progress.done:
            raise UserError(f"The move is not done yet: {progress.prompt()}")
        t = progress.task
        event = SlotMoved(
            move=t.id, sku=t.sku, from_bin=t.from_bin, to_bin=t.to_bin, qty=progress.qty,
            swap_sku=t.swap_sku, swap_qty=progress.swap_qty if t.swap_sku else None,
        )  # fmt: skip
        with self.store.write():
            self.store.record(event, user=user["id"])
            projection.apply(self.store, event, self.clock)
            kept.drop(self.store, kept.SLOT_MOVE, t.id)
        swap = f", {progress.swap_qty:g} of {t.swap_sku} back" if t.swap_sku else ""
        return f"Moved {progress.qty:g} of {t.sku} {t.from_bin} -> {t.to_bin}{swap}."
