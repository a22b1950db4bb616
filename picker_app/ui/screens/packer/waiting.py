"""The totes waiting for packing, the oldest promise first: scan a tote (or an order label), or
press Enter for the first, to check its order. The packer's mode's first screen: it opens the
check over it, and is back when the check ends (packed, or left for later)."""

from __future__ import annotations

from datetime import datetime

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from picker_app.domain.queue import clock_text
from picker_app.domain.scan import interpret
from picker_app.errors import UserError
from picker_app.services.packing import PackEntry, PackService
from picker_app.ui.screens.base import WorkScreen
from picker_app.ui.screens.packer.check import CheckScreen
from picker_app.ui.widgets.key_bar import KeyBar
from picker_app.ui.widgets.scan_input import ScanInput
from picker_app.ui.widgets.status_bar import StatusBar

SHOWN = frozenset({"orders", "order_line", "tote", "qc_scan"})


def left_text(entry: PackEntry, now: datetime) -> str:
    """'8:12 left' or 'LATE 1:03' against the delivery promise."""
    if entry.promised_at is None:
        return "no promise"
    seconds = int((entry.promised_at - now).total_seconds())
    return f"{clock_text(seconds)} left" if seconds >= 0 else f"LATE {clock_text(-seconds)}"


class WaitingScreen(WorkScreen):
    """Totes waiting for packing."""

    DEFAULT_CSS = """
    WaitingScreen #who { padding: 0 1; text-style: bold; height: 1; }
    WaitingScreen #totes { padding: 0 1; height: 1fr; }
    WaitingScreen #message { padding: 0 1; height: auto; }
    WaitingScreen #message.error { color: $error; text-style: bold; }
    """

    BINDINGS = [
        Binding("enter", "check_first", "Check first"),
        Binding("f5", "refresh_list", "Refresh"),
    ]
    HINT = "Scan a tote or an order label to check it; Enter: the first."

    def __init__(self, service: PackService, user: dict[str, str]) -> None:
        super().__init__()
        self.service = service
        self.user = user
        self.entries: list[PackEntry] = []

    def compose(self) -> ComposeResult:
        yield StatusBar()
        yield Static(id="who")
        yield Static(id="totes")
        yield Static(id="message")
        yield ScanInput(placeholder="scan a tote (TT...)", empty_lines=True, id="scan")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one(ScanInput).focus()
        self.say(self.HINT)
        self.refresh_list()
        self.set_interval(5, self._show)

    def on_screen_resume(self) -> None:
        self.refresh_list()

    def data_changed(self, tables: frozenset[str]) -> None:
        if tables & SHOWN and self.app.screen is self:
            self.refresh_list()

    def refresh_list(self) -> None:
        self.entries = self.service.waiting()
        self._show()

    def action_refresh_list(self) -> None:
        self.refresh_list()

    def _show(self) -> None:
        now = self.service.clock()
        n = len(self.entries)
        self.query_one("#who", Static).update(
            f"{self.user['name']}: {n} tote{'s' if n != 1 else ''} to pack"
            if n
            else f"{self.user['name']}: nothing to pack"
        )
        rows = [
            f"{e.tote or '(no tote)':<9} {e.order_id}  {left_text(e, now)}" for e in self.entries
        ]
        self.query_one("#totes", Static).update(
            "\n".join(rows) or "No tote waits: picked orders show here as they arrive."
        )

    def on_scan_input_scanned(self, event: ScanInput.Scanned) -> None:
        self.handle_scan(event.text)

    def take_scan(self, text: str, t: float) -> None:
        self.handle_scan(text)

    def handle_scan(self, text: str) -> None:
        text = text.strip()
        if not text:
            self.action_check_first()
            return
        try:
            order_id = self.service.order_for(interpret(text))
        except UserError as err:
            self.say(str(err), True)
            return
        self.check(order_id)

    def action_check_first(self) -> None:
        self.refresh_list()
        if not self.entries:
            self.say("No tote waits for packing yet.", True)
            return
        self.check(self.entries[0].order_id)

    def check(self, order_id: str) -> None:
        try:
            job = self.service.open(order_id)
        except UserError as err:
            self.say(str(err), True)
            return
        self.app.push_screen(CheckScreen(self.service, self.user, job), self._checked)

    def _checked(self, result: str | None) -> None:
        self.refresh_list()
        if result:
            self.say(result)
        else:
            self.say(self.HINT)
