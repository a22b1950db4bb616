"""The check of one order: every unit scanned into its bag, each refusal said at once (red, the
bell, the scanner's bad-read beep) and counted nowhere; the count-down of what is missing, and
the bags by temperature class. The last unit passes the check: the order is packed, and the
screen is dismissed with what to tell the packer. Escape leaves the check for later (what was
scanned is kept)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from picker_app.domain.auth import PinGuard
from picker_app.domain.packing import Accepted, QcLine, Refused
from picker_app.domain.queue import clock_text
from picker_app.domain.scan import interpret
from picker_app.domain.weighing import Removed, ScaleTracker, Unscanned, Weighed
from picker_app.errors import PickerError, UserError
from picker_app.scale.client import ScaleClient
from picker_app.scale.reader import ScaleEvent, ScalePoller, ScaleStatus
from picker_app.services.packing import PackJob, PackService
from picker_app.services.pick_reads import parse_time
from picker_app.ui.screens.base import WorkScreen
from picker_app.ui.screens.dialogs import ChoiceDialog, NoticeDialog
from picker_app.ui.screens.packer.approval import ApprovalDialog
from picker_app.ui.screens.packer.labels import LabelLine, print_labels, retry_labels
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
    elif line.repick > 0:
        state = "BACK"  # sent back to picking: a picker brings it
    else:
        state = ""
    count = f"{qc.scanned(line)}/{line.units}"
    name = line.name + (" (sub)" if line.substituted else "")
    if line.short:  # the picker found fewer: the customer gets what there is
        name += f" (short {line.short:g})"
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

    BINDINGS = [
        Binding("escape", "later", "Later"),
        Binding("f2", "short", "Short (lead)"),
        Binding("f3", "send_back", "Send back"),
        Binding("f7", "print_labels", "Retry print"),
        Binding("f8", "reprint", "Reprint"),
    ]

    def __init__(
        self, service: PackService, user: dict[str, str], job: PackJob,
        people: list[dict[str, str]] | None = None,
        scale: tuple[str, int] | None = None,
    ) -> None:  # fmt: skip
        super().__init__()
        self.service = service
        self.user = user
        self.job = job
        self.people = people or []
        self.guard = PinGuard(service.clock)
        # The packing scale, when there is one: each unit counts once it weighed right.
        self.scale = scale
        self.tracker = ScaleTracker() if scale else None
        self.poller: ScalePoller | None = None
        self.unweighed: list[int] = []  # line of each unit scanned and not weighed yet
        self._new_bag = False  # a bag was just closed: the scale may be emptied

    def compose(self) -> ComposeResult:
        yield StatusBar()
        yield Static(id="title")
        yield Static(id="lines")
        yield Static(id="bags")
        yield Static(id="message")
        yield LabelLine(id="scale")
        yield LabelLine(id="labels")
        yield ScanInput(placeholder="scan each item", id="scan")
        yield KeyBar()

    def show_labels(self, text: str, error: bool = False) -> None:
        self.query_one("#labels", LabelLine).show(text, error)

    def on_unmount(self) -> None:
        if self.poller is not None:
            self.poller.stop()

    # --- the scale ------------------------------------------------------------------------

    def _from_scale(self, event: ScaleEvent) -> None:
        """The scale's poller thread: hand the reading to the screen's own loop."""
        with contextlib.suppress(RuntimeError):  # the app is closing
            self.app.call_from_thread(self._scale_event, event)

    def _scale_event(self, event: ScaleEvent) -> None:
        line = self.query_one("#scale", LabelLine)
        if isinstance(event, ScaleStatus):
            line.show(event.message, not event.connected)
            return
        assert self.tracker is not None
        outcome = self.tracker.observe(event)
        if outcome is None:
            return
        if isinstance(outcome, Removed) and self._new_bag and not self.unweighed:
            self.tracker.reset()  # the closed bag was taken off: the next one starts empty
            return
        if isinstance(outcome, Weighed):
            if outcome.check.ok:
                self.unweighed.clear()
                line.show(f"Scale: {outcome.message}", False)
                if self.job.qc.done:
                    self._finish()
                return
            self.service.undo(self.job, list(self.unweighed))
            self.unweighed.clear()
            self.tracker.cancel()
            line.show(f"Scale: {outcome.message}", False)
            self.say(f"{outcome.message} Not counted: take it out, scan the right item.", True)
            self._show()
            return
        line.show(f"Scale: {outcome.message}", isinstance(outcome, Removed | Unscanned))

    def _expect_weight(self, verdict: Accepted) -> None:
        if self.tracker is None:
            return
        line = verdict.line
        grams = verdict.qty * 1000 if line.unit == "kg" else line.weight_g
        if not grams:
            return  # no catalog weight: nothing to check it against
        self._new_bag = False
        self.tracker.expect(grams)
        self.unweighed.append(line.line_no)

    def on_mount(self) -> None:
        for line in self.query(LabelLine):
            line.display = False
        if self.scale is not None and self.tracker is not None:
            port, baud = self.scale
            self.poller = ScalePoller(ScaleClient(port, baud), self._from_scale)
            self.poller.start()
            self.tracker.reset()
        self.query_one(ScanInput).focus()
        self._show()
        left = sum(n for _, n in self.job.qc.missing())
        self.say(f"Scan every item into its bag: {left} to go.")

    def on_resize(self) -> None:
        self._show()

    def data_changed(self, tables: frozenset[str]) -> None:
        """A download may cancel the order being checked: say so, and what to do with its
        items (nothing of it is packed)."""
        if "orders" not in tables or self.app.screen is not self:
            return
        if self.service.order_state(self.job.order_id) != "cancelled":
            return
        order_id = self.job.order_id
        scanned = sum(self.job.qc.scanned(ln) for ln in self.job.qc.order.lines)
        body = (
            f"Nothing of it is packed. Put its {scanned} scanned item(s) and what is left in "
            f"its tote{' ' + self.job.tote if self.job.tote else ''} in the returns crate for "
            "the shelves."
        )

        def done(_: bool | None) -> None:
            self.dismiss(f"{order_id} was cancelled: its items go back to the shelves.")

        self.app.push_screen(NoticeDialog(f"Order {order_id} was cancelled", body), done)

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
        self._expect_weight(verdict)
        if qc.done:
            if self.unweighed:
                self.say(f"{into}: put it on the scale to finish.")
                self._show()
                return
            self._finish()
            return
        if self.unweighed:
            into += ": put it on the scale"
        if qc.bag_complete(verdict.bag):
            self.say(f"{into}; bag {verdict.bag}/{m} is complete, close it; its label prints.")
            self._label(verdict.bag)
            if self.tracker is not None:
                self._new_bag = True
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
        print_labels(self.app, self.service)
        n = len(event.bag_ids)
        bags = f"{n} bag{'s' if n != 1 else ''}"
        self.dismiss(f"{self.job.order_id} packed: {bags}, ready for a rider.")

    def _label(self, n: int) -> None:
        try:
            self.service.bag_done(self.job, n)
        except PickerError as err:  # not queued: F8 queues the complete bags' labels again
            self.say(f"Label of bag {n} not queued: {err}", True)
            return
        print_labels(self.app, self.service)

    def action_print_labels(self) -> None:
        retry_labels(self, self.service)

    def action_reprint(self) -> None:
        n = self.service.reprint(self.job)
        if not n:
            self.say("No bag is complete yet: nothing to reprint.", True)
            return
        self.say(f"Reprinting {n} label{'s' if n != 1 else ''}, marked DUPLICATE.")
        print_labels(self.app, self.service)

    def action_short(self) -> None:
        """Mark a missing line short: which one (when several), then a lead's badge and PIN."""
        self._missing_line("Which line is short?", self._ask_lead)

    def action_send_back(self) -> None:
        """Send a missing line back to picking: the order waits here for it."""
        self._missing_line("Which line goes back to picking?", self._send_back)

    def _missing_line(self, question: str, then: Callable[[QcLine], None]) -> None:
        missing = [(ln, n) for ln, n in self.job.qc.missing() if ln.repick == 0]
        if not missing:
            self.say("Nothing is missing that a picker is not bringing already.", True)
            return
        if len(missing) == 1:
            then(missing[0][0])
            return
        options = [f"{n} x {line.name}" for line, n in missing]

        def chosen(k: int | None) -> None:
            if k is not None:
                then(missing[k][0])

        self.app.push_screen(ChoiceDialog(question, options), chosen)

    def _send_back(self, line: QcLine) -> None:
        try:
            qty = self.service.send_back(self.job, line.line_no, self.user["id"])
        except (PickerError, UserError) as err:
            self.say(f"Not sent back: {err}", True)
            return
        what = f"{qty:g} kg" if line.unit == "kg" else f"{qty:g} x"
        self.dismiss(
            f"{what} {line.name} sent back to picking; {self.job.order_id} waits here for it."
        )

    def _ask_lead(self, line: QcLine) -> None:
        n = self.job.qc.left(line)
        question = f"Short {n} x {line.name}: a lead approves with badge and PIN."

        def approved(lead: dict[str, str] | None) -> None:
            if lead is None:
                self.say("Not marked short: scan it, or F2 again.")
                return
            try:
                self.service.approve_short(self.job, line.line_no, lead["id"], self.user["id"])
            except PickerError as err:
                self.say(f"Not saved: {err}. Press F2 again.", True)
                return
            if self.job.qc.done:
                self._finish()
                return
            self.say(f"{line.name} short by {n}, approved by {lead['name']}.")
            self._show()

        self.app.push_screen(ApprovalDialog(question, self.people, self.guard), approved)

    def action_later(self) -> None:
        left = sum(n for _, n in self.job.qc.missing())
        self.dismiss(f"{self.job.order_id} left for later: {left} to scan; the scans are kept.")
