"""One error handler for the whole app: an error in any handler, action or timer of the app or
its screens is one sentence on the screen, and the app goes on.

Textual ends the app on an exception a handler raises (the failing screen stops taking messages),
printing a traceback. `Guarded` catches it where the message is dispatched, before Textual sees
it: a `PickerError` (or a SQLite error, worded as the store words it) is said as it is; anything
else is logged with its traceback to the rotating log file in the data directory, and the person
is told in one sentence. Nothing a person was told is saved is lost: saves happen, or fail,
before anything is shown."""

from __future__ import annotations

import logging
import sqlite3
from typing import Any

from textual.message import Message

from picker_app.errors import PickerError

log = logging.getLogger("picker_app.ui")


def sentence(error: Exception, cache: Any = None) -> str:
    """What to tell the person about `error` (its traceback goes to the log if unexpected)."""
    if isinstance(error, sqlite3.DatabaseError) and cache is not None:
        from picker_app.store.db import store_error

        error = store_error(cache, error)
    if isinstance(error, PickerError):
        return str(error)
    log.error("unexpected error in the app", exc_info=error)
    return (
        f"Something went wrong ({type(error).__name__}); it is in the log. Nothing saved was "
        "lost: carry on, or log out and in again."
    )


class Guarded:
    """Mixed into the App and every screen (before the Textual class)."""

    async def _dispatch_message(self, message: Message) -> None:
        try:
            await super()._dispatch_message(message)  # type: ignore[misc]
        except Exception as error:  # noqa: BLE001 - the one place every error is handled
            app = getattr(self, "app", self)
            report = getattr(app, "report_error", None)
            if not callable(report):
                raise
            report(error)
