"""Blind counts on the device (issue 14) against the real backend on loopback: a count task the
backend opened reaches the device; the lead scans the bin and each unit (a keyed quantity too),
never shown the book; the count goes to the backend, which opens a recount when it is off; the
same counter's recount is refused there; the scans survive a restart."""

from __future__ import annotations

import uuid

import pytest

from picker_app.bootstrap import AppOptions, make_app
from picker_app.domain.scan import interpret
from picker_app.errors import UserError
from picker_app.services.counting import CountService
from picker_app.ui.screens.lead.counts import CountListScreen, CountScreen
from picker_app.wire import EventBatch, WireEvent
from tests.appkit import STORE
from tests.test_pack_service import floor as two_devices  # noqa: F401 - a fixture
from tests.test_pack_service import gtin_of
from tests.test_ui_flow import message, wait_for


def flag_on_another_device(rig, stock_on_hand: float = 12) -> tuple[str, str]:
    """A picker's device flags a bin out of stock (the backend opens a count task); the book is
    then set to `stock_on_hand` as if goods came in."""
    bin_, sku = rig.backend.conn.execute(
        "SELECT bin, sku FROM stock WHERE store = ? AND on_hand > 3 ORDER BY bin LIMIT 1", (STORE,)
    ).fetchone()
    event = WireEvent(event_id=str(uuid.uuid4()), device="other-1", seq=1,
                      type="out_of_stock_flagged", created_at="2026-11-25T10:00:00+00:00",
                      payload={"bin": bin_, "sku": sku})  # fmt: skip
    rig.backend.apply_batch(STORE, EventBatch(device="other-1", batch_id="b1", events=[event]))
    rig.backend.conn.execute(
        "UPDATE stock SET on_hand = ? WHERE store = ? AND bin = ? AND sku = ?",
        (stock_on_hand, STORE, bin_, sku),
    )
    rig.client.sync_once()
    return bin_, sku


def test_a_count_is_kept_scan_by_scan_and_the_backend_asks_someone_else_to_recount(rig):
    bin_, sku = flag_on_another_device(rig)
    counting = CountService(rig.store, rig.layout, rig.clock)
    (task,) = counting.open_tasks()
    assert task.bin == bin_ and task.sku == sku
    assert counting.task_for_bin(interpret(bin_)) == task
    code = gtin_of(rig.store, sku)
    for _ in range(3):
        counting.scan(task, interpret(code), "U117")
    assert counting.scan(task, interpret(code), "U117", qty=4) == 7
    other = rig.store.conn.execute(
        "SELECT sku FROM sku_barcode WHERE sku != ? LIMIT 1", (sku,)
    ).fetchone()[0]
    with pytest.raises(UserError, match="put it aside"):
        counting.scan(task, interpret(gtin_of(rig.store, other)), "U117")
    # A restart: the count so far is kept.
    assert CountService(rig.store, rig.layout, rig.clock).counted(task, "U117") == 7
    event = counting.submit(task, "U117")
    assert (event.counted, event.counter, event.done) == (7, "U117", True)
    rig.client.sync_once()
    state = rig.backend.conn.execute(
        "SELECT state, counted FROM count_tasks WHERE store = ? AND id = ?", (STORE, task.id)
    ).fetchone()
    assert state == ("submitted", 7)  # 7 against a book of 12: off by more than any class
    rig.client.sync_once()
    (recount,) = counting.open_tasks()
    assert recount.recount_of == task.id and recount.bin == bin_
    counting.scan(recount, interpret(code), "U117", qty=7)
    counting.submit(recount, "U117")  # the same person: the backend refuses it
    rig.client.sync_once()
    reason = rig.backend.conn.execute(
        "SELECT reason FROM events WHERE store = ? AND type = 'count_submitted'"
        " AND status = 'rejected'", (STORE,),
    ).fetchone()
    assert reason and "must be done by someone else" in reason[0]


async def test_the_lead_counts_a_bin_blind_on_the_screen(rig):
    bin_, sku = flag_on_another_device(rig, stock_on_hand=31)
    app = make_app(rig.store, {"U117": "573605"}, rig.layout, options=AppOptions(),
                   clock=rig.clock)  # fmt: skip
    async with app.run_test(size=(40, 20)) as pilot:
        await pilot.press(*"BD4117", "enter", *"573605", "enter")
        await pilot.pause()
        await pilot.press("f5")
        await pilot.pause()
        assert isinstance(app.screen, CountListScreen)
        assert bin_ in str(app.screen.query_one("#body").render())
        await pilot.press(*bin_, "enter")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, CountScreen)
        code = gtin_of(rig.store, sku)
        for _ in range(2):
            await pilot.press(*code, "enter")
            await pilot.pause()
        await pilot.press("f7")
        await pilot.pause()
        await pilot.press(*"3", "enter")
        await pilot.pause()
        await pilot.press(*code, "enter")
        await pilot.pause()
        shown = str(screen.query_one("#body").render())
        assert "You counted: 5" in shown and "31" not in shown  # blind: the book is not shown
        await pilot.press("f9")
        await wait_for(pilot, lambda: isinstance(app.screen, CountListScreen))
        assert f"Bin {bin_}: 5 counted, sent" in message(app)
    (event,) = [e for e in rig.store.pending() if e.type == "count_submitted"]
    assert event.payload["counted"] == 5 and event.user == "U117"


