"""The shrinkage report on the lead's device (issue 14), against the real backend on loopback: the
endpoint reports what `picker-app shrinkage` reports on the same database (one reading code),
its parameters bounded and its device scoped; the lead's screen (F12) online, and offline the
last report kept in the cache with when it was fetched; the screen at 40x20 and 100x30."""

from __future__ import annotations

import json
import uuid
from functools import partial

import httpx
import pytest

import picker_app.backend.shrinkage as backend_shrinkage
from picker_app.backend import batches
from picker_app.bootstrap import AppOptions, assemble
from picker_app.cli import main
from picker_app.services.shrinkage import ShrinkageService
from picker_app.store.shrinkage import kept_report
from picker_app.sync.client import SyncClient, SyncSettings
from picker_app.sync.shrinkage import fetch_shrinkage
from picker_app.ui.app import PickerApp
from picker_app.ui.screens.lead.home import LeadHome
from picker_app.ui.screens.lead.shrinkage import ShrinkageScreen, report_lines
from picker_app.wire import EventBatch, WireEvent
from tests.appkit import START, STORE
from tests.test_ui_flow import message, wait_for

AT = "2026-11-25T09:30:00+00:00"  # when the losses were recorded (before START)
COUNTED = "SKU-000808"  # Tata Tea Premium 1 kg, Rs 520, in F02-1
DAMAGED = "SKU-001678"  # Vaseline Body Lotion 400 ml, Rs 365, in Q22-2


@pytest.fixture(autouse=True)
def backend_now(monkeypatch):
    """The backend's report ends at the rig's moment (its history is the fixtures' month)."""
    monkeypatch.setattr(backend_shrinkage, "now", lambda: START)


def send(rig, type_: str, payload: dict, user: str = "U101") -> None:
    """One event of another device, straight to the backend; it must be applied."""
    event = WireEvent(
        event_id=str(uuid.uuid4()), device="other-1", seq=1, user=user, type=type_,
        created_at=AT, payload=payload,
    )  # fmt: skip
    result = rig.backend.apply_batch(
        STORE, EventBatch(device="other-1", batch_id=str(uuid.uuid4()), events=[event])
    ).results[0]
    assert result.status == "applied", result.reason


@pytest.fixture
def losses(rig, monkeypatch):
    """Losses at the backend: a count of Tata Tea 5 short of its book (recounted, approved by
    the lead as theft) and 2 Vaseline lotions written off as damaged."""
    on_hand = rig.backend.conn.execute(
        "SELECT on_hand FROM stock WHERE store = ? AND bin = 'F02-1' AND sku = ?",
        (STORE, COUNTED),
    ).fetchone()[0]
    with rig.backend.event_writes(STORE) as writes:
        writes.open_count_task("CT-S1", "F02-1", COUNTED, "cycle")
    for counter in ("U101", "U102"):  # the lead lets two pickers count
        send(rig, "count_permission_set", {"user": counter, "allowed": True}, user="U117")
    send(rig, "count_submitted", {"task": "CT-S1", "counted": on_hand - 5, "counter": "U101"})
    send(rig, "count_submitted", {"task": "CT-S1-R", "counted": on_hand - 5, "counter": "U102"},
         user="U102")  # fmt: skip
    with monkeypatch.context() as m:
        m.setattr(batches, "now", lambda: AT)
        send(rig, "count_approved", {"task": "CT-S1-R", "lead": "U117", "reason": "theft"},
             user="U117")  # fmt: skip
    send(rig, "stock_damaged", {"sku": DAMAGED, "bin": "Q22-2", "qty": 2})


def get(rig, token: str | None = None, store: str = STORE, **params) -> httpx.Response:
    token = token or rig.client.settings.token
    return httpx.get(f"{rig.server.url}/v1/stores/{store}/shrinkage", params=params,
                     headers={"Authorization": f"Bearer {token}"}, timeout=30)  # fmt: skip


def cli_report(rig, capsys, *extra: str) -> dict:
    args = ["shrinkage", "--database", str(rig.backend.path), "--store", STORE,
            "--now", START.isoformat(), "--json", *extra]  # fmt: skip
    assert main(args) == 0
    out, err = capsys.readouterr()
    assert err == ""
    return json.loads(out)


def service(rig, client: SyncClient | None = None) -> ShrinkageService:
    return ShrinkageService(rig.store, rig.clock, partial(fetch_shrinkage, client or rig.client))


