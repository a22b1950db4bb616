"""The picker's whole flow in the app, against the real reference backend on loopback.

Log in, take an order, bind a tote, scan every item (through the keyboard input, and in another
test through a serial scanner on a pty pair), flag one item out of stock, finish, sync: the
backend shows the order picked, the stock decremented and the out-of-stock flag with its audit
task. Then the awkward cases: wrong item, wrong bin, unknown code, double scan, cancellation
mid-pick, the network lost mid-order, a batch of two orders, and a crash mid-order.
"""

from __future__ import annotations

import dataclasses
import os
import select
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from picker_app.bootstrap import AppOptions, make_app
from picker_app.domain.queue import clock_text, task_budget
from picker_app.scanner.serial_reader import SerialSettings
from picker_app.services.picking import FinishStats
from picker_app.ui.app import PickerApp
from picker_app.ui.screens.dialogs import NoticeDialog
from picker_app.ui.screens.picker.finish import FinishScreen, finish_text
from picker_app.ui.screens.picker.pick import PickScreen
from picker_app.ui.screens.picker.queue import QueueScreen
from picker_app.ui.screens.picker.tote import ToteScreen
from tests.appkit import STORE, Rig, item_code, pick_task, picker_home
from tests.conftest import fill


def app_for(rig: Rig, sync: bool = True, **kwargs) -> PickerApp:
    return make_app(
        rig.store, {"U101": "7051"}, rig.layout,
        sync_client=rig.client if sync else None,
        options=AppOptions(sync_interval_s=0.2), clock=rig.clock, **kwargs,
    )  # fmt: skip


async def wait_for(pilot, condition: Callable[[], bool], timeout: float = 30.0) -> None:
    """Until `condition()` holds, then one more pause: a screen that has just been pushed gets
    its widgets composed before the test reads them (on a loaded machine they were not yet)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            shown = pilot.app.screen.query("#message")
            said = str(shown.first().render()) if shown else type(pilot.app.screen).__name__
            raise AssertionError(f"timed out waiting for the app; it shows: {said}")
        await pilot.pause(0.05)
    await pilot.pause()


def message(app: PickerApp) -> str:
    return str(app.screen.query_one("#message").render())


async def login_and_take(pilot, app: PickerApp, totes=("TT000001",)) -> None:
    await pilot.press(*"BD4101", "enter", *"7051", "enter")
    await pilot.pause()
    assert isinstance(app.screen, QueueScreen)
    await pilot.press(*([] if len(totes) == 1 else [str(len(totes))]), "enter")
    await pilot.pause()
    for tote in totes:
        await pilot.press(*tote, "enter")
        await pilot.pause()
    assert isinstance(app.screen, PickScreen)


async def pick_current_line(pilot, app: PickerApp) -> None:
    """Scan the current line's bin, then each unit (or its weight label)."""
    session = pick_task(app).session
    line = session.current
    await pilot.press(*line.bin, "enter")
    units = 1 if line.unit == "kg" else int(line.qty)
    for _ in range(units):
        await pilot.press(*item_code(line), "enter")
        await pilot.pause(0.35)  # a real picker's pace: beyond the double-read window


def backend_row(rig: Rig, sql: str, *params):
    return rig.backend.conn.execute(sql, params).fetchone()


def stock(rig: Rig, bin_: str, sku: str) -> float:
    row = backend_row(
        rig, "SELECT on_hand FROM stock WHERE store = ? AND bin = ? AND sku = ?", STORE, bin_, sku
    )
    return row[0] if row else 0.0


