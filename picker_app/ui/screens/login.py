"""Login: scan a badge (or key a user id), then key the PIN. Works offline from the cache."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Input, Static

from picker_app.domain.auth import check_login
from picker_app.ui.guard import Guarded
from picker_app.ui.widgets.key_bar import KeyBar
from picker_app.ui.widgets.scan_input import ScanInput
from picker_app.ui.widgets.status_bar import StatusBar


class LoginScreen(Guarded, Screen):
    """Who is working: badge, then PIN."""

    DEFAULT_CSS = """
    LoginScreen #title { text-style: bold; padding: 1 1 0 1; }
    LoginScreen #message { padding: 0 1; height: auto; }
    LoginScreen .error { color: $error; text-style: bold; }
    LoginScreen Input { margin: 0 1; }
    LoginScreen DataTable { margin: 1 1 0 1; height: auto; max-height: 12; }
    """

    BINDINGS = [("escape", "restart", "Start over")]

    class LoggedIn(Message):
        def __init__(self, user: dict[str, str]) -> None:
            super().__init__()
            self.user = user

    def __init__(self, users: list[dict[str, str]], demo_pins: dict[str, str] | None = None):
        super().__init__()
        self.users = users
        self.demo_pins = demo_pins or {}
        self.who: str | None = None

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")
        with Vertical():
            yield Static("picker_app: log in", id="title")
            yield Static("Scan your badge (or key your id and press Enter).", id="message")
            yield ScanInput(placeholder="badge", id="badge")
            yield Input(placeholder="PIN", password=True, id="pin", disabled=True)
            if self.demo_pins:
                table: DataTable = DataTable(id="demo", cursor_type="none", zebra_stripes=True)
                table.add_columns("demo badge", "PIN", "name", "role")
                for u in self.users:
                    if u["id"] in self.demo_pins:
                        table.add_row(u["badge"], self.demo_pins[u["id"]], u["name"], u["role"])
                yield table
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#badge", ScanInput).focus()

    def _say(self, text: str, error: bool = False) -> None:
        message = self.query_one("#message", Static)
        message.update(text)
        message.set_class(error, "error")

    def on_scan_input_scanned(self, event: ScanInput.Scanned) -> None:
        self.handle_scan(event.text)

    def say(self, text: str, error: bool = False) -> None:
        self._say(text, error)
        if error:
            self.app.bell()

    def refuse(self, why: str) -> None:
        """Logged in, but this person cannot work here: say why and start over."""
        self.action_restart()
        self._say(why, True)

    def handle_scan(self, text: str) -> None:
        """A badge scanned (or an id keyed) here or on a serial scanner."""
        who = text.strip().upper()
        known = any(u["badge"].upper() == who or u["id"].upper() == who for u in self.users)
        if not known:
            self._say(f"No one has badge or id {who!r} here; scan your badge again.", True)
            return
        self.who = who
        pin = self.query_one("#pin", Input)
        pin.disabled = False
        pin.focus()
        self._say(f"Hello {who}: key your PIN and press Enter.")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id != "pin" or self.who is None:
            return
        user, why = check_login(self.users, self.who, event.value)
        event.input.value = ""
        if user is None:
            self._say(why, True)
            return
        self.post_message(self.LoggedIn(user))

    def action_restart(self) -> None:
        self.who = None
        pin = self.query_one("#pin", Input)
        pin.value = ""
        pin.disabled = True
        self.query_one("#badge", ScanInput).focus()
        self._say("Scan your badge (or key your id and press Enter).")
