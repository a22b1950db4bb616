"""The picker's service against a real local cache filled from the seeded reference backend
(in-process, no HTTP): the queue, starting a task, saving decisions, resuming, finishing."""

from __future__ import annotations

import dataclasses
import json
import shutil
from datetime import datetime, timedelta

import pytest
from biip.checksums import gs1_standard_check_digit

from picker_app.backend.server import DEFAULT_OPEN_ORDERS, BackendDB, snapshot
from picker_app.domain.events import StockPicked, ToteClosed, dump_payload
from picker_app.domain.picking import PickLine
from picker_app.domain.queue import PICK_PACK_BUDGET, task_budget
from picker_app.domain.scan import interpret
from picker_app.errors import PickerError, UserError
from picker_app.services.picking import PickService, PickTask
from picker_app.store.db import LocalStore
from picker_app.wire import Snapshot
from tests.appkit import START, STORE, Clock, item_code

PICKER = "U101"


@pytest.fixture(scope="module")
def snap(backend_template, tmp_path_factory) -> Snapshot:
    """The seeded store as a device's first download: taken once, applied per test."""
    path = tmp_path_factory.mktemp("pick-service") / "backend.db"
    shutil.copy(backend_template, path)
    db = BackendDB(path)
    try:
        return snapshot(db, STORE)
    finally:
        db.conn.close()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(tmp_path, snap):
    s = LocalStore.open(tmp_path / "picker.db", device="t1")
    s.apply_snapshot(snap)
    yield s
    s.close()


@pytest.fixture
def service(store, demo, clock) -> PickService:
    return PickService(store, demo, clock)


def rows(store: LocalStore, sql: str, *params) -> list[tuple]:
    return store.conn.execute(sql, params).fetchall()


def one(store: LocalStore, sql: str, *params):
    row = store.conn.execute(sql, params).fetchone()
    return row[0] if row is not None and len(row) == 1 else row


def on_hand(store: LocalStore, bin_: str, sku: str) -> float:
    return one(store, "SELECT on_hand FROM stock WHERE bin = ? AND sku = ?", bin_, sku)


def outbox(store: LocalStore) -> list[tuple[str, dict, str | None]]:
    return [(e.type, e.payload, e.user) for e in store.pending()]


def plain_orders(store: LocalStore, n: int, min_lines: int = 1) -> list[str]:
    """`n` open orders with no weighed line and at least `min_lines` lines."""
    found = [
        r[0]
        for r in rows(
            store,
            "SELECT o.id FROM orders o JOIN order_line l ON l.order_id = o.id"
            " WHERE o.state = 'confirmed' AND NOT EXISTS (SELECT 1 FROM order_line w"
            " JOIN sku s ON s.sku = w.sku WHERE w.order_id = o.id AND s.unit = 'kg')"
            " GROUP BY o.id HAVING COUNT(*) >= ? ORDER BY o.id LIMIT ?",
            min_lines,
            n,
        )
    ]
    assert len(found) == n
    return found


def totes_for(orders: list[str]) -> dict[str, str]:
    return {o: f"TT{i + 1:06d}" for i, o in enumerate(orders)}


def save(service: PickService, task: PickTask, decision) -> None:
    assert decision.accepted, decision.message
    service.save(task, decision.events)


def pick_current(service: PickService, task: PickTask) -> PickLine:
    """Scan the current line's bin, then its item once for the whole quantity; save both."""
    s = task.session
    line = s.current
    save(service, task, s.scan(interpret(line.bin)))
    save(service, task, s.scan(interpret(item_code(line)), units=int(line.qty)))
    return line


def state(store: LocalStore) -> dict[str, object]:
    """Everything a save may touch."""
    return {
        "lines": rows(store, "SELECT * FROM order_line ORDER BY order_id, line_no"),
        "stock": rows(store, "SELECT * FROM stock ORDER BY bin, sku"),
        "history": rows(store, "SELECT * FROM pick_history ORDER BY rowid"),
        "outbox": rows(store, "SELECT seq, type, payload FROM outbox ORDER BY seq"),
        "task": rows(store, "SELECT * FROM pick_task"),
        "orders": rows(store, "SELECT * FROM orders ORDER BY id"),
        "totes": rows(store, "SELECT * FROM tote ORDER BY code"),
    }


def reopen(store: LocalStore, demo, clock) -> PickService:
    """A restart: the process dies, the app opens the same file again."""
    store.close()
    return PickService(LocalStore.open(store.path, device="t1"), demo, clock)


# --- the queue ------------------------------------------------------------------------------


