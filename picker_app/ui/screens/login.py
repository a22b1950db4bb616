"""Login: scan a badge (or key a user id), then key the PIN. Works offline from the cache."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Input, Static

from picker_app.domain.auth import ROLE_MAY, PinGuard
from picker_app.ui.screens.base import WorkScreen
from picker_app.ui.widgets.key_bar import KeyBar
from picker_app.ui.widgets.scan_input import ScanInput
from picker_app.ui.widgets.status_bar import StatusBar
from picker_app.ui.widgets.steady_input import SteadyInput


def demo_text(users: list[dict[str, str]], pins: dict[str, str], width: int) -> Text:
    """The demo's people by role (pickers, packers, leads): badge and PIN, and the name where
    the width leaves room for two of them side by side. Riders do not log in (their badge is
    scanned at the handover), so they are not listed."""
    shown = [u for u in users if u["id"] in pins and u["role"] in ROLE_MAY]
    rank = {role: i for i, role in enumerate(ROLE_MAY)}  # picker, packer, lead
    roles = sorted({u["role"] for u in shown}, key=lambda r: (rank.get(r, len(rank)), r))
    named = max((len(f"{u['badge']} {pins[u['id']]} {u['name']}") for u in shown), default=0)
    with_names = 2 * named + 2 <= width
    cell = named if with_names else max(len(f"{u['badge']} {pins[u['id']]}") for u in shown)
    columns = max(1, (width + 2) // (cell + 2))
    text = Text()
    for n, role in enumerate(roles):
        people = [u for u in shown if u["role"] == role]
        heading = f"{role}s: badge, PIN{', name' if with_names else ''}"
        text.append(("\n" if n else "") + heading, "bold")
        for i, u in enumerate(people):
            text.append("\n" if i % columns == 0 else "  ")
            entry = f"{u['badge']} {pins[u['id']]}"
            text.append(entry, "bold")
            if with_names:
                text.append(f" {u['name']}".ljust(cell - len(entry)))
            else:
                text.append(" " * (cell - len(entry)))
    return text


class LoginScreen(WorkScreen):
    """Who is working: badge, then PIN."""

    DEFAULT_CSS = """
    LoginScreen #title { text-style: bold; padding: 0 1; }
    LoginScreen #message { padding: 0 1; height: auto; }
    LoginScreen .error { color: $error; text-style: bold; }
    LoginScreen #pin { border: none; height: 1; padding: 0 1; margin: 0 1; background: $boost; }
    LoginScreen #pin:focus { background: $primary 30%; }
    LoginScreen #demo-list { margin: 1 0 0 0; height: 1fr; scrollbar-size-vertical: 1; }
    LoginScreen #demo { padding: 0 1; }
    """

    BINDINGS = [
        ("escape", "restart", "Start over"),
        Binding("pageup", "scroll_demo(-1)", "", show=False),
        Binding("pagedown", "scroll_demo(1)", "", show=False),
    ]

    class LoggedIn(Message):
        def __init__(self, user: dict[str, str]) -> None:
            super().__init__()
            self.user = user

    def __init__(
        self,
        users: list[dict[str, str]],
        demo_pins: dict[str, str] | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ):
        super().__init__()
        self.users = users
        self.demo_pins = demo_pins or {}
        self.who: str | None = None
        self.guard = PinGuard(clock)

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")
        with Vertical():
            yield Static("picker_app: log in", id="title")
            yield Static("Scan your badge (or key your id and press Enter).", id="message")
            yield ScanInput(placeholder="badge", id="badge")
            yield SteadyInput(placeholder="PIN", password=True, id="pin", disabled=True)
            if self.demo_pins:
                with VerticalScroll(id="demo-list", can_focus=False):
                    yield Static(id="demo")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#badge", ScanInput).focus()
        self._show_demo()

    def on_resize(self) -> None:
        self._show_demo()

    def _show_demo(self) -> None:
        """Every demo badge and PIN, by role, in as many columns as the width takes."""
        if not self.demo_pins:
            return
        demo = self.query_one("#demo", Static)
        width = demo.content_size.width or self.size.width - 2
        demo.update(demo_text(self.users, self.demo_pins, width))

    def action_scroll_demo(self, pages: int) -> None:
        if self.demo_pins:
            scroll = self.query_one("#demo-list", VerticalScroll)
            scroll.scroll_to(y=scroll.scroll_y + pages * max(1, scroll.size.height - 1))

    def _say(self, text: str, error: bool = False) -> None:
        message = self.query_one("#message", Static)
        message.update(text)
        message.set_class(error, "error")

    def on_scan_input_scanned(self, event: ScanInput.Scanned) -> None:
        self.handle_scan(event.text)

    def take_scan(self, text: str, t: float) -> None:
        self.handle_scan(text)

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
        user, why = self.guard.check(self.users, self.who, event.value)
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
