"""The serial scanner reader on a real pty pair opened by pyserial: scans, split frames, noise,
feedback, unplug and replug at the same path."""

from __future__ import annotations

import os
import queue
import time
from pathlib import Path

import pytest

from picker_app.scanner.framing import Misread
from picker_app.scanner.serial_reader import (
    ScannerStatus,
    ScanRead,
    SerialScanner,
    SerialSettings,
)


class Pty:
    """A pseudo-terminal pair: the test writes to the master as a scanner would."""

    def __init__(self) -> None:
        self.master, self.slave = os.openpty()
        self.path = os.ttyname(self.slave)

    def write(self, data: bytes) -> None:
        os.write(self.master, data)

    def read(self, n: int = 64, timeout: float = 2.0) -> bytes:
        deadline = time.monotonic() + timeout
        os.set_blocking(self.master, False)
        out = b""
        while time.monotonic() < deadline:
            try:
                out += os.read(self.master, n)
                return out
            except BlockingIOError:
                time.sleep(0.01)
        return out

    def unplug(self) -> None:
        os.close(self.master)
        os.close(self.slave)


def next_event(events: queue.Queue, kind: type, timeout: float = 3.0):
    """The next event of `kind`, skipping others; fail after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            pytest.fail(f"no {kind.__name__} within {timeout} s")
        try:
            event = events.get(timeout=left)
        except queue.Empty:
            continue
        if isinstance(event, kind):
            return event


@pytest.fixture
def scanner_on(tmp_path: Path):
    started: list[SerialScanner] = []

    def start(path: str, **settings) -> tuple[SerialScanner, queue.Queue]:
        events: queue.Queue = queue.Queue()
        scanner = SerialScanner(SerialSettings(port=path, **settings), events.put)
        scanner.start()
        started.append(scanner)
        return scanner, events

    yield start
    for scanner in started:
        scanner.stop()


def test_scans_arrive_from_a_pty(scanner_on):
    pty = Pty()
    _, events = scanner_on(pty.path)
    assert next_event(events, ScannerStatus).connected
    pty.write(b"8901063010000\r\n]C10109506000134352\x1d10AB12\r\n")
    assert next_event(events, ScanRead).text == "8901063010000"
    assert next_event(events, ScanRead).text == "]C10109506000134352\x1d10AB12"
    pty.unplug()


def test_a_frame_written_in_pieces_is_one_scan(scanner_on):
    pty = Pty()
    _, events = scanner_on(pty.path)
    next_event(events, ScannerStatus)
    for piece in (b"890", b"1063", b"010000\r", b"\n"):
        pty.write(piece)
        time.sleep(0.01)
    assert next_event(events, ScanRead).text == "8901063010000"
    pty.write(b"A07-2\r\n")
    assert next_event(events, ScanRead).text == "A07-2"
    pty.unplug()


def test_noise_and_stale_fragments_are_misreads_not_scans(scanner_on):
    pty = Pty()
    scanner, events = scanner_on(pty.path)
    next_event(events, ScannerStatus)
    pty.write(b"\x00\xff\xfe\r\n")
    assert "NUL or 0xFF" in next_event(events, Misread).reason
    pty.write(b"89010")  # the rest never comes
    assert "no terminator" in next_event(events, Misread).reason
    pty.write(b"8901063010000\r\n")
    assert next_event(events, ScanRead).text == "8901063010000"
    assert scanner.framer.misreads == 2
    pty.unplug()


def test_good_and_bad_read_feedback_reach_the_scanner(scanner_on):
    pty = Pty()
    scanner, events = scanner_on(pty.path, feedback="honeywell")
    next_event(events, ScannerStatus)
    scanner.bad_read()
    assert pty.read() == b"\x1b8,"
    scanner.good_read()
    assert pty.read() == b"\x1b7,"
    pty.unplug()


def test_feedback_is_off_by_default(scanner_on):
    pty = Pty()
    scanner, events = scanner_on(pty.path)
    next_event(events, ScannerStatus)
    scanner.bad_read()
    assert pty.read(timeout=0.2) == b""
    pty.unplug()


def test_unplug_and_replug_at_the_same_path(scanner_on, tmp_path):
    link = tmp_path / "ttyScanner"
    first = Pty()
    link.symlink_to(first.path)
    _, events = scanner_on(str(link), reopen_min_s=0.05, reopen_max_s=0.2)
    assert next_event(events, ScannerStatus).connected
    first.write(b"8901063010000\r")
    assert next_event(events, ScanRead).text == "8901063010000"

    first.unplug()
    gone = next_event(events, ScannerStatus)
    assert not gone.connected and "scanner disconnected" in gone.message

    second = Pty()
    link.unlink()
    link.symlink_to(second.path)
    back = next_event(events, ScannerStatus)
    assert back.connected and back.message == f"scanner connected: {link}"
    second.write(b"A07-2\r")
    assert next_event(events, ScanRead).text == "A07-2"
    second.unplug()


def test_a_port_that_is_not_there_yet_is_reported_and_retried(scanner_on, tmp_path):
    link = tmp_path / "ttyLater"
    _, events = scanner_on(str(link), reopen_min_s=0.05, reopen_max_s=0.1)
    status = next_event(events, ScannerStatus)
    assert not status.connected and str(link) in status.message
    pty = Pty()
    link.symlink_to(pty.path)
    assert next_event(events, ScannerStatus).connected
    pty.unplug()


def test_pyserial_urls_work_too(scanner_on):
    scanner, events = scanner_on("loop://")
    assert next_event(events, ScannerStatus).connected
    assert scanner._port is not None
    scanner._port.write(b"12345670\r")  # loop:// reads back what is written
    assert next_event(events, ScanRead).text == "12345670"


@pytest.mark.parametrize(
    ("terminator", "ending"),
    [("CR", b"\r"), ("LF", b"\n"), ("CRLF", b"\r\n"), ("TAB", b"\t"), ("CR", b"\r\n")],
)
def test_each_terminator_on_the_pty(scanner_on, terminator, ending):
    from picker_app.scanner.framing import FramingConfig

    pty = Pty()
    scanner, events = scanner_on(pty.path, framing=FramingConfig(terminator=terminator))
    next_event(events, ScannerStatus)
    pty.write(b"8901063010000" + ending + b"A07-2" + ending)
    assert next_event(events, ScanRead).text == "8901063010000"
    assert next_event(events, ScanRead).text == "A07-2"
    time.sleep(0.05)
    assert events.empty() and scanner.framer.misreads == 0  # CR+LF never gives two scans
    pty.unplug()


def test_a_frame_split_at_every_byte_position_on_the_pty(scanner_on):
    pty = Pty()
    _, events = scanner_on(pty.path)
    next_event(events, ScannerStatus)
    frame = b"]C10109506000134352\x1d10AB12\r\n"
    for cut in range(1, len(frame)):
        pty.write(frame[:cut])
        time.sleep(0.01)  # well inside the 100 ms silence
        pty.write(frame[cut:])
        assert next_event(events, ScanRead).text == frame[:-2].decode(), cut
    pty.unplug()


def test_over_long_frame_on_the_pty_is_a_misread(scanner_on):
    pty = Pty()
    scanner, events = scanner_on(pty.path)
    next_event(events, ScannerStatus)
    pty.write(b"7" * 400 + b"\r\n8901063010000\r\n")
    assert "longer than 256 bytes" in next_event(events, Misread).reason
    assert next_event(events, ScanRead).text == "8901063010000"
    pty.unplug()


def test_double_reads_from_the_pty_are_one_scan_in_picking(scanner_on):
    from picker_app.domain.scan import DoubleScanGuard

    pty = Pty()
    _, events = scanner_on(pty.path)
    next_event(events, ScannerStatus)
    picking, counting = DoubleScanGuard(window_s=0.3), DoubleScanGuard(counting=True)
    pty.write(b"8901063010000\r\n8901063010000\r\n")  # one trigger pull, read twice
    time.sleep(0.4)
    pty.write(b"8901063010000\r\n")  # the picker scans the next unit
    reads = [next_event(events, ScanRead) for _ in range(3)]
    assert [picking.accept(r.text, r.t) for r in reads] == [True, False, True]
    assert [counting.accept(r.text, r.t) for r in reads] == [True, True, True]
    pty.unplug()


def test_ten_thousand_frames_with_garbage_through_a_pty_give_only_the_valid_in_order(scanner_on):
    """The stream of tests/test_framing.py (fewer truncated frames: each waits out the silence)
    written in random pieces to a real pty and read by the real SerialScanner."""
    import random
    import tty

    from tests.test_framing import scanner_stream

    frames, valid = scanner_stream(10_000, seed=15, truncated_weight=0.1)
    kinds = [kind for _, kind in frames]
    misread_kinds = len(frames) - len(valid) - kinds.count("bad_check")
    pty = Pty()
    tty.setraw(pty.slave)
    scanner, events = scanner_on(pty.path)
    assert next_event(events, ScannerStatus).connected
    rng = random.Random(17)
    got: list[object] = []

    def write(data: bytes) -> None:
        while data:
            n = rng.randint(1, 600)
            pty.write(data[:n])
            data = data[n:]

    run = b""
    for data, kind in frames:
        run += data
        if kind == "truncated":
            write(run)
            run = b""
            while True:  # until the silence drops it
                got.append(events.get(timeout=5))
                if isinstance(got[-1], Misread) and "terminator" in got[-1].reason:
                    break
    write(run)
    deadline = time.monotonic() + 15
    reads = sum(isinstance(g, ScanRead) for g in got)
    while reads < len(valid) + kinds.count("bad_check"):
        assert time.monotonic() < deadline, "not every frame arrived"
        try:
            got.append(events.get(timeout=0.5))
        except queue.Empty:
            continue
        reads += isinstance(got[-1], ScanRead)
    time.sleep(0.2)
    while not events.empty():
        got.append(events.get())
    from picker_app.domain.scan import interpret

    scans = [interpret(g.text) for g in got if isinstance(g, ScanRead)]
    assert [s.gtin for s in scans if s.kind == "product"] == ["0" + code for code in valid]
    assert sum(s.kind == "rejected" for s in scans) == kinds.count("bad_check")
    assert scanner.framer.misreads == sum(isinstance(g, Misread) for g in got) == misread_kinds
    pty.unplug()
