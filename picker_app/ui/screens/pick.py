"""The route screen: the next stop large and plain, the map, what is left, and the scan input.

The screen decides nothing: each scan goes to the `PickSession` (domain), the events it returns
are saved through `save` first, and only then is the scan shown as accepted.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, ProgressBar, Static

from picker_app.domain.layout import Cell, Layout
from picker_app.domain.map_view import map_window
from picker_app.domain.picking import Decision, PickSession
from picker_app.domain.scan import interpret
from picker_app.ui.widgets.scan_input import ScanInput
from picker_app.ui.widgets.status_bar import StatusBar

SaveEvents = Callable[[Sequence[tuple[str, dict[str, object]]]], None]


class PickScreen(Screen):
    """Picking one order along its route."""

    DEFAULT_CSS = """
    PickScreen #stop { text-style: bold; padding: 0 1; height: auto; }
    PickScreen #map { height: 1fr; padding: 0 1; }
    PickScreen #message { padding: 0 1; height: auto; }
    PickScreen #message.error { color: $error; text-style: bold; }
    PickScreen #message.ok { color: $success; }
    PickScreen ProgressBar { padding: 0 1; }
    """

    BINDINGS = [
        Binding("f2", "short", "Short/OOS"),
        Binding("f3", "skip", "Skip"),
    ]

    def __init__(
        self,
        session: PickSession,
        layout: Layout,
        stop_cells: dict[str, Cell],
        save: SaveEvents,
    ) -> None:
        super().__init__()
        self.session = session
        self.store_layout = layout
        self.stop_cells = stop_cells  # bin code -> the access cell its route stop uses
        self.save = save
        self.here: Cell = layout.pack  # where the picker last confirmed a bin

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")
        yield Static(id="stop")
        yield ProgressBar(total=len(self.session.lines), show_eta=False, id="progress")
        yield Static(id="map")
        yield Static(id="message")
        yield ScanInput(id="scan")
        yield Footer()

    def on_mount(self) -> None:
        self.refresh_stop()
        self.query_one(ScanInput).focus()

    def on_resize(self) -> None:
        self.refresh_stop()

    def refresh_stop(self) -> None:
        line = self.session.current
        done = sum(1 for ln in self.session.lines if self.session.is_done(ln))
        self.query_one(ProgressBar).update(progress=done)
        stop = self.query_one("#stop", Static)
        if line is None:
            stop.update("All lines done: close the tote and take it to packing.")
            target = None
        else:
            left = self.session.remaining(line)
            unit = "kg" if line.unit == "kg" else "x"
            step = "scan the bin" if not self.session.bin_confirmed else "scan the item"
            stop.update(f"{line.bin}  {left:g} {unit}  {line.zone}\n{line.name}\n{step}")
            target = self.stop_cells.get(line.bin)
        later = [
            self.stop_cells[ln.bin]
            for ln in self.session.lines
            if ln is not line and not self.session.is_done(ln) and ln.bin in self.stop_cells
        ]
        map_widget = self.query_one("#map", Static)
        # Before the first layout the widget has no size yet: fall back to the screen's.
        width = max(10, (map_widget.size.width or self.size.width) - 2)
        height = max(3, map_widget.size.height or 5)
        lines = map_window(self.store_layout, [], target, later, self.here, width, height)
        map_widget.update("\n".join(lines))

    def show(self, decision: Decision) -> None:
        message = self.query_one("#message", Static)
        message.update(decision.message)
        message.set_class(not decision.accepted, "error")
        message.set_class(decision.accepted, "ok")
        if not decision.accepted:
            self.app.bell()

    def decide(self, decision: Decision) -> None:
        if decision.accepted and decision.events:
            self.save(decision.events)  # saved before it is shown as accepted
        current = self.session.current
        if self.session.bin_confirmed and current is not None and current.bin in self.stop_cells:
            self.here = self.stop_cells[current.bin]
        self.show(decision)
        self.refresh_stop()

    def on_scan_input_scanned(self, event: ScanInput.Scanned) -> None:
        self.decide(self.session.scan(interpret(event.text)))

    def action_short(self) -> None:
        self.decide(self.session.flag_short(qty_found=0))

    def action_skip(self) -> None:
        self.decide(self.session.skip())
