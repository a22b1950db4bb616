"""`picker-app scanner PORT`: a scanner test page in the terminal (or JSON lines for scripts).

Each scan is shown as it arrives with its symbology and meaning, or the reason it was refused;
line noise is counted as misreads. Runs until Ctrl-C, or `count` lines.
"""

from __future__ import annotations

import json
import queue
import time
from dataclasses import dataclass, field
from typing import TextIO

from picker_app.domain.scan import Scan, ScanConfig, interpret
from picker_app.scanner.framing import Misread
from picker_app.scanner.serial_reader import ScannerEvent, ScannerStatus, ScanRead, SerialScanner


@dataclass
class Tally:
    scans: int = 0
    rejected: int = 0
    misreads: int = 0
    kinds: dict[str, int] = field(default_factory=dict)


def misread_json(m: Misread) -> dict[str, object]:
    """A misread as the JSON line of a rejection (the same keys as every scan line)."""
    raw = m.data.decode("utf-8", errors="replace")
    return Scan(raw=raw, kind="rejected", reason=f"Misread: {m.reason}; scan it again.").to_json()


def describe(scan: Scan) -> str:
    """One line for a person: what the scan is."""
    if scan.kind == "rejected":
        return f"REFUSED  {scan.reason}"
    parts = [scan.kind.replace("_", " ")]
    for label, value in (
        ("GTIN", scan.gtin),
        ("code", scan.code),
        ("batch", scan.batch),
        ("expiry", scan.expiry.isoformat() if scan.expiry else None),
        ("serial", scan.serial),
        ("weight", f"{scan.net_weight_kg:g} kg" if scan.net_weight_kg is not None else None),
        ("price", f"Rs {scan.price:.2f}" if scan.price is not None else None),
    ):
        if value:
            parts.append(f"{label} {value}")
    return "  ".join(parts)


def run_page(
    scanner: SerialScanner,
    events: queue.Queue[ScannerEvent],
    out: TextIO,
    err: TextIO,
    as_json: bool = False,
    count: int | None = None,
    config: ScanConfig | None = None,
    tally: Tally | None = None,
) -> Tally:
    """Show events until `count` scan lines (or forever); the caller handles Ctrl-C and keeps
    the `tally` it passed in."""
    config = config or ScanConfig()
    tally = tally if tally is not None else Tally()
    lines = 0
    if not as_json:
        out.write(f"Scanner test page on {scanner.settings.port}: scan anything; Ctrl-C ends.\n")
        out.flush()
    while count is None or lines < count:
        try:
            event = events.get(timeout=0.2)
        except queue.Empty:
            continue
        stamp = time.strftime("%H:%M:%S")
        if isinstance(event, ScannerStatus):
            (err if as_json else out).write(f"{stamp}  {event.message}\n")
            (err if as_json else out).flush()
            continue
        if isinstance(event, Misread):
            tally.misreads += 1
            line = (
                json.dumps(misread_json(event))
                if as_json
                else f"{stamp}  MISREAD  {event.reason} (misreads so far: {tally.misreads})"
            )
            scanner.bad_read()
        else:
            assert isinstance(event, ScanRead)
            scan = interpret(event.text, config)
            tally.kinds[scan.kind] = tally.kinds.get(scan.kind, 0) + 1
            if scan.kind == "rejected":
                tally.rejected += 1
                scanner.bad_read()
            else:
                tally.scans += 1
                scanner.good_read()
            sym = scan.symbology or "-"
            line = (
                json.dumps(scan.to_json())
                if as_json
                else f"{stamp}  {sym:<4} {describe(scan)}   raw {scan.raw!r}"
            )
        out.write(line + "\n")
        out.flush()
        lines += 1
    return tally
