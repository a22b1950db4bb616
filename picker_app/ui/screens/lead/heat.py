"""The heat map on the device: the store map with a shade per bay by its picks, the legend and
the totals per zone and aisle; F2 switches between all the history and today. It reads again
when the cache's pick history changes."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from picker_app.domain.heatmap import heat_lines
from picker_app.services.heat import WINDOWS, HeatService
from picker_app.ui.screens.lead.panel import Panel


class HeatScreen(Panel[None]):
    BINDINGS = [
        Binding("f2", "window", "Today / all"),
        Binding("escape", "back", "Back"),
    ]

    def __init__(self, service: HeatService) -> None:
        super().__init__()
        self.service = service
        self.window = "all"

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="map-box"):
            yield Static(id="map")

    def on_mount(self) -> None:
        self._show()
        self.query_one("#map-box").focus()

    def data_changed(self, tables: frozenset[str]) -> None:
        if "pick_history" in tables and self.app.screen is self:
            self._show()

    def _show(self) -> None:
        summary = self.service.summary(self.window)
        lines = heat_lines(self.service.layout, summary)
        *floor, legend, zones, aisles = lines
        self.query_one("#title", Static).update(f"Picks per bay: {summary.window}")
        self.query_one("#map", Static).update("\n".join([*floor, zones, aisles]))
        self.say(legend.split(": ", 1)[1] if ": " in legend else legend)

    def action_window(self) -> None:
        self.window = WINDOWS[(WINDOWS.index(self.window) + 1) % len(WINDOWS)]
        self._show()

    def action_back(self) -> None:
        self.dismiss(None)
