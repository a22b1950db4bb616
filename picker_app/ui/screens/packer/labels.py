"""Printing the queued bag labels off the UI thread (a printer may take seconds to answer, or
none at all): what happened is said on the screen in front, on its labels line
(`LabelLine`) when it has one."""

from __future__ import annotations

from textual.app import App
from textual.widgets import Static

from picker_app.errors import PickerError, UserError
from picker_app.services.packing import PackService
from picker_app.ui.screens.base import WorkScreen


def print_labels(app: App[object], service: PackService) -> None:
    """Print every queued label in a worker thread; a printer that cannot print is one sentence
    (the labels stay queued: F7 tries again)."""

    def tell(text: str, error: bool) -> None:
        screen = app.screen
        show = getattr(screen, "show_labels", None) or getattr(screen, "say", None)
        if callable(show):
            show(text, error)

    def work() -> None:
        try:
            printed = service.print_queued()
        except (UserError, PickerError) as err:
            app.call_from_thread(tell, str(err), True)
            return
        if printed:
            n = len(printed)
            where = printed[-1]
            text = f"Labels: {n} {where}." if n == 1 else f"Labels: {n}, the last {where}."
            app.call_from_thread(tell, text, False)

    app.run_worker(work, thread=True, group="labels", name="print labels")


def retry_labels(screen: WorkScreen, service: PackService) -> None:
    """F7 on a packer's screen: print the labels that wait, or say that none does."""
    if not service.queued_labels():
        screen.say("No label waits to be printed.")
        return
    screen.say("Printing the labels that wait...")
    print_labels(screen.app, service)


class LabelLine(Static):
    """The printer's last word, under the message line: what was printed, or why not."""

    DEFAULT_CSS = """
    LabelLine { padding: 0 1; height: auto; }
    LabelLine.error { color: $error; text-style: bold; }
    """

    def show(self, text: str, error: bool) -> None:
        self.update(text)
        self.display = bool(text)
        self.set_class(error, "error")
        if error:
            feedback = getattr(self.app, "bad_read", None)
            feedback() if callable(feedback) else self.app.bell()
