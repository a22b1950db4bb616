"""Starting the app: the parts from the settings (bootstrap), then the TUI on them.

`prepare()` does everything before the first screen (and is what the start-up bench times);
`run_app()` runs the TUI on what it prepared and stops the background threads after it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO

from picker_app.config import Settings


@dataclass
class Prepared:
    """What the app runs on."""

    app: object  # PickerApp (imported late: the CLI's other commands need no Textual)
    stop: Callable[[], None]
    mode: str  # "demo" or the backend URL


def prepare(settings: Settings, say: Callable[[str], None] = lambda text: None) -> Prepared:
    """Backend, cache, layout, scanner settings and the app, ready to run."""
    from picker_app.bootstrap import from_settings
    from picker_app.ui.app import PickerApp

    parts = from_settings(settings, say)
    return Prepared(PickerApp(parts), parts.stop, parts.mode)


def run_app(settings: Settings, err: TextIO) -> int:
    """`picker-app`: prepare, then run the TUI until the user quits."""

    def say(text: str) -> None:
        err.write(f"{text}\n")

    from picker_app import warmup

    # The batch route search compiled in the background (once per version), while the first
    # start seeds the demo store or downloads the store's data.
    warmup.start(settings.folder)
    prepared = prepare(settings, say=say)
    try:
        prepared.app.run()  # type: ignore[attr-defined]
    finally:
        prepared.stop()
    return 0
