"""The store lead's first screen: what a lead can do here, a key each. A lead may also pick and
pack: those screens open over this one (and come back to it when left)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from picker_app.parts import Parts
from picker_app.ui.screens.base import WorkScreen
from picker_app.ui.widgets.key_bar import KeyBar
from picker_app.ui.widgets.status_bar import StatusBar


class LeadHome(WorkScreen):
    DEFAULT_CSS = """
    LeadHome #who { padding: 0 1; text-style: bold; height: auto; }
    LeadHome #menu { padding: 0 1; height: 1fr; }
    LeadHome #message { padding: 0 1; height: auto; }
    LeadHome #message.error { color: $error; text-style: bold; }
    """

    BINDINGS = [
        Binding("f2", "heat", "Heat map"),
        Binding("f3", "pick", "Pick"),
        Binding("f4", "pack", "Pack"),
        Binding("f5", "counts", "Counts"),
        Binding("f6", "decide", "Decide"),
        Binding("f7", "board", "Board"),
        Binding("f8", "slotting", "Slotting"),
        Binding("f9", "expiry", "Expiry"),
        Binding("f11", "reorder", "Reorder"),
        Binding("f12", "shrinkage", "Shrinkage"),
    ]

    def __init__(self, parts: Parts, user: dict[str, str]) -> None:
        super().__init__()
        self.parts = parts
        self.user = user

    def compose(self) -> ComposeResult:
        yield StatusBar()
        yield Static(id="who")
        yield Static(id="menu")
        yield Static(id="message")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#who", Static).update(f"{self.user['name']}, store lead")
        self.query_one("#menu", Static).update(
            "F2  the heat map: where picks happen\n"
            "F3  pick orders (the pickers' queue)\n"
            "F4  pack orders (the packing station)\n"
            "F5  count the bins the backend opened\n"
            "F6  approve or reject counts\n"
            "F7  the store board (a kiosk screen)\n"
            "F8  slotting: move fast movers nearer\n"
            "F9  expiry sweep of a category\n"
            "F11 what to reorder, CSV for supplier\n"
            "F12 shrinkage: stock lost, by reason\n"
            "\nReports: picker-app slotting, reorder,\n"
            "shrinkage, heatmap, board --serve PORT"
        )
        self.say("Press a key below.")

    def take_scan(self, text: str, t: float) -> None:
        self.say("Nothing to scan here: F3 to pick, F4 to pack.", True)

    def action_heat(self) -> None:
        from picker_app.ui.screens.lead.heat import HeatScreen

        service = self.parts.heat
        if service is None:
            self.say("No store layout on this device: the heat map needs one.", True)
            return
        self.app.push_screen(HeatScreen(service))

    def action_counts(self) -> None:
        from picker_app.ui.screens.lead.counts import CountListScreen

        if self.parts.counting is not None:
            self.app.push_screen(CountListScreen(self.parts.counting, self.user))

    def action_decide(self) -> None:
        from picker_app.services.count_decisions import CountDecisions
        from picker_app.ui.screens.lead.decisions import DecisionScreen

        self.app.push_screen(DecisionScreen(CountDecisions(self.parts.store), self.user))

    def action_expiry(self) -> None:
        from picker_app.services.expiry import ExpirySweeps
        from picker_app.ui.screens.lead.expiry import ExpiryScreen

        def swept(summary: str | None) -> None:
            if summary:
                self.say(summary)

        sweeps = ExpirySweeps(self.parts.store, self.parts.clock)
        self.app.push_screen(ExpiryScreen(sweeps, self.user), swept)

    def action_slotting(self) -> None:
        from picker_app.ui.screens.lead.slotting import SlottingScreen

        if self.parts.slotting is not None:
            self.app.push_screen(SlottingScreen(self.parts.slotting, self.user, self.parts.heat))

    def action_reorder(self) -> None:
        from picker_app.ui.screens.lead.reorder import ReorderScreen

        if self.parts.reorder is not None:
            self.app.push_screen(ReorderScreen(self.parts.reorder, self.user))

    def action_shrinkage(self) -> None:
        from picker_app.ui.screens.lead.shrinkage import ShrinkageScreen

        if self.parts.shrinkage is not None:
            self.app.push_screen(ShrinkageScreen(self.parts.shrinkage))

    def action_board(self) -> None:
        from picker_app.ui.screens.lead.board import BoardScreen

        if self.parts.board is None:
            return
        width, height = self.app.size
        if width < 100 or height < 30:
            self.say(f"The board needs a screen of 100x30 or more (this one is {width}x{height}):"
                     " a kiosk, or picker-app board --serve in a browser.", True)  # fmt: skip
            return
        self.app.push_screen(BoardScreen(self.parts.board, closes=True))

    def action_pick(self) -> None:
        from picker_app.ui.screens.picker.queue import QueueScreen

        picking = self.parts.picking
        if picking is None:
            self.say("No store layout on this device: picking needs one.", True)
            return
        options = self.parts.options
        self.app.push_screen(
            QueueScreen.open(picking, self.user, options.batch_max, options.scan_config)
        )

    def action_pack(self) -> None:
        from picker_app.ui.screens.packer.waiting import WaitingScreen

        if self.parts.packing is None:
            return
        self.app.push_screen(
            WaitingScreen(self.parts.packing, self.user, self.parts.users,
                          demo=self.parts.demo_pins is not None)
        )  # fmt: skip
