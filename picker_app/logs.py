"""Where picker_app writes what went wrong: a rotating file in the data directory, never the
screen the picker uses."""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

from picker_app.config import data_dir

LOG_NAME = "picker-app.log"


def setup(folder: Path | None = None) -> Path:
    """Send picker_app's warnings and errors to `folder`/picker-app.log (1 MB, 3 kept). The file
    is made at the first message; a folder that cannot be written leaves logging off."""
    path = (folder or data_dir()) / LOG_NAME
    root = logging.getLogger("picker_app")
    if any(isinstance(h, logging.handlers.RotatingFileHandler) for h in root.handlers):
        return path
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=1_000_000, backupCount=3, encoding="utf-8", delay=True
        )
    except OSError:
        return path
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    root.propagate = False
    return path
