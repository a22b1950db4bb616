"""Reorder on the lead's device and pick-face replenishment (issue 14), against the real backend
on loopback: the backend's list (domain/reorder on its stock and sales) behind its read-only
endpoint, its parameters bounded and its device scoped; the lead's screen online, offline (the
list kept in the cache) and its CSV; a pick that leaves a bin under its minimum opens one
replenishment task, which a device does, and the backend's stock goes up."""

from __future__ import annotations

import csv
import math
import uuid
from datetime import UTC, datetime, timedelta
from functools import partial

import httpx
import pytest

import picker_app.backend.reorder as backend_reorder
from picker_app.bootstrap import AppOptions, assemble
from picker_app.domain.reorder import daily_sales, pick_face_minimum, reorder_list, replenish_qty
from picker_app.errors import UserError
from picker_app.services.reorder import ReorderService, ReplenishProgress
from picker_app.sync.client import SyncClient, SyncSettings
from picker_app.sync.reorder import fetch_reorder
from picker_app.ui.app import PickerApp
from picker_app.ui.screens.lead.reorder import ReorderScreen
from picker_app.ui.screens.lead.replenish import ReplenishScreen
from picker_app.wire import EventBatch, WireEvent
from tests.appkit import START, STORE
from tests.test_pack_service import gtin_of
from tests.test_ui_flow import message, wait_for

AT = "2026-11-25T09:30:00+00:00"  # when the other device's events happened (before START)
LEAD = {"id": "U117", "name": "Lead", "role": "lead"}
PICKER = {"id": "U101", "name": "Picker", "role": "picker"}


@pytest.fixture(autouse=True)
def backend_now(monkeypatch):
    """The backend's list ends at the rig's moment (its history is the fixtures' month)."""
    monkeypatch.setattr(backend_reorder, "now", lambda: START)


def service(rig, client: SyncClient | None = None) -> ReorderService:
    return ReorderService(
        rig.store, rig.layout, rig.clock, partial(fetch_reorder, client or rig.client)
    )


def offline_client(rig) -> SyncClient:
    return SyncClient(rig.store, SyncSettings("http://127.0.0.1:9", STORE, "t", timeout_s=2))


def lead_app(rig, reorder: ReorderService | None = None) -> PickerApp:
    parts = assemble(rig.store, {"U117": "573605"}, rig.layout, options=AppOptions(),
                     clock=rig.clock)  # fmt: skip
    parts.reorder = reorder or service(rig)
    return PickerApp(parts)


def expected_list(rig, days: int = 14, below: float = 3.0, cover: float = 7.0):
    """domain/reorder on the backend's tables, read here by hand."""
    conn = rig.backend.conn
    on_hand: dict[str, float] = {}
    for sku, qty in conn.execute("SELECT sku, on_hand FROM stock WHERE store = ?", (STORE,)):
        on_hand[sku] = on_hand.get(sku, 0.0) + max(0.0, qty)
    products = {
        s: (n, u)
        for s, n, u in conn.execute(
            "SELECT sku, name, unit FROM catalog WHERE store = ?", (STORE,)
        )
    }
    sales = [
        (datetime.fromisoformat(at), sku, qty)
        for at, sku, qty in conn.execute(
            "SELECT placed_at, sku, qty FROM order_history WHERE store = ?", (STORE,)
        )
    ]
    return reorder_list(daily_sales(sales, START, days), on_hand, products, below, cover)


def get(rig, path: str, token: str | None = None, **params) -> httpx.Response:
    token = token or rig.client.settings.token
    return httpx.get(f"{rig.server.url}/v1/stores/{path}", params=params,
                     headers={"Authorization": f"Bearer {token}"}, timeout=30)  # fmt: skip


def send(rig, type_: str, payload: dict) -> tuple[str, str | None]:
    """One event of another device, straight to the backend: (status, reason)."""
    event = WireEvent(
        event_id=str(uuid.uuid4()), device="other-1", seq=1, user="U101", type=type_,
        created_at=AT, payload=payload,
    )  # fmt: skip
    result = rig.backend.apply_batch(
        STORE, EventBatch(device="other-1", batch_id=str(uuid.uuid4()), events=[event])
    ).results[0]
    return result.status, result.reason


def stock(rig, bin_: str, sku: str) -> float:
    row = rig.backend.conn.execute(
        "SELECT on_hand FROM stock WHERE store = ? AND bin = ? AND sku = ?", (STORE, bin_, sku)
    ).fetchone()
    return row[0] if row else 0.0


def tasks_at(rig, bin_: str, sku: str) -> list[tuple]:
    return rig.backend.conn.execute(
        "SELECT id, qty, state, brought FROM replenish_tasks WHERE store = ? AND bin = ?"
        " AND sku = ? ORDER BY id",
        (STORE, bin_, sku),
    ).fetchall()


