"""What the threads (the serial scanner, the sync worker) tell the app: messages, posted from
their thread (Textual's `post_message` is thread-safe), never calls into a screen."""

from __future__ import annotations

from textual.message import Message

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
