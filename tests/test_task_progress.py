"""No recorded scan of a slotting move or a replenishment is lost (issue 14): each scan accepted
is kept in the cache in its own write transaction, before it is shown accepted; `start` (and the
screens) resume where it was after Esc, a restart (a new store and service on the same file) or
the process being killed with SIGKILL; finishing records one event and deletes the progress in
the same transaction. Real SQLite, the real backend on loopback, real processes."""

from __future__ import annotations

import json
import os
import select
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from picker_app.domain.slot_moves import DONE, FROM_BIN, TAKE, TAKE_BACK, MoveProgress
from picker_app.errors import UserError
from picker_app.services.reorder import ReorderService, ReplenishTask
from picker_app.services.slotting import SlottingService
from picker_app.store import progress as kept
from picker_app.store.db import LocalStore
from picker_app.ui.screens.lead.reorder import ReorderScreen
from picker_app.ui.screens.lead.replenish import ReplenishScreen
from picker_app.ui.screens.lead.slot_move import SlotMoveScreen
from picker_app.ui.screens.lead.slotting import SlottingScreen
from picker_app.wire import SlotAdvice
from tests.appkit import ROOT
from tests.test_pack_service import gtin_of
from tests.test_reorder_device import fast_mover, send
from tests.test_reorder_device import lead_app as reorder_app
from tests.test_reorder_device import service as reorder_service
from tests.test_slot_moves import LEAD, accepted_task
from tests.test_slot_moves import lead_app as slotting_app
from tests.test_ui_flow import message, wait_for

PICKER = {"id": "U101", "name": "Picker", "role": "picker"}


def events(store: LocalStore, type_: str) -> list[dict]:
    return [e.payload for e in store.pending() if e.type == type_]


def reopened(rig) -> LocalStore:
    """The same cache file opened again, as a restarted app opens it."""
    return LocalStore.open(rig.store.path)


def state(progress: MoveProgress) -> tuple[str, float, float]:
    return progress.step, progress.qty, progress.swap_qty


def replenish_task(rig) -> ReplenishTask:
    """A pick face under its minimum, as a task the device has."""
    sku, bin_, on_hand, _ = fast_mover(rig)
    assert send(rig, "stock_picked", {"sku": sku, "bin": bin_, "qty": on_hand - 1})[0] == "applied"
    rig.client.download_changes()
    (task,) = [t for t in reorder_service(rig).tasks() if (t.bin, t.sku) == (bin_, sku)]
    return task


# Slotting moves.
def test_a_move_resumes_on_a_new_store_and_service_and_finishes_once(rig):
    slotting, move, task = accepted_task(rig, swap=False)
    gtin = gtin_of(rig.store, move.sku)
    progress = slotting.start(task)
    slotting.scan(progress, move.from_bin)
    slotting.scan(progress, gtin)
    slotting.scan(progress, gtin, qty=2)
    with pytest.raises(UserError):  # refused: nothing kept of it
        slotting.scan(progress, move.from_bin)
    assert state(progress) == (TAKE, 3.0, 0.0)
    # The app restarts: a new store and service on the same file.
    store = reopened(rig)
    again = SlottingService(store, rig.layout, rig.clock)
    (same,) = again.tasks()
    resumed = again.start(same)
    assert state(resumed) == (TAKE, 3.0, 0.0)
    assert resumed.prompt() == progress.prompt()
    again.scan(resumed, gtin)
    again.scan(resumed, move.to_bin)
    assert resumed.done
    assert again.finish(resumed, LEAD) == (
        f"Moved 4 of {move.sku} {move.from_bin} -> {move.to_bin}."
    )
    assert kept.saved(store, kept.SLOT_MOVE, task.id) is None
    assert store.conn.execute("SELECT COUNT(*) FROM task_progress").fetchone()[0] == 0
    (moved,) = events(store, "slot_moved")
    assert (moved["move"], moved["qty"]) == (move.id, 4.0)
    assert again.tasks() == []
    store.close()
    assert len(events(rig.store, "slot_moved")) == 1  # the first store sees the one event


