"""The store lead's mode (issue 14, first slice): a lead logs in to the lead's home, may pick and
pack from there, and sees the heat map of the device's pick history (all, or today's own picks),
read again when a pick is saved; snapshots at the handheld and kiosk sizes."""

from __future__ import annotations

import pytest

from picker_app.bootstrap import AppOptions, make_app
from picker_app.services.heat import HeatService
from picker_app.ui.screens.lead.heat import HeatScreen
from picker_app.ui.screens.lead.home import LeadHome
from picker_app.ui.screens.packer.waiting import WaitingScreen
from picker_app.ui.screens.picker.queue import QueueScreen
from tests.test_pack_service import picked_order

SIZES = [(40, 20), (100, 30)]


def app_for(rig):
    return make_app(rig.store, {"U117": "573605"}, rig.layout, options=AppOptions(),
                    clock=rig.clock)  # fmt: skip


async def login_lead(pilot) -> None:
    await pilot.press(*"BD4117", "enter", *"573605", "enter")
    await pilot.pause()


async def test_a_lead_gets_the_leads_home_and_may_pick_and_pack_from_it(rig):
    app = app_for(rig)
    async with app.run_test(size=(40, 20)) as pilot:
        await login_lead(pilot)
        assert app.current_mode == "lead" and isinstance(app.screen, LeadHome)
        await pilot.press("f3")
        await pilot.pause()
        assert isinstance(app.screen, QueueScreen)
        await pilot.press("f10")
        await pilot.pause()
        await login_lead(pilot)
        await pilot.press("f4")
        await pilot.pause()
        assert isinstance(app.screen, WaitingScreen)


def test_the_heat_of_today_counts_this_devices_own_picks(rig):
    heat = HeatService(rig.store, rig.layout, rig.clock)
    before_all = heat.summary("all")
    assert heat.summary("today").total == 0 and before_all.total > 0  # the backend's history
    order, _, _ = picked_order(rig)  # picked on this device today (the rig's clock)
    lines = rig.store.conn.execute(
        "SELECT COUNT(*) FROM order_line WHERE order_id = ?", (order,)
    ).fetchone()[0]
    today = heat.summary("today")
    assert today.total == lines and sum(today.aisles.values()) == lines
    assert heat.summary("all").total == before_all.total + lines


async def test_the_heat_map_screen_switches_window_and_reads_again_on_a_pick(rig):
    app = app_for(rig)
    async with app.run_test(size=(100, 30)) as pilot:
        await login_lead(pilot)
        await pilot.press("f2")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, HeatScreen)
        assert "all history" in str(screen.query_one("#title").render())
        await pilot.press("f2")
        await pilot.pause()
        assert "today" in str(screen.query_one("#title").render())
        assert "total 0" in str(screen.query_one("#map").render())
        picked_order(rig)  # a picker's saves on this device's cache
        await pilot.pause()
        await pilot.pause()
        assert "total 0" not in str(screen.query_one("#map").render())


@pytest.mark.parametrize("size", SIZES)
def test_heat_map_snapshot(snap_compare, rig, size):
    async def run_before(pilot) -> None:
        await login_lead(pilot)
        await pilot.press("f2")
        await pilot.pause()

    assert snap_compare(app_for(rig), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_lead_home_snapshot(snap_compare, rig, size):
    async def run_before(pilot) -> None:
        await login_lead(pilot)

    assert snap_compare(app_for(rig), terminal_size=size, run_before=run_before)


async def test_the_board_opens_from_the_leads_home_on_a_kiosk_and_q_comes_back(rig):
    from picker_app.ui.screens.lead.board import BoardScreen
    from tests.test_ui_flow import message, wait_for

    app = app_for(rig)
    async with app.run_test(size=(100, 30)) as pilot:
        await login_lead(pilot)
        await pilot.press("f7")
        await wait_for(pilot, lambda: isinstance(app.screen, BoardScreen))
        await wait_for(pilot, lambda: app.screen.renders > 0)
        head = str(app.screen.query_one("#head").render())
        assert "this device's view" in head  # no backend in these parts: the cache's view
        await pilot.press("q")
        await wait_for(pilot, lambda: isinstance(app.screen, LeadHome))
    async with app_for(rig).run_test(size=(40, 20)) as pilot:
        await login_lead(pilot)
        await pilot.press("f7")
        await pilot.pause()
        assert isinstance(pilot.app.screen, LeadHome)
        assert message(pilot.app).startswith("The board needs a screen of 100x30 or more")
