"""The wedge-scanner input in a Textual app, driven by the pilot with a controlled clock."""

from __future__ import annotations

from textual.app import App, ComposeResult

from picker_app.ui.widgets.scan_input import ScanInput


class Clock:
    """Each reading is `step` seconds after the last."""

    def __init__(self, step: float) -> None:
        self.t = 100.0
        self.step = step

    def __call__(self) -> float:
        self.t += self.step
        return self.t


class ScanApp(App):
    def __init__(self, clock: Clock) -> None:
        super().__init__()
        self.clock = clock
        self.scans: list[tuple[str, str]] = []

    def compose(self) -> ComposeResult:
        yield ScanInput(clock=self.clock)

    def on_scan_input_scanned(self, message: ScanInput.Scanned) -> None:
        self.scans.append((message.text, message.source))


async def test_a_scanner_burst_is_a_scan():
    app = ScanApp(Clock(0.004))
    async with app.run_test(size=(40, 20)) as pilot:
        await pilot.press(*"8901063010000", "enter")
        await pilot.pause()
        assert app.scans == [("8901063010000", "scanned")]
        assert app.query_one(ScanInput).value == ""


async def test_a_code_typed_by_hand_is_accepted_and_marked_keyed():
    app = ScanApp(Clock(0.25))
    async with app.run_test(size=(40, 20)) as pilot:
        await pilot.press(*"a7-2", "enter")
        await pilot.pause()
        assert app.scans == [("a7-2", "keyed")]


async def test_an_edited_line_is_keyed_even_when_fast():
    app = ScanApp(Clock(0.003))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press(*"89010630100009", "backspace", "enter")
        await pilot.pause()
        assert app.scans == [("8901063010000", "keyed")]


async def test_enter_on_an_empty_line_posts_nothing():
    app = ScanApp(Clock(0.004))
    async with app.run_test() as pilot:
        await pilot.press("enter", "space", "enter")
        await pilot.pause()
        assert app.scans == []


async def terminal_burst(app: App, data: str) -> None:
    """Bytes as a terminal delivers one read of them: every key queued at once (as Textual's
    driver does from its input thread), none waiting for the one before to be handled."""
    from textual import events
    from textual.keys import _character_to_key

    for ch in data:
        key = "enter" if ch == "\r" else ch if ch.isalnum() else _character_to_key(ch)
        app._driver.send_message(events.Key(key, ch))


async def test_two_codes_in_one_burst_are_two_scans():
    """A bin label and an item in one read (a fast wedge scanner, or a double read)."""
    app = ScanApp(Clock(0.002))
    async with app.run_test(size=(40, 20)) as pilot:
        await terminal_burst(app, "A07-2\r8901063010000\r")
        await pilot.pause(0.2)
        assert [text for text, _ in app.scans] == ["A07-2", "8901063010000"]
