"""Slotting moves accepted as tasks (issue 14), against the real backend on loopback: the
backend's advice (measured on its order history) behind its read-only endpoint; a lead accepts
a move on the device, it syncs and comes back as a task; doing it moves the stock and the
product's bin at the backend, and every device's bin on its next download, so new pick routes
go to the new bin; a swap moves both products. Refused: a picker's acceptance, a bin of another
zone, an unknown move, one done already."""

from __future__ import annotations

import uuid
from datetime import timedelta
from functools import partial

import httpx
import pytest
from textual.widgets import Static

from picker_app.backend.repository import NewOrder
from picker_app.bootstrap import AppOptions, assemble
from picker_app.domain.slot_moves import MoveTask
from picker_app.errors import UserError
from picker_app.services.heat import HeatService
from picker_app.services.picking import PickService
from picker_app.services.slotting import SlottingService
from picker_app.store.db import LocalStore
from picker_app.sync.client import SyncClient, SyncSettings
from picker_app.sync.slotting import fetch_slotting
from picker_app.ui.app import PickerApp
from picker_app.ui.screens.lead.slot_heat import SlotHeatScreen
from picker_app.ui.screens.lead.slot_move import SlotMoveScreen
from picker_app.ui.screens.lead.slotting import SlottingScreen
from picker_app.wire import EventBatch, SlotAdvice, WireEvent
from tests.appkit import START, STORE
from tests.test_pack_service import gtin_of
from tests.test_ui_flow import message, wait_for

LEAD = {"id": "U117", "name": "Lead", "role": "lead"}
PICKER = {"id": "U101", "name": "Picker", "role": "picker"}


def service(rig) -> SlottingService:
    return SlottingService(rig.store, rig.layout, rig.clock, partial(fetch_slotting, rig.client))


def lead_app(rig) -> PickerApp:
    """The app with the backend's advice but no sync worker (the tests sync by hand)."""
    parts = assemble(rig.store, {"U117": "573605"}, rig.layout, options=AppOptions(),
                     clock=rig.clock)  # fmt: skip
    parts.slotting = service(rig)
    return PickerApp(parts)


def advised(rig, swap: bool) -> SlotAdvice:
    """The best advised move, a swap or into an empty bin."""
    view = service(rig).read()
    assert view.offline is None
    return next(m for m in view.moves if (m.swap_sku is not None) == swap)


def stock(rig, bin_: str, sku: str) -> float:
    row = rig.backend.conn.execute(
        "SELECT on_hand FROM stock WHERE store = ? AND bin = ? AND sku = ?", (STORE, bin_, sku)
    ).fetchone()
    return row[0] if row else 0.0


def catalog_bin(rig, sku: str) -> str:
    return rig.backend.conn.execute(
        "SELECT bin FROM catalog WHERE store = ? AND sku = ?", (STORE, sku)
    ).fetchone()[0]


def move_state(rig, move_id: str) -> str | None:
    row = rig.backend.conn.execute(
        "SELECT state FROM slot_moves WHERE store = ? AND id = ?", (STORE, move_id)
    ).fetchone()
    return row[0] if row else None


def sync(rig) -> None:
    rig.client.sync_once()
    rig.client.sync_once()


def accepted_task(rig, swap: bool) -> tuple[SlottingService, SlotAdvice, MoveTask]:
    slotting = service(rig)
    move = advised(rig, swap)
    slotting.accept(move, LEAD)
    sync(rig)
    (task,) = slotting.tasks()
    return slotting, move, task


def send(rig, type_: str, payload: dict, user: str = "U117") -> tuple[str, str | None]:
    """One event of another device, straight to the backend: (status, reason)."""
    event = WireEvent(
        event_id=str(uuid.uuid4()), device="other-1", seq=1, user=user, type=type_,
        created_at="2026-11-25T11:00:00+00:00", payload=payload,
    )  # fmt: skip
    result = rig.backend.apply_batch(
        STORE, EventBatch(device="other-1", batch_id=str(uuid.uuid4()), events=[event])
    ).results[0]
    return result.status, result.reason


