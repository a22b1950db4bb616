"""Settings into the running parts: the cache, the sync client, the layout, the services of each
role and the scanner (later the printer and the scale). The CLI's start-up (`launch`), the
start-up bench and the tests all build here, so the shipped path is the tested one.

`from_settings` is the start-up: the embedded demo store, or a real backend; `assemble` puts
given parts together (the tests give their own store and clock); `make_app` makes the TUI on
them. Nothing here imports Textual until `make_app` is called.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from picker_app.config import CONFIG_FILE, FIXTURES, Settings, ca_file, data_dir, is_embedded
from picker_app.domain.layout import Layout, parse_layout
from picker_app.domain.picking import DEFAULT_WEIGHT_TOLERANCE, WeightTolerance
from picker_app.domain.queue import PICK_PACK_BUDGET
from picker_app.errors import PickerError, UserError
from picker_app.parts import AppOptions, Parts, now
from picker_app.shipped import shipped_file

__all__ = [
    "AppOptions", "Parts", "assemble", "demo_pins", "from_settings", "make_app", "no_data",
    "store_layout",
]  # fmt: skip

if TYPE_CHECKING:
    from picker_app.domain.labels import BagLabel
    from picker_app.scanner.serial_reader import SerialSettings
    from picker_app.store.db import LocalStore
    from picker_app.sync.client import SyncClient
    from picker_app.ui.app import PickerApp


def assemble(
    store: LocalStore,
    demo_pins: dict[str, str] | None = None,
    layout: Layout | None = None,
    *,
    sync_client: SyncClient | None = None,
    scanner: SerialSettings | None = None,
    options: AppOptions | None = None,
    clock: Callable[[], datetime] | None = None,
    require_bin_scan: bool = True,
    budget: timedelta = PICK_PACK_BUDGET,
    weight_tolerance: WeightTolerance = DEFAULT_WEIGHT_TOLERANCE,
    users: list[dict[str, str]] | None = None,
) -> Parts:
    """The parts on this store (and layout): the people (`users`, default: read from the
    cache, so login works offline) and the services of each role."""
    from picker_app.services.board import BoardService
    from picker_app.services.counting import CountService
    from picker_app.services.heat import HeatService
    from picker_app.services.packing import PackService
    from picker_app.services.picking import PickService
    from picker_app.services.reorder import ReorderService
    from picker_app.services.shrinkage import ShrinkageService
    from picker_app.services.slotting import SlottingService
    from picker_app.store import people
    from picker_app.sync.board import fetch_board
    from picker_app.sync.reorder import fetch_reorder
    from picker_app.sync.shrinkage import fetch_shrinkage
    from picker_app.sync.slotting import fetch_slotting

    options = options or AppOptions()
    clock = clock or now
    picking = None
    if layout is not None:
        picking = PickService(
            store, layout, clock, require_bin_scan=require_bin_scan, budget=budget,
            scan_config=options.scan_config, weight_tolerance=weight_tolerance,
        )  # fmt: skip
    packing = PackService(
        store, layout, clock, scan_config=options.scan_config,
        cold_window_min=options.cold_window_min,
        output=label_output(options.printer, store.path.parent / "labels"),
    )  # fmt: skip
    heat = HeatService(store, layout, clock) if layout is not None else None
    users = people.users(store) if users is None else users
    fetch = partial(fetch_board, sync_client) if sync_client is not None else None
    advice = partial(fetch_slotting, sync_client) if sync_client is not None else None
    listed = partial(fetch_reorder, sync_client) if sync_client is not None else None
    lost = partial(fetch_shrinkage, sync_client) if sync_client is not None else None
    return Parts(
        store, users, layout, demo_pins, sync_client, scanner, options, clock, picking,
        packing, heat, CountService(store, layout, clock, options.scan_config),
        BoardService(store, clock, fetch),
        SlottingService(store, layout, clock, advice, options.scan_config),
        ReorderService(store, layout, clock, listed, options.scan_config),
        ShrinkageService(store, clock, lost),
    )  # fmt: skip


def label_output(printer: str | None, folder: Path) -> Callable[[BagLabel], str]:
    """Where bag labels go: the label printer at `printer` (ZPL), or PNG files in `folder`
    when no printer is set up; each call returns where the label went."""
    if printer:
        from picker_app.printing.zpl_printer import LabelPrinter

        device = LabelPrinter(printer, retry="press F7 to retry")

        def to_printer(label: BagLabel) -> str:
            device.print_label(label)
            return f"printed at {printer}"

        return to_printer

    def to_file(label: BagLabel) -> str:
        from picker_app.printing.render import write_png

        path = folder / f"{label.bag_id}{'-duplicate' if label.duplicate else ''}.png"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            write_png(label, path)
        except OSError as err:
            raise UserError(f"The label could not be saved in {folder}: {err.strerror}.") from None
        return f"saved as {path}"

    return to_file


def make_app(*args: object, **kwargs: object) -> PickerApp:
    """The TUI on `assemble(*args, **kwargs)`: the tests' way in, the same app as shipped."""
    from picker_app.ui.app import PickerApp

    return PickerApp(assemble(*args, **kwargs))  # type: ignore[arg-type]


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


