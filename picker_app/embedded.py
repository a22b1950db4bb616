"""The embedded default: a complete demo store on this one machine, with nothing configured.

`start_embedded` finds the reference backend on its fixed loopback port or starts it in this
process (seeded from `fixtures/` on first run), registers this device with it once (the backend's
database is on this machine, so the device gets its token there, as `backend add-device` would),
and brings the local cache up to date. A second `picker-app` on the machine finds the backend
already running and uses it.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

from picker_app.errors import PickerError
from picker_app.store.db import LocalStore
from picker_app.sync.client import SyncClient, SyncError, SyncSettings

if TYPE_CHECKING:
    from picker_app.backend.server import BackendDB, ServerThread

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

    customers: threading.Event | None = None  # set to stop the demo's new orders

    def stop(self) -> None:
        if self.customers is not None:
            self.customers.set()
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
    order_every_s: float = 10.0,
) -> Embedded:
    """Backend found or started, device registered, cache up to date. A backend started here
    gets a new customer order every `order_every_s` seconds (0: none), as a live store does."""
    data_dir.mkdir(parents=True, exist_ok=True)
    url = f"http://127.0.0.1:{port}"
    backend_db = data_dir / "backend.db"
    server = None
    customers = None
    found = _is_our_backend(url)
    if found is False:
        raise PickerError(
            f"port {port} is used by another program: stop it, or connect to a backend with "
            "--backend URL --token T"
        )
    if found is None:
        # Imported only when this app serves the backend (FastAPI is slow to import).
        from picker_app.backend.server import BackendDB, ServerThread, seed_from_fixtures

        first = not backend_db.exists()
        db = BackendDB(backend_db)
        if first:
            say("Preparing the demo store (first run only)...")

        def bar(step: str, done: float) -> None:
            filled = round(done * 30)
            say(f"  [{'#' * filled}{'.' * (30 - filled)}] {done:4.0%} {step}")

        seed_from_fixtures(db, FIXTURES, store_id, progress=bar)
        server = ServerThread(db, port=port)
        if order_every_s > 0:
            customers = threading.Event()
            threading.Thread(
                target=_place_orders, args=(db, store_id, order_every_s, customers),
                name="demo customers", daemon=True,
            ).start()  # fmt: skip
    store = LocalStore.open(data_dir / "picker.db")
    token = _device_token(store, backend_db, store_id, url)
    client = SyncClient(store, SyncSettings(url, store_id, token))
    try:
        client.download_changes()
    except SyncError as err:
        say(f"Working offline for now: {err}")
    return Embedded(url, token, store, client, server, customers)


def _place_orders(db: BackendDB, store_id: str, every_s: float, stop: threading.Event) -> None:
    """The demo's customers: one new order every `every_s` seconds until `stop` is set."""
    rng = random.Random(2026)
    while not stop.wait(every_s):
        db.add_orders(store_id, 1, rng)


def _device_token(store: LocalStore, backend_db: Path, store_id: str, url: str) -> str:
    """This device's token for the local backend, issued once and kept in the cache."""
    info = dict(store.conn.execute("SELECT key, value FROM store_info"))
    if info.get("token") and info.get("backend_url") == url:
        return info["token"]
    from picker_app.backend.server import BackendDB

    token = BackendDB(backend_db).add_device(store_id, store.device)
    with store.write() as conn:
        conn.executemany(
            "INSERT OR REPLACE INTO store_info (key, value) VALUES (?, ?)",
            [("token", token), ("backend_url", url)],
        )
    return token