# The endpoint.
def test_the_endpoint_lists_what_domain_reorder_lists_on_the_backends_data(rig):
    answer = get(rig, f"{STORE}/reorder")
    assert answer.status_code == 200
    body = answer.json()
    assert (body["days"], body["below"], body["cover"]) == (14, 3.0, 7.0)
    assert body["as_of"] == START.isoformat(timespec="seconds")
    expected = expected_list(rig)
    assert len(expected) > 5
    assert [(r["sku"], r["suggest"]) for r in body["lines"]] == [
        (r.sku, r.suggest) for r in expected
    ]
    # One line by hand: its stock, its sales a day, the days they cover, a week's order.
    first = body["lines"][0]
    assert first["days_left"] == round(first["on_hand"] / first["per_day"], 2)
    assert first["suggest"] == math.ceil(7 * first["per_day"] - first["on_hand"] - 1e-9) or (
        first["unit"] == "kg"
    )
    days = [r["days_left"] for r in body["lines"]]
    assert days == sorted(days) and days[-1] < 3
    # Other parameters: fewer products below 1 day than below 3.
    narrow = get(rig, f"{STORE}/reorder", days=7, below=1, cover=10).json()
    assert [r["sku"] for r in narrow["lines"]] == [
        r.sku for r in expected_list(rig, 7, 1.0, 10.0)
    ]
    assert len(narrow["lines"]) < len(body["lines"])


def test_picks_applied_count_as_sales(rig):
    before = {r["sku"]: r for r in get(rig, f"{STORE}/reorder", below=60).json()["lines"]}
    sku, bin_ = rig.backend.conn.execute(
        "SELECT sku, bin FROM stock WHERE store = ? AND on_hand >= 2 AND sku IN"
        f" ({','.join('?' * len(before))}) ORDER BY sku LIMIT 1",
        (STORE, *before),
    ).fetchone()
    line = before[sku]
    assert send(rig, "stock_picked", {"sku": sku, "bin": bin_, "qty": 1.0}) == ("applied", None)
    after = {r["sku"]: r for r in get(rig, f"{STORE}/reorder", below=60).json()["lines"]}
    assert after[sku]["per_day"] == pytest.approx(line["per_day"] + 1 / 14, abs=1e-3)
    assert after[sku]["on_hand"] == line["on_hand"] - 1


def test_bad_parameters_get_a_422_with_a_sentence_and_the_endpoint_is_scoped(rig):
    for params in ({"days": 0}, {"days": 91}, {"below": -1}, {"cover": "abc"}, {"days": 1.5}):
        answer = get(rig, f"{STORE}/reorder", **params)
        assert answer.status_code == 422, params
        detail = answer.json()["detail"]
        assert isinstance(detail, str) and detail
    assert "days" in get(rig, f"{STORE}/reorder", days=0).json()["detail"]
    url = f"{rig.server.url}/v1/stores/{STORE}/reorder"
    assert httpx.get(url, timeout=10).status_code == 401
    assert get(rig, f"{STORE}/reorder", token="nope").status_code == 401
    assert get(rig, "OTHER-01/reorder").status_code == 403
    spec = httpx.get(f"{rig.server.url}/openapi.json", timeout=10).json()
    ok = spec["paths"]["/v1/stores/{store}/reorder"]["get"]["responses"]["200"]
    assert ok["content"]["application/json"]["schema"]["$ref"].endswith("/ReorderList")


# The device.
def test_offline_the_last_list_fetched_is_shown_with_when(rig):
    gone = service(rig, offline_client(rig))
    view = gone.read()
    assert view.lines == [] and view.fetched_at is None
    assert view.offline is not None and view.offline.startswith("backend unreachable")
    online = service(rig).read()
    assert online.offline is None and online.lines
    rig.clock.advance(3600)
    view = gone.read()
    assert view.offline is not None and view.fetched_at == START
    assert [r.sku for r in view.lines] == [r.sku for r in online.lines]


async def test_the_lead_sees_the_list_and_writes_it_as_csv(rig):
    app = lead_app(rig)
    expected = expected_list(rig)
    async with app.run_test(size=(40, 20)) as pilot:
        await pilot.press(*"BD4117", "enter", *"573605", "enter")
        await pilot.pause()
        await pilot.press("f11")
        await wait_for(pilot, lambda: isinstance(app.screen, ReorderScreen)
                       and app.screen.view is not None)  # fmt: skip
        screen = app.screen
        title = str(screen.query_one("#title").render())
        assert title == f"Reorder: {len(expected)} products"
        body = str(screen.query_one("#body").render())
        assert expected[0].name[:10] in body
        await pilot.press("f7")
        await wait_for(pilot, lambda: "written to" in message(app))
        said = message(app)
    folder = rig.store.path.parent / "reorder"
    (path,) = folder.glob("*.csv")
    assert path.name == f"reorder-{START:%Y%m%d-%H%M%S}.csv"
    assert said == f"{len(expected)} products written to {path}"
    with path.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert [(r["sku"], float(r["order"])) for r in rows] == [
        (r.sku, r.suggest) for r in expected
    ]