def test_the_advice_endpoint_answers_a_device_of_its_store_only(rig):
    url = f"{rig.server.url}/v1/stores/{STORE}/slotting"
    token = rig.client.settings.token
    answer = httpx.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=60)
    assert answer.status_code == 200
    body = answer.json()
    assert body["orders"] > 1000 and 29 < body["days"] <= 30
    first = body["moves"][0]
    assert first["metres_per_day"] > 0 and first["seconds_per_day"] > 0
    assert first["id"] == f"SM-{first['sku']}-{first['from_bin']}-{first['to_bin']}"
    assert httpx.get(url, timeout=10).status_code == 401
    assert httpx.get(url, headers={"Authorization": "Bearer nope"}, timeout=10).status_code == 401
    other = httpx.get(url.replace(STORE, "OTHER-01"),
                      headers={"Authorization": f"Bearer {token}"}, timeout=10)  # fmt: skip
    assert other.status_code == 403
    spec = httpx.get(f"{rig.server.url}/openapi.json", timeout=10).json()
    ok = spec["paths"]["/v1/stores/{store}/slotting"]["get"]["responses"]["200"]
    assert ok["content"]["application/json"]["schema"]["$ref"].endswith("/SlottingAdvice")


def test_offline_there_is_no_advice_but_the_moves_accepted_are_there(rig):
    move = advised(rig, swap=False)
    gone = SyncClient(rig.store, SyncSettings("http://127.0.0.1:9", STORE, "t", timeout_s=2))
    slotting = SlottingService(rig.store, rig.layout, rig.clock, partial(fetch_slotting, gone))
    slotting.accept(move, LEAD)
    view = slotting.read()
    assert view.moves == [] and view.offline is not None
    assert view.offline.startswith("the advice needs the backend: backend unreachable")
    assert [t.id for t in view.tasks] == [move.id]


def test_a_lead_accepts_a_move_it_syncs_and_comes_back_as_a_task(rig):
    slotting = service(rig)
    move = advised(rig, swap=False)
    with pytest.raises(UserError, match="Only a store lead"):
        slotting.accept(move, PICKER)
    said = slotting.accept(move, LEAD)
    assert said == f"Accepted: {move.sku} {move.from_bin} -> {move.to_bin}, a task now."
    (task,) = slotting.tasks()
    assert (task.id, task.state) == (move.id, "accepted")  # a task here at once, offline too
    (event,) = [e for e in rig.store.pending() if e.type == "slot_move_accepted"]
    assert event.user == "U117" and event.payload == {
        "move": move.id, "sku": move.sku, "from_bin": move.from_bin, "to_bin": move.to_bin,
        "swap_sku": None,
    }  # fmt: skip
    sync(rig)
    assert move_state(rig, move.id) == "open"
    (task,) = slotting.tasks()
    assert task.state == "open"
    assert move.id not in {m.id for m in slotting.read().moves}  # not advised again
    # A device that takes a snapshot gets the task too.
    other = LocalStore.open(rig.store.path.parent / "other.db", device="handheld-2")
    token = rig.backend.add_device(STORE, other.device)
    SyncClient(other, SyncSettings(rig.server.url, STORE, token)).download_changes()
    assert [t.id for t in SlottingService(other, rig.layout, rig.clock).tasks()] == [move.id]
    other.close()
    # Accepted twice (another lead's device): refused, the move is one task.
    assert send(rig, "slot_move_accepted", event.payload) == (
        "rejected",
        f"slotting move {move.id} is accepted already",
    )


def test_a_pickers_acceptance_sent_anyway_is_refused_by_the_backend(rig):
    move = advised(rig, swap=False)
    payload = {"move": move.id, "sku": move.sku, "from_bin": move.from_bin,
               "to_bin": move.to_bin, "swap_sku": None}  # fmt: skip
    status, reason = send(rig, "slot_move_accepted", payload, user="U101")
    assert status == "rejected"
    assert reason == "only a store lead may accept a slotting move: U101 is a picker"
    assert move_state(rig, move.id) is None


