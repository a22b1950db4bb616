"""Sync in the background: on a schedule and on demand, never blocking scanning.

A daemon thread runs `SyncClient.sync_once()` every `interval_s`, or at once when `poke()`d
(e.g. right after a tote is closed), and reports each outcome to `on_status` (the app turns it
into "online" / "offline, 12 scans waiting"). Errors become status, never exceptions: the
thread survives anything a sync or its status callback raises, logs it, says so and tries again
at the next turn.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from picker_app.errors import PickerError
from picker_app.sync.client import SyncClient, SyncError, SyncPaused

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SyncStatus:
    online: bool
    paused: bool
    pending: int
    message: str


class SyncWorker:
    def __init__(
        self,
        client: SyncClient,
        on_status: Callable[[SyncStatus], None] = lambda status: None,
        interval_s: float = 15.0,
    ) -> None:
        self.client = client
        self.on_status = on_status
        self.interval_s = interval_s
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sync", daemon=True)
        self._last_pending = 0

    def start(self) -> None:
        self._thread.start()

    def poke(self) -> None:
        """Sync now (without waiting for the schedule)."""
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout)

    def is_alive(self) -> bool:
        return self._thread.is_alive()

    def _run(self) -> None:
        while not self._stop.is_set():
            status = self._sync()
            try:
                self.on_status(status)
            except Exception:  # e.g. the screen that shows it is not there yet: next turn
                log.exception("sync status %r could not be shown", status.message)
            self._wake.wait(self.interval_s)
            self._wake.clear()

    def _sync(self) -> SyncStatus:
        try:
            report, changes = self.client.sync_once(max_attempts=2)
        except SyncPaused as err:
            return SyncStatus(False, True, self._pending(), f"sync paused: {err}")
        except SyncError as err:
            pending = self._pending()
            return SyncStatus(False, False, pending, f"offline, {pending} events waiting ({err})")
        except PickerError as err:  # the cache itself (out of storage, damaged): said as it is
            log.warning("sync: %s", err)
            return SyncStatus(False, False, self._pending(), f"sync stopped: {err}")
        except Exception as err:
            log.exception("sync failed")
            pending = self._pending()
            return SyncStatus(
                False, False, pending,
                f"sync failed ({type(err).__name__}), trying again; {pending} events kept",
            )  # fmt: skip
        return SyncStatus(
            True, False, self._pending(), f"online: sent {report.applied}, got {changes} changes"
        )

    def _pending(self) -> int:
        """Events waiting; the last count known when the cache cannot say."""
        try:
            self._last_pending = self.client.store.counts()["pending"]
        except Exception:
            log.exception("sync: cannot count the events waiting")
        return self._last_pending