async def test_offline_the_screen_shows_the_kept_list_as_of_when(rig):
    service(rig).read()  # fetched once, kept
    rig.clock.advance(1800)
    app = lead_app(rig, service(rig, offline_client(rig)))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press(*"BD4117", "enter", *"573605", "enter")
        await pilot.pause()
        await pilot.press("f11")
        await wait_for(pilot, lambda: isinstance(app.screen, ReorderScreen)
                       and app.screen.view is not None)  # fmt: skip
        title = str(app.screen.query_one("#title").render())
        assert title.endswith(f"as of {START.astimezone():%H:%M} (offline)")
        assert "Offline: the last list fetched" in message(app)
        assert len(expected_list(rig)) == len(app.screen.view.lines)


# Replenishment.
def fast_mover(rig) -> tuple[str, str, float, float]:
    """A product that sells 2 or more a day, sold by the piece, in a bin holding more than
    its minimum: (sku, bin, on hand, sales a day)."""
    with rig.backend.event_writes(STORE) as w:
        for sku, bin_, on_hand in rig.backend.conn.execute(
            "SELECT s.sku, s.bin, s.on_hand FROM stock s JOIN catalog c ON c.store = s.store"
            " AND c.sku = s.sku WHERE s.store = ? AND c.unit = 'each' AND s.on_hand >= 6"
            " ORDER BY s.sku",
            (STORE,),
        ).fetchall():
            per_day = w.sales_per_day(sku, AT, 14)
            if per_day >= 2 and per_day + 2 < on_hand < 5 * per_day:
                return sku, bin_, on_hand, per_day
    raise AssertionError("no fast mover in the fixtures")


def test_a_pick_under_the_minimum_opens_one_task_done_on_a_device(rig):
    sku, bin_, on_hand, per_day = fast_mover(rig)
    minimum = pick_face_minimum(per_day)
    # A pick that leaves the bin at its minimum or above: no task.
    assert send(rig, "stock_picked", {"sku": sku, "bin": bin_, "qty": 1.0})[0] == "applied"
    assert tasks_at(rig, bin_, sku) == []
    left = 1.0
    assert left < minimum
    qty = stock(rig, bin_, sku) - left
    assert send(rig, "stock_picked", {"sku": sku, "bin": bin_, "qty": qty})[0] == "applied"
    ((task_id, to_bring, state, _),) = tasks_at(rig, bin_, sku)
    per_day_now = (per_day * 14 + 1 + qty) / 14
    assert to_bring == replenish_qty(per_day_now, left, pick_face_minimum(per_day_now))
    assert to_bring == math.ceil(3 * per_day_now - left) and state == "open"
    # Another pick while it is open: still one task.
    assert send(rig, "stock_picked", {"sku": sku, "bin": bin_, "qty": 1.0})[0] == "applied"
    assert len(tasks_at(rig, bin_, sku)) == 1
    # The device learns of it and does it: the bin, then the units.
    rig.client.download_changes()
    reorder = service(rig)
    (task,) = [t for t in reorder.tasks() if t.id == task_id]
    assert (task.bin, task.sku, task.qty) == (bin_, sku, to_bring)
    progress = ReplenishProgress(task)
    with pytest.raises(UserError, match=f"Scan bin {bin_} first"):
        reorder.scan(progress, gtin_of(rig.store, sku))
    with pytest.raises(UserError, match="Nothing brought yet"):
        reorder.finish(progress, PICKER)
    reorder.scan(progress, bin_)
    reorder.scan(progress, gtin_of(rig.store, sku))
    reorder.scan(progress, gtin_of(rig.store, sku), qty=to_bring - 1)
    assert reorder.finish(progress, PICKER) == f"Replenished {to_bring:g} of {sku} in {bin_}."
    assert reorder.tasks() == []  # done here at once
    was = stock(rig, bin_, sku)
    rig.client.sync_once()
    assert stock(rig, bin_, sku) == was + to_bring
    assert tasks_at(rig, bin_, sku) == [(task_id, to_bring, "done", to_bring)]
    # Reported again: refused.
    payload = {"task": task_id, "bin": bin_, "sku": sku, "qty": 1.0}
    assert send(rig, "stock_replenished", payload) == (
        "rejected", f"replenishment task {task_id} is done already",
    )  # fmt: skip
    unknown = dict(payload, task="RP-nope")
    assert send(rig, "stock_replenished", unknown) == (
        "rejected", "replenishment task 'RP-nope' is not known to the backend",
    )  # fmt: skip


