"""Smoke test of an installed `picker-app` (stdlib only; run by .ci/run with the clean venv's
Python, from a temporary folder): the shipped layouts and fixtures, end to end.

    python .ci/smoke.py VENV_BIN_DIR

Plans a route on the shipped demo layout, syncs with the demo backend (seeded from the shipped
fixtures on this first run), then starts the app on a 100x30 pseudo-terminal to its login
screen (the shipped layout checked against the backend's, the demo's badges listed) and quits
it with Ctrl+Q.
"""

from __future__ import annotations

import fcntl
import json
import os
import pty
import select
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path

MARKERS = ("log in", "BD4101")  # the login screen, and the demo's badges from users.csv


def start_to_login(argv: list[str], env: dict[str, str], cwd: Path, timeout: float = 60) -> str:
    """Run the app on a new 100x30 pty until its login screen shows the demo's badges, quit
    with Ctrl+Q and return what it drew; RuntimeError if it does not get there or exit 0."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    proc = subprocess.Popen(
        argv, stdin=slave, stdout=slave, stderr=slave, cwd=cwd, start_new_session=True,
        env={**env, "TERM": "xterm-256color"},
    )  # fmt: skip
    os.close(slave)
    seen, quit_at = "", None
    deadline = time.monotonic() + timeout
    try:
        while proc.poll() is None:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{argv}: no login screen or no exit: {seen[-600:]!r}")
            if quit_at is None and all(m in seen for m in MARKERS):
                os.write(master, b"\x11")  # Ctrl+Q
                quit_at = time.monotonic()
            if select.select([master], [], [], 0.2)[0]:
                try:
                    seen += os.read(master, 65536).decode("utf-8", "replace")
                except OSError:  # the pty closed: the process is ending
                    proc.wait(15)
        if quit_at is None or proc.returncode != 0:
            raise RuntimeError(f"{argv} ended with {proc.returncode}: {seen[-600:]!r}")
        return seen
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        os.close(master)


def main(bin_dir: Path) -> None:
    app, python = str(bin_dir / "picker-app"), str(bin_dir / "python")
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PICKER_APP_", "PYTHON"))}
        env.update(XDG_DATA_HOME=str(work / "data"), PICKER_APP_CONFIG=str(work / "none.toml"))

        def run(*argv: str) -> str:
            done = subprocess.run(
                argv, cwd=work, env=env, capture_output=True, text=True, timeout=120, check=False
            )
            if done.returncode != 0:
                raise RuntimeError(f"{argv}: exit {done.returncode}: {done.stderr}")
            return done.stdout

        t0 = time.monotonic()
        where = run(python, "-c", "import picker_app; print(picker_app.__file__)").strip()
        shipped = "from importlib.resources import files; print(files('picker_app') / 'layouts')"
        layout = str(Path(run(python, "-c", shipped).strip()) / "demo-store.toml")
        route = json.loads(run(app, "route", layout, "A07-2", "C12-4", "--json"))
        assert route["layout"] == "BLR-KOR-01" and len(route["stops"]) == 2, route
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = str(s.getsockname()[1])
        synced = run(app, "sync", "--port", port)
        assert "sent 0 events" in synced, synced
        start_to_login([app, "--port", port], env, work)
        took = time.monotonic() - t0
        print(f"smoke: installed picker_app ({where}): route, sync on the demo seeded from the "
              f"shipped fixtures, start-up to the login screen: ok in {took:.1f} s")  # fmt: skip


if __name__ == "__main__":
    main(Path(sys.argv[1]))
