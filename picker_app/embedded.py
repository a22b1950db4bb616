"""The embedded default: a complete demo store on this one machine, with nothing configured.

`start_embedded` finds the reference backend on its fixed loopback port or starts it in this
process (seeded from `fixtures/` on first run), registers this device with it once (the backend's
database is on this machine, so the device gets its token there, as `backend add-device` would),
and brings the local cache up to date. A second `picker-app` on the machine finds the backend
already running and uses it.
"""

from __future__ import annotations

import functools
import random
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

from picker_app.config import BACKEND_FILE, CACHE_FILE, DEFAULT_PORT, DEMO_STORE, FIXTURES
from picker_app.domain.demand import DEMO_DAY, arrivals
from picker_app.errors import PickerError
from picker_app.store.db import LocalStore
from picker_app.store.info import recorded_backend_url, set_store_info, store_info
from picker_app.sync.client import SyncClient, SyncError, SyncSettings

if TYPE_CHECKING:
    from picker_app.backend.server import ServerThread


@dataclass
class Embedded:
    url: str
    token: str
    store: LocalStore
    store_id: str
    server: ServerThread | None = None  # None when another process serves the backend
    customers: threading.Event | None = None  # set to stop the demo's new orders
    starting: threading.Thread | None = None  # the backend starting in the background
    offline: SyncError | None = None  # why the first download failed (the caller says it)

    @functools.cached_property
    def client(self) -> SyncClient:
        """This device's sync client for the backend (made once the token is known)."""
        return SyncClient(self.store, SyncSettings(self.url, self.store_id, self.token))

    def serve(
        self,
        backend_db: Path,
        store_id: str,
        customers: bool,
        say: Callable[[str], None] = lambda text: None,
    ) -> None:
        """Serve the backend here: seeded on its first run, then (with `customers`) new orders
        as the day's demand brings them (domain/demand.py)."""
        # Imported only when this app serves the backend (FastAPI is slow to import).
        from picker_app.backend.server import (
            BackendDB,
            ServerThread,
            place_orders,
            seed_from_fixtures,
        )

        first = not backend_db.exists()
        db = BackendDB(backend_db)
        if first:
            say("Preparing the demo store (first run only)...")

        def bar(step: str, done: float) -> None:
            filled = round(done * 30)
            say(f"  [{'#' * filled}{'.' * (30 - filled)}] {done:4.0%} {step}")

        seed_from_fixtures(db, FIXTURES, store_id, progress=bar)
        self.server = ServerThread(db, port=int(self.url.rsplit(":", 1)[1]))
        from picker_app.backend.count_schedule import run_schedule

        self.customers = threading.Event()  # set at stop: ends the threads below
        threading.Thread(
            target=run_schedule, args=(db, store_id, self.customers), name="count schedule",
            daemon=True,
        ).start()  # fmt: skip
        if customers:
            stream = arrivals(DEMO_DAY, datetime.now(UTC), random.Random("demo arrivals"))
            threading.Thread(
                target=place_orders, args=(db, store_id, stream, self.customers),
                name="demo customers", daemon=True,
            ).start()  # fmt: skip

    def stop(self) -> None:
        if self.starting is not None:
            self.starting.join(15)
        if self.customers is not None:
            self.customers.set()
        if self.server is not None:
            self.server.stop()
        self.store.close()


def _is_our_backend(url: str) -> bool | None:
    """True: our backend answers; False: something else holds the port; None: nothing does."""
    host, port = url.removeprefix("http://").rsplit(":", 1)
    try:  # a plain connect first: nothing listening is the usual case, and answered at once
        socket.create_connection((host, int(port)), timeout=1.0).close()
    except OSError:
        return None
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
    customers: bool = True,
    on_ready: Callable[[], None] | None = None,
    cache: Path | None = None,
) -> Embedded:
    """Backend found or started, device registered, cache up to date. A backend started here
    gets new customer orders as the day's demand brings them (`customers`; False: none), as a
    live store does.

    With `on_ready`, and a cache and token from an earlier run, the backend starts in the
    background: the app opens at once on its cache (login works offline) and `on_ready()` is
    called when the backend answers, for the first sync. The device's cache is `cache`
    (default: picker.db in `data_dir`, beside the backend's database)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    url = f"http://127.0.0.1:{port}"
    backend_db = data_dir / BACKEND_FILE
    found = _is_our_backend(url)
    if found is False:
        raise PickerError(
            f"port {port} is used by another program: stop it, serve the demo on a free port "
            "with --port N, or connect to a backend with --backend URL --token=T"
        )
    store = LocalStore.open(cache or data_dir / CACHE_FILE)
    kept = _kept_token(store, url)
    later = (
        found is None and on_ready is not None and kept is not None
        and store.cursor() is not None and backend_db.exists()
    )  # fmt: skip
    embedded = Embedded(url, kept or "", store, store_id)
    try:
        if found is None and later:
            assert on_ready is not None

            def start() -> None:
                try:
                    embedded.serve(backend_db, store_id, customers)
                except Exception:  # noqa: BLE001 - e.g. the port taken meanwhile: stay offline
                    return  # the header says offline; scans are kept in the cache
                on_ready()

            embedded.starting = threading.Thread(target=start, name="backend start", daemon=True)
            embedded.starting.start()
        elif found is None:
            embedded.serve(backend_db, store_id, customers, say)
        embedded.token = kept or _device_token(store, backend_db, store_id, url)
        if not later:
            try:
                embedded.client.download_changes()
            except SyncError as err:  # the caller says it: offline, or no data and why
                embedded.offline = err
    except BaseException:
        embedded.stop()
        raise
    return embedded


def recorded_port(cache: Path) -> int | None:
    """The loopback port of the demo backend this device's cache was registered with (kept
    beside its token), or None: where a running app's backend is, for `picker-app sync`."""
    if not cache.is_file():
        return None
    url = recorded_backend_url(cache)
    if url is None:  # not a cache of ours, or damaged: the default port
        return None
    port = url.removeprefix("http://127.0.0.1:")
    return int(port) if port != url and port.isdigit() and 0 < int(port) < 65536 else None


def _kept_token(store: LocalStore, url: str) -> str | None:
    """The token this device was given by the backend at `url`, if it has one."""
    info = store_info(store)
    return info["token"] if info.get("token") and info.get("backend_url") == url else None


def _device_token(store: LocalStore, backend_db: Path, store_id: str, url: str) -> str:
    """This device's token for the local backend, issued once and kept in the cache."""
    from picker_app.backend.server import BackendDB

    token = BackendDB(backend_db).add_device(store_id, store.device)
    set_store_info(store, token=token, backend_url=url)
    return token
