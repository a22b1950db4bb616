"""Two packing stations open the check of the same order (its tote waits at packing) and both
finish it, each on its own cache. The backend packs the order once: the first pass to arrive
is applied, the second is refused in a sentence (not a 5xx), and the station whose pass was
refused keeps its event as rejected with that reason and says so to its packer."""

from __future__ import annotations

import pytest

from picker_app.bootstrap import AppOptions, label_output, make_app
from picker_app.domain.scan import interpret
from picker_app.services.packing import PackService
from picker_app.store.db import LocalStore
from picker_app.sync.client import SyncClient, SyncSettings
from picker_app.ui.screens.packer.check import CheckScreen
from picker_app.ui.screens.packer.waiting import WaitingScreen
from tests.appkit import STORE
from tests.test_pack_service import (
    PACKER,
    floor,  # noqa: F401 - a fixture
    gtin_of,
    pack_all,
    picked_order,
)
from tests.test_ui_flow import message, wait_for

OTHER_PACKER = "U114"
REFUSED = "is packed, not picked: it cannot be checked at packing"


@pytest.fixture
def two_stations(floor, tmp_path):  # noqa: F811 - the fixture imported above
    """The floor (a handheld and packing station 1) and a second packing station, all synced;
    one order picked, its tote waiting at packing."""
    rig, station, client = floor
    second = LocalStore.open(tmp_path / "station-2.db", device="packing-2")
    token = rig.backend.add_device(STORE, second.device)
    second_client = SyncClient(second, SyncSettings(rig.server.url, STORE, token))
    second_client.download_changes()
    order, tote, _ = picked_order(rig)
    client.sync_once()
    second_client.sync_once()
    yield rig, (station, client), (second, second_client), order, tote
    second.close()


def check_and_pass(station: LocalStore, rig, tote: str, packer: str, labels) -> PackService:  # type: ignore[no-untyped-def]
    packing = PackService(station, rig.layout, rig.clock, output=label_output(None, labels))
    job = packing.open(packing.order_for(interpret(tote)))
    pack_all(packing, station, job)
    packing.finish(job, packer)
    return packing


def both_pass(two_stations, tmp_path):  # type: ignore[no-untyped-def]
    """Both stations open the check (neither knows of the other), then both pass it and
    print its labels; station 1 syncs first."""
    rig, (one, one_client), (two, two_client), order, tote = two_stations
    first = check_and_pass(one, rig, tote, PACKER, tmp_path / "labels-1")
    second = check_and_pass(two, rig, tote, OTHER_PACKER, tmp_path / "labels-2")
    first.print_queued()
    second.print_queued()
    one_client.sync_once()
    two_client.sync_once()  # no 5xx: this would raise
    one_client.sync_once()
    two_client.sync_once()
    return first, second


def test_the_order_is_packed_once_and_the_second_pass_is_refused_in_a_sentence(
    two_stations, tmp_path
):
    rig, (one, _), (two, _), order, _ = two_stations
    both_pass(two_stations, tmp_path)
    backend = rig.backend.conn
    assert backend.execute(
        "SELECT packer, result FROM qc_results WHERE order_id = ?", (order,)
    ).fetchall() == [(PACKER, "pass")]
    assert backend.execute("SELECT state FROM orders WHERE id = ?", (order,)).fetchone() == (
        "packed",
    )
    passes = backend.execute(
        "SELECT device, status, reason FROM events WHERE type = 'qc_completed' ORDER BY seq"
    ).fetchall()
    assert [(d, s) for d, s, _ in passes] == [("packing-1", "applied"), ("packing-2", "rejected")]
    reason = passes[1][2]
    assert f"Order {order} {REFUSED}" in reason and "\n" not in reason
    # Station 1: everything applied. Station 2: its pass kept as rejected, with the reason.
    assert one.counts()["rejected"] == 0 and one.counts()["pending"] == 0
    (kept,) = two.conn.execute(
        "SELECT o.state, r.reason FROM outbox o JOIN rejected r ON r.event_id = o.event_id"
        " WHERE o.type = 'qc_completed'"
    ).fetchall()
    assert kept == ("rejected", reason)
    assert PackService(two, rig.layout, rig.clock).refused() == [(order, reason)]
    assert PackService(one, rig.layout, rig.clock).refused() == []
    # Both devices now know the order as the backend has it: packed, for a rider.
    for station in (one, two):
        assert [e.order_id for e in PackService(station, rig.layout, rig.clock).packed()] == [order]


def test_only_the_station_that_packed_the_order_has_its_labels_recorded(two_stations, tmp_path):
    rig, _, _, order, _ = two_stations
    both_pass(two_stations, tmp_path)
    devices = rig.backend.conn.execute(
        "SELECT DISTINCT e.device FROM labels l JOIN events e ON e.event_id = l.event_id"
        " WHERE l.order_id = ?",
        (order,),
    ).fetchall()
    assert devices == [("packing-1",)]


async def test_the_station_whose_pass_was_refused_tells_its_packer(two_stations, tmp_path):
    rig, (one, one_client), (two, two_client), order, tote = two_stations
    app = make_app(two, {OTHER_PACKER: "6494"}, rig.layout, sync_client=two_client,
                   options=AppOptions(sync_interval_s=0.2), clock=rig.clock)  # fmt: skip
    async with app.run_test(size=(40, 20)) as pilot:
        await pilot.press(*"BD4114", "enter", *"6494", "enter")
        await pilot.pause()
        assert isinstance(app.screen, WaitingScreen)
        await pilot.press(*tote, "enter")
        await pilot.pause()
        check = app.screen
        assert isinstance(check, CheckScreen)
        # Meanwhile station 1 checks the same tote, passes it, and its pass reaches the backend.
        check_and_pass(one, rig, tote, PACKER, tmp_path / "labels-1")
        one_client.sync_once()
        await pack_everything(pilot, app, rig, two)
        await wait_for(pilot, lambda: two.counts()["rejected"] >= 1)
        await wait_for(pilot, lambda: "not packed here" in message(app))
        said = message(app)
        assert said.startswith(f"{order} not packed here: Order {order} {REFUSED}")
        assert "\n" not in said and app.screen.query_one("#message").has_class("error")
        assert app.is_running and isinstance(app.screen, WaitingScreen)
    assert rig.backend.conn.execute(
        "SELECT packer FROM qc_results WHERE order_id = ?", (order,)
    ).fetchall() == [(PACKER,)]


async def pack_everything(pilot, app, rig, station: LocalStore) -> None:  # type: ignore[no-untyped-def]
    check = app.screen
    assert isinstance(check, CheckScreen)
    for line in list(check.job.qc.order.lines):
        for _ in range(line.units):
            await pilot.press(*gtin_of(station, line.sku), "enter")
            await pilot.pause()
    await wait_for(pilot, lambda: isinstance(app.screen, WaitingScreen))
