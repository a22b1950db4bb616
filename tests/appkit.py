"""The app against a real reference backend on loopback: a seeded backend (seeded once per test
session, copied per test), a local cache filled from it over HTTP, and a fixed clock."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from biip.checksums import gs1_standard_check_digit

from picker_app.backend.server import BackendDB, ServerThread, seed_from_fixtures
from picker_app.domain.layout import Layout, parse_layout
from picker_app.domain.picking import PickLine
from picker_app.domain.scan import DEFAULT_VARIABLE_MEASURE
from picker_app.store.db import LocalStore
from picker_app.sync.client import SyncClient, SyncSettings

ROOT = Path(__file__).resolve().parent.parent
STORE = "BLR-KOR-01"
START = datetime(2026, 11, 25, 10, 0, 0, tzinfo=UTC)


@dataclass
class Clock:
    """A fixed clock the test moves by hand."""

    now: datetime = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass
class Rig:
    backend: BackendDB
    server: ServerThread
    store: LocalStore
    client: SyncClient
    layout: Layout
    clock: Clock = field(default_factory=Clock)

    def stop(self) -> None:
        self.server.stop()
        self.store.close()


def seeded_template(directory: Path) -> Path:
    """A backend database seeded from the fixtures (fixed seed), made once."""
    path = directory / "backend.db"
    if not path.exists():
        db = BackendDB(path)
        seed_from_fixtures(db, ROOT / "fixtures", STORE, now=START)
        db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        db.conn.close()
    return path


def make_rig(template: Path, tmp: Path, port: int = 0, cache_dir: Path | None = None) -> Rig:
    shutil.copy(template, tmp / "backend.db")
    backend = BackendDB(tmp / "backend.db")
    server = ServerThread(backend, port=port)
    store = LocalStore.open((cache_dir or tmp) / "picker.db", device="handheld-1")
    token = backend.add_device(STORE, store.device)
    client = SyncClient(store, SyncSettings(server.url, STORE, token))
    client.download_changes()
    layout_path = ROOT / "layouts" / "demo-store.toml"
    layout = parse_layout(layout_path.read_text(), str(layout_path))
    return Rig(backend, server, store, client, layout)


def item_code(line: PickLine, weight_kg: float | None = None) -> str:
    """A barcode that is `line`'s product: its GTIN, or a weight label for a weighed item."""
    gtin = sorted(line.gtins)[0]
    if line.unit != "kg":
        return gtin[1:] if gtin.startswith("0") else gtin
    code = gtin[1:]
    layouts = DEFAULT_VARIABLE_MEASURE
    layout = next(v for v in layouts if any(code.startswith(p) for p in v.prefixes))
    prefix = next(p for p in layout.prefixes if code.startswith(p))
    fixed = len(prefix) + layout.item_digits
    grams = round((weight_kg if weight_kg is not None else line.qty) * 10**layout.decimals)
    body = (code[:fixed] + str(grams).zfill(layout.value_digits)).ljust(12, "0")[:12]
    return body + str(gs1_standard_check_digit(body))


def picker_home(app):  # type: ignore[no-untyped-def]
    """The picker's mode's first screen (the queue, which owns the pick flow), or None when no
    one is logged in as a picker."""
    from picker_app.ui.screens.picker.queue import QueueScreen

    if app.current_mode != "picker":
        return None
    home = app.screen_stack[0]
    assert isinstance(home, QueueScreen)
    return home


def pick_task(app):  # type: ignore[no-untyped-def]
    """The task being picked in `app`, or None."""
    home = picker_home(app)
    return home.pick_task if home is not None else None
