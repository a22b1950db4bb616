"""The line at the top of every screen: online, offline or sync paused, events waiting, scanner
state. The scanner's state is said last and whole at any width; the rest is shortened first."""

from __future__ import annotations

from textual.reactive import reactive
from textual.widgets import Static


def status_text(online: bool, paused: bool, waiting: int, scanner: str, width: int) -> str:
    """The header in `width` characters if it can be: the longest wording that fits."""
    net = "PAUSED" if paused else "online" if online else "OFFLINE"
    for text in (
        f"{net} | {waiting} unsynced | scan: {scanner}",
        f"{net} | {waiting} unsent | scan: {scanner}",
        f"{net} {waiting} unsent  scan: {scanner}",
        f"{net} {waiting} unsent scan:{scanner}",
    ):
        if len(text) <= width:
            return text
    return f"{net} {waiting} {scanner}"


class StatusBar(Static):
    """Attributes down: `online`, `paused`, `waiting` and `scanner`, from the app's status; it
    redraws itself."""

    DEFAULT_CSS = """
    StatusBar { height: 1; background: $primary; color: $text; padding: 0 1; }
    """

    online: reactive[bool] = reactive(False)
    paused: reactive[bool] = reactive(False)
    waiting: reactive[int] = reactive(0)
    scanner: reactive[str] = reactive("keyboard")

    def on_mount(self) -> None:
        """Follow the app's `status_values` (a reactive: every bar of every mode follows it)."""
        if isinstance(getattr(self.app, "status_values", None), dict):
            self.watch(self.app, "status_values", self.set_values)

    def set_values(self, values: dict[str, object]) -> None:
        self.online = bool(values.get("online", self.online))
        self.paused = bool(values.get("paused", self.paused))
        self.waiting = int(values.get("waiting", self.waiting))  # type: ignore[call-overload]
        self.scanner = str(values.get("scanner", self.scanner))

    def render(self) -> str:
        width = self.content_size.width or max(20, self.app.size.width - 2)
        return status_text(self.online, self.paused, self.waiting, self.scanner, width)
