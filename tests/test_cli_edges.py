"""Command-line edges, as a person types them into the real `picker-app`: every user error is
one line on standard error and exit status 2, never a traceback, a retry loop or bad JSON."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from picker_app.domain.layout import LayoutError, parse_layout
from tests.conftest import EXAMPLE

APP = Path(sys.executable).parent / "picker-app"


def picker_app(tmp_path: Path, *argv: str, timeout: float = 30) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PICKER_APP_")}
    env.update(XDG_DATA_HOME=str(tmp_path / "data"), PICKER_APP_CONFIG=str(tmp_path / "no.toml"))
    return subprocess.run(
        [str(APP), *argv], capture_output=True, text=True, env=env, timeout=timeout, check=False,
        cwd=tmp_path, stdin=subprocess.DEVNULL,
    )  # fmt: skip


def assert_usage_error(proc: subprocess.CompletedProcess, *words: str) -> None:
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    assert proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr and "unexpected error" not in proc.stderr
    for word in words:
        assert word in lines[0], lines[0]


@pytest.mark.parametrize("prefix", ["\\x", "\\u1234", "\\", "\\x0", "é", "\\N{BOGUS}"])
def test_a_prefix_that_is_not_bytes_is_a_usage_error(tmp_path, prefix):
    assert_usage_error(picker_app(tmp_path, "scanner", "/dev/null", "--prefix", prefix), "--prefix")


@pytest.mark.parametrize("baud", ["0", "-9600", "12", "nine"])
def test_a_baud_rate_out_of_range_is_a_usage_error_not_retries_for_ever(tmp_path, baud):
    assert_usage_error(picker_app(tmp_path, "scanner", "/dev/null", "--baud", baud), "--baud")
    sim = picker_app(tmp_path, "scanner-sim", "--port", "loop://", "--baud", baud)
    assert_usage_error(sim, "--baud")


def _example(tmp_path: Path, cell_m: str) -> Path:
    path = tmp_path / "big.toml"
    path.write_text(EXAMPLE.replace("cell_m = 0.5", f"cell_m = {cell_m}"))
    return path


@pytest.mark.parametrize("cell_m", ["1e308", "1e10", "10.5"])
def test_a_cell_too_large_is_a_layout_error_not_infinity(tmp_path, cell_m):
    proc = picker_app(tmp_path, "route", str(_example(tmp_path, cell_m)), "A01-2", "--json")
    assert_usage_error(proc, "big.toml", "cell_m")
    with pytest.raises(LayoutError, match="cell_m"):
        parse_layout(_example(tmp_path, cell_m).read_text(), "big.toml")


def test_the_largest_cell_is_still_planned_as_json(tmp_path):
    import json

    proc = picker_app(tmp_path, "route", str(_example(tmp_path, "10")), "A01-2", "C03-1", "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["length_m"] == 140.0


def test_a_congestion_too_large_is_a_usage_error(tmp_path):
    heat = tmp_path / "heat.csv"
    heat.write_text("bay,picks_per_hour\nA07,40\nC03,10\n")
    layout = _example(tmp_path, "0.5")
    proc = picker_app(
        tmp_path, "route", str(layout), "A01-2", "C03-1", "--json", "--heat", str(heat),
        "--congestion", "1e308",
    )  # fmt: skip
    assert_usage_error(proc, "--congestion")


def test_an_escaped_prefix_is_still_the_bytes_it_names(tmp_path):
    """`--prefix '\\x02'` (STX) is stripped from each frame, on a real pty, as before."""
    import json
    import time
    import tty

    master, slave = os.openpty()
    tty.setraw(slave)
    proc = subprocess.Popen(
        [str(APP), "scanner", os.ttyname(slave), "--prefix", "\\x02", "--json", "--count", "1"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "XDG_DATA_HOME": str(tmp_path)},
    )  # fmt: skip
    try:
        assert proc.stderr is not None
        deadline, seen = time.monotonic() + 15, ""
        while "scanner connected" not in seen and time.monotonic() < deadline:
            seen += proc.stderr.readline()
        assert "scanner connected" in seen, seen
        os.write(master, b"\x02a7-2\r")
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)
        os.close(slave)
    assert proc.returncode == 0, err
    assert json.loads(out.splitlines()[0])["kind"] == "bin"
