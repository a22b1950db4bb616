"""`picker-app board --serve PORT` in a browser: a backend on loopback, the command as a
subprocess, headless Chromium (the distribution's `chromium` and `chromedriver`, given to
selenium explicitly so that it never downloads one) opening the page; the board's text must
arrive over the page's websocket (the terminal draws it on a canvas, so it is read from the
frames Chromium received, through its DevTools log).

Skipped only when /usr/bin/chromium is missing and CI is not set: in CI it always runs."""

from __future__ import annotations

import base64
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.appkit import STORE

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
ANSI = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][0-9A-Za-z]|\x1b[=>]")

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists() and not os.environ.get("CI"),
    reason="no /usr/bin/chromium here (CI installs it: apt-get install chromium chromium-driver)",
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, proc: subprocess.Popen, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"picker-app board --serve ended: {proc.stderr.read()!r}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"nothing listens on port {port} after {seconds} s")


def received_text(driver) -> bytes:  # type: ignore[no-untyped-def]
    """What the page's websockets received so far, escape sequences taken out."""
    data = b""
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message.get("method") != "Network.webSocketFrameReceived":
            continue
        frame = message["params"]["response"]
        payload = frame.get("payloadData", "")
        data += base64.b64decode(payload) if frame.get("opcode") == 2 else payload.encode()
    return ANSI.sub(b"", data)


@pytest.fixture
def served(rig, tmp_path):
    """`picker-app board --serve PORT` against the rig's backend, as a kiosk device of its own."""
    token = rig.backend.add_device(STORE, "kiosk-1")
    port = free_port()
    env = {**os.environ, "PICKER_APP_TOKEN": token, "XDG_DATA_HOME": str(tmp_path / "data"),
           "PICKER_APP_CONFIG": str(tmp_path / "none.toml")}  # fmt: skip
    proc = subprocess.Popen(
        [sys.executable, "-m", "picker_app.cli", "board", "--serve", str(port),
         "--backend", rig.server.url, "--store", STORE, "--db", str(tmp_path / "kiosk.db")],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,  # its boards (one per browser) end with it
    )  # fmt: skip
    try:
        wait_for_port(port, proc)
        yield port
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)


def test_the_served_board_arrives_in_headless_chromium(served):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1400,900"):  # fmt: skip
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    try:
        driver.get(f"http://127.0.0.1:{served}/")
        deadline = time.monotonic() + 40
        seen = b""
        while time.monotonic() < deadline:
            seen += received_text(driver)
            if b"online: the store's view" in seen and b"OR52000001" in seen:
                break
            time.sleep(0.25)
        assert b"Store board" in seen, seen[-2000:]
        assert b"online: the store's view" in seen
        assert b"OR52000001" in seen  # an order of the seeded store
    finally:
        driver.quit()
