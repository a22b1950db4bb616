"""Keyboard-wedge classifier: scanned or keyed, from key timing alone."""

from __future__ import annotations

import random

import pytest

from picker_app.scanner.wedge import WedgeBuffer, WedgeConfig, WedgeLine, classify, key_gaps


def steady(n_chars: int, gap_s: float, start: float = 10.0) -> list[float]:
    """Timestamps of `n_chars` keys and the Enter, `gap_s` apart."""
    return [start + i * gap_s for i in range(n_chars + 1)]


def jittered(n_chars: int, low: float, high: float, seed: int) -> list[float]:
    rng = random.Random(seed)
    t = 50.0
    out = [t]
    for _ in range(n_chars):
        t += rng.uniform(low, high)
        out.append(t)
    return out


def bursts(sizes: list[int], every_s: float, start: float = 3.0) -> list[float]:
    """Keys delivered in bursts (equal timestamps), one burst every `every_s` (tmux, ssh)."""
    return [start + i * every_s for i, size in enumerate(sizes) for _ in range(size)]


# --- synthetic timings ---------------------------------------------------------------------------


@pytest.mark.parametrize("gap_ms", [2, 4, 5, 8])
@pytest.mark.parametrize("n", [4, 8, 13, 34])
def test_scanner_speeds_are_scanned(gap_ms, n):
    assert classify(steady(n, gap_ms / 1000)) == "scanned"


@pytest.mark.parametrize("seed", range(20))
def test_jittered_scanner_is_scanned(seed):
    assert classify(jittered(13, 0.002, 0.008, seed)) == "scanned"


@pytest.mark.parametrize("gap_ms", [80, 120, 250, 400])
@pytest.mark.parametrize("n", [4, 8, 13])
def test_human_speeds_are_keyed(gap_ms, n):
    assert classify(steady(n, gap_ms / 1000)) == "keyed"


@pytest.mark.parametrize("seed", range(20))
def test_jittered_human_is_keyed(seed):
    assert classify(jittered(8, 0.080, 0.400, seed)) == "keyed"


@pytest.mark.parametrize(
    "times",
    [
        bursts([14], 0.0),  # one burst: 13 chars and Enter with one timestamp
        bursts([5, 5, 4], 0.020),  # three deliveries 20 ms apart
        bursts([3, 4, 4, 3], 0.025),
        bursts([1, 7, 6], 0.040),  # a 40 ms flush interval, shared by 7 keys: ~6 ms per key
        bursts([2, 2, 2, 2, 2, 2, 2], 0.010),
    ],
)
def test_scanner_in_terminal_bursts_is_scanned(times):
    assert classify(times) == "scanned"


@pytest.mark.parametrize(
    "times",
    [
        # fast typist: key rolls of 2-3 keys within a burst, 300-600 ms pauses between rolls
        bursts([2, 3, 2, 2], 0.40),
        [0.0, 0.03, 0.06, 0.50, 0.53, 0.56, 1.10, 1.13, 1.40],
        [0.0, 0.0, 0.0, 0.45, 0.45, 0.9],  # "A07" "-2" Enter, each in one delivery
        # a frozen terminal hands over 5 typed keys at once after a second
        [0.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.3],
    ],
)
def test_human_in_bursts_with_pauses_is_keyed(times):
    assert classify(times) == "keyed"


def test_short_lines_are_keyed():
    assert classify(steady(3, 0.002)) == "keyed"  # 3 characters: below min_chars
    assert classify([1.0]) == "keyed"  # Enter only
    assert classify([]) == "keyed"


def test_one_hiccup_is_forgiven_but_not_a_slow_line():
    times = steady(13, 0.005)
    hiccup = times[:7] + [t + 0.080 for t in times[7:]]  # one USB stall of 80 ms
    assert classify(hiccup) == "scanned"
    stalls = times[:4] + [t + 0.4 for t in times[4:9]] + [t + 0.8 for t in times[9:]]
    assert classify(stalls) == "keyed"  # two 400 ms stalls: 0.86 s > 50 ms x 13


def test_thresholds_are_configurable():
    times = steady(8, 0.040)
    assert classify(times) == "keyed"
    assert classify(times, WedgeConfig(max_gap_p90_s=0.045)) == "scanned"
    assert classify(steady(3, 0.002), WedgeConfig(min_chars=2)) == "scanned"


def test_key_gaps_share_a_bursts_wait():
    assert key_gaps([0.0, 0.0, 0.0, 0.03, 0.03, 0.03]) == pytest.approx(
        [0.0, 0.0, 0.01, 0.01, 0.01]
    )
    assert key_gaps([0.0, 0.01, 0.005]) == pytest.approx([0.01, 0.0])  # clock jitter backwards


