"""The embedded default: backend found or started, device registered once, cache filled."""

from __future__ import annotations

import socket

import pytest

from picker_app.backend.server import DEFAULT_OPEN_ORDERS
from picker_app.embedded import start_embedded
from picker_app.errors import PickerError


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_first_run_starts_and_seeds_then_a_second_app_uses_it(tmp_path):
    port = free_port()
    said: list[str] = []
    first = start_embedded(tmp_path, port=port, say=said.append)
    try:
        assert first.server is not None and "first run" in said[0]
        assert first.store.conn.execute("SELECT COUNT(*) FROM sku").fetchone()[0] == 1991
        assert first.store.conn.execute("SELECT COUNT(*) FROM users").fetchone()[0] == 22
        other_dir = tmp_path / "packer"  # a packer's app beside the picker's, same backend
        other_dir.mkdir()
        (other_dir / "backend.db").symlink_to(tmp_path / "backend.db")
        second = start_embedded(other_dir, port=port)
        assert second.server is None and second.token != first.token
        # The seeded queue (more may arrive meanwhile: the demo's customers order as they come).
        seeded = [f"OR{52000001 + n}" for n in range(DEFAULT_OPEN_ORDERS)]
        ids = [r[0] for r in second.store.conn.execute("SELECT id FROM orders ORDER BY id")]
        assert ids[:DEFAULT_OPEN_ORDERS] == seeded
        second.stop()
    finally:
        first.stop()
    again = start_embedded(tmp_path, port=port)  # restart: same device, same token
    try:
        assert again.token == first.token
    finally:
        again.stop()


def test_a_port_held_by_another_program_is_a_clear_error(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        # Something listens but never answers HTTP: not our backend.
        with pytest.raises(PickerError, match="used by another program"):
            start_embedded(tmp_path, port=port)


def test_after_the_first_run_the_backend_starts_in_the_background(tmp_path):
    """With a cache and a token from an earlier run, the app opens at once on its cache and
    the backend comes up behind it; `on_ready` says when, for the first sync."""
    import threading

    port = free_port()
    first = start_embedded(tmp_path, port=port, customers=False)
    first.stop()
    ready = threading.Event()
    again = start_embedded(tmp_path, port=port, customers=False, on_ready=ready.set)
    try:
        assert again.token == first.token
        assert again.store.conn.execute("SELECT COUNT(*) FROM users").fetchone()[0] == 22
        assert ready.wait(20)
        assert again.server is not None
        report, _ = again.client.sync_once()  # the backend answers, with the kept token
        assert report.rejected == 0
    finally:
        again.stop()
