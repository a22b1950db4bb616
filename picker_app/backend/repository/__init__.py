"""What the backend needs from its storage, as two interfaces: `Repository` (the routes, the
seeding and the batches) and `EventWrites` (one store's storage as the events of one batch see
it, inside the batch's transaction: what the effects read and write). repository/sqlite.py is
the one implementation today (the demo, the tests); a PostgreSQL one implements the same two.

Every write that a device must hear of records a change (kind `order`, `stock`, `count_task`)
in the same transaction, in the order the writes happen: the changes feed is the devices' copy.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import NamedTuple, Protocol, TypeVar, runtime_checkable

from picker_app.errors import PickerError
from picker_app.wire import ChangesPage, Snapshot, WireEvent

_T = TypeVar("_T")


class StorageUnavailable(PickerError):  # noqa: N818 - a sentence for people, as PickerError
    """The database of a request's store cannot be reached now: the backend answers 503 with
    this sentence and a Retry-After (app.py); nothing of the request was applied."""


class OrderLineRow(NamedTuple):
    """One line of an order as the effects read it (unit None: a SKU not in the catalog)."""

    sku: str
    qty: float
    qty_picked: float
    unit: str | None
    repick: float = 0  # sent back to picking from packing, not picked again yet


class CountTaskRow(NamedTuple):
    """One count task as the effects read it."""

    bin: str
    sku: str  # NULL in the schema, never written so
    state: str
    counted: float | None
    recount_of: str | None
    expected: float | None  # the book the submitted count is held against (None: not yet)


class SlotMoveRow(NamedTuple):
    """One accepted slotting move as the effects read it."""

    sku: str
    from_bin: str
    to_bin: str
    swap_sku: str | None
    state: str  # open, done


class ReplenishTaskRow(NamedTuple):
    """One pick-face replenishment task as the effects read it."""

    bin: str
    sku: str
    qty: float
    state: str  # open, done


class CountSchedule(NamedTuple):
    """The store's products by bin, pick lines by product (the order history), when each
    product was last counted and when the store started (ISO times, None: never)."""

    bins: dict[str, str]
    picks: dict[str, int]
    last_counted: dict[str, str]
    since: str | None


@dataclass(frozen=True)
class NewOrder:
    """An order a customer places: confirmed, promised at `promised_at` (ISO), its lines as
    (line_no, sku, qty); the repository gives it the next order id and ranks its substitutes."""

    promised_at: str
    lines: list[tuple[int, str, float]]
    area: str | None = None  # the customer's delivery area (printed on bag labels)
    substitutes: str = "allow"  # the customer's preference: "allow" or "refuse"


@dataclass(frozen=True)
class StoreData:
    """A store's starting data (seed.py reads it from fixtures/), in the column order of the
    backend's tables: catalog (sku, name, unit, weight_g, bin, category, price, gtin,
    store_code, demand), stock (bin, sku, on_hand), users (id, name, role, badge, pin_hash),
    order history (order_id, placed_at, sku, qty)."""

    catalog: list[tuple[object, ...]]
    stock: list[tuple[str, str, float]]
    users: list[tuple[str, str, str, str, str]]
    history: list[tuple[str, str, str, float]]
    layout: str | None = None
    layout_hash: str | None = None


class EventWrites(Protocol):
    """One store's storage inside one batch's transaction (the batch's events are applied in
    order; each one's writes are undone alone when `attempt` says the event is at fault)."""

    # The event log: every event_id kept forever, per store and device.
    def seen(self, device: str, event_id: str) -> tuple[str, str | None] | None:
        """(status, reason) this event got when it was first received, or None."""
        ...

    def expect(self, device: str, event_ids: Sequence[str]) -> None:
        """The batch names these events of `device`: `seen` may read them all at once."""
        ...

    def apply_all(self, run: Callable[[], _T]) -> _T:
        """Run a batch's events (`run`, which calls `attempt` for each) and return its result:
        if the storage finds an event at fault, as if each had been attempted alone (the
        storage may undo the batch and call `run` again)."""
        ...

    def attempt(self, effect: Callable[[], str | None]) -> str | None:
        """Run `effect` (an event's handler) so that its writes can be undone alone: its
        refusal, or why the storage could not apply it (its writes undone)."""
        ...

    def record_event(
        self, device: str, event: WireEvent, payload: str, received_at: str, reason: str | None
    ) -> None:
        """Keep the event (payload as JSON), applied or refused with `reason`."""
        ...

    # Orders.
    def order_state(self, order_id: str) -> tuple[str, str | None] | None:
        """(state, the device that claimed it) of a known order, or None."""
        ...

    def set_order(self, order_id: str, state: str, claimed_by: str | None = None) -> None:
        """Move a known order to `state` (claimed by `claimed_by` when given): a change. An
        unknown order is left alone, with no change."""
        ...

    def close_tote(self, order_id: str, tote: str | None, picker: str | None) -> None:
        """The order is `picked`, waiting in `tote` for packing; its claim released (packing
        is another device's work): a change."""
        ...

    def order_packing(self, order_id: str) -> tuple[str | None, list[str]]:
        """(the user who picked it, the bag ids its QC packed it into) of an order."""
        ...

    def record_qc(
        self, event_id: str, order_id: str, packer: str | None, result: str,
        discrepancies: list[dict[str, object]], bags: list[str], at: str,
    ) -> None:  # fmt: skip
        """Keep a QC result (with the picker and the lines picked, for error rates); a pass
        keeps the order's bags and frees its tote."""
        ...

    def record_label(
        self, event_id: str, order_id: str, bag: str | None, n: int | None, m: int | None,
        reprint: bool, at: str,
    ) -> None: ...  # fmt: skip

    def record_dispatch(
        self, event_id: str, order_id: str, rider: str | None, bags: list[str], at: str
    ) -> None: ...

    def line(self, order_id: str, line_no: int) -> OrderLineRow | None:
        """A line of an order, or None."""
        ...

    def substitutes(self, order_id: str, line_no: int) -> list[str]:
        """The SKUs recorded as substitutes for a line, oldest first."""
        ...

    def add_picked(self, order_id: str, line_no: int, qty: float) -> None:
        """Add `qty` (negative: put back) to what is picked of a line."""
        ...

    def add_short(self, order_id: str, line_no: int, qty: float) -> None:
        """Add `qty` to what is short of a line."""
        ...

    def add_repick(self, order_id: str, line_no: int, qty: float) -> None:
        """Add `qty` (negative: picked again) to what of a line is to be picked again."""
        ...

    def record_substitution(
        self, event_id: str, order_id: str, line_no: int, from_sku: str, to_sku: str, qty: float
    ) -> None: ...

    # Stock.
    def on_hand(self, bin_: str, sku: str) -> float | None:
        """The stock of `sku` in `bin_`, or None if it was never stocked there."""
        ...

    def add_stock(self, bin_: str, sku: str, delta: float, at: str, event_id: str) -> float:
        """Stock + `delta` (from 0 if none), moved at `at` by an event: a change. The stock
        after it."""
        ...

    def set_stock(self, bin_: str, sku: str, on_hand: float, at: str, event_id: str) -> None:
        """Stock set to `on_hand` at `at` by an event: a change."""
        ...

    def moved_after(self, bin_: str, sku: str, at: str) -> float:
        """How much the events recorded after `at` (a UTC ISO instant) changed the stock by."""
        ...

    def record_loss(
        self, event_id: str, kind: str, bin_: str, sku: str, qty: float, batch: str | None
    ) -> None: ...

    # Counting.
    def packed_by(self, order_id: str) -> str | None:
        """The device whose QC pass packed the order, or None."""
        ...

    def count_task(self, task_id: str) -> CountTaskRow | None: ...

    def open_count_task(
        self, task_id: str, bin_: str, sku: str, reason: str, recount_of: str | None = None
    ) -> None:
        """Open a count task unless one of that id exists: a change either way."""
        ...

    def submit_count(self, task_id: str, counted: float, expected: float) -> None:
        """The task's count is in (state `submitted`), held against the book `expected`: a
        change."""
        ...

    def decide_count(self, task_id: str, state: str, reason: str | None = None) -> None:
        """The task is `approved` or `rejected` (with the lead's reason): a change."""
        ...

    def add_count_entry(
        self, task_id: str, event_id: str, counter: str | None, counted: float, at: str,
        scanned: tuple[str, str],
    ) -> float:  # fmt: skip
        """One counter's count of the task, with when its first and last unit were scanned;
        returns the task's total (counts add up)."""
        ...

    def open_count_for(self, bin_: str, sku: str) -> bool:
        """Whether a count of `sku` in `bin_` is open or waits for a decision."""
        ...

    def skus_in_bin(self, bin_: str) -> list[str] | None:
        """The products stocked in (or slotted to) a bin; None for a bin the store lacks."""
        ...

    def count_schedule(self) -> CountSchedule:
        """What the schedule of cycle counts needs of the store."""
        ...

    def count_window(self, task_id: str) -> tuple[str | None, str | None]:
        """When the task's first unit and its last were scanned, by any of its counters (None:
        it has no counts)."""
        ...

    def counters(self, task_id: str) -> set[str]:
        """Who counted the task."""
        ...

    def set_needs_recount(self, task_id: str, needed: bool) -> None: ...

    def needs_recount(self, task_id: str) -> bool: ...

    def role_of(self, user_id: str) -> str | None:
        """The role of a person of this store, or None."""
        ...

    def may_count(self, user_id: str) -> bool:
        """Whether a store lead let this person take count tasks."""
        ...

    def set_may_count(self, user_id: str, allowed: bool) -> None:
        """Let a person take count tasks, or no longer: a change."""
        ...

    def velocity_class(self, sku: str) -> str:
        """A, B or C by the product's pick lines in the order history (domain.counting)."""
        ...

    def record_variance(
        self, task_id: str, bin_: str, sku: str, expected: float | None,
        counted: float | None, at: str,
    ) -> None: ...  # fmt: skip

    # Slotting moves (repository/sqlite_slotting.py).
    def store_layout(self) -> tuple[str | None, str | None]:
        """(the layout file the store names, its content hash), Nones when it names none."""
        ...

    def product_slot(self, sku: str) -> tuple[str | None, float | None] | None:
        """(bin, weight_g) of a product of the catalog, or None for an unknown product."""
        ...

    def slotted_in(self, bin_: str) -> list[str]:
        """The products the catalog slots to `bin_`, by SKU."""
        ...

    def set_product_bin(self, sku: str, bin_: str) -> None:
        """The product's bin is now `bin_`: a change (kind `sku`)."""
        ...

    def slot_move(self, move_id: str) -> SlotMoveRow | None: ...

    def moves_touching(self, skus: Sequence[str], bins: Sequence[str]) -> list[str]:
        """The open moves of any of these products or bins, by id."""
        ...

    def accept_slot_move(
        self, move_id: str, sku: str, from_bin: str, to_bin: str, swap_sku: str | None,
        lead: str | None, at: str,
    ) -> None:  # fmt: skip
        """An accepted move, open as a task: a change (kind `slot_move`)."""
        ...

    def finish_slot_move(self, move_id: str, qty: float, swap_qty: float | None, at: str) -> None:
        """The move is done: a change."""
        ...

    # Pick-face replenishment (repository/sqlite_reorder.py).
    def replenish_days(self) -> float:
        """The store's pick-face minimum, in days of a product's average sales."""
        ...

    def sales_per_day(self, sku: str, until: str, days: int) -> float:
        """The product's average sales a day over the `days` UTC days to `until`'s (a UTC ISO
        instant): the order history and the picks applied (sales_by_day)."""
        ...

    def record_sale(self, sku: str, qty: float, at: str) -> None:
        """A pick applied: `qty` of `sku` sold on the UTC day of `at` (sales_by_day)."""
        ...

    def open_replenish_for(self, bin_: str, sku: str) -> bool:
        """Whether a replenishment task of `sku` in `bin_` is open."""
        ...

    def open_replenish_task(self, task_id: str, bin_: str, sku: str, qty: float, at: str) -> None:
        """Open a task to bring `qty` of `sku` to `bin_`, unless one of that id exists: a
        change (kind `replenish_task`)."""
        ...

    def replenish_task(self, task_id: str) -> ReplenishTaskRow | None: ...

    def finish_replenish_task(self, task_id: str, brought: float, at: str) -> None:
        """The task is done, `brought` units brought: a change."""
        ...


@runtime_checkable
class Sharded(Protocol):
    """A repository over several databases (repository/sharded.py): a store's requests go to
    the one `for_store` gives (a PickerError for a store it does not serve)."""

    def for_store(self, store: str) -> Repository: ...


class Repository(Protocol):
    """The backend's storage, as the routes, the seeding and the batches use it."""

    def ready(self) -> Repository:
        """Connect (and create or migrate the schema) now, or StorageUnavailable saying why
        the database cannot be reached; itself."""
        ...

    def add_device(self, store: str, device: str = "", roles: Iterable[str] | None = None) -> str:
        """Issue a bearer token for one device of one store, used by people of `roles` (None:
        every role); only its hash is kept."""
        ...

    def device_roles(self, store: str, device: str) -> frozenset[str] | None:
        """The roles whose people use `device` of `store` (None: every role)."""
        ...

    def revoke_device(self, store: str, device: str) -> int:
        """Forget every token of `device` of `store` (a lost device); how many there were."""
        ...

    def device_for(self, token: str, store: str) -> tuple[str, str] | None:
        """The (device, store) a token was issued to, or None, looked up where `store`'s data
        is kept (a request about `store`)."""
        ...

    def snapshot(self, store: str) -> Snapshot:
        """Everything a device of `store` needs, with the cursor it covers (one read)."""
        ...

    def changes(self, store: str, cursor: int, limit: int) -> ChangesPage | None:
        """Up to `limit` changes after `cursor`; None when the cursor is unknown or too old."""
        ...

    def event_writes(self, store: str) -> AbstractContextManager[EventWrites]:
        """One write transaction for one batch of `store`'s events (committed at the end of
        the block, rolled back if it raises)."""
        ...

    def demand(self, store: str) -> list[tuple[str, str, float]]:
        """(sku, unit, demand weight) of each product of the catalog, by SKU."""
        ...

    def insert_orders(self, store: str, orders: Sequence[NewOrder]) -> int:
        """Place `orders` in one transaction, numbered after the last order, each line with
        the backend's substitutes ranked on the stock of now; returns how many."""
        ...

    def cancel_order(self, store: str, order_id: str) -> bool:
        """The customer cancels an order (before dispatch); False if it cannot be."""
        ...

    def has_catalog(self, store: str) -> bool: ...

    def set_replenish_days(self, store: str, days: float) -> None:
        """The store's pick-face minimum, in days of a product's average sales."""
        ...

    def load_store(self, store: str, data: StoreData) -> None:
        """Load a store's starting data in one transaction."""
        ...
