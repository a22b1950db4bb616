"""The packing scale client on a real pty (the simulator, opened by pyserial): stable and moving
weights, faults, noise, silence, unplugging; the polling thread; the `scale-sim` command."""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
import time
import tty
from collections.abc import Iterator
from pathlib import Path

import pytest

from picker_app.domain.weighing import (
    Reading,
    Removed,
    ScaleFault,
    ScaleTracker,
    Unreadable,
    Weighed,
)
from picker_app.errors import PickerError
from picker_app.scale.client import ScaleClient, ScaleError
from picker_app.scale.reader import ScalePoller, ScaleStatus
from picker_app.scale.sim import ScaleSim, console


@pytest.fixture
def sim() -> Iterator[ScaleSim]:
    with ScaleSim(grams=0) as s:
        yield s


@pytest.fixture
def client(sim: ScaleSim) -> Iterator[ScaleClient]:
    with ScaleClient(sim.path, reply_timeout_s=0.5, poll_s=0.02) as c:
        yield c


def test_a_stable_weight(sim, client):
    sim.set_grams(512)
    assert client.read_stable() == Reading(512.0, True, "kg")
    assert client.read_now() == Reading(512.0, True, "kg")


@pytest.mark.parametrize(("unit", "grams"), [("g", 512.0), ("lb", 512.0)])
def test_other_units_come_back_in_grams(unit, grams):
    with ScaleSim(grams=grams, unit=unit) as s, ScaleClient(s.path) as c:
        reading = c.read_stable()
    assert reading.unit == unit and reading.grams == pytest.approx(grams, abs=0.3)


def test_unstable_then_stable(sim, client):
    sim.set_grams(300)
    sim.unstable(5)
    now = client.read_now()
    assert not now.stable and abs(now.grams - 300) <= 40
    before = sim.replies
    assert client.read_stable(timeout=3) == Reading(300.0, True, "kg")
    assert sim.replies - before == 5  # four more moving readings, then the stable one


def test_a_weight_that_never_settles(sim, client):
    sim.unstable(10**6)
    with pytest.raises(ScaleError, match="did not settle within 0.3 s"):
        client.read_stable(timeout=0.3)


def test_busy_is_waited_out(sim, client):
    sim.set_grams(80)
    sim.busy(3)
    assert client.ask("SI") == ScaleFault("busy")
    assert client.read_stable() == Reading(80.0, True, "kg")


@pytest.mark.parametrize(
    ("grams", "kind", "words"), [(20000, "overload", "overloaded"), (-900, "underload", "below")]
)
def test_overload_and_underload(sim, client, grams, kind, words):
    sim.set_grams(grams)
    assert client.ask("SI") == ScaleFault(kind)
    with pytest.raises(ScaleError, match=words):
        client.read_now()
    with pytest.raises(ScaleError, match=words):
        client.read_stable(timeout=0.2)


def test_a_garbled_line_is_asked_again(sim, client):
    sim.set_grams(250)
    sim.garble(1)
    assert isinstance(client.ask("SI"), Unreadable)
    sim.garble(2)
    assert client.read_now() == Reading(250.0, True, "kg")  # third time lucky
    sim.garble(2)
    assert client.read_stable() == Reading(250.0, True, "kg")


def test_only_garbage_is_a_clear_error(sim, client):
    sim.garble(100)
    with pytest.raises(ScaleError, match="unreadable .* baud rate"):
        client.read_now()


def test_a_command_it_does_not_know(sim, client):
    assert client.ask("XYZ") == ScaleFault("syntax")


def test_a_scale_that_does_not_answer():
    master, slave = os.openpty()
    tty.setraw(slave)
    try:
        client = ScaleClient(os.ttyname(slave), reply_timeout_s=0.2)
        start = time.monotonic()
        with pytest.raises(ScaleError, match=r"did not answer within 0\.2 s.*9600 baud"):
            client.read_now()
        assert time.monotonic() - start < 1
        client.close()
    finally:
        os.close(master)
        os.close(slave)


def test_no_such_port():
    with pytest.raises(ScaleError, match="Cannot open the scale on /nonexistent/ttyS9") as err:
        ScaleClient("/nonexistent/ttyS9").read_now()
    assert isinstance(err.value, PickerError)
    assert "No such file or directory" in str(err.value)


def test_the_scale_unplugged_mid_read(sim, client):
    sim.set_grams(100)
    assert client.read_now().grams == 100
    sim.unstable(10**6)  # keeps read_stable polling
    threading.Timer(0.2, sim.stop).start()
    start = time.monotonic()
    with pytest.raises(ScaleError, match="disconnected.*check its cable") as err:
        client.read_stable(timeout=5)
    assert time.monotonic() - start < 2  # told at once, not at the timeout
    assert "\n" not in str(err.value)
    assert not client.is_open
    with pytest.raises(ScaleError, match="Cannot open"):
        client.read_now()


