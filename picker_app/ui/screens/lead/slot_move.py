"""One slotting move, done step by step: scan the bin the product leaves, each unit of it (F7
keys a quantity, then one scan), the bin it goes to; for a swap, each unit of the other product
there and the first bin again. Once the last bin is scanned the move is reported (`slot_moved`)
and the products' bins change. Esc leaves it for later: each scan is kept in the cache as it is
accepted, so the move resumes where it was (after Esc, a restart or a crash)."""

from __future__ import annotations

from textual.binding import Binding
from textual.widgets import Static

from picker_app.domain.slot_moves import FROM_BIN, STEPS, TAKE, TAKE_BACK, MoveTask
from picker_app.errors import PickerError
from picker_app.services.slotting import SlottingService
from picker_app.ui.screens.dialogs import QuantityDialog
from picker_app.ui.screens.lead.panel import Panel
from picker_app.ui.widgets.scan_input import ScanInput


class SlotMoveScreen(Panel[str | None]):
    scan = "scan a bin or an item"
    BINDINGS = [
        Binding("f7", "quantity", "Qty"),
        Binding("escape", "back", "Later"),
    ]

    def __init__(self, service: SlottingService, user: dict[str, str], task: MoveTask) -> None:
        super().__init__()
        self.service = service
        self.user = user
        self.progress = service.start(task)
        self.keyed: float | None = None

    def on_mount(self) -> None:
        self.query_one(ScanInput).focus()
        self._show()
        self.say(self.progress.prompt())
        if self.progress.done:  # its last scan was kept, the app stopped before reporting it
            self.call_after_refresh(self._finish)

    def _finish(self) -> None:
        try:
            self.dismiss(self.service.finish(self.progress, self.user))
        except PickerError as err:
            self.say(str(err), True)

    def _show(self) -> None:
        p = self.progress
        t = p.task
        self.query_one("#title", Static).update(f"Move {t.sku}: {t.name}")
        at = STEPS.index(p.step)
        steps = [
            (FROM_BIN, f"scan bin {t.from_bin}"),
            (TAKE, f"take each unit: {p.qty:g}, then scan bin {t.to_bin}"),
        ]
        if t.swap_sku:
            steps.append(
                (TAKE_BACK, f"take {t.swap_sku} there: {p.swap_qty:g}, then scan bin {t.from_bin}")
            )
        lines = []
        for step, text in steps:
            k = STEPS.index(step)
            lines.append(f"{'x' if k < at else '>' if k == at else ' '} {text}")
        self.query_one("#body", Static).update("\n".join(lines))

    def on_scan_input_scanned(self, event: ScanInput.Scanned) -> None:
        self.handle_scan(event.text)

    def take_scan(self, text: str, t: float) -> None:
        self.handle_scan(text)

    def handle_scan(self, text: str) -> None:
        if not text.strip():
            return
        qty, self.keyed = self.keyed or 1.0, None
        try:
            said = self.service.scan(self.progress, text, qty)
        except PickerError as err:
            self.say(str(err), True)
            return
        if self.progress.done:
            self._finish()
            return
        self._show()
        self.say(said)

    def action_quantity(self) -> None:
        def keyed(qty: float | None) -> None:
            if qty:
                self.keyed = qty
                self.say(f"{qty:g}: now scan one of them.")

        self.app.push_screen(QuantityDialog("How many of them?", allow_zero=False), keyed)

    def action_back(self) -> None:
        self.dismiss("Move left for later: its steps so far are kept.")