def test_queue_takes_priority_then_promise_and_only_takeable_orders(service, store):
    ids = [r[0] for r in rows(store, "SELECT id FROM orders ORDER BY id")]
    urgent, rush, placed, no_promise, busy, gone, done = ids[3:10]
    with store.write() as conn:
        conn.execute("UPDATE orders SET priority = 2 WHERE id = ?", (urgent,))
        conn.execute("UPDATE orders SET priority = 1 WHERE id = ?", (rush,))
        conn.execute(
            "UPDATE orders SET state = 'placed', promised_at = '2026-11-25T09:59:00+00:00'"
            " WHERE id = ?",
            (placed,),
        )
        conn.execute("UPDATE orders SET promised_at = NULL WHERE id = ?", (no_promise,))
        for order_id, st in ((busy, "picking"), (gone, "cancelled"), (done, "picked")):
            conn.execute("UPDATE orders SET state = ? WHERE id = ?", (st, order_id))
    queue = service.queue(limit=1000)
    got = [e.order.id for e in queue]
    assert got[:3] == [urgent, rush, placed]
    assert got[-1] == no_promise  # no promise: last
    assert {busy, gone, done}.isdisjoint(got) and len(got) == len(ids) - 3
    promises = [e.order.promised_at for e in queue[3:-1]]
    assert promises == sorted(promises) and all(p is not None for p in promises)
    assert [e.order.id for e in service.queue()] == got[:20]
    assert service.queue(limit=2)[1].order.id == rush


def test_queue_counts_lines_and_units(service, store):
    counts = {
        r[0]: (r[1], r[2])
        for r in rows(
            store,
            "SELECT order_id, COUNT(*), SUM(qty_ordered) FROM order_line GROUP BY order_id",
        )
    }
    queue = service.queue(limit=1000)
    assert len(queue) == len(counts) == DEFAULT_OPEN_ORDERS
    for entry in queue:
        assert (entry.lines, entry.units) == pytest.approx(counts[entry.order.id])
    weighed = one(
        store,
        "SELECT l.order_id FROM order_line l JOIN sku s ON s.sku = l.sku WHERE s.unit = 'kg'"
        " ORDER BY l.order_id LIMIT 1",
    )
    entry = next(e for e in queue if e.order.id == weighed)
    assert entry.units != int(entry.units)  # kilograms count as they are
    first = queue[0].order
    assert first.state == "confirmed" and first.promised_at.tzinfo is not None


# --- starting a task ------------------------------------------------------------------------


def test_start_writes_the_task_its_totes_and_one_event(service, store, clock):
    orders = plain_orders(store, 2)
    totes = totes_for(orders)
    task = service.start(PICKER, totes)
    assert task.id.startswith("PT-") and task.picker == PICKER
    assert task.orders == orders and task.totes == totes and task.started_at == START
    row = one(
        store,
        "SELECT picker, order_ids, totes, route, started_at, finished_at FROM pick_task"
        " WHERE id = ?",
        task.id,
    )
    picker, order_ids, totes_json, route, started, finished = row
    assert picker == PICKER and json.loads(order_ids) == orders
    assert json.loads(totes_json) == totes and started == START.isoformat() and finished is None
    route = json.loads(route)
    assert route["stops"] == [ln.bin for ln in task.session.lines]
    assert route["skipped"] == [] and route["dropped"] == [] and not route["bin_confirmed"]
    assert rows(store, "SELECT code, order_id, state FROM tote ORDER BY code") == [
        (totes[o], o, "picking") for o in orders
    ]
    assert {o: service.order_state(o) for o in orders} == dict.fromkeys(orders, "picking")
    assert outbox(store) == [
        ("pick_started",
         {"task": task.id, "orders": orders, "totes": [totes[o] for o in orders]}, PICKER),
    ]  # fmt: skip
    assert not set(orders) & {e.order.id for e in service.queue(limit=1000)}


