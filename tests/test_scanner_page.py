"""`picker-app scanner PORT`: the real command reading a pty, in JSON and for people."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import tty

SCANS = (
    b"]E08901063010000\r"  # EAN-13 with its symbology identifier
    b"\x00\xff\x00\r"  # line noise: a misread
    b"]C10109506000134352\x1d10AB12\x1d17270300\r"  # GS1-128, expiry DD=00
    b"8901063010001\r"  # bad check digit
    b"a7-2\r"  # a bin label
)


def run_scanner(*args: str) -> subprocess.CompletedProcess:
    master, slave = os.openpty()
    tty.setraw(slave)
    path = os.ttyname(slave)
    proc = subprocess.Popen(
        [sys.executable, "-m", "picker_app.cli", "scanner", path, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        # pyserial empties the input when it opens a port: write once it says it is connected.
        status = proc.stderr if "--json" in args else proc.stdout
        assert status is not None
        deadline = time.monotonic() + 15
        seen = ""
        while "scanner connected" not in seen and time.monotonic() < deadline:
            seen += status.readline()
        assert "scanner connected" in seen, seen
        os.write(master, SCANS)
        out, err = proc.communicate(timeout=20)
        if "--json" in args:
            err = seen + err
        else:
            out = seen + out
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)
        os.close(slave)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def test_json_lines_one_per_scan_or_rejection():
    result = run_scanner("--json", "--count", "5")
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["kind"] for line in lines] == [
        "product", "rejected", "product", "rejected", "bin",
    ]  # fmt: skip
    ean, noise, gs1, bad, bin_label = lines
    assert ean["gtin"] == "08901063010000" and ean["symbology"] == "]E0"
    assert noise["reason"].startswith("Misread") and noise["gtin"] is None
    assert gs1 == {
        "raw": "]C10109506000134352\x1d10AB12\x1d17270300",
        "symbology": "]C1",
        "kind": "product",
        "gtin": "09506000134352",
        "batch": "AB12",
        "expiry": "2027-03-31",
        "serial": None,
        "net_weight_kg": None,
        "price": None,
        "code": None,
    }
    assert "check digit" in bad["reason"].lower()
    assert bin_label["code"] == "A07-2"


def test_page_for_people_shows_meaning_reasons_and_counts():
    result = run_scanner("--count", "5")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Scanner test page on" in out
    assert "product  GTIN 08901063010000" in out
    assert "MISREAD" in out and "misreads so far: 1" in out
    assert "batch AB12  expiry 2027-03-31" in out
    assert "REFUSED" in out
    assert out.rstrip().endswith("3 scans, 1 refused, 1 misreads")


def test_bad_gs_substitute_is_a_user_error():
    proc = subprocess.run(
        [sys.executable, "-m", "picker_app.cli", "scanner", "loop://", "--gs-substitute", "ab"],
        capture_output=True,
        text=True,
        timeout=20,
        check=False,
    )
    assert proc.returncode == 2 and "--gs-substitute" in proc.stderr
    assert "Traceback" not in proc.stderr
