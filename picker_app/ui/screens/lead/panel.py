"""The frame every lead screen but the home and the board shares: the status bar, a bold title
line, the body, the message line, a scan field where the screen takes scans, and the key bar.
A screen sets `first_title` and `scan` (the scan field's placeholder; None: no field), and
overrides `compose_body` where its body is not one Static (the heat maps scroll)."""

from __future__ import annotations

from typing import ClassVar, TypeVar

from textual.app import ComposeResult
from textual.widgets import Static

from picker_app.ui.screens.base import WorkScreen
from picker_app.ui.widgets.key_bar import KeyBar
from picker_app.ui.widgets.scan_input import ScanInput
from picker_app.ui.widgets.status_bar import StatusBar

ResultType = TypeVar("ResultType")


class Panel(WorkScreen[ResultType]):
    DEFAULT_CSS = """
    Panel #title { padding: 0 1; text-style: bold; height: auto; }
    Panel #body { padding: 0 1; height: 1fr; }
    Panel #map-box { height: 1fr; }
    Panel #map { padding: 0 1; width: auto; }
    Panel #message { padding: 0 1; height: auto; }
    Panel #message.error { color: $error; text-style: bold; }
    """

    first_title: ClassVar[str] = ""  # the title line until the screen says more
    scan: ClassVar[str | None] = None  # the scan field's placeholder (None: no scan field)
    scan_empty_lines: ClassVar[bool] = False  # Enter on an empty field is a line (a key)

    def compose(self) -> ComposeResult:
        yield StatusBar()
        yield Static(self.first_title, id="title")
        yield from self.compose_body()
        yield Static(id="message")
        if self.scan is not None:
            yield ScanInput(placeholder=self.scan, empty_lines=self.scan_empty_lines, id="scan")
        yield KeyBar()

    def compose_body(self) -> ComposeResult:
        yield Static(id="body")
