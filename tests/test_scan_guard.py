"""The double-scan guard: a scanner's double read is dropped, a second trigger pull counts."""

from __future__ import annotations

import pytest

from picker_app.domain.scan import DoubleScanGuard


@pytest.mark.parametrize(
    ("second_at", "counted"),
    [(0.0, False), (0.1, False), (0.299, False), (0.301, True), (5.0, True)],
)
def test_identical_code_within_window_is_dropped(second_at, counted):
    guard = DoubleScanGuard()
    assert guard.accept("4006381333931", 100.0)
    assert guard.accept("4006381333931", 100.0 + second_at) is counted


def test_window_counts_from_last_accepted_not_last_seen():
    guard = DoubleScanGuard(window_s=0.3)
    times = [0.0, 0.2, 0.31, 0.5, 0.62]
    assert [guard.accept("TT000042", t) for t in times] == [True, False, True, False, True]


def test_counting_mode_keeps_every_scan():
    guard = DoubleScanGuard(counting=True)
    assert all(guard.accept("4006381333931", t) for t in (0.0, 0.001, 0.05, 0.299, 0.3))


def test_counting_can_be_switched_on_and_off():
    guard = DoubleScanGuard()
    assert guard.accept("A", 0.0)
    guard.counting = True
    assert guard.accept("A", 0.1)
    guard.counting = False
    assert not guard.accept("A", 0.2)  # within 0.3 s of the accept at 0.1


def test_different_code_between_resets_nothing():
    guard = DoubleScanGuard()
    # A, B, A within one trigger pull (two barcodes on one pack): the second A is a double read.
    assert [guard.accept(c, t) for c, t in [("A", 0.0), ("B", 0.05), ("A", 0.1)]] == [
        True,
        True,
        False,
    ]
    # B is judged on its own last accept, A's scans do not matter to it.
    assert guard.accept("B", 0.30) is False
    assert guard.accept("B", 0.36) is True
    assert guard.accept("A", 0.31) is True


def test_surrounding_whitespace_is_the_same_code():
    guard = DoubleScanGuard()
    assert guard.accept("A07-2\r\n", 0.0)
    assert not guard.accept("A07-2", 0.1)


def test_many_codes_are_forgotten_after_the_window():
    guard = DoubleScanGuard()
    for i in range(500):
        assert guard.accept(f"OR{i:06d}", i * 0.01)
    assert guard.accept("OR000000", 10.0)
    assert len(guard._last) < 100


def test_reset_and_bad_window():
    guard = DoubleScanGuard()
    assert guard.accept("A", 0.0)
    guard.reset()
    assert guard.accept("A", 0.1)
    with pytest.raises(ValueError):
        DoubleScanGuard(window_s=-1)