def test_a_move_to_a_bin_of_another_zone_is_refused(rig):
    move = advised(rig, swap=False)
    zone = rig.layout.bin(move.from_bin).bay.zone
    bay = next(b for b in rig.layout.bays if b.zone != zone)
    payload = {"move": "SM-x", "sku": move.sku, "from_bin": move.from_bin,
               "to_bin": f"{bay.code}-1", "swap_sku": None}  # fmt: skip
    status, reason = send(rig, "slot_move_accepted", payload)
    assert status == "rejected" and "a move stays in its zone" in (reason or "")
    assert f"the {bay.zone} zone" in (reason or "")
    wrong = dict(payload, to_bin=move.to_bin, from_bin="A01-1")
    status, reason = send(rig, "slot_move_accepted", wrong)
    assert status == "rejected" and f"is in bin {move.from_bin} now, not A01-1" in (reason or "")


def test_an_unknown_move_cannot_be_done(rig):
    payload = {"move": "SM-nope", "sku": "SKU-000001", "from_bin": "H06-2", "to_bin": "H19-5",
               "qty": 3.0}  # fmt: skip
    assert send(rig, "slot_moved", payload) == (
        "rejected",
        "slotting move 'SM-nope' is not known to the backend (never accepted)",
    )


def test_doing_a_move_moves_the_stock_and_the_bin_and_new_routes_follow(rig):
    slotting, move, task = accepted_task(rig, swap=False)
    before = stock(rig, move.from_bin, move.sku)
    assert before > 2
    gtin = gtin_of(rig.store, move.sku)
    progress = slotting.start(task)
    with pytest.raises(UserError, match=f"starts at bin {move.from_bin}"):
        slotting.scan(progress, move.to_bin)
    assert "Take each unit" in slotting.scan(progress, move.from_bin)
    slotting.scan(progress, gtin)
    assert slotting.scan(progress, gtin, qty=before - 1).startswith(f"{before:g} of ")
    with pytest.raises(UserError, match=f"goes to bin {move.to_bin}"):
        slotting.scan(progress, move.from_bin)
    slotting.scan(progress, move.to_bin)
    assert progress.done
    said = slotting.finish(progress, LEAD)
    assert said == f"Moved {before:g} of {move.sku} {move.from_bin} -> {move.to_bin}."
    assert slotting.tasks() == []
    # Another device, up to date before the move was sent, learns the bin on its next download.
    other = LocalStore.open(rig.store.path.parent / "other.db", device="handheld-2")
    token = rig.backend.add_device(STORE, other.device)
    other_client = SyncClient(other, SyncSettings(rig.server.url, STORE, token))
    other_client.download_changes()
    bin_there = "SELECT bin FROM sku WHERE sku = ?"
    assert other.conn.execute(bin_there, (move.sku,)).fetchone()[0] == move.from_bin
    rig.client.sync_once()
    assert move_state(rig, move.id) == "done"
    assert catalog_bin(rig, move.sku) == move.to_bin
    assert stock(rig, move.from_bin, move.sku) == 0
    assert stock(rig, move.to_bin, move.sku) == before
    other_client.download_changes()
    assert other.conn.execute(bin_there, (move.sku,)).fetchone()[0] == move.to_bin
    assert (
        other.conn.execute(
            "SELECT on_hand FROM stock WHERE bin = ? AND sku = ?", (move.to_bin, move.sku)
        ).fetchone()[0]
        == before
    )
    # A new order of the product is picked from its new bin.
    promised = (START + timedelta(hours=1)).isoformat()
    rig.backend.insert_orders(STORE, [NewOrder(promised, [(1, move.sku, 1.0)])])
    other_client.download_changes()
    (order_id,) = [
        r[0] for r in other.conn.execute(
            "SELECT order_id FROM order_line WHERE sku = ? AND qty_ordered = 1", (move.sku,)
        )
        if r[0] >= "OR52"
    ][-1:]  # fmt: skip
    picking = PickService(other, rig.layout, rig.clock)
    pick = picking.start("U101", {order_id: "TT000009"})
    assert [ln.bin for ln in pick.session.lines if ln.sku == move.sku] == [move.to_bin]
    other.close()
    # Done once: reported again, refused.
    payload = {"move": move.id, "sku": move.sku, "from_bin": move.from_bin,
               "to_bin": move.to_bin, "qty": 1.0}  # fmt: skip
    assert send(rig, "slot_moved", payload) == (
        "rejected",
        f"slotting move {move.id} is done already",
    )


