"""Wire models of the sync protocol: the same pydantic models on the device (store, sync) and the
backend (so the backend's OpenAPI at /openapi.json is the contract). A neutral module: the store
applies snapshots and changes without importing sync."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

EventStatus = Literal["applied", "duplicate", "rejected"]


class _Wire(BaseModel):
    model_config = ConfigDict(extra="forbid")


class WireEvent(_Wire):
    """One fact recorded on a device, as sent."""

    event_id: str = Field(min_length=1, max_length=64)
    device: str = Field(min_length=1, max_length=64)
    seq: int = Field(ge=1, le=2**63 - 1)  # SQLite's INTEGER
    type: str = Field(min_length=1, max_length=64)
    user: str | None = Field(default=None, max_length=64)
    created_at: str = Field(min_length=1, max_length=64)
    payload: dict[str, Any]


class EventBatch(_Wire):
    """Events in per-device order; a retried batch is the same request (same batch_id)."""

    device: str = Field(min_length=1, max_length=64)
    batch_id: str = Field(min_length=1, max_length=64)
    events: list[WireEvent] = Field(max_length=5000)


class EventResult(_Wire):
    event_id: str
    status: EventStatus
    reason: str | None = None


class BatchResult(_Wire):
    batch_id: str
    results: list[EventResult]


class Refusal(_Wire):
    """Why the backend refused a request (FastAPI's error body): one sentence for a person."""

    detail: str = Field(min_length=1)


class Health(_Wire):
    status: Literal["ok"] = "ok"
    time: str


class SkuWire(_Wire):
    sku: str
    name: str
    unit: Literal["each", "kg"]
    weight_g: float | None = None
    bin: str | None = None
    category: str | None = None
    price: float | None = None
    gtins: list[str] = Field(default_factory=list)
    store_code: str | None = None


class StockWire(_Wire):
    bin: str
    sku: str
    on_hand: float


class UserWire(_Wire):
    id: str
    name: str
    role: Literal["picker", "packer", "lead", "rider"]
    badge: str
    pin_hash: str
    may_count: bool = False
    """A store lead let this person take count tasks (leads always may)."""


class OrderLineWire(_Wire):
    line_no: int
    sku: str
    qty: float
    suggestions: list[str] = Field(default_factory=list)
    """The backend's substitutes for this line if it cannot be picked, best first (SKUs)."""
    picked: float = 0.0
    short: float = 0.0
    substitute: str | None = None
    """What the picker put in the tote instead (its SKU), for packing to check."""
    repick: float = 0.0
    """How much of the line packing sent back to be picked again."""


class OrderWire(_Wire):
    id: str
    promised_at: str | None = None
    state: str
    priority: int = 0
    area: str | None = None
    substitutes: Literal["allow", "refuse"] = "allow"
    """The customer's preference: may a line be filled with another product?"""
    tote: str | None = None
    """The tote the order waits in at packing (from the picker's tote_closed)."""
    bags: list[str] = Field(default_factory=list)
    """The bag ids QC packed it into (for the handover to a rider)."""
    lines: list[OrderLineWire]


class CountTaskWire(_Wire):
    id: str
    bins: list[str]
    sku: str | None = None
    reason: Literal["oos_flag", "variance", "cycle", "zero_confirm", "lead"]
    state: str
    recount_of: str | None = None
    counted: float | None = None
    """What was counted, once the count is in and a lead may decide it (else None)."""
    book: float | None = None
    """The book it is held against, for the lead who decides (None while the bin is counted:
    counts are blind)."""


class SlotMoveWire(_Wire):
    """A slotting move a lead accepted (issue 14): a task while `open`, `done` once moved."""

    id: str
    sku: str
    from_bin: str
    to_bin: str
    swap_sku: str | None = None
    """The product that goes back the other way (to `from_bin`), if `to_bin` was not empty."""
    state: Literal["open", "done"]


class SlotAdvice(_Wire):
    """One advised move: what goes where and what it saves a day."""

    id: str
    """The move's id, named when a lead accepts it (slot_move_accepted)."""
    sku: str
    name: str
    from_bin: str
    to_bin: str
    swap_sku: str | None = None
    picks_per_day: float
    metres_per_day: float
    seconds_per_day: float


class SlottingAdvice(_Wire):
    """The backend's slotting advice for a store, measured on its order history."""

    as_of: str
    days: float
    orders: int
    moves: list[SlotAdvice]


class ReorderLineWire(_Wire):
    """One product to reorder: its stock, its sales a day, the days it covers, what to order."""

    sku: str
    name: str
    unit: Literal["each", "kg"]
    on_hand: float
    per_day: float
    days_left: float
    suggest: float


class ReorderList(_Wire):
    """What to reorder at a store (issue 14), fewest days of stock first: products whose stock
    covers fewer than `below` days of their average sales over the `days` to `as_of`, each
    with the quantity that covers `cover` days."""

    as_of: str
    days: int
    below: float
    cover: float
    lines: list[ReorderLineWire]


class ShrinkageGroupWire(_Wire):
    """The losses of one bin, aisle, zone, reason or day: net (stock found offsets stock
    missing) and absolute (it does not), in units and rupees; the net value as a percentage of
    the period's sales (None: no sales)."""

    key: str
    units: float
    value: float
    abs_units: float
    abs_value: float
    pct_of_sales: float | None


class ShrinkageLossWire(_Wire):
    """One of the largest losses: a count short of the book or a write-off."""

    source: Literal["count", "write_off"]
    ref: str
    bin: str
    sku: str | None
    name: str | None = None
    """The product's name in the catalog (None: not in it)."""
    reason: str
    day: str
    units: float
    value: float


class BinAccuracyWire(_Wire):
    """The approved counts of one bin: how many, how many within tolerance, units off."""

    bin: str
    counts: int
    within: int
    accurate: bool
    abs_units: float
    net_units: float


class CountAccuracyWire(_Wire):
    """How accurate the counts were: bins whose every count was within tolerance (`pct`: None
    when no bin was counted), and the counts' differences from the book, absolute and net."""

    bins: int
    accurate_bins: int
    pct: float | None
    counts: int
    counts_within: int
    abs_units: float
    abs_value: float
    net_units: float
    net_value: float
    by_bin: list[BinAccuracyWire]


class ShrinkageReportWire(_Wire):
    """A store's shrinkage over the `days` from `since` to `until` (issue 14): stock lost, net
    and absolute, in units and rupees; the period's sales; the net loss as a % of sales against
    `target_pct`; by bin, aisle, zone, reason and day; the largest losses; the counts'
    accuracy; the SKUs valued at 0 (no price); `left_out`: records without a readable time.
    The same figures as `picker-app shrinkage --json` (domain/shrinkage)."""

    store: str
    days: int
    since: str
    until: str
    units: float
    value: float
    abs_units: float
    abs_value: float
    sales_units: float
    sales_value: float
    loss_pct: float | None
    target_pct: float
    over_target: bool
    by_bin: list[ShrinkageGroupWire]
    by_aisle: list[ShrinkageGroupWire]
    by_zone: list[ShrinkageGroupWire]
    by_reason: list[ShrinkageGroupWire]
    by_day: list[ShrinkageGroupWire]
    top: list[ShrinkageLossWire]
    accuracy: CountAccuracyWire
    unpriced: list[str]
    left_out: int = 0


class ReplenishTaskWire(_Wire):
    """A pick face under its minimum (issue 14): bring `qty` of `sku` to `bin` from the back
    store; `open` until a device reports it done."""

    id: str
    bin: str
    sku: str
    qty: float
    state: Literal["open", "done"]


class BinPicks(_Wire):
    """How often a bin was picked over the history the backend keeps (for the heat map)."""

    bin: str
    picks: int


class Snapshot(_Wire):
    """Everything a device needs to work alone, as of `cursor`."""

    cursor: int
    store: str
    layout: str | None = None
    layout_hash: str | None = None
    skus: list[SkuWire]
    stock: list[StockWire]
    users: list[UserWire]
    orders: list[OrderWire]
    count_tasks: list[CountTaskWire] = Field(default_factory=list)
    slot_moves: list[SlotMoveWire] = Field(default_factory=list)
    replenish_tasks: list[ReplenishTaskWire] = Field(default_factory=list)
    bin_picks: list[BinPicks] = Field(default_factory=list)


class Change(_Wire):
    """One change after a cursor: the current state of an order, a stock row, a count task, a
    slotting move, a product (its bin, after a move) or a replenishment task."""

    seq: int
    order: OrderWire | None = None
    stock: StockWire | None = None
    count_task: CountTaskWire | None = None
    slot_move: SlotMoveWire | None = None
    sku: SkuWire | None = None
    replenish_task: ReplenishTaskWire | None = None
    user: UserWire | None = None


class ChangesPage(_Wire):
    changes: list[Change]
    next_cursor: int
    more: bool
