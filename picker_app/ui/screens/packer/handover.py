"""The handover to the rider: the rider scans their badge, then every bag of the order; a bag
of another order is refused loudly, and the order is dispatched when all its bags are scanned
(how long it waited since packing is recorded; a cold bag past its window is flagged)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from picker_app.domain.queue import clock_text
from picker_app.domain.scan import interpret
from picker_app.errors import PickerError, UserError
from picker_app.printing.blocks import block_code128, width_of
from picker_app.services.packing import BagScan, PackService
from picker_app.ui.screens.base import WorkScreen
from picker_app.ui.widgets.key_bar import KeyBar
from picker_app.ui.widgets.scan_input import ScanInput
from picker_app.ui.widgets.status_bar import StatusBar


class HandoverScreen(WorkScreen[None]):
    """Orders packed and waiting for a rider; a rider's badge, then their order's bags."""

    DEFAULT_CSS = """
    HandoverScreen #ask { padding: 0 1; text-style: bold; height: auto; }
    HandoverScreen #orders { padding: 0 1; height: 1fr; }
    HandoverScreen #code { padding: 0 1; height: auto; }
    HandoverScreen #message { padding: 0 1; height: auto; }
    HandoverScreen #message.error { color: $error; text-style: bold; }
    """

    BINDINGS = [Binding("escape", "back", "Back")]

    def __init__(
        self, service: PackService, user: dict[str, str], people: list[dict[str, str]],
        demo: bool = False,
    ) -> None:  # fmt: skip
        super().__init__()
        self.service = service
        self.user = user
        self.people = people
        self.demo = demo
        self.rider: dict[str, str] | None = None
        self.order_id: str | None = None
        self.bags: dict[str, BagScan] = {}

    def compose(self) -> ComposeResult:
        yield StatusBar()
        yield Static(id="ask")
        yield Static(id="orders")
        yield Static(id="code")
        yield Static(id="message")
        yield ScanInput(placeholder="scan a badge or a bag", id="scan")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one(ScanInput).focus()
        self._show()

    def _show(self) -> None:
        ask = self.query_one("#ask", Static)
        if self.rider is None:
            ask.update("Rider: scan your badge.")
        elif self.order_id is None:
            ask.update(f"{self.rider['name']}: scan a bag of your order.")
        else:
            m = next(iter(self.bags.values())).m
            ask.update(
                f"{self.rider['name']}: {self.order_id}, bag {len(self.bags)} of {m} scanned."
            )
        now = self.service.clock()
        rows = []
        for e in self.service.packed():
            waited = ""
            if e.packed_at is not None:
                waited = f"  packed {clock_text(int((now - e.packed_at).total_seconds()))} ago"
            rows.append(f"{e.order_id}  {e.bags} bag{'s' if e.bags != 1 else ''}{waited}")
        text = "\n".join(rows) or "No order waits for a rider."
        if self.demo and self.rider is None:
            riders = [p["badge"] for p in self.people if p["role"] == "rider"]
            if riders:
                text += "\n\nDemo riders' badges: " + " ".join(riders)
        self.query_one("#orders", Static).update(text)
        self._show_code()

    def on_resize(self) -> None:
        self._show_code()

    def _show_code(self) -> None:
        """On a kiosk: the next bag's Code 128 in block characters, for a rider's own scanner
        (the bag being handed over, else the first of the oldest order waiting)."""
        code = self.query_one("#code", Static)
        order_id = self.order_id
        if order_id is None:
            packed = self.service.packed()
            order_id = packed[0].order_id if packed else None
        codes = self.service.bag_codes(order_id) if order_id else []
        bags = [b for b in codes if b not in self.bags]
        if not bags or self.size.width < width_of(bags[0]) + 2 or self.size.height < 24:
            code.display = False
            return
        code.display = True
        code.update("\n".join([f"{order_id}, for a rider's app:", *block_code128(bags[0], 4)]))
    def on_scan_input_scanned(self, event: ScanInput.Scanned) -> None:
        self.handle_scan(event.text)

    def take_scan(self, text: str, t: float) -> None:
        self.handle_scan(text)

    def handle_scan(self, text: str) -> None:
        if not text.strip():
            return
        scan = interpret(text)
        try:
            if scan.kind == "badge":
                self.rider = self.service.rider(scan, self.people)
                self.order_id, self.bags = None, {}
                self.say(f"{self.rider['name']}: scan each bag of the order.")
            elif self.rider is None:
                raise UserError("Rider: scan your badge first, then the bags.")
            else:
                self._bag(self.service.bag_for(scan, self.order_id))
        except UserError as err:
            self.say(str(err), True)
        self._show()

    def _bag(self, bag: BagScan) -> None:
        if bag.code in self.bags:
            self.say(f"Bag {bag.code} is scanned already: scan the next.")
            return
        self.order_id = bag.order_id
        self.bags[bag.code] = bag
        late = " It is past its hand-over time: tell the lead." if bag.late else ""
        if len(self.bags) < bag.m:
            self.say(f"Bag {bag.n}/{bag.m} of {bag.order_id} OK.{late}", bool(late))
            return
        assert self.rider is not None
        try:
            event = self.service.hand_over(
                bag.order_id, self.rider, list(self.bags.values()), self.user["id"]
            )
        except PickerError as err:
            self.say(f"Not saved: {err}. Scan the last bag again.", True)
            del self.bags[bag.code]
            return
        late_n = len(event.cold_late)
        cold = f" {late_n} cold bag(s) past their window: flagged." if late_n else ""
        self.say(f"{bag.order_id} handed to {self.rider['name']}.{cold}", bool(cold))
        self.rider, self.order_id, self.bags = None, None, {}

    def action_back(self) -> None:
        self.dismiss(None)
