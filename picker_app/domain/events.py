"""The facts a device reports to the backend (DESIGN.md, events device -> backend): one frozen
pydantic model per event type, `AnyEvent` their union told apart by `type`, and `EVENT_TYPES`.

The device makes its events as these models (one that does not fit is this app's defect, refused
before anything is saved) and stores their payloads; the backend reads every event it receives
with the same `parse_event` (numbers finite and within SQLite's 64-bit integers, strings
bounded) and refuses, naming the field, what does not fit. Each side applies a model from one
handler table (store/projection.py, backend/effects.py).

`type` is a field of each model (the union's tag) but never part of a payload (`exclude=True`):
on the wire and in the outbox it is the payload's sibling, and a payload's JSON is the other
fields the event was made with, as the device has always written it.

`extra="ignore"`: a key a model does not name is left out of the model (the payload is kept as
sent). Facts happened on the floor: refusing a pick because a newer (or older) app version adds a
key beside the ones the backend needs would lose a real stock movement, and the device would have
no way to fix it but to drop it. A key that *is* named is checked strictly, so a typo of a needed
key (`qyt`) is still refused as that key missing. The size of the whole payload is bounded by the
backend, so ignored keys cannot be used to store megabytes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
    ValidationError,
)
from pydantic_core import ErrorDetails

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
    type: Literal["pick_started"] = Field(default="pick_started", exclude=True)
    task: Code
    orders: tuple[Code, ...] = Field(min_length=1, max_length=MAX_LIST)
    totes: tuple[Code, ...] = Field(default=(), max_length=MAX_LIST)

    def order_ids(self) -> tuple[str, ...]:
        return self.orders


class StockPicked(EventPayload):
    type: Literal["stock_picked"] = Field(default="stock_picked", exclude=True)
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
    type: Literal["pick_shorted"] = Field(default="pick_shorted", exclude=True)
    order: Code
    line: LineNo
    sku: Code | None = None
    qty: Found


class OutOfStockFlagged(EventPayload):
    type: Literal["out_of_stock_flagged"] = Field(default="out_of_stock_flagged", exclude=True)
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
    type: Literal["stock_expired"] = Field(default="stock_expired", exclude=True)


class StockDamaged(_WriteOff):
    type: Literal["stock_damaged"] = Field(default="stock_damaged", exclude=True)


class StockReturned(EventPayload):
    type: Literal["stock_returned"] = Field(default="stock_returned", exclude=True)
    order: Code | None = None
    line: LineNo | None = None
    sku: Code
    bin: Code
    qty: Qty
    why: Text | None = None


class SubstitutionMade(EventPayload):
    type: Literal["substitution_made"] = Field(default="substitution_made", exclude=True)
    order: Code
    line: LineNo
    from_sku: Code
    to_sku: Code
    qty: Qty


class ToteClosed(EventPayload):
    type: Literal["tote_closed"] = Field(default="tote_closed", exclude=True)
    order: Code
    tote: Code | None = None


class Discrepancy(EventPayload):
    line: LineNo | None = None  # None: an item of no line of the order (not_in_order)
    kind: Code | None = None  # domain.packing: not_in_order, over, expired, missing, ...
    sku: Code | None = None
    qty: Found | None = None
    note: Text | None = None


class QcCompleted(EventPayload):
    """Packing checked the order: `pass` (every line accounted for: packed into `bag_ids`), or
    `fail` (it waits at packing, e.g. for a line sent back to picking)."""

    type: Literal["qc_completed"] = Field(default="qc_completed", exclude=True)
    order: Code
    result: Literal["pass", "fail"]
    discrepancies: tuple[Discrepancy, ...] = Field(default=(), max_length=MAX_LIST)
    packer: Code | None = None
    bag_ids: tuple[Code, ...] = Field(default=(), max_length=MAX_LIST)


class LineRepickRequested(EventPayload):
    """Packing sent one line back to picking: `qty` of it is missing from the tote."""

    type: Literal["line_repick_requested"] = Field(default="line_repick_requested", exclude=True)
    order: Code
    line: LineNo
    sku: Code | None = None
    qty: Qty
    why: Text | None = None


class LabelPrinted(EventPayload):
    type: Literal["label_printed"] = Field(default="label_printed", exclude=True)
    order: Code
    bag: Count | None = None  # n of "bag n of m"
    bags: Count | None = None  # m
    bag_id: Code | None = None
    reprint: bool = False


class OrderDispatched(EventPayload):
    type: Literal["order_dispatched"] = Field(default="order_dispatched", exclude=True)
    order: Code
    rider: Text | None = None
    bags: Count | None = None
    bag_ids: tuple[Code, ...] = Field(default=(), max_length=MAX_LIST)
    dwell_s: Count | None = None  # from packed to handed over
    cold_late: tuple[Code, ...] = Field(default=(), max_length=MAX_LIST)  # past their window


class CountSubmitted(EventPayload):
    type: Literal["count_submitted"] = Field(default="count_submitted", exclude=True)
    task: Code
    bin: Code | None = None
    sku: Code | None = None
    counted: Found
    counter: Code | None = None
    done: bool = True  # False: one of several counters of the task, more counts follow
    # When the counter scanned the first unit and the last (the device's clock): the book is
    # read as of then, so picks of the bin during the count are not a variance.
    first_scan_at: AwareDatetime | None = None
    last_scan_at: AwareDatetime | None = None


class _CountDecision(EventPayload):
    task: Code
    lead: Code | None = None
    reason: Code | None = None  # domain.counting.REASONS


class StockNearExpiry(EventPayload):
    """A unit found in an expiry sweep that keeps too little for a customer (`pull`: off the
    shelf for a markdown) or soon will (`soon`: sell it first); an expired one is a
    stock_expired write-off instead."""

    type: Literal["stock_near_expiry"] = Field(default="stock_near_expiry", exclude=True)
    sku: Code
    bin: Code
    qty: Qty = 1.0
    batch: Code | None = None
    expiry: Code  # the date on the pack, YYYY-MM-DD
    verdict: Literal["pull", "soon"]


class CountPermissionSet(EventPayload):
    """A store lead lets a person take count tasks (`allowed`), or no longer."""

    type: Literal["count_permission_set"] = Field(default="count_permission_set", exclude=True)
    user: Code
    allowed: bool


class CountRequested(EventPayload):
    """A store lead asks for these bins to be counted (by aisle, bin or product, resolved to
    bins on the device); the backend opens a count task for each product in them."""

    type: Literal["count_requested"] = Field(default="count_requested", exclude=True)
    bins: tuple[Code, ...] = Field(min_length=1, max_length=MAX_LIST)


class CountApproved(_CountDecision):
    type: Literal["count_approved"] = Field(default="count_approved", exclude=True)


class CountRejected(_CountDecision):
    type: Literal["count_rejected"] = Field(default="count_rejected", exclude=True)


class SlotMoveAccepted(EventPayload):
    """A store lead accepts an advised slotting move (issue 14): `sku` goes from its bin
    `from_bin` to `to_bin` (and `swap_sku`, the product in `to_bin`, the other way); the backend
    opens it as a move task."""

    type: Literal["slot_move_accepted"] = Field(default="slot_move_accepted", exclude=True)
    move: Code
    sku: Code
    from_bin: Code
    to_bin: Code
    swap_sku: Code | None = None


class SlotMoved(EventPayload):
    """A move task done: `qty` of `sku` taken from `from_bin` and put to `to_bin` (and
    `swap_qty` of the swapped product back the other way); the backend moves the stock and the
    products' bins."""

    type: Literal["slot_moved"] = Field(default="slot_moved", exclude=True)
    move: Code
    sku: Code
    from_bin: Code
    to_bin: Code
    qty: Found
    swap_sku: Code | None = None
    swap_qty: Found | None = None


