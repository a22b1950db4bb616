"""The demo data in fixtures/: valid codes, real bins, right zones, skewed demand, up to date."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from biip.checksums import gs1_standard_check_digit

from picker_app.cli import load_layout
from picker_app.domain.auth import pin_problem
from picker_app.domain.layout import Layout
from picker_app.domain.scan import interpret

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
SCRIPT = FIXTURES / "make_fixtures.py"

CHILLED = {
    "Milk",
    "Curd & yoghurt",
    "Buttermilk & lassi",
    "Paneer & tofu",
    "Butter & cream",
    "Cheese",
    "Chilled ready-to-cook",
    "Herbs & leafy greens",
}
FROZEN = {"Frozen vegetables & snacks", "Ice cream"}
# Category -> the label of the aisle its (non-bulk) packs must be in: a sample across the store.
AISLE_LABEL = {
    "Milk": "Dairy chiller",
    "Cheese": "Dairy chiller",
    "Ice cream": "Frozen",
    "Atta & flours": "Staples & atta",
    "Rice": "Rice, dal & pulses",
    "Dal & pulses": "Rice, dal & pulses",
    "Oils": "Oils & ghee",
    "Masalas": "Masalas & spices",
    "Bread & buns": "Breakfast & spreads",
    "Eggs": "Breakfast & spreads",
    "Tea": "Tea, coffee & health drinks",
    "Chips & crisps": "Snacks & namkeen",
    "Biscuits": "Biscuits & cookies",
    "Chocolates": "Chocolates & sweets",
    "Soft drinks": "Beverages",
    "Noodles & pasta": "Instant food & noodles",
    "Diapers": "Baby care",
    "Oral care": "Personal care",
    "Laundry": "Home care",
    "Pooja needs": "Cleaning & pooja",
}
BULK_G = 9000


def read_csv(name: str) -> list[dict[str, str]]:
    with open(FIXTURES / name, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def layout() -> Layout:
    return load_layout(ROOT / "layouts" / "demo-store.toml")


@pytest.fixture(scope="module")
def catalog() -> list[dict[str, str]]:
    return read_csv("catalog.csv")


@pytest.fixture(scope="module")
def by_sku(catalog: list[dict[str, str]]) -> dict[str, dict[str, str]]:
    return {row["sku"]: row for row in catalog}


@pytest.fixture(scope="module")
def history() -> list[dict[str, str]]:
    return read_csv("order_history.csv")


@pytest.fixture(scope="module")
def meta() -> dict:
    return json.loads((FIXTURES / "meta.json").read_text(encoding="utf-8"))


def test_catalog_shape(catalog: list[dict[str, str]], by_sku: dict) -> None:
    assert 1800 <= len(catalog) <= 2200
    assert len(by_sku) == len(catalog)
    assert list(catalog[0]) == [
        "sku", "name", "brand", "category", "unit", "pack", "weight_g", "gtin", "store_code",
        "price_inr", "bin", "demand_weight",
    ]  # fmt: skip
    names = [row["name"] for row in catalog]
    assert len(set(names)) == len(names)
    for row in catalog:
        assert row["sku"].startswith("SKU-") and len(row["sku"]) == 10
        assert row["unit"] in ("each", "kg")
        assert (row["pack"] == "per kg") == (row["unit"] == "kg")
        assert 0 < int(row["weight_g"]) <= 30000
        price = Decimal(row["price_inr"])
        assert price > 0 and price.as_tuple().exponent == -2
        assert float(row["demand_weight"]) > 0


def test_gtins_valid_unique_and_not_restricted(catalog: list[dict[str, str]]) -> None:
    gtins = [row["gtin"] for row in catalog]
    assert len(set(gtins)) == len(gtins)
    for gtin in gtins:
        assert len(gtin) == 13 and gtin.isdigit() and gtin.startswith("890")
        assert not gtin.startswith("02") and gtin[:2] not in {f"2{d}" for d in range(10)}
        scan = interpret(gtin)
        assert scan.kind == "product", (gtin, scan.reason)
        assert scan.gtin == "0" + gtin


def test_bins_exist_and_hold_at_most_three(catalog: list[dict[str, str]], layout: Layout) -> None:
    for row in catalog:
        assert layout.bin(row["bin"]).code == row["bin"]
    per_bin = Counter(row["bin"] for row in catalog)
    assert max(per_bin.values()) <= 3
    assert len(per_bin) <= layout.bin_count


def test_categories_in_their_aisle_and_zone(catalog: list[dict[str, str]], layout: Layout) -> None:
    aisles: dict[str, set[str]] = defaultdict(set)
    for row in catalog:
        bay = layout.bin(row["bin"]).bay
        category = row["category"]
        if category in CHILLED:
            assert bay.zone == "chilled", row
        elif category in FROZEN:
            assert bay.zone == "frozen", row
        else:
            assert bay.zone == "ambient", row
        if int(row["weight_g"]) >= BULK_G:
            assert layout.aisle_labels[bay.aisle] == "Back wall: bulk staples", row
        else:
            aisles[category].add(bay.aisle)
    for category, letters in aisles.items():
        assert len(letters) == 1, (category, letters)
    for category, label in AISLE_LABEL.items():
        (letter,) = aisles[category]
        assert layout.aisle_labels[letter] == label, category


def test_store_codes_make_weight_labels(catalog: list[dict[str, str]]) -> None:
    codes = [row["store_code"] for row in catalog if row["store_code"]]
    assert len(set(codes)) == len(codes) >= 20
    for row in catalog:
        code = row["store_code"]
        assert bool(code) == (row["unit"] == "kg"), row
        if not code:
            continue
        assert len(code) == 5 and code.isdigit()
        body = f"21{code}00750"
        scan = interpret(body + str(gs1_standard_check_digit(body)))
        assert scan.kind == "variable_measure", (code, scan.reason)
        assert scan.net_weight_kg == pytest.approx(0.75)
        lookup = f"21{code}00000"
        assert scan.gtin == f"0{lookup}{gs1_standard_check_digit(lookup)}"


def test_order_history_skewed(catalog: list[dict[str, str]], history: list[dict]) -> None:
    ranked = sorted(catalog, key=lambda r: -float(r["demand_weight"]))
    top = {row["sku"] for row in ranked[: len(ranked) // 5]}
    share = sum(1 for line in history if line["sku"] in top) / len(history)
    assert 0.70 <= share <= 0.90, share
    leaders = " ".join(row["name"] for row in ranked[:25]).lower()
    for staple in ("milk", "bread", "eggs", "curd", "onion", "tomato", "banana"):
        assert staple in leaders, staple


def test_order_history_shape(by_sku: dict, history: list[dict[str, str]]) -> None:
    assert (FIXTURES / "order_history.csv").stat().st_size < 5_500_000
    lines: dict[str, list[dict[str, str]]] = defaultdict(list)
    for line in history:
        assert line["sku"] in by_sku, line
        lines[line["order_id"]].append(line)
    first, last = date(2026, 10, 26), date(2026, 11, 24)
    per_day: Counter[date] = Counter()
    per_hour: Counter[int] = Counter()
    previous = None
    for order_id, order in lines.items():
        scan = interpret(order_id)
        assert scan.kind == "order" and scan.code == order_id
        assert len(order) <= 12
        assert len({line["sku"] for line in order}) == len(order)
        stamps = {line["placed_at"] for line in order}
        assert len(stamps) == 1
        placed = datetime.fromisoformat(stamps.pop())
        assert placed.utcoffset() == timedelta(hours=5, minutes=30)
        assert first <= placed.date() <= last
        assert previous is None or placed >= previous
        previous = placed
        per_day[placed.date()] += 1
        per_hour[placed.hour] += 1
        for line in order:
            qty = Decimal(line["qty"])
            if by_sku[line["sku"]]["unit"] == "kg":
                assert Decimal("0.5") <= qty <= Decimal("1.5"), line
            else:
                assert qty == int(qty) >= 1, line
    assert len(per_day) == 30
    assert all(650 <= n <= 950 for n in per_day.values()), per_day
    sizes = Counter(len(order) for order in lines.values())
    assert sum(sizes[n] for n in range(3, 7)) > 0.5 * len(lines)
    morning = sum(per_hour[h] for h in range(7, 10)) / 3
    evening = sum(per_hour[h] for h in range(18, 22)) / 4
    afternoon = sum(per_hour[h] for h in range(13, 17)) / 4
    night = sum(per_hour[h] for h in range(0, 5)) / 5
    assert morning > 1.5 * afternoon and evening > 1.5 * afternoon and afternoon > 5 * night


def test_users(layout: Layout) -> None:
    users = read_csv("users.csv")
    roles = Counter(u["role"] for u in users)
    assert roles == {"picker": 12, "packer": 4, "lead": 2, "rider": 4}
    assert len({u["user_id"] for u in users}) == len(users)
    assert len({u["badge"] for u in users}) == len(users)
    for user in users:
        scan = interpret(user["badge"])
        assert scan.kind == "badge" and scan.code == user["badge"]
        assert len(user["pin"]) == (6 if user["role"] == "lead" else 4) and user["pin"].isdigit()
        assert pin_problem(user["role"], user["pin"]) is None
        assert user["name"].strip()


def test_stock_matches_catalog(catalog: list[dict[str, str]], by_sku: dict) -> None:
    stock = read_csv("stock.csv")
    assert list(stock[0]) == ["bin", "sku", "on_hand"]
    assert sorted(row["sku"] for row in stock) == sorted(by_sku)
    zero = 0
    for row in stock:
        item = by_sku[row["sku"]]
        assert row["bin"] == item["bin"]
        on_hand = Decimal(row["on_hand"])
        assert on_hand >= 0
        if item["unit"] == "each":
            assert on_hand == int(on_hand)
        zero += on_hand == 0
    assert 0 < zero < 0.1 * len(stock)


def test_meta(meta: dict, catalog: list, history: list, layout: Layout) -> None:
    assert meta["store_id"] == "BLR-KOR-01" == layout.id
    assert meta["layout"] == "layouts/demo-store.toml"
    assert meta["layout_content_hash"] == layout.content_hash
    assert meta["counts"]["skus"] == len(catalog)
    assert meta["counts"]["order_lines"] == len(history)
    assert meta["order_history"]["first_day"] == "2026-10-26"
    assert meta["order_history"]["last_day"] == "2026-11-24"


def test_generator_check_passes() -> None:
    venv = ROOT / ".venv" / "bin" / "python"
    python = str(venv) if venv.exists() else sys.executable
    result = subprocess.run(
        [python, str(SCRIPT), "--check"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_customers_areas_and_substitution_preference() -> None:
    meta = json.loads((FIXTURES / "meta.json").read_text(encoding="utf-8"))
    customers = meta["customers"]
    areas = customers["delivery_areas"]
    assert len(areas) >= 8 and abs(sum(areas.values()) - 1.0) < 1e-6
    assert 0 < customers["substitutes_refused_share"] < 0.5
