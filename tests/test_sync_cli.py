"""`picker-app sync` and `picker-app sync --status`, as a person runs them."""

from __future__ import annotations

import os
import subprocess
import sys

from picker_app.backend.server import BackendDB, seed_from_fixtures
from picker_app.domain.events import StockPicked
from picker_app.store.db import LocalStore
from tests.conftest import ROOT
from tests.test_sync_upload import STORE, Backend


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "picker_app.cli", "sync", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=60,
        check=False,
    )


def test_sync_then_status(tmp_path):
    db = BackendDB(tmp_path / "backend.db")
    seed_from_fixtures(db, ROOT / "fixtures", STORE, open_orders=10)
    server = Backend(db)
    try:
        device_db = tmp_path / "device.db"
        store = LocalStore.open(device_db)
        with store.write():
            store.record(StockPicked(bin="A07-2", sku="SKU-000001", qty=1))
        name = store.device
        store.close()
        env = {
            "PICKER_APP_BACKEND": server.url,
            "PICKER_APP_STORE": STORE,
            "PICKER_APP_TOKEN": db.add_device(STORE, name),
            "PICKER_APP_DB": str(device_db),
            "PICKER_APP_CONFIG": str(tmp_path / "none.toml"),
        }
        done = run(env)
        assert done.returncode == 0, done.stderr
        assert "sent 1 events" in done.stdout
        status = run(env, "--status")
        assert "(reachable)" in status.stdout and "events waiting: 0" in status.stdout
        assert "last success: 20" in status.stdout
    finally:
        server.stop()
    down = run(env, "--status")
    assert "NOT reachable" in down.stdout
    failed = run(env)
    assert failed.returncode == 1 and "sync failed" in failed.stderr
    assert "Traceback" not in failed.stderr


def test_the_apps_own_flags_name_the_backend_and_cache_of_a_sync(tmp_path):
    """`picker-app --backend URL --token=T --store S --db FILE sync`: the flags, as the app
    takes them, not the demo's backend and the default cache (they were ignored once)."""
    db = BackendDB(tmp_path / "backend.db")
    seed_from_fixtures(db, ROOT / "fixtures", STORE, open_orders=10)
    server = Backend(db)
    try:
        device_db = tmp_path / "device.db"
        store = LocalStore.open(device_db)
        with store.write():
            store.record(StockPicked(bin="A07-2", sku="SKU-000001", qty=1))
        name = store.device
        store.close()
        flags = ["--backend", server.url, "--store", STORE,
                 f"--token={db.add_device(STORE, name)}", "--db", str(device_db)]  # fmt: skip
        env = {"PICKER_APP_CONFIG": str(tmp_path / "none.toml"),
               "XDG_DATA_HOME": str(tmp_path / "data")}  # fmt: skip
        done = subprocess.run(
            [sys.executable, "-m", "picker_app.cli", *flags, "sync"], capture_output=True,
            text=True, env={**os.environ, **env}, timeout=60, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert "sent 1 events" in done.stdout
        applied = db.conn.execute("SELECT COUNT(*) FROM events WHERE device = ?", (name,))
        assert applied.fetchone()[0] == 1
    finally:
        server.stop()


def test_sync_without_a_token_says_what_to_do(tmp_path):
    env = {
        "PICKER_APP_BACKEND": "http://127.0.0.1:9",  # a real backend, configured without a token
        "PICKER_APP_DB": str(tmp_path / "d.db"),
        "PICKER_APP_CONFIG": str(tmp_path / "none.toml"),
        "PICKER_APP_TOKEN": "",
    }
    proc = run(env)
    assert proc.returncode == 2 and "add-device" in proc.stderr


def test_a_damaged_local_database_is_one_sentence_not_a_traceback(tmp_path):
    bad = tmp_path / "d.db"
    bad.write_bytes(b"garbage" * 1000)
    proc = run(
        {
            "PICKER_APP_BACKEND": "http://127.0.0.1:9",
            "PICKER_APP_DB": str(bad),
            "PICKER_APP_CONFIG": str(tmp_path / "n.toml"),
        }
    )
    assert proc.returncode == 1 and "damaged" in proc.stderr and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_a_bad_settings_file_names_the_file_and_the_key(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text('backend = "http://x"\n')
    proc = run({"PICKER_APP_CONFIG": str(config), "PICKER_APP_DB": str(tmp_path / "d.db")})
    assert proc.returncode == 2 and str(config) in proc.stderr and "'backend'" in proc.stderr


def test_sync_with_nothing_configured_uses_the_demo_backend(tmp_path):
    """The demo store: `picker-app sync` finds the backend on this machine, or starts it (here,
    on a free port from the settings file), with this device's token from the cache."""
    from tests.test_embedded import free_port

    config = tmp_path / "config.toml"
    config.write_text(f"port = {free_port()}\n")
    env = {"PICKER_APP_CONFIG": str(config), "PICKER_APP_DB": str(tmp_path / "picker.db")}
    for key in ("PICKER_APP_BACKEND", "PICKER_APP_TOKEN"):
        env[key] = ""
    done = run(env)
    assert done.returncode == 0, done.stderr
    assert "sent 0 events" in done.stdout
    again = run(env)  # the same device, its token kept
    assert again.returncode == 0, again.stderr