async def test_whole_flow_through_the_keyboard_then_the_backend_has_it(rig):
    app = app_for(rig)
    async with app.run_test(size=(40, 20)) as pilot:
        await login_and_take(pilot, app)
        task = pick_task(app)
        order = task.orders[0]
        lines = list(task.session.lines)
        before = {(ln.bin, ln.sku): stock(rig, ln.bin, ln.sku) for ln in lines}
        short = lines[0]  # the first stop's shelf is empty
        await pilot.press("f2")
        await pilot.pause()
        await pilot.press("enter")  # none found
        await pilot.pause()
        while pick_task(app) is not None and pick_task(app).session.current is not None:
            await pick_current_line(pilot, app)
        await wait_for(pilot, lambda: isinstance(app.screen, FinishScreen))
        summary = str(app.screen.query_one("#summary").render())
        assert "TT000001" in summary and "lines/hour" in summary and "1 short" in summary
        await wait_for(pilot, lambda: rig.store.counts()["pending"] == 0)
        await wait_for(pilot, lambda: app.status_values["online"] is True)
    state = backend_row(rig, "SELECT state FROM orders WHERE store = ? AND id = ?", STORE, order)
    assert state[0] == "picked"
    for ln in lines[1:]:
        want = before[(ln.bin, ln.sku)] - (ln.qty if ln.unit == "each" else round(ln.qty, 3))
        assert stock(rig, ln.bin, ln.sku) == pytest.approx(want, abs=1e-6)
    assert stock(rig, short.bin, short.sku) == 0
    task_row = backend_row(
        rig, "SELECT reason, state FROM count_tasks WHERE store = ? AND bin = ? AND sku = ?",
        STORE, short.bin, short.sku,
    )  # fmt: skip
    assert task_row == ("oos_flag", "open")
    shorted = backend_row(
        rig, "SELECT qty_short FROM order_lines WHERE store = ? AND order_id = ? AND line_no = ?",
        STORE, order, short.line_no,
    )  # fmt: skip
    assert shorted[0] == short.qty
    sent = [r[0] for r in rig.store.conn.execute("SELECT type FROM outbox ORDER BY seq")]
    assert sent[0] == "pick_started" and sent[-1] == "tote_closed"
    # The backend's Date header gave the clock offset (same machine here: about 0).
    assert abs(float(rig.store.sync_state()["clock_offset_s"])) <= 2
    assert sent.count("out_of_stock_flagged") == 1


async def test_whole_flow_through_a_serial_scanner_on_a_pty(rig):
    master, slave = os.openpty()
    port = os.ttyname(slave)
    app = app_for(rig, scanner=SerialSettings(port))

    def scan(code: str) -> None:
        os.write(master, code.encode() + b"\r")

    try:
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_for(pilot, lambda: app.status_values["scanner"] == "connected")
            scan("BD4101")  # the badge, scanned
            await wait_for(pilot, lambda: app.screen.query_one("#pin").has_focus)
            await pilot.press(*"7051", "enter")
            await pilot.pause()
            await pilot.press("enter")  # take the next order
            await pilot.pause()
            scan("TT000042")
            await wait_for(pilot, lambda: isinstance(app.screen, PickScreen))
            task = pick_task(app)
            order = task.orders[0]
            os.write(master, b"\x00\xff\xfe\r")  # line noise: a misread, nothing changes
            await wait_for(pilot, lambda: "Misread" in message(app))
            assert task.session.picked == {}
            while task.session.current is not None:
                line = task.session.current
                done_before = sum(task.session.picked.values())
                scan(line.bin)
                await wait_for(pilot, lambda: task.session.bin_confirmed)
                for _ in range(1 if line.unit == "kg" else int(line.qty)):
                    scan(item_code(line))
                    await wait_for(
                        pilot, lambda n=done_before: sum(task.session.picked.values()) > n
                    )
                    done_before = sum(task.session.picked.values())
                    time.sleep(0.35)  # beyond the double-read window
            await wait_for(pilot, lambda: isinstance(app.screen, FinishScreen))
            await wait_for(pilot, lambda: rig.store.counts()["pending"] == 0)
            os.close(master)  # the scanner's cable is pulled: said in the header, app runs on
            master = -1
            await wait_for(pilot, lambda: app.status_values["scanner"] == "DISCONNECTED")
            assert "scan: DISCONNECTED" in str(app.screen.query_one("StatusBar").render())
    finally:
        if master >= 0:
            os.close(master)
        os.close(slave)
    state = backend_row(rig, "SELECT state FROM orders WHERE store = ? AND id = ?", STORE, order)
    assert state[0] == "picked"


