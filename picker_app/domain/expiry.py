"""The expiry sweep (issue 14): every unit of a category scanned, each judged by the date its
GS1 barcode carries (AI 17) against today and the shelf life a customer must still get for its
category (domain/packing.py DEFAULT_SHELF_LIFE_DAYS, the rule QC applies). Plain logic."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Literal

from picker_app.domain.packing import DEFAULT_SHELF_LIFE_DAYS

SOON_DAYS = 2  # warned this many days before a unit can no longer go to a customer

Verdict = Literal["expired", "pull", "soon", "ok", "undated"]


@dataclass(frozen=True)
class Judged:
    verdict: Verdict
    days_left: int | None  # to the date on the pack (None: no date in the barcode)

    @property
    def flagged(self) -> bool:
        return self.verdict in ("expired", "pull", "soon")


def judge(
    expiry: date | None, today: date, category: str | None,
    shelf_life_days: Mapping[str, int] = DEFAULT_SHELF_LIFE_DAYS,
) -> Judged:  # fmt: skip
    """`expired`: past its date (written off); `pull`: it keeps less than a customer of its
    category must get, so QC would refuse it (off the shelf, for a markdown); `soon`: it gets
    there within SOON_DAYS (sell it first); `ok`; `undated`: the barcode has no date."""
    if expiry is None:
        return Judged("undated", None)
    left = (expiry - today).days
    need = shelf_life_days.get((category or "").lower(), 0)
    if left < 0:
        return Judged("expired", left)
    if left < need:
        return Judged("pull", left)
    if left < need + SOON_DAYS:
        return Judged("soon", left)
    return Judged("ok", left)


def saying(name: str, judged: Judged, expiry: date | None) -> str:
    """What the sweeper is told of one unit."""
    when = f"{expiry:%d %b}" if expiry else ""
    left = judged.days_left
    return {
        "expired": f"{name}: expired {when}. Take it off the shelf: written off.",
        "pull": f"{name}: keeps {left} day{'s' if left != 1 else ''} ({when}), too short for a"
        " customer. Take it off the shelf for a markdown.",
        "soon": f"{name}: keeps {left} days ({when}). Put it at the front: sell it first.",
        "ok": f"{name}: fine until {when}.",
        "undated": f"{name}: no date in this barcode. Check the pack by eye.",
    }[judged.verdict]
