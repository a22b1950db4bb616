"""The embedded default: backend found or started, device registered once, cache filled."""

from __future__ import annotations

import socket

import pytest

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
        assert first.store.conn.execute("SELECT COUNT(*) FROM users").fetchone()[0] == 18
        other_dir = tmp_path / "packer"  # a packer's app beside the picker's, same backend
        other_dir.mkdir()
        (other_dir / "backend.db").symlink_to(tmp_path / "backend.db")
        second = start_embedded(other_dir, port=port)
        assert second.server is None and second.token != first.token
        assert second.store.conn.execute("SELECT COUNT(*) FROM orders").fetchone()[0] == 300
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