async def test_wrong_item_wrong_bin_unknown_code_and_double_scan_change_nothing(rig):
    app = app_for(rig, sync=False)
    async with app.run_test(size=(40, 20)) as pilot:
        await login_and_take(pilot, app)
        session = pick_task(app).session
        line = session.current
        other = next(ln for ln in session.lines if ln.sku != line.sku)
        pending = rig.store.counts()["pending"]
        await pilot.press(*other.bin, "enter")
        await pilot.pause()
        assert "Wrong bin" in message(app) and line.bin in message(app)
        await pilot.press(*line.bin, "enter")
        await pilot.press(*item_code(other), "enter")
        await pilot.pause()
        assert "Wrong item" in message(app) and line.name in message(app)
        await pilot.press(*"8901234567891", "enter")  # a check-digit error
        await pilot.pause()
        assert app.screen.query_one("#message").has_class("error")
        await pilot.press(*"4006381333931", "enter")  # a real GTIN this store does not sell
        await pilot.pause()
        assert "Wrong item" in message(app)
        assert session.picked == {} and rig.store.counts()["pending"] == pending
        # A scanner reading one code twice in a blink: counted once.
        code = item_code(line)
        screen = app.screen
        t = time.monotonic()
        screen.handle_scan(code, t)
        screen.handle_scan(code, t + 0.05)
        await pilot.pause()
        assert session.picked[session.key(line)] == (
            1 if line.unit == "each" else pytest.approx(line.qty)
        )
        assert rig.store.counts()["pending"] == pending + 1


async def test_cancelled_mid_pick_says_so_at_once_and_lists_what_to_put_back(rig):
    app = app_for(rig)
    async with app.run_test(size=(40, 20)) as pilot:
        await login_and_take(pilot, app)
        task = pick_task(app)
        order = task.orders[0]
        first = task.session.current
        await pick_current_line(pilot, app)
        took = task.session.picked[task.session.key(first)]
        await wait_for(pilot, lambda: rig.store.counts()["pending"] == 0)
        picked_stock = stock(rig, first.bin, first.sku)
        assert rig.backend.cancel_order(STORE, order)  # the customer cancels
        await wait_for(
            pilot, lambda: isinstance(app.screen, NoticeDialog) and app.screen.query("#body")
        )
        body = str(app.screen.query_one("#body").render())
        assert first.name in body and first.bin in body and "TT000001" in body
        await pilot.press("enter")  # put back, done
        await wait_for(pilot, lambda: isinstance(app.screen, FinishScreen))
        assert "nothing goes to packing" in str(app.screen.query_one("#summary").render())
        await wait_for(pilot, lambda: rig.store.counts()["pending"] == 0)
    assert stock(rig, first.bin, first.sku) == pytest.approx(picked_stock + took)
    assert rig.store.counts()["rejected"] == 0


async def test_enter_on_the_finish_screen_takes_the_next_order(rig):
    """As Enter on the queue does: the next order's tote is asked for at once (Escape there
    shows the queue, for a batch)."""
    app = app_for(rig, sync=False)
    async with app.run_test(size=(40, 20)) as pilot:
        await login_and_take(pilot, app)
        while pick_task(app) is not None and pick_task(app).session.current is not None:
            await pick_current_line(pilot, app)
        await wait_for(pilot, lambda: isinstance(app.screen, FinishScreen))
        assert "Next order" in str(app.screen.query_one("KeyBar").render())
        following = app.parts.picking.queue(limit=1)[0].order.id
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ToteScreen) and app.screen.orders == [following]
        assert f"Scan an empty tote for {following}" in str(app.screen.query_one("#ask").render())
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, QueueScreen)


