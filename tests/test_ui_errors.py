"""The app's one error handler: an error anywhere in the app is one sentence on the screen and
the app goes on; an unexpected one is logged with its traceback."""

from __future__ import annotations

import pytest
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Static

from picker_app.errors import PickerError
from picker_app.ui.guard import Guarded, sentence
from picker_app.ui.screens.picker.queue import QueueScreen
from tests.test_ui_flow import app_for, message


class Failing(Guarded, Screen):
    BINDINGS = [Binding("f2", "fail", "Fail"), Binding("f3", "count", "Count")]

    def __init__(self) -> None:
        super().__init__()
        self.counted = 0

    def compose(self) -> ComposeResult:
        yield Static(id="message")

    def say(self, text: str, error: bool = False) -> None:
        self.query_one("#message", Static).update(text)

    def action_fail(self) -> None:
        raise PickerError("the local database is locked by another program")

    def action_count(self) -> None:
        self.counted += 1


class Shell(Guarded, App):
    def on_mount(self) -> None:
        self.push_screen(Failing())

    def report_error(self, error: Exception) -> None:
        self.screen.say(sentence(error))  # type: ignore[attr-defined]


async def test_an_error_in_an_action_is_said_and_the_screen_goes_on():
    app = Shell()
    async with app.run_test(size=(40, 20)) as pilot:
        await pilot.press("f2")
        await pilot.pause()
        assert "locked by another program" in str(app.screen.query_one("#message").render())
        await pilot.press("f3", "f3")  # the screen still takes keys
        await pilot.pause()
        assert app.screen.counted == 2 and app.is_running


async def test_a_cache_error_on_the_queue_is_one_sentence_naming_the_file(rig):
    app = app_for(rig, sync=False)
    async with app.run_test(size=(40, 20)) as pilot:
        await pilot.press(*"BD4101", "enter", *"7051", "enter")
        await pilot.pause()
        assert isinstance(app.screen, QueueScreen)
        rig.store.conn.close()  # this thread's reader connection, gone under the app
        await pilot.press("f5")
        await pilot.pause()
        said = message(app)
        assert said.startswith(f"{rig.store.path}: local database error") and "\n" not in said
        assert app.is_running and isinstance(app.screen, QueueScreen)
        await pilot.press("f10")  # the app still answers
        await pilot.pause()
        assert app.user is None


@pytest.mark.app_error_expected
async def test_an_unexpected_error_is_logged_said_and_the_app_goes_on(
    rig, no_unexpected_app_errors, monkeypatch
):
    from picker_app.services.picking import PickService

    app = app_for(rig, sync=False)
    async with app.run_test(size=(40, 20)) as pilot:
        await pilot.press(*"BD4101", "enter", *"7051", "enter")
        await pilot.pause()
        assert isinstance(app.screen, QueueScreen)
        # A bug: reading the queue raises what no one expected.
        def broken(*args, **kwargs):
            raise ValueError("a bug in reading the queue")

        monkeypatch.setattr(PickService, "queue", broken)
        await pilot.press("f5")
        await pilot.pause()
        said = message(app)
        assert said.startswith("Something went wrong (ValueError)") and "log" in said
        assert app.is_running and isinstance(app.screen, QueueScreen)
        records = no_unexpected_app_errors.records
        assert records and records[0].exc_info is not None  # the traceback, for the log
        await pilot.press("f10")
        await pilot.pause()
        assert app.user is None


async def test_a_promise_time_that_is_not_a_time_shows_the_order_without_one(rig):
    """A backend's promise time that is not a time, as a download brings it: the order is
    listed with no due time (it was an unexpected ValueError before domain/times.parse_time)."""
    from picker_app.wire import Change, ChangesPage, OrderLineWire, OrderWire

    app = app_for(rig, sync=False)
    async with app.run_test(size=(40, 20)) as pilot:
        await pilot.press(*"BD4101", "enter", *"7051", "enter")
        await pilot.pause()
        order = OrderWire(id="OR99999999", promised_at="soon", state="confirmed",
                          lines=[OrderLineWire(line_no=1, sku="SKU-000001", qty=1)])  # fmt: skip
        cursor = (rig.store.cursor() or 0) + 1
        rig.store.apply_changes(
            ChangesPage(changes=[Change(seq=cursor, order=order)], next_cursor=cursor, more=False)
        )
        await pilot.press("f5")
        await pilot.pause()
        assert isinstance(app.screen, QueueScreen) and not message(app).startswith("Something")
        entries = app.screen.service.queue(limit=50)
        (odd,) = [e for e in entries if e.order.id == "OR99999999"]
        assert odd.order.promised_at is None