def offline_client(rig) -> SyncClient:
    return SyncClient(rig.store, SyncSettings("http://127.0.0.1:9", STORE, "t", timeout_s=2))


def lead_app(rig, shrinkage: ShrinkageService | None = None) -> PickerApp:
    parts = assemble(rig.store, {"U117": "573605"}, rig.layout, options=AppOptions(),
                     clock=rig.clock)  # fmt: skip
    parts.shrinkage = shrinkage or service(rig)
    return PickerApp(parts)


async def open_screen(pilot, app) -> None:
    await pilot.press(*"BD4117", "enter", *"573605", "enter")
    await wait_for(pilot, lambda: isinstance(app.screen, LeadHome))
    await pilot.press("f12")
    await wait_for(pilot, lambda: isinstance(app.screen, ShrinkageScreen)
                   and app.screen.view is not None)  # fmt: skip


def screen_text(app) -> str:
    return "\n".join(str(app.screen.query_one(f"#{w}").render()) for w in ("title", "body"))


# The endpoint.
def test_the_endpoint_reports_what_the_cli_reports_on_the_same_database(rig, capsys, losses):
    answer = get(rig)
    assert answer.status_code == 200
    body = answer.json()
    cli = cli_report(rig, capsys)
    assert {k: v for k, v in body.items() if k != "left_out"} | {"top": None} == cli | {
        "top": None
    }
    assert [{k: v for k, v in t.items() if k != "name"} for t in body["top"]] == cli["top"]
    # The figures by hand: 5 teas (Rs 520) stolen, 2 lotions (Rs 365) damaged.
    assert (body["store"], body["days"], body["until"]) == (STORE, 30, START.isoformat())
    assert (body["units"], body["value"]) == (7, 5 * 520 + 2 * 365)
    assert [(g["key"], g["units"], g["value"]) for g in body["by_reason"]] == [
        ("theft", 5, 2600), ("damaged", 2, 730),
    ]  # fmt: skip
    assert [(t["sku"], t["name"], t["bin"]) for t in body["top"]] == [
        (COUNTED, "Tata Tea Premium 1 kg", "F02-1"),
        (DAMAGED, "Vaseline Body Lotion 400 ml", "Q22-2"),
    ]
    assert body["sales_value"] > 0 and body["loss_pct"] == round(
        100 * 3330 / body["sales_value"], 3
    )
    assert body["accuracy"]["bins"] == 1 and body["accuracy"]["accurate_bins"] == 0
    # Other parameters, the same on both sides.
    narrow = get(rig, days=7, target=0.01, top=1).json()
    cli = cli_report(rig, capsys, "--days", "7", "--target", "0.01", "--top", "1")
    assert (narrow["since"], narrow["sales_value"], narrow["over_target"]) == (
        cli["since"], cli["sales_value"], True,
    )  # fmt: skip
    assert len(narrow["top"]) == 1 and narrow["top"][0]["ref"] == cli["top"][0]["ref"]


def test_bad_parameters_get_a_422_with_a_sentence_and_the_endpoint_is_scoped(rig):
    bad = ({"days": 0}, {"days": 367}, {"days": 1.5}, {"target": -1}, {"target": 101},
           {"target": "abc"}, {"target": "nan"}, {"top": -1}, {"top": 1001})  # fmt: skip
    for params in bad:
        answer = get(rig, **params)
        assert answer.status_code == 422, params
        detail = answer.json()["detail"]
        assert isinstance(detail, str) and detail
    assert "days" in get(rig, days=0).json()["detail"]
    url = f"{rig.server.url}/v1/stores/{STORE}/shrinkage"
    assert httpx.get(url, timeout=10).status_code == 401
    assert get(rig, token="nope").status_code == 401
    assert get(rig, store="OTHER-01").status_code == 403
    spec = httpx.get(f"{rig.server.url}/openapi.json", timeout=10).json()
    operation = spec["paths"]["/v1/stores/{store}/shrinkage"]["get"]
    ok = operation["responses"]["200"]
    assert ok["content"]["application/json"]["schema"]["$ref"].endswith("/ShrinkageReportWire")
    assert {p["name"] for p in operation["parameters"]} >= {"days", "target", "top"}


