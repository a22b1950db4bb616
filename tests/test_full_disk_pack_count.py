"""A full disk at the packing station and during a count: the scan (or the count sent) is one
sentence, nothing of it is counted, kept or queued for the backend, and once space returns the
same scan goes through and the work reaches the backend exactly once.

Each test runs twice: on a real small tmpfs holding the device's cache, filled to the last byte
(it needs root, as CI has: skipped otherwise), and with SQLite's own page limit answering
SQLITE_FULL (works anywhere; see `Disk`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from picker_app.bootstrap import AppOptions, make_app
from picker_app.domain.packing import Accepted
from picker_app.domain.scan import interpret
from picker_app.services.counting import CountService
from picker_app.services.packing import PackService
from picker_app.store.db import LocalStore, StoreError
from picker_app.sync.client import SyncClient, SyncSettings
from picker_app.ui.screens.packer.check import CheckScreen
from picker_app.ui.screens.packer.waiting import WaitingScreen
from tests.appkit import STORE, make_rig
from tests.conftest import fill
from tests.test_counts_ui import flag_on_another_device
from tests.test_pack_service import PACKER, gtin_of, picked_order
from tests.test_ui_flow import message, wait_for
from tests.test_ui_pack import login_packer

FULL = "^this device is out of storage"
COUNTER = "U117"
NO_LIMIT = 1073741823

# The smallest row of each table a scan writes, with the index key of the real row (so it goes
# where the real one would): the page limit leaves no room for a row of at least this size.
QC_FILLER = (
    "INSERT INTO qc_scan (order_id, line_no, qty, bag, at) VALUES (?, 0, 0, 0, '')",
    "DELETE FROM qc_scan WHERE packer IS NULL AND at = ''",
)
COUNT_FILLER = (
    "INSERT INTO count_scan (task, bin, sku, qty, counter, at) VALUES (?, '', '', 0, ?, '')",
    "DELETE FROM count_scan WHERE bin = '' AND at = ''",
)


class Disk:
    """The storage of one device's cache, filled and freed by the test.

    `tmpfs`: the cache is on a 32 MB file system of the test's own, filled with a file (its WAL
    emptied into the database first, so the next commit must grow a file). `page_limit`: SQLite
    may not grow the database past its size, its free pages are taken by a scratch table, and
    the table (and index) the next write goes to is filled with the smallest rows that go where
    the real row would, so that row finds no room either."""

    def __init__(self, mode: str, store: LocalStore) -> None:
        self.mode = mode
        self.store = store
        self.filler: Path | None = None
        self.cleanup: str | None = None

    def fill(self, squeeze: tuple[str, str], params: tuple[object, ...]) -> None:
        if self.mode == "tmpfs":
            self.store.writer.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self.filler = fill(self.store.path.parent)
            return
        insert, self.cleanup = squeeze
        with self.store.write() as conn:
            conn.execute("CREATE TABLE IF NOT EXISTS disk_filler (b BLOB)")
        with self.store.write() as conn:
            pages = conn.execute("PRAGMA page_count").fetchone()[0]
            conn.execute(f"PRAGMA max_page_count = {pages}")
        for size in (16000, 3000, 300, 30, 1):
            self._until_full("INSERT INTO disk_filler VALUES (zeroblob(?))", (size,))
        self._until_full(insert, params)

    def _until_full(self, sql: str, params: tuple[object, ...]) -> None:
        for _ in range(100_000):
            try:
                with self.store.write() as conn:
                    conn.execute(sql, params)
            except StoreError as err:
                assert err.kind == "full", err
                return
        raise AssertionError("the page limit never filled the cache")

    def free(self) -> None:
        if self.filler is not None:
            self.filler.unlink()
            self.filler = None
            return
        with self.store.write() as conn:
            conn.execute(f"PRAGMA max_page_count = {NO_LIMIT}")
            conn.execute("DELETE FROM disk_filler")
            if self.cleanup:
                conn.execute(self.cleanup)


MODES = ["tmpfs", "page_limit"]


@pytest.fixture(params=MODES)
def cache_dir(request, tmp_path) -> Path:
    """Where the device's cache lives: on a small tmpfs (root only), or beside the test's."""
    if request.param == "tmpfs":
        return request.getfixturevalue("small_disk")
    return tmp_path


def mode_of(cache_dir: Path, tmp_path: Path) -> str:
    return "page_limit" if cache_dir == tmp_path else "tmpfs"


@pytest.fixture
def floor_on_disk(backend_template, tmp_path, cache_dir):
    """A picker's handheld and a packing station whose cache is on `cache_dir`, both synced."""
    rig = make_rig(backend_template, tmp_path)
    station = LocalStore.open(cache_dir / "station.db", device="packing-1")
    token = rig.backend.add_device(STORE, station.device)
    client = SyncClient(station, SyncSettings(rig.server.url, STORE, token))
    client.download_changes()
    yield rig, station, client, Disk(mode_of(cache_dir, tmp_path), station)
    station.close()
    rig.stop()


