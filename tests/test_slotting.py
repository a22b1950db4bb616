"""Slotting advice (issue 14) on the spec's example layout: fast movers move nearer the pack
station within their zone, heavy ones only low; what a move saves is what planning its orders
again before and after gives (reproduced here with the route planner); `picker-app slotting`."""

from __future__ import annotations

import json

from picker_app.cli import main
from picker_app.domain.routing import RoutePlanner
from picker_app.domain.slotting import HEAVY_G, LOW_LEVELS, Product, advise

PRODUCTS = [
    Product("FAST", "Amul Taaza Toned Milk 500 ml", "B05-3", 530),
    Product("SLOW", "Hing 50 g", "A01-2", 60),
    Product("HEAVY", "Aashirvaad Atta 10 kg", "B10-1", 10_100),
    Product("PEAS", "Safal Frozen Peas 500 g", "F05-2", 520),
    Product("RICE", "India Gate Basmati 1 kg", "C05-1", 1_020),
]


def orders() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for i in range(30):
        out[f"OR{i:08d}"] = ["FAST"] + (["RICE"] if i % 3 == 0 else [])
    for i in range(20):
        out[f"OR1{i:07d}"] = ["HEAVY"]
    for i in range(25):
        out[f"OR2{i:07d}"] = ["PEAS"]
    out["OR30000000"] = ["SLOW"]
    return out


def test_moves_stay_in_their_zone_keep_heavy_items_low_and_save_what_replanning_gives(example):
    planner = RoutePlanner(example)
    all_orders = orders()
    moves = advise(example, PRODUCTS, all_orders, days=10, moves=5, planner=planner,
                   fast_share=0.6)  # fmt: skip
    by_sku = {m.sku: m for m in moves}
    assert "FAST" in by_sku and "PEAS" in by_sku and "HEAVY" in by_sku
    for m in moves:
        assert example.bin(m.to_bin).bay.zone == example.bin(m.from_bin).bay.zone
        assert m.metres_per_day > 0 and m.seconds_per_day == m.metres_per_day / 1.2
    assert example.bin(by_sku["HEAVY"].to_bin).level <= LOW_LEVELS
    assert PRODUCTS[2].weight_g and PRODUCTS[2].weight_g >= HEAVY_G
    assert example.bin(by_sku["PEAS"].to_bin).bay.zone == "frozen"
    # Each move's saving, planned again here over every order that holds either product.
    bins = {p.sku: p.bin for p in PRODUCTS}
    for m in moves:
        after = dict(bins)
        after[m.sku] = m.to_bin
        if m.swap_sku:
            after[m.swap_sku] = m.from_bin
        saved = 0.0
        for skus in all_orders.values():
            if m.sku in skus or (m.swap_sku and m.swap_sku in skus):
                saved += planner.plan([bins[s] for s in skus]).length_m
                saved -= planner.plan([after[s] for s in skus]).length_m
        assert abs(m.metres_per_day - saved / 10) < 1e-6, m
    # No bin or product is in two moves.
    keys = [k for m in moves for k in (m.sku, m.from_bin, m.to_bin, m.swap_sku) if k]
    assert len(keys) == len(set(keys))


def test_cli_on_the_demo_store(capsys):
    assert main(["slotting", "--days", "7", "--moves", "3", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["days"] == 7 and 0 < len(data["moves"]) <= 3
    assert data["metres_per_day"] == round(sum(m["metres_per_day"] for m in data["moves"]), 1)
    assert main(["slotting", "--days", "7", "--moves", "2"]) == 0
    text = capsys.readouterr().out
    assert "picker-minutes a day" in text and "->" in text
