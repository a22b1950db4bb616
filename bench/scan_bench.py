"""Scanner input benchmark: frames pushed through a real pty into `SerialScanner`, each frame
parsed by `interpret` in the delivery callback (as the app does).

Measures, for N frames (default 10,000) of which 10% are line noise:
- every valid frame delivered exactly once, in order, none invented, noise counted as misreads;
- sustained scans/s when the writer pushes as fast as the pty takes them;
- latency from the write of a frame (the call that sends its last byte) to its parsed scan
  delivered (p50, p99, max),
  with frames paced at a steady rate (default 1 ms apart).

Baseline measured in the same run: the same frames framed and parsed in-process without the
pty and thread (Framer.feed + interpret), the floor the serial path is compared with.
Targets (issue 3): every valid frame delivered, none invented, p99 under 5 ms, over 1,000 scans/s.

    .venv/bin/python bench/scan_bench.py [--frames 10000] [--noise 0.1] [--pace-ms 1.0]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import statistics
import threading
import time
import tty

from picker_app.domain.scan import interpret
from picker_app.scanner.framing import Framer, Misread
from picker_app.scanner.serial_reader import ScannerStatus, ScanRead, SerialScanner, SerialSettings


def ean13(n: int) -> str:
    """A valid EAN-13 under the 890 (India) prefix, unique for n < 10**9."""
    body = f"890{n:09d}"
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


def make_frames(count: int, noise: float, seed: int) -> list[tuple[bytes, str | None]]:
    """(bytes to write, the barcode or None for noise)."""
    rng = random.Random(seed)
    frames: list[tuple[bytes, str | None]] = []
    n = 0
    while len(frames) < count:
        if rng.random() < noise:
            junk = bytes(rng.choice([0x00, 0xFF, 0xFE]) for _ in range(rng.randint(1, 8)))
            frames.append((junk + b"\r\n", None))
        else:
            code = ean13(n)
            n += 1
            frames.append((code.encode() + b"\r\n", code))
    return frames


def run(frames: list[tuple[bytes, str | None]], pace_s: float) -> dict:
    master, slave = os.openpty()
    tty.setraw(slave)
    path = os.ttyname(slave)
    delivered: list[tuple[str, float]] = []
    done = threading.Event()
    want = sum(1 for _, code in frames if code)
    connected = threading.Event()

    def on_event(event: object) -> None:
        if isinstance(event, ScanRead):
            scan = interpret(event.text)
            delivered.append((scan.gtin or scan.raw, time.monotonic()))
            if len(delivered) >= want:
                done.set()
        elif isinstance(event, ScannerStatus) and event.connected:
            connected.set()

    reader = SerialScanner(SerialSettings(port=path), on_event)
    reader.start()
    connected.wait(5)
    # The writer is another process, as a real scanner is: a busy loop in this process would
    # hold the GIL and measure itself. CLOCK_MONOTONIC is the same clock in both processes.
    parent, child = multiprocessing.Pipe()
    writer = multiprocessing.Process(target=_write, args=(master, frames, pace_s, child))
    t0 = time.monotonic()
    writer.start()
    written: list[float] = parent.recv()
    writer.join()
    done.wait(30)
    t1 = time.monotonic()
    reader.stop()
    os.close(master)
    os.close(slave)
    codes = [code for _, code in frames if code]
    got = [g for g, _ in delivered]
    expected = [interpret(c).gtin for c in codes]
    lat = [(d - w) * 1000 for (_, d), w in zip(delivered, written, strict=False)]
    return {
        "frames": len(frames),
        "valid": len(codes),
        "delivered": len(got),
        "all_delivered_in_order": got == expected,
        "invented": len(set(got) - set(expected)),
        "misreads": reader.framer.misreads,
        "noise": len(frames) - len(codes),
        "scans_per_s": len(got) / (t1 - t0) if t1 > t0 else 0.0,
        "last_delivery_s": (delivered[-1][1] - t0) if delivered else 0.0,
        "lat": lat,
    }


def _write(master: int, frames: list, pace_s: float, conn) -> None:
    """Write every frame (paced, if asked); send back when each barcode's write began."""
    written = []
    next_t = time.monotonic()
    for data, code in frames:
        if pace_s:
            next_t += pace_s
            while time.monotonic() < next_t:
                pass
        before = time.monotonic()  # the write call starts: the frame's last byte goes out in it
        os.write(master, data)
        if code:
            written.append(before)
    conn.send(written)


def baseline(frames: list[tuple[bytes, str | None]]) -> float:
    """Frames framed and parsed in-process: scans per second."""
    framer = Framer()
    t0 = time.perf_counter()
    n = 0
    for i, (data, _) in enumerate(frames):
        for item in framer.feed(data, i * 1e-4):
            if not isinstance(item, Misread):
                interpret(item.text)
                n += 1
    return n / (time.perf_counter() - t0)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=10_000)
    parser.add_argument("--noise", type=float, default=0.1)
    parser.add_argument("--pace-ms", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    frames = make_frames(args.frames, args.noise, args.seed)

    base = baseline(frames)
    flat_out = run(frames, pace_s=0.0)
    paced = run(frames, pace_s=args.pace_ms / 1000)

    print(f"scan_bench: {args.frames} frames, {args.noise:.0%} noise, seed {args.seed}")
    print(f"baseline (in-process framing + parsing, no pty/thread): {base:,.0f} scans/s")
    for name, r in (("as fast as possible", flat_out), (f"paced {args.pace_ms} ms", paced)):
        lat = r["lat"]
        print(f"\n{name}:")
        print(
            f"  valid {r['valid']}, delivered {r['delivered']}, in order and complete: "
            f"{r['all_delivered_in_order']}, invented {r['invented']}, "
            f"misreads {r['misreads']} (noise frames {r['noise']})"
        )
        print(
            f"  throughput {r['scans_per_s']:,.0f} scans/s "
            f"({r['scans_per_s'] / base:.2f} x baseline)"
        )
        if lat:
            print(
                f"  latency last byte written -> parsed scan delivered: "
                f"p50 {statistics.median(lat):.3f} ms, p99 {pct(lat, 0.99):.3f} ms, "
                f"max {max(lat):.3f} ms"
            )
    ok_all = all(
        r["all_delivered_in_order"] and r["invented"] == 0 and r["misreads"] == r["noise"]
        for r in (flat_out, paced)
    )
    p99 = pct(paced["lat"], 0.99) if paced["lat"] else float("inf")
    print("\ntargets:")
    print(f"  {'PASS' if ok_all else 'FAIL'}  every valid frame delivered, none invented")
    print(f"  {'PASS' if p99 < 5 else 'FAIL'}  p99 latency < 5 ms (paced): {p99:.3f} ms")
    rate = flat_out["scans_per_s"]
    print(f"  {'PASS' if rate > 1000 else 'FAIL'}  > 1,000 scans/s: {rate:,.0f}")


if __name__ == "__main__":
    main()
