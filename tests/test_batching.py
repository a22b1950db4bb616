"""Batches chosen to save walking (domain.batching): with a fake route length, the best-saving
batch that keeps every promise; then the picker's service on the seeded demo store."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from itertools import combinations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from picker_app.domain.batching import (
    BatchChooser,
    Candidate,
    best_offer,
    choose_batches,
    offer_line,
    saving_text,
)
from picker_app.domain.queue import PACK_ALLOWANCE, WALK_SPEED_M_S, pick_time

NOW = datetime(2026, 11, 25, 18, 0, tzinfo=UTC)


def out_and_back(bins: Sequence[str]) -> float:
    """A store on one line: bin `x30` is 30 m from the pack station; a route walks out to the
    farthest bin and back."""
    return 2.0 * max(float(b.removeprefix("x").split(".")[0]) for b in bins)


def order(oid: str, *far: int, due_s: float | None = 3600, lines: int | None = None) -> Candidate:
    """An order whose lines are at `far` metres; promised `due_s` seconds from NOW."""
    bins = tuple(f"x{m}.{oid}" for m in far)
    promised = NOW + timedelta(seconds=due_s) if due_s is not None else None
    return Candidate(oid, bins, len(bins) if lines is None else lines, promised)


def choose(cands: list[Candidate], n: int, length=out_and_back, **kw):
    return BatchChooser(cands, length, NOW, **kw).choose(n)


def test_the_best_saving_batch_is_chosen_and_always_holds_the_most_urgent():
    cands = [order("A", 50), order("B", 10), order("C", 48), order("D", 49), order("E", 60)]
    pair = choose(cands, 2)
    # With D: 100 + 98 - 100 = 98 m saved; with E more walk is shared (120 - 120 + 100 = 100).
    assert pair.orders == ("A", "E") and pair.saved_m == 100.0 and pair.walk_m == 120.0
    assert pair.alone_m == 220.0 and pair.saved_s == pytest.approx(100 / WALK_SPEED_M_S)
    three = choose(cands, 3)
    assert three.orders == ("A", "D", "E") and three.saved_m == 100 + 98
    assert all(choose(cands, n).orders[0] == "A" for n in (2, 3, 4))


def test_a_batch_that_would_break_a_promise_is_never_offered():
    # E alone: 120 m (100 s) + 1 line + 1 tote = 120 s, then packing: kept with 190 s left.
    # With A the walk is the same, but 2 lines and 2 totes: 140 s + 60 s packing > 190 s left.
    cands = [order("A", 50), order("B", 10), order("C", 48), order("E", 60, due_s=190)]
    pair = choose(cands, 2)
    assert "E" not in pair.orders and pair.orders == ("A", "C")
    # A alone: 100 m (83 s) + 20 s, then packing: 163 s of 170; with B 20 s more.
    tight = [order("A", 50, due_s=170), order("B", 49), order("C", 48)]
    refused = choose(tight, 2)
    assert not refused.offered and refused.orders == ()
    assert refused.refusal == (
        "No batch of 2 keeps every promise now (A is due in 2:50): take it alone (Enter), or a "
        "smaller batch."
    )
    assert best_offer([refused]) is None


def test_an_order_late_even_alone_or_without_a_promise_does_not_stop_a_batch():
    late = [order("A", 50, due_s=30), order("B", 49, due_s=None), order("C", 10)]
    pair = choose(late, 2)
    assert pair.orders == ("A", "B") and pair.saved_m == 98.0
    already = [order("A", 50, due_s=-60), order("B", 49)]
    assert choose(already, 2).offered
    b_alone_only = order("B", 49, due_s=170)
    assert "(A is already late)" in choose([order("A", 50, due_s=-60), b_alone_only], 2).refusal


def test_equal_savings_go_to_the_more_urgent_orders():
    cands = [order(o, 40) for o in "ABCDEF"]
    assert choose(cands, 3).orders == ("A", "B", "C")
    cands = [order("A", 40), order("B", 10), order("C", 30), order("D", 30), order("E", 30)]
    assert choose(cands, 2).orders == ("A", "C")  # C, D and E each save 60 m


def test_nothing_to_save_still_offers_the_most_urgent_that_keep_their_promises():
    def disjoint(bins: Sequence[str]) -> float:  # nothing shared: a batch walks it all
        return 10.0 * len(set(bins))

    cands = [order("A", 1), order("B", 2), order("C", 3), order("D", 4, due_s=40)]
    choice = choose(cands, 3, disjoint)
    assert choice.offered and choice.orders == ("A", "B", "C") and choice.saved_m == 0.0
    assert choice.saving_text == "saves no walking"


def test_too_few_orders_is_said_and_the_best_size_is_the_one_saving_most():
    assert choose([order("A", 5), order("B", 6)], 3).refusal == (
        "A batch of 3 needs 3 orders waiting: 2 are."
    )
    cands = [order("A", 50), order("B"), order("C", 50), order("D", 50)]  # B: nothing to walk
    choices = choose_batches(cands, [4, 2, 3], out_and_back, NOW)
    assert list(choices) == [2, 3, 4]
    assert best_offer(choices.values()).size == 3  # 200 m saved by 3 and by 4: the smaller


def test_each_route_is_planned_once_and_the_plans_are_capped():
    asked: list[frozenset[str]] = []

    def counted(bins: Sequence[str]) -> float:
        asked.append(frozenset(bins))
        return out_and_back(bins)

    cands = [order(chr(65 + i), 10 + 7 * i, 12 + 5 * i) for i in range(8)]
    choices = choose_batches(cands, [2, 3, 4], counted, NOW)
    assert len(asked) == len(set(asked))
    assert len(asked) < 8 + 7 + 21 + 35  # the bounds passed over batches without planning them
    assert all(c.complete for c in choices.values())

    def bins_walked(bins: Sequence[str]) -> float:  # 10 m a bin; every order shares bin "s"
        return 10.0 * len(set(bins))

    shared = [Candidate(f"O{i}", ("s", f"u{i}"), 2, None) for i in range(8)]
    full = choose(shared, 4, bins_walked)
    assert full.complete and full.planned > 1 and full.orders == ("O0", "O1", "O2", "O3")
    capped = choose(shared, 4, bins_walked, max_plans=1)
    assert capped.planned == 1 and not capped.complete and capped.offered
    clock = [0.0]

    def slow(bins: Sequence[str]) -> float:  # each route takes 20 ms to plan
        clock[0] += 0.020
        return bins_walked(bins)

    timed = BatchChooser(shared, slow, NOW, budget_ms=250, timer=lambda: clock[0])
    late = timed.choose(4)  # 8 routes alone (160 ms), then the first batch, then 3 more
    assert late.offered and not late.complete and late.planned == 4
    assert timed.choose(3).planned == 1  # out of time: the first batch of each size only


@st.composite
def queues(draw):
    k = draw(st.integers(2, 8))
    cands = []
    for i in range(k):
        far = draw(st.lists(st.integers(1, 40), min_size=1, max_size=4))
        due = draw(st.one_of(st.none(), st.integers(-60, 900)))
        cands.append(order(f"O{i}", *far, due_s=due))
    return cands, draw(st.integers(2, 4))


@settings(max_examples=150, deadline=None)
@given(queues())
def test_the_choice_is_the_best_of_every_batch_that_keeps_its_promises(case):
    """Against all batches holding the most urgent order, tried one by one."""
    cands, n = case
    choice = choose(cands, n)
    if len(cands) < n:
        assert not choice.offered
        return
    alone = [out_and_back(c.bins) for c in cands]

    def keeps(members: tuple[int, ...]) -> bool:
        walk = out_and_back([b for i in members for b in cands[i].bins])
        took = pick_time(walk, sum(cands[i].lines for i in members), len(members))
        for i in members:
            c = cands[i]
            if c.promised_at is None:
                continue
            kept_alone = NOW + pick_time(alone[i], c.lines, 1) + PACK_ALLOWANCE <= c.promised_at
            if kept_alone and NOW + took + PACK_ALLOWANCE > c.promised_at:
                return False
        return True

    fine = [(0, *rest) for rest in combinations(range(1, len(cands)), n - 1)]
    fine = [m for m in fine if keeps(m)]
    if not fine:
        assert not choice.offered
        return

    def saved(m: tuple[int, ...]) -> float:
        return sum(alone[i] for i in m) - out_and_back([b for i in m for b in cands[i].bins])

    best = max(fine, key=lambda m: (saved(m), [-i for i in m]))
    assert choice.orders == tuple(cands[i].id for i in best)
    assert choice.saved_m == pytest.approx(saved(best))


def test_what_a_batch_saves_reads_as_a_picker_says_it_and_fits_the_handheld():
    assert saving_text(140) == "saves 140 m, about 2 min"
    assert saving_text(30) == "saves 30 m, about 25 s"
    assert saving_text(0.2) == "saves no walking"
    cands = [order("A", 50), order("B", 10), order("C", 48), order("D", 49), order("E", 60)]
    choices = choose_batches(cands, [2, 3, 4], out_and_back, NOW)
    wide = offer_line(choices, 98)
    assert wide == "4 Enter: the batch marked * saves 294 m, about 4 min"
    assert offer_line(choices, 38) == "4 Enter: batch * saves 294 m, ~4 min"
    refused = choose_batches([order("A", 50, due_s=170), order("B", 49)], [2], out_and_back, NOW)
    assert offer_line(refused, 38) == "2 Enter: a batch would make one late"
    assert offer_line(refused, 98) == (
        "2 Enter: no batch now, it would make an order late; Enter takes the next one"
    )
    assert offer_line({}, 38) == ""


# --- the picker's service on the seeded demo store --------------------------------------------


def test_the_service_offers_batches_that_keep_promises_and_plans_each_route_once(rig):
    from picker_app.services.picking import PickService

    service = PickService(rig.store, rig.layout, rig.clock)
    planner = service.planner
    plans: list[tuple[str, ...]] = []
    plan = planner.plan

    def counted(codes, *args, **kwargs):  # type: ignore[no-untyped-def]
        codes = tuple(codes)
        plans.append(codes)
        return plan(codes, *args, **kwargs)

    planner.plan = counted  # type: ignore[method-assign]
    choices = service.suggest_batches([2, 3, 4])
    first = plans[:]
    now = service.backend_now()
    queue = service.queue(limit=8)
    cands = {c.id: c for c in service.batch_candidates(queue)}
    for n, choice in choices.items():
        assert choice.offered and len(choice.orders) == n
        assert choice.orders[0] == queue[0].order.id
        bins = sorted({b for o in choice.orders for b in cands[o].bins})
        assert choice.walk_m == plan(bins).length_m
        alone = sum(plan(sorted(set(cands[o].bins))).length_m for o in choice.orders)
        assert choice.saved_m == pytest.approx(alone - choice.walk_m) and choice.saved_m > 0
        took = pick_time(choice.walk_m, sum(cands[o].lines for o in choice.orders), n)
        for o in choice.orders:
            assert now + took + PACK_ALLOWANCE <= cands[o].promised_at
    assert len(first) == len(set(map(frozenset, first)))
    assert service.suggest_batches([2, 3, 4]) == choices
    assert plans == first  # the same queue again: nothing planned
    alone = service.suggest_batch(3)  # without the pairs' routes as bounds: more plans
    assert (alone.orders, alone.saved_m) == (choices[3].orders, choices[3].saved_m)


# --- the queue screen --------------------------------------------------------------------------


async def test_3_enter_binds_totes_for_exactly_the_batch_the_queue_suggests(rig):
    from picker_app.ui.screens.picker.pick import PickScreen
    from picker_app.ui.screens.picker.queue import QueueScreen
    from picker_app.ui.screens.picker.tote import ToteScreen
    from tests.appkit import pick_task
    from tests.test_ui_flow import app_for, wait_for

    app = app_for(rig, sync=False)
    async with app.run_test(size=(40, 20)) as pilot:
        await pilot.press(*"BD4101", "enter", *"7051", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, QueueScreen))
        queue = app.screen
        suggested = list(queue.batches[3].orders)
        assert len(suggested) == 3 and suggested[0] == queue.entries[0].order.id
        best = best_offer(queue.batches.values())
        shown = str(queue.query_one("#batch").render())
        assert shown == offer_line(queue.batches, 38) and best.saving_text.split(",")[0] in shown
        rows = str(queue.query_one("#orders").render()).splitlines()
        assert {r.split()[1] for r in rows if r.startswith("* ")} == set(best.orders)
        await pilot.press("3", "enter")
        await pilot.pause()
        assert isinstance(app.screen, ToteScreen) and app.screen.orders == suggested
        totes = ["TT000001", "TT000002", "TT000003"]
        for tote in totes:
            await pilot.press(*tote, "enter")
            await pilot.pause()
        await wait_for(pilot, lambda: isinstance(app.screen, PickScreen))
        task = pick_task(app)
        assert task.orders == suggested and task.totes == dict(zip(suggested, totes, strict=True))


async def test_a_batch_that_would_make_the_next_order_late_is_refused_and_enter_still_takes_it(
    rig,
):
    from picker_app.ui.screens.picker.queue import QueueScreen
    from picker_app.ui.screens.picker.tote import ToteScreen
    from tests.test_ui_flow import app_for, message, wait_for

    app = app_for(rig, sync=False)
    service = app.parts.picking
    first = service.queue(limit=1)[0]
    cand = service.batch_candidates([first])[0]
    alone = pick_time(service.route_m(cand.bins), cand.lines, 1)
    # Half a second more than the next order needs alone: any batch with it (another line
    # and tote at least) makes it late.
    at = first.order.promised_at - alone - PACK_ALLOWANCE - timedelta(seconds=0.5)
    rig.clock.now -= service.backend_now() - at
    async with app.run_test(size=(40, 20)) as pilot:
        await pilot.press(*"BD4101", "enter", *"7051", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, QueueScreen))
        queue = app.screen
        assert str(queue.query_one("#batch").render()) == "2-4 Enter: a batch would make one late"
        assert "* " not in str(queue.query_one("#orders").render())
        await pilot.press("3", "enter")
        await pilot.pause()
        assert app.screen is queue and queue.query_one("#message").has_class("error")
        assert message(app).startswith(
            f"No batch of 3 keeps every promise now ({first.order.id} is due in"
        )
        assert message(app).endswith("take it alone (Enter), or a smaller batch.")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ToteScreen) and app.screen.orders == [first.order.id]
