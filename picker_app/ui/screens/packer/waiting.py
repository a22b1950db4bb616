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
from picker_app.ui.screens.packer.handover import HandoverScreen
from picker_app.ui.screens.packer.labels import LabelLine, print_labels, retry_labels
from picker_app.ui.widgets.key_bar import KeyBar
from picker_app.ui.widgets.scan_input import ScanInput
from picker_app.ui.widgets.status_bar import StatusBar

SHOWN = frozenset({"orders", "order_line", "tote", "qc_scan", "bag", "rejected"})


def left_text(entry: PackEntry, now: datetime) -> str:
    """'8:12 left' or 'LATE 1:03' against the delivery promise."""
    if entry.promised_at is None:
        return "no promise"
    seconds = int((entry.promised_at - now).total_seconds())
    return f"{clock_text(seconds)} left" if seconds >= 0 else f"LATE {clock_text(-seconds)}"


class WaitingScreen(WorkScreen):
    """Totes waiting for packing."""

    DEFAULT_CSS = """
    WaitingScreen #who { padding: 0 1; text-style: bold; height: auto; }
    WaitingScreen #totes { padding: 0 1; height: 1fr; }
    WaitingScreen #message { padding: 0 1; height: auto; }
    WaitingScreen #message.error { color: $error; text-style: bold; }
    """

    BINDINGS = [
        Binding("enter", "check_first", "Check first"),
        Binding("f5", "refresh_list", "Refresh"),
        Binding("f6", "handover", "Riders"),
        Binding("f7", "print_labels", "Retry print"),
    ]
    HINT = "Scan a tote or an order label to check it; Enter: the first."

    def __init__(
        self, service: PackService, user: dict[str, str], people: list[dict[str, str]],
        demo: bool = False, scale: tuple[str, int] | None = None,
    ) -> None:  # fmt: skip
        super().__init__()
        self.scale = scale  # (port, baud) of the packing scale, if there is one
        self.service = service
        self.user = user
        self.people = people
        self.demo = demo
        self.entries: list[PackEntry] = []
        self.for_riders = 0
        self.refusals_said: set[tuple[str, str]] = set()

    def compose(self) -> ComposeResult:
        yield StatusBar()
        yield Static(id="who")
        yield Static(id="totes")
        yield Static(id="message")
        yield LabelLine(id="labels")
        yield ScanInput(placeholder="scan a tote (TT...)", empty_lines=True, id="scan")
        yield KeyBar()

    def show_labels(self, text: str, error: bool = False) -> None:
        self.query_one(LabelLine).show(text, error)

    def on_mount(self) -> None:
        self.query_one(LabelLine).display = False
        self.query_one(ScanInput).focus()
        self.say(self.HINT)
        self.refresh_list()
        self.set_interval(5, self._show)
        if self.service.queued_labels():  # left from before (offline, or the printer was off)
            print_labels(self.app, self.service)

    def on_screen_resume(self) -> None:
        self.refresh_list()

    def data_changed(self, tables: frozenset[str]) -> None:
        if tables & SHOWN and self.app.screen is self:
            self.refresh_list()

    def refresh_list(self) -> None:
        self.entries = self.service.waiting()
        self.for_riders = len(self.service.packed())
        self._show()
        self._say_refusals()

    def _say_refusals(self) -> None:
        """A check passed here that the backend refused (another station packed the order
        first): said once, loudly, so the packer keeps its bags apart."""
        new = [r for r in self.service.refused() if r not in self.refusals_said]
        if not new:
            return
        self.refusals_said.update(new)
        order_id, reason = new[-1]
        self.say(f"{order_id} not packed here: {reason.rstrip('.')}. Ask the lead.", True)

    def action_refresh_list(self) -> None:
        self.refresh_list()

    def _show(self) -> None:
        now = self.service.clock()
        n = len(self.entries)
        riders = f", {self.for_riders} for riders (F6)" if self.for_riders else ""
        self.query_one("#who", Static).update(
            f"{self.user['name']}: {n} tote{'s' if n != 1 else ''} to pack{riders}"
            if n
            else f"{self.user['name']}: nothing to pack{riders}"
        )
        rows = [
            f"{e.tote or '(no tote)':<9} {e.order_id}  {left_text(e, now)}"
            + ("  re-picking" if e.state == "picking" else "  waits re-pick" if e.repick else "")
            for e in self.entries
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

    def action_handover(self) -> None:
        self.app.push_screen(HandoverScreen(self.service, self.user, self.people, self.demo))

    def action_print_labels(self) -> None:
        retry_labels(self, self.service)

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
        check = CheckScreen(self.service, self.user, job, self.people, self.scale)
        self.app.push_screen(check, self._checked)

    def _checked(self, result: str | None) -> None:
        self.refresh_list()
        if result:
            self.say(result)
        else:
            self.say(self.HINT)