def test_start_lays_the_lines_out_along_the_planned_route(service, store, demo):
    orders = plain_orders(store, 3)
    totes = totes_for(orders)
    task = service.start(PICKER, totes)
    lines = task.session.lines
    expected = rows(
        store,
        f"SELECT order_id, line_no FROM order_line WHERE order_id IN ({','.join('?' * 3)})",
        *orders,
    )
    assert sorted((ln.order_id, ln.line_no) for ln in lines) == sorted(expected)
    bins = [ln.bin for ln in lines]
    visits = [b for i, b in enumerate(bins) if i == 0 or bins[i - 1] != b]
    route = service.planner.plan(bins)
    assert visits == [stop.bin for stop in route.stops]  # each bin once, in route order
    assert task.stop_cells == {stop.bin: stop.cell for stop in route.stops}
    for ln in lines:
        sku, name, unit, category = one(
            store, "SELECT sku, name, unit, category FROM sku WHERE sku = ?", ln.sku
        )
        gtins = {g.zfill(14) for (g,) in rows(store, "SELECT gtin FROM sku_barcode WHERE sku = ?",
                                              ln.sku)}  # fmt: skip
        assert ln.gtins == gtins and len(gtins) >= 1 and all(len(g) == 14 for g in gtins)
        assert (ln.name, ln.unit, ln.category) == (name, unit, category)
        assert ln.zone == demo.bin(ln.bin).bay.zone
        assert ln.tote == totes[ln.order_id]
        assert ln.qty == one(
            store, "SELECT qty_ordered FROM order_line WHERE order_id = ? AND line_no = ?",
            ln.order_id, ln.line_no,
        )  # fmt: skip
    assert task.session.current is lines[0] and task.session.require_bin_scan
    assert task.session.today == START.date()


def test_lines_at_one_bin_follow_the_batch_order_then_line_number(service, store):
    first, second = plain_orders(store, 2)
    sku = one(store, "SELECT sku FROM order_line WHERE order_id = ? AND line_no = 1", first)
    with store.write() as conn:  # the same product in both orders
        conn.execute(
            "INSERT INTO order_line (order_id, line_no, sku, qty_ordered, state)"
            " VALUES (?, 99, ?, 1, 'open')",
            (second, sku),
        )
    task = service.start(PICKER, {second: "TT000001", first: "TT000002"})
    at_bin = [(ln.order_id, ln.line_no) for ln in task.session.lines if ln.sku == sku]
    assert at_bin == [(second, 99), (first, 1)]


def test_tote_problem_for_a_tote_in_use_or_twice_in_a_batch(service, store):
    orders = plain_orders(store, 2)
    assert service.tote_problem("TT000001") is None
    twice = service.tote_problem("TT000001", ["TT000009", "TT000001"])
    assert twice == (
        "Tote TT000001 is already used for another order of this batch: scan another."
    )
    task = service.start(PICKER, {orders[0]: "TT000001"})
    assert service.tote_problem("TT000001") == (
        f"Tote TT000001 is in use for order {orders[0]}: take an empty tote."
    )
    assert service.tote_problem("TT000002") is None
    while not task.session.finished:
        pick_current(service, task)
    service.finish(task)
    assert service.tote_problem("TT000001") == (  # closed, gone to packing: still busy
        f"Tote TT000001 is with order {orders[0]} at packing: take an empty tote."
    )
    backend_says(store, orders[0], "packed")  # packing releases it
    assert service.tote_problem("TT000001") is None


def test_a_tote_at_packing_is_released_when_its_order_is_cancelled(service, store):
    (order,) = plain_orders(store, 1)
    task = service.start(PICKER, {order: "TT000003"})
    while not task.session.finished:
        pick_current(service, task)
    service.finish(task)
    assert service.tote_problem("TT000003") is not None
    backend_says(store, order, "cancelled")
    assert service.tote_problem("TT000003") is None


def backend_says(store: LocalStore, order_id: str, state: str) -> None:
    """The backend's change to an order, as a download brings it (the real apply path)."""
    from picker_app.wire import Change, ChangesPage, OrderLineWire, OrderWire

    lines = [
        OrderLineWire(line_no=n, sku=sku, qty=qty)
        for n, sku, qty in rows(
            store, "SELECT line_no, sku, qty_ordered FROM order_line WHERE order_id = ?", order_id
        )
    ]
    cursor = (store.cursor() or 0) + 1
    order = OrderWire(id=order_id, state=state, lines=lines)
    store.apply_changes(ChangesPage(changes=[Change(seq=cursor, order=order)],
                                    next_cursor=cursor, more=False))  # fmt: skip


def test_start_refuses_a_task_without_orders(service, store):
    with pytest.raises(ValueError):
        service.start(PICKER, {})
    assert rows(store, "SELECT * FROM pick_task") == [] and outbox(store) == []


# --- saving decisions -----------------------------------------------------------------------


