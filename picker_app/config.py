"""Settings: one pydantic model, from a TOML file in the data directory and the environment.

`PICKER_APP_BACKEND`, `PICKER_APP_STORE`, `PICKER_APP_TOKEN` and `PICKER_APP_DB` override the file
(`config.toml` next to the database, or `PICKER_APP_CONFIG`).
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

import platformdirs
from pydantic import BaseModel, ConfigDict, ValidationError

from picker_app.errors import UserError

DEFAULT_BACKEND = "http://127.0.0.1:8765"


def data_dir() -> Path:
    return Path(platformdirs.user_data_dir("picker_app", appauthor=False))


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    backend_url: str = DEFAULT_BACKEND
    store: str = "BLR-KOR-01"
    token: str | None = None
    db: Path | None = None


def load_settings(env: dict[str, str] | None = None) -> Settings:
    """The settings in force: file first, then environment variables."""
    env = dict(os.environ if env is None else env)
    path = Path(env.get("PICKER_APP_CONFIG") or data_dir() / "config.toml")
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
        ("db", "PICKER_APP_DB"),
    ):
        if env.get(var):
            values[key] = env[var]
    try:
        return Settings.model_validate(values)
    except ValidationError as err:
        first = err.errors()[0]
        key = ".".join(str(p) for p in first["loc"])
        raise UserError(f"{path}: setting {key!r}: {first['msg']}") from None
