"""The route screen: scans through the keyboard-wedge input, saved before shown; snapshots."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from textual.app import App

from picker_app.domain.picking import PickLine, PickSession
from picker_app.domain.routing import RoutePlanner
from picker_app.ui.screens.dialogs import QuantityDialog
from picker_app.ui.screens.picker.pick import PickScreen
from tests.test_picking import ATTA, MILK


def make(demo, saved: list):
    lines = [
        PickLine("OR1", 1, "SKU-1", "Nandini Toned Milk 500 ml", "T06-1", 2,
                 gtins=frozenset({"0" + MILK})),
        PickLine("OR1", 2, "SKU-2", "Aashirvaad Atta 5 kg", "A08-5", 1,
                 gtins=frozenset({"0" + ATTA})),
    ]  # fmt: skip
    route = RoutePlanner(demo).plan([ln.bin for ln in lines])
    cells = {s.bin: s.cell for s in route.stops}
    order = {s.bin: i for i, s in enumerate(route.stops)}
    lines.sort(key=lambda ln: order[ln.bin])
    # A fixed clock: the countdown on the screen must not tick while a snapshot is taken (on a
    # busy CI machine it showed 2:28 left instead of 2:29).
    at = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
    screen = PickScreen(PickSession(lines), demo, cells, save=saved.extend, clock=lambda: at)

    class PickApp(App):
        def on_mount(self) -> None:
            self.push_screen(screen)

    return PickApp(), screen


async def test_scan_bin_then_items_saves_each_pick_and_refuses_wrong_ones(demo):
    saved: list = []
    app, screen = make(demo, saved)
    async with app.run_test(size=(40, 20)) as pilot:
        first = screen.session.current
        await pilot.press(*ATTA if first.sku == "SKU-1" else MILK, "enter")
        await pilot.pause()
        assert "bin label" in str(screen.query_one("#message").render())
        assert saved == []
        await pilot.press(*first.bin, "enter")
        for _ in range(int(first.qty)):
            await pilot.press(*(MILK if first.sku == "SKU-1" else ATTA), "enter")
        await pilot.pause()
        assert [e.type for e in saved] == ["stock_picked"] * int(first.qty)
        assert screen.session.current is not first
        await pilot.press("f2")  # the other item is out of stock: asked how many are there
        await pilot.pause()
        assert "How many are in the bin" in str(app.screen.query_one("#question").render())
        await pilot.press("enter")  # 0, the default
        await pilot.pause()
        assert [e.type for e in saved][-2:] == ["out_of_stock_flagged", "pick_shorted"]
        assert screen.session.finished
        assert "close the tote" in str(screen.query_one("#stop").render())


@pytest.mark.parametrize("size", [(40, 20), (100, 30)])
def test_pick_screen_snapshot(snap_compare, demo, size):
    app, _ = make(demo, [])
    assert snap_compare(app, terminal_size=size)


@pytest.mark.parametrize("size", [(40, 20), (100, 30)])
def test_wrong_bin_snapshot(snap_compare, demo, size):
    app, _ = make(demo, [])
    assert snap_compare(app, terminal_size=size, press=[*"B01-1", "enter"])


async def test_scan_once_and_key_the_quantity(demo):
    saved: list = []
    app, screen = make(demo, saved)
    async with app.run_test(size=(40, 20)) as pilot:
        session = screen.session
        milk = next(ln for ln in session.lines if ln.sku == "SKU-1")
        while session.current is not milk:
            await pilot.press("f3")  # skip to the milk
        await pilot.press(*milk.bin, "enter", "f7")
        await pilot.pause()
        await pilot.press("ctrl+u", "5", "enter")  # more than the order needs: refused as keyed
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, QuantityDialog)
        assert "Only 2 are needed: key 2 or fewer" in str(dialog.query_one("#problem").render())
        assert "Enter: OK" in str(dialog.query_one("#hint").render())
        await pilot.press("ctrl+u", "1", ".", "5", "enter")  # pieces are whole
        await pilot.pause()
        assert "whole number" in str(dialog.query_one("#problem").render())
        assert not [e for e in saved if e.type == "stock_picked"]
        await pilot.press("ctrl+u", "2", "enter")  # the 2 still to pick
        await pilot.pause()
        assert app.screen is screen
        await pilot.press(*MILK, "enter")
        await pilot.pause()
        picks = [e for e in saved if e.type == "stock_picked"]
        assert len(picks) == 1 and picks[0].qty == 2.0
        assert session.is_done(milk)


async def test_a_scan_that_cannot_be_saved_is_not_shown_accepted_and_changes_nothing(demo):
    from picker_app.errors import PickerError

    saved: list = []
    failing = {"on": True}

    def save(events) -> None:
        if failing["on"]:
            raise PickerError("the local database is locked")
        saved.extend(events)

    app, screen = make(demo, saved)
    screen.save = save
    async with app.run_test(size=(40, 20)) as pilot:
        session = screen.session
        line = session.current
        await pilot.press(*line.bin, "enter")
        await pilot.pause()
        message = screen.query_one("#message")
        assert "Not saved" in str(message.render()) and message.has_class("error")
        assert session is screen.session and not session.bin_confirmed
        failing["on"] = False  # the disk is back: the same scan goes through
        await pilot.pause(0.35)  # beyond the double-read window
        await pilot.press(*line.bin, "enter")
        await pilot.pause()
        assert session.bin_confirmed and "confirmed" in str(message.render())


async def test_a_bin_and_an_item_in_one_burst_both_count_and_a_double_read_counts_once(demo):
    from tests.test_scan_input import terminal_burst

    saved: list = []
    app, screen = make(demo, saved)
    async with app.run_test(size=(40, 20)) as pilot:
        session = screen.session
        line = session.current
        code = MILK if line.sku == "SKU-1" else ATTA
        await terminal_burst(app, f"{line.bin}\r{code}\r{code}\r")  # the item read twice
        await pilot.pause(0.3)
        assert [e.type for e in saved] == ["stock_picked"]
        assert session.picked[session.key(line)] == 1
