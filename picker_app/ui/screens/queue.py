"""The order queue: the next orders by delivery promise; take one, or a batch with a tote each."""

from __future__ import annotations

from datetime import datetime

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from picker_app.domain.queue import clock_text
from picker_app.domain.scan import interpret
from picker_app.domain.words import a
from picker_app.errors import PickerError
from picker_app.services.picking import PickService, QueueEntry
from picker_app.ui.screens.base import WorkScreen
from picker_app.ui.widgets.key_bar import KeyBar
from picker_app.ui.widgets.scan_input import ScanInput
from picker_app.ui.widgets.status_bar import StatusBar


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
    ]
    HINT = "Enter: take the next order; 2-4 Enter: a batch; or scan a tote or an order label."

    def __init__(self, service: PickService, user: dict[str, str], batch_max: int = 4) -> None:
        super().__init__()
        self.service = service
        self.user = user
        self.batch_max = batch_max
        self.entries: list[QueueEntry] = []

    def compose(self) -> ComposeResult:
        yield StatusBar()
        yield Static(id="who")
        yield Static(id="sync")
        yield Static(id="orders")
        yield Static(id="message")
        yield ScanInput(placeholder="Enter, or scan a tote / order", empty_lines=True, id="scan")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one(ScanInput).focus()
        self.refresh_queue()
        self.set_interval(5, self.refresh_queue)

    def on_screen_resume(self) -> None:
        self.refresh_queue()

    def refresh_queue(self) -> None:
        now = self.service.backend_now()
        self.entries = self.service.queue(limit=12)
        self.query_one("#who", Static).update(
            f"{self.user['name']}: {self.service.waiting()} orders waiting"
            if self.entries
            else f"{self.user['name']}: no orders waiting"
        )
        rows = [
            f"{e.order.id}  {e.lines} line{'s' if e.lines != 1 else ''}  {due_text(e, now)}"
            for e in self.entries
        ]
        self.query_one("#orders", Static).update(
            "\n".join(rows) or "Nothing to pick: new orders show here as they arrive."
        )
        if not self.query_one("#message", Static).has_class("error"):
            self.query_one("#message", Static).update(self.HINT)
        self._show_sync()

    def _show_sync(self) -> None:
        """Why sync is paused or failing, and what to do, from the app's last sync status."""
        values = getattr(self.app, "status_values", {})
        notice = sync_notice(
            bool(values.get("online", True)), bool(values.get("paused")),
            str(values.get("sync_message", "")),
        )  # fmt: skip
        sync = self.query_one("#sync", Static)
        sync.update(notice)
        sync.display = bool(notice)

    def action_refresh_queue(self) -> None:
        self.refresh_queue()

    def action_take(self, n: int) -> None:
        n = max(1, min(n, self.batch_max))
        self.refresh_queue()
        orders = [e.order.id for e in self.entries[:n]]
        if not orders:
            self.say("Nothing to pick yet: new orders show here as they arrive.", True)
            return
        self.app.push_screen(ToteScreen(self.service, self.user, orders))

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
            self.app.push_screen(tote)
            self.app.call_after_refresh(tote.handle_scan, scan.code)
            return
        if scan.kind == "order" and scan.code is not None:
            problem = self.service.order_problem(scan.code)
            if problem:
                self.say(problem, True)
                return
            self.app.push_screen(ToteScreen(self.service, self.user, [scan.code]))
            return
        what = scan.reason if scan.kind == "rejected" else f"That is {a(scan.kind)} label"
        self.say(
            f"{(what or 'That barcode could not be read').rstrip('.')}: here, scan an empty "
            "tote (the next order goes into it) or an order label, or press Enter.",
            True,
        )


class ToteScreen(WorkScreen):
    """Bind each order of the task to an empty tote by scanning the tote's label."""

    DEFAULT_CSS = """
    ToteScreen #ask { padding: 0 1; text-style: bold; height: auto; }
    ToteScreen #bound { padding: 0 1; height: 1fr; }
    ToteScreen #message { padding: 0 1; height: auto; }
    ToteScreen #message.error { color: $error; text-style: bold; }
    """

    BINDINGS = [Binding("escape", "back", "Back")]

    def __init__(self, service: PickService, user: dict[str, str], orders: list[str]) -> None:
        super().__init__()
        self.service = service
        self.user = user
        self.orders = orders
        self.totes: dict[str, str] = {}

    def compose(self) -> ComposeResult:
        yield StatusBar()
        yield Static(id="ask")
        yield Static(id="bound")
        yield Static(id="message")
        yield ScanInput(placeholder="scan a tote label (TT...)", id="scan")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one(ScanInput).focus()
        self._show()

    @property
    def waiting(self) -> str | None:
        return next((o for o in self.orders if o not in self.totes), None)

    def _show(self) -> None:
        order = self.waiting
        n = len(self.totes) + 1
        if order is not None:
            self.query_one("#ask", Static).update(
                f"Scan an empty tote for {order} ({n} of {len(self.orders)})"
            )
        self.query_one("#bound", Static).update(
            "\n".join(f"{o} -> {self.totes.get(o, '...')}" for o in self.orders)
        )

    def on_scan_input_scanned(self, event: ScanInput.Scanned) -> None:
        self.handle_scan(event.text)

    def take_scan(self, text: str, t: float) -> None:
        self.handle_scan(text)

    def handle_scan(self, text: str) -> None:
        order = self.waiting
        if order is None:
            return
        scan = interpret(text)
        if scan.kind != "tote" or scan.code is None:
            what = f"That is {a(scan.kind)} label"
            if scan.kind == "rejected":
                what = scan.reason or "That barcode could not be read"
            self.say(f"{what.rstrip('.')}: scan a tote label (TT and 6 digits).", True)
            return
        problem = self.service.tote_problem(scan.code, list(self.totes.values()))
        if problem:
            self.say(problem, True)
            return
        self.totes[order] = scan.code
        self.say(f"Tote {scan.code} is for {order}.")
        self._show()
        if self.waiting is None:
            try:
                task = self.service.start(self.user["id"], self.totes)
            except PickerError as err:  # e.g. out of storage: nothing was taken
                del self.totes[order]
                self.say(f"Not saved: {err}. Scan the tote again.", True)
                self._show()
                return
            self.app.start_picking(task)  # type: ignore[attr-defined]

    def action_back(self) -> None:
        self.app.pop_screen()
