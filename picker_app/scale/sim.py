"""A packing scale simulator: a pty that answers MT-SICS `S`, `SI` and `Z` like a scale, with a
weight that a person (`picker-app scale-sim`) or a test sets, so the packing station can be
shown and tested without hardware.

`ScaleSim` serves the pty from a thread; `console` applies one line typed at `scale-sim`.
"""

from __future__ import annotations

import contextlib
import errno
import os
import random
import re
import select
import threading
import time
from types import TracebackType

from picker_app.domain.weighing import UNIT_GRAMS, format_grams, format_reply
from picker_app.scanner.sim import open_pty

CONSOLE_HELP = (
    "Type +512 to put 512 g on the scale, -200 to take 200 g off, =0 to empty it (or 1.5kg), "
    "u to make it wobble, g to garble a reply, b to make it busy, q to quit."
)

_AMOUNT = re.compile(r"([-+=])\s*([0-9]+(?:\.[0-9]*)?|\.[0-9]+)\s*(g|kg)?", re.IGNORECASE)
_COUNTED = re.compile(r"([ugb])\s*([0-9]*)", re.IGNORECASE)


class ScaleSim:
    """A scale on a new pty (`path`), served by a daemon thread between `start` and `stop`."""

    def __init__(
        self,
        grams: float = 0.0,
        unit: str = "kg",
        link: str | None = None,
        capacity_g: float = 15000.0,
        underload_g: float = -500.0,
        seed: int = 0,
    ) -> None:
        if unit not in UNIT_GRAMS:
            raise ValueError(f"unknown unit {unit!r}")
        self.unit = unit
        self.link = link
        self.capacity_g = capacity_g  # above it: "S +"
        self.underload_g = underload_g  # below it: "S -"
        self.path = ""
        self.replies = 0  # how many commands were answered
        self._grams = grams
        self._unstable = 0  # replies to come that are still moving
        self._garbled = 0  # replies to come that are line noise
        self._busy = 0  # replies to come that are "S I"
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._master: int | None = None

    # --- what a test or the console changes ------------------------------------------------------

    @property
    def grams(self) -> float:
        return self._grams

    def set_grams(self, grams: float) -> None:
        """Put exactly `grams` on the scale (it reads stable at once)."""
        with self._lock:
            self._grams = grams

    def add(self, grams: float) -> None:
        """Put `grams` more on the scale (negative: take them off)."""
        with self._lock:
            self._grams += grams

    def unstable(self, n: int = 10) -> None:
        """The next `n` replies to `SI` are moving weights (`S D`); `S` waits them out."""
        with self._lock:
            self._unstable = n

    def garble(self, n: int = 1) -> None:
        """The next `n` replies are line noise."""
        with self._lock:
            self._garbled = n

    def busy(self, n: int = 1) -> None:
        """The next `n` replies are `S I` (the scale cannot weigh now)."""
        with self._lock:
            self._busy = n

    # --- the pty -------------------------------------------------------------------------------

    def start(self) -> ScaleSim:
        """Make the pty and start answering on it (returns at once; `path` is set)."""
        master, path = open_pty()
        if self.link:
            try:
                if os.path.islink(self.link):
                    os.unlink(self.link)
                os.symlink(path, self.link)
            except OSError:
                os.close(master)
                raise
            path = self.link
        self._master, self.path = master, path
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="scale-sim", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop answering and close the pty: to a client, the scale was unplugged."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(2.0)
            self._thread = None
        if self._master is not None:
            with contextlib.suppress(OSError):
                os.close(self._master)
            self._master = None
        if self.link and os.path.islink(self.link):
            os.unlink(self.link)

    def __enter__(self) -> ScaleSim:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def answer(self, command: str) -> bytes:
        """The reply line (with CR LF) to one command."""
        wait = 0.0
        with self._lock:
            if self._garbled:
                self._garbled -= 1
                noise = bytes(self._rng.choice(b"\x00\xff\x80\x1bS 0.5k") for _ in range(8))
                return b"\xfe" + noise + b"\r\n"
            if command in ("S", "SI") and self._busy:
                self._busy -= 1
                text = "S I"
            elif command == "Z":
                self._grams = 0.0
                text = "Z A"
            elif command in ("S", "SI"):
                grams = self._grams
                stable = True
                if self._unstable and command == "SI":
                    self._unstable -= 1
                    stable = False
                    grams += self._rng.uniform(-40, 40)
                elif self._unstable:  # S: a scale answers once the weight settles
                    wait, self._unstable = 0.02 * self._unstable, 0
                if grams > self.capacity_g:
                    text = "S +"
                elif grams < self.underload_g:
                    text = "S -"
                else:
                    text = format_reply(grams, stable, self.unit)
            else:
                text = "ES"
            self.replies += 1
        if wait:
            self._stop.wait(min(wait, 1.0))
        return text.encode("ascii") + b"\r\n"

    def _run(self) -> None:
        master = self._master
        assert master is not None
        poller = select.poll()
        poller.register(master, select.POLLIN)
        buf = b""
        while not self._stop.is_set():
            events = poller.poll(50)
            if not events:
                continue
            if not any(flag & select.POLLIN for _, flag in events):
                time.sleep(0.02)  # a hang-up: nobody has the pty open yet (or any more)
                continue
            try:
                data = os.read(master, 1024)
            except OSError as err:
                if err.errno != errno.EIO:
                    raise
                buf = b""
                time.sleep(0.02)
                continue
            buf += data
            *lines, buf = re.split(rb"\r\n|\r|\n", buf)
            for line in lines:
                command = line.strip().decode("ascii", "replace")
                if command:
                    with contextlib.suppress(OSError):  # the client went away meanwhile
                        os.write(master, self.answer(command))
            if len(buf) > 256:
                buf = b""


def console(sim: ScaleSim, line: str) -> str | None:
    """Apply one line typed at `scale-sim` to `sim`: what to print, or None to quit. A line it
    does not understand raises ValueError (with what to type instead)."""
    text = line.strip()
    if text.lower() in ("q", "quit", "exit"):
        return None
    amount = _AMOUNT.fullmatch(text)
    counted = _COUNTED.fullmatch(text)
    if amount:
        op, number, unit = amount.groups()
        grams = float(number) * (1000 if (unit or "g").lower() == "kg" else 1)
        if op == "=":
            sim.set_grams(grams)
        else:
            sim.add(grams if op == "+" else -grams)
    elif counted:
        what, count = counted.group(1).lower(), int(counted.group(2) or 0)
        if what == "u":
            sim.unstable(count or 10)
            return f"wobbling for {count or 10} readings at {format_grams(sim.grams)}"
        if what == "g":
            sim.garble(count or 1)
            return f"the next {count or 1} replies are noise"
        sim.busy(count or 1)
        return f"the next {count or 1} replies are 'S I' (busy)"
    elif text:
        raise ValueError(f"{text!r} is not a weight or a command. {CONSOLE_HELP}")
    return f"{format_grams(sim.grams)} on the scale"
