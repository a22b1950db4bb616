"""Where count tasks come from (issue 14), besides out-of-stock flags: a schedule by velocity
class (A weekly, B monthly, C quarterly; spread over the interval, idempotent), a pick that
empties a bin by the book (zero-confirm: is it really empty?), and a store lead asking for a
bin, a bay, an aisle or a product's bin (on the device, then at the backend)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from picker_app.backend.count_schedule import open_due_counts
from picker_app.domain.counting import counts_due
from picker_app.domain.scan import interpret
from picker_app.errors import UserError
from picker_app.services.counting import CountService
from tests.appkit import STORE
from tests.test_backend_effects import one, send
from tests.test_pack_service import gtin_of

T0 = datetime(2026, 11, 1, tzinfo=UTC)


def test_products_never_counted_come_due_spread_over_their_interval():
    classes = {f"S{i:03d}": "A" for i in range(200)}
    due_by_day = [len(counts_due(classes, {}, T0, T0 + timedelta(days=d))) for d in range(8)]
    assert due_by_day[0] == 0 and due_by_day[7] == 200  # all within one interval
    assert all(a <= b for a, b in zip(due_by_day, due_by_day[1:], strict=False))
    assert 10 < due_by_day[1] < 50 and 80 < due_by_day[4] < 140  # about 1/7 a day


def test_a_product_counted_within_its_interval_is_not_due():
    classes = {"MILK": "A", "RICE": "B", "SALT": "C"}
    now = T0 + timedelta(days=200)
    last = {"MILK": now - timedelta(days=6), "RICE": now - timedelta(days=31),
            "SALT": now - timedelta(days=89)}  # fmt: skip
    assert counts_due(classes, last, T0, now) == ["RICE"]
    assert counts_due(classes, last, T0, now, every={"A": 5, "B": 40, "C": 80}) == [
        "MILK", "SALT",
    ]  # fmt: skip


def tasks(db, reason):
    return db.conn.execute(
        "SELECT id, bin, sku FROM count_tasks WHERE reason = ? ORDER BY id", (reason,)
    ).fetchall()


def test_the_backend_opens_the_scheduled_counts_once_a_day(db):
    since = datetime.fromisoformat(one(db, "SELECT MIN(at) FROM changes")[0])
    assert open_due_counts(db, STORE, since) == 0  # a store just started: nothing due yet
    products = one(db, "SELECT COUNT(*) FROM catalog WHERE bin IS NOT NULL")[0]
    later = since + timedelta(days=91)  # every class's interval has passed
    assert open_due_counts(db, STORE, later) == products
    assert open_due_counts(db, STORE, later + timedelta(hours=1)) == 0  # open already
    ids = [r[0] for r in tasks(db, "cycle")]
    assert len(ids) == products and ids[0].startswith(f"CY-{later:%Y%m%d}-")


def test_a_count_done_keeps_a_product_off_the_schedule(db):
    since = datetime.fromisoformat(one(db, "SELECT MIN(at) FROM changes")[0])
    later = since + timedelta(days=91)
    open_due_counts(db, STORE, later)
    task, bin_, sku = tasks(db, "cycle")[0]
    send(db, "count_submitted", {"task": task, "counted": 0, "counter": "U117"}, user="U117")
    db.conn.execute("UPDATE count_tasks SET state = 'approved' WHERE id = ?", (task,))
    db.conn.execute("UPDATE count_entries SET at = ? WHERE task_id = ?",
                    (later.isoformat(), task))  # fmt: skip
    db.conn.execute("DELETE FROM count_tasks WHERE id != ?", (task,))
    opened = open_due_counts(db, STORE, later + timedelta(days=1))
    assert opened > 0 and sku not in {r[2] for r in tasks(db, "cycle") if r[0] != task}


def test_a_pick_that_empties_a_bin_opens_a_zero_confirm_count_once(db):
    bin_, sku, on_hand = one(db, "SELECT bin, sku, on_hand FROM stock WHERE on_hand >= 3"
                                 " ORDER BY bin LIMIT 1")  # fmt: skip
    send(db, "stock_picked", {"bin": bin_, "sku": sku, "qty": on_hand - 1})
    assert tasks(db, "zero_confirm") == []  # one left
    send(db, "stock_picked", {"bin": bin_, "sku": sku, "qty": 1})
    (found,) = tasks(db, "zero_confirm")
    assert found[1:] == (bin_, sku)
    send(db, "stock_returned", {"bin": bin_, "sku": sku, "qty": 1})
    send(db, "stock_picked", {"bin": bin_, "sku": sku, "qty": 1})  # empty again, still open
    assert len(tasks(db, "zero_confirm")) == 1


def test_a_lead_asks_for_counts_of_bins_and_a_picker_may_not(db):
    bins = [r[0] for r in db.conn.execute("SELECT DISTINCT bin FROM stock ORDER BY bin LIMIT 3")]
    picker, _ = send(db, "count_requested", {"bins": bins}, user="U101")
    assert picker.status == "rejected" and "only a store lead may ask for counts" in picker.reason
    unknown, _ = send(db, "count_requested", {"bins": ["Z99-9"]}, user="U117")
    assert unknown.status == "rejected" and "Z99-9" in unknown.reason
    ok, _ = send(db, "count_requested", {"bins": bins}, user="U117")
    assert ok.status == "applied"
    in_bins = db.conn.execute(
        f"SELECT COUNT(*) FROM stock WHERE bin IN ({','.join('?' * len(bins))})", bins
    ).fetchone()[0]
    assert len(tasks(db, "lead")) == in_bins
    send(db, "count_requested", {"bins": bins}, user="U117")  # asked again: open already
    assert len(tasks(db, "lead")) == in_bins


LEAD = {"id": "U117", "name": "Lead", "role": "lead"}


def asked(rig) -> list[str]:
    return [b for e in rig.store.pending() if e.type == "count_requested"
            for b in e.payload["bins"]]  # fmt: skip


def test_the_lead_asks_on_the_device_by_aisle_bay_bin_or_product(rig):
    counting = CountService(rig.store, rig.layout, rig.clock)
    slotted = sorted({r[0] for r in rig.store.conn.execute("SELECT bin FROM sku WHERE bin != ''")})
    aisle_a = [b for b in slotted if b[0] == "A" and b[1].isdigit()]
    said = counting.ask("a", LEAD)
    assert said == f"Asked for counts of aisle A ({len(aisle_a)} bins): they open here once the" \
        " backend has them."
    assert asked(rig) == aisle_a
    bay = aisle_a[0].split("-")[0]
    counting.ask(bay, LEAD)
    assert asked(rig)[len(aisle_a):] == [b for b in aisle_a if b.startswith(bay + "-")]
    (sku,) = rig.store.conn.execute(
        "SELECT sku FROM sku WHERE bin = ?", (slotted[-1],)
    ).fetchone()
    counting.ask(gtin_of(rig.store, sku), LEAD)
    assert asked(rig)[-1] == slotted[-1]
    counting.ask(slotted[0], LEAD)
    assert asked(rig)[-1] == slotted[0]
    with pytest.raises(UserError, match="Only a store lead"):
        counting.ask("A", {"id": "U101", "name": "P", "role": "picker"})
    with pytest.raises(UserError, match="Scan or key a bin"):
        counting.ask("hello!", LEAD)
    every_bin = set(asked(rig))
    assert every_bin == set(aisle_a) | {slotted[-1], slotted[0]}
    rig.client.sync_once()
    opened = {r[0] for r in rig.backend.conn.execute(
        "SELECT bin FROM count_tasks WHERE store = ? AND reason = 'lead'", (STORE,)
    )}  # fmt: skip
    assert opened == every_bin
    rig.client.sync_once()
    assert {t.bin for t in counting.open_tasks()} == every_bin
    assert interpret(slotted[0]).kind == "bin"


async def test_f2_on_the_count_list_asks_for_the_counts_of_an_aisle(rig):
    from picker_app.bootstrap import AppOptions, make_app
    from picker_app.ui.screens.lead.counts import CountListScreen
    from tests.test_ui_flow import message, wait_for

    app = make_app(rig.store, {"U117": "573605"}, rig.layout, options=AppOptions(),
                   clock=rig.clock)  # fmt: skip
    async with app.run_test(size=(40, 20)) as pilot:
        await pilot.press(*"BD4117", "enter", *"573605", "enter")
        await pilot.pause()
        await pilot.press("f5")
        await wait_for(pilot, lambda: isinstance(app.screen, CountListScreen))
        await pilot.press("f2")
        await pilot.pause()
        assert message(app).startswith("What to count?")
        await pilot.press(*"Q9Q", "enter")  # not a bin, bay or aisle: still asking
        await pilot.pause()
        assert message(app).startswith("Scan or key a bin")
        await pilot.press("a", "enter")
        await wait_for(pilot, lambda: message(app).startswith("Asked for counts of aisle A"))
        await pilot.press("f2", "escape")  # Esc while asking: never mind, the list stays
        await pilot.pause()
        assert isinstance(app.screen, CountListScreen)
        assert message(app) == "Scan the bin of a count, or Enter for the first."
    assert asked(rig) and all(b.startswith("A") for b in asked(rig))


async def test_a_lead_lets_a_picker_count_and_the_picker_counts_from_the_queue(rig):
    from picker_app.bootstrap import AppOptions, make_app
    from picker_app.ui.screens.lead.counts import CountListScreen
    from picker_app.ui.screens.picker.queue import QueueScreen
    from tests.test_counts_ui import flag_on_another_device
    from tests.test_ui_flow import message, wait_for

    flag_on_another_device(rig)
    app = make_app(rig.store, {"U117": "573605", "U101": "7051"}, rig.layout,
                   options=AppOptions(), clock=rig.clock)  # fmt: skip
    async with app.run_test(size=(40, 20)) as pilot:
        await pilot.press(*"BD4101", "enter", *"7051", "enter")  # a picker, not let count yet
        await wait_for(pilot, lambda: isinstance(app.screen, QueueScreen))
        await pilot.press("f8")
        await pilot.pause()
        assert message(app) == "Counts are for leads and those a lead lets count: ask your lead."
        await pilot.press("f10")
        await pilot.pause()
        await pilot.press(*"BD4117", "enter", *"573605", "enter")
        await pilot.pause()
        await pilot.press("f5")
        await wait_for(pilot, lambda: isinstance(app.screen, CountListScreen))
        await pilot.press("f3", *"BD4101", "enter")
        await wait_for(pilot, lambda: "may now take counts" in message(app))
        assert message(app) == "Ravi Kumar may now take counts (F8 on the pickers' queue)."
        await pilot.press("escape", "f10")
        await pilot.pause()
        await pilot.press(*"BD4101", "enter", *"7051", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, QueueScreen))
        await pilot.press("f8")
        await wait_for(pilot, lambda: isinstance(app.screen, CountListScreen))
        assert "1 count open" in str(app.screen.query_one("#title").render())
        await pilot.press("f2")  # asking for counts stays the lead's
        await pilot.pause()
        assert message(app) == "Only a store lead may ask for counts."
    (event,) = [e for e in rig.store.pending() if e.type == "count_permission_set"]
    assert event.payload == {"user": "U101", "allowed": True} and event.user == "U117"
    rig.client.sync_once()
    assert rig.backend.conn.execute(
        "SELECT may_count FROM users WHERE store = ? AND id = 'U101'", (STORE,)
    ).fetchone() == (1,)
