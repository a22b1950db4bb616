"""What to reorder: the products whose stock covers fewer than a few days of their average sales
(computed by the backend on its stock and sales), fewest days left first, each with what to
order. F5 asks again, F7 writes the list as CSV for the supplier (into the device's data
folder), F9 opens the pick faces to replenish. Offline the last list fetched is shown, with
when it was fetched."""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.binding import Binding
from textual.widgets import Static
from textual.worker import Worker, WorkerState

from picker_app.errors import PickerError
from picker_app.services.reorder import ReorderService, ReorderView
from picker_app.ui.guard import sentence
from picker_app.ui.screens.lead.panel import Panel
from picker_app.wire import ReorderLineWire


def line_text(r: ReorderLineWire, width: int) -> str:
    """One product: its name (cut to fit), on hand, days left and what to order."""
    name_w = max(8, width - 19)
    name = r.name if len(r.name) <= name_w else r.name[: name_w - 1] + "…"
    return f"{name:<{name_w}} {r.on_hand:>5g} {r.days_left:>5.1f} {r.suggest:>6g}"


def header_text(width: int) -> str:
    return f"{'Product':<{max(8, width - 19)}} {'OnHnd':>5} {'Days':>5} {'Order':>6}"


class ReorderScreen(Panel[None]):
    first_title = "Reorder: asking the backend..."
    BINDINGS = [
        Binding("up", "scroll_list(-1)", "Up", show=False),
        Binding("down", "scroll_list(1)", "Down", show=False),
        Binding("f5", "refresh_list", "Refresh"),
        Binding("f7", "csv", "CSV"),
        Binding("f9", "replenish", "Replenish"),
        Binding("escape", "back", "Back"),
    ]

    def __init__(self, service: ReorderService, user: dict[str, str]) -> None:
        super().__init__()
        self.service = service
        self.user = user
        self.view: ReorderView | None = None
        self.top = 0

    def on_mount(self) -> None:
        self.say("Asking the backend for the list...")
        self._read()

    def on_resize(self) -> None:
        self._show()

    def action_refresh_list(self) -> None:
        self.say("Asking the backend again...")
        self._read()

    @work(thread=True, exclusive=True, exit_on_error=False)
    def _read(self) -> ReorderView:
        return self.service.read()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.SUCCESS and isinstance(event.worker.result, ReorderView):
            self.view = event.worker.result
            self.top = 0
            self._show()
            if self.view.offline is None:
                self.say("F7: the list as CSV for the supplier.")
            elif self.view.fetched_at is None:
                self.say(f"Offline, no list kept yet: {self.view.offline}.", True)
            else:
                self.say(f"Offline: the last list fetched ({self.view.offline}).", True)
        elif event.state == WorkerState.ERROR and event.worker.error is not None:
            error = event.worker.error
            self.say(sentence(error) if isinstance(error, Exception) else str(error), True)

    def _title(self) -> str:
        view = self.view
        if view is None:
            return "Reorder: asking the backend..."
        count = f"Reorder: {len(view.lines)} products"
        if view.offline is None:
            return count
        if view.fetched_at is None:
            return "Reorder: offline, no list kept"
        return f"{count}, as of {view.fetched_at.astimezone():%H:%M} (offline)"

    def _show(self) -> None:
        if not self.is_mounted:
            return
        self.query_one("#title", Static).update(
            Text(self._title(), no_wrap=True, overflow="ellipsis")
        )
        body = self.query_one("#body", Static)
        height = body.content_size.height or 10
        width = body.content_size.width or 38
        view = self.view
        if view is None:
            lines = ["Reading the list..."]
        elif not view.lines:
            lines = ["Nothing to reorder now." if view.fetched_at or not view.offline
                     else "The list needs the backend."]  # fmt: skip
        else:
            listed = view.listed
            rule = (
                f"{listed.days} days' sales: under {listed.below:g} days, order {listed.cover:g}"
                if listed else ""
            )  # fmt: skip
            shown = max(1, height - 2)
            self.top = max(0, min(self.top, len(view.lines) - shown))
            rows = [line_text(r, width) for r in view.lines[self.top : self.top + shown]]
            lines = [rule[:width], header_text(width), *rows]
        body.update(Text("\n".join(lines[:height]), no_wrap=True))

    def action_scroll_list(self, step: int) -> None:
        if self.view and self.view.lines:
            self.top = max(0, self.top + step)
            self._show()

    def action_csv(self) -> None:
        if self.view is None or not self.view.lines:
            self.say("No list to write yet: F5 asks the backend.", True)
            return
        try:
            path = self.service.export(self.view)
        except PickerError as err:
            self.say(str(err), True)
            return
        self.say(f"{len(self.view.lines)} products written to {path}")

    def action_replenish(self) -> None:
        from picker_app.ui.screens.lead.replenish import ReplenishScreen

        self.app.push_screen(ReplenishScreen(self.service, self.user))

    def action_back(self) -> None:
        self.dismiss(None)