def from_settings(settings: Settings, say: Callable[[str], None] = lambda text: None) -> Parts:
    """The start-up: the backend (the embedded demo, or the one configured), the cache up to
    date where the network allows, the layout, the scanner's settings and the services."""
    from picker_app.store.db import LocalStore, health
    from picker_app.sync.client import SyncClient, SyncError, SyncSettings

    cache = settings.cache
    damage = health(cache) if cache.exists() else None
    if damage is not None:
        raise PickerError(
            f"{cache}: the local database is damaged ({damage}); it was left untouched: run "
            "`picker-app sync` to save and send the scans that can still be read, then move "
            "the file aside and start again"
        )
    wake: list[Callable[[], None]] = []  # the app's sync poke, once it runs
    if is_embedded(settings):
        from picker_app.embedded import start_embedded

        def backend_ready() -> None:  # from the thread that started the backend
            for poke in wake:
                poke()

        embedded = start_embedded(
            settings.folder, port=settings.port, store_id=settings.store, say=say,
            on_ready=backend_ready, cache=settings.db,
        )  # fmt: skip
        store, client, mode = embedded.store, embedded.client, "demo"
        stop, url, offline = embedded.stop, embedded.url, embedded.offline
        pins: dict[str, str] | None = demo_pins()
    else:
        if not settings.token:
            raise UserError(
                f"connecting to {settings.backend_url} needs this device's token: pass --token=T "
                "(from `picker-app backend add-device` on the backend) or set `token` in "
                f"{data_dir() / CONFIG_FILE}"
            )
        store = LocalStore.open(cache)
        remote = SyncSettings(
            settings.backend_url, settings.store, settings.token, ca_file=ca_file(settings)
        )
        client = SyncClient(store, remote)
        offline = None
        try:
            client.download_changes()
        except SyncError as err:
            offline = err
        mode, pins, url = settings.backend_url, None, settings.backend_url
        stop = store.close
    try:
        parts = _parts(settings, store, client, pins, url, offline, mode, say)
    except BaseException:
        stop()
        raise
    parts.stop, parts.mode, parts.wake = stop, mode, wake
    return parts


def _parts(
    settings: Settings, store: LocalStore, client: SyncClient, pins: dict[str, str] | None,
    url: str, offline: Exception | None, mode: str, say: Callable[[str], None],
) -> Parts:  # fmt: skip
    from picker_app.scanner.framing import FramingConfig
    from picker_app.scanner.serial_reader import SerialSettings
    from picker_app.store import people
    from picker_app.store.info import store_info

    users = people.users(store)
    if not users:
        raise UserError(no_data(settings.store, url, offline, demo=mode == "demo"))
    if offline is not None:
        say(f"Working offline for now: {offline}")
    layout = store_layout(settings, store_info(store))
    scanner = None
    if settings.scanner:
        scanner = SerialSettings(
            settings.scanner, settings.scanner_baud,
            framing=FramingConfig(terminator=settings.scanner_terminator),
            feedback=settings.scanner_feedback,
        )  # fmt: skip
    return assemble(
        store, pins, layout, sync_client=client, scanner=scanner,
        options=AppOptions(
            batch_max=settings.batch_max, printer=settings.printer,
            cold_window_min=settings.cold_window_min, scale=settings.scale,
            scale_baud=settings.scale_baud,
        ),
        require_bin_scan=settings.bin_scan == "required",
        budget=timedelta(seconds=settings.budget_s),
        weight_tolerance=WeightTolerance(
            settings.weight_tolerance, settings.weight_tolerance_g / 1000
        ),
        users=users,
    )  # fmt: skip
