"""What to reorder (issue 14): below 3 days of the 14-day average sales, enough to cover 7 days;
hand-computed cases, the CSV for the supplier, and `picker-app reorder` on the demo store."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest

from picker_app.cli import main
from picker_app.domain.reorder import daily_sales, reorder_csv, reorder_list

UNTIL = datetime(2026, 11, 24, 22, 0, tzinfo=UTC)
PRODUCTS = {
    "MILK": ("Nandini Toned Milk 500 ml", "each"),
    "ATTA": ("Aashirvaad Atta, Whole Wheat 5 kg", "each"),
    "ONION": ("Onion", "kg"),
    "SALT": ("Tata Salt 1 kg", "each"),
}


def test_the_average_is_over_the_days_before_the_end():
    lines = [
        (UNTIL - timedelta(days=1), "MILK", 10.0),
        (UNTIL - timedelta(days=13), "MILK", 4.0),
        (UNTIL - timedelta(days=15), "MILK", 100.0),  # before the 14 days
        (UNTIL + timedelta(hours=1), "MILK", 100.0),  # after the end
        (UNTIL - timedelta(days=2), "ONION", 7.0),
    ]
    assert daily_sales(lines, UNTIL) == {"MILK": 1.0, "ONION": 0.5}


def test_below_three_days_is_reordered_to_cover_seven():
    per_day = {"MILK": 10.0, "ATTA": 2.0, "ONION": 1.3, "SALT": 1.0}
    on_hand = {"MILK": 25.0, "ATTA": 8.0, "ONION": 1.0}  # SALT: none in stock
    lines = reorder_list(per_day, on_hand, PRODUCTS)
    assert [(r.sku, r.days_left, r.suggest) for r in lines] == [
        ("SALT", 0.0, 7.0),  # nothing on hand: a week of sales
        ("ONION", pytest.approx(1 / 1.3), 8.5),  # 9.1 - 1 = 8.1 kg, in 0.5 kg steps
        ("MILK", 2.5, 45.0),  # 70 - 25
    ]  # ATTA covers 4 days: not yet


def test_the_csv_quotes_names_with_commas():
    lines = reorder_list({"ATTA": 5.0}, {"ATTA": 1.0}, PRODUCTS)
    rows = list(csv.reader(io.StringIO(reorder_csv(lines))))
    assert rows[0] == ["sku", "name", "unit", "on_hand", "per_day", "days_left", "order"]
    assert rows[1] == ["ATTA", "Aashirvaad Atta, Whole Wheat 5 kg", "each", "1", "5.00", "0.2",
                       "34"]  # fmt: skip


def test_cli_on_the_demo_store(tmp_path, capsys):
    out = tmp_path / "reorder.csv"
    assert main(["reorder", "--top", "3", "--csv", str(out)]) == 0
    text = capsys.readouterr().out
    first = text.splitlines()[0]
    assert "below 3 days of sales (the 14 days to 2026-11-24)" in first
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert rows and all(float(r["days_left"]) <= 3.0 for r in rows)  # 1 decimal: 2.96 is 3.0
    assert f"{len(rows)} products below 3 days" in first
    assert [float(r["days_left"]) for r in rows] == sorted(float(r["days_left"]) for r in rows)
    with pytest.raises(SystemExit) as stopped:
        main(["reorder", "--days", "90"])
    assert stopped.value.code == 2
    assert "days of sales must be 1 to 30, got '90'" in capsys.readouterr().err
