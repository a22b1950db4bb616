"""The packer's service against real caches and the real backend on loopback: a picker's device
picks and closes a tote, a packing device downloads the order waiting in it, checks it scan by
scan (refusals count nothing), resumes after a restart, and the pass reaches the backend."""

from __future__ import annotations

from datetime import timedelta

import pytest

from picker_app.domain.packing import Accepted, Refused
from picker_app.domain.scan import interpret
from picker_app.errors import UserError
from picker_app.services.packing import PackService
from picker_app.services.picking import PickService
from picker_app.store.db import LocalStore
from picker_app.sync.client import SyncClient, SyncSettings
from tests.appkit import STORE, make_rig
from tests.test_pick_service import pick_current, plain_orders

PICKER, PACKER = "U101", "U113"


@pytest.fixture
def floor(backend_template, tmp_path):
    """A picker's handheld (the rig's) and a packing station, both synced with the backend."""
    rig = make_rig(backend_template, tmp_path)
    station = LocalStore.open(tmp_path / "station.db", device="packing-1")
    token = rig.backend.add_device(STORE, station.device)
    client = SyncClient(station, SyncSettings(rig.server.url, STORE, token))
    client.download_changes()
    yield rig, station, client
    station.close()
    rig.stop()


def picked_order(rig) -> tuple[str, str, PickService]:
    """One order picked in full on the picker's device and its tote closed, synced."""
    service = PickService(rig.store, rig.layout, rig.clock)
    (order,) = plain_orders(rig.store, 1, min_lines=2)
    task = service.start(PICKER, {order: "TT000042"})
    while not task.session.finished:
        pick_current(service, task)
    service.finish(task)
    rig.client.sync_once()
    return order, "TT000042", service


def gtin_of(store: LocalStore, sku: str) -> str:
    return store.conn.execute("SELECT gtin FROM sku_barcode WHERE sku = ?", (sku,)).fetchone()[0]


def test_a_tote_picked_on_one_device_is_checked_and_packed_on_another(floor):
    rig, station, client = floor
    order, tote, _ = picked_order(rig)
    client.sync_once()
    packing = PackService(station, rig.layout, rig.clock)
    assert [e.order_id for e in packing.waiting()] == [order]
    assert packing.waiting()[0].tote == tote
    job = packing.open(packing.order_for(interpret(tote)))
    assert job.order_id == order
    assert all(line.qty == line.ordered for line in job.qc.order.lines)  # as the picker left it
    for line in job.qc.order.lines:
        for _ in range(line.units):
            verdict = packing.scan(job, interpret(gtin_of(station, line.sku)), PACKER)
            assert isinstance(verdict, Accepted), verdict
    event = packing.finish(job, PACKER)
    assert event.result == "pass" and event.packer == PACKER
    assert len(event.bag_ids) == len(job.qc.bags) >= 1
    client.sync_once()
    state, tote_now, bags = rig.backend.conn.execute(
        "SELECT state, tote, bags FROM orders WHERE id = ?", (order,)
    ).fetchone()
    assert (state, tote_now) == ("packed", None) and all(b in bags for b in event.bag_ids)
    picker = rig.backend.conn.execute(
        "SELECT picker, packer, result FROM qc_results WHERE order_id = ?", (order,)
    ).fetchone()
    assert picker == (PICKER, PACKER, "pass")
    assert packing.waiting() == []
    # The tote is free again, on the station and (once synced) for the picker.
    rig.client.sync_once()
    assert PickService(rig.store, rig.layout, rig.clock).tote_problem(tote) is None


def test_refused_scans_count_nothing_and_a_restart_resumes_the_check(floor, tmp_path):
    rig, station, client = floor
    order, tote, _ = picked_order(rig)
    client.sync_once()
    packing = PackService(station, rig.layout, rig.clock)
    job = packing.open(packing.order_for(interpret(tote)))
    first = job.qc.order.lines[0]
    other = station.conn.execute(
        "SELECT sku FROM sku WHERE sku NOT IN (SELECT sku FROM order_line WHERE order_id = ?)"
        " LIMIT 1",
        (order,),
    ).fetchone()[0]
    wrong = packing.scan(job, interpret(gtin_of(station, other)), PACKER)
    assert isinstance(wrong, Refused) and wrong.kind == "not_in_order"
    ok = packing.scan(job, interpret(gtin_of(station, first.sku)), PACKER)
    assert isinstance(ok, Accepted)
    left = {ln.line_no: job.qc.left(ln) for ln in job.qc.order.lines}
    # An expired batch (GS1: 01 GTIN, 17 expiry yesterday) is refused and counts nothing.
    gtin14 = gtin_of(station, first.sku).zfill(14)
    yesterday = (rig.clock().date() - timedelta(days=1)).strftime("%y%m%d")
    expired = packing.scan(job, interpret(f"01{gtin14}17{yesterday}10B77"), PACKER)
    assert isinstance(expired, Refused) and expired.kind == "expired"
    # The app is killed; a new service on the same cache resumes where the packer was.
    again = PackService(station, rig.layout, rig.clock).open(order)
    assert {ln.line_no: again.qc.left(ln) for ln in again.qc.order.lines} == left
    with pytest.raises(UserError, match="still needs"):
        PackService(station, rig.layout, rig.clock).finish(again, PACKER)


