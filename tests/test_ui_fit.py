"""What a person must see fits the screen, at 40x20 (handheld) and 100x30 (kiosk): the header's
countdown and scanner state, the stops list's product names, every demo badge at login."""

from __future__ import annotations

import csv
import re

import pytest
from textual.app import App

from picker_app.bootstrap import AppOptions, make_app
from picker_app.domain.auth import hash_pin
from picker_app.domain.picking import PickLine, PickSession
from picker_app.domain.routing import RoutePlanner
from picker_app.scanner.serial_reader import SerialSettings
from picker_app.store.db import LocalStore
from picker_app.ui.app import PickerApp
from picker_app.ui.screens.picker.pick import PickScreen
from tests.appkit import ROOT, pick_task
from tests.test_ui_flow import login_and_take, wait_for


def screen_text(app: PickerApp) -> list[str]:
    """The rows of the terminal as the person sees them (cut where the screen cuts)."""
    return [strip.text for strip in app.screen._compositor.render_strips()]


TOTES = ("TT000001", "TT000002", "TT000003", "TT000004")


@pytest.mark.parametrize("batch", [1, 2, 4])
async def test_the_countdown_and_a_lost_scanner_stay_in_the_header_at_40_columns(
    rig, tmp_path, batch
):
    app = make_app(
        rig.store, {"U101": "7051"}, rig.layout, clock=rig.clock,
        scanner=SerialSettings(str(tmp_path / "ttyUnplugged")), options=AppOptions(),
    )  # fmt: skip
    async with app.run_test(size=(40, 20)) as pilot:
        await wait_for(pilot, lambda: app.status_values["scanner"] == "DISCONNECTED")
        await login_and_take(pilot, app, totes=TOTES[:batch])
        states = [
            {},
            {"online": False, "waiting": 12345},
            {"online": False, "paused": True, "waiting": 7},
            {"online": True, "paused": False, "waiting": 0},
        ]
        for values in states:
            app.set_status(**values)
            rig.clock.advance(200)  # over budget: the longest countdown text
            await pilot.pause(1.1)
            top, head = screen_text(app)[:2]
            assert top.rstrip().endswith("DISCONNECTED"), top
            assert "PAUSED" in top if values.get("paused") else "PAUSED" not in top
            assert head.rstrip().endswith((" left", " over")), head
            assert str(len(pick_task(app).orders)) in head or "TT00000" in head


LINES = [
    ("T03-3", 1, "each", "Ariel Plus Jasmine & Rose Powder 1 kg"),
    ("K12-4", 2, "each", "Sunfeast Bounce Cream 75 g"),
    ("A19-4", 0.75, "kg", "Fresh Shimla Apple (loose, by weight)"),
    ("E06-1", 1, "each", "Eggoz Farm Fresh White Eggs 12 pcs"),
    ("P11-4", 1.25, "kg", "Onion (Nashik red, loose, by weight)"),
    ("H04-4", 3, "each", "Head & Shoulders Hair Fall Control Shampoo 180 ml"),
]


async def test_the_kiosk_stops_list_shows_whole_names_and_units_one_line_each(demo):
    lines = [
        PickLine("OR1", i, f"SKU-{i}", name, bin_, qty, unit=unit, tote="TT000001")
        for i, (bin_, qty, unit, name) in enumerate(LINES, 1)
    ]
    route = RoutePlanner(demo).plan([ln.bin for ln in lines])
    order = {s.bin: i for i, s in enumerate(route.stops)}
    lines.sort(key=lambda ln: order[ln.bin])
    screen = PickScreen(
        PickSession(lines),
        demo,
        {s.bin: s.cell for s in route.stops},
        save=lambda e: None,
        title="OR1>TT000001",
    )

    class OneScreen(App):
        def on_mount(self) -> None:
            self.push_screen(screen)

    app = OneScreen()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        rows = screen_text(app)  # type: ignore[arg-type]
        for ln in lines:
            qty = f"{ln.qty:g}{' kg' if ln.unit == 'kg' else ''}"
            shown = [r for r in rows if f" {ln.bin} " in r and ln.name[:20] in r]
            assert len(shown) == 1, f"{ln.bin} not listed once: {shown}"
            assert f" {qty} " in shown[0], shown[0]
            assert (ln.name if len(ln.name) <= 40 else ln.name[:40]) in shown[0], shown[0]


def fixture_users() -> list[tuple[str, str, str, str, str]]:
    with open(ROOT / "fixtures" / "users.csv", newline="") as f:
        return [
            (r["user_id"], r["name"], r["role"], r["badge"], r["pin"]) for r in csv.DictReader(f)
        ]


@pytest.fixture
def demo_users_store(tmp_path):
    store = LocalStore.open(tmp_path / "d.db", device="dev-ui")
    with store.write() as conn:
        conn.executemany(
            "INSERT INTO users (id, name, role, badge, pin_hash) VALUES (?, ?, ?, ?, ?)",
            [
                (i, n, r, b, hash_pin(p, salt="s", n=2))
                for i, n, r, b, p in fixture_users()
            ],
        )
    yield store
    store.close()


@pytest.mark.parametrize("size", [(40, 20), (100, 30)])
async def test_login_shows_every_demo_badge_and_pin_by_role(demo_users_store, size):
    users = [u for u in fixture_users() if u[2] != "rider"]  # riders do not log in
    assert len(users) == 18
    app = make_app(demo_users_store, {u[0]: u[4] for u in users})
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        text = "\n".join(screen_text(app))
        for _, name, role, badge, pin in users:
            assert re.search(rf"{badge}\s+{pin}\b", text), f"{role} {name} ({badge}) not shown"
        for role in ("picker", "packer", "lead"):
            assert role in text
        if size[0] >= 100:
            assert all(u[1] in text for u in users)  # the kiosk has room for the names
