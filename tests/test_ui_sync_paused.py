"""Sync paused (the backend refuses this device: 401/403) and a faulty backend are said: the
header says PAUSED, and the queue screen gives the reason and what to do; scans are kept."""

from __future__ import annotations

import socket
import threading

import pytest

from picker_app.bootstrap import AppOptions, make_app
from picker_app.sync.client import SyncClient, SyncSettings
from picker_app.ui.screens.picker.queue import QueueScreen
from tests.appkit import STORE
from tests.test_ui_fit import screen_text
from tests.test_ui_flow import wait_for


def revoke(rig) -> SyncClient:
    with rig.backend.transaction() as conn:
        conn.execute("DELETE FROM devices")  # the lead revoked this device
    return rig.client


def other_store(rig) -> SyncClient:
    token = rig.backend.add_device("BLR-HSR-K2", rig.store.device)  # registered elsewhere
    return SyncClient(rig.store, SyncSettings(rig.server.url, STORE, token))


@pytest.mark.parametrize("size", [(40, 20), (100, 30)])
@pytest.mark.parametrize(("refuse", "code"), [(revoke, "401"), (other_store, "403")])
async def test_a_refused_device_is_told_paused_and_what_to_do(rig, refuse, code, size):
    client = refuse(rig)
    app = make_app(
        rig.store, {"U101": "7051"}, rig.layout, sync_client=client,
        options=AppOptions(sync_interval_s=0.2), clock=rig.clock,
    )  # fmt: skip
    async with app.run_test(size=size) as pilot:
        await pilot.press(*"BD4101", "enter", *"7051", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, QueueScreen))
        await wait_for(pilot, lambda: "PAUSED" in screen_text(app)[0])
        await pilot.pause(0.3)
        top = screen_text(app)[0]
        assert "OFFLINE" not in top and "online" not in top
        text = " ".join(" ".join(r.split()) for r in screen_text(app))
        assert "Sync paused" in text and code in text, text
        assert "ask the store lead to register this device again" in text
        assert "scans are kept" in text


def faulty_backend() -> tuple[socket.socket, str]:
    """A server on loopback that answers every request with a body that is not JSON."""
    server = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            with conn:
                conn.recv(65536)
                conn.sendall(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    b"Content-Length: 9\r\nConnection: close\r\n\r\n<html>oh!"
                )

    threading.Thread(target=serve, daemon=True).start()
    return server, f"http://127.0.0.1:{server.getsockname()[1]}"


async def test_a_faulty_backend_is_said_on_the_queue_screen(rig):
    server, url = faulty_backend()
    client = SyncClient(rig.store, SyncSettings(url, STORE, "whatever"))
    app = make_app(
        rig.store, {"U101": "7051"}, rig.layout, sync_client=client,
        options=AppOptions(sync_interval_s=0.2), clock=rig.clock,
    )  # fmt: skip
    try:
        async with app.run_test(size=(40, 20)) as pilot:
            await pilot.press(*"BD4101", "enter", *"7051", "enter")
            await wait_for(pilot, lambda: isinstance(app.screen, QueueScreen))
            await wait_for(pilot, lambda: app.status_values.get("online") is False)
            await pilot.pause(0.5)
            text = " ".join(" ".join(r.split()) for r in screen_text(app))
            assert "OFFLINE" in screen_text(app)[0]
            assert "backend sent a reply that" in text and "scans are kept" in text, text
    finally:
        server.close()