def test_a_swap_resumes_at_its_way_back(rig):
    slotting, move, task = accepted_task(rig, swap=True)
    assert move.swap_sku is not None
    progress = slotting.start(task)
    slotting.scan(progress, move.from_bin)
    slotting.scan(progress, gtin_of(rig.store, move.sku), qty=5)
    slotting.scan(progress, move.to_bin)
    slotting.scan(progress, gtin_of(rig.store, move.swap_sku), qty=2)
    store = reopened(rig)
    again = SlottingService(store, rig.layout, rig.clock)
    resumed = again.start(task)
    assert state(resumed) == (TAKE_BACK, 5.0, 2.0)
    again.scan(resumed, move.from_bin)
    assert again.finish(resumed, LEAD).endswith(f", 2 of {move.swap_sku} back.")
    (moved,) = events(store, "slot_moved")
    assert (moved["qty"], moved["swap_qty"]) == (5.0, 2.0)
    assert kept.saved(store, kept.SLOT_MOVE, task.id) is None
    store.close()


def test_progress_kept_by_another_version_starts_the_move_again(rig):
    slotting, move, task = accepted_task(rig, swap=False)
    with rig.store.write():
        kept.save(rig.store, kept.SLOT_MOVE, task.id, {"step": "flying", "qty": 1}, "then")
    assert state(slotting.start(task)) == (FROM_BIN, 0.0, 0.0)
    with rig.store.write():
        kept.save(rig.store, kept.SLOT_MOVE, task.id, {"step": TAKE_BACK, "qty": 1.0,
                                                       "swap_qty": 0.0}, "then")  # fmt: skip
    assert state(slotting.start(task)) == (FROM_BIN, 0.0, 0.0)  # no swap in this move


