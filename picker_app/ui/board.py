"""`picker-app board`: the store lead's live board as an app of its own (a kiosk's terminal, or a
browser through textual-serve), on the parts it is handed: the board service and, when the
device syncs, its sync client (so that its own view stays fresh when the backend goes away)."""

from __future__ import annotations

from datetime import tzinfo

from textual.app import App
from textual.binding import Binding

from picker_app.services.board import BoardService
from picker_app.sync.client import SyncClient
from picker_app.sync.worker import SyncWorker
from picker_app.ui.guard import Guarded, sentence
from picker_app.ui.screens.lead.board import BoardScreen


class BoardApp(Guarded, App[None]):
    """The board, one screen; Ctrl+C or q quits."""

    TITLE = "picker_app board"
    ENABLE_COMMAND_PALETTE = False
    BINDINGS = [Binding("ctrl+c", "quit", "Quit", show=False, priority=True)]

    def __init__(
        self,
        service: BoardService,
        title: str = "",
        sync_client: SyncClient | None = None,
        interval_s: float = 5.0,
        tz: tzinfo | None = None,
    ) -> None:
        super().__init__()
        self.board = BoardScreen(service, title, interval_s, tz)
        self.sync_client = sync_client
        self.interval_s = interval_s
        self.worker: SyncWorker | None = None

    def on_mount(self) -> None:
        self.push_screen(self.board)
        if self.sync_client is not None:
            self.worker = SyncWorker(self.sync_client, interval_s=self.interval_s)
            self.worker.start()

    def on_unmount(self) -> None:
        if self.worker is not None:
            self.worker.stop(timeout=5)

    def report_error(self, error: Exception) -> None:
        """The one error handler (ui/guard.py): a toast; the board goes on."""
        self.notify(sentence(error), severity="error", timeout=8)
