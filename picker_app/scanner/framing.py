"""Turning the bytes a serial scanner sends into frames (one barcode each), and noise into
counted misreads. Plain logic: the caller gives it bytes and the monotonic time they arrived.

Rules:
- A frame ends at the terminator. With `CR`, `LF` or `CRLF` configured, either CR or LF ends a
  frame and an LF straight after a CR is swallowed, so CR+LF never gives two scans (and a scanner
  set to the other line ending still works). With `TAB`, only TAB ends a frame.
- An empty frame (a lone line ending) is ignored: it is not a barcode and not a misread.
- A fragment with no terminator after `silence_s` without bytes is dropped as a misread, never
  merged with the next frame. The reader calls `expire` whenever a read returns nothing: only
  then is the line known to be quiet (bytes that waited in the kernel while the reading thread
  was busy are one frame, however late they are read).
- NUL or 0xFF bytes, bytes that are not UTF-8, control characters other than GS (the GS1
  separator), a missing prefix, or a frame longer than `max_len` bytes: the frame is a misread.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Terminator = Literal["CR", "LF", "CRLF", "TAB"]

_GS = 0x1D


@dataclass(frozen=True)
class FramingConfig:
    """How a scanner frames its barcodes (set on the scanner itself, mirrored here)."""

    terminator: Terminator = "CR"
    prefix: bytes = b""
    max_len: int = 256
    silence_s: float = 0.1


@dataclass(frozen=True)
class Frame:
    """One barcode as the scanner sent it, without prefix and terminator."""

    text: str
    t: float  # monotonic time its last byte arrived


@dataclass(frozen=True)
class Misread:
    """Bytes that were not a barcode, and why."""

    reason: str
    data: bytes
    t: float


@dataclass
class Framer:
    """Assembles frames from bytes; keeps its own buffer across reads."""

    config: FramingConfig = field(default_factory=FramingConfig)
    misreads: int = 0
    _buf: bytearray = field(default_factory=bytearray)
    _last_t: float | None = None
    _after_cr: bool = False
    _overflow: bool = False

    def feed(self, data: bytes, t: float) -> list[Frame | Misread]:
        """Bytes read at monotonic time `t`: the frames and misreads they complete."""
        out: list[Frame | Misread] = []
        ends = b"\t" if self.config.terminator == "TAB" else b"\r\n"
        for byte in data:
            if self._after_cr and byte == 0x0A and ends != b"\t":
                self._after_cr = False
                continue
            self._after_cr = byte == 0x0D
            if byte in ends:
                item = self._close(t)
                if item is not None:
                    out.append(item)
                continue
            if len(self._buf) >= self.config.max_len + len(self.config.prefix):
                self._overflow = True
            else:
                self._buf.append(byte)
        if data:
            self._last_t = t
        return out

    def expire(self, t: float) -> list[Frame | Misread]:
        """The line has been quiet until `t`: drop a fragment that has waited longer than the
        silence without its terminator."""
        if self._buf and self._last_t is not None and t - self._last_t > self.config.silence_s:
            data = bytes(self._buf)
            self._reset()
            return [self._misread("no terminator (a partial or interrupted read)", data, t)]
        return []

    def _reset(self) -> None:
        self._buf.clear()
        self._overflow = False

    def _misread(self, reason: str, data: bytes, t: float) -> Misread:
        self.misreads += 1
        return Misread(reason, data, t)

    def _close(self, t: float) -> Frame | Misread | None:
        data = bytes(self._buf)
        overflow = self._overflow
        self._reset()
        if overflow:
            return self._misread(f"longer than {self.config.max_len} bytes", data, t)
        if not data:
            return None
        prefix = self.config.prefix
        if prefix:
            if not data.startswith(prefix):
                return self._misread("missing the scanner's prefix", data, t)
            data = data[len(prefix) :]
            if not data:
                return None
        if b"\x00" in data or b"\xff" in data:
            return self._misread("line noise (NUL or 0xFF bytes)", data, t)
        if any(b < 0x20 and b != _GS for b in data) or 0x7F in data:
            return self._misread("control characters in the frame", data, t)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            return self._misread("not UTF-8 text", data, t)
        if not text.strip():
            return None
        return Frame(text, t)
