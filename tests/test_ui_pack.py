"""The packer's mode (issue 13) through the pilot, against the real backend on loopback: log in
as a packer, the tote a picker closed waits on the list, scanning it opens its check, a wrong
item is refused (red, bell) and counted nowhere, the last unit packs the order and the pass is
in the outbox; snapshots at the handheld and kiosk sizes."""

from __future__ import annotations

import json

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
    app = make_app(rig.store, {"U113": "8033"}, rig.layout, sync_client=rig.client,
                   options=AppOptions(sync_interval_s=0.2), clock=rig.clock)  # fmt: skip
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
        await pack_everything(pilot, app, rig)
        assert f"{order} packed" in message(app)
        assert tote not in str(app.screen.query_one("#totes").render())
        await wait_for(pilot, lambda: "Labels: 1 saved as" in labels(app))  # no printer: PNG

        def backend_state() -> str:
            return rig.backend.conn.execute(
                "SELECT state FROM orders WHERE id = ?", (order,)
            ).fetchone()[0]

        await wait_for(pilot, lambda: backend_state() == "packed")  # synced by the app
    events = [
        (t, json.loads(p), u)
        for t, p, u in rig.store.conn.execute("SELECT type, payload, user FROM outbox")
    ]
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


def labels(app) -> str:  # type: ignore[no-untyped-def]
    return str(app.screen.query_one("#labels").render())


async def pack_everything(pilot, app, rig) -> None:  # type: ignore[no-untyped-def]
    check = app.screen
    assert isinstance(check, CheckScreen)
    for line in list(check.job.qc.order.lines):
        for _ in range(line.units):
            await pilot.press(*gtin_of(rig.store, line.sku), "enter")
            await pilot.pause()
    await wait_for(pilot, lambda: isinstance(app.screen, WaitingScreen))


async def test_a_printer_that_is_off_keeps_the_labels_and_f7_prints_them(rig):
    from tests.test_printer import FakePrinter, free_port

    _, tote, _ = picked_order(rig)
    port = free_port()
    app = make_app(rig.store, {"U113": "8033"}, rig.layout, clock=rig.clock,
                   options=AppOptions(printer=f"tcp://127.0.0.1:{port}"))  # fmt: skip
    async with app.run_test(size=(40, 20)) as pilot:
        await login_packer(pilot)
        await pilot.press(*tote, "enter")
        await pilot.pause()
        await pack_everything(pilot, app, rig)
        await wait_for(pilot, lambda: "press F7 to retry" in labels(app))
        assert app.screen.query_one("#labels").has_class("error")
        assert "packed" in message(app)  # what the check said stays
        printer = FakePrinter(port=port)
        try:
            await pilot.press("f7")
            await wait_for(pilot, lambda: "printed" in labels(app))
            assert printer.jobs.get(timeout=2).startswith(b"^XA")
        finally:
            printer.close()
    assert [e.type for e in rig.store.pending()].count("label_printed") >= 1


async def test_the_rider_scans_a_badge_then_every_bag(rig):
    order, tote, _ = picked_order(rig)
    app = app_for(rig)
    async with app.run_test(size=(40, 20)) as pilot:
        await login_packer(pilot)
        await pilot.press(*tote, "enter")
        await pilot.pause()
        bags = app.screen.service.bag_ids(app.screen.job)  # type: ignore[attr-defined]
        await pack_everything(pilot, app, rig)
        assert "1 for riders" in str(app.screen.query_one("#who").render())
        await pilot.press("f6")
        await pilot.pause()
        assert "BD4119" in str(app.screen.query_one("#orders").render())  # demo riders listed
        await pilot.press(*bags[0], "enter")
        await pilot.pause()
        assert "badge first" in message(app)
        await pilot.press(*"BD4119", "enter")
        await pilot.pause()
        await pilot.press(*"BG9999999901", "enter")
        await pilot.pause()
        assert "not a bag packed here" in message(app)
        assert app.screen.query_one("#message").has_class("error")
        for code in bags:
            await pilot.press(*code, "enter")
            await pilot.pause()
        assert f"{order} handed to Imran Pasha" in message(app)
    dispatched = [e.payload for e in rig.store.pending() if e.type == "order_dispatched"]
    assert dispatched == [
        {"order": order, "rider": "U119", "bags": len(bags), "bag_ids": bags, "dwell_s": 0,
         "cold_late": []}
    ]  # fmt: skip


async def test_a_short_line_needs_a_leads_badge_and_pin_on_the_packers_device(rig):
    from picker_app.ui.screens.packer.approval import ApprovalDialog

    order, tote, _ = picked_order(rig)
    app = app_for(rig)
    async with app.run_test(size=(40, 20)) as pilot:
        await login_packer(pilot)
        await pilot.press(*tote, "enter")
        await pilot.pause()
        check = app.screen
        lines = list(check.job.qc.order.lines)
        for line in lines[:-1]:  # the last line is missing from the tote
            for _ in range(line.units):
                await pilot.press(*gtin_of(rig.store, line.sku), "enter")
                await pilot.pause()
        missing = lines[-1]
        await pilot.press("f2")
        await pilot.pause()
        assert isinstance(app.screen, ApprovalDialog)
        await pilot.press(*"BD4114", "enter", *"6494", "enter")  # another packer: refused
        await pilot.pause()
        assert "a lead must approve" in str(app.screen.query_one("#problem").render())
        await pilot.press(*"BD4117", "enter", *"0000", "enter")  # the lead, a wrong PIN
        await pilot.pause()
        assert "Wrong PIN" in str(app.screen.query_one("#problem").render())
        await pilot.press(*"573605", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, WaitingScreen))
        assert f"{order} packed" in message(app)
    events = [(e.type, e.payload, e.user) for e in rig.store.pending()]
    shorts = [(p, u) for t, p, u in events if t == "pick_shorted"]
    assert shorts == [({"order": order, "line": missing.line_no, "sku": missing.sku,
                        "qty": float(missing.units)}, "U117")]  # fmt: skip
    (qc,) = [p for t, p, _ in events if t == "qc_completed"]
    assert [(d["kind"], d["line"]) for d in qc["discrepancies"]] == [
        ("short_approved", missing.line_no)
    ]


