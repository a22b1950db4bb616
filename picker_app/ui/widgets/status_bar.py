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

    def on_mount(self) -> None:
        values = getattr(self.app, "status_values", None)
        if isinstance(values, dict):
            self.set_values(values)

    def set_values(self, values: dict[str, object]) -> None:
        self.online = bool(values.get("online", self.online))
        self.waiting = int(values.get("waiting", self.waiting))  # type: ignore[call-overload]
        self.scanner = str(values.get("scanner", self.scanner))

    def render(self) -> str:
        net = "online" if self.online else "OFFLINE"
        return f"{net} | {self.waiting} unsynced | scan: {self.scanner}"
