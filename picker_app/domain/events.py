"""The facts a device reports to the backend (DESIGN.md, events device -> backend): one frozen
pydantic model per event type for its payload, and `EVENT_TYPES` derived from them.

The backend validates every payload it receives against its model (numbers finite and within
SQLite's 64-bit integers, strings bounded) and refuses, naming the field, what does not fit.

`extra="ignore"`: a key a model does not name is left out of the model (the payload is kept as
sent). Facts happened on the floor: refusing a pick because a newer (or older) app version adds a
key beside the ones the backend needs would lose a real stock movement, and the device would have
no way to fix it but to drop it. A key that *is* named is checked strictly, so a typo of a needed
key (`qyt`) is still refused as that key missing. The size of the whole payload is bounded by the
backend, so ignored keys cannot be used to store megabytes.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

INT64_MAX = 2**63 - 1  # SQLite's INTEGER
MAX_QTY = 1_000_000.0  # units or kg in one event: far above any shelf, far below overflow
MAX_LIST = 50  # orders of a task, totes, discrepancies (a batch pick takes a handful)
# A payload as JSON: the largest the device writes (stock_picked) is about 250 bytes; a task of
# MAX_LIST orders and totes still fits.
MAX_PAYLOAD_BYTES = 8192

Code = Annotated[str, StringConstraints(min_length=1, max_length=64)]
"""An identifier: order, task, SKU, bin, tote, GTIN, batch, user."""
Text = Annotated[str, StringConstraints(max_length=200)]
"""A short sentence or name (why an item went back, a rider)."""
LineNo = Annotated[int, Field(strict=True, ge=1, le=INT64_MAX)]
Count = Annotated[int, Field(strict=True, ge=0, le=INT64_MAX)]
Qty = Annotated[float, Field(strict=True, gt=0, le=MAX_QTY)]
"""A quantity moved: more than nothing (units, or kg for weighed items)."""
Found = Annotated[float, Field(strict=True, ge=0, le=MAX_QTY)]
"""A quantity found or counted: may be nothing."""


class EventPayload(BaseModel):
    """What every payload shares: frozen, finite numbers only, unknown keys ignored."""

    model_config = ConfigDict(frozen=True, extra="ignore", allow_inf_nan=False)

    def order_ids(self) -> tuple[str, ...]:
        """The orders this fact is about (their state and claim decide whether it applies)."""
        order = getattr(self, "order", None)
        return (order,) if order else ()


class PickStarted(EventPayload):
    task: Code
    orders: tuple[Code, ...] = Field(min_length=1, max_length=MAX_LIST)
    totes: tuple[Code, ...] = Field(default=(), max_length=MAX_LIST)

    def order_ids(self) -> tuple[str, ...]:
        return self.orders


class StockPicked(EventPayload):
    order: Code | None = None
    line: LineNo | None = None
    sku: Code
    bin: Code
    qty: Qty
    gtin: Code | None = None
    batch: Code | None = None
    expiry: Code | None = None
    weight_kg: Found | None = None


class PickShorted(EventPayload):
    order: Code
    line: LineNo
    sku: Code | None = None
    qty: Found


class OutOfStockFlagged(EventPayload):
    order: Code | None = None
    line: LineNo | None = None
    sku: Code
    bin: Code
    qty_found: Found | None = None


class _WriteOff(EventPayload):
    sku: Code
    bin: Code
    qty: Qty
    batch: Code | None = None
    for_order: Code | None = None  # the order being picked when it was found (not claimed)


class StockExpired(_WriteOff):
    pass


class StockDamaged(_WriteOff):
    pass


class StockReturned(EventPayload):
    order: Code | None = None
    line: LineNo | None = None
    sku: Code
    bin: Code
    qty: Qty
    why: Text | None = None


class SubstitutionMade(EventPayload):
    order: Code
    line: LineNo
    from_sku: Code
    to_sku: Code
    qty: Qty


class ToteClosed(EventPayload):
    order: Code
    tote: Code | None = None


class Discrepancy(EventPayload):
    line: LineNo
    sku: Code | None = None
    qty: Found | None = None
    note: Text | None = None


class QcCompleted(EventPayload):
    order: Code
    result: Literal["pass", "fail"]
    discrepancies: tuple[Discrepancy, ...] = Field(default=(), max_length=MAX_LIST)


class LabelPrinted(EventPayload):
    order: Code
    bag: Count | None = None
    bags: Count | None = None


class OrderDispatched(EventPayload):
    order: Code
    rider: Text | None = None
    bags: Count | None = None


class CountSubmitted(EventPayload):
    task: Code
    bin: Code | None = None
    sku: Code | None = None
    counted: Found
    counter: Code | None = None


class _CountDecision(EventPayload):
    task: Code
    lead: Code | None = None


class CountApproved(_CountDecision):
    pass


class CountRejected(_CountDecision):
    pass


PAYLOADS: dict[str, type[EventPayload]] = {
    "pick_started": PickStarted,
    "stock_picked": StockPicked,
    "pick_shorted": PickShorted,
    "out_of_stock_flagged": OutOfStockFlagged,
    "stock_expired": StockExpired,
    "stock_damaged": StockDamaged,
    "stock_returned": StockReturned,
    "substitution_made": SubstitutionMade,
    "tote_closed": ToteClosed,
    "qc_completed": QcCompleted,
    "label_printed": LabelPrinted,
    "order_dispatched": OrderDispatched,
    "count_submitted": CountSubmitted,
    "count_approved": CountApproved,
    "count_rejected": CountRejected,
}
"""Each event type's payload model."""

EVENT_TYPES = frozenset(PAYLOADS)


def payload_problem(type_: str, payload: dict[str, object]) -> str | None:
    """Why `payload` is not a valid `type_` event (the first field that fails), or None: the
    device checks what it records against the same models the backend applies."""
    model = PAYLOADS.get(type_)
    if model is None:
        return f"unknown event type {type_!r}"
    try:
        model.model_validate(payload)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "payload"
        return f"{where}: {first['msg']}"
    return None
