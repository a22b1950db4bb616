"""The lead's decisions on counts (issue 14), against the real backend on loopback: a blind
count off the book beyond its class's tolerance goes to a recount by another person, then to the
lead, who sees counted against the book and approves with a reason; the backend's stock changes
only then. A picker's approval is refused on the device and, sent anyway, by the backend."""

from __future__ import annotations

import threading
import uuid

import pytest

from picker_app.bootstrap import AppOptions, make_app
from picker_app.domain.scan import interpret
from picker_app.errors import UserError
from picker_app.services.count_decisions import CountDecisions
from picker_app.services.counting import CountService
from picker_app.store.db import LocalStore
from picker_app.sync.client import SyncClient, SyncSettings
from picker_app.ui.screens.lead.decisions import DecisionScreen
from picker_app.wire import EventBatch, WireEvent
from tests.appkit import STORE
from tests.test_counts_ui import flag_on_another_device
from tests.test_pack_service import gtin_of
from tests.test_ui_flow import message, wait_for

LEAD = {"id": "U117", "name": "Lead", "role": "lead"}
PICKER = {"id": "U101", "name": "Picker", "role": "picker"}


def backend_stock(rig, bin_, sku) -> float:
    return rig.backend.conn.execute(
        "SELECT on_hand FROM stock WHERE store = ? AND bin = ? AND sku = ?", (STORE, bin_, sku)
    ).fetchone()[0]


def counted_twice(rig, found: float = 7) -> tuple[str, str]:
    """A bin of 12 on the book counted `found` by the lead, then recounted `found` by a picker
    (another person), both sent: the recount waits for a lead's decision."""
    bin_, sku = flag_on_another_device(rig, stock_on_hand=12)
    counting = CountService(rig.store, rig.layout, rig.clock)
    (task,) = counting.open_tasks()
    counting.scan(task, interpret(gtin_of(rig.store, sku)), "U117", qty=found)
    counting.submit(task, "U117")
    rig.client.sync_once()
    rig.client.sync_once()
    (recount,) = counting.open_tasks()
    assert recount.recount_of == task.id
    assert counting.permit("BD4102", LEAD) == (
        "Manjunath Gowda may now take counts (F8 on the pickers' queue)."
    )  # the lead lets a picker count
    counting.scan(recount, interpret(gtin_of(rig.store, sku)), "U102", qty=found)
    counting.submit(recount, "U102")
    rig.client.sync_once()
    rig.client.sync_once()
    return bin_, sku


def test_off_the_book_recounted_then_approved_by_the_lead_changes_the_stock_only_then(rig):
    bin_, sku = counted_twice(rig)
    decisions = CountDecisions(rig.store)
    (item,) = decisions.waiting()
    assert (item.bin, item.counted, item.book, item.off) == (bin_, 7, 12, -5)
    assert item.recount_of is not None
    assert backend_stock(rig, bin_, sku) == 12  # nothing changes before a lead decides
    with pytest.raises(UserError, match="Only a store lead"):
        decisions.decide(item, PICKER, True, "theft")
    with pytest.raises(UserError, match="needs a reason"):
        decisions.decide(item, LEAD, True, None)
    said = decisions.decide(item, LEAD, True, "theft")
    assert said == f"Bin {bin_}: count approved, stock -5 (theft)."
    assert decisions.waiting() == []
    rig.client.sync_once()
    assert backend_stock(rig, bin_, sku) == 7
    states = dict(rig.backend.conn.execute(
        "SELECT id, state FROM count_tasks WHERE store = ? AND bin = ?", (STORE, bin_)
    ).fetchall())  # fmt: skip
    assert sorted(states.values()) == ["approved", "recount approved"]
    rig.client.sync_once()
    assert rig.store.conn.execute(
        "SELECT COUNT(*) FROM count_task WHERE state IN ('open', 'submitted')"
    ).fetchone()[0] == 0


def test_a_pickers_approval_sent_anyway_is_refused_by_the_backend(rig):
    bin_, sku = counted_twice(rig)
    (item,) = CountDecisions(rig.store).waiting()
    event = WireEvent(event_id=str(uuid.uuid4()), device="other-1", seq=5, user="U101",
                      type="count_approved", created_at="2026-11-25T11:00:00+00:00",
                      payload={"task": item.id, "reason": "theft"})  # fmt: skip
    result = rig.backend.apply_batch(
        STORE, EventBatch(device="other-1", batch_id="b9", events=[event])
    ).results[0]
    assert result.status == "rejected" and "only a store lead may approve" in result.reason
    assert backend_stock(rig, bin_, sku) == 12


def test_the_recounter_never_gets_the_book(rig):
    bin_, sku = flag_on_another_device(rig, stock_on_hand=12)
    counting = CountService(rig.store, rig.layout, rig.clock)
    (task,) = counting.open_tasks()
    counting.scan(task, interpret(gtin_of(rig.store, sku)), "U117", qty=7)
    counting.submit(task, "U117")
    rig.client.sync_once()
    rig.client.sync_once()
    books = rig.store.conn.execute("SELECT id, book FROM count_task").fetchall()
    assert all(book is None for _, book in books)  # the first count waits for its recount
    assert CountDecisions(rig.store).waiting() == []