@pytest.fixture
def rig_on_disk(backend_template, tmp_path, cache_dir):
    """The rig (one device) with its cache on `cache_dir`."""
    rig = make_rig(backend_template, tmp_path, cache_dir=cache_dir)
    yield rig, Disk(mode_of(cache_dir, tmp_path), rig.store)
    rig.stop()


def kept_scans(store: LocalStore, order_id: str) -> list[tuple[object, ...]]:
    """The QC scans kept for the order (a filler row of `Disk` is none)."""
    return store.conn.execute(
        "SELECT line_no, qty, bag, gtin, packer FROM qc_scan WHERE order_id = ?"
        " AND packer IS NOT NULL ORDER BY rowid",
        (order_id,),
    ).fetchall()


def outbox(store: LocalStore) -> list[tuple[object, ...]]:
    return store.conn.execute("SELECT seq, type, state FROM outbox ORDER BY seq").fetchall()


def test_a_qc_scan_on_a_full_disk_is_not_counted_and_goes_through_once_space_returns(
    floor_on_disk,
):
    rig, station, client, disk = floor_on_disk
    order, tote, _ = picked_order(rig)
    client.sync_once()
    packing = PackService(station, rig.layout, rig.clock)
    job = packing.open(packing.order_for(interpret(tote)))
    units = [ln for ln in job.qc.order.lines for _ in range(ln.units)]
    assert len(units) >= 2
    first, second, *rest = units
    assert isinstance(packing.scan(job, interpret(gtin_of(station, first.sku)), PACKER), Accepted)
    scanned = {ln.line_no: job.qc.scanned(ln) for ln in job.qc.order.lines}
    kept, events = kept_scans(station, order), outbox(station)
    assert len(kept) == 1

    disk.fill(QC_FILLER, (order,))
    with pytest.raises(StoreError, match=FULL) as refused:
        packing.scan(job, interpret(gtin_of(station, second.sku)), PACKER)
    said = f"Not saved: {refused.value}. Scan it again."  # what the check screen says
    assert refused.value.kind == "full" and "\n" not in said
    assert {ln.line_no: job.qc.scanned(ln) for ln in job.qc.order.lines} == scanned
    assert kept_scans(station, order) == kept and outbox(station) == events
    assert not station.writer.in_transaction
    # What a restart would find is what was kept, not what was refused.
    resumed = PackService(station, rig.layout, rig.clock).open(order)
    assert {ln.line_no: resumed.qc.scanned(ln) for ln in resumed.qc.order.lines} == scanned

    disk.free()  # space returns: no restart, no reopening
    for line in (second, *rest):
        assert isinstance(
            packing.scan(job, interpret(gtin_of(station, line.sku)), PACKER), Accepted
        )
    assert len(kept_scans(station, order)) == len(units)
    event = packing.finish(job, PACKER)
    assert event.result == "pass" and not event.discrepancies
    client.sync_once()
    client.sync_once()  # nothing twice
    backend = rig.backend.conn
    assert backend.execute(
        "SELECT result, packer FROM qc_results WHERE order_id = ?", (order,)
    ).fetchall() == [("pass", PACKER)]
    assert backend.execute(
        "SELECT COUNT(*), MIN(status) FROM events WHERE type = 'qc_completed' AND device = ?",
        (station.device,),
    ).fetchone() == (1, "applied")
    assert backend.execute("SELECT state FROM orders WHERE id = ?", (order,)).fetchone() == (
        "packed",
    )
    assert station.counts()["pending"] == 0 and station.counts()["rejected"] == 0