def test_the_finish_summary_counts_pieces_and_lists_kilograms_apart():
    stats = FinishStats(
        lines=6, pieces=9, kg=1.35, short=1, took=timedelta(seconds=200),
        budget=timedelta(seconds=222), lines_per_hour=108, picks_per_hour=96.4,
    )  # fmt: skip
    text = finish_text(stats, {"OR1": "TT000001"})
    assert "6 lines: 9 pieces + 1.35 kg, 1 short" in text and "units" not in text
    assert "took 3:20 of 3:42: 0:22 under budget" in text
    assert "this task: 108 lines/hour" in text and "your shift: 96 lines/hour" in text
    only_kg = dataclasses.replace(stats, lines=1, pieces=0, kg=0.5, short=0)
    assert "1 line: 0.50 kg\n" in finish_text(only_kg, {"OR1": "TT000001"})
    no_kg = dataclasses.replace(stats, pieces=1, kg=0.0)
    assert "6 lines: 1 piece, 1 short\n" in finish_text(no_kg, {"OR1": "TT000001"})
    assert all(len(row) <= 38 for row in finish_text(stats, {"OR1": "TT000001"}).splitlines())


async def test_network_lost_mid_order_work_goes_on_and_syncs_when_back(rig):
    from picker_app.backend.server import ServerThread

    app = app_for(rig)
    async with app.run_test(size=(100, 30)) as pilot:
        await login_and_take(pilot, app)
        order = pick_task(app).orders[0]
        await wait_for(pilot, lambda: app.status_values["online"] is True)
        port = int(rig.server.url.rsplit(":", 1)[1])
        rig.server.stop()  # the network is gone
        await pick_current_line(pilot, app)
        await wait_for(pilot, lambda: app.status_values["online"] is False)
        assert "OFFLINE" in str(app.screen.query_one("StatusBar").render())
        while pick_task(app) is not None and pick_task(app).session.current is not None:
            await pick_current_line(pilot, app)
        await wait_for(pilot, lambda: isinstance(app.screen, FinishScreen))
        assert rig.store.counts()["pending"] > 0  # kept, waiting
        rig.server = ServerThread(rig.backend, port=port)  # back
        await wait_for(pilot, lambda: rig.store.counts()["pending"] == 0, timeout=30)
    state = backend_row(rig, "SELECT state FROM orders WHERE store = ? AND id = ?", STORE, order)
    assert state[0] == "picked"


async def test_a_batch_of_two_orders_one_route_each_stop_names_its_tote(rig):
    app = app_for(rig)
    async with app.run_test(size=(100, 30)) as pilot:
        await login_and_take(pilot, app, totes=("TT000001", "TT000002"))
        task = pick_task(app)
        assert len(task.orders) == 2 and set(task.totes.values()) == {"TT000001", "TT000002"}
        assert {ln.order_id for ln in task.session.lines} == set(task.orders)
        assert "-> TT00000" in str(app.screen.query_one("#stop").render())
        # The route's countdown is the batch's budget: its two orders and their lines.
        budget = clock_text(task_budget(2, len(task.session.lines)).total_seconds())
        assert f"{budget} left" in str(app.screen.query_one("#head").render())
        while pick_task(app) is not None and pick_task(app).session.current is not None:
            rig.clock.advance(10)
            await pick_current_line(pilot, app)
        await wait_for(pilot, lambda: isinstance(app.screen, FinishScreen))
        summary = str(app.screen.query_one("#summary").render())
        assert f" of {budget}: " in summary
        assert "this task:" in summary and "your shift:" in summary
        await wait_for(pilot, lambda: rig.store.counts()["pending"] == 0)
    for order in task.orders:
        state = backend_row(rig, "SELECT state FROM orders WHERE store = ? AND id = ?",
                            STORE, order)  # fmt: skip
        assert state[0] == "picked"


async def test_a_tote_in_use_is_refused(rig):
    app = app_for(rig, sync=False)
    async with app.run_test(size=(40, 20)) as pilot:
        await pilot.press(*"BD4101", "enter", *"7051", "enter")
        await pilot.pause()
        await pilot.press("2", "enter")
        await pilot.press(*"TT000009", "enter", *"TT000009", "enter")
        await pilot.pause()
        assert "already used" in message(app)
        await pilot.press(*"A07-2", "enter")
        await pilot.pause()
        assert "tote label" in message(app)