async def test_f3_sends_a_missing_line_back_and_it_comes_first_in_the_pickers_queue(rig):
    from picker_app.ui.screens.picker.queue import QueueScreen

    order, tote, _ = picked_order(rig)
    app = app_for(rig)
    async with app.run_test(size=(40, 20)) as pilot:
        await login_packer(pilot)
        await pilot.press(*tote, "enter")
        await pilot.pause()
        lines = list(app.screen.job.qc.order.lines)  # type: ignore[attr-defined]
        for line in lines[:-1]:
            for _ in range(line.units):
                await pilot.press(*gtin_of(rig.store, line.sku), "enter")
                await pilot.pause()
        await pilot.press("f3")
        await wait_for(pilot, lambda: isinstance(app.screen, WaitingScreen))
        assert "sent back to picking" in message(app)
        assert "waits re-pick" in str(app.screen.query_one("#totes").render())
        await pilot.press("f10")
        await pilot.pause()
        await pilot.press(*"BD4101", "enter", *"7051", "enter")
        await pilot.pause()
        assert isinstance(app.screen, QueueScreen)
        first = str(app.screen.query_one("#orders").render()).splitlines()[0]
        assert order in first and "RE-PICK" in first
    types = [e.type for e in rig.store.pending()]
    assert types.count("line_repick_requested") == 1 and "qc_completed" in types


async def test_with_a_scale_each_unit_counts_once_it_weighs_right(rig):
    from picker_app.scale.sim import ScaleSim

    order, tote, _ = picked_order(rig)
    sim = ScaleSim(grams=0).start()
    try:
        app = make_app(rig.store, {"U113": "8033"}, rig.layout, clock=rig.clock,
                       options=AppOptions(scale=sim.path))  # fmt: skip
        async with app.run_test(size=(100, 30)) as pilot:
            await login_packer(pilot)
            await pilot.press(*tote, "enter")
            await pilot.pause()
            check = app.screen
            assert isinstance(check, CheckScreen)

            def scale_says() -> str:
                return str(check.query_one("#scale").render())

            sim.set_grams(40)  # the empty bag
            await wait_for(pilot, lambda: "40 g" in scale_says())
            lines = [ln for ln in check.job.qc.order.lines if ln.weight_g]
            first, second = lines[0], lines[1]
            await pilot.press(*gtin_of(rig.store, first.sku), "enter")
            await wait_for(pilot, lambda: "put it on the scale" in message(app))
            sim.unstable(5)  # moving readings first: nothing is judged on them
            sim.add(first.weight_g)  # its catalog weight: OK
            await wait_for(pilot, lambda: "Scale:" in scale_says() and not check.unweighed)
            assert check.job.qc.scanned(first) == 1
            # The next scan, then something much heavier on the scale: not counted.
            await pilot.press(*gtin_of(rig.store, second.sku), "enter")
            await pilot.pause()
            sim.add(second.weight_g + 400)
            await wait_for(pilot, lambda: "Not counted" in message(app))
            assert check.job.qc.scanned(second) == 0
            assert rig.store.conn.execute(
                "SELECT COUNT(*) FROM qc_scan WHERE order_id = ? AND line_no = ?",
                (order, second.line_no),
            ).fetchone() == (0,)
            # Taking something off the bag is noticed.
            sim.add(-(second.weight_g + 400) - first.weight_g)
            await wait_for(pilot, lambda: "taken off the scale" in scale_says())
    finally:
        sim.stop()


@pytest.mark.parametrize("size", SIZES)
def test_handover_snapshot(snap_compare, rig, size):
    _, tote, _ = picked_order(rig)
    app = app_for(rig)

    async def run_before(pilot) -> None:
        await login_packer(pilot)
        await pilot.press(*tote, "enter")
        await pilot.pause()
        await pack_everything(pilot, app, rig)
        await pilot.press("f6")
        await pilot.pause()
        await pilot.press(*"BD4119", "enter")
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run_before)


async def test_an_order_cancelled_during_its_check_is_said_and_left(rig):
    from picker_app.ui.screens.dialogs import NoticeDialog
    from picker_app.wire import Change, ChangesPage, OrderLineWire, OrderWire

    order, tote, _ = picked_order(rig)
    app = app_for(rig)
    async with app.run_test(size=(40, 20)) as pilot:
        await login_packer(pilot)
        await pilot.press(*tote, "enter")
        await pilot.pause()
        first = app.screen.job.qc.order.lines[0]  # type: ignore[attr-defined]
        await pilot.press(*gtin_of(rig.store, first.sku), "enter")
        await pilot.pause()
        cancelled = OrderWire(id=order, state="cancelled",
                              lines=[OrderLineWire(line_no=1, sku=first.sku, qty=1)])  # fmt: skip
        cursor = (rig.store.cursor() or 0) + 1
        rig.store.apply_changes(
            ChangesPage(changes=[Change(seq=cursor, order=cancelled)], next_cursor=cursor,
                        more=False)
        )  # fmt: skip
        await wait_for(
            pilot, lambda: isinstance(app.screen, NoticeDialog) and app.screen.query("#body")
        )
        assert "returns crate" in str(app.screen.query_one("#body").render())
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, WaitingScreen))
        assert "was cancelled" in message(app)
    assert not [e for e in rig.store.pending() if e.type == "qc_completed"]
