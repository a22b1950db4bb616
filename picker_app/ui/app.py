"""The Textual app, a shell: the login mode and the role's mode (added at login from
ui/roles.py, removed at logout), the status line, the one error handler, and the bridges from
the threads (scanner, sync worker, the cache's commits), which only post messages."""

from __future__ import annotations

from textual.app import App
from textual.binding import Binding
from textual.reactive import var

from picker_app.errors import UserError
from picker_app.parts import Parts
from picker_app.scanner.serial_reader import SerialScanner
from picker_app.sync.worker import SyncWorker
from picker_app.ui import messages as msg
from picker_app.ui import roles
from picker_app.ui.guard import Guarded, log, sentence
from picker_app.ui.screens.base import WorkScreen
from picker_app.ui.screens.login import LoginScreen


class PickerApp(Guarded, App):
    """picker_app on a handheld or a kiosk."""

    TITLE = "picker_app"
    ENABLE_COMMAND_PALETTE = False  # keys and scanner only: nothing hidden behind ctrl+p
    CSS = """
    ScanInput { border: none; height: 1; padding: 0 1; margin: 0 1; background: $boost; }
    ScanInput:focus { background: $primary 30%; }
    """
    BINDINGS = [
        Binding("f10", "logout", "Log out"),
        # Ctrl+C quits as Ctrl+Q does (a priority binding: before a scan input's copy).
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True),
    ]
    DEFAULT_MODE = "login"  # the app starts in it; a role's mode is added at login
    status_values: var[dict[str, object]] = var(dict)  # what the status bars show

    def __init__(self, parts: Parts) -> None:
        super().__init__()
        self.parts = parts
        self.user: dict[str, str] | None = None
        self.set_reactive(PickerApp.status_values, {  # type: ignore[misc]
            "online": False, "waiting": parts.store.counts()["pending"],
            "scanner": "keyboard" if parts.scanner is None else "connecting",
        })  # fmt: skip
        self.worker: SyncWorker | None = None
        self.scanner: SerialScanner | None = None
        self.login = LoginScreen(parts.users, parts.demo_pins, clock=parts.clock)
        self.add_mode("login", lambda: self.login)
        self._on_commit = msg.poster(self.post_message, msg.StoreChanged)  # the store's thread

    def on_mount(self) -> None:
        parts = self.parts
        parts.store.watch(self._on_commit)
        parts.wake.append(self.poke_sync)
        if parts.sync_client is not None:
            post = msg.poster(self.post_message, msg.SyncStatusChanged)
            self.worker = SyncWorker(parts.sync_client, post, parts.options.sync_interval_s)
            self.worker.start()
        if parts.scanner is not None:
            post = msg.poster(self.post_message, msg.from_scanner)
            self.scanner = SerialScanner(parts.scanner, post)
            self.scanner.start()

    def on_unmount(self) -> None:
        self.parts.store.unwatch(self._on_commit)
        if self.scanner is not None:
            self.scanner.stop()
        if self.worker is not None:
            self.worker.stop(timeout=5)

    def poke_sync(self) -> None:
        """Sync now (safe from any thread): e.g. the embedded backend has just started."""
        if self.worker is not None:
            self.worker.poke()

    def set_status(self, **values: object) -> None:
        self.status_values = {**self.status_values, **values}

    def on_sync_status_changed(self, message: msg.SyncStatusChanged) -> None:
        status = message.status
        self.set_status(
            online=status.online, paused=status.paused, waiting=status.pending,
            sync_message=status.message,
        )  # fmt: skip

    def on_store_changed(self, message: msg.StoreChanged) -> None:
        if "outbox" in message.tables:
            self.set_status(waiting=self.parts.store.counts()["pending"])
        for screen in self.screen_stack:  # the current mode's: the others are not in use
            screen.post_message(msg.StoreChanged(message.tables))

    def on_scanner_changed(self, message: msg.ScannerChanged) -> None:
        self.set_status(scanner="connected" if message.connected else "DISCONNECTED")

    def on_scan_misread(self, message: msg.ScanMisread) -> None:
        if isinstance(self.screen, WorkScreen):
            self.screen.say(f"Misread ({message.reason}): scan again.", True)

    def on_scan_received(self, message: msg.ScanReceived) -> None:
        """To the screen in front; a dialog over it takes no scans: it is answered first."""
        if isinstance(self.screen, WorkScreen):
            self.screen.post_message(msg.ScanReceived(message.text, message.t))
        else:
            self.bad_read()

    def report_error(self, error: Exception) -> None:
        """The one error handler (ui/guard.py): one sentence on the screen; the app goes on."""
        text = sentence(error, self.parts.store.path)
        try:
            if isinstance(self.screen, WorkScreen):
                self.screen.say(text, True)
            else:
                self.bad_read()
                self.notify(text, severity="error", timeout=8)
        except Exception:  # the screen cannot say it: a toast, then give up on this one
            log.exception("could not show an error")
            self.notify(text, severity="error", timeout=8)

    def good_read(self) -> None:
        """An accepted scan: the scanner's good-read acknowledgment, where supported."""
        if self.scanner is not None:
            self.scanner.good_read()

    def bad_read(self) -> None:
        """A refused scan: the bell and, where supported, the scanner's bad-read beep."""
        self.bell()
        if self.scanner is not None:
            self.scanner.bad_read()

    def on_login_screen_logged_in(self, message: LoginScreen.LoggedIn) -> None:
        try:
            mode, home = roles.open_mode(self.parts, message.user)
        except UserError as err:
            self.login.refuse(str(err))
            return
        self.user = message.user
        self.add_mode(mode, lambda: home)
        self.switch_mode(mode)

    def action_logout(self) -> None:
        self.user = None
        mode = self.current_mode
        if mode != "login":
            self.switch_mode("login")
            self.remove_mode(mode)
        self.login.action_restart()
