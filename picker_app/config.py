"""Settings: one pydantic model, from a TOML file in the data directory and the environment.

`PICKER_APP_BACKEND`, `PICKER_APP_STORE`, `PICKER_APP_TOKEN`, `PICKER_APP_DB` and
`PICKER_APP_SCANNER` override the file
(`config.toml` next to the database, or `PICKER_APP_CONFIG`).
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Literal

import platformdirs
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from picker_app.errors import UserError
from picker_app.shipped import shipped

# Every default of the app, written once: the CLI, the start-up and the stores read them here.
DEFAULT_PORT = 8765  # the embedded (demo) backend's loopback port
DEMO_STORE = "BLR-KOR-01"  # the demo store's id, seeded from the fixtures
DEFAULT_BACKEND = f"http://127.0.0.1:{DEFAULT_PORT}"
FIXTURES = shipped("fixtures")  # the demo store's catalog, people and orders
LAYOUTS = shipped("layouts")
CONFIG_FILE = "config.toml"  # the settings file, in the data directory
CACHE_FILE = "picker.db"  # the device's cache, in the data directory
BACKEND_FILE = "backend.db"  # the embedded backend's database, beside it


def data_dir() -> Path:
    """Where this user's cache, logs and the demo backend's database live."""
    return Path(platformdirs.user_data_dir("picker_app", appauthor=False))


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    backend_url: str = DEFAULT_BACKEND
    store: str = DEMO_STORE
    token: str | None = None
    # The CA certificate(s) to trust for an https:// backend, a PEM file (None: the system's
    # and certifi's; a self-signed backend is then refused with a sentence).
    ca_file: Path | None = None
    db: Path | None = None
    # The app (issue 5): the store layout, the serial scanner, and how picking works here.
    layout: Path | None = None  # default: the layout the backend names, from layouts/
    scanner: str | None = None  # a serial port or pyserial URL; None: keyboard (wedge) only
    scanner_baud: int = Field(default=9600, ge=300, le=921600)
    scanner_terminator: Literal["CR", "LF", "CRLF", "TAB"] = "CR"
    scanner_feedback: Literal["off", "honeywell", "datalogic"] = "off"
    bin_scan: Literal["required", "optional"] = "required"
    budget_s: int = Field(default=150, ge=30, le=3600)  # the pick-and-pack budget
    batch_max: int = Field(default=4, ge=1, le=9)
    # A weighed line takes its ordered weight within the larger of these, either way.
    weight_tolerance: float = Field(default=0.10, ge=0, le=0.5)  # share of the ordered weight
    weight_tolerance_g: float = Field(default=50, ge=0, le=1000)
    port: int = Field(default=DEFAULT_PORT, ge=1, le=65535)  # the embedded backend's loopback port
    # Packing (issue 13): the label printer (tcp://HOST[:PORT] or a serial port; None: labels
    # are saved as PNG files in the labels folder beside the cache), how long a cold bag may
    # wait for its rider.
    printer: str | None = None
    cold_window_min: int = Field(default=30, ge=1, le=240)
    scale: str | None = None  # a packing scale (MT-SICS) on this serial port; None: no weighing
    scale_baud: int = Field(default=9600, ge=300, le=921600)

    @property
    def cache(self) -> Path:
        """The device's cache file: `db`, or picker.db in the data directory."""
        return self.db or data_dir() / CACHE_FILE

    @property
    def folder(self) -> Path:
        """The folder of the cache, where the demo backend's database and the logs go too."""
        return self.cache.parent


def ca_file(settings: Settings) -> str | None:
    """The CA file to trust for the backend, as the sync client takes it (None: the default
    ones)."""
    return str(settings.ca_file) if settings.ca_file is not None else None


def is_embedded(settings: Settings) -> bool:
    """Nothing configured: the demo store on this machine."""
    return settings.token is None and settings.backend_url == DEFAULT_BACKEND


def load_settings(
    env: dict[str, str] | None = None, overrides: dict[str, object] | None = None
) -> Settings:
    """The settings in force: file first, then environment variables."""
    env = dict(os.environ if env is None else env)
    path = Path(env.get("PICKER_APP_CONFIG") or data_dir() / CONFIG_FILE)
    values: dict[str, object] = {}
    if path.exists():
        try:
            values = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
            raise UserError(f"{path}: cannot read the settings: {err}") from None
    for key, var in (
        ("backend_url", "PICKER_APP_BACKEND"),
        ("store", "PICKER_APP_STORE"),
        ("token", "PICKER_APP_TOKEN"),
        ("ca_file", "PICKER_APP_CA_FILE"),
        ("db", "PICKER_APP_DB"),
        ("scanner", "PICKER_APP_SCANNER"),
        ("printer", "PICKER_APP_PRINTER"),
        ("scale", "PICKER_APP_SCALE"),
    ):
        if env.get(var):
            values[key] = env[var]
    values.update({k: v for k, v in (overrides or {}).items() if v is not None})
    try:
        return Settings.model_validate(values)
    except ValidationError as err:
        first = err.errors()[0]
        key = ".".join(str(p) for p in first["loc"])
        where = path if path.exists() else "the command line or environment"
        raise UserError(f"{where}: setting {key!r}: {first['msg']}") from None
