"""Totes: bind each order of the task to an empty tote by scanning the tote's label; the task
starts when the last one is bound (the screen is dismissed with it)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from picker_app.domain.scan import interpret
from picker_app.domain.words import a
from picker_app.errors import PickerError
from picker_app.services.picking import PickService, PickTask
from picker_app.ui.screens.base import WorkScreen
from picker_app.ui.widgets.key_bar import KeyBar
from picker_app.ui.widgets.scan_input import ScanInput
from picker_app.ui.widgets.status_bar import StatusBar


class ToteScreen(WorkScreen[PickTask | None]):
    """Bind each order of the task to an empty tote by scanning the tote's label; dismissed with
    the started task, or None (Escape: back to the queue, nothing taken)."""

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
            self.dismiss(task)  # the queue's flow takes it from here

    def action_back(self) -> None:
        self.dismiss(None)