@pytest.mark.parametrize("size", [(40, 20), (100, 30)])
def test_count_screen_snapshot(snap_compare, rig, size):
    bin_, sku = flag_on_another_device(rig)
    app = make_app(rig.store, {"U117": "573605"}, rig.layout, options=AppOptions(),
                   clock=rig.clock)  # fmt: skip

    async def run_before(pilot) -> None:
        await pilot.press(*"BD4117", "enter", *"573605", "enter")
        await pilot.pause()
        await pilot.press("f5")
        await pilot.pause()
        await pilot.press(*bin_, "enter")
        await pilot.pause()
        await pilot.press(*gtin_of(rig.store, sku), "enter")
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("took_counted", [False, True])
def test_a_pick_on_another_device_while_the_bin_is_counted_is_no_variance(
    two_devices, took_counted  # noqa: F811 - the fixture imported above
):
    """The lead counts a bin on the packing station while the picker's handheld picks a line of
    it: units not scanned yet (the count is what is left) or units already scanned (the count
    is the whole book). Either way the backend holds the count against the bin as it was
    while counted, opens no recount, and the approved count leaves the stock as the pick left
    it. Real clocks on both devices, each step after the last."""
    import time

    from picker_app.parts import now
    from picker_app.services.picking import PickService
    from tests.test_pack_service import PICKER
    from tests.test_pick_service import item_code, plain_orders, save

    rig, station, client = two_devices
    picking = PickService(rig.store, rig.layout, rig.clock)
    (order,) = plain_orders(rig.store, 1, min_lines=1)
    task = picking.start(PICKER, {order: "TT000077"})
    line = task.session.current
    book = line.qty + 5
    event = WireEvent(event_id=str(uuid.uuid4()), device="other-1", seq=1,
                      type="out_of_stock_flagged", created_at="2026-11-25T10:00:00+00:00",
                      payload={"bin": line.bin, "sku": line.sku})  # fmt: skip
    rig.backend.apply_batch(STORE, EventBatch(device="other-1", batch_id="b1", events=[event]))
    rig.backend.conn.execute(
        "UPDATE stock SET on_hand = ? WHERE store = ? AND bin = ? AND sku = ?",
        (book, STORE, line.bin, line.sku),
    )
    client.sync_once()
    counting = CountService(station, rig.layout, now)
    (count_task,) = [t for t in counting.open_tasks() if t.bin == line.bin]
    code = gtin_of(station, line.sku)
    for _ in range(3):  # three units scanned before the picker comes
        counting.scan(count_task, interpret(code), "U117")
        time.sleep(0.01)
    save(picking, task, task.session.scan(interpret(line.bin)))
    save(picking, task, task.session.scan(interpret(item_code(line)), units=int(line.qty)))
    rig.client.sync_once()  # the pick reaches the backend in the middle of the count
    time.sleep(0.01)
    left = book - 3 - (0 if took_counted else line.qty)  # what is still to be scanned
    counting.scan(count_task, interpret(code), "U117", qty=left)
    counting.submit(count_task, "U117")
    client.sync_once()
    expected, counted, recounts = rig.backend.conn.execute(
        "SELECT expected, counted, (SELECT COUNT(*) FROM count_tasks r WHERE r.store = t.store"
        " AND r.recount_of = t.id) FROM count_tasks t WHERE store = ? AND id = ?",
        (STORE, count_task.id),
    ).fetchone()
    assert (counted, recounts) == (book if took_counted else book - line.qty, 0)
    assert expected == counted  # between the book before the pick and after it: no variance
    approve = WireEvent(event_id=str(uuid.uuid4()), device="other-1", seq=2, user="U117",
                        type="count_approved", created_at=now().isoformat(),
                        payload={"task": count_task.id})  # fmt: skip
    result = rig.backend.apply_batch(
        STORE, EventBatch(device="other-1", batch_id="b2", events=[approve])
    )
    assert result.results[0].status == "applied", result.results[0].reason
    on_hand = rig.backend.conn.execute(
        "SELECT on_hand FROM stock WHERE store = ? AND bin = ? AND sku = ?",
        (STORE, line.bin, line.sku),
    ).fetchone()[0]
    assert on_hand == book - line.qty