def test_save_applies_a_pick_and_records_it(service, store, clock):
    (order,) = plain_orders(store, 1)
    task = service.start(PICKER, {order: "TT000001"})
    line = task.session.current
    stock_before = on_hand(store, line.bin, line.sku)
    history_before = one(store, "SELECT COUNT(*) FROM pick_history")
    clock.advance(12)
    save(service, task, task.session.scan(interpret(line.bin)))
    assert json.loads(one(store, "SELECT route FROM pick_task"))["bin_confirmed"] is True
    decision = task.session.scan(interpret(item_code(line)))
    save(service, task, decision)
    assert one(
        store, "SELECT qty_picked FROM order_line WHERE order_id = ? AND line_no = ?",
        order, line.line_no,
    ) == 1  # fmt: skip
    assert on_hand(store, line.bin, line.sku) == stock_before - 1
    assert one(store, "SELECT COUNT(*) FROM pick_history") == history_before + 1
    assert rows(store, "SELECT at, bin, sku, qty FROM pick_history WHERE at != 'history'") == [
        ((START + timedelta(seconds=12)).isoformat(), line.bin, line.sku, 1.0)
    ]
    (_, (kind, payload, user)) = outbox(store)
    assert kind == "stock_picked" and user == PICKER
    assert payload == dump_payload(decision.events[0]) and payload["gtin"] in line.gtins
    route = json.loads(one(store, "SELECT route FROM pick_task"))
    assert route["bin_confirmed"] is task.session.bin_confirmed


def test_a_save_that_fails_half_way_keeps_nothing(service, store):
    (order,) = plain_orders(store, 1)
    task = service.start(PICKER, {order: "TT000001"})
    line = task.session.current
    before = state(store)
    task.session.skip()  # a change of place that would be saved with the events
    good = StockPicked(order=order, line=line.line_no, sku=line.sku, bin=line.bin, qty=1.0)
    teleported = ToteClosed.model_construct(type="stock_teleported", order=order)
    with pytest.raises(PickerError, match="unknown event type"):
        service.save(task, [good, teleported])
    assert state(store) == before
    assert not store.conn.in_transaction
    service.save(task, [good])  # the store is still usable
    assert state(store) != before


def test_out_of_stock_sets_the_bin_to_zero_and_shorts_the_line(service, store):
    (order,) = plain_orders(store, 1)
    task = service.start(PICKER, {order: "TT000001"})
    line = task.session.current
    assert on_hand(store, line.bin, line.sku) > 0
    save(service, task, task.session.flag_short(qty_found=0))
    assert on_hand(store, line.bin, line.sku) == 0
    assert one(
        store, "SELECT qty_short, qty_picked, state FROM order_line WHERE order_id = ?"
        " AND line_no = ?", order, line.line_no,
    ) == (line.qty, 0, "short")  # fmt: skip
    assert [e[0] for e in outbox(store)] == [
        "pick_started", "out_of_stock_flagged", "pick_shorted",
    ]  # fmt: skip


def test_write_off_takes_the_loss_off_stock_and_leaves_the_line(service, store):
    (order,) = plain_orders(store, 1)
    task = service.start(PICKER, {order: "TT000001"})
    line = task.session.current
    before = on_hand(store, line.bin, line.sku)
    lines_before = rows(store, "SELECT * FROM order_line WHERE order_id = ?", order)
    save(service, task, task.session.write_off("damaged", 2))
    assert on_hand(store, line.bin, line.sku) == max(0, before - 2)
    assert rows(store, "SELECT * FROM order_line WHERE order_id = ?", order) == lines_before
    assert outbox(store)[-1][0] == "stock_damaged"


def test_a_put_back_gives_the_unit_back(service, store):
    (order,) = plain_orders(store, 1)
    task = service.start(PICKER, {order: "TT000001"})
    line = task.session.current
    before = on_hand(store, line.bin, line.sku)
    pick_current(service, task)
    save(service, task, task.session.put_back(interpret(item_code(line))))
    assert on_hand(store, line.bin, line.sku) == before - line.qty + 1
    assert one(
        store, "SELECT qty_picked FROM order_line WHERE order_id = ? AND line_no = ?",
        order, line.line_no,
    ) == line.qty - 1  # fmt: skip


# --- substitutes ----------------------------------------------------------------------------