async def test_esc_leaves_a_move_and_coming_back_resumes_its_step(rig):
    slotting, move, task = accepted_task(rig, swap=False)
    gtin = gtin_of(rig.store, move.sku)
    app = slotting_app(rig)
    async with app.run_test(size=(40, 20)) as pilot:
        await pilot.press(*"BD4117", "enter", *"573605", "enter")
        await pilot.pause()
        await pilot.press("f8")
        await wait_for(pilot, lambda: isinstance(app.screen, SlottingScreen)
                       and app.screen.view is not None)  # fmt: skip
        app.screen.chosen = 0
        await pilot.press("f9")
        await wait_for(pilot, lambda: isinstance(app.screen, SlotMoveScreen))
        for text in (move.from_bin, gtin, gtin):
            await pilot.press(*text, "enter")
            await pilot.pause()
        assert message(app).startswith("2 of ")
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, SlottingScreen))
        assert message(app) == "Move left for later: its steps so far are kept."
        app.screen.chosen = 0
        await pilot.press("f9")
        await wait_for(pilot, lambda: isinstance(app.screen, SlotMoveScreen))
        screen = app.screen
        assert isinstance(screen, SlotMoveScreen)
        assert state(screen.progress) == (TAKE, 2.0, 0.0)
        body = str(screen.query_one("#body").render())
        assert body.splitlines()[:2] == [
            f"x scan bin {move.from_bin}",
            f"> take each unit: 2, then scan bin {move.to_bin}",
        ]
        assert message(app).startswith("Take each unit of")
        await pilot.press(*move.to_bin, "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, SlottingScreen))
        assert message(app) == f"Moved 2 of {move.sku} {move.from_bin} -> {move.to_bin}."
    assert len(events(rig.store, "slot_moved")) == 1
    assert kept.saved(rig.store, kept.SLOT_MOVE, task.id) is None


async def test_a_move_whose_last_scan_was_kept_is_reported_when_opened(rig):
    """Killed between the last scan and its report: opening the move reports it."""
    slotting, move, task = accepted_task(rig, swap=False)
    progress = slotting.start(task)
    slotting.scan(progress, move.from_bin)
    slotting.scan(progress, gtin_of(rig.store, move.sku), qty=3)
    slotting.scan(progress, move.to_bin)
    assert progress.done and events(rig.store, "slot_moved") == []
    app = slotting_app(rig)
    async with app.run_test(size=(40, 20)) as pilot:
        await pilot.press(*"BD4117", "enter", *"573605", "enter")
        await pilot.pause()
        await pilot.press("f8")
        await wait_for(pilot, lambda: isinstance(app.screen, SlottingScreen)
                       and app.screen.view is not None)  # fmt: skip
        app.screen.chosen = 0
        await pilot.press("f9")
        await wait_for(pilot, lambda: "Moved" in message(app))
        assert isinstance(app.screen, SlottingScreen)
        assert message(app) == f"Moved 3 of {move.sku} {move.from_bin} -> {move.to_bin}."
    assert len(events(rig.store, "slot_moved")) == 1


# Replenishment.
def test_a_replenishment_resumes_on_a_new_store_and_service_and_finishes_once(rig):
    task = replenish_task(rig)
    reorder = reorder_service(rig)
    assert reorder.under_way() is None
    progress = reorder.start(task)
    reorder.scan(progress, task.bin)
    reorder.scan(progress, gtin_of(rig.store, task.sku), qty=2)
    with pytest.raises(UserError):
        reorder.scan(progress, gtin_of(rig.store, "SKU-000001" if task.sku != "SKU-000001"
                                       else "SKU-000002"))  # fmt: skip
    reorder.scan(progress, gtin_of(rig.store, task.sku))
    store = reopened(rig)
    again = ReorderService(store, rig.layout, rig.clock)
    resumed = again.start(task)
    assert (resumed.task, resumed.at_bin, resumed.qty) == (task, True, 3.0)
    under_way = again.under_way()
    assert under_way is not None and (under_way.task.id, under_way.qty) == (task.id, 3.0)
    assert again.finish(resumed, PICKER) == f"Replenished 3 of {task.sku} in {task.bin}."
    assert kept.saved(store, kept.REPLENISH, task.id) is None
    assert again.under_way() is None
    (done,) = events(store, "stock_replenished")
    assert done == {"task": task.id, "bin": task.bin, "sku": task.sku, "qty": 3.0}
    store.close()


def test_progress_of_tasks_done_on_another_device_is_forgotten_with_the_download(rig):
    """A move and a replenishment begun here, then done on another device: the download that
    closes them drops their progress (nothing would resume it); a task still open keeps its."""
    slotting, move, task = accepted_task(rig, swap=False)
    slotting.scan(slotting.start(task), move.from_bin)
    repl = replenish_task(rig)
    reorder = reorder_service(rig)
    reorder.scan(reorder.start(repl), repl.bin)
    rows = "SELECT kind, task FROM task_progress ORDER BY kind"
    both = [("replenish", repl.id), ("slot_move", task.id)]
    assert rig.store.conn.execute(rows).fetchall() == both
    rig.client.download_changes()  # nothing closed yet: both kept
    assert rig.store.conn.execute(rows).fetchall() == both
    moved = {"move": move.id, "sku": move.sku, "from_bin": move.from_bin,
             "to_bin": move.to_bin, "qty": 1}  # fmt: skip
    assert send(rig, "slot_moved", moved)[0] == "applied"
    rig.client.download_changes()
    assert rig.store.conn.execute(rows).fetchall() == [("replenish", repl.id)]
    brought = {"task": repl.id, "bin": repl.bin, "sku": repl.sku, "qty": 1}
    assert send(rig, "stock_replenished", brought)[0] == "applied"
    rig.client.download_changes()
    assert rig.store.conn.execute(rows).fetchall() == []
    assert slotting.tasks() == [] and reorder.under_way() is None


async def test_esc_leaves_a_replenishment_and_coming_back_resumes_it(rig):
    task = replenish_task(rig)
    gtin = gtin_of(rig.store, task.sku)
    app = reorder_app(rig)

    async def open_replenish(pilot) -> ReplenishScreen:
        await pilot.press("f9")
        await wait_for(pilot, lambda: isinstance(app.screen, ReplenishScreen))
        assert isinstance(app.screen, ReplenishScreen)
        return app.screen

    async with app.run_test(size=(40, 20)) as pilot:
        await pilot.press(*"BD4117", "enter", *"573605", "enter")
        await pilot.pause()
        await pilot.press("f11")
        await wait_for(pilot, lambda: isinstance(app.screen, ReorderScreen)
                       and app.screen.view is not None)  # fmt: skip
        screen = await open_replenish(pilot)
        assert screen.progress is None
        for text in (task.bin, gtin, gtin):
            await pilot.press(*text, "enter")
            await pilot.pause()
        assert message(app).startswith(f"Scan each unit of {task.sku} (2 of")
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, ReorderScreen))
        screen = await open_replenish(pilot)
        assert screen.progress is not None and screen.progress.qty == 2.0
        title = str(screen.query_one("#title").render())
        assert title == f"Replenish {task.bin}: 2 brought"
        assert message(app) == f"Scan each unit of {task.sku} (2 of {task.qty:g}); F9 when done."
        await pilot.press(*gtin, "enter")
        await pilot.pause()
        await pilot.press("f9")
        await wait_for(pilot, lambda: "Replenished" in message(app))
        assert message(app) == f"Replenished 3 of {task.sku} in {task.bin}."
    assert len(events(rig.store, "stock_replenished")) == 1
    assert kept.saved(rig.store, kept.REPLENISH, task.id) is None