def test_a_swap_moves_both_products(rig):
    slotting, move, task = accepted_task(rig, swap=True)
    assert move.swap_sku is not None
    other_sku = move.swap_sku
    mine, theirs = stock(rig, move.from_bin, move.sku), stock(rig, move.to_bin, other_sku)
    progress = slotting.start(task)
    slotting.scan(progress, move.from_bin)
    slotting.scan(progress, gtin_of(rig.store, move.sku), qty=mine)
    assert "Take each unit of" in slotting.scan(progress, move.to_bin)
    with pytest.raises(UserError, match="That is not"):
        slotting.scan(progress, gtin_of(rig.store, move.sku))
    slotting.scan(progress, gtin_of(rig.store, other_sku), qty=theirs)
    slotting.scan(progress, move.from_bin)
    said = slotting.finish(progress, LEAD)
    assert said.endswith(f", {theirs:g} of {other_sku} back.")
    rig.client.sync_once()
    assert (catalog_bin(rig, move.sku), catalog_bin(rig, other_sku)) == (move.to_bin, move.from_bin)
    assert stock(rig, move.to_bin, move.sku) == mine and stock(rig, move.from_bin, move.sku) == 0
    assert stock(rig, move.from_bin, other_sku) == theirs
    assert stock(rig, move.to_bin, other_sku) == 0
    rig.client.sync_once()
    bins = dict(rig.store.conn.execute(
        "SELECT sku, bin FROM sku WHERE sku IN (?, ?)", (move.sku, other_sku)
    ).fetchall())  # fmt: skip
    assert bins == {move.sku: move.to_bin, other_sku: move.from_bin}


