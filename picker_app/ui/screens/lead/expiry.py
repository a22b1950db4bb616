"""The expiry sweep: scan a product to sweep its category, then every unit of it on the
shelves; each is judged by the date in its barcode at once (expired: written off; too short for
a customer: off the shelf; soon: sell first). F9 (or Esc) ends the sweep with its tally."""

from __future__ import annotations

from textual.binding import Binding
from textual.widgets import Static

from picker_app.domain.scan import interpret
from picker_app.errors import PickerError, UserError
from picker_app.services.expiry import ExpirySweeps, Sweep
from picker_app.ui.screens.lead.panel import Panel
from picker_app.ui.widgets.scan_input import ScanInput

SHOWN = 6  # the last units' verdicts on the screen


class ExpiryScreen(Panel[str | None]):
    scan = "scan each unit"
    BINDINGS = [Binding("f9", "done", "Done"), Binding("escape", "done", "Back")]

    def __init__(self, service: ExpirySweeps, user: dict[str, str]) -> None:
        super().__init__()
        self.service = service
        self.user = user
        self.sweep: Sweep | None = None
        self.last: list[str] = []

    def on_mount(self) -> None:
        self.query_one(ScanInput).focus()
        self._show()
        self.say("Scan a product: its whole category is swept.")

    def _show(self) -> None:
        sweep = self.sweep
        title = f"Expiry sweep: {sweep.category}" if sweep else "Expiry sweep"
        self.query_one("#title", Static).update(title)
        if sweep is None:
            body = ("Scan each unit on the shelves of one category (milk, bread...); the date in"
                    " its barcode says if it is expired, too short for a customer, or to sell "
                    "first.")  # fmt: skip
        else:
            body = sweep.summary() + "\n\n" + "\n".join(self.last[-SHOWN:])
        self.query_one("#body", Static).update(body)

    def on_scan_input_scanned(self, event: ScanInput.Scanned) -> None:
        self.handle_scan(event.text)

    def take_scan(self, text: str, t: float) -> None:
        self.handle_scan(text)

    def handle_scan(self, text: str) -> None:
        if not text.strip():
            return
        scan = interpret(text)
        try:
            if self.sweep is None:
                self.sweep = self.service.begin(scan)
            judged, said = self.service.judge_unit(self.sweep, scan, self.user["id"])
        except (UserError, PickerError) as err:
            self.say(str(err), True)
            return
        self.last.append(said)
        self._show()
        self.say(said, judged.flagged)

    def action_done(self) -> None:
        self.dismiss(self.sweep.summary() if self.sweep else None)
