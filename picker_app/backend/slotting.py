"""The backend's slotting advice (issue 14): domain/slotting.advise over the store's catalog,
layout and order history (with the picks applied since), kept for a while since it takes
seconds to measure; and the store's layout, which the moves' effects check bins against.

The advice is kept by a fingerprint of what it was measured on (repository/sqlite_slotting),
so a product that changed bins is advised afresh at once, and for ADVICE_TTL_S at most."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

from picker_app.backend.repository.sqlite_slotting import (
    SlottingInputs,
    SlottingStorage,
    slotting_inputs,
)
from picker_app.domain.layout import BinCodeError, Layout, LayoutError, parse_layout
from picker_app.domain.slotting import Product, advise, orders_of
from picker_app.shipped import shipped_file
from picker_app.wire import SlotAdvice, SlottingAdvice

ADVICE_TTL_S = 900.0  # advice is measured again after 15 minutes at the latest
ADVISED = 12  # moves measured and advised, at most
_KEPT = 8  # stores' advice kept

_lock = threading.Lock()
_kept: dict[tuple[str, str], tuple[float, SlottingAdvice]] = {}
_measuring: dict[tuple[str, str], threading.Lock] = {}


def move_id(sku: str, from_bin: str, to_bin: str) -> str:
    """The id of the move of `sku` from `from_bin` to `to_bin` (the same every time it is
    advised, so that a move accepted twice is one move)."""
    return f"SM-{sku}-{from_bin}-{to_bin}"


@lru_cache(maxsize=8)
def _layout(name: str, content_hash: str | None) -> Layout | None:
    path = shipped_file(name) if not Path(name).is_absolute() else Path(name)
    try:
        layout = parse_layout(path.read_text(encoding="utf-8"), str(path))
    except (OSError, LayoutError):
        return None
    if content_hash and layout.content_hash != content_hash:
        return None
    return layout


def store_layout(name: str | None, content_hash: str | None) -> Layout | None:
    """The layout the store names (a shipped file, checked against its hash), or None."""
    return _layout(name, content_hash) if name else None


def advice(db: SlottingStorage, store: str) -> SlottingAdvice:
    """The moves advised for `store` now (kept for a while), less those that touch a product or
    a bin of a move already accepted and not done."""
    inputs = slotting_inputs(db, store)
    key = (store, inputs.fingerprint)
    with _lock:
        measuring = _measuring.setdefault(key, threading.Lock())
    with measuring:  # two devices asking at once: measured once
        with _lock:
            kept = _kept.get(key)
        if kept is None or time.monotonic() - kept[0] > ADVICE_TTL_S:
            kept = (time.monotonic(), _measure(inputs))
            with _lock:
                _kept[key] = kept
                while len(_kept) > _KEPT:
                    _measuring.pop(old := next(iter(_kept)), None)
                    _kept.pop(old)
    taken = {k for m in inputs.open_moves for k in (m.sku, m.from_bin, m.to_bin, m.swap_sku)}
    taken.discard(None)
    full = kept[1]
    moves = [
        m for m in full.moves if not {m.sku, m.from_bin, m.to_bin, m.swap_sku or m.sku} & taken
    ]
    return full.model_copy(update={"moves": moves})


def _in(layout: Layout, code: str) -> bool:
    try:
        layout.bin(code)
    except BinCodeError:
        return False
    return True


def _measure(inputs: SlottingInputs) -> SlottingAdvice:
    now = datetime.now(UTC).isoformat(timespec="seconds")
    layout = store_layout(inputs.layout, inputs.layout_hash)
    orders = orders_of(inputs.lines)
    if layout is None or not orders:
        return SlottingAdvice(as_of=now, days=inputs.days, orders=len(orders), moves=[])
    products = [
        Product(sku, name, bin_, weight)
        for sku, name, bin_, weight in inputs.products
        if _in(layout, bin_)
    ]
    moves = advise(layout, products, orders, inputs.days, ADVISED)
    return SlottingAdvice(
        as_of=now, days=inputs.days, orders=len(orders),
        moves=[
            SlotAdvice(
                id=move_id(m.sku, m.from_bin, m.to_bin), sku=m.sku, name=m.name,
                from_bin=m.from_bin, to_bin=m.to_bin, swap_sku=m.swap_sku,
                picks_per_day=round(m.picks_per_day, 2),
                metres_per_day=round(m.metres_per_day, 1),
                seconds_per_day=round(m.seconds_per_day, 1),
            )
            for m in moves
        ],
    )  # fmt: skip
