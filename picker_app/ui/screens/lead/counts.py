"""Blind counts: the open count tasks (scan a bin, or Enter for the first; F2 asks for more:
a bin, bay, aisle or product scanned or keyed next), then the count of one bin: each unit
scanned (F7 keys a quantity, then one scan), what this counter has counted so far, never what
the book says; F9 sends the count, F8 sends it when another person counts the same bin too."""

from __future__ import annotations

from textual.binding import Binding
from textual.widgets import Static

from picker_app.domain.scan import interpret
from picker_app.errors import PickerError, UserError
from picker_app.services.counting import CountService, CountTask
from picker_app.ui.screens.dialogs import QuantityDialog
from picker_app.ui.screens.lead.panel import Panel
from picker_app.ui.widgets.scan_input import ScanInput


class CountListScreen(Panel[None]):
    scan = "scan a bin"
    scan_empty_lines = True
    BINDINGS = [
        Binding("enter", "first", "Count first"),
        Binding("f2", "ask", "Ask for counts"),
        Binding("f3", "permit", "Let count"),
        Binding("escape", "back", "Back"),
    ]

    def __init__(self, service: CountService, user: dict[str, str]) -> None:
        super().__init__()
        self.service = service
        self.user = user
        self.tasks: list[CountTask] = []
        self.asking = False  # the next scan or entry names what to count (F2)
        self.permitting = False  # the next scan is the badge of who may count (F3)

    def on_mount(self) -> None:
        self.query_one(ScanInput).focus()
        self._show()
        self.say("Scan the bin of a count, or Enter for the first.")

    def on_screen_resume(self) -> None:
        self._show()

    def data_changed(self, tables: frozenset[str]) -> None:
        if "count_task" in tables and self.app.screen is self:
            self._show()

    def _show(self) -> None:
        self.tasks = self.service.open_tasks()
        n = len(self.tasks)
        self.query_one("#title", Static).update(f"{n} count{'s' if n != 1 else ''} open")
        self.query_one("#body", Static).update(
            "\n".join(
                f"{t.bin:<7} {(t.name or t.sku or '')[:26]}"
                f"{'  recount' if t.recount_of else ''}"
                f"{'  empty?' if t.reason == 'zero_confirm' else ''}"
                for t in self.tasks
            )
            or "No count is open: the backend opens them (by schedule, out-of-stock flags, "
            "picks that empty a bin), or ask for one with F2."
        )

    def on_scan_input_scanned(self, event: ScanInput.Scanned) -> None:
        self.handle_scan(event.text)

    def take_scan(self, text: str, t: float) -> None:
        self.handle_scan(text)

    def handle_scan(self, text: str) -> None:
        if self.permitting:
            self._permit(text)
            return
        if self.asking:
            self._ask(text)
            return
        if not text.strip():
            self.action_first()
            return
        try:
            task = self.service.task_for_bin(interpret(text))
        except UserError as err:
            self.say(str(err), True)
            return
        self.app.push_screen(CountScreen(self.service, self.user, task), self._counted)

    def action_permit(self) -> None:
        if not self.service.may_count(self.user) or self.user.get("role") != "lead":
            self.say("Only a store lead may let someone count.", True)
            return
        self.asking, self.permitting = False, True
        self.say("Scan the badge of who may take counts (again: no longer); Esc: never mind.")

    def _permit(self, text: str) -> None:
        if not text.strip():
            return
        try:
            said = self.service.permit(text, self.user)
        except (UserError, PickerError) as err:
            self.say(str(err), True)
            return
        self.permitting = False
        self.say(said)

    def action_ask(self) -> None:
        if self.user.get("role") != "lead":
            self.say("Only a store lead may ask for counts.", True)
            return
        self.permitting = False
        self.asking = True
        self.say("What to count? Scan or key a bin (A07-2), a bay (A07), an aisle (A) or a "
                 "product; Esc: never mind.")  # fmt: skip

    def _ask(self, text: str) -> None:
        if not text.strip():
            return
        try:
            said = self.service.ask(text, self.user)
        except (UserError, PickerError) as err:
            self.say(str(err), True)  # still asking: try again, or Esc
            return
        self.asking = False
        self.say(said)

    def action_first(self) -> None:
        if self.asking or self.permitting:
            return  # an empty entry while asking asks for nothing
        if not self.tasks:
            self.say("No count is open.", True)
            return
        self.app.push_screen(CountScreen(self.service, self.user, self.tasks[0]), self._counted)

    def _counted(self, result: str | None) -> None:
        self._show()
        if result:
            self.say(result)

    def action_back(self) -> None:
        if self.asking or self.permitting:
            self.asking = self.permitting = False
            self.say("Scan the bin of a count, or Enter for the first.")
            return
        self.dismiss(None)


class CountScreen(Panel[str | None]):
    scan = "scan each item"
    BINDINGS = [
        Binding("f7", "quantity", "Qty"),
        Binding("f8", "send(False)", "Send, more count"),
        Binding("f9", "send(True)", "Send count"),
        Binding("escape", "back", "Later"),
    ]

    def __init__(self, service: CountService, user: dict[str, str], task: CountTask) -> None:
        super().__init__()
        self.service = service
        self.user = user
        self.job = task
        self.keyed: float | None = None

    def on_mount(self) -> None:
        self.query_one(ScanInput).focus()
        self._show()
        self.say("Scan every unit in the bin; F9 when the bin is done.")

    def _show(self) -> None:
        t = self.job
        what = "Recount" if t.recount_of else "Count"
        self.query_one("#title", Static).update(f"{what} bin {t.bin}: {t.name or t.sku}")
        n = self.service.counted(t, self.user["id"])
        self.query_one("#body", Static).update(
            f"You counted: {n:g}\n\nBlind count: the book quantity is not shown. Units of "
            "another product go aside for the lead."
        )

    def on_scan_input_scanned(self, event: ScanInput.Scanned) -> None:
        self.handle_scan(event.text)

    def take_scan(self, text: str, t: float) -> None:
        self.handle_scan(text)

    def handle_scan(self, text: str) -> None:
        if not text.strip():
            return
        qty = self.keyed or 1.0
        try:
            total = self.service.scan(self.job, interpret(text), self.user["id"], qty)
        except UserError as err:
            self.say(str(err), True)
            return
        except PickerError as err:  # not kept (a full disk...): the keyed quantity stays
            self.say(f"Not saved: {err}. Scan it again.", True)
            return
        self.keyed = None
        self.say(f"+{qty:g}: {total:g} counted.")
        self._show()

    def action_quantity(self) -> None:
        def keyed(qty: float | None) -> None:
            if qty:
                self.keyed = qty
                self.say(f"{qty:g}: now scan one of them.")

        self.app.push_screen(QuantityDialog("How many of them?", allow_zero=False), keyed)

    def action_send(self, done: bool) -> None:
        try:
            event = self.service.submit(self.job, self.user["id"], done)
        except PickerError as err:
            self.say(f"Not sent: {err}", True)
            return
        more = "" if done else "; the others' counts of the bin are added to it"
        self.dismiss(f"Bin {self.job.bin}: {event.counted:g} counted, sent{more}.")

    def action_back(self) -> None:
        self.dismiss("Count left for later: what you scanned is kept.")
