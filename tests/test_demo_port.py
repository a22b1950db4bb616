"""`--port` carried everywhere: the demo backend on another port than 8765, found by
`picker-app sync`, and a start-up that fails says where and why in one sentence."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

from picker_app.backend.server import BackendDB
from picker_app.domain.events import StockPicked
from picker_app.embedded import start_embedded
from tests.test_sync_upload import Backend

APP = Path(sys.executable).parent / "picker-app"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def picker_app(home: Path, *argv: str) -> subprocess.CompletedProcess:
    """The real console script with nothing configured and its data directory under `home`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PICKER_APP_")}
    env.update(XDG_DATA_HOME=str(home), PICKER_APP_CONFIG=str(home / "none.toml"))
    return subprocess.run(
        [str(APP), *argv], capture_output=True, text=True, env=env, timeout=90, check=False,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip


def test_sync_takes_port_and_then_finds_the_apps_backend_by_itself(tmp_path):
    port = free_port()
    first = picker_app(tmp_path, "sync", "--port", str(port))  # the demo, started for this sync
    assert first.returncode == 0, first.stderr
    assert "sent 0 events" in first.stdout
    # The app runs the demo on that port (as `picker-app --port N` does), a scan waits...
    app = start_embedded(tmp_path / "picker_app", port=port, customers=False)
    try:
        assert app.server is not None  # this "app" serves the backend
        with app.store.write():
            app.store.record(StockPicked(bin="A07-2", sku="SKU-000001", qty=1))
        # ... and `picker-app sync`, given no port, syncs with the app's backend.
        status = picker_app(tmp_path, "sync", "--status")
        assert status.returncode == 0, status.stderr
        assert f"backend http://127.0.0.1:{port} (reachable)" in status.stdout
        assert "events waiting: 1" in status.stdout
        done = picker_app(tmp_path, "sync")
        assert done.returncode == 0, done.stderr
        assert "sent 1 events" in done.stdout
        assert app.server.db.conn.execute("SELECT count(*) FROM events").fetchone()[0] == 1
    finally:
        app.stop()


def test_a_refused_token_at_start_up_is_one_sentence_naming_the_backend(tmp_path):
    server = Backend(BackendDB(tmp_path / "backend.db"))
    try:
        env_home = tmp_path / "home"
        proc = picker_app(
            env_home, "--backend", server.url, "--token=not-a-token", "--db", str(tmp_path / "p.db")
        )
    finally:
        server.stop()
    assert proc.returncode == 2, proc.stderr
    assert len(proc.stderr.splitlines()) == 1, proc.stderr
    assert server.url in proc.stderr and "refused" in proc.stderr
    assert "could not reach" not in proc.stderr and "Traceback" not in proc.stderr


def test_the_demo_on_a_port_where_another_demo_refuses_it_names_that_port(tmp_path):
    """Port P serves another data directory's demo: it does not know this device's token."""
    port = free_port()
    other = start_embedded(tmp_path / "other", port=port, customers=False)
    try:
        proc = picker_app(tmp_path / "home", "--port", str(port))
    finally:
        other.stop()
    assert proc.returncode == 2, proc.stderr
    assert len(proc.stderr.splitlines()) == 1, proc.stderr
    assert f"127.0.0.1:{port}" in proc.stderr and "8765" not in proc.stderr
    assert "refused" in proc.stderr and "could not reach" not in proc.stderr