def test_substitutes_are_alike_in_stock_and_closest_in_price(service, store):
    (order,) = plain_orders(store, 1)
    task = service.start(PICKER, {order: "TT000001"})
    line = task.session.current
    with store.write() as conn:  # no suggestion from the backend: the device's own choice
        conn.execute("UPDATE order_line SET suggestions = '[]' WHERE order_id = ?", (order,))
    price = one(store, "SELECT price FROM sku WHERE sku = ?", line.sku)
    candidates = {
        sku: (abs(p - price), sku)
        for sku, p, stock in rows(
            store,
            "SELECT s.sku, s.price, SUM(st.on_hand) FROM sku s JOIN stock st ON st.sku = s.sku"
            " WHERE s.category = ? AND s.unit = ? GROUP BY s.sku",
            line.category, line.unit,
        )  # fmt: skip
        if sku != line.sku and stock >= line.qty
    }
    assert len(candidates) > 5
    offered = service.substitutes(line)
    assert [sub.sku for sub, _ in offered] == sorted(candidates, key=candidates.get)[:5]
    for sub, stock in offered:
        assert sub.category == line.category and sub.unit == line.unit
        assert stock == one(store, "SELECT SUM(on_hand) FROM stock WHERE sku = ?", sub.sku)
        assert sub.bin and sub.gtins and sub.zone != "?"
    # Enough for the line: more ordered than the closest one has, and it is not offered.
    closest, stock = offered[0]
    bigger = dataclasses.replace(line, qty=stock + 0.5)
    assert closest.sku not in [sub.sku for sub, _ in service.substitutes(bigger, limit=100)]
    assert all(n >= stock + 0.5 for _, n in service.substitutes(bigger, limit=100))
    # The closest one runs out: it is no longer offered; the next one moves up.
    with store.write() as conn:
        conn.execute("UPDATE stock SET on_hand = 0 WHERE sku = ?", (closest.sku,))
    assert service.substitutes(line)[0][0].sku == offered[1][0].sku


def test_the_backends_suggestions_come_first_when_in_stock(service, store, snap):
    (order,) = plain_orders(store, 1)
    task = service.start(PICKER, {order: "TT000001"})
    line = task.session.current
    wire = next(o for o in snap.orders if o.id == order)
    sent = next(ln for ln in wire.lines if ln.line_no == line.line_no).suggestions
    assert sent and line.sku not in sent  # the backend sent its own, kept in the cache
    assert service.suggested(line) == sent
    offered = [sub.sku for sub, _ in service.substitutes(line)]
    assert offered[: len(sent)] == sent and len(offered) == len(set(offered)) == 5
    with store.write() as conn:  # the first suggestion runs out here
        conn.execute("UPDATE stock SET on_hand = 0 WHERE sku = ?", (sent[0],))
    offered = [sub.sku for sub, _ in service.substitutes(line)]
    assert sent[0] not in offered and offered[: len(sent) - 1] == sent[1:]


def test_a_substitute_is_saved_and_comes_back_after_a_restart(service, store, demo, clock):
    (order,) = plain_orders(store, 1, min_lines=2)
    task = service.start(PICKER, {order: "TT000001"})
    line = task.session.current
    replacement, _ = service.substitutes(line)[0]
    decision = task.session.substitute(replacement)
    save(service, task, decision)
    assert one(
        store, "SELECT sku, substitute_sku FROM order_line WHERE order_id = ? AND line_no = ?",
        order, line.line_no,
    ) == (line.sku, replacement.sku)  # fmt: skip
    assert outbox(store)[-1] == (
        "substitution_made",
        {"order": order, "line": line.line_no, "from_sku": line.sku, "to_sku": replacement.sku,
         "qty": line.qty},
        PICKER,
    )  # fmt: skip
    again = reopen(store, demo, clock)
    try:
        resumed = again.open_task(PICKER)
        (rebuilt,) = [ln for ln in resumed.session.lines if ln.line_no == line.line_no]
        assert (rebuilt.sku, rebuilt.name, rebuilt.bin, rebuilt.gtins, rebuilt.category) == (
            replacement.sku, replacement.name, replacement.bin, replacement.gtins,
            replacement.category,
        )  # fmt: skip
        assert (rebuilt.order_id, rebuilt.qty, rebuilt.tote) == (order, line.qty, "TT000001")
        assert rebuilt.zone == demo.bin(replacement.bin).bay.zone
        assert resumed.session.current == rebuilt  # still the line to pick
    finally:
        again.store.close()


# --- resuming -------------------------------------------------------------------------------


def test_open_task_after_a_restart_lands_on_the_same_line(service, store, demo, clock):
    orders = plain_orders(store, 2, min_lines=3)
    task = service.start(PICKER, totes_for(orders))
    s = task.session
    assert len(s.lines) >= 6
    pick_current(service, task)
    save(service, task, s.flag_short(0))
    save(service, task, s.skip())
    save(service, task, s.scan(interpret(s.current.bin)))  # the bin scan is remembered too
    assert s.bin_confirmed
    live = {
        "lines": list(s.lines), "picked": dict(s.picked), "short": dict(s.short),
        "skipped": list(s.skipped), "current": s.current,
    }  # fmt: skip

    again = reopen(store, demo, clock)
    try:
        resumed = again.open_task(PICKER)
        r = resumed.session
        assert (resumed.id, resumed.picker, resumed.orders, resumed.totes) == (
            task.id, PICKER, task.orders, task.totes,
        )  # fmt: skip
        assert resumed.started_at == START
        assert r.lines == live["lines"] and r.current == live["current"]
        assert {k: v for k, v in r.picked.items() if v} == live["picked"]
        assert r.short == live["short"] and r.skipped == live["skipped"]
        assert all(isinstance(k, tuple) for k in r.skipped)
        assert r.bin_confirmed and r.require_bin_scan
        assert resumed.stop_cells == task.stop_cells
        assert again.open_task("U102") is None  # another picker has no task
        # Picking goes on from there: the item scan needs no second bin scan.
        d = r.scan(interpret(item_code(r.current)), units=int(r.current.qty))
        assert d.accepted and d.line_done
    finally:
        again.store.close()


