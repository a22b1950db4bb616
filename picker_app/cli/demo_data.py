"""The demo store's catalog and order history as the lead's commands read them (heatmap, reorder,
slotting): each file parsed in one place."""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path
from typing import NamedTuple


class HistoryLine(NamedTuple):  # a tuple: 97,000 of them are made for each command
    placed_at: datetime
    order_id: str
    sku: str
    qty: float


def history(fixtures: Path) -> list[HistoryLine]:
    """Every line of the demo's 30 days of orders (`order_history.csv`)."""
    with open(fixtures / "order_history.csv", encoding="utf-8") as f:
        return [
            HistoryLine(datetime.fromisoformat(r["placed_at"]), r["order_id"], r["sku"],
                        float(r["qty"]))
            for r in csv.DictReader(f)
        ]  # fmt: skip


def catalog(fixtures: Path) -> list[dict[str, str]]:
    """The demo's products (`catalog.csv`), a row each as its header names the columns."""
    with open(fixtures / "catalog.csv", encoding="utf-8") as f:
        return list(csv.DictReader(f))