async def test_while_nothing_is_brought_another_tasks_bin_starts_that_one(rig):
    first = replenish_task(rig)
    other_bin = next(b for (b,) in rig.store.conn.execute("SELECT DISTINCT bin FROM sku"
                     " WHERE bin IS NOT NULL ORDER BY bin") if b != first.bin)  # fmt: skip
    with rig.store.write() as conn:  # a second task, as a download would bring it
        conn.execute("INSERT INTO replenish_task (id, bin, sku, qty, state)"
                     " VALUES ('RP-second', ?, ?, 4, 'open')", (other_bin, first.sku))  # fmt: skip
    app = reorder_app(rig)
    async with app.run_test(size=(40, 20)) as pilot:
        await pilot.press(*"BD4117", "enter", *"573605", "enter")
        await pilot.pause()
        await pilot.press("f11")
        await wait_for(pilot, lambda: isinstance(app.screen, ReorderScreen)
                       and app.screen.view is not None)  # fmt: skip
        await pilot.press("f9")
        await wait_for(pilot, lambda: isinstance(app.screen, ReplenishScreen))
        screen = app.screen
        assert isinstance(screen, ReplenishScreen)
        await pilot.press(*first.bin, "enter")
        await pilot.pause()
        assert screen.progress is not None and screen.progress.task.id == first.id
        await pilot.press(*other_bin, "enter")
        await pilot.pause()
        assert screen.progress is not None and screen.progress.task.id == "RP-second"
        assert str(screen.query_one("#title").render()) == f"Replenish {other_bin}: 0 brought"
        await pilot.press(*gtin_of(rig.store, first.sku), "enter")
        await pilot.pause()
        await pilot.press(*first.bin, "enter")  # something brought: the task stays this one
        await pilot.pause()
        assert message(app) == f"That is bin {first.bin}: this task is bin {other_bin}."
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, ReorderScreen))
        await pilot.press("f9")
        await wait_for(pilot, lambda: isinstance(app.screen, ReplenishScreen))
        again = app.screen
        assert isinstance(again, ReplenishScreen) and again.progress is not None
        assert (again.progress.task.id, again.progress.qty) == ("RP-second", 1.0)


