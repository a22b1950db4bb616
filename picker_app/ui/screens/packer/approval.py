"""A lead's approval given in place, on the packer's device: the lead scans (or keys) their badge
and keys their PIN; dismissed with the lead, or None (Escape). Only someone whose role may
approve (domain.auth) is taken; wrong PINs wait as at login."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from picker_app.domain.auth import PinGuard, may
from picker_app.ui.guard import Guarded
from picker_app.ui.messages import ScanReceived
from picker_app.ui.widgets.steady_input import SteadyInput


class ApprovalDialog(Guarded, ModalScreen[dict[str, str] | None]):
    """`question`, approved by a lead's badge and PIN."""

    DEFAULT_CSS = """
    ApprovalDialog { align: center middle; }
    ApprovalDialog > Vertical {
        width: 95%; max-width: 70; height: auto; border: thick $warning; background: $surface;
        padding: 0 1;
    }
    ApprovalDialog #question { text-style: bold; height: auto; }
    ApprovalDialog #problem { color: $error; height: auto; }
    ApprovalDialog #hint { color: $text-muted; height: auto; }
    """

    BINDINGS = [Binding("escape", "dismiss_none", "Back")]

    def __init__(self, question: str, people: list[dict[str, str]], guard: PinGuard) -> None:
        super().__init__()
        self.question = question
        self.people = people
        self.guard = guard

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.question, id="question")
            yield SteadyInput(placeholder="lead's badge", id="badge")
            yield SteadyInput(placeholder="PIN", password=True, id="pin")
            yield Static("", id="problem")
            yield Static("Enter: next   Esc: back (nothing changes)", id="hint")

    def on_mount(self) -> None:
        self.query_one("#badge", Input).focus()

    def on_scan_received(self, message: ScanReceived) -> None:
        badge = self.query_one("#badge", Input)
        badge.value = message.text.strip()
        self.query_one("#pin", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        badge = self.query_one("#badge", Input)
        pin = self.query_one("#pin", Input)
        if event.input is badge:
            pin.focus()
            return
        user, why = self.guard.check(self.people, badge.value, pin.value)
        pin.value = ""
        if user is None:
            self.query_one("#problem", Static).update(why)
            return
        if not may(user["role"], "approve"):
            self.query_one("#problem", Static).update(
                f"{user['name']} is a {user['role']}: a lead must approve this."
            )
            badge.value = ""
            badge.focus()
            return
        self.dismiss(user)

    def action_dismiss_none(self) -> None:
        self.dismiss(None)
