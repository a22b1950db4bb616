"""An MT-SICS level 0 scale on a serial line (a port path, a pty or a pyserial URL).

`ScaleClient.ask` sends one command and returns the parsed reply; `read_now` and `read_stable`
return a weight or raise `ScaleError`, whose message says what is wrong and what to do. A port
that fails is closed, and the next call opens it again (so a replugged scale comes back).
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from types import TracebackType

import serial

from picker_app.domain.weighing import Reading, ScaleFault, ScaleReply, Unreadable, parse_reply
from picker_app.errors import PickerError

# What a failing port raises: pyserial's own error, the OS's, and on POSIX termios.error (not an
# OSError), e.g. from tcflush on a pty whose other end just closed.
PORT_ERRORS: tuple[type[Exception], ...] = (serial.SerialException, OSError)
try:
    import termios
except ImportError:  # Windows
    pass
else:
    PORT_ERRORS = (*PORT_ERRORS, termios.error)

# Opening may also raise ValueError: a bad URL or port setting.
_OPEN_ERRORS: tuple[type[Exception], ...] = (*PORT_ERRORS, ValueError)

# No reply is longer than this: more bytes without a line end are noise.
MAX_REPLY_BYTES = 256

# Faults that say the scale does not speak MT-SICS as asked: waiting will not help.
_HOPELESS = frozenset({"syntax", "logical"})


class ScaleError(PickerError):
    """The scale cannot be read: `str(err)` says why and what to do."""


class ScaleClient:
    """Talks to one scale; safe to share between threads (one command at a time)."""

    READ_TIMEOUT_S = 0.02  # one read of the port; replies are awaited up to `reply_timeout_s`

    def __init__(
        self,
        port: str,
        baudrate: int = 9600,
        *,
        reply_timeout_s: float = 1.0,
        poll_s: float = 0.1,
        retries: int = 2,
    ) -> None:
        self.port = port
        self.baudrate = baudrate
        self.reply_timeout_s = reply_timeout_s
        self.poll_s = poll_s  # between SI polls of `read_stable`
        self.retries = retries  # garbled replies asked again by `read_now`
        self._serial: serial.SerialBase | None = None
        self._lock = threading.RLock()

    # --- the port ------------------------------------------------------------------------------

    @property
    def is_open(self) -> bool:
        return self._serial is not None

    def open(self) -> None:
        """Open the port (done by the first command if not before)."""
        with self._lock:
            if self._serial is None:
                try:
                    self._serial = serial.serial_for_url(
                        self.port, baudrate=self.baudrate, timeout=self.READ_TIMEOUT_S
                    )
                except _OPEN_ERRORS as err:
                    raise ScaleError(
                        f"Cannot open the scale on {self.port}{_why(err)}: check that it is "
                        "plugged in and that this is its port."
                    ) from None

    def close(self) -> None:
        """Close the port (the next command opens it again)."""
        with self._lock:
            port, self._serial = self._serial, None
            if port is not None:
                with contextlib.suppress(*PORT_ERRORS):
                    port.close()

    def __enter__(self) -> ScaleClient:
        self.open()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # --- commands ------------------------------------------------------------------------------

    def ask(self, command: str) -> ScaleReply:
        """Send one MT-SICS command and return its reply, parsed (a fault or noise is a value);
        ScaleError if the scale cannot be reached or does not answer in time."""
        with self._lock:
            self.open()
            port = self._serial
            assert port is not None
            try:
                port.reset_input_buffer()  # a late reply to an earlier command
                port.write(command.encode("ascii") + b"\r\n")
                line = self._read_line(port)
            except PORT_ERRORS as err:
                self.close()
                raise ScaleError(
                    f"The scale on {self.port} was disconnected{_why(err)}: check its cable, "
                    "then try again."
                ) from None
            if line is None:
                raise ScaleError(
                    f"The scale on {self.port} did not answer within {self.reply_timeout_s:g} s: "
                    f"check that it is on and set to MT-SICS at {self.baudrate} baud."
                )
            return parse_reply(line)

    def read_now(self) -> Reading:
        """The weight on the scale now (`SI`), stable or not."""
        tries = 1 + self.retries
        while True:
            reply = self.ask("SI")
            if isinstance(reply, Reading):
                return reply
            tries -= 1
            noise = isinstance(reply, Unreadable) or reply.kind == "transmission"
            if not noise or tries <= 0:  # only noise on the line is worth asking again
                raise ScaleError(self._explain(reply))

    def read_stable(self, timeout: float = 3.0) -> Reading:
        """The stable weight on the scale: polls `SI` until the scale calls it stable, for up
        to `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            last = self.ask("SI")
            if isinstance(last, Reading) and last.stable:
                return last
            if isinstance(last, ScaleFault) and last.kind in _HOPELESS:
                raise ScaleError(self._explain(last))
            left = deadline - time.monotonic()
            if left <= 0:
                break
            time.sleep(min(self.poll_s, left))
        if isinstance(last, Reading):
            raise ScaleError(
                f"The weight did not settle within {timeout:g} s: keep the bag still and take "
                "your hands off the scale, then try again."
            )
        raise ScaleError(self._explain(last))

    def _explain(self, reply: ScaleFault | Unreadable) -> str:
        return f"{reply.message[:-1]} (scale on {self.port})."

    def _read_line(self, port: serial.SerialBase) -> bytes | None:
        """One line from the port, without its line end; None if none came in time."""
        deadline = time.monotonic() + self.reply_timeout_s
        buf = b""
        while True:
            data = port.read(max(1, port.in_waiting))
            if data:
                buf += data
                end = buf.find(b"\n")
                if end >= 0:
                    line = buf[:end].rstrip(b"\r")
                    if line.strip():
                        return line
                    buf = buf[end + 1 :]  # an empty line: wait for the reply
                    continue
                if len(buf) > MAX_REPLY_BYTES:
                    return buf  # noise; parse_reply says so
            if time.monotonic() >= deadline:
                return buf if buf.strip() else None  # half a line is noise too


def _why(err: BaseException) -> str:
    """A few words on what the system said, e.g. " (No such file or directory)"."""
    code = err.errno if isinstance(err, OSError) else (err.args or [None])[0]  # termios.error
    if isinstance(code, int):
        return f" ({os.strerror(code)})"  # pyserial's own text repeats the port twice
    text = str(err).strip()
    return f" ({text.splitlines()[0][:80]})" if text and "readiness" not in text else ""