def test_a_count_scan_and_the_count_sent_on_a_full_disk_count_nothing_and_go_through_later(
    rig_on_disk,
):
    rig, disk = rig_on_disk
    _, sku = flag_on_another_device(rig)
    counting = CountService(rig.store, rig.layout, rig.clock)
    (task,) = counting.open_tasks()
    code = interpret(gtin_of(rig.store, sku))
    assert counting.scan(task, code, COUNTER) == 1
    assert counting.scan(task, code, COUNTER, qty=3) == 4
    events = outbox(rig.store)

    disk.fill(COUNT_FILLER, (task.id, COUNTER))
    with pytest.raises(StoreError, match=FULL):
        counting.scan(task, code, COUNTER, qty=2)
    assert counting.counted(task, COUNTER) == 4  # the refused 2 are not counted
    assert outbox(rig.store) == events
    if disk.mode == "tmpfs":  # the page limit leaves room for the outbox's row: see `Disk`
        with pytest.raises(StoreError, match=FULL):
            counting.submit(task, COUNTER)
        assert outbox(rig.store) == events  # no count_submitted kept
        assert [t.id for t in counting.open_tasks()] == [task.id]  # still open to count

    disk.free()
    assert counting.scan(task, code, COUNTER, qty=2) == 6
    event = counting.submit(task, COUNTER)
    assert (event.counted, event.counter, event.done) == (6, COUNTER, True)
    assert counting.open_tasks() == []
    rig.client.sync_once()
    rig.client.sync_once()
    assert rig.backend.conn.execute(
        "SELECT COUNT(*), MIN(status) FROM events WHERE type = 'count_submitted' AND device = ?",
        (rig.store.device,),
    ).fetchone() == (1, "applied")
    assert rig.backend.conn.execute(
        "SELECT state, counted FROM count_tasks WHERE store = ? AND id = ?", (STORE, task.id)
    ).fetchone() == ("submitted", 6)


def scanned_units(check: CheckScreen) -> int:
    return sum(check.job.qc.scanned(ln) for ln in check.job.qc.order.lines)


async def test_the_packers_screen_says_not_saved_and_the_app_goes_on(rig_on_disk):
    rig, disk = rig_on_disk
    order, tote, _ = picked_order(rig)
    app = make_app(rig.store, {"U113": "8033"}, rig.layout, sync_client=rig.client,
                   options=AppOptions(sync_interval_s=0.2), clock=rig.clock)  # fmt: skip
    async with app.run_test(size=(40, 20)) as pilot:
        await login_packer(pilot)
        await pilot.press(*tote, "enter")
        await pilot.pause()
        check = app.screen
        assert isinstance(check, CheckScreen) and check.job.order_id == order
        units = [ln for ln in check.job.qc.order.lines for _ in range(ln.units)]
        await pilot.press(*gtin_of(rig.store, units[0].sku), "enter")
        await pilot.pause()
        assert scanned_units(check) == 1
        await wait_for(pilot, lambda: rig.store.counts()["pending"] == 0)

        disk.fill(QC_FILLER, (order,))
        await pilot.press(*gtin_of(rig.store, units[1].sku), "enter")
        await pilot.pause()
        said = message(app)
        assert said.startswith("Not saved: this device is out of storage")
        assert said.endswith("Scan it again.") and "\n" not in said
        assert check.query_one("#message").has_class("error")
        assert scanned_units(check) == 1 and len(kept_scans(rig.store, order)) == 1
        await pilot.pause(0.5)  # the sync worker meets the full disk too, and lives on
        assert app.is_running and app.screen is check
        assert app.worker is not None and app.worker.is_alive()

        disk.free()
        for line in units[1:]:
            await pilot.press(*gtin_of(rig.store, line.sku), "enter")
            await pilot.pause()
        await wait_for(pilot, lambda: isinstance(app.screen, WaitingScreen))
        assert f"{order} packed" in message(app)
        await wait_for(pilot, lambda: rig.store.counts()["pending"] == 0)
    qc = [
        json.loads(p)
        for (p,) in rig.store.conn.execute("SELECT payload FROM outbox WHERE type = 'qc_completed'")
    ]
    assert len(qc) == 1 and qc[0]["result"] == "pass" and qc[0]["discrepancies"] == []
    assert rig.backend.conn.execute(
        "SELECT COUNT(*) FROM qc_results WHERE order_id = ?", (order,)
    ).fetchone() == (1,)