# Killed with SIGKILL while scanning.
CHILD = """
import json, sys
from datetime import UTC, datetime
from picker_app.domain.layout import parse_layout
from picker_app.services.reorder import ReorderService
from picker_app.services.slotting import SlottingService
from picker_app.store.db import LocalStore

kind, db, layout_path = sys.argv[1:4]
layout = parse_layout(open(layout_path).read(), layout_path)
store = LocalStore.open(db)
clock = lambda: datetime.now(UTC)
if kind == "slot_move":
    service = SlottingService(store, layout, clock)
    (task,) = service.tasks()
else:
    service = ReorderService(store, layout, clock)
    (task,) = [t for t in service.tasks() if t.id == sys.argv[4]]
progress = service.start(task)
print("ready", json.dumps(progress.to_dict()), flush=True)
for line in sys.stdin:  # one scan (or "finish") each, when the test says so
    text, qty = json.loads(line)
    if text == "finish":
        service.finish(progress, {"id": "U117"})
        print("ack finished", flush=True)
    else:
        service.scan(progress, text, qty)
        print("ack", json.dumps(progress.to_dict()), flush=True)
"""


def read_line(proc: subprocess.Popen, timeout: float = 30) -> str:
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], timeout)
    assert ready, "the child said nothing"
    line = proc.stdout.readline()
    assert line, f"the child ended: {proc.stderr.read() if proc.stderr else ''}"
    return line.strip()


def kill_after(rig, kind: str, task_id: str, scans: list[tuple[str, float]], n: int) -> list[str]:
    """A child process on the rig's cache does `scans` one at a time, acknowledging each once
    accepted; after `n` acknowledgements it is sent one more and killed (SIGKILL) at once.
    The acknowledgements seen, the first of them the state it started from."""
    layout = ROOT / "layouts" / "demo-store.toml"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, kind, str(rig.store.path), str(layout), task_id],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        cwd=ROOT, env=env, start_new_session=True,
    )  # fmt: skip
    assert proc.stdin is not None
    try:
        seen = [read_line(proc)]
        assert seen[0].startswith("ready ")
        for i, (text, qty) in enumerate(scans):
            proc.stdin.write(json.dumps([text, qty]) + "\n")
            proc.stdin.flush()
            if i == n:  # the one more: killed while (or before, or after) it is written
                time.sleep(0.001 * (n % 3))
                break
            seen.append(read_line(proc))
        os.killpg(proc.pid, signal.SIGKILL)
        assert proc.wait(timeout=30) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        for f in (proc.stdin, proc.stdout, proc.stderr):
            if f is not None:
                f.close()
    return seen


