"""The app as a shell of modes (issue 11): login, then the role's mode added for the person and
removed at logout; the cache's commits tell the screens what changed (no polling); the status
bars of every mode follow the app's status."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from textual.app import UnknownModeError

from picker_app.sync.worker import SyncStatus
from picker_app.ui.messages import SyncStatusChanged
from picker_app.ui.screens.picker.queue import QueueScreen
from picker_app.ui.widgets.status_bar import StatusBar
from picker_app.wire import Change, ChangesPage, OrderLineWire, OrderWire
from tests.appkit import START, picker_home
from tests.test_ui_flow import app_for, wait_for


async def login(pilot) -> None:  # type: ignore[no-untyped-def]
    await pilot.press(*"BD4101", "enter", *"7051", "enter")
    await pilot.pause()


async def test_login_adds_the_role_mode_and_logout_removes_it(rig):
    app = app_for(rig, sync=False)
    async with app.run_test(size=(40, 20)) as pilot:
        assert app.current_mode == "login"
        await login(pilot)
        assert app.current_mode == "picker" and isinstance(app.screen, QueueScreen)
        first = picker_home(app)
        await pilot.press("f10")
        await pilot.pause()
        assert app.current_mode == "login" and app.user is None
        with pytest.raises(UnknownModeError):  # removed with its screens, not only hidden
            app.switch_mode("picker")
        await login(pilot)
        assert app.current_mode == "picker"
        assert picker_home(app) is not first  # a new day's queue for the next person


def new_order(store, order_id: str) -> None:  # type: ignore[no-untyped-def]
    """A download of one new order, due before every other, as the sync worker applies it."""
    promised = (START + timedelta(minutes=1)).isoformat()
    order = OrderWire(id=order_id, promised_at=promised, state="confirmed",
                      lines=[OrderLineWire(line_no=1, sku="SKU-000001", qty=1)])  # fmt: skip
    cursor = (store.cursor() or 0) + 1
    store.apply_changes(
        ChangesPage(changes=[Change(seq=cursor, order=order)], next_cursor=cursor, more=False)
    )


def in_thread(work) -> None:  # type: ignore[no-untyped-def]
    thread = threading.Thread(target=work)
    thread.start()
    thread.join()


async def test_the_queue_reads_again_when_a_commit_changes_orders_and_only_then(rig):
    app = app_for(rig, sync=False)
    async with app.run_test(size=(40, 20)) as pilot:
        await login(pilot)
        queue = picker_home(app)
        reads: list[int] = []
        real = queue.service.queue
        queue.service.queue = lambda limit=20: reads.append(limit) or real(limit)  # type: ignore[method-assign]
        in_thread(lambda: rig.store.set_sync_state(last_error="none"))  # not what it shows
        await pilot.pause()
        await pilot.pause()
        assert reads == []
        in_thread(lambda: new_order(rig.store, "OR77777777"))  # a download, in another thread
        await wait_for(pilot, lambda: "OR77777777" in str(queue.query_one("#orders").render()))
        assert len(reads) == 1


async def test_every_modes_status_bar_follows_the_status(rig):
    app = app_for(rig, sync=False)
    async with app.run_test(size=(40, 20)) as pilot:
        await login(pilot)
        app.post_message(SyncStatusChanged(SyncStatus(True, False, 3, "")))
        await pilot.pause()
        assert "online | 3 unsynced" in str(app.screen.query_one(StatusBar).render())
        await pilot.press("f10")
        await pilot.pause()
        assert app.current_mode == "login"
        assert "online | 3 unsynced" in str(app.screen.query_one(StatusBar).render())


async def test_the_queue_under_the_pick_screen_reads_nothing_until_it_is_shown(rig):
    """Each saved scan changes the tables the queue lists; covered, it waits for its resume."""
    from tests.test_ui_flow import login_and_take, pick_current_line

    app = app_for(rig, sync=False)
    async with app.run_test(size=(40, 20)) as pilot:
        await login_and_take(pilot, app)
        queue = picker_home(app)
        reads: list[int] = []
        real = queue.service.queue
        queue.service.queue = lambda limit=20: reads.append(limit) or real(limit)  # type: ignore[method-assign]
        await pick_current_line(pilot, app)  # saves: pick_task and the outbox change
        await pilot.pause()
        assert reads == []
        queue.show_queue()  # back to the queue: read as it is shown
        await pilot.pause()
        assert reads and app.screen is queue