def test_open_task_is_none_without_an_unfinished_task(service, store):
    assert service.open_task(PICKER) is None
    (order,) = plain_orders(store, 1)
    task = service.start(PICKER, {order: "TT000001"})
    assert service.open_task(PICKER).id == task.id
    while not task.session.finished:
        pick_current(service, task)
    service.finish(task)
    assert service.open_task(PICKER) is None


# --- finishing ------------------------------------------------------------------------------


def test_finish_closes_the_totes_and_reports_time_and_rate(service, store, clock):
    orders = plain_orders(store, 2, min_lines=2)
    totes = totes_for(orders)
    task = service.start(PICKER, totes)
    s = task.session
    shorted = s.current
    save(service, task, s.flag_short(0))
    picked = []
    while not s.finished:
        picked.append(pick_current(service, task))
    clock.advance(90)
    stats = service.finish(task)
    assert stats.lines == len(picked) == len(s.lines) - 1
    assert stats.pieces == pytest.approx(sum(ln.qty for ln in picked)) and stats.kg == 0
    assert stats.short == 1 and shorted not in picked
    assert stats.took == timedelta(seconds=90)
    assert stats.budget == task_budget(2, len(s.lines)) > PICK_PACK_BUDGET  # two orders
    assert stats.lines_per_hour == pytest.approx(len(picked) * 3600 / 90)
    assert stats.picks_per_hour == pytest.approx(len(picked) * 3600 / 90)
    closed = [(e[1], e[2]) for e in outbox(store) if e[0] == "tote_closed"]
    assert closed == [({"order": o, "tote": totes[o]}, PICKER) for o in orders]
    assert {o: service.order_state(o) for o in orders} == dict.fromkeys(orders, "picked")
    assert rows(store, "SELECT state FROM tote") == [("closed",), ("closed",)]
    finished = one(store, "SELECT finished_at FROM pick_task WHERE id = ?", task.id)
    assert datetime.fromisoformat(finished) == START + timedelta(seconds=90)

    # A second task: the rate is over both finished tasks.
    (other,) = [o for o in plain_orders(store, 3) if o not in orders][:1]
    clock.advance(600)
    second = service.start(PICKER, {other: "TT000007"})
    more = []
    while not second.session.finished:
        more.append(pick_current(service, second))
    clock.advance(30)
    stats = service.finish(second)
    assert stats.took == timedelta(seconds=30) and stats.short == 0
    assert stats.lines_per_hour == pytest.approx(len(more) * 3600 / 30)  # this task's
    assert stats.picks_per_hour == pytest.approx((len(picked) + len(more)) * 3600 / 120)
    # Another picker's rate is their own.
    assert service.picks_per_hour("U102", clock()) == 0.0


def test_a_batch_of_four_gets_the_budget_of_its_orders_and_lines(service, store, clock):
    orders = plain_orders(store, 4)
    task = service.start(PICKER, totes_for(orders))
    lines = len(task.session.lines)
    assert lines >= 4
    assert service.task_budget(task) == task_budget(4, lines) > PICK_PACK_BUDGET + timedelta(
        minutes=2
    )  # three orders more: 2:15 more, and 12 s a line beyond the first 4
    while not task.session.finished:
        pick_current(service, task)
    clock.advance(200)
    stats = service.finish(task)
    assert stats.budget == task_budget(4, lines) and stats.took < stats.budget
    assert service.task_budget(task) == stats.budget  # the same after the task ends


