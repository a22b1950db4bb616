"""Ctrl+C quits, as Ctrl+Q does (the README says so): in the pilot on every screen where a scan
input has the focus, and for real, the console script on a pseudo-terminal."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import signal
import struct
import subprocess
import termios
import time
from pathlib import Path

import pytest

from picker_app.bootstrap import AppOptions, make_app
from tests.test_embedded import free_port
from tests.test_ui_flow import login_and_take

APP = Path(__file__).resolve().parent.parent / ".venv" / "bin" / "picker-app"


@pytest.mark.parametrize("where", ["login", "route"])
async def test_ctrl_c_quits_from_the_pilot(rig, where):
    app = make_app(rig.store, {"U101": "7051"}, rig.layout, options=AppOptions(), clock=rig.clock)
    async with app.run_test(size=(40, 20)) as pilot:
        if where == "route":
            await login_and_take(pilot, app)
        await pilot.press("ctrl+c")
        await pilot.pause()
        assert app._exit, "Ctrl+C did not quit"
    assert not app.screen_stack or app.return_code in (0, None)


def read_until(master: int, marker: bytes, seen: bytearray, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while marker not in seen:
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        ready, _, _ = select.select([master], [], [], min(left, 0.5))
        if ready:
            try:
                seen += os.read(master, 65536)
            except OSError:  # the other end closed: the process ended
                return marker in seen
    return True


@pytest.mark.skipif(not APP.exists(), reason="the console script is not installed")
def test_ctrl_c_on_a_real_terminal_ends_the_app(tmp_path):
    env = dict(os.environ, TERM="xterm-256color", XDG_DATA_HOME=str(tmp_path / "data"))
    for key in ("PICKER_APP_BACKEND", "PICKER_APP_TOKEN", "PICKER_APP_DB", "PICKER_APP_SCANNER"):
        env.pop(key, None)
    env["PICKER_APP_CONFIG"] = str(tmp_path / "none.toml")
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 20, 40, 0, 0))
    proc = subprocess.Popen(
        [str(APP), "--port", str(free_port())],
        stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True,
    )  # fmt: skip
    os.close(slave)
    seen = bytearray()
    try:
        assert read_until(master, b"log in", seen, 60), f"no login screen: {bytes(seen[-400:])!r}"
        time.sleep(0.5)  # the app reads keys from here on
        os.write(master, b"\x03")
        try:
            code = proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            read_until(master, b"\x00", seen, 0.5)
            pytest.fail(f"Ctrl+C did not end the app; it shows: {bytes(seen[-400:])!r}")
        assert code == 0
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        os.close(master)