class StockReplenished(EventPayload):
    """A replenishment task done (issue 14): `qty` of `sku` brought from the back store to the
    pick face `bin`; the backend adds the stock and closes the task."""

    type: Literal["stock_replenished"] = Field(default="stock_replenished", exclude=True)
    task: Code
    bin: Code
    sku: Code
    qty: Qty


AnyEvent = Annotated[
    PickStarted
    | StockPicked
    | PickShorted
    | OutOfStockFlagged
    | StockExpired
    | StockDamaged
    | StockReturned
    | SubstitutionMade
    | ToteClosed
    | QcCompleted
    | LineRepickRequested
    | LabelPrinted
    | OrderDispatched
    | CountSubmitted
    | CountRequested
    | CountPermissionSet
    | StockNearExpiry
    | CountApproved
    | CountRejected
    | SlotMoveAccepted
    | SlotMoved
    | StockReplenished,
    Field(discriminator="type"),
]
"""Any event, told apart by its `type` (on the wire a sibling of its payload)."""

EVENTS: TypeAdapter[AnyEvent] = TypeAdapter(AnyEvent)
"""Reads `{"type": ..., **payload}` as that type's model."""

PAYLOADS: dict[str, type[EventPayload]] = {
    model.model_fields["type"].default: model for model in get_args(get_args(AnyEvent)[0])
}
"""Each event type's payload model."""