def test_finish_counts_pieces_and_kilograms_apart(service, store, clock):
    weighed = one(
        store,
        "SELECT l.order_id FROM order_line l JOIN sku s ON s.sku = l.sku WHERE s.unit = 'kg'"
        " ORDER BY l.order_id LIMIT 1",
    )
    task = service.start(PICKER, {weighed: "TT000001"})
    s = task.session
    kg = [ln for ln in s.lines if ln.unit == "kg"]
    each = [ln for ln in s.lines if ln.unit != "kg"]
    assert kg
    for _ in range(len(s.lines)):
        line = s.current
        save(service, task, s.scan(interpret(line.bin)))
        if line.unit == "kg":
            save(service, task, s.scan(interpret(item_code(line, line.qty))))
        else:
            save(service, task, s.scan(interpret(item_code(line)), units=int(line.qty)))
    assert s.finished
    clock.advance(60)
    stats = service.finish(task)
    assert stats.lines == len(kg) + len(each)
    assert stats.pieces == sum(int(ln.qty) for ln in each)
    assert stats.kg == pytest.approx(sum(ln.qty for ln in kg), abs=0.001)


# --- cancellations --------------------------------------------------------------------------


def cancel_locally(store: LocalStore, order_id: str) -> None:
    """What a sync does when the backend says the customer cancelled."""
    with store.write() as conn:
        conn.execute("UPDATE orders SET state = 'cancelled' WHERE id = ?", (order_id,))


def test_a_cancelled_order_is_put_back_and_leaves_the_task(service, store, demo, clock):
    keep, drop = plain_orders(store, 2, min_lines=2)
    totes = {keep: "TT000001", drop: "TT000002"}
    task = service.start(PICKER, totes)
    s = task.session
    while not s.to_put_back(drop):
        pick_current(service, task)
    assert not s.finished
    back = s.to_put_back(drop)
    stock_before = {(ln.bin, ln.sku): on_hand(store, ln.bin, ln.sku) for ln, _ in back}
    assert service.cancelled(task) == []
    cancel_locally(store, drop)
    assert service.cancelled(task) == [drop]

    decision = s.cancel(drop)
    service.drop_order(task, drop, decision.events)
    assert service.cancelled(task) == []
    returned = [e for e in outbox(store) if e[0] == "stock_returned"]
    assert [(p["order"], p["line"], p["qty"], p["why"]) for _, p, _ in returned] == [
        (drop, ln.line_no, qty, "order cancelled") for ln, qty in back
    ]
    for ln, qty in back:
        assert on_hand(store, ln.bin, ln.sku) == stock_before[(ln.bin, ln.sku)] + qty
    assert rows(store, "SELECT qty_picked FROM order_line WHERE order_id = ?", drop) == [
        (0.0,)
    ] * len(rows(store, "SELECT 1 FROM order_line WHERE order_id = ?", drop))
    assert one(store, "SELECT state, order_id FROM tote WHERE code = 'TT000002'") == (
        "free", None,
    )  # fmt: skip
    assert service.tote_problem("TT000002") is None
    assert json.loads(one(store, "SELECT route FROM pick_task"))["dropped"] == [drop]
    live_lines = list(s.lines)
    assert {ln.order_id for ln in live_lines} == {keep}

    again = reopen(store, demo, clock)
    try:
        resumed = again.open_task(PICKER)
        assert resumed.session.lines == live_lines and resumed.session.current == s.current
        assert again.cancelled(resumed) == []
        while not resumed.session.finished:
            pick_current(again, resumed)
        again.finish(resumed)
        closed = [p for t, p, _ in outbox(again.store) if t == "tote_closed"]
        assert closed == [{"order": keep, "tote": "TT000001"}]
        assert again.order_state(keep) == "picked" and again.order_state(drop) == "cancelled"
        assert one(again.store, "SELECT state FROM tote WHERE code = 'TT000002'") == "free"
    finally:
        again.store.close()


def test_finish_with_every_order_cancelled_closes_no_tote(service, store):
    (order,) = plain_orders(store, 1)
    task = service.start(PICKER, {order: "TT000001"})
    cancel_locally(store, order)
    service.drop_order(task, order, task.session.cancel(order).events)
    assert task.session.finished
    stats = service.finish(task)
    assert stats.lines == 0 and stats.pieces == 0 and stats.kg == 0 and stats.short == 0
    assert [e for e in outbox(store) if e[0] == "tote_closed"] == []
    assert service.order_state(order) == "cancelled" and service.open_task(PICKER) is None


def test_a_short_of_a_cancelled_order_does_not_count_at_finish(service, store, demo, clock):
    keep, drop = plain_orders(store, 2, min_lines=2)
    task = service.start(PICKER, {keep: "TT000001", drop: "TT000002"})
    s = task.session
    while s.current.order_id != drop:
        pick_current(service, task)
    save(service, task, s.flag_short(0))
    cancel_locally(store, drop)
    service.drop_order(task, drop, s.cancel(drop).events)
    while not s.finished:
        pick_current(service, task)
    assert service.finish(task).short == 0  # as open_task() + finish() would say


