"""The heat map before and after slotting moves (issue 14): the picks after the moves checked by
hand on the spec's example layout (a move to an empty bin and a swap), the two maps side by side
or one under the other, and `picker-app slotting --heat` (text, --json, --png)."""

from __future__ import annotations

import json

from PIL import Image

from picker_app.cli import main
from picker_app.cli.common import DEMO_LAYOUT, load_layout
from picker_app.domain.heatmap import SHADES, heat_pair_lines, summarize
from picker_app.domain.slotting import (
    Move,
    Product,
    bay_picks,
    bin_picks_after,
    bins_after,
    heat_before_after,
)
from picker_app.printing.heatmap import heat_image

PRODUCTS = [
    Product("FAST", "Amul Taaza Toned Milk 500 ml", "B05-3"),
    Product("SLOW", "Hing 50 g", "A01-2"),
    Product("SALT", "Tata Salt 1 kg", "A01-1"),
    Product("PEAS", "Safal Frozen Peas 500 g", "F05-2"),
    Product("ICE", "Amul Vanilla 1 l", "F01-1"),
]
# FAST in 4 orders, PEAS in 3, SLOW in 2, SALT and ICE in 1; NOBIN has no bin (left out).
ORDERS = {
    "O1": ["FAST", "PEAS", "SLOW"],
    "O2": ["FAST", "PEAS"],
    "O3": ["FAST", "ICE", "NOBIN"],
    "O4": ["FAST", "SLOW", "SALT"],
    "O5": ["PEAS"],
}
MOVES = [
    Move("FAST", "", "B05-3", "A02-1", None, 0.4, 1.0, 1.0, 4),  # to an empty bin
    Move("PEAS", "", "F05-2", "F01-1", "ICE", 0.3, 1.0, 1.0, 4),  # a swap: ICE goes to F05-2
]


def test_after_the_moves_each_moved_products_picks_are_at_its_new_bay(example):
    assert bins_after({p.sku: p.bin for p in PRODUCTS}, MOVES) == {
        "FAST": "A02-1", "SLOW": "A01-2", "SALT": "A01-1", "PEAS": "F01-1", "ICE": "F05-2",
    }  # fmt: skip
    before, after = heat_before_after(example, PRODUCTS, ORDERS, MOVES)
    # By hand: B05 = FAST 4; A01 = SLOW 2 + SALT 1; F05 = PEAS 3; F01 = ICE 1.
    assert before == {"B05": 4, "A01": 3, "F05": 3, "F01": 1}
    # FAST's 4 at A02, B05 empty; PEAS's 3 at F01 and ICE's 1 at F05; A01 as it was.
    assert after == {"A02": 4, "A01": 3, "F01": 3, "F05": 1}
    b, a = summarize(example, before, "w"), summarize(example, after, "w")
    assert b.total == a.total == 11
    assert b.zones == a.zones == {"ambient": 7, "frozen": 4}
    assert b.aisles == {"A": 3, "B": 4, "C": 0, "F": 4} and a.aisles["A"] == 7


def test_on_the_device_a_bins_picks_follow_its_product(example):
    """The device holds picks per bin, not orders: moving each bin's picks with its product
    gives the same heat as re-counting the orders with the products at their new bins."""
    by_bin: dict[str, int] = {}
    for skus in ORDERS.values():
        for sku in skus:
            bin_ = next((p.bin for p in PRODUCTS if p.sku == sku), None)
            if bin_ is not None:
                by_bin[bin_] = by_bin.get(bin_, 0) + 1
    moves = [(m.from_bin, m.to_bin, m.swap_sku is not None) for m in MOVES]
    after = bin_picks_after(by_bin, moves)
    # By hand: FAST's 4 to the empty A02-1 (B05-3 left with none); PEAS 3 and ICE 1 swapped.
    assert after == {"A02-1": 4, "A01-2": 2, "A01-1": 1, "F01-1": 3, "F05-2": 1}
    bins = bins_after({p.sku: p.bin for p in PRODUCTS}, MOVES)
    bays: dict[str, int] = {}
    for bin_, n in after.items():
        bay = example.bin(bin_).bay.code
        bays[bay] = bays.get(bay, 0) + n
    assert bays == bay_picks(example, ORDERS, bins)
    assert bin_picks_after(by_bin, []) == by_bin


