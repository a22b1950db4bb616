"""The scanner simulator: what it writes survives the framer; the real command feeds the reader."""

from __future__ import annotations

import queue
import subprocess
import sys
import time
from pathlib import Path

import pytest

from picker_app.scanner.framing import Frame, Framer, FramingConfig, Misread
from picker_app.scanner.serial_reader import ScannerStatus, ScanRead, SerialScanner, SerialSettings
from picker_app.scanner.sim import SimSettings, plan_writes, run_simulator

CODES = ["8901063010000", "]C10109506000134352\x1d10AB12", "A07-2", "TT000042", "12345670"]


@pytest.mark.parametrize("terminator", ["CR", "LF", "CRLF", "TAB"])
def test_noisy_split_stream_gives_back_every_code_and_counts_the_noise(terminator):
    settings = SimSettings(terminator=terminator, noise=0.5, split=0.7, seed=3)
    writes = list(plan_writes(CODES * 20, settings))
    framer = Framer(FramingConfig(terminator=terminator))
    t = 0.0
    out = []
    for wait, data in writes:
        t += wait
        out += framer.feed(data, t)
    frames = [o.text for o in out if isinstance(o, Frame)]
    noise = sum(
        1 for _, data in writes if data[:1] in {b"\x00", b"\xff", b"\xfe", b"\x80", b"\x1b"}
    )
    assert frames == CODES * 20
    assert noise > 10 and framer.misreads == noise
    assert sum(isinstance(o, Misread) for o in out) == noise
    assert len(writes) > len(CODES) * 20 + noise  # some frames were really split


def test_run_simulator_writes_in_order_and_waits():
    written: list[bytes] = []
    waits: list[float] = []
    sent = run_simulator(
        iter(["A07-2", "B01-1"]),
        SimSettings(delay_s=0.25),
        written.append,
        sleep=waits.append,
    )
    assert sent == 2 and written == [b"A07-2\r\n", b"B01-1\r\n"] and waits == [0.25, 0.25]


def test_the_scanner_sim_command_feeds_a_serial_reader(tmp_path: Path):
    barcodes = tmp_path / "scans.txt"
    barcodes.write_text("\n".join(CODES[:1] + CODES[2:]) + "\n")
    link = tmp_path / "ttySim"
    sim = subprocess.Popen(
        [
            sys.executable, "-m", "picker_app.cli", "scanner-sim", "--file", str(barcodes),
            "--link", str(link), "--noise", "0.3", "--split", "0.5", "--delay-ms", "20",
            "--linger", "3",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        line = sim.stdout.readline() if sim.stdout else ""
        assert f"a scanner on {link}" in line
        events: queue.Queue = queue.Queue()
        reader = SerialScanner(SerialSettings(port=str(link)), events.put)
        reader.start()
        try:
            got: list[str] = []
            deadline = time.monotonic() + 10
            while len(got) < 4 and time.monotonic() < deadline:
                try:
                    event = events.get(timeout=0.5)
                except queue.Empty:
                    continue
                if isinstance(event, ScanRead):
                    got.append(event.text)
                elif isinstance(event, ScannerStatus):
                    assert event.connected, event.message
            assert got == ["8901063010000", "A07-2", "TT000042", "12345670"]
        finally:
            reader.stop()
    finally:
        sim.wait(timeout=15)
    assert sim.returncode == 0
    assert not link.exists()
