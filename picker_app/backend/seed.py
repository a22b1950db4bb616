"""A store's starting data and its customers: the demo store seeded from `fixtures/`, and
orders drawn by demand, placed now (`place_orders`, the demo's customers) or over the last
minutes (a seeded store's open orders). Storage-agnostic: written through the Repository."""

from __future__ import annotations

import csv
import hashlib
import json
import logging
import os
import random
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from picker_app.backend.clock import iso
from picker_app.backend.repository import NewOrder, Repository, StoreData
from picker_app.domain.demand import DEMO_DAY, DemandCurve
from picker_app.errors import UserError

# A quick-commerce order is promised for delivery this long after it is placed.
log = logging.getLogger(__name__)

DELIVERY_PROMISE = timedelta(minutes=10)
# A seeded store has a handful of orders open, as a real one has at a busy moment: placed over
# the last SEED_WINDOW, so their promises fall due over the coming 5-10 minutes.
DEFAULT_OPEN_ORDERS = 12
SEED_WINDOW = DELIVERY_PROMISE / 2


@dataclass(frozen=True)
class Customers:
    """Who places the orders: their delivery areas (with shares of orders) and the share who
    accept no substitutes (fixtures/meta.json, `customers`). Drawn from a hash of each order's
    placement and contents, so the orders' contents stay what their seed always drew."""

    areas: dict[str, float]
    refuse_share: float = 0.0

    @classmethod
    def from_meta(cls, meta: dict) -> Customers:
        found = meta.get("customers") or {}
        areas = dict(found.get("delivery_areas") or {})
        return cls(areas, float(found.get("substitutes_refused_share", 0)))

    def draw(self, key: str) -> tuple[str | None, str]:
        """(area, substitution preference) of the customer of the order `key` names."""
        digest = hashlib.blake2b(key.encode(), digest_size=8).digest()
        u = int.from_bytes(digest[:4], "big") / 2**32
        v = int.from_bytes(digest[4:], "big") / 2**32
        area = None
        if self.areas:
            total = sum(self.areas.values())
            acc = 0.0
            for name, share in self.areas.items():
                acc += share / total
                area = name
                if u < acc:
                    break
        return area, "refuse" if v < self.refuse_share else "allow"


def demo_customers() -> Customers:
    """The demo store's customers (the shipped fixtures)."""
    from picker_app.config import FIXTURES

    return Customers.from_meta(json.loads((FIXTURES / "meta.json").read_text(encoding="utf-8")))


def add_orders(
    repo: Repository,
    store: str,
    count: int,
    rng: random.Random,
    placed_at: Sequence[datetime] | None = None,
    customers: Customers | None = None,
) -> int:
    """New confirmed orders drawn by demand (as customers place them); returns how many.
    Each is promised DELIVERY_PROMISE after it is placed: now, or `placed_at[n]` for the
    n-th order when given (seeding a store whose orders came in over the last minutes).
    Each line is stored with the backend's substitutes for it, ranked on the stock of now."""
    rows = repo.demand(store)
    if placed_at is not None and len(placed_at) < count:
        raise ValueError(f"{count} orders but {len(placed_at)} placement times")
    if not rows or count <= 0:
        return 0
    weights = [r[2] for r in rows]
    orders: list[NewOrder] = []
    for n in range(count):
        k = max(1, int(rng.triangular(1, 10, 4)))
        picked = {r[0]: r for r in rng.choices(rows, weights=weights, k=k)}
        placed = placed_at[n] if placed_at is not None else datetime.now(UTC)
        lines: list[tuple[int, str, float]] = [
            (i + 1, sku, round(rng.uniform(0.5, 1.5), 2) if r[1] == "kg" else 1)
            for i, (sku, r) in enumerate(picked.items())
        ]
        area, substitutes = (customers or NO_CUSTOMERS).draw(f"{iso(placed)}|{lines}")
        orders.append(NewOrder(iso(placed + DELIVERY_PROMISE), lines, area, substitutes))
    return repo.insert_orders(store, orders)


NO_CUSTOMERS = Customers({})