EVENT_TYPES = frozenset(PAYLOADS)
_TYPE_OF = {model.__name__: type_ for type_, model in PAYLOADS.items()}


class BadEvent(ValueError):
    """An event that cannot be read as its type says: `errors` (pydantic's, each `loc` inside
    the payload) say why, none if the type is unknown; `problem` is the first of them."""

    def __init__(self, type_: str, errors: Sequence[ErrorDetails] = ()) -> None:
        self.type = type_
        self.errors = list(errors)
        super().__init__(self.problem)

    @classmethod
    def built(cls, err: ValidationError) -> BadEvent:
        """The event this app was building when `err` was raised (by its model)."""
        return cls(_TYPE_OF.get(err.title, err.title), _details(err))

    @property
    def problem(self) -> str:
        if not self.errors:
            return f"unknown event type {self.type!r}"
        first = self.errors[0]
        where = ".".join(str(part) for part in first["loc"]) or "payload"
        return f"{where}: {first['msg']}"

    @property
    def refusal(self) -> str:
        """The sentence when this app made the event (its defect): nothing is saved."""
        return (
            f"this app made a {self.type} event the backend would refuse ({self.problem}); "
            "nothing was saved: tell your store lead"
        )


def parse_event(type_: str, payload: Mapping[str, Any]) -> AnyEvent:
    """The payload of event `type_` (as sent or stored: without the type) as its model; the
    device and the backend read events alike. BadEvent if it does not fit."""
    if type_ not in PAYLOADS:
        raise BadEvent(type_)
    try:
        return EVENTS.validate_python({**payload, "type": type_})
    except ValidationError as err:
        errors = _details(err)
        for error in errors:  # the union names the tag first: the fields are the payload's
            if error["loc"][:1] == (type_,):
                error["loc"] = error["loc"][1:]
        raise BadEvent(type_, errors) from None


def dump_payload(event: EventPayload) -> dict[str, Any]:
    """The event's payload as JSON values, as the device stores and sends it: the keys it was
    made with (None included), never its type (a sibling on the wire)."""
    return event.model_dump(mode="json", exclude_unset=True)


def payload_problem(type_: str, payload: Mapping[str, Any]) -> str | None:
    """Why `payload` is not a valid `type_` event (the first field that fails), or None."""
    try:
        parse_event(type_, payload)
    except BadEvent as err:
        return err.problem
    return None


def _details(err: ValidationError) -> list[ErrorDetails]:
    return err.errors(include_url=False, include_input=False)
