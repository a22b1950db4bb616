"""Start-up time of `picker-app`: from starting the process to the login screen on its terminal.

Runs the real console script on a pseudo-terminal (100x30), as a person would, and stops the
clock when the login screen's title has been drawn. Cases, each run RUNS times:

- first run: nothing there yet (the demo store is seeded; reported, no target);
- after the first run, no backend running: this app starts the embedded backend itself;
- after the first run, a backend already running (a second app beside the first);
- baseline, measured in the same run: `python -c "import textual.app"` to the first byte it writes,
  the floor any Textual app on this machine pays.

Target (issue 5): after the first run, under 1.5 s to the login screen.

    .venv/bin/python bench/startup_bench.py [--runs 10]
"""

from __future__ import annotations

import argparse
import fcntl
import os
import pty
import select
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APP = Path(sys.executable).parent / "picker-app"
TARGET_S = 1.5


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def time_to(argv: list[str], marker: bytes, env: dict[str, str], timeout: float = 60.0) -> float:
    """Seconds from spawning `argv` on a new 100x30 pty until `marker` appears in its output."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        argv, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True
    )
    os.close(slave)
    seen = b""
    try:
        while marker not in seen:
            if time.perf_counter() - t0 > timeout:
                raise RuntimeError(f"{argv[0]}: no {marker!r} after {timeout} s: {seen[-300:]!r}")
            ready, _, _ = select.select([master], [], [], 0.5)
            if ready:
                try:
                    seen += os.read(master, 65536)
                except OSError:  # the process ended
                    raise RuntimeError(f"{argv} ended early: {seen[-300:]!r}") from None
        return time.perf_counter() - t0
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        os.close(master)


def summary(name: str, times: list[float], baseline: float | None = None) -> str:
    times = sorted(times)
    p99 = times[min(len(times) - 1, round(0.99 * (len(times) - 1)))]
    text = f"{name:<44} median {statistics.median(times):6.3f} s  p99 {p99:6.3f} s"
    if baseline:
        text += f"  x{statistics.median(times) / baseline:4.1f} baseline"
    return text


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    marker = b"log in"
    work = Path(tempfile.mkdtemp(prefix="picker-startup-"))
    env = dict(os.environ, TERM="xterm-256color", PICKER_APP_DB=str(work / "picker.db"))
    env.pop("PICKER_APP_BACKEND", None)
    env.pop("PICKER_APP_TOKEN", None)
    env["PICKER_APP_CONFIG"] = str(work / "none.toml")
    try:
        floor = [
            time_to([sys.executable, "-c", "import textual.app; print('log in')"], marker, env)
            for _ in range(args.runs)
        ]
        base = statistics.median(floor)
        port = free_port()
        first = time_to([str(APP), "--port", str(port)], marker, env)
        alone = [
            time_to([str(APP), "--port", str(port)], marker, env) for _ in range(args.runs)
        ]
        # A backend already running: the demo backend served by its own command on the port.
        server = subprocess.Popen(
            [str(APP), "backend", "--db", str(work / "backend.db"), "serve", "--port", str(port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            deadline = time.time() + 30
            while time.time() < deadline:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    break
                except OSError:
                    time.sleep(0.1)
            beside = [
                time_to([str(APP), "--port", str(port)], marker, env) for _ in range(args.runs)
            ]
        finally:
            server.terminate()
            server.wait()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"picker-app start-up to the login screen, {args.runs} runs each, 100x30 pty")
    print(summary("baseline: python -c 'import textual.app'", floor))
    print(f"{'first run (seeds the demo store)':<44} {first:6.3f} s")
    print(summary("after first run, starts its own backend", alone, base))
    print(summary("after first run, backend already running", beside, base))
    worst = max(statistics.median(alone), statistics.median(beside))
    verdict = "PASS" if worst < TARGET_S else "FAIL"
    print(f"target: median under {TARGET_S} s after the first run: {verdict} ({worst:.3f} s)")
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
