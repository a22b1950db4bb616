"""Snapshots of the picker's screens against the seeded demo store, at the handheld (40x20) and
kiosk (100x30) sizes, with a fixed clock and seed: route, an exception, the finish."""

from __future__ import annotations

import pytest

from picker_app.bootstrap import AppOptions, make_app
from tests.appkit import item_code, pick_task

SIZES = [(40, 20), (100, 30)]


def app_for(rig):
    return make_app(
        rig.store, {"U101": "7051"}, rig.layout, options=AppOptions(), clock=rig.clock
    )


async def to_route(pilot) -> None:
    await pilot.press(*"BD4101", "enter", *"7051", "enter")
    await pilot.pause()
    await pilot.press("enter", *"TT000001", "enter")
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES)
def test_queue_snapshot(snap_compare, rig, size):
    async def run_before(pilot) -> None:
        await pilot.press(*"BD4101", "enter", *"7051", "enter")
        await pilot.pause()

    assert snap_compare(app_for(rig), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_route_snapshot_after_the_first_bin(snap_compare, rig, size):
    app = app_for(rig)

    async def run_before(pilot) -> None:
        await to_route(pilot)
        rig.clock.advance(40)
        await pilot.press(*pick_task(app).session.current.bin, "enter")
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("key", ["f5", "f2"], ids=["substitution", "short_pick"])
def test_exception_snapshot(snap_compare, rig, key, size):
    """The question an exception key asks: F5 the substitutes, F2 how many are in the bin."""

    async def run_before(pilot) -> None:
        await to_route(pilot)
        await pilot.press(key)
        await pilot.pause()

    assert snap_compare(app_for(rig), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_finish_snapshot(snap_compare, rig, size):
    app = app_for(rig)

    async def run_before(pilot) -> None:
        await to_route(pilot)
        session = pick_task(app).session
        while session.current is not None:
            line = session.current
            rig.clock.advance(25)
            await pilot.press(*line.bin, "enter")
            for _ in range(1 if line.unit == "kg" else int(line.qty)):
                await pilot.press(*item_code(line), "enter")
                await pilot.pause(0.35)
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run_before)


def test_batch_route_snapshot_at_40x20(snap_compare, rig):
    """A batch of two on a handheld: the countdown in the header, the totes shortened first."""

    async def run_before(pilot) -> None:
        await pilot.press(*"BD4101", "enter", *"7051", "enter")
        await pilot.pause()
        await pilot.press("2", "enter", *"TT000001", "enter", *"TT000002", "enter")
        await pilot.pause()

    assert snap_compare(app_for(rig), terminal_size=(40, 20), run_before=run_before)


def test_lost_scanner_snapshot_at_40x20(snap_compare, rig, tmp_path):
    """The serial scanner is unplugged: DISCONNECTED in the header, the rest shortened."""
    from picker_app.scanner.serial_reader import SerialSettings

    app = make_app(
        rig.store, {"U101": "7051"}, rig.layout, options=AppOptions(), clock=rig.clock,
        scanner=SerialSettings(str(tmp_path / "ttyUnplugged")),
    )  # fmt: skip

    async def run_before(pilot) -> None:
        while app.status_values["scanner"] != "DISCONNECTED":
            await pilot.pause(0.05)
        await to_route(pilot)

    assert snap_compare(app, terminal_size=(40, 20), run_before=run_before)
