"""The Textual app: it moves between screens and wires the threads in; the screens show, the
domain decides, the services save.

Threads (DESIGN.md): the serial scanner and the sync worker run in their own threads and only post
messages (ui/messages.py) to the app; every screen change happens on the app's loop.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from textual.app import App
from textual.binding import Binding
from textual.screen import Screen

from picker_app.domain.auth import may
from picker_app.domain.layout import Layout
from picker_app.domain.picking import DEFAULT_WEIGHT_TOLERANCE, WeightTolerance
from picker_app.domain.queue import PICK_PACK_BUDGET
from picker_app.domain.scan import DEFAULT_SCAN_CONFIG, ScanConfig
from picker_app.errors import PickerError
from picker_app.scanner.framing import Misread
from picker_app.scanner.serial_reader import (
    ScannerStatus,
    ScanRead,
    SerialScanner,
    SerialSettings,
)
from picker_app.services.picking import PickService, PickTask
from picker_app.store import people
from picker_app.store.db import LocalStore
from picker_app.sync.client import SyncClient
from picker_app.sync.worker import SyncStatus, SyncWorker
from picker_app.ui.guard import Guarded, sentence
from picker_app.ui.messages import ScanMisread, ScannerChanged, ScanReceived, SyncStatusChanged
from picker_app.ui.screens.base import WorkScreen
from picker_app.ui.screens.dialogs import NoticeDialog
from picker_app.ui.screens.finish import FinishScreen
from picker_app.ui.screens.login import LoginScreen
from picker_app.ui.screens.pick import PickScreen
from picker_app.ui.screens.queue import QueueScreen
from picker_app.ui.widgets.status_bar import StatusBar

log = logging.getLogger(__name__)
RETRY_S = 5  # a save that failed (e.g. out of storage) is tried again this often


@dataclass
class AppOptions:
    """How this device works (from the settings file and the command line)."""

    batch_max: int = 4
    sync_interval_s: float = 5.0
    scan_config: ScanConfig = DEFAULT_SCAN_CONFIG


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
        # Ctrl+C quits as Ctrl+Q does (Textual's default is copy, or a "press ctrl+q" toast);
        # a priority binding, so a focused scan input's copy binding does not take it.
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True),
    ]

    def __init__(
        self,
        users: list[dict[str, str]],
        demo_pins: dict[str, str] | None = None,
        service: PickService | None = None,
        sync_client: SyncClient | None = None,
        scanner: SerialSettings | None = None,
        options: AppOptions | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        super().__init__()
        self.users = users
        self.demo_pins = demo_pins
        self.service = service
        self.sync_client = sync_client
        self.scanner_settings = scanner
        self.options = options or AppOptions()
        self.clock = clock or (service.clock if service else (lambda: datetime.now(UTC)))
        self.user: dict[str, str] | None = None
        self.pick_task: PickTask | None = None
        self.status_values: dict[str, object] = {
            "online": False,
            "waiting": 0,
            "scanner": "keyboard" if scanner is None else "connecting",
        }
        self.worker: SyncWorker | None = None
        self.scanner: SerialScanner | None = None
        self._login: LoginScreen | None = None
        self._cancel_asked: set[str] = set()

    # --- start and stop -----------------------------------------------------------------------

    def on_mount(self) -> None:
        self._login = LoginScreen(self.users, self.demo_pins, clock=self.clock)
        self.push_screen(self._login)
        self.refresh_waiting()
        if self.sync_client is not None:
            self.worker = SyncWorker(
                self.sync_client, self._post_sync_status, self.options.sync_interval_s,
            )  # fmt: skip
            self.worker.start()
        if self.scanner_settings is not None:
            self.scanner = SerialScanner(self.scanner_settings, self._post_scanner_event)
            self.scanner.start()

    def on_unmount(self) -> None:
        if self.scanner is not None:
            self.scanner.stop()
        if self.worker is not None:
            self.worker.stop(timeout=5)

    def poke_sync(self) -> None:
        """Sync now (safe from any thread): e.g. the embedded backend has just started."""
        if self.worker is not None:
            self.worker.poke()

    def _post_sync_status(self, status: SyncStatus) -> None:
        """From the sync worker's thread: its outcome, as a message to the app."""
        self.post_message(SyncStatusChanged(status))

    def _post_scanner_event(self, event: object) -> None:
        """From the scanner's thread: what it saw, as a message to the app."""
        if isinstance(event, ScannerStatus):
            self.post_message(ScannerChanged(event.connected))
        elif isinstance(event, Misread):
            self.post_message(ScanMisread(event.reason))
        elif isinstance(event, ScanRead):
            self.post_message(ScanReceived(event.text, event.t))

    # --- the header ---------------------------------------------------------------------------

    def set_status(self, **values: object) -> None:
        self.status_values.update(values)
        for screen in self.screen_stack:
            for bar in screen.query(StatusBar):
                bar.set_values(self.status_values)

    def refresh_waiting(self) -> None:
        if self.service is not None:
            self.set_status(waiting=self.service.store.counts()["pending"])

    def on_sync_status_changed(self, message: SyncStatusChanged) -> None:
        status = message.status
        if not self.screen_stack:  # stopping
            return
        self.set_status(
            online=status.online, paused=status.paused, waiting=status.pending,
            sync_message=status.message,
        )  # fmt: skip
        self.check_cancelled()
        if isinstance(self.screen, QueueScreen):
            self.screen.refresh_queue()

    def on_scanner_changed(self, message: ScannerChanged) -> None:
        self.set_status(scanner="connected" if message.connected else "DISCONNECTED")

    def on_scan_misread(self, message: ScanMisread) -> None:
        if isinstance(self.screen, WorkScreen):
            self.screen.say(f"Misread ({message.reason}): scan again.", True)

    def on_scan_received(self, message: ScanReceived) -> None:
        """A serial scan goes to the screen in front; a question open over it (a dialog) takes
        no scans: it is answered first."""
        if isinstance(self.screen, WorkScreen):
            self.screen.post_message(ScanReceived(message.text, message.t))
        else:
            self.bad_read()

    def report_error(self, error: Exception) -> None:
        """The one error handler (ui/guard.py): one sentence on the screen, and the app goes
        on; an unexpected error's traceback goes to the log."""
        text = sentence(error, self.service.store.path if self.service is not None else None)
        say = getattr(self.screen, "say", None)
        try:
            if callable(say):
                say(text, True)
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
        """A refused scan: the terminal bell and, where supported, the scanner's bad-read beep."""
        self.bell()
        if self.scanner is not None:
            self.scanner.bad_read()

    # --- moving between screens ---------------------------------------------------------------

    def _show(self, screen: Screen) -> None:
        """Show `screen` as the one working screen above the login screen."""
        assert self._login is not None
        while self.screen is not self._login and len(self.screen_stack) > 1:
            self.pop_screen()
        self.push_screen(screen)

    def on_login_screen_logged_in(self, message: LoginScreen.LoggedIn) -> None:
        user = message.user
        if not may(user["role"], "pick") or self.service is None:
            assert self._login is not None
            self._login.refuse(
                f"{user['name']} is a {user['role']}: this version has the picker's screens "
                "only. Log in as a picker or a lead."
            )
            return
        try:
            task = self.service.open_task(user["id"])
        except PickerError as err:  # e.g. the task is open in another app on this device
            assert self._login is not None
            self._login.refuse(f"{user['name']}: {err}.")
            return
        self.user = user
        self._cancel_asked.clear()
        if task is not None:
            self.start_picking(task, resumed=True)
        else:
            self.show_queue()

    def show_queue(self) -> None:
        assert self.service is not None and self.user is not None
        self.pick_task = None
        self._show(QueueScreen(self.service, self.user, self.options.batch_max))

    def start_picking(self, task: PickTask, resumed: bool = False) -> None:
        service = self.service
        assert service is not None
        self.pick_task = task
        title = ", ".join(f"{o}>{t}" for o, t in task.totes.items())

        def save(events) -> None:  # type: ignore[no-untyped-def]
            service.save(task, events)
            self.refresh_waiting()

        screen = PickScreen(
            task.session, service.layout, task.stop_cells, save,
            title=title, started_at=task.started_at, clock=self.clock,
            budget=service.task_budget(task),
            path=service.planner.table.path, substitutes=service.substitutes,
            suggested=service.suggested,
            on_finished=lambda: self.finish_task(task), scan_config=self.options.scan_config,
        )  # fmt: skip
        self._show(screen)
        self.refresh_waiting()
        if resumed:
            line = task.session.current
            where = f"next: {line.bin}, {line.name}" if line else "all lines done"
            screen.call_after_refresh(screen.say, f"Welcome back: same order, {where}.")
        if self.worker is not None:
            self.worker.poke()
        self.call_after_refresh(self.check_cancelled)
        if task.session.finished:
            self.call_after_refresh(self.finish_task, task)

    def finish_task(self, task: PickTask) -> None:
        service = self.service
        assert service is not None
        if self.pick_task is not task:
            return
        try:
            stats = service.finish(task)
        except PickerError as err:  # e.g. out of storage: the totes stay open, try again soon
            say = getattr(self.screen, "say", None)
            if callable(say):
                say(f"Totes not closed yet: {err}. Trying again in {RETRY_S} s.", True)
            self.set_timer(RETRY_S, lambda: self.finish_task(task))
            return
        self.pick_task = None
        self.refresh_waiting()
        if self.worker is not None:
            self.worker.poke()  # the tote is ready for packing: tell the backend now
        live = {o: t for o, t in task.totes.items() if o in service.live_orders(task)}
        self._show(FinishScreen(stats, live))

    def check_cancelled(self) -> None:
        """If the backend says an order of the open task was cancelled: say so at once, and
        list what to put back where."""
        task, service = self.pick_task, self.service
        if task is None or service is None or not isinstance(self.screen, PickScreen):
            return
        pick_screen = self.screen
        why = {o: ("was cancelled", "was cancelled") for o in service.cancelled(task)}
        for order_id, reason in service.refused(task).items():
            why.setdefault(order_id, (f"cannot be picked here: {reason}", "left this task"))
        for order_id, (what, short) in why.items():
            if order_id in self._cancel_asked:
                continue
            self._cancel_asked.add(order_id)
            back = task.session.to_put_back(order_id)
            body = (
                "Put back:\n" + "\n".join(f"{qty:g} x {ln.name} -> {ln.bin}" for ln, qty in back)
                if back
                else "Nothing was picked for it yet."
            )
            if task.totes.get(order_id):
                body += f"\nThen empty tote {task.totes[order_id]}."

            def put_back(_: bool | None, order_id: str = order_id, short: str = short) -> None:
                before = copy.deepcopy(task.session)
                decision = task.session.cancel(order_id, short)
                try:
                    service.drop_order(task, order_id, decision.events)
                except PickerError as err:  # not saved: the order stays, asked again soon
                    task.session.__dict__.update(before.__dict__)
                    self._cancel_asked.discard(order_id)
                    pick_screen.say(f"Not saved: {err}. Asking again in {RETRY_S} s.", True)
                    self.set_timer(RETRY_S, self.check_cancelled)
                    return
                self.refresh_waiting()
                pick_screen.say(decision.message)
                pick_screen.refresh_stop()
                if task.session.finished:
                    self.finish_task(task)

            self.push_screen(NoticeDialog(f"Order {order_id} {what}", body), put_back)

    def action_logout(self) -> None:
        self.user = None
        self.pick_task = None
        assert self._login is not None
        while self.screen is not self._login and len(self.screen_stack) > 1:
            self.pop_screen()
        self._login.action_restart()


def load_users(store: LocalStore) -> list[dict[str, str]]:
    """The store's people, from the local cache (so login works offline)."""
    return people.users(store)


def make_app(
    store: LocalStore,
    demo_pins: dict[str, str] | None = None,
    layout: Layout | None = None,
    *,
    sync_client: SyncClient | None = None,
    scanner: SerialSettings | None = None,
    options: AppOptions | None = None,
    clock: Callable[[], datetime] | None = None,
    require_bin_scan: bool = True,
    budget: timedelta = PICK_PACK_BUDGET,
    weight_tolerance: WeightTolerance = DEFAULT_WEIGHT_TOLERANCE,
) -> PickerApp:
    """The one factory of the app, for the CLI (launch.prepare) and the tests alike."""
    options = options or AppOptions()
    service = None
    if layout is not None:
        service = PickService(
            store, layout, clock or (lambda: datetime.now(UTC)), require_bin_scan=require_bin_scan,
            budget=budget, scan_config=options.scan_config, weight_tolerance=weight_tolerance,
        )  # fmt: skip
    return PickerApp(load_users(store), demo_pins, service, sync_client, scanner, options, clock)