async def test_the_lead_accepts_and_does_a_move_on_the_screen(rig):
    move = advised(rig, swap=False)
    before = stock(rig, move.from_bin, move.sku)
    app = lead_app(rig)
    async with app.run_test(size=(40, 20)) as pilot:
        await pilot.press(*"BD4117", "enter", *"573605", "enter")
        await pilot.pause()
        await pilot.press("f8")
        await wait_for(pilot, lambda: isinstance(app.screen, SlottingScreen)
                       and app.screen.view is not None)  # fmt: skip
        screen = app.screen
        assert isinstance(screen, SlottingScreen)
        screen.chosen = [i.id for i in screen.items].index(move.id)
        await pilot.press("enter")
        await wait_for(pilot, lambda: "Accepted" in message(app))
        assert [i.id for i in screen.items][0] == move.id  # first, to do
        screen.chosen = 0
        await pilot.press("f9")
        await wait_for(pilot, lambda: isinstance(app.screen, SlotMoveScreen))
        for text in (move.from_bin, gtin_of(rig.store, move.sku)):
            await pilot.press(*text, "enter")
            await pilot.pause()
        await pilot.press("f7")
        await pilot.pause()
        await pilot.press(*f"{before - 1:g}", "enter")
        await pilot.pause()
        await pilot.press(*gtin_of(rig.store, move.sku), "enter", *move.to_bin, "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, SlottingScreen))
        assert message(app) == f"Moved {before:g} of {move.sku} {move.from_bin} -> {move.to_bin}."
    types = [e.type for e in rig.store.pending()]
    assert types[-2:] == ["slot_move_accepted", "slot_moved"]


@pytest.mark.parametrize("size", [(40, 20), (100, 30)])
def test_slotting_screen_snapshot(snap_compare, rig, size):
    slotting = service(rig)
    slotting.accept(advised(rig, swap=True), LEAD)
    sync(rig)
    app = lead_app(rig)

    async def run_before(pilot) -> None:
        await pilot.press(*"BD4117", "enter", *"573605", "enter")
        await pilot.pause()
        await pilot.press("f8")
        await wait_for(pilot, lambda: isinstance(app.screen, SlottingScreen)
                       and app.screen.view is not None)  # fmt: skip

    assert snap_compare(app, terminal_size=size, run_before=run_before)


async def test_a_move_the_backend_refuses_says_why_and_is_put_away(rig):
    """A lead's acceptance the backend refuses (here: into another zone, which only the backend
    checks) is not left 'to do (not sent yet)' for ever: the list says why, Enter puts it away,
    and doing it is not offered."""
    from picker_app.ui.screens.lead.slotting import item_lines

    slotting = service(rig)
    move = advised(rig, swap=False)
    zone = rig.layout.bin(move.from_bin).bay.zone
    bay = next(b for b in rig.layout.bays if b.zone != zone)
    wrong = move.model_copy(update={"id": "SM-wrong-zone", "to_bin": f"{bay.code}-1"})
    slotting.accept(wrong, LEAD)
    sync(rig)
    (task,) = [t for t in slotting.tasks() if t.id == wrong.id]
    assert task.refused is not None and "a move stays in its zone" in task.refused
    assert item_lines(task, False)[1].startswith("   refused: ")
    assert move.id in {m.id for m in slotting.read().moves}  # its products are advised again
    app = lead_app(rig)
    async with app.run_test(size=(40, 20)) as pilot:
        await pilot.press(*"BD4117", "enter", *"573605", "enter")
        await pilot.pause()
        await pilot.press("f8")
        await wait_for(pilot, lambda: isinstance(app.screen, SlottingScreen)
                       and app.screen.view is not None)  # fmt: skip
        screen = app.screen
        assert isinstance(screen, SlottingScreen)
        assert screen.items[0].id == wrong.id
        await pilot.press("enter")
        await pilot.pause()
        assert message(app).startswith(f"Put away: {move.sku}")
        assert isinstance(app.screen, SlottingScreen)  # not the move's screen
    assert wrong.id not in {t.id for t in slotting.tasks()}
    with pytest.raises(UserError, match="is not refused"):
        slotting.drop(MoveTask("SM-x", move.sku, move.name, move.from_bin, move.to_bin))


@pytest.mark.parametrize("size", [(40, 20), (100, 30)])
async def test_f2_shows_the_heat_now_and_after_the_moves_listed(rig, size):
    """F2 on the slotting list: the device's heat now and with the listed moves made, side by
    side at kiosk size and one under the other on the handheld; the moved bins' picks follow
    their products (a bay the move empties loses them)."""
    app = lead_app(rig)
    async with app.run_test(size=size) as pilot:
        await pilot.press(*"BD4117", "enter", *"573605", "enter")
        await pilot.pause()
        await pilot.press("f8")
        await wait_for(pilot, lambda: isinstance(app.screen, SlottingScreen)
                       and app.screen.view is not None)  # fmt: skip
        listed = app.screen.items
        assert listed
        await pilot.press("f2")
        await wait_for(pilot, lambda: isinstance(app.screen, SlotHeatScreen))
        screen = app.screen
        title = str(screen.query_one("#title", Static).render())
        n = len(listed)
        assert title == f"Heat now and after {n} move" + ("" if n == 1 else "s")
        lines = str(screen.query_one("#map", Static).render()).splitlines()
        heads = [ln for ln in lines if ln.startswith("now")]
        if size[0] == 100:
            assert heads and heads[0].split() == ["now", "after", str(n), "moves"]
        else:
            assert "now" in lines and f"after {n} moves" in lines
        before, after = HeatService(rig.store, rig.layout, rig.clock).before_after(
            [(m.from_bin, m.to_bin, m.swap_sku is not None) for m in listed]
        )
        assert before.total == after.total > 0 and before.bays != after.bays
        emptied = {rig.layout.bin(m.from_bin).bay.code for m in listed if m.swap_sku is None}
        assert any(after.bays.get(b, 0) < before.bays.get(b, 0) for b in emptied)
        assert "bays that lose picks: " in " ".join(lines)
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, SlottingScreen))