def test_a_tote_with_no_order_at_packing_is_one_sentence(floor):
    rig, station, _ = floor
    packing = PackService(station, rig.layout, rig.clock)
    with pytest.raises(UserError, match="Tote TT000999 has no order waiting for packing"):
        packing.order_for(interpret("TT000999"))
    with pytest.raises(UserError, match="Scan a tote"):
        packing.order_for(interpret(gtin_of(station, "SKU-000001")))
    assert packing.waiting() == []


def pack_all(packing: PackService, station: LocalStore, job) -> None:
    for line in job.qc.order.lines:
        for _ in range(line.units):
            verdict = packing.scan(job, interpret(gtin_of(station, line.sku)), PACKER)
            assert isinstance(verdict, Accepted), verdict


def test_labels_wait_for_the_printer_and_are_recorded_once_it_takes_them(floor, tmp_path):
    from picker_app.bootstrap import label_output
    from tests.test_printer import FakePrinter, free_port

    rig, station, client = floor
    order, tote, _ = picked_order(rig)
    client.sync_once()
    port = free_port()
    output = label_output(f"tcp://127.0.0.1:{port}", tmp_path / "labels")
    packing = PackService(station, rig.layout, rig.clock, output=output)
    job = packing.open(packing.order_for(interpret(tote)))
    pack_all(packing, station, job)
    packing.finish(job, PACKER)
    m = len(job.qc.bags)
    assert packing.queued_labels() == m
    with pytest.raises(UserError, match="cannot be reached.*press F7 to retry"):
        packing.print_queued()  # the printer is off: the labels wait (offline too)
    assert packing.queued_labels() == m
    assert not [e for e in station.pending() if e.type == "label_printed"]
    printer = FakePrinter(port=port)  # switched on
    try:
        printed = packing.print_queued()
        assert len(printed) == m and printer.jobs.get(timeout=2).startswith(b"^XA")
    finally:
        printer.close()
    labels = [e.payload for e in station.pending() if e.type == "label_printed"]
    assert [(p["bag"], p["bags"], p["reprint"]) for p in labels] == [
        (n, m, False) for n in range(1, m + 1)
    ]
    assert packing.print_queued() == []  # printed once, never again


def test_the_rider_takes_every_bag_and_the_backend_dispatches_the_order(floor, tmp_path):
    from picker_app.bootstrap import label_output
    from picker_app.store import people

    rig, station, client = floor
    order, tote, _ = picked_order(rig)
    client.sync_once()
    packing = PackService(station, rig.layout, rig.clock,
                          output=label_output(None, tmp_path / "labels"))  # fmt: skip
    job = packing.open(packing.order_for(interpret(tote)))
    pack_all(packing, station, job)
    packing.finish(job, PACKER)
    printed = packing.print_queued()
    assert all(p.startswith("saved as") and p.endswith(".png") for p in printed)  # no printer
    staff = people.users(station)
    with pytest.raises(UserError, match="not a rider"):
        packing.rider(interpret("BD4101"), staff)
    rider = packing.rider(interpret("BD4119"), staff)
    assert [e.order_id for e in packing.packed()] == [order]
    codes = packing.bag_ids(job)
    with pytest.raises(UserError, match="not a bag packed here"):
        packing.bag_for(interpret("BG9999999901"), order)
    rig.clock.advance(95)
    other = "BG" + order[2:] + "99"  # a bag code this store never packed for the order
    with pytest.raises(UserError, match="not a bag packed here"):
        packing.bag_for(interpret(other), order)
    with pytest.raises(UserError, match="is of order"):
        packing.bag_for(interpret(codes[0]), "OR52000009")  # handing over another order
    with pytest.raises(UserError, match="not scanned yet"):
        packing.hand_over(order, rider, [], PACKER)  # a bag missing
    bags = [packing.bag_for(interpret(code), order) for code in codes]
    event = packing.hand_over(order, rider, bags, PACKER)
    assert event.rider == "U119" and list(event.bag_ids) == codes and event.dwell_s == 95
    client.sync_once()
    state = rig.backend.conn.execute("SELECT state FROM orders WHERE id = ?", (order,)).fetchone()
    assert state == ("dispatched",)
    refused = rig.backend.conn.execute(
        "SELECT COUNT(*) FROM events WHERE status = 'rejected'"
    ).fetchone()
    assert refused == (0,)


