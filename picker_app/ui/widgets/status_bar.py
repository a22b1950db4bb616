"""The line at the top of every screen: online or offline, events waiting, scanner state."""

from __future__ import annotations

from textual.reactive import reactive
from textual.widgets import Static


class StatusBar(Static):
    """Attributes down: the app sets `online`, `waiting` and `scanner`; it redraws itself."""

    DEFAULT_CSS = """
    StatusBar { height: 1; background: $primary; color: $text; padding: 0 1; }
    """

    online: reactive[bool] = reactive(False)
    waiting: reactive[int] = reactive(0)
    scanner: reactive[str] = reactive("keyboard")

    def render(self) -> str:
        net = "online" if self.online else "OFFLINE"
        return f"{net} | {self.waiting} unsynced | scan: {self.scanner}"
