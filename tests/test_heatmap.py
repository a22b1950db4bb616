"""The heat map (issue 14): picks per bay, aisle and zone against a hand-computed fixture on the
spec's example layout, the picks file's errors as one sentence each, the window over timed
picks, the map's shades, and `picker-app heatmap` (text, --json, --png, the demo history)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from PIL import Image

from picker_app.cli import main
from picker_app.domain.heatmap import (
    SHADES,
    PicksError,
    heat_lines,
    parse_picks,
    parse_window,
    picks_in_window,
    summarize,
)
from tests.appkit import ROOT

# By hand: A01 = 3 + 2 (two bins of the bay), A07 = 1 + 1 (a row per pick), B02 = 4, F05 = 6;
# aisle A 7, B 4, C 0, F 6; zone ambient 11, frozen 6; total 17.
PICKS = "bin,picks\nA01-1,3\nA01-2,2\nA07-1,1\nA7-1,1\nB02-4,4\nF05-3,6\n\n"


def test_totals_by_bay_aisle_and_zone_match_the_hand_count(example):
    summary = summarize(example, parse_picks(PICKS, example, "p.csv"), "all")
    assert summary.to_json() == {
        "bays": {"A01": 5, "A07": 2, "B02": 4, "F05": 6},
        "aisles": {"A": 7, "B": 4, "C": 0, "F": 6},
        "zones": {"ambient": 11, "frozen": 6},
        "window": "all",
        "total": 17,
    }


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "line 1: the header must be 'bin,picks', got 'an empty file'"),
        ("bay,picks\nA01,1\n", "line 1: the header must be 'bin,picks', got 'bay,picks'"),
        ("bin,picks\nZ99-1,1\n", "line 2:"),
        ("bin,picks\nA01-1,many\n", "line 2: picks must be a whole number >= 0, got 'many'"),
        ("bin,picks\nA01-1,-2\n", "line 2: picks must be a whole number >= 0, got '-2'"),
        ("bin,picks\nA01-1,1,2\n", "line 2: expected 2 fields, got 3"),
    ],
)
def test_a_bad_picks_file_is_one_sentence_naming_the_line(example, text, problem):
    with pytest.raises(PicksError) as caught:
        parse_picks(text, example, "p.csv")
    assert str(caught.value).startswith("p.csv: ") and problem in str(caught.value)
    assert "\n" not in str(caught.value)


def test_the_window_counts_only_the_picks_inside_it(example):
    until = datetime(2026, 11, 24, 18, 0, tzinfo=UTC)
    lines = [
        (until - timedelta(hours=1), "A01-1"),
        (until - timedelta(days=3), "A01-2"),
        (until - timedelta(days=10), "B02-1"),
        (until - timedelta(hours=20), "F05-1"),  # yesterday: not today, but within 7d
        (until + timedelta(minutes=1), "A01-1"),  # after the end
        (until, "ZZ9-9"),  # not a bin of this layout
    ]
    assert picks_in_window(lines, example, parse_window("today"), until) == {"A01": 1}
    assert picks_in_window(lines, example, parse_window("7d"), until) == {"A01": 2, "F05": 1}
    assert picks_in_window(lines, example, parse_window("30d"), until) == {
        "A01": 2, "B02": 1, "F05": 1,
    }  # fmt: skip
    assert picks_in_window(lines, example, parse_window("2h"), until) == {"A01": 1}
    for bad in ("0d", "week", "7", ""):
        with pytest.raises(PicksError, match="give today, or days or hours"):
            parse_window(bad)


def test_the_map_shades_each_picked_bay_by_quartile(example):
    summary = summarize(example, parse_picks(PICKS, example), "all")
    lines = heat_lines(example, summary)
    row = lines[2]  # the floor row of A01-A05 and B01-B05
    assert row[3] != "A" and row[3] in SHADES  # A01 picked
    assert row[4] == "A"  # A02 never picked keeps its letter
    assert lines[-3].startswith("picks per bay (all): ")
    assert "zones: ambient 11, frozen 6; total 17" in lines[-2]
    assert lines[-1] == "aisles: A 7 B 4 C 0 F 6"
    shades = {ch for line in lines[:-3] for ch in line if ch in SHADES}
    assert SHADES[-1] in shades  # the busiest bay (F05) in the darkest


def test_cli_json_png_and_text(example_file, tmp_path, capsys):
    picks = tmp_path / "picks.csv"
    picks.write_text(PICKS)
    png = tmp_path / "heat.png"
    assert main(["heatmap", str(example_file), "--picks", str(picks), "--json",
                 "--png", str(png)]) == 0  # fmt: skip
    data = json.loads(capsys.readouterr().out)
    assert data["total"] == 17 and data["zones"] == {"ambient": 11, "frozen": 6}
    with Image.open(png) as image:
        assert image.format == "PNG" and image.size[0] >= 16 * 14
    assert main(["heatmap", str(example_file), "--picks", str(picks)]) == 0
    assert "aisles: A 7 B 4 C 0 F 6" in capsys.readouterr().out


def test_cli_errors_are_one_sentence_and_status_2(example_file, tmp_path, capsys):
    picks = tmp_path / "picks.csv"
    picks.write_text("bin,count\n")
    assert main(["heatmap", str(example_file), "--picks", str(picks)]) == 2
    assert "the header must be 'bin,picks'" in capsys.readouterr().err
    picks.write_text(PICKS)
    assert main(["heatmap", str(example_file), "--picks", str(picks), "--window", "7d"]) == 2
    assert "a --picks file has no times" in capsys.readouterr().err
    assert main(["heatmap", str(tmp_path / "none.toml")]) == 2
    capsys.readouterr()


def test_with_only_the_layout_the_demo_history_is_drawn(capsys):
    assert main(["heatmap", str(ROOT / "layouts" / "demo-store.toml"), "--window", "30d",
                 "--json"]) == 0  # fmt: skip
    data = json.loads(capsys.readouterr().out)
    history = (ROOT / "fixtures" / "order_history.csv").read_text(encoding="utf-8")
    lines = len(history.splitlines()) - 1
    assert data["window"].startswith("30d to 2026-11-24")
    assert data["total"] == lines  # every line of the 30 days has a bin of the demo store
    assert set(data["zones"]) == {"ambient", "chilled", "frozen"}
    assert sum(data["aisles"].values()) == sum(data["bays"].values()) == data["total"]
