"""What the threads (the serial scanner, the sync worker) tell the app: messages, posted from
their thread (Textual's `post_message` is thread-safe), never calls into a screen."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.message import Message

from picker_app.scanner.framing import Misread
from picker_app.scanner.serial_reader import ScannerStatus, ScanRead
from picker_app.sync.worker import SyncStatus


class ScanReceived(Message, bubble=False):
    """A barcode from the serial scanner (`t`: when its last byte arrived, monotonic); the app
    hands it on to the screen in front."""

    def __init__(self, text: str, t: float) -> None:
        super().__init__()
        self.text = text
        self.t = t


class ScanMisread(Message, bubble=False):
    """Bytes from the scanner that were not a barcode, and why."""

    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason


class ScannerChanged(Message, bubble=False):
    """The serial scanner was plugged in or lost."""

    def __init__(self, connected: bool) -> None:
        super().__init__()
        self.connected = connected


class SyncStatusChanged(Message, bubble=False):
    """The outcome of a sync."""

    def __init__(self, status: SyncStatus) -> None:
        super().__init__()
        self.status = status


class StoreChanged(Message, bubble=False):
    """A commit changed these tables of the local cache (from any thread: a download by the
    sync worker, a save on the app's loop); the app hands it to the screens of the mode."""

    def __init__(self, tables: frozenset[str]) -> None:
        super().__init__()
        self.tables = tables


def from_scanner(event: object) -> Message | None:
    """What the serial scanner's thread saw, as the message it posts to the app."""
    if isinstance(event, ScannerStatus):
        return ScannerChanged(event.connected)
    if isinstance(event, Misread):
        return ScanMisread(event.reason)
    if isinstance(event, ScanRead):
        return ScanReceived(event.text, event.t)
    return None


def poster(
    post: Callable[[Message], object], make: Callable[[Any], Message | None]
) -> Callable[[Any], None]:
    """A thread's callback: what it reports, made into a message (`make`) and posted (`post`:
    the app's thread-safe `post_message`); nothing else happens in that thread."""

    def bridge(event: Any) -> None:
        message = make(event)
        if message is not None:
            post(message)

    return bridge
