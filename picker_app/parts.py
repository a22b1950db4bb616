"""What the app runs on (`Parts`), made by `bootstrap` from the settings: a module of its own
so that the UI can name the parts without importing what builds them (the embedded backend)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from picker_app.domain.scan import DEFAULT_SCAN_CONFIG, ScanConfig

if TYPE_CHECKING:
    from picker_app.domain.layout import Layout
    from picker_app.scanner.serial_reader import SerialSettings
    from picker_app.services.board import BoardService
    from picker_app.services.counting import CountService
    from picker_app.services.heat import HeatService
    from picker_app.services.packing import PackService
    from picker_app.services.picking import PickService
    from picker_app.services.reorder import ReorderService
    from picker_app.services.shrinkage import ShrinkageService
    from picker_app.services.slotting import SlottingService
    from picker_app.store.db import LocalStore
    from picker_app.sync.client import SyncClient


def now() -> datetime:
    return datetime.now(UTC)


@dataclass
class AppOptions:
    """How this device works (from the settings file and the command line)."""

    batch_max: int = 4
    sync_interval_s: float = 5.0
    scan_config: ScanConfig = DEFAULT_SCAN_CONFIG
    printer: str | None = None  # the label printer's URL (None: PNG files in `labels`)
    cold_window_min: int = 30
    scale: str | None = None  # the packing scale's serial port (None: QC without weights)
    scale_baud: int = 9600


@dataclass
class Parts:
    """What the app runs on: made once at start-up, handed to the app and each role's mode."""

    store: LocalStore
    users: list[dict[str, str]]
    layout: Layout | None = None
    demo_pins: dict[str, str] | None = None
    sync_client: SyncClient | None = None
    scanner: SerialSettings | None = None
    options: AppOptions = field(default_factory=AppOptions)
    clock: Callable[[], datetime] = now
    picking: PickService | None = None  # the picker's service (None without a layout)
    packing: PackService | None = None  # the packer's service
    heat: HeatService | None = None  # the lead's heat map (None without a layout)
    counting: CountService | None = None  # blind counts
    board: BoardService | None = None  # the lead's live board
    slotting: SlottingService | None = None  # the lead's slotting moves
    reorder: ReorderService | None = None  # the lead's reorder list, pick faces to replenish
    shrinkage: ShrinkageService | None = None  # the lead's shrinkage report
    stop: Callable[[], None] = lambda: None  # stops what was started for these parts
    mode: str = "local"  # "demo", the backend's URL, or "local" (given parts, as in tests)
    wake: list[Callable[[], None]] = field(default_factory=list)  # called when the backend is up
