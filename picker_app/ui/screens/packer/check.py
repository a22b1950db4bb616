"""The check of one order: every unit scanned into its bag, each refusal said at once (red, the
bell, the scanner's bad-read beep) and counted nowhere; the count-down of what is missing, and
the bags by temperature class. The last unit passes the check: the order is packed, and the
screen is dismissed with what to tell the packer. Escape leaves the check for later (what was
scanned is kept)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from picker_app.domain.packing import Accepted, QcLine, Refused
from picker_app.domain.queue import clock_text
from picker_app.domain.scan import interpret
from picker_app.errors import PickerError, UserError
from picker_app.services.packing import PackJob, PackService
from picker_app.services.pick_reads import parse_time
from picker_app.ui.screens.base import WorkScreen
from picker_app.ui.widgets.key_bar import KeyBar
from picker_app.ui.widgets.scan_input import ScanInput
from picker_app.ui.widgets.status_bar import StatusBar

TEMP_MARK = {"frozen": "FROZEN", "chilled": "CHILLED", "ambient": "AMBIENT"}


def line_text(job: PackJob, line: QcLine, width: int) -> str:
    """'2/2 ok Nandini Toned Milk 500 ml' or '0/1    Aashirvaad Atta 5 kg', cut to `width`."""
    qc = job.qc
    if line.line_no in qc.shorted:
        state = "SHORT"
    elif qc.left(line) == 0:
        state = "ok"
    else:
        state = ""
    count = f"{qc.scanned(line)}/{line.units}"
    name = line.name + (" (sub)" if line.substituted else "")
    text = f"{count:>5} {state:<5} {name}"
    return text if len(text) <= width else text[: width - 1] + "~"


class CheckScreen(WorkScreen[str | None]):
    """Quality check of one order at packing."""

    DEFAULT_CSS = """
    CheckScreen #title { padding: 0 1; text-style: bold; height: auto; }
    CheckScreen #lines { padding: 0 1; height: 1fr; }
    CheckScreen #bags { padding: 0 1; height: auto; }
    CheckScreen #message { padding: 0 1; height: auto; }
    CheckScreen #message.error { color: $error; text-style: bold; }
    """

    BINDINGS = [Binding("escape", "later", "Later")]

    def __init__(self, service: PackService, user: dict[str, str], job: PackJob) -> None:
        super().__init__()
        self.service = service
        self.user = user
        self.job = job

    def compose(self) -> ComposeResult:
        yield StatusBar()
        yield Static(id="title")
        yield Static(id="lines")
        yield Static(id="bags")
        yield Static(id="message")
        yield ScanInput(placeholder="scan each item", id="scan")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one(ScanInput).focus()
        self._show()
        left = sum(n for _, n in self.job.qc.missing())
        self.say(f"Scan every item into its bag: {left} to go.")

    def on_resize(self) -> None:
        self._show()

    def _show(self) -> None:
        job = self.job
        tote = f" {job.tote}" if job.tote else ""
        left = sum(n for _, n in job.qc.missing())
        due = parse_time(job.qc.order.promised_at)
        when = ""
        if due is not None:
            seconds = int((due - self.service.clock()).total_seconds())
            when = f", {clock_text(abs(seconds))} {'left' if seconds >= 0 else 'LATE'}"
        self.query_one("#title", Static).update(f"{job.order_id}{tote}: {left} to scan{when}")
        width = max(20, self.size.width - 2)
        lines = sorted(job.qc.order.lines, key=lambda ln: job.qc.left(ln) == 0)
        self.query_one("#lines", Static).update(
            "\n".join(line_text(job, ln, width) for ln in lines)
        )
        m = len(job.qc.bags)
        bags = [
            f"{b.n}/{m} {TEMP_MARK[b.temp]}{' ok' if job.qc.bag_complete(b.n) else ''}"
            for b in job.qc.bags
        ]
        self.query_one("#bags", Static).update("Bags: " + ", ".join(bags))

    def on_scan_input_scanned(self, event: ScanInput.Scanned) -> None:
        self.handle_scan(event.text)

    def take_scan(self, text: str, t: float) -> None:
        self.handle_scan(text)

    def handle_scan(self, text: str) -> None:
        if not text.strip():
            return
        try:
            verdict = self.service.scan(self.job, interpret(text), self.user["id"])
        except PickerError as err:  # e.g. out of storage: not kept, so not counted
            self.say(f"Not saved: {err}. Scan it again.", True)
            return
        if isinstance(verdict, Refused):
            self.say(verdict.reason, True)
            self._show()
            return
        self._accepted(verdict)

    def _accepted(self, verdict: Accepted) -> None:
        qc = self.job.qc
        m = len(qc.bags)
        bag = qc.bags[verdict.bag - 1]
        into = f"Into bag {verdict.bag}/{m} {TEMP_MARK[bag.temp]}"
        if qc.done:
            self._finish()
            return
        if qc.bag_complete(verdict.bag):
            self.say(f"{into}: bag {verdict.bag}/{m} is complete, close it.")
        else:
            more = f"; {verdict.left} more {verdict.line.name}" if verdict.left else ""
            self.say(f"{into}{more}.")
        self._show()

    def _finish(self) -> None:
        try:
            event = self.service.finish(self.job, self.user["id"])
        except (PickerError, UserError) as err:
            self.say(f"Not packed yet: {err}", True)
            self._show()
            return
        n = len(event.bag_ids)
        bags = f"{n} bag{'s' if n != 1 else ''}"
        self.dismiss(f"{self.job.order_id} packed: {bags}, ready for a rider.")

    def action_later(self) -> None:
        left = sum(n for _, n in self.job.qc.missing())
        self.dismiss(f"{self.job.order_id} left for later: {left} to scan; the scans are kept.")
