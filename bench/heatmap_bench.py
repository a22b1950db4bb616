"""Heat map benchmark (issue 14): the demo store's 30 days of order history (about 23,000 orders,
97,000 lines) to the heat map, as `picker-app heatmap` does it: read the history, count the
picks per bay in the window, total them by aisle and zone, draw the map (text and PNG). Target:
under 1 s. Baseline in the same run: reading the history alone (what every heat map needs).

    .venv/bin/python bench/heatmap_bench.py [--runs 5]
"""

from __future__ import annotations

import argparse
import io
import statistics
import time
from pathlib import Path

from picker_app.cli.heatmap import demo_history
from picker_app.domain.heatmap import heat_lines, parse_window, picks_in_window, summarize
from picker_app.domain.layout import parse_layout
from picker_app.printing.heatmap import heat_image

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    path = ROOT / "layouts" / "demo-store.toml"
    layout = parse_layout(path.read_text(), str(path))
    read_s, whole_s = [], []
    for _ in range(args.runs):
        t0 = time.perf_counter()
        history = demo_history(ROOT / "fixtures")
        t1 = time.perf_counter()
        until = max(when for when, _ in history)
        picks = picks_in_window(history, layout, parse_window("30d"), until)
        summary = summarize(layout, picks, "30d")
        heat_lines(layout, summary)
        heat_image(layout, summary).save(io.BytesIO(), format="PNG")
        t2 = time.perf_counter()
        read_s.append(t1 - t0)
        whole_s.append(t2 - t0)
    print(f"heatmap_bench: {len(history)} pick lines, 30 days, {args.runs} runs")
    print(f"read the history (baseline): median {statistics.median(read_s) * 1000:.0f} ms")
    print(f"the whole heat map:          median {statistics.median(whole_s) * 1000:.0f} ms, "
          f"max {max(whole_s) * 1000:.0f} ms (target under 1000 ms)")


if __name__ == "__main__":
    main()