def test_the_tracker_notices_a_removal_on_a_real_scale(sim, client):
    tracker = ScaleTracker()
    sim.set_grams(60)  # the empty bag
    tracker.reset(client.read_stable().grams)
    tracker.expect(400)
    sim.add(405)
    sim.unstable(3)
    outcomes = [tracker.observe(client.read_now()) for _ in range(3)]
    assert outcomes == [None, None, None]  # moving: nothing to say yet
    weighed = tracker.observe(client.read_stable())
    assert isinstance(weighed, Weighed) and weighed.check.ok
    sim.add(-405)
    removed = tracker.observe(client.read_stable())
    assert isinstance(removed, Removed) and removed.missing_g == pytest.approx(405)


def next_event(events: queue.Queue, kind: type, timeout: float = 3.0):
    """The next event of `kind`, skipping others; fail after `timeout`."""
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        try:
            event = events.get(timeout=left)
        except queue.Empty:
            break
        if isinstance(event, kind):
            return event
    pytest.fail(f"no {kind.__name__} within {timeout} s")


def test_the_poller_reports_changes_and_a_replugged_scale(tmp_path: Path):
    link = str(tmp_path / "ttyScale")
    events: queue.Queue = queue.Queue()
    first = ScaleSim(grams=100, link=link).start()
    poller = ScalePoller(
        ScaleClient(link, reply_timeout_s=0.3), events.put, interval_s=0.02, reopen_max_s=0.1
    )
    poller.start()
    try:
        assert next_event(events, ScaleStatus).connected
        assert next_event(events, Reading) == Reading(100.0, True, "kg")
        first.add(250)
        assert next_event(events, Reading) == Reading(350.0, True, "kg")
        time.sleep(0.1)
        assert events.empty()  # the same weight is not reported again
        first.stop()
        gone = next_event(events, ScaleStatus)
        assert not gone.connected and "Trying again." in gone.message
        with ScaleSim(grams=700, link=link):
            back = next_event(events, ScaleStatus)
            assert back.connected and link in back.message
            assert next_event(events, Reading) == Reading(700.0, True, "kg")
    finally:
        poller.stop()
        first.stop()
    assert not poller.client.is_open


def test_the_console_lines():
    sim = ScaleSim(grams=0)  # not started: console only changes its state
    assert console(sim, "+512\n") == "512 g on the scale"
    assert console(sim, "-200") == "312 g on the scale"
    assert console(sim, "+1.5kg") == "1.812 kg on the scale"
    assert console(sim, "=0") == "0 g on the scale"
    assert console(sim, "") == "0 g on the scale"
    assert "wobbling for 3" in (console(sim, "u 3") or "")
    assert "noise" in (console(sim, "g") or "")
    assert "busy" in (console(sim, "b2") or "")
    assert console(sim, "q") is None
    with pytest.raises(ValueError, match="not a weight or a command. Type \\+512"):
        console(sim, "hello")


def test_scale_modules_do_not_import_textual():
    code = (
        "import sys\n"
        "import picker_app.scale.client, picker_app.scale.reader, picker_app.scale.sim\n"
        "import picker_app.domain.weighing, picker_app.cli.scale\n"
        "print(','.join(sorted(m for m in sys.modules if m.split('.')[0] == 'textual')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_the_scale_sim_command(tmp_path: Path):
    link = tmp_path / "ttyScale"
    sim = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "picker_app.cli",
            "scale-sim",
            "--grams",
            "250",
            "--link",
            str(link),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert sim.stdin and sim.stdout
    try:
        assert f"a scale on {link}" in sim.stdout.readline()
        assert "+512" in sim.stdout.readline()  # the help
        with ScaleClient(str(link)) as client:
            assert client.read_stable() == Reading(250.0, True, "kg")
            sim.stdin.write("nonsense\n+512\n")
            sim.stdin.flush()
            assert sim.stdout.readline() == "scale-sim: 762 g on the scale\n"
            assert client.read_stable().grams == 762
            sim.stdin.write("q\n")
            sim.stdin.flush()
            assert sim.wait(timeout=10) == 0
    finally:
        if sim.poll() is None:
            sim.kill()
            sim.wait()
    assert sim.stderr and "'nonsense' is not a weight" in sim.stderr.read()
    assert not link.exists()


def test_the_scale_sim_command_refuses_a_link_it_cannot_make(tmp_path: Path):
    taken = tmp_path / "file"
    taken.write_text("")
    done = subprocess.run(
        [sys.executable, "-m", "picker_app.cli", "scale-sim", "--link", str(taken)],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=20,
    )
    assert done.returncode == 2
    assert done.stderr.startswith(f"picker-app: {taken}: cannot make the scale's pty")
