"""Keyboard-wedge scanners: tell a scanned line from a hand-keyed one by its key timing.

A USB scanner in keyboard mode "types" a whole code within a few ms per character and ends it
with Enter; a person types at 80-400 ms per key. Terminals, ssh and tmux do not hand keys over one
by one: they deliver them in bursts, several keys with the same timestamp. So a key's gap is not
the time since the key before but its share of its burst's wait: a burst of k keys that arrives
g seconds after the previous key gives each of its keys a gap of g / k (the keys really arrived
at that average rate). A human whose keys a frozen terminal delivers at once still shows as slow.

A line counts as `scanned` when all of these hold (`WedgeConfig`, defaults):

- it has at least `min_chars` (4) characters: shorter codes do not exist, and one or two keys
  typed quickly prove nothing;
- the 90th percentile (nearest rank) of the key gaps, the final Enter included, is at most
  `max_gap_p90_s` (30 ms): scanners send 2-8 ms per key, the fastest human key rolls are 30-60 ms
  and a typed line has mostly 80-400 ms gaps; the percentile forgives a USB hiccup or two;
- the whole line, first key to Enter, took at most `max_s_per_char` (50 ms) per character: bounds
  the hiccups the percentile forgives.

Otherwise it is `keyed`. A keyed line is still a line: the workflow accepts hand-keyed codes and
may treat them with more care (they are marked). A line that was edited with Backspace is always
`keyed`. Pasted text looks like a scan; a TUI should deliver paste events separately.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

Source = Literal["scanned", "keyed"]

ENTER_KEYS = frozenset({"\r", "\n", "enter"})
BACKSPACE_KEYS = frozenset({"\b", "\x7f", "backspace"})


@dataclass(frozen=True)
class WedgeConfig:
    """Thresholds for `classify`; see the module docstring for why these values."""

    min_chars: int = 4
    max_gap_p90_s: float = 0.030
    max_s_per_char: float = 0.050
    burst_epsilon_s: float = 0.0005
    """Keys closer than this count as one burst (delivered together)."""


DEFAULT_WEDGE_CONFIG = WedgeConfig()


def key_gaps(timestamps: Sequence[float], burst_epsilon_s: float = 0.0005) -> list[float]:
    """Per-key gaps (one per key after the first), each burst's wait shared among its keys."""
    gaps: list[float] = []
    i = 1
    n = len(timestamps)
    while i < n:
        wait = max(0.0, timestamps[i] - timestamps[i - 1])
        j = i + 1
        while j < n and abs(timestamps[j] - timestamps[j - 1]) <= burst_epsilon_s:
            j += 1
        size = j - i
        gaps.extend([wait / size] * size)
        i = j
    return gaps


def _p90(values: Sequence[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]


def classify(timestamps: Sequence[float], config: WedgeConfig = DEFAULT_WEDGE_CONFIG) -> Source:
    """Whether one line was `scanned` or `keyed`, from the times of its keys and final Enter."""
    chars = len(timestamps) - 1
    if chars < max(1, config.min_chars):
        return "keyed"
    gaps = key_gaps(timestamps, config.burst_epsilon_s)
    total = timestamps[-1] - timestamps[0]
    if not math.isfinite(total) or not all(math.isfinite(g) for g in gaps):
        return "keyed"
    if _p90(gaps) > config.max_gap_p90_s:
        return "keyed"
    if total > config.max_s_per_char * chars:
        return "keyed"
    return "scanned"


@dataclass(frozen=True)
class WedgeLine:
    """One completed line: its text, how it was entered, first key and Enter times."""

    text: str
    source: Source
    started_at: float
    ended_at: float


class WedgeBuffer:
    """Collects keys from a keyboard-wedge scanner (or a person) into lines.

    `feed` one key at a time with its monotonic time: a one-character string, `"enter"`/`"\\r"`/
    `"\\n"` to end the line, or `"backspace"`/`"\\b"`/`"\\x7f"` to delete the last character (the
    line is then `keyed`). Other key names (`"tab"`, `"shift"`, ...) are ignored. An Enter on an
    empty line gives nothing.
    """

    def __init__(self, config: WedgeConfig = DEFAULT_WEDGE_CONFIG) -> None:
        self.config = config
        self._chars: list[str] = []
        self._times: list[float] = []
        self._edited = False

    @property
    def pending(self) -> str:
        """The characters of the line so far."""
        return "".join(self._chars)

    def clear(self) -> None:
        """Drop the line so far."""
        self._chars.clear()
        self._times.clear()
        self._edited = False

    def feed(self, char: str, t: float) -> WedgeLine | None:
        """Add one key at time `t`; on Enter, the completed line (None while it goes on)."""
        if char in ENTER_KEYS:
            if not self._chars:
                self.clear()
                return None
            times = [*self._times, t]
            source: Source = "keyed" if self._edited else classify(times, self.config)
            line = WedgeLine(
                text="".join(self._chars), source=source, started_at=times[0], ended_at=t
            )
            self.clear()
            return line
        if char in BACKSPACE_KEYS:
            if self._chars:
                self._chars.pop()
                self._times.pop()
            self._edited = True
            return None
        if len(char) == 1:
            self._chars.append(char)
            self._times.append(t)
        return None