async def test_after_a_crash_the_picker_lands_on_the_same_order_and_line(rig, tmp_path):
    from picker_app.store.db import LocalStore

    app = app_for(rig, sync=False)
    async with app.run_test(size=(40, 20)) as pilot:
        await login_and_take(pilot, app)
        task = pick_task(app)
        await pick_current_line(pilot, app)
        second = task.session.current
        await pilot.press(*second.bin, "enter")  # at the second stop, bin scanned
        await pilot.pause()
    # The app is gone (no tote closed); a new one opens the same database.
    rig.store.close()
    rig.store = LocalStore.open(tmp_path / "picker.db", device="handheld-1")
    again = app_for(rig, sync=False)
    async with again.run_test(size=(40, 20)) as pilot:
        await pilot.press(*"BD4101", "enter", *"7051", "enter")
        await pilot.pause()
        assert isinstance(again.screen, PickScreen)
        resumed = pick_task(again)
        assert resumed.id == task.id and resumed.orders == task.orders
        assert resumed.session.current == second and resumed.session.bin_confirmed
        assert "Welcome back" in message(again)


async def test_exceptions_each_one_key_away_reach_the_backend(rig):
    """Damaged (F4), substitute (F5), put back (F6), skip (F3): recorded, synced, applied."""
    app = app_for(rig)
    async with app.run_test(size=(100, 30)) as pilot:
        await login_and_take(pilot, app)
        task = pick_task(app)
        session = task.session
        order = task.orders[0]
        first = session.current
        assert app.parts.picking.substitutes(first), "the seeded first line has substitutes"
        await pilot.press("f4", "1")  # damaged ...
        await pilot.pause()
        await pilot.press("enter")  # ... 1 of them
        await pilot.pause()
        assert "damaged" in message(app) and session.current == first
        await pilot.press("f5")
        await pilot.pause()
        await pilot.press("1")  # the closest in price
        await pilot.pause()
        sub = session.current
        assert sub.sku != first.sku and sub.line_no == first.line_no
        assert "Substitute" in message(app)
        await pick_current_line(pilot, app)
        await pilot.press("f6")  # scanned by mistake: put it back
        await pilot.press(*item_code(sub), "enter")
        await pilot.pause()
        assert "Put" in message(app) and session.current == sub
        await pick_current_line(pilot, app)
        skipped = session.current
        await pilot.press("f3")
        await pilot.pause()
        assert session.current != skipped and "Skipped" in message(app)
        while pick_task(app) is not None and pick_task(app).session.current is not None:
            await pick_current_line(pilot, app)
        await wait_for(pilot, lambda: isinstance(app.screen, FinishScreen))
        await wait_for(pilot, lambda: rig.store.counts()["pending"] == 0)
    db = rig.backend.conn
    assert db.execute(
        "SELECT kind, bin, sku, qty FROM losses WHERE store = ?", (STORE,)
    ).fetchall() == [("damaged", first.bin, first.sku, 1.0)]
    assert db.execute(
        "SELECT order_id, line_no, from_sku, to_sku FROM substitutions WHERE store = ?", (STORE,)
    ).fetchall() == [(order, first.line_no, first.sku, sub.sku)]
    line = db.execute(
        "SELECT qty_picked FROM order_lines WHERE store = ? AND order_id = ? AND line_no = ?",
        (STORE, order, first.line_no),
    ).fetchone()
    assert line[0] == pytest.approx(sub.qty)  # picked, put back, picked again
    types = [r[0] for r in rig.store.conn.execute("SELECT type FROM outbox ORDER BY seq")]
    assert types.count("stock_returned") == 1 and types.count("substitution_made") == 1
    state = db.execute("SELECT state FROM orders WHERE store = ? AND id = ?", (STORE, order))
    assert state.fetchone()[0] == "picked"
    assert rig.store.counts()["rejected"] == 0


