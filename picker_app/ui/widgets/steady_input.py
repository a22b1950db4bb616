"""An Input whose cursor does not blink: a blinking one redraws the screen twice a second for
nothing on a handheld, and made pictures of the screen depend on the half second they were
taken in. Every text field of the app is one (ScanInput too)."""

from __future__ import annotations

from textual.widgets import Input


class SteadyInput(Input):
    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.cursor_blink = False