def test_a_line_sent_back_is_picked_again_first_and_the_check_goes_on(floor):
    rig, station, client = floor
    order, tote, picking = picked_order(rig)
    client.sync_once()
    packing = PackService(station, rig.layout, rig.clock)
    job = packing.open(packing.order_for(interpret(tote)))
    *rest, last = job.qc.order.lines
    for line in rest:
        for _ in range(line.units):
            packing.scan(job, interpret(gtin_of(station, line.sku)), PACKER)
    assert packing.send_back(job, last.line_no, PACKER) == float(last.units)
    client.sync_once()
    line = rig.backend.conn.execute(
        "SELECT qty, qty_picked, repick FROM order_lines WHERE order_id = ? AND line_no = ?",
        (order, last.line_no),
    ).fetchone()
    assert line == (last.ordered, last.ordered - last.units, last.units)
    assert rig.backend.conn.execute(
        "SELECT result FROM qc_results WHERE order_id = ?", (order,)
    ).fetchall() == [("fail",)]
    # The picker's device: the line comes first in the queue, and only that line is picked.
    rig.client.sync_once()
    first = picking.queue()[0]
    assert first.order.id == order and first.repick and first.lines == 1
    assert order not in picking.suggest_batch(2).orders  # a re-pick is taken alone
    assert picking.order_problem(order) is None
    task = picking.start(PICKER, {order: "TT000077"})
    assert [(ln.order_id, ln.line_no) for ln in task.session.lines] == [(order, last.line_no)]
    assert task.session.remaining(task.session.lines[0]) == last.units
    pick_current(picking, task)
    picking.finish(task)
    rig.client.sync_once()
    # The packing station: the order is back, the line still to scan; the check passes.
    client.sync_once()
    again = packing.open(order)
    assert [(ln.line_no, again.qc.left(ln)) for ln, _ in again.qc.missing()] == [
        (last.line_no, last.units)
    ]
    for _ in range(last.units):
        verdict = packing.scan(again, interpret(gtin_of(station, last.sku)), PACKER)
        assert isinstance(verdict, Accepted)
    packing.finish(again, PACKER)
    client.sync_once()
    row = rig.backend.conn.execute(
        "SELECT o.state, l.qty_picked, l.repick FROM orders o JOIN order_lines l"
        " ON l.store = o.store AND l.order_id = o.id WHERE o.id = ? AND l.line_no = ?",
        (order, last.line_no),
    ).fetchone()
    assert row == ("packed", last.ordered, 0)
    assert rig.backend.conn.execute(
        "SELECT COUNT(*) FROM events WHERE status = 'rejected'"
    ).fetchone() == (0,)


def test_a_cold_bag_past_its_window_is_flagged_at_the_handover(floor, tmp_path):
    from picker_app.bootstrap import label_output
    from picker_app.store import people

    rig, station, client = floor
    picking = PickService(rig.store, rig.layout, rig.clock)
    chilled = rig.store.conn.execute(
        "SELECT o.id FROM orders o JOIN order_line l ON l.order_id = o.id JOIN sku s"
        " ON s.sku = l.sku WHERE o.state = 'confirmed' AND s.bin LIKE 'H%' AND NOT EXISTS"
        " (SELECT 1 FROM order_line w JOIN sku k ON k.sku = w.sku WHERE w.order_id = o.id"
        " AND k.unit = 'kg') ORDER BY o.id LIMIT 1"
    ).fetchone()[0]  # an order with a line from the dairy chiller (zone chilled)
    task = picking.start(PICKER, {chilled: "TT000055"})
    while not task.session.finished:
        pick_current(picking, task)
    picking.finish(task)
    rig.client.sync_once()
    client.sync_once()
    packing = PackService(station, rig.layout, rig.clock,
                          output=label_output(None, tmp_path / "labels"))  # fmt: skip
    job = packing.open(chilled)
    assert "chilled" in [bag.temp for bag in job.qc.bags]
    pack_all(packing, station, job)
    packing.finish(job, PACKER)
    rig.clock.advance(31 * 60)  # the cold window is 30 minutes
    scans = [packing.bag_for(interpret(code), chilled) for code in packing.bag_ids(job)]
    late = [b.code for b in scans if b.late]
    assert late and all(b.temp == "chilled" for b in scans if b.late)
    rider = packing.rider(interpret("BD4120"), people.users(station))
    event = packing.hand_over(chilled, rider, scans, PACKER)
    assert list(event.cold_late) == late and event.dwell_s == 31 * 60
