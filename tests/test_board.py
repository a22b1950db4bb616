"""The store lead's board: the domain (hand-computed, fixed clock), the backend's endpoint on
loopback (with the devices' X-Pending-Events reports), the board app at 100x30 (online, then
offline saying so, re-rendered in place) and its snapshot."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import partial

import httpx
import pytest
from textual.widgets import Static

from picker_app.backend.app import create_app
from picker_app.domain.board import (
    DeviceRecord,
    OosRecord,
    OrderRecord,
    QcRecord,
    WorkRecord,
    build_board,
    nominal_lines_per_hour,
    remaining_work,
    todays_pace,
)
from picker_app.domain.events import Discrepancy, OutOfStockFlagged, QcCompleted, StockPicked
from picker_app.services.board import BoardService
from picker_app.store.db import LocalStore
from picker_app.sync.board import fetch_board
from picker_app.sync.client import SyncClient, SyncSettings
from picker_app.ui.board import BoardApp
from tests.appkit import STORE

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


def at(h: int, m: int, day: int = 25) -> datetime:
    return datetime(2026, 11, day, h, m, tzinfo=UTC)


ORDERS = [
    OrderRecord("A", "confirmed", at(10, 10), 3, 3),  # 600 s left, needs 140 s
    OrderRecord("B", "placed", at(10, 2), 3, 3),  # 120 s left, needs 140 s: at risk
    OrderRecord("C", "picked", at(10, 1), 3, 0),  # 60 s left, needs the pack's 60 s
    OrderRecord("D", "packed", at(9, 59), 2, 0),  # late
    OrderRecord("E", "placed", None, 1, 1),  # no promise: last, never at risk
    OrderRecord("F", "dispatched", at(9, 0), 1, 0),  # not open: not on the board
]


def test_remaining_work_is_pick_time_of_the_lines_left_and_the_pack():
    # 3 lines: a walk of 30 + 3 x 6 = 48 m at 1.2 m/s (40 s), 3 x 10 s handling, 10 s tote,
    # then 60 s packing.
    assert remaining_work(ORDERS[0]) == timedelta(seconds=140)
    assert remaining_work(ORDERS[2]) == timedelta(seconds=60)
    assert remaining_work(ORDERS[3]) == timedelta(0)
    # a typical basket of 4 lines: 54 m (45 s) + 40 s + 10 s = 95 s, so 4 x 3600 / 95 lines/h
    assert nominal_lines_per_hour() == pytest.approx(4 * 3600 / 95)


def test_at_risk_first_then_by_time_left_at_the_nominal_pace():
    board = build_board(NOW, "store", ORDERS)
    assert board.pace == 1.0  # no picks today: pick_time's own pace
    assert [r.id for r in board.rows] == ["D", "B", "C", "A", "E"]
    assert [r.id for r in board.rows if r.at_risk] == ["D", "B"]
    assert board.at_risk == 2
    assert board.by_state == {"placed": 3, "picking": 0, "picked": 1, "packed": 1}
    b = board.rows[1]
    assert (b.left_s, b.need_s) == (120.0, 140.0)


WORK = [
    WorkRecord("P1", "picker", at(9, 5), 20),  # the 9:00 quarter hour
    WorkRecord("P1", "picker", at(9, 20), 10),  # the 9:15 one
    WorkRecord("P1", "picker", at(8, 50, day=24), 99),  # yesterday: not today's pace
    WorkRecord("K1", "packer", at(9, 50), 8),
]
QC = [
    QcRecord("P1", at(9, 30), 20, 1),
    QcRecord("P1", at(9, 40), 10, 0),
    QcRecord("P1", at(9, 0, day=24), 50, 9),  # yesterday's
]


def test_todays_pace_is_the_nominal_rate_over_the_pickers_rate_while_picking():
    # 30 lines in two quarter hours: 60 lines/h against pick_time's 151.6
    assert todays_pace(WORK, NOW) == pytest.approx((4 * 3600 / 95) / 60)


def test_at_todays_slower_pace_an_order_picked_in_time_at_the_nominal_one_is_at_risk():
    board = build_board(NOW, "store", ORDERS, WORK, QC)
    pace = (4 * 3600 / 95) / 60
    assert board.pace == round(pace, 2)
    c = next(r for r in board.rows if r.id == "C")
    assert c.need_s == pytest.approx(60 * pace)  # 152 s of packing at this pace: 60 s left
    assert c.at_risk
    a = next(r for r in board.rows if r.id == "A")
    assert a.need_s == pytest.approx(140 * pace) and not a.at_risk  # 354 s < 600 s
    assert [r.id for r in board.rows] == ["D", "C", "B", "A", "E"]


def test_people_rates_this_hour_and_the_qc_error_rate_of_their_picks_today():
    board = build_board(NOW, "store", ORDERS, WORK, QC, names={"P1": "Asha", "K1": "Kiran"})
    p1, k1 = board.people
    assert (p1.name, p1.role, p1.lines_hour, p1.qc_lines, p1.qc_errors) == (
        "Asha", "picker", 30, 30, 1,
    )  # fmt: skip
    assert p1.error_rate == pytest.approx(1 / 30)
    assert (k1.name, k1.role, k1.lines_hour, k1.error_rate) == ("Kiran", "packer", 8, None)


def test_oos_flags_of_today_newest_first_and_the_devices():
    oos = [OosRecord("S1", "A01-1", at(9, 0)), OosRecord("S2", "B02-3", at(9, 30)),
           OosRecord("S3", "C03-1", at(23, 0, day=24))]  # fmt: skip
    devices = [DeviceRecord("pick-2", at(9, 59), 3), DeviceRecord("pick-1", None, None)]
    board = build_board(NOW, "store", [], oos=oos, counts_open=4, devices=devices)
    assert [f.sku for f in board.oos] == ["S2", "S1"]
    assert [d.device for d in board.devices] == ["pick-1", "pick-2"]
    assert board.counts_open == 4 and board.rows == ()


# The backend's endpoint, on loopback.


def record_oos(rig, n: int = 1) -> list[tuple[str, str]]:
    flagged = rig.store.conn.execute("SELECT sku, bin FROM stock LIMIT ?", (n,)).fetchall()
    with rig.store.write():
        for sku, bin_ in flagged:
            rig.store.record(OutOfStockFlagged(sku=sku, bin=bin_, qty_found=0), user="U101")
    return flagged


def test_the_endpoint_gives_the_store_wide_board_and_each_devices_report(rig):
    flagged = record_oos(rig, 3)
    rig.client.settings = type(rig.client.settings)(
        rig.client.settings.base_url, STORE, rig.client.settings.token, batch_size=1
    )
    rig.client.upload_batch()  # one of three: two still waiting on the device
    board = fetch_board(rig.client)
    assert board.source == "store"
    assert sum(board.by_state.values()) == len(board.rows) == 12
    assert [d.device for d in board.devices] == ["handheld-1"]
    assert board.devices[0].pending == 2 and board.devices[0].last_sync is not None
    assert [(f.sku, f.bin) for f in board.oos] == flagged[:1]
    assert board.counts_open == 1  # the flag opened a count task
    rig.client.upload_all()
    assert fetch_board(rig.client).devices[0].pending == 0
    risky = [r.at_risk for r in board.rows]
    assert risky == sorted(risky, reverse=True)  # at risk first


def test_the_endpoint_is_for_a_device_of_the_store_and_in_the_openapi(rig):
    url = f"{rig.server.url}/v1/stores/{STORE}/board"
    assert httpx.get(url).status_code == 401
    other = rig.backend.add_device("BLR-XYZ-09", "elsewhere")
    assert httpx.get(url, headers={"Authorization": f"Bearer {other}"}).status_code == 403
    paths = create_app(rig.backend).openapi()["paths"]
    ok = paths["/v1/stores/{store}/board"]["get"]["responses"]["200"]
    assert ok["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Board"}


def test_a_device_that_only_downloads_is_on_the_board_with_its_last_poll(rig, tmp_path):
    """A packing kiosk or a board that never uploads still reports with each download: it is
    on the board with its last poll and nothing waiting; a poll that says the same again soon
    after is not written again (polls are frequent), one that says something new is."""
    kiosk = LocalStore.open(tmp_path / "kiosk.db", device="kiosk-2")
    token = rig.backend.add_device(STORE, "kiosk-2")
    client = SyncClient(kiosk, SyncSettings(rig.server.url, STORE, token))
    try:
        client.download_changes()  # a snapshot: no report
        assert fetch_board(rig.client).devices == ()
        client.download_changes()
        (device,) = fetch_board(rig.client).devices
        assert (device.device, device.pending) == ("kiosk-2", 0) and device.last_sync
        reports = "SELECT pending, at FROM device_reports WHERE device = 'kiosk-2'"
        first = rig.backend.conn.execute(reports).fetchall()
        client.download_changes()
        assert rig.backend.conn.execute(reports).fetchall() == first  # the same, soon after
        with kiosk.write():
            kiosk.record(OutOfStockFlagged(sku="SKU-000001", bin="A07-2", qty_found=0), user="U113")
        client.download_changes()
        assert rig.backend.conn.execute(reports).fetchall()[0][0] == 1  # it holds one now
    finally:
        kiosk.close()


def test_a_bad_pending_header_is_ignored_and_the_upload_goes_through(rig):
    record_oos(rig)
    s = rig.client.settings
    body = {"device": "handheld-1", "batch_id": "b1", "events": []}
    headers = {"Authorization": f"Bearer {s.token}", "X-Pending-Events": "-1"}
    r = httpx.post(f"{s.base_url}/v1/stores/{STORE}/events", json=body, headers=headers)
    assert r.status_code == 200
    assert fetch_board(rig.client).devices == ()


# The app, at kiosk size.


def board_text(app: BoardApp) -> str:
    return "\n".join(str(w.render()) for w in app.screen.query(Static))


async def test_the_board_online_then_offline_saying_so_redrawn_in_place(rig):
    service = BoardService(rig.store, rig.clock, partial(fetch_board, rig.client))
    app = BoardApp(service, STORE, interval_s=60, tz=UTC)
    async with app.run_test(size=(100, 30)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = app.board
        assert "online: the store's view" in board_text(app)
        assert "OR52000001" in board_text(app) and "AT RISK" in board_text(app)
        widgets = list(screen.query("*"))
        renders = screen.renders
        rig.server.stop()
        await pilot.press("r")
        await app.workers.wait_for_complete()
        await pilot.pause()
        text = board_text(app)
        assert "offline: this device's view, as of 10:00" in text
        assert "OR52000001" in text  # the cache's orders
        assert screen.renders == renders + 1
        assert list(screen.query("*")) == widgets  # nothing removed or mounted
        assert screen.query_one("#head").has_class("offline")


def test_offline_the_qc_error_rate_of_orders_picked_here(rig):
    """The device's own board: QC results recorded here count against the picker who picked
    the order on this device (the last pick's user); QC of an order picked elsewhere names no
    picker the device knows and is left out. The cache stamps events with the real clock."""
    here, elsewhere = rig.store.conn.execute(
        "SELECT o.id FROM orders o WHERE EXISTS (SELECT 1 FROM order_line l"
        " WHERE l.order_id = o.id) ORDER BY o.id LIMIT 2"
    ).fetchall()
    lines = rig.store.conn.execute(
        "SELECT line_no, sku FROM order_line WHERE order_id = ?", here
    ).fetchall()
    with rig.store.write():
        for line, sku in lines:
            rig.store.record(StockPicked(order=here[0], line=line, sku=sku, bin="A01-1", qty=1),
                             user="U101")  # fmt: skip
        found = (Discrepancy(line=lines[0][0], kind="missing", qty=1),)
        rig.store.record(QcCompleted(order=here[0], result="fail", discrepancies=found,
                                     packer="U113"), user="U113")  # fmt: skip
        rig.store.record(QcCompleted(order=elsewhere[0], result="fail", discrepancies=found * 2,
                                     packer="U113"), user="U113")  # fmt: skip
    board = BoardService(rig.store, lambda: datetime.now(UTC)).local()
    picker = next(p for p in board.people if p.person == "U101")
    assert (picker.qc_lines, picker.qc_errors) == (len(lines), 1)
    assert picker.error_rate == 1 / len(lines)
    assert all(p.qc_errors == 0 for p in board.people if p.person != "U101")


async def test_a_commit_to_the_cache_redraws_the_board(rig):
    # the cache stamps its events with the real clock: today is today
    service = BoardService(rig.store, lambda: datetime.now(UTC))
    app = BoardApp(service, STORE, interval_s=60, tz=UTC)
    async with app.run_test(size=(100, 30)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "Out of stock today: 0" in board_text(app)
        record_oos(rig)
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "Out of stock today: 1" in board_text(app)


def test_board_snapshot_offline_at_kiosk_size(snap_compare, rig):
    app = BoardApp(BoardService(rig.store, rig.clock), STORE, interval_s=600, tz=UTC)

    async def run_before(pilot) -> None:
        await app.workers.wait_for_complete()
        await pilot.pause()

    assert snap_compare(app, terminal_size=(100, 30), run_before=run_before)



def test_board_snapshot_offline_on_a_larger_screen(snap_compare, rig):
    """A 160x45 screen: the panes grow, nothing is cut (the device's own view: the backend's
    clock is real time, so its view cannot make a fixed picture)."""
    app = BoardApp(BoardService(rig.store, rig.clock), STORE, interval_s=600, tz=UTC)

    async def run_before(pilot) -> None:
        await app.workers.wait_for_complete()
        await pilot.pause()

    assert snap_compare(app, terminal_size=(160, 45), run_before=run_before)


def test_the_device_views_reads_of_today_use_the_outbox_index(rig):
    """The outbox keeps sent events for ever: the device view's reads of today's picks, QC
    results and flags go through the (type, time) index, not through all of it."""
    since = "2026-11-25T00:00:00.000+00:00"
    conn = rig.store.conn
    for sql in (
        "SELECT user FROM outbox WHERE type = 'stock_picked' AND created_at >= ?",
        "SELECT seq FROM outbox WHERE type = 'qc_completed' AND created_at >= ?",
        "SELECT seq FROM outbox WHERE type = 'out_of_stock_flagged' AND created_at >= ?",
    ):
        plan = " ".join(str(row[-1]) for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}", (since,)))
        assert "outbox_type_time" in plan, plan
