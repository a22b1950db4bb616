"""The lead's decisions on counts: each count that is in, with what was counted against the
book it is held against (the book shows here, not on the count's own screen). Up and down (or
a scan of the bin) choose one; F9 approves it (off the book: with a reason), F8 rejects it.
Only a lead reaches this screen, and the service checks the role again."""

from __future__ import annotations

from textual.binding import Binding
from textual.widgets import Static

from picker_app.domain.counting import REASONS
from picker_app.domain.scan import interpret
from picker_app.errors import PickerError, UserError
from picker_app.services.count_decisions import CountDecisions, CountToDecide
from picker_app.ui.screens.dialogs import ChoiceDialog
from picker_app.ui.screens.lead.panel import Panel
from picker_app.ui.widgets.scan_input import ScanInput

REASON_WORDS = {r: r.replace("_", " ") for r in REASONS}


def describe(item: CountToDecide) -> str:
    """'counted 8, book 10: 2 missing' ('recount 8, ...' when it is one)."""
    off = item.off
    verdict = (
        "on the book" if item.on_the_book
        else f"{-off:g} missing" if off < 0 else f"{off:g} more"
    )  # fmt: skip
    what = "recount" if item.recount_of else "counted"
    return f"{what} {item.counted:g}, book {item.book:g}: {verdict}"


class DecisionScreen(Panel[None]):
    scan = "scan a bin to choose it"
    BINDINGS = [
        Binding("up", "move(-1)", "Up", show=False),
        Binding("down", "move(1)", "Down", show=False),
        Binding("f9", "decide(True)", "Approve"),
        Binding("f8", "decide(False)", "Reject"),
        Binding("escape", "back", "Back"),
    ]

    def __init__(self, service: CountDecisions, user: dict[str, str]) -> None:
        super().__init__()
        self.service = service
        self.user = user
        self.items: list[CountToDecide] = []
        self.chosen = 0

    def on_mount(self) -> None:
        self.query_one(ScanInput).focus()
        self._show()
        self.say("Up/down or scan a bin; F9 approve, F8 reject.")

    def data_changed(self, tables: frozenset[str]) -> None:
        if "count_task" in tables and self.app.screen is self:
            self._show()

    def _show(self) -> None:
        current = self.items[self.chosen].id if self.items else None
        self.items = self.service.waiting()
        ids = [i.id for i in self.items]
        self.chosen = ids.index(current) if current in ids else min(self.chosen, len(ids) - 1)
        self.chosen = max(self.chosen, 0)
        n = len(self.items)
        self.query_one("#title", Static).update(f"{n} count{'s' if n != 1 else ''} to decide")
        lines = []
        for k, item in enumerate(self.items):
            mark = ">" if k == self.chosen else " "
            lines.append(f"{mark} {item.bin:<7} {item.name[:28]}")
            lines.append(f"    {describe(item)}")
        self.query_one("#body", Static).update(
            "\n".join(lines) or "No count waits for a decision: counts come here once they "
            "are in (and recounted, when off the book)."
        )

    def action_move(self, step: int) -> None:
        if self.items:
            self.chosen = (self.chosen + step) % len(self.items)
            self._show()

    def on_scan_input_scanned(self, event: ScanInput.Scanned) -> None:
        self.handle_scan(event.text)

    def take_scan(self, text: str, t: float) -> None:
        self.handle_scan(text)

    def handle_scan(self, text: str) -> None:
        scan = interpret(text)
        if scan.kind != "bin":
            self.say("Scan a bin label (e.g. A07-2) to choose its count.", True)
            return
        for k, item in enumerate(self.items):
            if item.bin == scan.code:
                self.chosen = k
                self._show()
                self.say(f"Bin {item.bin}: F9 approve, F8 reject.")
                return
        self.say(f"No count of bin {scan.code} waits for a decision.", True)

    def action_decide(self, approve: bool) -> None:
        if not self.items:
            self.say("No count waits for a decision.", True)
            return
        item = self.items[self.chosen]
        if approve and item.on_the_book:
            self._record(item, True, None)
            return
        verb = "Approve" if approve else "Reject"
        question = f"{verb} {item.bin}, {describe(item)}. Why?"

        def chosen(k: int | None) -> None:
            if k is not None:
                self._record(item, approve, REASONS[k])

        self.app.push_screen(ChoiceDialog(question, list(REASON_WORDS.values())), chosen)

    def _record(self, item: CountToDecide, approve: bool, reason: str | None) -> None:
        try:
            said = self.service.decide(item, self.user, approve, reason)
        except (UserError, PickerError) as err:
            self.say(f"Not recorded: {err}", True)
            return
        self._show()
        self.say(said)

    def action_back(self) -> None:
        self.dismiss(None)
