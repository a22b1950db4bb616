"""The packer's mode (issue 13) through the pilot, against the real backend on loopback: log in
as a packer, the tote a picker closed waits on the list, scanning it opens its check, a wrong
item is refused (red, bell) and counted nowhere, the last unit packs the order and the pass is
in the outbox; snapshots at the handheld and kiosk sizes."""

from __future__ import annotations

import pytest

from picker_app.bootstrap import AppOptions, make_app
from picker_app.ui.screens.packer.check import CheckScreen
from picker_app.ui.screens.packer.waiting import WaitingScreen
from tests.test_pack_service import gtin_of, picked_order
from tests.test_ui_flow import message, wait_for

SIZES = [(40, 20), (100, 30)]


def app_for(rig):
    return make_app(rig.store, {"U113": "8033"}, rig.layout, options=AppOptions(),
                    clock=rig.clock)  # fmt: skip


async def login_packer(pilot) -> None:
    await pilot.press(*"BD4113", "enter", *"8033", "enter")
    await pilot.pause()


async def test_a_packer_checks_a_tote_and_packs_its_order(rig):
    order, tote, _ = picked_order(rig)
    app = app_for(rig)
    async with app.run_test(size=(40, 20)) as pilot:
        await login_packer(pilot)
        assert app.current_mode == "packer" and isinstance(app.screen, WaitingScreen)
        assert tote in str(app.screen.query_one("#totes").render())
        await pilot.press(*tote, "enter")
        await pilot.pause()
        check = app.screen
        assert isinstance(check, CheckScreen) and check.job.order_id == order
        bells: list[int] = []
        app.bell = lambda: bells.append(1)  # type: ignore[method-assign]
        wrong = rig.store.conn.execute(
            "SELECT sku FROM sku WHERE sku NOT IN (SELECT sku FROM order_line WHERE order_id = ?)"
            " LIMIT 1",
            (order,),
        ).fetchone()[0]
        await pilot.press(*gtin_of(rig.store, wrong), "enter")
        await pilot.pause()
        assert "not in order" in message(app) and bells == [1]
        assert check.query_one("#message").has_class("error")
        assert sum(check.job.qc.scanned(ln) for ln in check.job.qc.order.lines) == 0
        lines = list(check.job.qc.order.lines)
        for line in lines:
            for _ in range(line.units):
                await pilot.press(*gtin_of(rig.store, line.sku), "enter")
                await pilot.pause()
        await wait_for(pilot, lambda: isinstance(app.screen, WaitingScreen))
        assert f"{order} packed" in message(app)
        assert tote not in str(app.screen.query_one("#totes").render())
    events = [(e.type, e.payload, e.user) for e in rig.store.pending()]
    qc = [e for e in events if e[0] == "qc_completed"]
    assert len(qc) == 1 and qc[0][1]["result"] == "pass" and qc[0][2] == "U113"
    assert [d["kind"] for d in qc[0][1]["discrepancies"]] == ["not_in_order"]


async def test_leaving_a_check_keeps_its_scans(rig):
    order, tote, _ = picked_order(rig)
    app = app_for(rig)
    async with app.run_test(size=(100, 30)) as pilot:
        await login_packer(pilot)
        await pilot.press("enter")  # the first tote waiting
        await pilot.pause()
        check = app.screen
        assert isinstance(check, CheckScreen)
        first = check.job.qc.order.lines[0]
        await pilot.press(*gtin_of(rig.store, first.sku), "enter")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, WaitingScreen) and "left for later" in message(app)
        await pilot.press(*tote, "enter")
        await pilot.pause()
        assert app.screen.job.qc.scanned(first) == 1  # type: ignore[attr-defined]


@pytest.mark.parametrize("size", SIZES)
def test_waiting_snapshot(snap_compare, rig, size):
    picked_order(rig)

    async def run_before(pilot) -> None:
        await login_packer(pilot)

    assert snap_compare(app_for(rig), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_check_snapshot_after_one_item(snap_compare, rig, size):
    _, tote, _ = picked_order(rig)
    app = app_for(rig)

    async def run_before(pilot) -> None:
        await login_packer(pilot)
        await pilot.press(*tote, "enter")
        await pilot.pause()
        first = app.screen.job.qc.order.lines[0]  # type: ignore[attr-defined]
        await pilot.press(*gtin_of(rig.store, first.sku), "enter")
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run_before)
