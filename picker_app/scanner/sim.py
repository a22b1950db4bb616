"""A scanner simulator: barcodes as a serial scanner would send them, with optional noise,
frames split across writes and delays, so the app can be shown and tested without hardware.

`plan_writes` is the pure part (what to write, and how long to wait before each write);
`run_simulator` writes it to a new pty or to a given port.
"""

from __future__ import annotations

import os
import random
import select
import time
import tty
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

TERMINATORS = {"CR": b"\r", "LF": b"\n", "CRLF": b"\r\n", "TAB": b"\t"}


@dataclass(frozen=True)
class SimSettings:
    """How the simulated scanner misbehaves."""

    terminator: str = "CRLF"
    prefix: bytes = b""
    noise: float = 0.0  # chance of a burst of line noise before a barcode
    split: float = 0.0  # chance a barcode is written in 2-3 pieces
    delay_s: float = 0.0  # pause between barcodes
    seed: int = 0


def plan_writes(codes: Iterable[str], settings: SimSettings) -> Iterator[tuple[float, bytes]]:
    """(seconds to wait, bytes to write) for each write, in order."""
    rng = random.Random(settings.seed)
    end = TERMINATORS[settings.terminator]
    for code in codes:
        if settings.noise and rng.random() < settings.noise:
            junk = bytes(
                rng.choice([0x00, 0xFF, 0xFE, 0x80, 0x1B]) for _ in range(rng.randint(1, 6))
            )
            yield 0.0, junk + end
        frame = settings.prefix + code.encode("utf-8") + end
        if settings.split and len(frame) > 2 and rng.random() < settings.split:
            cuts = sorted(rng.sample(range(1, len(frame)), min(2, len(frame) - 1)))
            pieces = [frame[a:b] for a, b in zip([0, *cuts], [*cuts, len(frame)], strict=True)]
            yield settings.delay_s, pieces[0]
            for piece in pieces[1:]:
                yield rng.uniform(0.002, 0.03), piece  # well inside the framer's silence
        else:
            yield settings.delay_s, frame


def open_pty(link: str | None = None) -> tuple[int, str]:
    """A new pty: (master fd, path to give the app; `link` if asked for, made a symlink)."""
    master, slave = os.openpty()
    tty.setraw(slave)  # no echo, no CR->LF, whoever opens it
    path = os.ttyname(slave)
    os.close(slave)  # so that `wait_for_reader` sees when the app opens it
    if link:
        if os.path.islink(link):
            os.unlink(link)
        os.symlink(path, link)
        path = link
    return master, path


def wait_for_reader(master: int, timeout_s: float | None = None) -> bool:
    """Wait until someone opens the pty (the master stops reporting a hang-up): bytes sent
    before that would be lost, as pyserial empties the input when it opens a port."""
    poller = select.poll()
    poller.register(master, select.POLLHUP)
    deadline = None if timeout_s is None else time.monotonic() + timeout_s
    while deadline is None or time.monotonic() < deadline:
        if not poller.poll(50):
            return True
        time.sleep(0.05)
    return False


def run_simulator(
    codes: Iterable[str],
    settings: SimSettings,
    write: Callable[[bytes], object],
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """Send every barcode through `write` (as it comes: `codes` may be a person typing);
    returns how many barcodes were sent."""
    taken: list[str] = []

    def take() -> Iterator[str]:
        for code in codes:
            taken.append(code)
            yield code

    for wait, data in plan_writes(take(), settings):
        if wait:
            sleep(wait)
        write(data)
    return len(taken)
