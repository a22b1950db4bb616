"""The packing scale polled in its own thread (`SI`, a few times a second).

The thread only calls `on_event` with what the scale says (a `Reading`, `ScaleFault` or
`Unreadable`, when it differs from the last one) or a `ScaleStatus` when the scale comes or
goes (a Textual app passes a function that posts a message); it never touches the UI. When the
scale cannot be read it reports so and tries again with capped exponential backoff.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from picker_app.domain.weighing import ScaleReply
from picker_app.scale.client import ScaleClient, ScaleError


@dataclass(frozen=True)
class ScaleStatus:
    """The scale came or went; `message` is the sentence to show."""

    connected: bool
    message: str


ScaleEvent = ScaleReply | ScaleStatus


class ScalePoller:
    """Asks one scale for its weight every `interval_s` in a daemon thread; reports changes."""

    def __init__(
        self,
        client: ScaleClient,
        on_event: Callable[[ScaleEvent], None],
        interval_s: float = 0.2,
        reopen_min_s: float = 0.1,
        reopen_max_s: float = 2.0,
    ) -> None:
        self.client = client
        self.on_event = on_event
        self.interval_s = interval_s
        self.reopen_min_s = reopen_min_s
        self.reopen_max_s = reopen_max_s
        self.connected: bool | None = None  # not known until the first poll
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start polling (returns at once)."""
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._run, name=f"scale {self.client.port}", daemon=True
        )
        self._thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        """Stop polling and close the port."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self.client.close()

    def _status(self, connected: bool, message: str) -> None:
        if connected == self.connected:
            return
        self.connected = connected
        self.on_event(ScaleStatus(connected, message))

    def _run(self) -> None:
        delay = self.reopen_min_s
        last: ScaleReply | None = None
        while not self._stop.is_set():
            try:
                reply = self.client.ask("SI")
            except ScaleError as err:
                self.client.close()
                self._status(False, f"{err} Trying again.")
                last = None  # say the weight again once the scale is back
                self._stop.wait(delay)
                delay = min(delay * 2, self.reopen_max_s)
                continue
            delay = self.reopen_min_s
            self._status(True, f"Scale connected: {self.client.port}.")
            if reply != last:
                last = reply
                self.on_event(reply)
            self._stop.wait(self.interval_s)
        self.client.close()
