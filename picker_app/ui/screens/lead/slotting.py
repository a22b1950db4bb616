"""Slotting: the moves the backend advises (a fast mover to a nearer bin of its zone), each with
what it saves a day, and the moves accepted, to do. Up and down choose; Enter (or F9) accepts
an advised move, or starts the chosen move to do (take from one bin, put to the other); F2 shows
the heat map now and after the moves listed, side by side. Offline
the advice is not there (it is measured on the backend's order history): the moves accepted
still are, and can be done."""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.binding import Binding
from textual.widgets import Static
from textual.worker import Worker, WorkerState

from picker_app.domain.slot_moves import MoveTask
from picker_app.errors import PickerError
from picker_app.services.heat import HeatService
from picker_app.services.slotting import AdviceView, SlottingService
from picker_app.ui.guard import sentence
from picker_app.ui.screens.lead.panel import Panel
from picker_app.ui.widgets.scan_input import ScanInput
from picker_app.wire import SlotAdvice

Item = SlotAdvice | MoveTask


def item_lines(item: Item, chosen: bool, under_way: str | None = None) -> list[str]:
    """Two lines for a move: its bins and product, then what it saves (advice) or its state
    (and how far it is, if begun)."""
    mark = ">" if chosen else " "
    head = f"{mark} {item.from_bin}>{item.to_bin} {item.name}"
    if isinstance(item, SlotAdvice):
        swap = f", swap {item.swap_sku}" if item.swap_sku else ", empty bin"
        return [head, f"   {item.metres_per_day:.0f} m, {item.seconds_per_day:.0f} s a day{swap}"]
    swap = f", swap {item.swap_sku}" if item.swap_sku else ""
    if item.refused is not None:
        return [head, f"   refused: {item.refused}; Enter puts it away"]
    state = under_way or "to do"
    if item.state != "open":
        state += " (not sent yet)"
    return [head, f"   {state}{swap}"]