async def test_the_count_screen_says_not_saved_and_keeps_the_keyed_quantity(rig_on_disk):
    from picker_app.ui.screens.lead.counts import CountScreen

    rig, disk = rig_on_disk
    bin_, sku = flag_on_another_device(rig)
    app = make_app(rig.store, {"U117": "573605"}, rig.layout, options=AppOptions(),
                   clock=rig.clock)  # fmt: skip
    async with app.run_test(size=(40, 20)) as pilot:
        await pilot.press(*"BD4117", "enter", *"573605", "enter")
        await pilot.pause()
        await pilot.press("f5")
        await pilot.pause()
        await pilot.press(*bin_, "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, CountScreen))
        screen = app.screen
        (task,) = CountService(rig.store, rig.layout, rig.clock).open_tasks()
        disk.fill(COUNT_FILLER, (task.id, "U117"))
        await pilot.press("f7")
        await pilot.pause()
        await pilot.press("3", "enter")  # three of them, then one scan
        await pilot.pause()
        await pilot.press(*gtin_of(rig.store, sku), "enter")
        await pilot.pause()
        said = message(app)
        assert said.startswith("Not saved: this device is out of storage")
        assert said.endswith("Scan it again.")
        assert CountService(rig.store, rig.layout, rig.clock).counted(task, "U117") == 0
        disk.free()
        await pilot.press(*gtin_of(rig.store, sku), "enter")  # the same scan again: still 3
        await pilot.pause()
        assert message(app) == "+3: 3 counted."
        assert app.screen is screen


MOVE_FILLER = (
    "INSERT INTO task_progress (kind, task, state, at)"
    " VALUES ('slot_move', ? || '~' || hex(randomblob(8)), '', '')",
    "DELETE FROM task_progress WHERE state = ''",
)


def test_a_move_scan_on_a_full_disk_is_not_kept_and_goes_through_once_space_returns(rig_on_disk):
    """A slotting move's scan that cannot be kept is one sentence and changes nothing: not the
    step on the screen, not what a restart resumes; with space back the same scan goes on.
    (The disk fills before the move's first scan, which adds a row: a later scan rewrites its
    row in place, which needs no new page under SQLite's page limit.)"""
    from picker_app.services.slotting import SlottingService
    from picker_app.store import progress as kept
    from tests.test_slot_moves import LEAD, accepted_task

    rig, disk = rig_on_disk
    slotting, move, task = accepted_task(rig, swap=False)
    progress = slotting.start(task)
    first = progress.prompt()

    disk.fill(MOVE_FILLER, (task.id,))
    with pytest.raises(StoreError, match=FULL) as refused:
        slotting.scan(progress, move.from_bin)
    assert refused.value.kind == "full"
    assert progress.prompt() == first  # the screen's step is not moved
    assert not rig.store.writer.in_transaction
    assert kept.saved(rig.store, kept.SLOT_MOVE, task.id) is None
    resumed = SlottingService(rig.store, rig.layout, rig.clock).start(task)
    assert resumed.prompt() == first  # nor what a restart would find

    disk.free()  # no restart: the same progress goes on
    gtin = gtin_of(rig.store, move.sku)
    slotting.scan(progress, move.from_bin)
    slotting.scan(progress, gtin, qty=3)
    slotting.scan(progress, move.to_bin)
    assert slotting.finish(progress, LEAD) == (
        f"Moved 3 of {move.sku} {move.from_bin} -> {move.to_bin}."
    )
    rig.client.sync_once()
    assert rig.backend.conn.execute(
        "SELECT COUNT(*), MIN(status) FROM events WHERE type = 'slot_moved' AND device = ?",
        (rig.store.device,),
    ).fetchone() == (1, "applied")


NOTHING_TO_SQUEEZE = ("INSERT INTO disk_filler VALUES (zeroblob(1))", "DELETE FROM disk_filler")


@pytest.mark.parametrize("view", ["reorder", "shrinkage"])
def test_a_report_fetched_on_a_full_disk_is_shown_and_kept_once_space_returns(rig_on_disk, view):
    """The backend's reorder list or shrinkage report, fetched while the disk is full, is shown
    (only not kept for offline); with space back the next one fetched is kept."""
    from functools import partial

    from picker_app.services.reorder import ReorderService
    from picker_app.services.shrinkage import ShrinkageService
    from picker_app.store.reorder import kept_list
    from picker_app.store.shrinkage import kept_report
    from picker_app.sync.reorder import fetch_reorder
    from picker_app.sync.shrinkage import fetch_shrinkage

    rig, disk = rig_on_disk
    if view == "reorder":
        service = ReorderService(
            rig.store, rig.layout, rig.clock, partial(fetch_reorder, rig.client)
        )
        kept = partial(kept_list, rig.store)
    else:
        service = ShrinkageService(rig.store, rig.clock, partial(fetch_shrinkage, rig.client))
        kept = partial(kept_report, rig.store)
    disk.fill(NOTHING_TO_SQUEEZE, ())
    shown = service.read()
    assert shown.offline is None and shown.fetched_at == rig.clock()
    if disk.mode == "tmpfs":  # (a small report may still fit a page's free bytes under the limit)
        assert kept() is None
    disk.free()
    assert service.read().offline is None
    assert kept() is not None
