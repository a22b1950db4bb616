"""A barcode scanner on a serial line (pyserial), read in its own thread.

The thread only calls `on_event` with `ScanRead`, `Misread` or `ScannerStatus` objects (a
Textual app passes a function that posts a message); it never touches the UI and never blocks
it. When the device disappears it reports "scanner disconnected" and keeps trying to open the
same path with capped exponential backoff, then reports "scanner connected" when it is back.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import serial

from picker_app.scanner.framing import Frame, Framer, FramingConfig, Misread

# Bytes sent back to the scanner so that it beeps or flashes: (good read, bad read).
FEEDBACK: dict[str, tuple[bytes, bytes]] = {
    "off": (b"", b""),
    "honeywell": (b"\x1b7,", b"\x1b8,"),  # host acknowledgment: ESC 7 , / ESC 8 ,
    "datalogic": (b"", b"\x07"),  # BEL: the bad-read beep
}


@dataclass(frozen=True)
class SerialSettings:
    """Where the scanner is and how its line is set (both must match the scanner's own set-up)."""

    port: str  # /dev/ttyACM0, /dev/serial/by-id/..., or a pyserial URL (socket://, loop://)
    baudrate: int = 9600
    parity: Literal["N", "E", "O", "M", "S"] = "N"
    bytesize: Literal[5, 6, 7, 8] = 8
    stopbits: float = 1  # 1, 1.5 or 2
    framing: FramingConfig = field(default_factory=FramingConfig)
    feedback: Literal["off", "honeywell", "datalogic"] = "off"
    reopen_min_s: float = 0.1
    reopen_max_s: float = 2.0


@dataclass(frozen=True)
class ScanRead:
    """A frame from the scanner: the raw barcode text and when its last byte arrived."""

    text: str
    t: float


@dataclass(frozen=True)
class ScannerStatus:
    """The scanner came or went; `message` is the sentence to show."""

    connected: bool
    message: str


ScannerEvent = ScanRead | Misread | ScannerStatus


class SerialScanner:
    """Reads one serial scanner in a daemon thread and reports what it reads."""

    READ_TIMEOUT_S = 0.02

    def __init__(
        self,
        settings: SerialSettings,
        on_event: Callable[[ScannerEvent], None],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self.on_event = on_event
        self.clock = clock
        self.framer = Framer(settings.framing)
        self.connected: bool | None = None  # not known until the first attempt to open
        self._stop = threading.Event()
        self._port: serial.SerialBase | None = None
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start reading (returns at once)."""
        self._thread = threading.Thread(
            target=self._run, name=f"scanner {self.settings.port}", daemon=True
        )
        self._thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        """Stop reading and close the port."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self._close()

    def good_read(self) -> None:
        """Tell the scanner the scan was accepted (if feedback is on)."""
        self._send(FEEDBACK[self.settings.feedback][0])

    def bad_read(self) -> None:
        """Tell the scanner the scan was refused, e.g. the wrong item (if feedback is on)."""
        self._send(FEEDBACK[self.settings.feedback][1])

    def _send(self, data: bytes) -> None:
        if not data:
            return
        with self._lock:
            port = self._port
            if port is None:
                return
            # A lost device is noticed and reported by the reading thread.
            with contextlib.suppress(serial.SerialException, OSError):
                port.write(data)

    def _open(self) -> serial.SerialBase:
        s = self.settings
        return serial.serial_for_url(
            s.port,
            baudrate=s.baudrate,
            parity=s.parity,
            bytesize=s.bytesize,
            stopbits=s.stopbits,
            timeout=self.READ_TIMEOUT_S,
        )

    def _close(self) -> None:
        with self._lock:
            port, self._port = self._port, None
        if port is not None:
            with contextlib.suppress(serial.SerialException, OSError):
                port.close()

    def _status(self, connected: bool, why: str = "") -> None:
        if connected == self.connected:
            return
        self.connected = connected
        port = self.settings.port
        if connected:
            message = f"scanner connected: {port}"
        else:
            message = f"scanner disconnected: {port} ({why}); trying again"
        self.on_event(ScannerStatus(connected, message))

    def _run(self) -> None:
        delay = self.settings.reopen_min_s
        while not self._stop.is_set():
            try:
                port = self._open()
            except (serial.SerialException, OSError, ValueError) as err:
                self._status(False, _why(err))
                self._stop.wait(delay)
                delay = min(delay * 2, self.settings.reopen_max_s)
                continue
            with self._lock:
                self._port = port
            delay = self.settings.reopen_min_s
            self._status(True)
            try:
                self._read_until_lost(port)
            except (serial.SerialException, OSError) as err:
                self._close()
                self._status(False, _why(err))
                self._stop.wait(delay)
        self._close()

    def _read_until_lost(self, port: serial.SerialBase) -> None:
        while not self._stop.is_set():
            data = port.read(max(1, port.in_waiting))
            now = self.clock()
            items = self.framer.feed(data, now) if data else self.framer.expire(now)
            for item in items:
                if isinstance(item, Frame):
                    self.on_event(ScanRead(item.text, item.t))
                else:
                    self.on_event(item)


def _why(err: BaseException) -> str:
    text = str(err).strip() or type(err).__name__
    return text.splitlines()[0][:120]
