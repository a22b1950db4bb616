"""The embedded default: a complete demo store on this one machine, with nothing configured.

`start_embedded` finds the reference backend on its fixed loopback port or starts it in this
process (seeded from `fixtures/` on first run), registers this device with it once (the backend's
database is on this machine, so the device gets its token there, as `backend add-device` would),
and brings the local cache up to date. A second `picker-app` on the machine finds the backend
already running and uses it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from picker_app.backend.server import BackendDB, ServerThread, seed_from_fixtures
from picker_app.errors import PickerError
from picker_app.store.db import LocalStore
from picker_app.sync.client import SyncClient, SyncError, SyncSettings

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
DEFAULT_PORT = 8765
DEMO_STORE = "BLR-KOR-01"


@dataclass
class Embedded:
    url: str
    token: str
    store: LocalStore
    client: SyncClient
    server: ServerThread | None  # None when another process serves the backend

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
        self.store.close()


def _is_our_backend(url: str) -> bool | None:
    """True: our backend answers; False: something else holds the port; None: nothing does."""
    try:
        response = httpx.get(f"{url}/v1/health", timeout=1.0)
    except httpx.ConnectError:
        return None
    except httpx.TransportError:  # it accepted the connection but does not answer our API
        return False
    try:
        return response.status_code == 200 and response.json().get("status") == "ok"
    except ValueError:
        return False


def start_embedded(
    data_dir: Path,
    port: int = DEFAULT_PORT,
    store_id: str = DEMO_STORE,
    say: Callable[[str], None] = lambda text: None,
) -> Embedded:
    """Backend found or started, device registered, cache up to date."""
    data_dir.mkdir(parents=True, exist_ok=True)
    url = f"http://127.0.0.1:{port}"
    backend_db = data_dir / "backend.db"
    server = None
    found = _is_our_backend(url)
    if found is False:
        raise PickerError(
            f"port {port} is used by another program: stop it, or connect to a backend with "
            "--backend URL --token T"
        )
    if found is None:
        db = BackendDB(backend_db)
        say("Preparing the demo store (first run only)...")
        seed_from_fixtures(db, FIXTURES, store_id)
        server = ServerThread(db, port=port)
    store = LocalStore.open(data_dir / "picker.db")
    token = _device_token(store, backend_db, store_id, url)
    client = SyncClient(store, SyncSettings(url, store_id, token))
    try:
        client.download_changes()
    except SyncError as err:
        say(f"Working offline for now: {err}")
    return Embedded(url, token, store, client, server)


def _device_token(store: LocalStore, backend_db: Path, store_id: str, url: str) -> str:
    """This device's token for the local backend, issued once and kept in the cache."""
    info = dict(store.conn.execute("SELECT key, value FROM store_info"))
    if info.get("token") and info.get("backend_url") == url:
        return info["token"]
    token = BackendDB(backend_db).add_device(store_id, store.device)
    with store.write() as conn:
        conn.executemany(
            "INSERT OR REPLACE INTO store_info (key, value) VALUES (?, ?)",
            [("token", token), ("backend_url", url)],
        )
    return token