async def test_an_order_another_device_took_first_is_given_up_with_its_put_back(rig):
    app = app_for(rig)
    async with app.run_test(size=(40, 20)) as pilot:
        await pilot.press(*"BD4101", "enter", *"7051", "enter")
        await pilot.pause()
        order = app.screen.entries[0].order.id
        # Another handheld claimed it a moment ago; this one has not heard yet.
        with rig.backend.transaction() as conn:
            conn.execute(
                "UPDATE orders SET state = 'picking', claimed_by = 'handheld-2'"
                " WHERE store = ? AND id = ?",
                (STORE, order),
            )
        await pilot.press("enter", *"TT000003", "enter")
        await pilot.pause()
        assert pick_task(app).orders == [order]
        await wait_for(
            pilot, lambda: isinstance(app.screen, NoticeDialog) and app.screen.query("#body")
        )
        assert "another device" in str(app.screen.query_one("#title").render())
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, FinishScreen))
        assert "nothing goes to packing" in str(app.screen.query_one("#summary").render())
        await wait_for(pilot, lambda: rig.store.counts()["pending"] == 0)
    types = [r[0] for r in rig.store.conn.execute("SELECT type FROM outbox")]
    assert "tote_closed" not in types
    assert backend_row(
        rig, "SELECT claimed_by FROM orders WHERE store = ? AND id = ?", STORE, order
    ) == ("handheld-2",)


async def test_a_serial_scanner_with_host_feedback_beeps_good_and_bad_reads(rig):
    master, slave = os.openpty()
    app = app_for(rig, sync=False, scanner=SerialSettings(os.ttyname(slave), feedback="honeywell"))

    def replies(want: bytes) -> bytes:
        got = b""
        deadline = time.monotonic() + 5
        while want not in got and time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.1)
            if ready:
                got += os.read(master, 64)
        return got

    try:
        async with app.run_test(size=(40, 20)) as pilot:
            await wait_for(pilot, lambda: app.status_values["scanner"] == "connected")
            await login_and_take(pilot, app)
            line = pick_task(app).session.current
            os.write(master, b"B01-1\r")  # the wrong bin
            await wait_for(pilot, lambda: "Wrong bin" in message(app))
            assert b"\x1b8," in replies(b"\x1b8,")  # ESC 8 , : the scanner's bad-read beep
            os.write(master, line.bin.encode() + b"\r")
            await wait_for(pilot, lambda: pick_task(app).session.bin_confirmed)
            assert b"\x1b7," in replies(b"\x1b7,")  # ESC 7 , : good read
    finally:
        os.close(master)
        os.close(slave)


def totes_closed_at_backend(rig: Rig) -> int:
    return backend_row(
        rig, "SELECT COUNT(*) FROM events WHERE type = 'tote_closed' AND device = ?",
        rig.store.device,
    )[0]  # fmt: skip


def fill_cache_disk(rig: Rig) -> Path:
    """No room left for the cache: its WAL emptied into the file, then the disk filled."""
    rig.store.writer.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return fill(rig.store.path.parent)


async def test_out_of_storage_mid_order_is_said_saves_nothing_and_goes_on_when_space_returns(
    rig_on_small_disk,
):
    """The disk is full: the scan is refused in one sentence, the app and its sync keep
    running, and once there is room the same scans and the tote close go through and reach the
    backend, without a restart."""
    rig = rig_on_small_disk
    app = app_for(rig)
    async with app.run_test(size=(40, 20)) as pilot:
        await login_and_take(pilot, app)
        await wait_for(pilot, lambda: rig.store.counts()["pending"] == 0)
        session = pick_task(app).session
        line = session.current
        await pilot.press(*line.bin, "enter")
        await pilot.pause()
        assert session.bin_confirmed
        filler = fill_cache_disk(rig)
        await pilot.press(*item_code(line), "enter")
        await pilot.pause()
        said = message(app)
        assert said.startswith("Not saved: this device is out of storage") and "\n" not in said
        assert app.screen.query_one("#message").has_class("error")
        assert not session.picked and rig.store.counts()["pending"] == 0
        await pilot.pause(0.5)  # the sync worker meets the full disk too, and lives on
        assert app.worker is not None and app.worker.is_alive()
        filler.unlink()  # room again
        await pilot.pause(0.35)
        await pilot.press(*item_code(line), "enter")
        await pilot.pause()
        assert session.picked
        while pick_task(app) is not None and pick_task(app).session.current is not None:
            await pick_current_line(pilot, app)
        await wait_for(pilot, lambda: isinstance(app.screen, FinishScreen))
        await wait_for(pilot, lambda: rig.store.counts()["pending"] == 0)
    assert totes_closed_at_backend(rig) == 1


