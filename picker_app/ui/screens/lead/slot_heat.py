"""The heat map before and after the slotting moves listed (accepted and advised), side by side
where the screen is wide enough for both, else one under the other: the picks this device's
history holds per bay, with each moved product's picks counted at its new bin. Scrolls with the
arrow keys; Esc goes back to the list."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from picker_app.domain.heatmap import heat_pair_lines
from picker_app.services.heat import HeatService
from picker_app.ui.screens.lead.panel import Panel


class SlotHeatScreen(Panel[None]):
    BINDINGS = [Binding("escape", "back", "Back")]

    def __init__(self, heat: HeatService, moves: Sequence[tuple[str, str, bool]]) -> None:
        super().__init__()
        self.heat = heat
        self.moves = tuple(moves)

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="map-box"):
            yield Static(id="map")

    def on_mount(self) -> None:
        self.query_one("#map-box").focus()
        self._show()

    def on_resize(self) -> None:
        self._show()

    def data_changed(self, tables: frozenset[str]) -> None:
        if "pick_history" in tables and self.app.screen is self:
            self._show()

    def _show(self) -> None:
        n = len(self.moves)
        after = f"after {n} move" + ("" if n == 1 else "s")
        self.query_one("#title", Static).update(
            Text(f"Heat now and {after}", no_wrap=True, overflow="ellipsis")
        )
        before, moved = self.heat.before_after(self.moves)
        width = max(20, self.size.width - 4)  # the padding and the scroll bar
        lines = heat_pair_lines(self.heat.layout, before, moved, width, ("now", after))
        self.query_one("#map", Static).update(Text("\n".join(lines), no_wrap=True))
        self.say("Up/down scroll; Esc back to the moves." if n else
                 "No move listed: both maps are the same.")  # fmt: skip

    def action_back(self) -> None:
        self.dismiss(None)
