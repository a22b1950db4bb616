"""The order queue: the next orders by delivery promise; take one, or a batch with a tote each.

A batch ("2-4 Enter") is the one chosen to save walking (domain.batching); the queue marks the
orders of the one that saves the most with `*` and says what it saves, worked out when the queue
is read (not on the timer that moves the due times).

The queue is the picker's mode's first screen and owns its flow (Textual modes, DESIGN.md): a
task taken here opens the pick screen over it, its end the finish screen, and a cancelled order
of the open task a put-back dialog; each comes back here.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Static

from picker_app.domain.batching import BATCH_MARK, BatchChoice, best_offer, offer_line
from picker_app.domain.queue import clock_text
from picker_app.domain.scan import DEFAULT_SCAN_CONFIG, ScanConfig, interpret
from picker_app.domain.words import a
from picker_app.errors import PickerError
from picker_app.services.counting import CountService
from picker_app.services.picking import PickService, PickTask, QueueEntry
from picker_app.ui.screens.base import WorkScreen
from picker_app.ui.screens.dialogs import NoticeDialog
from picker_app.ui.screens.picker.finish import FinishScreen
from picker_app.ui.screens.picker.pick import PickScreen
from picker_app.ui.screens.picker.tote import ToteScreen
from picker_app.ui.widgets.key_bar import KeyBar
from picker_app.ui.widgets.scan_input import ScanInput
from picker_app.ui.widgets.status_bar import StatusBar

RETRY_S = 5  # a save that failed (e.g. out of storage) is tried again this often
SHOWN = frozenset({"orders", "order_line", "pick_task", "tote"})  # what the queue lists
DROPS = frozenset({"orders", "outbox", "rejected"})  # where a cancelled or refused order shows

def due_text(entry: QueueEntry, now: datetime) -> str:
    """'due 8:12' or 'LATE 1:03' against the delivery promise."""
    when = entry.order.promised_at
    if when is None:
        return "no promise"
    seconds = int((when - now).total_seconds())
    hours, minutes = divmod(abs(seconds) // 60, 60)
    left = f"{hours}h{minutes:02d}" if hours else clock_text(seconds)
    return f"{'due' if seconds >= 0 else 'LATE'} {left}"


def sync_notice(online: bool, paused: bool, message: str) -> str:
    """What the picker is told of sync when it is not going through ("" when it is)."""
    if online or not message:
        return ""
    reason = message.removeprefix("sync paused: ")
    kept = "" if "kept" in reason else "; scans are kept"
    return f"{'Sync paused: ' if paused else ''}{reason[:1].upper()}{reason[1:]}{kept}."


class QueueScreen(WorkScreen):
    """What to pick next."""

    DEFAULT_CSS = """
    QueueScreen #who { padding: 0 1; text-style: bold; height: 1; }
    QueueScreen #orders { padding: 0 1; height: 1fr; }
    QueueScreen #batch { padding: 0 1; height: auto; text-style: bold; }
    QueueScreen #sync { padding: 0 1; height: auto; color: $warning; text-style: bold; }
    QueueScreen #message { padding: 0 1; height: auto; }
    QueueScreen #message.error { color: $error; text-style: bold; }
    """

    # The scan input has the keys (a wedge scanner types there): Enter on an empty line takes
    # the next order, 2-4 and Enter a batch, a tote or an order label takes an order; the
    # message line (HINT) says so. The focused input consumes those keys, so the key bar does
    # not list them; these bindings serve when the input is not focused.
    BINDINGS = [
        Binding("enter", "take(1)", "Take next"),
        Binding("2", "take(2)", "Batch", key_display="2-4 Enter"),
        Binding("3", "take(3)", "Batch of 3", show=False),
        Binding("4", "take(4)", "Batch of 4", show=False),
        Binding("f5", "refresh_queue", "Refresh"),
        Binding("f8", "counts", "Counts", show=False),  # for those a lead lets count
    ]
    HINT = "Enter: take the next order; 2-4 Enter: a batch; or scan a tote or an order label."

    def __init__(
        self, service: PickService, user: dict[str, str], batch_max: int = 4,
        scan_config: ScanConfig = DEFAULT_SCAN_CONFIG, counting: CountService | None = None,
    ) -> None:  # fmt: skip
        super().__init__()
        self.service = service
        self.user = user
        self.batch_max = batch_max
        self.scan_config = scan_config
        self.counting = counting
        self.entries: list[QueueEntry] = []
        self.waiting = 0  # orders waiting, as last read
        self.skew = timedelta()  # the backend's clock against this device's, as last read
        self.batches: dict[int, BatchChoice] = {}  # by size: the batch "n Enter" takes
        self.pick_task: PickTask | None = None  # the task being picked, over this screen
        self._asked: set[str] = set()  # orders of the task whose drop was put to the picker
        self._resume: PickTask | None = None  # the task left open, picked up when shown

    @classmethod
    def open(
        cls, service: PickService, user: dict[str, str], batch_max: int = 4,
        scan_config: ScanConfig = DEFAULT_SCAN_CONFIG, counting: CountService | None = None,
    ) -> QueueScreen:  # fmt: skip
        """The mode's first screen for `user`, with the task they left open, if any (resumed
        once it is shown). A PickerError (e.g. the task is open in another app on this device)
        says why they cannot start."""
        queue = cls(service, user, batch_max, scan_config, counting)
        queue._resume = service.open_task(user["id"])
        return queue

    def compose(self) -> ComposeResult:
        yield StatusBar()
        yield Static(id="who")
        yield Static(id="sync")
        yield Static(id="orders")
        yield Static(id="batch")
        yield Static(id="message")
        yield ScanInput(placeholder="Enter, or scan a tote / order", empty_lines=True, id="scan")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one(ScanInput).focus()
        self.refresh_queue()
        self.set_interval(5, self._show_queue)  # the time left to each promise
        self.watch(self.app, "status_values", self._show_sync, init=False)
        if self._resume is not None:
            task, self._resume = self._resume, None
            self.start_picking(task, resumed=True)

    def on_screen_resume(self) -> None:
        self.refresh_queue()

    def data_changed(self, tables: frozenset[str]) -> None:
        if tables & SHOWN and self.app.screen is self:  # covered: read when shown (resume)
            self.refresh_queue()
        if tables & DROPS:
            self.check_dropped()

    def on_resize(self) -> None:
        self._show_queue()

    def refresh_queue(self) -> None:
        self.entries = self.service.queue(limit=12)
        self.waiting = self.service.waiting()
        self.skew = self.service.backend_now() - self.service.clock()
        # The batches plan routes: not while the pick screen covers the queue (each scan saved
        # changes what it lists), but when it is shown again (on_screen_resume).
        sizes = range(2, min(self.batch_max, len(self.entries)) + 1)
        shown = self.app.screen is self and len(sizes) > 0
        self.batches = self.service.suggest_batches(sizes, self.entries) if shown else {}
        self._show_queue()

    def _show_queue(self) -> None:
        """Draw what `refresh_queue` read; the time left moves with this device's clock."""
        now = self.service.clock() + self.skew
        self.query_one("#who", Static).update(
            f"{self.user['name']}: {self.waiting} orders waiting"
            if self.entries
            else f"{self.user['name']}: no orders waiting"
        )
        best = best_offer(self.batches.values())
        marked = set(best.orders) if best is not None else set()

        def mark(order_id: str) -> str:
            return (f"{BATCH_MARK} " if order_id in marked else "  ") if marked else ""

        rows = [
            f"{mark(e.order.id)}{e.order.id}  "
            + (f"RE-PICK {e.lines}" if e.repick else f"{e.lines} line{'s' if e.lines != 1 else ''}")
            + f"  {due_text(e, now)}"
            for e in self.entries
        ]
        self.query_one("#orders", Static).update(
            "\n".join(rows) or "Nothing to pick: new orders show here as they arrive."
        )
        batch = self.query_one("#batch", Static)
        text = offer_line(self.batches, max(10, self.size.width - 2))
        batch.update(text)
        batch.display = bool(text)
        if not self.query_one("#message", Static).has_class("error"):
            self.query_one("#message", Static).update(self.HINT)
        self._show_sync()

    def _show_sync(self, _: object = None) -> None:
        """Why sync is paused or failing, and what to do, from the app's last sync status."""
        values = getattr(self.app, "status_values", {})
        notice = sync_notice(
            bool(values.get("online", True)), bool(values.get("paused")),
            str(values.get("sync_message", "")),
        )  # fmt: skip
        sync = self.query_one("#sync", Static)
        sync.update(notice)
        sync.display = bool(notice)

    def action_counts(self) -> None:
        from picker_app.ui.screens.lead.counts import CountListScreen

        if self.counting is None:
            return
        if not self.counting.may_count(self.user):
            self.say("Counts are for leads and those a lead lets count: ask your lead.", True)
            return
        self.app.push_screen(CountListScreen(self.counting, self.user))

    def action_refresh_queue(self) -> None:
        self.refresh_queue()

    def action_take(self, n: int) -> None:
        """Take the next order (n = 1), or the batch of n the queue offers (of all there are,
        when fewer wait); a batch that would make an order late is refused, saying so."""
        n = max(1, min(n, self.batch_max))
        self.refresh_queue()
        if not self.entries:
            self.say("Nothing to pick yet: new orders show here as they arrive.", True)
            return
        n = min(n, len(self.entries))
        orders = [self.entries[0].order.id]
        if n > 1:
            choice = self.batches.get(n) or self.service.suggest_batch(n)
            if choice.refusal is not None:
                self.say(choice.refusal, True)
                return
            orders = list(choice.orders)
        self.app.push_screen(ToteScreen(self.service, self.user, orders), self._bound)

    def on_scan_input_scanned(self, event: ScanInput.Scanned) -> None:
        self.handle_scan(event.text)

    def take_scan(self, text: str, t: float) -> None:
        self.handle_scan(text)

    def handle_scan(self, text: str) -> None:
        """A line from the wedge input or a serial scanner: Enter, a batch size, a tote label
        (the next order goes into it) or an order label (that order, if it can be taken)."""
        text = text.strip()
        if not text:
            self.action_take(1)
            return
        if text in {str(n) for n in range(2, self.batch_max + 1)}:
            self.action_take(int(text))
            return
        scan = interpret(text)
        if scan.kind == "tote" and scan.code is not None:
            self.refresh_queue()
            if not self.entries:
                self.say("Nothing to pick yet: new orders show here as they arrive.", True)
                return
            tote = ToteScreen(self.service, self.user, [self.entries[0].order.id])
            self.app.push_screen(tote, self._bound)
            self.app.call_after_refresh(tote.handle_scan, scan.code)
            return
        if scan.kind == "order" and scan.code is not None:
            problem = self.service.order_problem(scan.code)
            if problem:
                self.say(problem, True)
                return
            self.app.push_screen(ToteScreen(self.service, self.user, [scan.code]), self._bound)
            return
        what = scan.reason if scan.kind == "rejected" else f"That is {a(scan.kind)} label"
        self.say(
            f"{(what or 'That barcode could not be read').rstrip('.')}: here, scan an empty "
            "tote (the next order goes into it) or an order label, or press Enter.",
            True,
        )

    # --- the flow: the task over this screen ---------------------------------------------------

    def _bound(self, task: PickTask | None) -> None:
        if task is not None:
            self.start_picking(task)

    def _show(self, screen: Screen[Any], then: Callable[[Any], None] | None = None) -> None:
        """Show `screen` as the one screen over the queue (`then`: called with its answer)."""
        self._close_covering()
        self.app.push_screen(screen, then)

    def _close_covering(self) -> bool:
        """Close every screen over the queue; False if there was none."""
        covered = self.app.screen is not self
        while self.app.screen is not self and len(self.app.screen_stack) > 1:
            self.app.pop_screen()
        return covered

    def show_queue(self) -> None:
        """Back to the queue, as it is when first shown (a task ended, or the picker asked)."""
        self.pick_task = None
        self.query_one("#message", Static).set_class(False, "error")
        if not self._close_covering():
            self.refresh_queue()

    def start_picking(self, task: PickTask, resumed: bool = False) -> None:
        service = self.service
        self.pick_task = task
        self._asked.clear()
        title = ", ".join(f"{o}>{t}" for o, t in task.totes.items())

        def save(events) -> None:  # type: ignore[no-untyped-def]
            service.save(task, events)

        screen = PickScreen(
            task.session, service.layout, task.stop_cells, save,
            title=title, started_at=task.started_at, clock=service.clock,
            budget=service.task_budget(task),
            path=service.planner.table.path, substitutes=service.substitutes,
            suggested=service.suggested,
            on_finished=lambda: self.call_next(self.finish_task, task),
            scan_config=self.scan_config,
        )  # fmt: skip
        self._show(screen)
        if resumed:
            line = task.session.current
            where = f"next: {line.bin}, {line.name}" if line else "all lines done"
            screen.call_after_refresh(screen.say, f"Welcome back: same order, {where}.")
        poke = getattr(self.app, "poke_sync", None)
        if callable(poke):
            poke()
        self.call_after_refresh(self.check_dropped)
        if task.session.finished:
            self.call_after_refresh(self.finish_task, task)

    def finish_task(self, task: PickTask) -> None:
        """Close the task's totes and show the finish screen. Runs on this screen's own loop
        (the pick screen calls it through `call_next`): the screens it opens answer here."""
        service = self.service
        if self.pick_task is not task:
            return
        try:
            stats = service.finish(task)
        except PickerError as err:  # e.g. out of storage: the totes stay open, try again soon
            say = getattr(self.app.screen, "say", None)
            if callable(say):
                say(f"Totes not closed yet: {err}. Trying again in {RETRY_S} s.", True)
            self.set_timer(RETRY_S, lambda: self.finish_task(task))
            return
        self.pick_task = None
        poke = getattr(self.app, "poke_sync", None)
        if callable(poke):
            poke()  # the tote is ready for packing: tell the backend now
        live = {o: t for o, t in task.totes.items() if o in service.live_orders(task)}
        self._show(FinishScreen(stats, live), self._after_finish)

    def _after_finish(self, choice: str | None) -> None:
        """The finish screen's answer: the queue, and on "next" Enter on it (the next order's
        tote is asked for; when no order waits, the queue says so)."""
        self.show_queue()
        if choice == "next":
            self.call_later(self.action_take, 1)

    def check_dropped(self) -> None:
        """If the backend says an order of the open task was cancelled (or refused its start):
        say so at once, and list what to put back where."""
        task, service = self.pick_task, self.service
        pick_screen = self.app.screen
        if task is None or not isinstance(pick_screen, PickScreen):
            return
        why = {o: ("was cancelled", "was cancelled") for o in service.cancelled(task)}
        for order_id, reason in service.refused(task).items():
            why.setdefault(order_id, (f"cannot be picked here: {reason}", "left this task"))
        for order_id, (what, short) in why.items():
            if order_id in self._asked:
                continue
            self._asked.add(order_id)
            back = task.session.to_put_back(order_id)
            body = (
                "Put back:\n" + "\n".join(f"{qty:g} x {ln.name} -> {ln.bin}" for ln, qty in back)
                if back
                else "Nothing was picked for it yet."
            )
            if task.totes.get(order_id):
                body += f"\nThen empty tote {task.totes[order_id]}."

            def put_back(_: bool | None, order_id: str = order_id, short: str = short) -> None:
                before = copy.deepcopy(task.session)
                decision = task.session.cancel(order_id, short)
                try:
                    service.drop_order(task, order_id, decision.events)
                except PickerError as err:  # not saved: the order stays, asked again soon
                    task.session.__dict__.update(before.__dict__)
                    self._asked.discard(order_id)
                    pick_screen.say(f"Not saved: {err}. Asking again in {RETRY_S} s.", True)
                    self.set_timer(RETRY_S, self.check_dropped)
                    return
                pick_screen.say(decision.message)
                pick_screen.refresh_stop()
                if task.session.finished:
                    self.finish_task(task)

            self.app.push_screen(NoticeDialog(f"Order {order_id} {what}", body), put_back)
