"""The login screen, driven by the pilot and snapshotted at handheld and kiosk sizes."""

from __future__ import annotations

import pytest

from picker_app.bootstrap import make_app
from picker_app.domain.auth import hash_pin
from picker_app.store.db import LocalStore
from picker_app.ui.app import PickerApp

USERS = [
    ("U101", "Ravi Kumar", "picker", "BD4101", "7051"),
    ("U113", "Farah Khan", "packer", "BD4113", "2291"),
    ("U117", "Deepa Rao", "lead", "BD4117", "6604"),
]


@pytest.fixture
def store(tmp_path):
    s = LocalStore.open(tmp_path / "d.db", device="dev-ui")
    with s.write() as conn:
        conn.executemany(
            "INSERT INTO users (id, name, role, badge, pin_hash) VALUES (?, ?, ?, ?, ?)",
            [(i, n, r, b, hash_pin(p, salt="fixedsalt", n=2)) for i, n, r, b, p in USERS],
        )
    yield s
    s.close()


def demo_app(store, layout=None) -> PickerApp:
    return make_app(store, demo_pins={u[0]: u[4] for u in USERS}, layout=layout)


async def test_badge_then_pin_logs_in(store, demo):
    app = demo_app(store, demo)
    async with app.run_test(size=(40, 20)) as pilot:
        await pilot.press(*"BD4101", "enter")
        await pilot.press(*"7051", "enter")
        await pilot.pause()
        assert app.user is not None and app.user["name"] == "Ravi Kumar"


async def test_wrong_pin_and_unknown_badge_say_what_to_do(store, demo):
    app = demo_app(store, demo)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press(*"BD9999", "enter")
        await pilot.pause()
        assert "scan your badge again" in str(app.screen.query_one("#message").render())
        await pilot.press(*"u113", "enter", *"0000", "enter")
        await pilot.pause()
        assert "Wrong PIN" in str(app.screen.query_one("#message").render())
        assert app.user is None
        await pilot.press(*"2291", "enter")
        await pilot.pause()
        # A packer works in the packer's mode: the totes waiting for packing.
        assert app.user["role"] == "packer" and app.current_mode == "packer"
        assert type(app.screen).__name__ == "WaitingScreen"
        await pilot.press("f10")
        await pilot.pause()
        await pilot.press(*"BD4117", "enter", *"6604", "enter")
        await pilot.pause()
        assert app.user["role"] == "lead" and type(app.screen).__name__ == "LeadHome"
        await pilot.press("f3")  # a lead may pick
        await pilot.pause()
        assert type(app.screen).__name__ == "QueueScreen"


@pytest.mark.parametrize("size", [(40, 20), (100, 30)])
def test_login_screen_snapshot(snap_compare, store, size):
    assert snap_compare(demo_app(store), terminal_size=size)


@pytest.mark.parametrize("size", [(40, 20), (100, 30)])
def test_wrong_pin_snapshot(snap_compare, store, size):
    assert snap_compare(
        demo_app(store), terminal_size=size, press=[*"BD4101", "enter", *"1111", "enter"]
    )
