"""The pick faces to replenish (tasks the backend opens when a pick leaves a bin under its
minimum): scan a task's bin, then each unit brought from the back store (F7 keys a quantity,
then one scan); F9 reports it (`stock_replenished`) and the bin's stock goes up. Any role may
replenish. Each scan is kept in the cache as it is accepted: Esc leaves a task under way for
later, and coming back (after Esc, a restart or a crash) resumes it where it was."""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding
from textual.widgets import Static

from picker_app.domain.scan import interpret
from picker_app.errors import PickerError
from picker_app.services.reorder import ReorderService, ReplenishProgress, ReplenishTask
from picker_app.ui.screens.dialogs import QuantityDialog
from picker_app.ui.screens.lead.panel import Panel
from picker_app.ui.widgets.scan_input import ScanInput


def task_text(t: ReplenishTask, mark: str) -> str:
    unit = " kg" if t.unit == "kg" else ""
    return f"{mark} {t.bin} bring {t.qty:g}{unit} {t.name}"


class ReplenishScreen(Panel[None]):
    scan = "scan a bin or an item"
    BINDINGS = [
        Binding("f7", "quantity", "Qty"),
        Binding("f9", "done", "Done"),
        Binding("escape", "back", "Back"),
    ]

    def __init__(self, service: ReorderService, user: dict[str, str]) -> None:
        super().__init__()
        self.service = service
        self.user = user
        self.tasks: list[ReplenishTask] = []
        self.progress: ReplenishProgress | None = None
        self.keyed: float | None = None

    def on_mount(self) -> None:
        self.query_one(ScanInput).focus()
        self.progress = self.service.under_way()
        self._show()
        if self.progress is not None:
            self.say(self.progress.prompt())
            return
        self.say("Scan the bin of a task to replenish it." if self.tasks
                 else "No pick face to replenish now.")  # fmt: skip

    def data_changed(self, tables: frozenset[str]) -> None:
        if "replenish_task" in tables and self.app.screen is self:
            self._show()

    def _show(self) -> None:
        self.tasks = self.service.tasks()
        p = self.progress
        doing = p.task.id if p else None
        title = f"Replenish {p.task.bin}: {p.qty:g} brought" if p else (
            f"Replenish: {len(self.tasks)} pick faces"
        )  # fmt: skip
        self.query_one("#title", Static).update(Text(title, no_wrap=True, overflow="ellipsis"))
        body = self.query_one("#body", Static)
        width = body.content_size.width or 38
        lines = [task_text(t, ">" if t.id == doing else " ") for t in self.tasks]
        shown = [ln if len(ln) <= width else ln[: width - 1] + "…" for ln in lines]
        body.update(Text("\n".join(shown) or "No pick face to replenish.", no_wrap=True))

    def on_scan_input_scanned(self, event: ScanInput.Scanned) -> None:
        self.handle_scan(event.text)

    def take_scan(self, text: str, t: float) -> None:
        self.handle_scan(text)

    def handle_scan(self, text: str) -> None:
        if not text.strip():
            return
        qty, self.keyed = self.keyed or 1.0, None
        p = self.progress
        scan = interpret(text, self.service.scan_config)
        code = scan.code if scan.kind == "bin" else None
        if p is None or not p.at_bin or (p.qty <= 0 and code and code != p.task.bin):
            # Another task's bin, while nothing is brought for the one begun: that one now.
            task = next((t for t in self.tasks if code and t.bin == code), None)
            if task is None:
                self.say("Scan the bin of a task shown." if self.tasks
                         else "No pick face to replenish now.", True)  # fmt: skip
                return
            self.progress = p = self.service.start(task)
        try:
            said = self.service.scan(p, text, qty)
        except PickerError as err:
            self.say(str(err), True)
            return
        self._show()
        self.say(said)

    def action_quantity(self) -> None:
        if self.progress is None or not self.progress.at_bin:
            self.say("Scan the bin of a task first.", True)
            return

        def keyed(qty: float | None) -> None:
            if qty:
                self.keyed = qty
                self.say(f"{qty:g}: now scan one of them.")

        self.app.push_screen(QuantityDialog("How many of them?", allow_zero=False), keyed)

    def action_done(self) -> None:
        if self.progress is None:
            self.say("Scan the bin of a task first.", True)
            return
        try:
            said = self.service.finish(self.progress, self.user)
        except PickerError as err:
            self.say(str(err), True)
            return
        self.progress = None
        self._show()
        self.say(said)

    def action_back(self) -> None:
        self.dismiss(None)