# The device.
def test_offline_the_last_report_fetched_is_shown_with_when(rig, losses):
    gone = service(rig, offline_client(rig))
    view = gone.read()
    assert view.report is None and view.fetched_at is None
    assert view.offline is not None and view.offline.startswith("backend unreachable")
    online = service(rig).read()
    assert online.offline is None and online.report is not None
    rig.clock.advance(3600)
    view = gone.read()
    assert view.offline is not None and view.fetched_at == START
    assert view.report == online.report
    kept = kept_report(rig.store)
    assert kept is not None and kept[1] == START.isoformat()


async def test_the_lead_sees_the_report_on_f12(rig, losses):
    app = lead_app(rig)
    async with app.run_test(size=(40, 20)) as pilot:
        await open_screen(pilot, app)
        text = screen_text(app)
        assert text.startswith("Shrinkage: 30 days\n26 Oct 10:00 to 25 Nov 10:00")
        assert "Lost, net: 7 units, Rs 3,330" in text
        assert "Absolute: 7 units, Rs 3,330" in text
        report = app.screen.view.report
        assert f"{report.loss_pct:.2f}% of sales, target 2%" in text
        assert "By reason" in text and "theft" in text and "damaged" in text
        assert message(app) == "Up/down: more. F2: period. F5: again."
        body = app.screen.query_one("#body")
        assert all(len(line) <= 38 for line in str(body.render()).splitlines())
        # Further down: by zone, the top losses, the counts' accuracy.
        await pilot.press(*["pagedown"] * 3)
        text = screen_text(app)
        assert "Top losses" in text and "Tata Tea" in text
        assert "Counts: 0 of 1 bins accurate (0.00%)" in text
        # F5 asks again: a new write-off is in.
        send(rig, "stock_damaged", {"sku": DAMAGED, "bin": "Q22-2", "qty": 1})
        await pilot.press("f5")
        await wait_for(pilot, lambda: app.screen.view.report.units == 8)
        # F2: the last week (the losses were a day ago: all of them in it), then a quarter.
        await pilot.press("f2")
        await wait_for(pilot, lambda: app.screen.view.report.days == 7)
        assert screen_text(app).startswith("Shrinkage: 7 days\n18 Nov 10:00 to 25 Nov 10:00")
        assert app.screen.view.report.units == 8
        await pilot.press("f2")
        await wait_for(pilot, lambda: app.screen.view.report.days == 90)
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, LeadHome))


def test_over_target_is_red_and_bold(rig, losses):
    report = service(rig).read().report
    assert report is not None
    over = report.model_copy(update={"over_target": True})
    line = report_lines(over, 38)[3]
    assert str(line).endswith("OVER") and line.style == "bold red"
    within = report_lines(report.model_copy(update={"over_target": False}), 38)[3]
    assert str(within).endswith("within") and within.style == ""


async def test_offline_the_screen_shows_the_kept_report_as_of_when(rig, losses):
    service(rig).read()  # fetched once, kept
    rig.clock.advance(1800)
    app = lead_app(rig, service(rig, offline_client(rig)))
    async with app.run_test(size=(100, 30)) as pilot:
        await open_screen(pilot, app)
        title = str(app.screen.query_one("#title").render())
        assert title == f"Shrinkage: 30 days, as of {START.astimezone():%H:%M} (offline)"
        assert "Offline: the last report fetched (backend unreachable" in message(app)
        assert "Lost, net: 7 units, Rs 3,330" in screen_text(app)


async def test_offline_with_no_report_kept_says_so(rig):
    app = lead_app(rig, service(rig, offline_client(rig)))
    async with app.run_test(size=(40, 20)) as pilot:
        await open_screen(pilot, app)
        assert screen_text(app) == (
            "Shrinkage: offline, no report kept\nThe report needs the backend."
        )
        assert message(app).startswith("Offline, no report kept yet: backend unreachable")


@pytest.mark.parametrize("size", [(40, 20), (100, 30)])
def test_shrinkage_screen_snapshot(snap_compare, rig, losses, size):
    """Asked against a target of 0.02% of sales: the demo's losses are over it (in red)."""
    app = lead_app(rig, ShrinkageService(
        rig.store, rig.clock, partial(fetch_shrinkage, rig.client, target=0.02)
    ))  # fmt: skip

    async def run_before(pilot) -> None:
        await open_screen(pilot, app)

    assert snap_compare(app, terminal_size=size, run_before=run_before)