# --- weighed items --------------------------------------------------------------------------


def weight_label(store_code: str, kg: float) -> str:
    """The store's weight label (fixtures/README.md): 21 + item code + grams + check digit."""
    body = f"21{store_code}{round(kg * 1000):05d}"
    return body + str(gs1_standard_check_digit(body))


def test_a_weighed_line_takes_the_stores_weight_label(service, store, snap):
    order = one(
        store,
        "SELECT l.order_id FROM order_line l JOIN sku s ON s.sku = l.sku WHERE s.unit = 'kg'"
        " ORDER BY l.order_id LIMIT 1",
    )
    task = service.start(PICKER, {order: "TT000001"})
    s = task.session
    while s.current.unit != "kg":
        s.skip()
    line = s.current
    code = next(k.store_code for k in snap.skus if k.sku == line.sku)
    assert code and len(code) == 5
    label = interpret(weight_label(code, line.qty))
    assert label.kind == "variable_measure" and label.net_weight_kg == pytest.approx(line.qty)
    assert s.scan(interpret(line.bin)).accepted
    d = s.scan(label)
    assert d.accepted, d.message


def test_promises_are_judged_by_the_backends_clock(service, store, clock):
    assert service.backend_now() == clock()
    store.set_sync_state(clock_offset_s="-120")  # this device runs two minutes fast
    assert (clock() - service.backend_now()).total_seconds() == 120


# --- two apps on one cache, and over-picks ------------------------------------------------------


def test_a_second_app_on_the_same_cache_cannot_take_over_an_open_task(service, store, demo, clock):
    from picker_app.store.db import Busy

    (order,) = plain_orders(store, 1)
    task = service.start(PICKER, {order: "TT000001"})
    second = PickService(LocalStore.open(store.path, device="t1"), demo, clock)
    try:
        with pytest.raises(Busy, match=f"order {order} is open in another picker-app"):
            second.open_task(PICKER)
        line = task.session.current
        with pytest.raises(Busy):  # its copy of the task cannot save over the first
            second.save(task, [StockPicked(order=order, line=line.line_no, sku=line.sku,
                                           bin=line.bin, qty=1)])  # fmt: skip
        before = len(outbox(store))
        store.close()  # the first app ends (as a crash would): the task is free again
        resumed = second.open_task(PICKER)
        assert resumed is not None and resumed.id == task.id
        assert len(outbox(second.store)) == before
    finally:
        second.store.close()


def test_a_pick_beyond_what_the_line_needs_is_refused_and_saves_nothing(service, store):
    (order,) = plain_orders(store, 1)
    task = service.start(PICKER, {order: "TT000001"})
    line = task.session.current
    pick = {"order": order, "line": line.line_no, "sku": line.sku, "bin": line.bin}
    needed = line.qty
    service.save(task, [StockPicked(**pick, qty=needed)])
    before = outbox(store)
    with pytest.raises(UserError, match=f"needs only 0 more .{needed:g} of {needed:g}"):
        service.save(task, [StockPicked(**pick, qty=1)])  # e.g. a stale session's
    assert outbox(store) == before
    assert one(store, "SELECT qty_picked FROM order_line WHERE order_id = ? AND line_no = ?",
               order, line.line_no) == needed  # fmt: skip


def test_an_event_the_backend_would_refuse_is_not_recorded(service, store):
    """The device checks what it records against the backend's typed models: a payload that
    does not fit (here a model made without its checks, with a quantity that is not a number)
    is this app's defect, refused before anything is saved."""
    (order,) = plain_orders(store, 1)
    task = service.start(PICKER, {order: "TT000004"})
    line = task.session.current
    before = outbox(store)
    bad = StockPicked.model_construct(order=order, line=line.line_no, sku=line.sku,
                                      bin=line.bin, qty=float("nan"))  # fmt: skip
    with pytest.raises(PickerError, match="backend would refuse .payload|qty"):
        service.save(task, [bad])
    assert outbox(store) == before
    assert service.open_task(PICKER).session.picked == {}


def test_an_event_the_service_makes_that_does_not_fit_is_one_sentence_and_saves_nothing(
    service, store
):
    """The service's own events (here a task's start with an empty tote label) are checked
    when made, before the write: the same sentence, nothing saved."""
    (order,) = plain_orders(store, 1)
    with pytest.raises(PickerError, match=r"pick_started event the backend would refuse \(totes"):
        service.start(PICKER, {order: ""})
    assert outbox(store) == [] and service.open_task(PICKER) is None
    assert one(store, "SELECT state FROM orders WHERE id = ?", order) == "confirmed"