def _pair(example, width):
    before, after = heat_before_after(example, PRODUCTS, ORDERS, MOVES)
    b, a = summarize(example, before, "5 orders"), summarize(example, after, "5 orders")
    return heat_pair_lines(example, b, a, width, ("before", "after 2 moves"))


def test_side_by_side_when_the_width_holds_both(example):
    lines = _pair(example, 40)  # 16 + 4 + 16 columns of maps
    assert all(len(line) <= 40 for line in lines)
    assert lines[0].startswith("before") and lines[0][20:] == "after 2 moves"
    floor = lines[1 : 1 + example.height]
    r, c = example.bin("A02-1").bay.cell
    row = floor[r]
    assert row[c] == "A" and row[20 + c] in SHADES  # A02 picked only after
    r, c = example.bin("B05-3").bay.cell
    assert floor[r][c] in SHADES and floor[r][20 + c] == "B"  # B05 emptied
    assert floor[0][:16] == floor[0][20:] == example.rows[0]  # the walls alike
    assert sum(line.startswith("picks per bay (5 orders): ") for line in lines) == 1  # one legend
    notes = " ".join(line.strip() for line in lines[1 + example.height :])  # wrapped to 40
    assert "zones, before and after alike: ambient 7, frozen 4; total 11" in notes
    assert "bays that gain picks: A02 +4, F01 +2" in notes
    assert "bays that lose picks: B05 -4, F05 -2" in notes


def test_one_under_the_other_when_the_width_is_too_narrow(example):
    lines = _pair(example, 30)
    assert all(len(line) <= 30 for line in lines)
    h = example.height
    assert lines[0] == "before" and lines[1 : 1 + h] != lines[h + 3 : 2 * h + 3]
    assert lines[h + 1] == "" and lines[h + 2] == "after 2 moves"
    assert all(len(line) == example.width for line in lines[1 : 1 + h] + lines[h + 3 : 2 * h + 3])
    assert sum(line.startswith("picks per bay") for line in lines) == 1


def test_cli_heat_text_json_and_png(tmp_path, capsys, monkeypatch):
    png = tmp_path / "pair.png"
    args = ["slotting", "--days", "1", "--moves", "2", "--heat"]
    assert main([*args, "--json", "--png", str(png)]) == 0
    data = json.loads(capsys.readouterr().out)
    before, after = data["heat"]["before"]["bays"], data["heat"]["after"]["bays"]
    assert set(data["heat"]) == {"before", "after"} and before != after
    assert sum(before.values()) == sum(after.values()) > 0
    moved = {m["from_bin"].split("-")[0] for m in data["moves"]}
    assert any(after.get(bay, 0) < before.get(bay, 0) for bay in moved)
    with Image.open(png) as image:
        assert image.format == "PNG"
        width = image.size[0]
    layout = load_layout(DEMO_LAYOUT)
    one = heat_image(layout, summarize(layout, {}, "w")).size[0]
    assert 2 * one <= width <= 2.2 * one  # two maps and a gap

    monkeypatch.setenv("COLUMNS", "120")
    assert main(args) == 0
    text = capsys.readouterr().out
    head = next(line for line in text.splitlines() if line.startswith("before"))
    assert "after the 2 moves" in head  # side by side
    assert "zones, before and after alike: " in text and "bays that lose picks: " in text
    monkeypatch.setenv("COLUMNS", "50")
    assert main(args) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "before" in lines and "after the 2 moves" in lines  # one under the other

    assert main(["slotting", "--png", str(tmp_path / "x.png")]) == 2
    assert "give --heat too" in capsys.readouterr().err