# --- recorded timings (monotonic seconds, as the TUI logged them) --------------------------------

# Honeywell-style USB scanner, EAN-13 "8901063010217" + Enter, straight xterm.
RECORDED_SCANNER_XTERM = [
    812.004113, 812.008020, 812.011871, 812.015932, 812.019840, 812.023796, 812.027701,
    812.031659, 812.035580, 812.039478, 812.043447, 812.047359, 812.051304, 812.055219,
]  # fmt: skip
# The same scanner through ssh + tmux: three deliveries.
RECORDED_SCANNER_TMUX = [
    1204.513002, 1204.513002, 1204.513002, 1204.513002, 1204.513002, 1204.531877,
    1204.531877, 1204.531877, 1204.531877, 1204.531877, 1204.549730, 1204.549730,
    1204.549730, 1204.549730,
]  # fmt: skip
# GS1 DataMatrix, 34 characters, 2D imager at ~2.5 ms per character.
RECORDED_IMAGER_GS1 = [37.10000 + i * 0.0025 + (0.0004 if i % 3 == 0 else 0.0) for i in range(35)]
# A picker keying bin "A07-2" by hand.
RECORDED_HUMAN_BIN = [301.220, 301.512, 301.650, 301.981, 302.204, 302.730]
# A picker keying tote "TT000042": fast rolls on "TT" and "000", pauses elsewhere.
RECORDED_HUMAN_TOTE = [
    77.010, 77.041, 77.390, 77.428, 77.461, 77.802, 78.010, 78.266, 78.690,
]  # fmt: skip


@pytest.mark.parametrize(
    ("times", "expected"),
    [
        (RECORDED_SCANNER_XTERM, "scanned"),
        (RECORDED_SCANNER_TMUX, "scanned"),
        (RECORDED_IMAGER_GS1, "scanned"),
        (RECORDED_HUMAN_BIN, "keyed"),
        (RECORDED_HUMAN_TOTE, "keyed"),
    ],
)
def test_recorded_timings(times, expected):
    assert classify(times) == expected


# --- the buffer ----------------------------------------------------------------------------------


def feed_all(buf: WedgeBuffer, keys: str, times: list[float], enter: str = "enter"):
    lines = [buf.feed(k, t) for k, t in zip(keys, times, strict=False)]
    assert all(line is None for line in lines)
    return buf.feed(enter, times[len(keys)])


def test_buffer_scanned_line():
    buf = WedgeBuffer()
    line = feed_all(buf, "8901063010217", RECORDED_SCANNER_XTERM)
    assert line == WedgeLine(
        text="8901063010217",
        source="scanned",
        started_at=RECORDED_SCANNER_XTERM[0],
        ended_at=RECORDED_SCANNER_XTERM[-1],
    )
    assert buf.pending == ""


@pytest.mark.parametrize("enter", ["enter", "\r", "\n"])
def test_buffer_keyed_line_is_still_a_line(enter):
    buf = WedgeBuffer()
    line = feed_all(buf, "A07-2", RECORDED_HUMAN_BIN, enter=enter)
    assert line is not None
    assert (line.text, line.source) == ("A07-2", "keyed")
    assert (line.started_at, line.ended_at) == (301.220, 302.730)


def test_buffer_lines_in_a_row_and_empty_enter():
    buf = WedgeBuffer()
    assert buf.feed("enter", 0.0) is None
    first = feed_all(buf, "TT000042", steady(8, 0.004, start=1.0))
    second = feed_all(buf, "A07-2", steady(5, 0.2, start=2.0))
    assert first is not None and second is not None
    assert (first.text, first.source) == ("TT000042", "scanned")
    assert (second.text, second.source) == ("A07-2", "keyed")


def test_buffer_backspace_makes_a_keyed_line():
    buf = WedgeBuffer()
    for i, ch in enumerate("A08"):
        buf.feed(ch, i * 0.003)
    buf.feed("backspace", 0.010)
    assert buf.pending == "A0"
    for i, ch in enumerate("7-2"):
        buf.feed(ch, 0.012 + i * 0.003)
    line = buf.feed("\r", 0.025)
    assert line is not None
    assert (line.text, line.source) == ("A07-2", "keyed")


def test_buffer_ignores_key_names_and_keeps_gs():
    buf = WedgeBuffer()
    keys = ["]", "C", "1", "shift", "0", "1", "\x1d", "1", "0"]
    for i, key in enumerate(keys):
        buf.feed(key, i * 0.003)
    line = buf.feed("enter", 0.03)
    assert line is not None
    assert line.text == "]C101\x1d10"
    buf.feed("x", 1.0)
    buf.clear()
    assert buf.pending == ""
