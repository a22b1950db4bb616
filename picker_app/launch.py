"""Starting the app: the embedded demo store, or a real backend and scanner, then the TUI.

`prepare()` does everything before the first screen (and is what the start-up bench times);
`run_app()` runs the TUI on what it prepared and stops the background threads after it.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TextIO

from picker_app.config import DEFAULT_BACKEND, Settings, data_dir
from picker_app.domain.layout import Layout, parse_layout
from picker_app.errors import PickerError, UserError
from picker_app.shipped import shipped, shipped_file

FIXTURES = shipped("fixtures")


@dataclass
class Prepared:
    """What the app runs on."""

    app: object  # PickerApp (imported late: the CLI's other commands need no Textual)
    stop: Callable[[], None]
    mode: str  # "demo" or the backend URL


def is_embedded(settings: Settings) -> bool:
    """Nothing configured: the demo store on this machine."""
    return settings.token is None and settings.backend_url == DEFAULT_BACKEND


def demo_pins() -> dict[str, str]:
    """The demo users' PINs, shown on the login screen in demo mode only."""
    with (FIXTURES / "users.csv").open(encoding="utf-8") as f:
        return {row["user_id"]: row["pin"] for row in csv.DictReader(f)}


def store_layout(settings: Settings, info: dict[str, str]) -> Layout:
    """The layout the app draws and routes on: the settings' file, or the one the backend names
    (a path under the project, e.g. `layouts/demo-store.toml`, shipped with the package),
    checked against the backend's content hash."""
    named = info.get("layout") or ""
    path = settings.layout or (shipped_file(named) if named else None)
    if path is None:
        raise UserError(
            "the backend names no store layout: set `layout` in the settings file or pass --layout"
        )
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as err:
        raise UserError(f"{path}: cannot read the store layout: {err.strerror}") from None
    layout = parse_layout(text, str(path))
    expected = info.get("layout_hash")
    if expected and layout.content_hash != expected:
        raise UserError(
            f"{path} is not the layout the backend has for this store (content differs): "
            "get the store's current layout file, or pass it with --layout"
        )
    return layout


def no_data(store_id: str, url: str, error: Exception | None, demo: bool) -> str:
    """Why the app cannot start on a cache with no data: one sentence naming the backend (so
    its port) and what it did: refused this device, could not be reached, or sent no users."""
    from picker_app.sync.client import SyncPaused

    if error is None:
        return (
            f"the backend at {url} sent no users of store {store_id}: check the store id "
            "(--store) with the store lead"
        )
    if isinstance(error, SyncPaused):
        other = (
            f"; if port {url.rsplit(':', 1)[1]} serves another data directory's demo, stop it "
            "or pass --port with a free port" if demo else ""
        )  # fmt: skip
        said = str(error).replace("the backend refused", f"the backend at {url} refused", 1)
        return f"this device has no data of store {store_id} yet: {said}{other}"
    return (
        f"this device has no data of store {store_id} yet and could not reach the backend at "
        f"{url} ({error}): connect it to the network and start again"
    )


def prepare(settings: Settings, say: Callable[[str], None] = lambda text: None) -> Prepared:
    """Backend, cache, layout, scanner settings and the app, ready to run."""
    from picker_app.domain.picking import WeightTolerance
    from picker_app.scanner.framing import FramingConfig
    from picker_app.scanner.serial_reader import SerialSettings
    from picker_app.store.db import LocalStore, health
    from picker_app.store.info import store_info
    from picker_app.sync.client import SyncClient, SyncError, SyncSettings
    from picker_app.ui.app import AppOptions, PickerApp, load_users, make_app

    folder = settings.db.parent if settings.db else data_dir()
    cache = settings.db or folder / "picker.db"
    damage = health(cache) if cache.exists() else None
    if damage is not None:
        raise PickerError(
            f"{cache}: the local database is damaged ({damage}); it was left untouched: run "
            "`picker-app sync` to save and send the scans that can still be read, then move "
            "the file aside and start again"
        )
    holder: list[PickerApp] = []  # the app, once made, for the backend started in background
    if is_embedded(settings):
        from picker_app.embedded import start_embedded

        def backend_ready() -> None:  # from the thread that started the backend
            if holder:
                holder[0].poke_sync()

        embedded = start_embedded(
            folder, port=settings.port, store_id=settings.store, say=say, on_ready=backend_ready,
            cache=settings.db,
        )  # fmt: skip
        store, client, mode = embedded.store, embedded.client, "demo"
        stop, url, offline = embedded.stop, embedded.url, embedded.offline
        pins: dict[str, str] | None = demo_pins()
    else:
        if not settings.token:
            raise UserError(
                f"connecting to {settings.backend_url} needs this device's token: pass --token=T "
                "(from `picker-app backend add-device` on the backend) or set `token` in "
                f"{data_dir() / 'config.toml'}"
            )
        store = LocalStore.open(cache)
        remote = SyncSettings(settings.backend_url, settings.store, settings.token)
        client = SyncClient(store, remote)
        offline = None
        try:
            client.download_changes()
        except SyncError as err:
            offline = err
        mode, pins, url = settings.backend_url, None, settings.backend_url
        stop = store.close
    info = store_info(store)
    users = load_users(store)
    if not users:
        stop()
        raise UserError(no_data(settings.store, url, offline, demo=mode == "demo"))
    if offline is not None:
        say(f"Working offline for now: {offline}")
    try:
        layout = store_layout(settings, info)
    except UserError:
        stop()
        raise
    scanner = None
    if settings.scanner:
        scanner = SerialSettings(
            settings.scanner, settings.scanner_baud,
            framing=FramingConfig(terminator=settings.scanner_terminator),
            feedback=settings.scanner_feedback,
        )  # fmt: skip
    app = make_app(
        store, pins, layout, sync_client=client, scanner=scanner,
        options=AppOptions(batch_max=settings.batch_max),
        require_bin_scan=settings.bin_scan == "required",
        budget=timedelta(seconds=settings.budget_s),
        weight_tolerance=WeightTolerance(
            settings.weight_tolerance, settings.weight_tolerance_g / 1000
        ),
    )  # fmt: skip
    holder.append(app)
    return Prepared(app, stop, mode)


def run_app(settings: Settings, err: TextIO) -> int:
    """`picker-app`: prepare, then run the TUI until the user quits."""
    def say(text: str) -> None:
        err.write(f"{text}\n")

    prepared = prepare(settings, say=say)
    try:
        prepared.app.run()  # type: ignore[attr-defined]
    finally:
        prepared.stop()
    return 0