class SlottingScreen(Panel[None]):
    first_title = "Slotting: asking the backend..."
    scan = "Enter: accept or do"
    scan_empty_lines = True
    BINDINGS = [
        Binding("up", "move(-1)", "Up", show=False),
        Binding("down", "move(1)", "Down", show=False),
        Binding("f9", "choose", "Accept/do"),
        Binding("f5", "refresh_advice", "Refresh"),
        Binding("f2", "heat", "Heat"),
        Binding("escape", "back", "Back"),
    ]

    def __init__(
        self, service: SlottingService, user: dict[str, str], heat: HeatService | None = None
    ) -> None:
        super().__init__()
        self.service = service
        self.heat = heat
        self.user = user
        self.view: AdviceView | None = None
        self.items: list[Item] = []
        self.chosen = 0

    def on_mount(self) -> None:
        self.query_one(ScanInput).focus()
        self.say("The backend measures its advice on its order history: a moment.")
        self._show()
        self._read()

    def on_screen_resume(self) -> None:
        self._show()

    def data_changed(self, tables: frozenset[str]) -> None:
        if "slot_move" in tables and self.app.screen is self:
            self._show()

    def action_refresh_advice(self) -> None:
        self.say("Asking the backend again...")
        self._read()

    @work(thread=True, exclusive=True, exit_on_error=False)
    def _read(self) -> AdviceView:
        return self.service.read()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.SUCCESS and isinstance(event.worker.result, AdviceView):
            self.view = event.worker.result
            self._show()
            if self.view.offline:
                self.say(f"Offline: {self.view.offline}.", True)
            else:
                self.say("Up/down to choose; Enter accepts a move, or starts one to do.")
        elif event.state == WorkerState.ERROR and event.worker.error is not None:
            error = event.worker.error
            self.say(sentence(error) if isinstance(error, Exception) else str(error), True)

    def _show(self) -> None:
        """The advice last read (less what was accepted since) and the moves to do."""
        current = self.items[self.chosen] if self.items else None
        tasks = self.service.tasks()
        live = [t for t in tasks if t.refused is None]  # a refused move holds no products
        taken = {t.id for t in tasks} | {k for t in live for k in (t.sku, t.from_bin, t.to_bin)}
        advice = [
            m for m in (self.view.moves if self.view else [])
            if m.id not in taken and not {m.sku, m.from_bin, m.to_bin} & taken
        ]  # fmt: skip
        self.items = [*tasks, *advice]
        ids = [i.id for i in self.items]
        self.chosen = ids.index(current.id) if current and current.id in ids else self.chosen
        self.chosen = max(0, min(self.chosen, len(self.items) - 1))
        if self.view is None:
            head = "Slotting: asking the backend..."
        elif self.view.offline:
            head = "Slotting: offline, no advice"
        else:
            head = f"Slotting: {len(advice)} advised ({self.view.orders} orders)"
        self.query_one("#title", Static).update(Text(head, no_wrap=True, overflow="ellipsis"))
        self.query_one("#body", Static).update(self._body(tasks, advice))

    def _body(self, tasks: list[MoveTask], advice: list[SlotAdvice]) -> Text:
        lines: list[str] = []
        chosen_at = 0
        if tasks:
            lines.append(f"To do: {len(tasks)}")
        for k, item in enumerate(self.items):
            if k == len(tasks):
                lines.append("Advised: metres, picker-s a day saved")
            if k == self.chosen:
                chosen_at = len(lines)
            begun = self.service.under_way(item) if isinstance(item, MoveTask) else None
            lines += item_lines(item, k == self.chosen, begun)
        if not advice:
            lines.append(
                "No advice: it needs the backend." if self.view and self.view.offline
                else "No move advised now." if self.view else "Reading the advice..."
            )  # fmt: skip
        body = self.query_one("#body", Static).content_size
        height, width = body.height or len(lines), body.width or 38
        start = max(0, min(chosen_at - 1, len(lines) - height)) if chosen_at + 2 > height else 0
        shown = [ln if len(ln) <= width else ln[: width - 1] + "…" for ln in lines]
        return Text("\n".join(shown[start : start + height]), no_wrap=True)

    def action_move(self, step: int) -> None:
        if self.items:
            self.chosen = (self.chosen + step) % len(self.items)
            self._show()

    def on_scan_input_scanned(self, event: ScanInput.Scanned) -> None:
        if event.text.strip():
            self.say("Up/down choose a move; Enter accepts it, or starts it.", True)
            return
        self.action_choose()

    def action_choose(self) -> None:
        if not self.items:
            self.say("No move to accept or do.", True)
            return
        item = self.items[self.chosen]
        if isinstance(item, MoveTask) and item.refused is not None:
            try:
                said = self.service.drop(item)
            except PickerError as err:
                self.say(f"Not put away: {err}", True)
                return
            self._show()
            self.say(said)
            return
        if isinstance(item, MoveTask):
            self._do(item)
            return
        try:
            said = self.service.accept(item, self.user)
        except PickerError as err:
            self.say(f"Not accepted: {err}", True)
            return
        self._show()
        self.say(said)

    def _do(self, task: MoveTask) -> None:
        from picker_app.ui.screens.lead.slot_move import SlotMoveScreen

        self.app.push_screen(SlotMoveScreen(self.service, self.user, task), self._done)

    def _done(self, result: str | None) -> None:
        self._show()
        if result:
            self.say(result)

    def action_heat(self) -> None:
        """The heat map now and after the moves listed (refused ones aside), side by side."""
        from picker_app.ui.screens.lead.slot_heat import SlotHeatScreen

        if self.heat is None:
            self.say("No store layout on this device: the heat map needs one.", True)
            return
        moves = [
            (m.from_bin, m.to_bin, m.swap_sku is not None)
            for m in self.items if not (isinstance(m, MoveTask) and m.refused is not None)
        ]  # fmt: skip
        self.app.push_screen(SlotHeatScreen(self.heat, moves))

    def action_back(self) -> None:
        self.dismiss(None)