def test_a_rejected_count_leaves_the_stock(rig):
    bin_, sku = counted_twice(rig)
    decisions = CountDecisions(rig.store)
    (item,) = decisions.waiting()
    assert decisions.decide(item, LEAD, False, "miscount") == (
        f"Bin {bin_}: count rejected, the book stays at 12."
    )
    rig.client.sync_once()
    assert backend_stock(rig, bin_, sku) == 12


async def test_the_lead_approves_on_the_screen_with_a_reason(rig):
    bin_, sku = counted_twice(rig)
    app = make_app(rig.store, {"U117": "573605"}, rig.layout, options=AppOptions(),
                   clock=rig.clock)  # fmt: skip
    async with app.run_test(size=(40, 20)) as pilot:
        await pilot.press(*"BD4117", "enter", *"573605", "enter")
        await pilot.pause()
        await pilot.press("f6")
        await wait_for(pilot, lambda: isinstance(app.screen, DecisionScreen))
        body = str(app.screen.query_one("#body").render())
        assert bin_ in body and "recount 7, book 12: 5 missing" in body
        await pilot.press("f9")
        await pilot.pause()
        await pilot.press("3")  # theft
        await wait_for(pilot, lambda: "count approved" in message(app))
        assert message(app) == f"Bin {bin_}: count approved, stock -5 (theft)."
    (event,) = [e for e in rig.store.pending() if e.type == "count_approved"]
    assert event.user == "U117" and event.payload["reason"] == "theft"


@pytest.mark.parametrize("size", [(40, 20), (100, 30)])
def test_decision_screen_snapshot(snap_compare, rig, size):
    counted_twice(rig)
    app = make_app(rig.store, {"U117": "573605"}, rig.layout, options=AppOptions(),
                   clock=rig.clock)  # fmt: skip

    async def run_before(pilot) -> None:
        await pilot.press(*"BD4117", "enter", *"573605", "enter")
        await pilot.pause()
        await pilot.press("f6")
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("second", [True, False], ids=["approve-approve", "approve-reject"])
def test_two_leads_deciding_one_count_at_once_change_the_stock_once(rig, tmp_path, second):
    """Two leads' devices decide the same recount while both are offline, then sync at the same
    instant from two threads over HTTP: the backend applies one decision, refuses the other with
    a sentence that the losing device keeps, and the stock moves once (or not at all)."""
    bin_, sku = counted_twice(rig)
    other = LocalStore.open(tmp_path / "second" / "picker.db", device="handheld-2")
    token = rig.backend.add_device(STORE, other.device)
    other_client = SyncClient(other, SyncSettings(rig.server.url, STORE, token))
    other_client.download_changes()
    mine, theirs = CountDecisions(rig.store), CountDecisions(other)
    (item,) = mine.waiting()
    assert [i.id for i in theirs.waiting()] == [item.id]
    mine.decide(item, LEAD, True, "theft")
    theirs.decide(theirs.waiting()[0], {"id": "U118", "name": "Lead 2", "role": "lead"},
                  second, "miscount")  # fmt: skip
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def sync(client: SyncClient) -> None:
        try:
            start.wait()
            client.upload_all()
        except BaseException as err:  # noqa: BLE001 - reported below
            errors.append(err)

    threads = [threading.Thread(target=sync, args=(c,)) for c in (rig.client, other_client)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    states = dict(rig.backend.conn.execute(
        "SELECT id, state FROM count_tasks WHERE store = ? AND bin = ?", (STORE, bin_)
    ).fetchall())  # fmt: skip
    outcomes, decisions = [], []
    for store in (rig.store, other):
        row = store.conn.execute(
            "SELECT o.state, r.reason, o.event_id FROM outbox o LEFT JOIN rejected r"
            " USING (event_id) WHERE o.type IN ('count_approved', 'count_rejected')"
        ).fetchone()
        outcomes.append((row[0], row[1]))
        decisions.append(row[2])
    assert sorted(state for state, _ in outcomes) == ["rejected", "sent"]
    (reason,) = [why for state, why in outcomes if state == "rejected"]
    # The loser's verb: what the losing device asked for.
    loser_approved = outcomes[0][0] == "rejected" or second
    verb = "approve" if loser_approved else "reject"
    assert reason == f"count task {item.id} has no submitted count to {verb}"
    winner_approved = outcomes[0][0] == "sent" or second
    assert backend_stock(rig, bin_, sku) == (7 if winner_approved else 12)
    decided = "approved" if winner_approved else "rejected"
    assert sorted(states.values()) == sorted([decided, f"recount {decided}"])
    approvals = [r[0] for r in rig.backend.conn.execute(
        "SELECT delta FROM stock_moves WHERE store = ? AND bin = ? AND sku = ? AND event_id IN"
        " (?, ?)", (STORE, bin_, sku, *decisions),
    )]  # fmt: skip
    assert approvals == ([-5.0] if winner_approved else [])
    other.close()