def test_the_stores_replenish_days_raise_the_minimum(rig):
    sku, bin_, on_hand, per_day = fast_mover(rig)
    rig.backend.set_replenish_days(STORE, 30)
    assert send(rig, "stock_picked", {"sku": sku, "bin": bin_, "qty": 1.0})[0] == "applied"
    ((_, to_bring, state, _),) = tasks_at(rig, bin_, sku)
    assert state == "open" and to_bring >= 30 * per_day - on_hand


async def test_replenishing_on_the_screen(rig):
    sku, bin_, on_hand, per_day = fast_mover(rig)
    send(rig, "stock_picked", {"sku": sku, "bin": bin_, "qty": on_hand - 1})
    rig.client.download_changes()
    ((task_id, to_bring, _, _),) = tasks_at(rig, bin_, sku)
    app = lead_app(rig)
    async with app.run_test(size=(40, 20)) as pilot:
        await pilot.press(*"BD4117", "enter", *"573605", "enter")
        await pilot.pause()
        await pilot.press("f11")
        await wait_for(pilot, lambda: isinstance(app.screen, ReorderScreen)
                       and app.screen.view is not None)  # fmt: skip
        await pilot.press("f9")
        await wait_for(pilot, lambda: isinstance(app.screen, ReplenishScreen))
        assert bin_ in str(app.screen.query_one("#body").render())
        await pilot.press(*bin_, "enter")
        await pilot.pause()
        await pilot.press("f7")
        await pilot.pause()
        await pilot.press(*f"{to_bring:g}", "enter")
        await pilot.pause()
        await pilot.press(*gtin_of(rig.store, sku), "enter")
        await pilot.pause()
        await pilot.press("f9")
        await wait_for(pilot, lambda: "Replenished" in message(app))
        assert message(app) == f"Replenished {to_bring:g} of {sku} in {bin_}."
    (event,) = [e for e in rig.store.pending() if e.type == "stock_replenished"]
    assert event.payload == {"task": task_id, "bin": bin_, "sku": sku, "qty": to_bring}


@pytest.mark.parametrize("size", [(40, 20), (100, 30)])
def test_reorder_screen_snapshot(snap_compare, rig, size):
    app = lead_app(rig)

    async def run_before(pilot) -> None:
        await pilot.press(*"BD4117", "enter", *"573605", "enter")
        await pilot.pause()
        await pilot.press("f11")
        await wait_for(pilot, lambda: isinstance(app.screen, ReorderScreen)
                       and app.screen.view is not None)  # fmt: skip

    assert snap_compare(app, terminal_size=size, run_before=run_before)


def test_kept_list_survives_in_the_cache(rig):
    service(rig).read()
    from picker_app.store.reorder import kept_list

    kept = kept_list(rig.store)
    assert kept is not None and kept[1] == START.isoformat()
    assert datetime.fromisoformat(kept[0].as_of) == START.astimezone(UTC)
    assert START - timedelta(days=14) < datetime.fromisoformat(kept[0].as_of)


def test_a_store_that_sold_nothing_for_days_is_judged_on_its_last_days(rig, monkeypatch):
    """The demo's history is a fixed month: ten days on, the list is that of its last days,
    not one of days nothing sold in (which would list nothing)."""
    monkeypatch.setattr(backend_reorder, "now", lambda: START + timedelta(days=10))
    later = backend_reorder.reorder(rig.backend, STORE, 14, 3.0, 7.0)
    last_end = "2026-11-25T00:00:00+00:00"  # the history's last day (24 Nov, UTC) ended
    assert later.as_of == last_end
    history = [
        (datetime.fromisoformat(at), sku, qty)
        for at, sku, qty in rig.backend.conn.execute(
            "SELECT placed_at, sku, qty FROM order_history WHERE store = ?", (STORE,)
        )
    ]
    on_hand, products = _stock_and_products(rig)
    per_day = daily_sales(history, datetime.fromisoformat(last_end), 14)
    anchored = reorder_list(per_day, on_hand, products, 3.0, 7.0)
    assert [ln.sku for ln in later.lines] == [r.sku for r in anchored]
    assert later.lines  # the demo store has products to reorder


def _stock_and_products(rig):
    conn = rig.backend.conn
    on_hand: dict[str, float] = {}
    for sku, qty in conn.execute("SELECT sku, on_hand FROM stock WHERE store = ?", (STORE,)):
        on_hand[sku] = on_hand.get(sku, 0.0) + max(0.0, qty)
    products = {s: (n, u) for s, n, u in conn.execute(
        "SELECT sku, name, unit FROM catalog WHERE store = ?", (STORE,))}  # fmt: skip
    return on_hand, products
