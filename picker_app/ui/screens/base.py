"""What every working screen shares: the one message line (`say`), the scanner's feedback, the
one error handler (`Guarded`), a scan the screen has no use for refused with the bad-read beep,
and the cache's changes (`StoreChanged`) handed to the screen that shows them."""

from __future__ import annotations

from typing import TypeVar

from textual.screen import Screen
from textual.widgets import Static

from picker_app.ui.guard import Guarded
from picker_app.ui.messages import ScanReceived, StoreChanged

ResultType = TypeVar("ResultType")


class WorkScreen(Guarded, Screen[ResultType]):
    """A screen of the app with a `#message` line."""

    def say(self, text: str, error: bool = False) -> None:
        """Show `text` on the message line; an error also rings the bell and, where the scanner
        can, its bad-read beep."""
        message = self.query_one("#message", Static)
        message.update(text)
        message.set_class(error, "error")
        message.set_class(not error, "ok")
        if error:
            feedback = getattr(self.app, "bad_read", None)
            feedback() if callable(feedback) else self.app.bell()

    def on_scan_received(self, message: ScanReceived) -> None:
        self.take_scan(message.text, message.t)

    def take_scan(self, text: str, t: float) -> None:
        """A serial scan: here it means nothing, so it is refused (a screen that takes scans
        overrides this)."""
        self.say("Nothing to scan here: use the keys shown below.", True)

    def on_store_changed(self, message: StoreChanged) -> None:
        self.data_changed(message.tables)

    def data_changed(self, tables: frozenset[str]) -> None:
        """A commit changed these tables of the cache (a download, a save): a screen that shows
        any of them reads them again (it overrides this); the others have nothing to do."""