def _pin_hashes(users: list[dict[str, str]]) -> list[str]:
    """Each user's PIN hash, made on all cores (scrypt lets go of the GIL; a hash takes about
    0.1 s); a PIN that will not do for its role (domain/auth.pin_problem) is refused, naming
    the user."""
    from concurrent.futures import ThreadPoolExecutor

    from picker_app.domain.auth import hash_pin, pin_problem

    for u in users:
        why = pin_problem(u["role"], u["pin"])
        if why:
            raise UserError(f"users.csv: {u['user_id']} ({u['role']}): {why}; nothing was loaded")
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        return list(pool.map(hash_pin, (u["pin"] for u in users)))


def seed_from_fixtures(
    db: Repository,
    fixtures: Path,
    store: str,
    open_orders: int = DEFAULT_OPEN_ORDERS,
    seed: int = 11,
    now: datetime | None = None,
    progress: Callable[[str, float], None] = lambda step, done: None,
    demand: DemandCurve = DEMO_DAY,
) -> dict[str, int]:
    """Load the demo store's catalog, stock and users from `fixtures/`, and `open_orders`
    confirmed orders drawn by demand (fixed seed), placed over the last SEED_WINDOW as the
    day's `demand` spreads them. Does nothing if the store has a catalog.
    `progress(step, share_done)` is told as it goes (for the first run's progress bar)."""
    from picker_app.domain.demand import placed_over

    if db.has_catalog(store):
        return {}
    progress("reading the catalog and stock", 0.0)
    with open(fixtures / "catalog.csv", encoding="utf-8") as f:
        catalog = list(csv.DictReader(f))
    with open(fixtures / "stock.csv", encoding="utf-8") as f:
        stock = list(csv.DictReader(f))
    with open(fixtures / "users.csv", encoding="utf-8") as f:
        users = list(csv.DictReader(f))
    progress("reading 30 days of order history", 0.1)
    with open(fixtures / "order_history.csv", encoding="utf-8") as f:
        history = [
            (r["order_id"], r["placed_at"], r["sku"], float(r["qty"])) for r in csv.DictReader(f)
        ]
    progress("loading the catalog, stock and staff", 0.4)
    hashes = _pin_hashes(users)
    meta = json.loads((fixtures / "meta.json").read_text(encoding="utf-8"))
    data = StoreData(
        catalog=[
            (r["sku"], r["name"], r["unit"], float(r["weight_g"] or 0), r["bin"], r["category"],
             float(r["price_inr"]), r["gtin"], r["store_code"] or None, float(r["demand_weight"]))
            for r in catalog
        ],
        stock=[(r["bin"], r["sku"], float(r["on_hand"])) for r in stock],
        users=[(u["user_id"], u["name"], u["role"], u["badge"], h)
               for u, h in zip(users, hashes, strict=True)],
        history=history,
        layout=meta.get("layout"),
        layout_hash=meta.get("layout_content_hash"),
    )  # fmt: skip
    db.load_store(store, data)
    # The open orders came in over the last SEED_WINDOW, oldest first, so their promises fall
    # due one after another over the coming minutes. A second generator keeps the order
    # contents what the fixed seed always drew.
    progress("placing the open orders", 0.8)
    now = now or datetime.now(UTC)
    when = random.Random(f"placed-{seed}")
    placed = placed_over(demand, now, SEED_WINDOW, open_orders, when)
    customers = Customers.from_meta(meta)
    added = add_orders(db, store, open_orders, random.Random(seed), placed, customers)
    progress("ready", 1.0)
    return {
        "skus": len(catalog),
        "stock": len(stock),
        "users": len(users),
        "orders": added,
        "history_lines": len(history),
    }


def place_orders(
    db: Repository,
    store: str,
    stream: Iterable[datetime],
    stop: threading.Event,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    seed: int = 2026,
    customers: Customers | None = None,
) -> None:
    """A store's customers (the demo's, `backend serve`'s): an order placed at each time of
    `stream` (e.g. domain.demand.arrivals), waiting on `clock` for it, until `stop` is set.
    The orders' contents are drawn with `seed`."""
    rng = random.Random(seed)
    customers = customers or demo_customers()
    for when in stream:
        if stop.wait(max(0.0, (when - clock()).total_seconds())):
            return
        try:
            add_orders(db, store, 1, rng, [when], customers)
        except Exception:  # the database down a moment (a chain's city): the next one comes
            log.exception("an order of %s could not be placed at %s", store, when)