async def test_out_of_storage_at_tote_close_tries_again_until_it_is_saved(rig_on_small_disk):
    rig = rig_on_small_disk
    app = app_for(rig)
    async with app.run_test(size=(40, 20)) as pilot:
        await login_and_take(pilot, app)
        real_finish = app.parts.picking.finish
        full = {"on": True}

        def finish(task):  # the disk fills up just as the totes are closed, once
            if not full["on"]:
                return real_finish(task)
            full["on"] = False
            filler = fill_cache_disk(rig)
            try:
                return real_finish(task)
            finally:
                filler.unlink()

        app.parts.picking.finish = finish
        while pick_task(app) is not None and pick_task(app).session.current is not None:
            await pick_current_line(pilot, app)
        await wait_for(pilot, lambda: "Totes not closed yet" in message(app))
        assert "out of storage" in message(app) and not full["on"]
        await wait_for(pilot, lambda: isinstance(app.screen, FinishScreen), timeout=15)
        await wait_for(pilot, lambda: rig.store.counts()["pending"] == 0)
    assert totes_closed_at_backend(rig) == 1


async def test_the_same_badge_in_a_second_app_is_warned_and_cannot_take_the_open_task(rig):
    """Two picker-apps on one device's cache (the same badge logged in on both): the task open
    in one is refused in the other, in a sentence; nothing is saved over it."""
    from picker_app.services.picking import PickService
    from picker_app.store.db import LocalStore

    first = PickService(LocalStore.open(rig.store.path), rig.layout, rig.clock)
    try:
        order = first.queue(1)[0].order.id
        first.start("U101", {order: "TT000009"})
        events = rig.store.counts()["pending"]
        app = app_for(rig)
        async with app.run_test(size=(40, 20)) as pilot:
            await pilot.press(*"BD4101", "enter", *"7051", "enter")
            await pilot.pause()
            said = message(app)
            assert f"order {order} is open in another picker-app on this device" in said
            assert pick_task(app) is None and not isinstance(app.screen, PickScreen)
        assert rig.store.counts()["pending"] <= events  # nothing saved over it
    finally:
        first.store.close()


async def test_the_queue_answers_every_scan_and_a_tote_or_order_label_takes_an_order(rig):
    from picker_app.ui.screens.picker.tote import ToteScreen

    app = app_for(rig)
    async with app.run_test(size=(40, 20)) as pilot:
        await pilot.press(*"BD4101", "enter", *"7051", "enter")
        await pilot.pause()
        queue = app.screen
        assert isinstance(queue, QueueScreen)
        first, second = (e.order.id for e in queue.entries[:2])
        await pilot.press(*"A19-4", "enter")  # a bin label means nothing here: said so
        await pilot.pause()
        said = message(app)
        assert "That is a bin label: here, scan an empty tote" in said
        assert app.screen.query_one("#message").has_class("error")
        await pilot.press(*second, "enter")  # an order label takes that order
        await pilot.pause()
        assert isinstance(app.screen, ToteScreen) and app.screen.orders == [second]
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press(*"TT000042", "enter")  # a tote label: the next order goes into it
        await wait_for(pilot, lambda: isinstance(app.screen, PickScreen))
        assert pick_task(app).orders == [first] and pick_task(app).totes == {first: "TT000042"}


async def test_a_tote_that_went_to_packing_is_not_taken_as_empty(rig):
    app = app_for(rig, sync=False)
    async with app.run_test(size=(40, 20)) as pilot:
        await login_and_take(pilot, app, totes=("TT000007",))
        while pick_task(app) is not None and pick_task(app).session.current is not None:
            await pick_current_line(pilot, app)
        await wait_for(pilot, lambda: isinstance(app.screen, FinishScreen))
        picker_home(app).show_queue()
        await pilot.pause()
        await pilot.press("enter")  # the next order
        await pilot.pause()
        await pilot.press(*"TT000007", "enter")  # the tote just handed to packing
        await pilot.pause()
        assert "is with order" in message(app) and "at packing" in message(app)
        assert pick_task(app) is None