def integrity(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()


def expected_move_states(scans: list[tuple[str, float]], move: SlotAdvice) -> list[dict]:
    """The progress after each scan of a move into an empty bin: its bin, units, its bin."""
    states = [{"step": FROM_BIN, "qty": 0.0, "swap_qty": 0.0}]
    qty = 0.0
    for text, n in scans:
        if text == move.from_bin:
            states.append({"step": TAKE, "qty": qty, "swap_qty": 0.0})
        elif text == move.to_bin:
            states.append({"step": DONE, "qty": qty, "swap_qty": 0.0})
        elif text != "finish":
            qty += n
            states.append({"step": TAKE, "qty": qty, "swap_qty": 0.0})
    return states


@pytest.mark.parametrize("n", [0, 1, 3, 5])
def test_a_move_killed_after_n_acknowledged_scans_keeps_every_one(rig, n):
    _, move, task = accepted_task(rig, swap=False)
    gtin = gtin_of(rig.store, move.sku)
    scans = [(move.from_bin, 1.0), (gtin, 1.0), (gtin, 2.0), (gtin, 1.0), (gtin, 1.0),
             (move.to_bin, 1.0), ("finish", 0.0)]  # fmt: skip
    states = expected_move_states(scans, move)
    seen = kill_after(rig, kept.SLOT_MOVE, task.id, scans, n)
    assert seen == ["ready " + json.dumps(states[0])] + [
        "ack " + json.dumps(s) for s in states[1 : n + 1]
    ]
    assert integrity(rig.store.path) == "ok"
    store = reopened(rig)
    resumed = SlottingService(store, rig.layout, rig.clock).start(task)
    # Every scan acknowledged is kept; the one sent as it was killed, perhaps.
    assert resumed.to_dict() in (states[n], states[n + 1])
    assert events(store, "slot_moved") == []
    # The move goes on from there, in this process, to its end.
    again = SlottingService(store, rig.layout, rig.clock)
    done_at = len(states[: states.index(resumed.to_dict())])
    for text, qty in scans[done_at:-1]:
        again.scan(resumed, text, qty)
    again.finish(resumed, LEAD)
    assert [e["qty"] for e in events(store, "slot_moved")] == [5.0]
    assert kept.saved(store, kept.SLOT_MOVE, task.id) is None
    store.close()


def test_a_move_killed_as_it_is_reported_is_reported_once_or_kept_done(rig):
    """The kill lands as the finish is written: either the event and no progress, or the
    progress at its last step and no event; never both, never neither."""
    _, move, task = accepted_task(rig, swap=False)
    gtin = gtin_of(rig.store, move.sku)
    scans = [(move.from_bin, 1.0), (gtin, 3.0), (move.to_bin, 1.0), ("finish", 0.0)]
    seen = kill_after(rig, kept.SLOT_MOVE, task.id, scans, 3)
    assert seen[-1] == "ack " + json.dumps({"step": DONE, "qty": 3.0, "swap_qty": 0.0})
    assert integrity(rig.store.path) == "ok"
    store = reopened(rig)
    progress = kept.saved(store, kept.SLOT_MOVE, task.id)
    moved = events(store, "slot_moved")
    assert (progress, len(moved)) in (
        ({"step": DONE, "qty": 3.0, "swap_qty": 0.0}, 0), (None, 1)
    )  # fmt: skip
    store.close()


@pytest.mark.parametrize("n", [1, 2, 4])
def test_a_replenishment_killed_after_n_acknowledged_scans_keeps_every_one(rig, n):
    task = replenish_task(rig)
    gtin = gtin_of(rig.store, task.sku)
    scans = [(task.bin, 1.0), (gtin, 1.0), (gtin, 3.0), (gtin, 1.0), (gtin, 2.0)]
    states = [{"at_bin": False, "qty": 0.0}, {"at_bin": True, "qty": 0.0}]
    for _, qty in scans[1:]:
        states.append({"at_bin": True, "qty": states[-1]["qty"] + qty})
    seen = kill_after(rig, kept.REPLENISH, task.id, scans, n)
    assert seen[1:] == ["ack " + json.dumps(s) for s in states[1 : n + 1]]
    assert integrity(rig.store.path) == "ok"
    store = reopened(rig)
    again = ReorderService(store, rig.layout, rig.clock)
    resumed = again.start(task)
    assert resumed.to_dict() in (states[n], states[n + 1])
    under_way = again.under_way()
    assert under_way is not None and under_way.to_dict() == resumed.to_dict()
    assert events(store, "stock_replenished") == []
    if resumed.qty == 0:  # the bin scanned only: bring one to report it
        again.scan(resumed, gtin)
    again.finish(resumed, PICKER)
    assert [e["qty"] for e in events(store, "stock_replenished")] == [resumed.qty]
    assert again.under_way() is None
    store.close()


def test_the_list_of_moves_says_how_far_a_begun_move_is(rig):
    from picker_app.ui.screens.lead.slotting import item_lines

    slotting, move, task = accepted_task(rig, swap=True)
    assert slotting.under_way(task) is None
    assert item_lines(task, False, None)[1] == f"   to do, swap {move.swap_sku}"
    progress = slotting.start(task)
    slotting.scan(progress, move.from_bin)
    slotting.scan(progress, gtin_of(rig.store, move.sku), qty=2)
    again = SlottingService(reopened(rig), rig.layout, rig.clock)  # after a restart too
    begun = again.under_way(task)
    assert begun == "under way: 2 taken"
    assert item_lines(task, False, begun)[1] == f"   under way: 2 taken, swap {move.swap_sku}"
    slotting.scan(progress, move.to_bin)
    assert slotting.under_way(task) == f"under way: 2 put, 0 of {move.swap_sku} taken"
    again.store.close()
