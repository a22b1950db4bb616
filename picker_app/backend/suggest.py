"""The backend's substitutes for an order line, and keeping them right as the stock moves.

A line's suggestions are ranked when its order is placed and stored with the line, with what
would change them: `watch`, the products ranked ahead of the last suggestion that were short
for the line then (all the short ones when there are fewer than SUGGESTIONS). A read (a page of
changes, a snapshot) checks each line against the stock it reads, a few look-ups per line: the
stored ones stand while every suggestion still has enough and nothing watched has got enough;
otherwise the line is ranked again, with one suggester built for the whole read. Either way a
line gets exactly what ranking it afresh on that stock would give.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable

SUGGESTIONS = 3  # substitutes the backend suggests per order line
_PACK_WORDS = {"kg", "g", "gm", "ml", "l", "ltr", "pcs", "pc", "pack", "of", "per", "x", "and"}


def name_words(name: str) -> set[str]:
    """What a product is, from its name: its words without the brand (the first word), the
    pack size and numbers."""
    parts = [w for w in re.findall(r"[a-z]+", name.lower())]
    return {w for w in parts[1:] if w not in _PACK_WORDS}


def stock_totals(conn: sqlite3.Connection, store: str) -> dict[str, float]:
    """On hand per SKU of `store`, all bins together."""
    return {
        sku: on_hand
        for sku, on_hand in conn.execute(
            "SELECT sku, SUM(on_hand) FROM stock WHERE store = ? GROUP BY sku", (store,)
        )
    }


class Suggester:
    """Substitutes for a line: other products of its category and unit with enough stock; the
    most alike first (more words of the product's name in common, brand and pack size aside),
    then the nearest pack size, then the ones customers buy most (the likeliest to be
    accepted)."""

    def __init__(
        self, catalog: list[tuple[str, str, str, str, float]], totals: dict[str, float]
    ) -> None:
        """`catalog`: (sku, category, unit, name, pack weight), best sellers first."""
        self.totals = totals
        self._kind = {sku: (category, unit) for sku, category, unit, _, _ in catalog}
        self._pack = {sku: weight for sku, _, _, _, weight in catalog}
        self._words = {sku: name_words(name) for sku, _, _, name, _ in catalog}
        self._groups: dict[tuple[str, str], list[str]] = {}
        for sku, category, unit, _, _ in catalog:
            self._groups.setdefault((category, unit), []).append(sku)
        self._ranked: dict[str, list[str]] = {}

    def ranked(self, sku: str) -> list[str]:
        """The other products of `sku`'s category and unit, the most alike first, stock aside."""
        found = self._ranked.get(sku)
        if found is None:
            words, pack = self._words[sku], self._pack[sku]
            alike = sorted(
                (-len(words & self._words[other]), abs(self._pack[other] - pack), n, other)
                for n, other in enumerate(self._groups[self._kind[sku]])
                if other != sku
            )  # then the same pack size; n keeps the best sellers first among equals
            found = self._ranked[sku] = [other for *_, other in alike]
        return found

    def rank(self, sku: str, qty: float) -> tuple[list[str], list[str]]:
        """(suggestions, watch) for a line of `qty` of `sku`: see the module's docstring."""
        if sku not in self._kind:
            return [], []
        chosen: list[str] = []
        watch: list[str] = []
        for other in self.ranked(sku):
            if self.totals.get(other, 0.0) >= qty:
                chosen.append(other)
                if len(chosen) == SUGGESTIONS:
                    break
            else:
                watch.append(other)
        return chosen, watch

    def __call__(self, sku: str, qty: float) -> list[str]:
        return self.rank(sku, qty)[0]


def build_suggester(conn: sqlite3.Connection, store: str) -> Suggester:
    """The suggester for `store` as `conn` sees its catalog and stock."""
    catalog = conn.execute(
        "SELECT sku, category, unit, name, COALESCE(weight_g, 0) FROM catalog WHERE store = ?"
        " ORDER BY demand DESC, sku",
        (store,),
    ).fetchall()
    return Suggester(catalog, stock_totals(conn, store))


class ReadSuggestions:
    """The suggestions of the lines one read sends: the stored ones checked against the stock
    of that read, the others ranked again by one suggester, built the first time one is."""

    def __init__(
        self, conn: sqlite3.Connection, store: str, build: Callable[[], Suggester]
    ) -> None:
        self._conn, self._store, self._build = conn, store, build
        self._totals: dict[str, float] | None = None
        self._suggester: Suggester | None = None
        self.reranked = 0  # lines ranked again in this read

    def line(self, sku: str, qty: float, stored: str | None, watch: str | None) -> list[str]:
        """The suggestions for a line of `qty` of `sku` with these stored ones (JSON; None
        for a line stored before suggestions were)."""
        if stored is not None and watch is not None:
            if self._totals is None:
                self._totals = stock_totals(self._conn, self._store)
            have = self._totals
            chosen: list[str] = json.loads(stored)
            if all(have.get(s, 0.0) >= qty for s in chosen) and not any(
                have.get(s, 0.0) >= qty for s in json.loads(watch)
            ):
                return chosen
        if self._suggester is None:
            self._suggester = self._build()
            self._totals = self._suggester.totals
        self.reranked += 1
        return self._suggester(sku, qty)
