"""What each event does in the backend (DESIGN.md, events device -> backend): one handler per
event type, in one table (HANDLERS). A handler gets the event as its typed model and returns why
the event is refused (a sentence the device can show), or None once its effect is applied, inside
the batch's transaction. Handlers hold the rules; the storage is behind EventWrites
(backend/repository/), so they hold no SQL.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

from picker_app.backend.intake import clip
from picker_app.backend.repository import EventWrites
from picker_app.backend.slotting import store_layout
from picker_app.domain.counting import DEFAULT_TOLERANCE, REASONS, book_during_count
from picker_app.domain.events import (
    EVENT_TYPES,
    AnyEvent,
    CountPermissionSet,
    CountRequested,
    CountSubmitted,
    LabelPrinted,
    LineRepickRequested,
    OrderDispatched,
    OutOfStockFlagged,
    PickShorted,
    PickStarted,
    QcCompleted,
    SlotMoveAccepted,
    SlotMoved,
    StockPicked,
    StockReplenished,
    StockReturned,
    SubstitutionMade,
    ToteClosed,
    _CountDecision,
    _WriteOff,
)
from picker_app.domain.layout import BinCodeError
from picker_app.domain.picking import pick_allowance
from picker_app.domain.reorder import SALES_DAYS, pick_face_minimum, replenish_qty
from picker_app.domain.slotting import LOW_LEVELS, Product, fits

_EPSILON = 1e-9  # float sums of picks (0.1 + 0.2)



@dataclass(frozen=True)
class Effect:
    """One event being applied: where, by which device (the token's), and when."""

    writes: EventWrites
    store: str
    device: str
    event_id: str
    received_at: str
    user: str | None = None  # who recorded it on the device (the event's user)
    created_at: str | None = None  # when the device recorded it (its clock)

    @cached_property
    def at(self) -> str:
        """When the event happened, as a UTC instant that sorts as text: the device's moment
        (devices keep their clocks to the store's time), or when it arrived if that is not
        a time."""
        return instant(self.created_at) or instant(self.received_at) or self.received_at

    def known_order(self, order_id: str) -> bool:
        return self.writes.order_state(order_id) is not None

    def no_line(self, order_id: str, line_no: int) -> str | None:
        """Why a known order's line cannot be named (it has no such line), or None."""
        if not self.known_order(order_id) or self.writes.line(order_id, line_no):
            return None
        return f"Order {order_id} has no line {line_no}."


def instant(value: str | datetime | None) -> str | None:
    """`value` as a UTC ISO instant to the microsecond (text order is time order), or None."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return None
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec="microseconds")


Handler = Callable[[Effect, Any], "str | None"]


def pick_started(fx: Effect, p: PickStarted) -> str | None:
    for order_id in p.orders:
        fx.writes.set_order(order_id, "picking", claimed_by=fx.device)
    return None


def _pick_refusal(fx: Effect, p: StockPicked, order_id: str, line_no: int) -> str | None:
    """Why a pick for a line of a known order is refused: no such line, another product than
    the line's or its recorded substitute, or more than the line still needs."""
    row = fx.writes.line(order_id, line_no)
    if row is None:
        return f"Order {order_id} has no line {line_no}: this pick cannot be counted."
    sku, ordered, done, unit, _ = row
    substitutes = fx.writes.substitutes(order_id, line_no)
    if p.sku != sku and p.sku not in substitutes:
        wanted = sku + (f" or its substitute {substitutes[-1]}" if substitutes else "")
        return (
            f"{clip(p.sku)} is not what line {line_no} of order {order_id} asks for ({wanted}):"
            " put it back."
        )
    if unit == "kg":
        allowed = pick_allowance(ordered, unit)
        if done + p.qty > ordered + allowed + _EPSILON:
            return (
                f"Line {line_no} of order {order_id} is {ordered:g} kg and {done:g} kg is picked:"
                f" {p.qty:g} kg more is beyond the {allowed * 1000:.0f} g allowed over;"
                " put it back."
            )
    elif done + p.qty > ordered + _EPSILON:
        return (
            f"Line {line_no} of order {order_id} needs {ordered:g} and {done:g} are picked:"
            f" {p.qty:g} more is too many; put the extra back."
        )
    return None


def stock_picked(fx: Effect, p: StockPicked) -> str | None:
    if p.order is not None and fx.known_order(p.order):
        if p.line is None:
            return f"A pick for order {p.order} needs its line number."
        why = _pick_refusal(fx, p, p.order, p.line)
        if why:
            return why
        fx.writes.add_picked(p.order, p.line, p.qty)
        fx.writes.add_repick(p.order, p.line, -p.qty)  # a re-pick of the line, if there is one
    left = fx.writes.add_stock(p.bin, p.sku, -p.qty, fx.at, fx.event_id)
    fx.writes.record_sale(p.sku, p.qty, fx.at)
    if left <= _EPSILON and not fx.writes.open_count_for(p.bin, p.sku):
        # The pick emptied the bin by the book: is it really empty? (a zero-confirm count)
        fx.writes.open_count_task(f"ZC-{fx.event_id[:8]}", p.bin, p.sku, "zero_confirm")
    _replenish_if_low(fx, p.bin, p.sku, left)
    return None


def _replenish_if_low(fx: Effect, bin_: str, sku: str, left: float) -> None:
    """A pick face under its minimum (days of its product's sales, this pick's among them; at
    least a unit) gets a replenishment task, unless one is open for it: up to its fill."""
    if fx.writes.open_replenish_for(bin_, sku):
        return
    per_day = fx.writes.sales_per_day(sku, fx.at, SALES_DAYS)  # this pick's sale among them
    minimum = pick_face_minimum(per_day, fx.writes.replenish_days())
    if left < minimum - _EPSILON:
        qty = replenish_qty(per_day, left, minimum)
        fx.writes.open_replenish_task(f"RP-{fx.event_id[:8]}", bin_, sku, qty, fx.at)


def stock_replenished(fx: Effect, p: StockReplenished) -> str | None:
    task = fx.writes.replenish_task(p.task)
    if task is None:
        return f"replenishment task {clip(p.task)!r} is not known to the backend"
    if task.state != "open":
        return f"replenishment task {p.task} is done already"
    if (p.bin, p.sku) != (task.bin, task.sku):
        return f"this is not task {p.task}: it brings {task.sku} to bin {task.bin}"
    fx.writes.add_stock(p.bin, p.sku, p.qty, fx.at, fx.event_id)
    fx.writes.finish_replenish_task(p.task, p.qty, fx.received_at)
    return None


def stock_returned(fx: Effect, p: StockReturned) -> str | None:
    qty = p.qty
    if p.order is not None and p.line is not None:
        line = fx.writes.line(p.order, p.line)
        if line is not None:
            # Only what the backend took off stock for this line can go back (its picks may
            # have been refused, e.g. the order was cancelled first).
            qty = max(0.0, min(qty, line.qty_picked))
            fx.writes.add_picked(p.order, p.line, -qty)
    fx.writes.add_stock(p.bin, p.sku, qty, fx.at, fx.event_id)
    return None


def _write_off(fx: Effect, p: _WriteOff, kind: str) -> str | None:
    fx.writes.add_stock(p.bin, p.sku, -p.qty, fx.at, fx.event_id)
    fx.writes.record_loss(fx.event_id, kind, p.bin, p.sku, p.qty, p.batch)
    return None


def stock_expired(fx: Effect, p: _WriteOff) -> str | None:
    return _write_off(fx, p, "expired")


def stock_damaged(fx: Effect, p: _WriteOff) -> str | None:
    return _write_off(fx, p, "damaged")


def out_of_stock_flagged(fx: Effect, p: OutOfStockFlagged) -> str | None:
    fx.writes.set_stock(p.bin, p.sku, 0, fx.at, fx.event_id)
    fx.writes.open_count_task(f"CT-{fx.event_id[:8]}", p.bin, p.sku, "oos_flag")
    return None


def pick_shorted(fx: Effect, p: PickShorted) -> str | None:
    why = fx.no_line(p.order, p.line)
    if why:
        return why
    # Once the order waits at packing, a line goes short only as QC's override: a store lead
    # lets it (the device asked for a lead's badge and PIN; the backend checks the role of the
    # person on the event again). A line sent back to picking is a picker's to short again.
    state = fx.writes.order_state(p.order)
    line = fx.writes.line(p.order, p.line)
    if state is not None and state[0] == "picked" and line is not None and line.repick <= 0:
        why = _not_a_lead(fx, fx.user, "let a line go short at packing")
        if why:
            return why
    fx.writes.add_short(p.order, p.line, p.qty)
    return None


def substitution_made(fx: Effect, p: SubstitutionMade) -> str | None:
    why = fx.no_line(p.order, p.line)
    if why:
        return why
    fx.writes.record_substitution(fx.event_id, p.order, p.line, p.from_sku, p.to_sku, p.qty)
    return None


def tote_closed(fx: Effect, p: ToteClosed) -> str | None:
    # Packing is another device's work: the picker's device lets go of the order here.
    fx.writes.close_tote(p.order, p.tote, fx.user)
    return None


def _not_at(fx: Effect, order_id: str, wanted: str, doing: str) -> str | None:
    """Why `doing` cannot be done to a known order that is not in state `wanted`, or None."""
    known = fx.writes.order_state(order_id)
    if known is None or known[0] == wanted:
        return None
    return f"Order {order_id} is {known[0]}, not {wanted}: it cannot be {doing}."


def qc_completed(fx: Effect, p: QcCompleted) -> str | None:
    why = _not_at(fx, p.order, "picked", "checked at packing")
    if why:
        return why
    discrepancies = [d.model_dump(mode="json", exclude_none=True) for d in p.discrepancies]
    fx.writes.record_qc(
        fx.event_id, p.order, p.packer or fx.user, p.result, discrepancies, list(p.bag_ids),
        fx.received_at,
    )  # fmt: skip
    if p.result == "pass":
        fx.writes.set_order(p.order, "packed")
    return None


def line_repick_requested(fx: Effect, p: LineRepickRequested) -> str | None:
    why = _not_at(fx, p.order, "picked", "sent back to picking") or fx.no_line(p.order, p.line)
    if why:
        return why
    # What is missing from the tote was not picked after all: picked again, it counts again.
    line = fx.writes.line(p.order, p.line)
    if line is not None:
        back = min(p.qty, line.qty_picked)
        fx.writes.add_picked(p.order, p.line, -back)
        fx.writes.add_repick(p.order, p.line, back)
    fx.writes.set_order(p.order, "picked")  # a change: the pickers' devices see the line
    return None


def label_printed(fx: Effect, p: LabelPrinted) -> str | None:
    by = fx.writes.packed_by(p.order)
    if by is not None and by != fx.device:
        # Another station's pass packed the order (this one's was refused): not its label.
        return (
            f"Order {p.order} was packed at another station ({clip(by)}): this label is not"
            " its. Keep these bags apart for the lead."
        )
    fx.writes.record_label(
        fx.event_id, p.order, p.bag_id, p.bag, p.bags, p.reprint, fx.received_at
    )
    return None


def order_dispatched(fx: Effect, p: OrderDispatched) -> str | None:
    why = _not_at(fx, p.order, "packed", "handed to a rider")
    if why:
        return why
    _, bags = fx.writes.order_packing(p.order)
    if p.bag_ids or bags:
        missing = [b for b in bags if b not in p.bag_ids]
        extra = [b for b in p.bag_ids if b not in bags]
        if extra:
            return f"Bag {extra[0]} is not a bag of order {p.order}: keep it at packing."
        if missing:
            return (
                f"Order {p.order} has {len(bags)} bags and bag {missing[0]} was not scanned:"
                " hand over every bag."
            )
    fx.writes.record_dispatch(fx.event_id, p.order, p.rider, list(p.bag_ids), fx.received_at)
    fx.writes.set_order(p.order, "dispatched")
    return None


def count_submitted(fx: Effect, p: CountSubmitted) -> str | None:
    task = fx.writes.count_task(p.task)
    if task is None:
        return f"count task {clip(p.task)!r} is not known to the backend"
    bin_, sku, state, _, recount_of, _ = task
    if state not in ("open", "submitted"):
        return f"count task {p.task} is {state} already: it takes no more counts"
    counter = p.counter or fx.user
    who = fx.writes.role_of(counter) if counter else None
    if who != "lead" and not (counter and fx.writes.may_count(counter)):
        whom = f"{clip(counter)} is a {who}" if who else "no counter of this store is named"
        return f"only a store lead, or someone a lead let count, may count: {whom}"
    if recount_of and counter and counter in fx.writes.counters(recount_of):
        return (
            f"{clip(counter)} counted {recount_of}: its recount must be done by someone else"
        )
    scanned = (instant(p.first_scan_at) or fx.at, instant(p.last_scan_at) or fx.at)
    if scanned[1] < scanned[0]:
        return "last_scan_at: the last unit cannot be scanned before the first (first_scan_at)"
    total = fx.writes.add_count_entry(
        p.task, fx.event_id, counter, p.counted, fx.received_at, scanned
    )
    if not p.done:
        return None  # another counter's count of the bin follows: they add up
    book = _book_while_counted(fx, p.task, bin_, sku, total)
    fx.writes.submit_count(p.task, total, book)
    cls = fx.writes.velocity_class(sku)
    if not recount_of and not DEFAULT_TOLERANCE.within(total, book, cls):
        fx.writes.open_count_task(f"{p.task}-R", bin_, sku, "variance", recount_of=p.task)
        fx.writes.set_needs_recount(p.task, True)
    return None


def _not_a_lead(fx: Effect, who: str | None, may: str) -> str | None:
    """Why `who` (the event's user, or the lead it names) may not `may`: not a store lead (the
    role the backend has for them); None for a lead."""
    role = fx.writes.role_of(who) if who else None
    if role == "lead":
        return None
    whom = f"{clip(who)} is a {role}" if role else "no store lead is named on it"
    return f"only a store lead may {may}: {whom}"


def count_permission_set(fx: Effect, p: CountPermissionSet) -> str | None:
    why = _not_a_lead(fx, fx.user, "let someone count")
    if why:
        return why
    target = fx.writes.role_of(p.user)
    if target is None:
        return f"{clip(p.user)} is not a person of this store"
    fx.writes.set_may_count(p.user, p.allowed)
    return None


def count_requested(fx: Effect, p: CountRequested) -> str | None:
    why = _not_a_lead(fx, fx.user, "ask for counts")
    if why:
        return why
    found = {b: fx.writes.skus_in_bin(b) for b in dict.fromkeys(p.bins)}
    unknown = [b for b, skus in found.items() if skus is None]
    if unknown:
        return f"no product is stocked in {', '.join(clip(b) for b in unknown[:5])}: check the bins"
    n = 0
    for bin_, skus in found.items():
        for sku in skus or ():
            if not fx.writes.open_count_for(bin_, sku):
                fx.writes.open_count_task(f"LC-{fx.event_id[:8]}-{n}", bin_, sku, "lead")
                n += 1
    return None


def _book_while_counted(fx: Effect, task_id: str, bin_: str, sku: str, counted: float) -> float:
    """The book a count is held against: the stock as it was while the bin was counted, from
    what is on hand now less what the events recorded since each moment moved it (picks on
    other devices too, and those that reach the backend late, once they are in)."""
    now = fx.writes.on_hand(bin_, sku) or 0.0
    first, last = (instant(t) for t in fx.writes.count_window(task_id))
    if first is None or last is None:
        return now
    return book_during_count(
        counted, now - fx.writes.moved_after(bin_, sku, first),
        now - fx.writes.moved_after(bin_, sku, last),
    )  # fmt: skip


def _count_decision(fx: Effect, p: _CountDecision, approved: bool) -> str | None:
    task = fx.writes.count_task(p.task)
    if task is None:
        return f"count task {clip(p.task)!r} is not known to the backend"
    who = fx.user or p.lead
    verb = "approve" if approved else "reject"
    why = _not_a_lead(fx, who, f"{verb} a count")
    if why:
        return why
    bin_, sku, state, counted, _, _ = task
    if state != "submitted":
        return f"count task {p.task} has no submitted count to {verb}"
    if fx.writes.needs_recount(p.task):
        return (
            f"count task {p.task} is off the book by more than its tolerance: decide its recount"
            f" {p.task}-R, done by someone else"
        )
    if p.reason is not None and p.reason not in REASONS:
        return f"reason {clip(p.reason)!r} is not one of {', '.join(REASONS)}"
    if approved:
        assert counted is not None  # a submitted task has its count
        # Read again now: a pick made before the count but sent late counts by now.
        book = _book_while_counted(fx, p.task, bin_, sku, counted)
        if p.reason is None and abs(counted - book) > 1e-9:
            return f"a count off the book needs a reason: one of {', '.join(REASONS)}"
        fx.writes.record_variance(p.task, bin_, sku, book, counted, fx.received_at)
        # What the count found off the book, added to the stock as it is now: the bin's
        # picks since the count stay taken.
        fx.writes.add_stock(bin_, sku, counted - book, fx.at, fx.event_id)
    decision = "approved" if approved else "rejected"
    fx.writes.decide_count(p.task, decision, p.reason)
    if task.recount_of:  # the count its recount settles is closed with it
        fx.writes.decide_count(task.recount_of, f"recount {decision}", p.reason)
    return None


def count_approved(fx: Effect, p: _CountDecision) -> str | None:
    return _count_decision(fx, p, approved=True)


def count_rejected(fx: Effect, p: _CountDecision) -> str | None:
    return _count_decision(fx, p, approved=False)


def _slot_refusal(
    fx: Effect, sku: str, from_bin: str, to_bin: str, swap_sku: str | None, move: str
) -> str | None:
    """Why `sku` cannot go from `from_bin` to `to_bin` (and `swap_sku` back) now: bins the
    layout lacks or of another zone, a product not (or no longer) where the move says, a heavy
    one high up, or another open move of the same products or bins; None if it can."""
    if from_bin == to_bin:
        return f"a move needs two bins: {clip(sku)} is in {clip(from_bin)} already"
    layout = store_layout(*fx.writes.store_layout())
    if layout is None:
        return "the backend has no layout of this store: it cannot check the bins of a move"
    try:
        here, there = layout.bin(from_bin), layout.bin(to_bin)
    except BinCodeError as err:
        return str(err)
    if here.bay.zone != there.bay.zone:
        return (
            f"bin {there.code} is in the {there.bay.zone} zone and {clip(sku)} is kept"
            f" {here.bay.zone} in {here.code}: a move stays in its zone"
        )
    products = {}
    for code, bin_ in ((sku, from_bin), (swap_sku, to_bin)):
        if code is None:
            continue
        slot = fx.writes.product_slot(code)
        if slot is None:
            return f"{clip(code)} is not in the backend's catalog"
        if slot[0] != bin_:
            where = f"bin {slot[0]}" if slot[0] else "no bin"
            return f"{clip(code)} is in {where} now, not {clip(bin_)}: ask for advice again"
        products[code] = Product(code, code, bin_, slot[1])
    held = [s for s in fx.writes.slotted_in(to_bin) if s != sku]
    if swap_sku is None and held:
        return f"bin {to_bin} holds {held[0]}: a move there swaps with it"
    if swap_sku is not None and held != [swap_sku]:
        return f"bin {to_bin} holds {', '.join(held) or 'nothing'}, not only {clip(swap_sku)}"
    for code, bin_ in ((sku, to_bin), (swap_sku, from_bin)):
        if code is not None and not fits(products[code], bin_, layout):
            return f"{code} weighs 5 kg or more: it goes on levels 1 to {LOW_LEVELS}, not {bin_}"
    others = [m for m in fx.writes.moves_touching([sku, swap_sku or sku], [from_bin, to_bin])
              if m != move]  # fmt: skip
    if others:
        return f"move {others[0]} of the same products or bins is open: do it first"
    return None


def slot_move_accepted(fx: Effect, p: SlotMoveAccepted) -> str | None:
    why = _not_a_lead(fx, fx.user, "accept a slotting move")
    if why:
        return why
    known = fx.writes.slot_move(p.move)
    if known is not None:
        state = "done" if known.state == "done" else "accepted"
        return f"slotting move {p.move} is {state} already"
    why = _slot_refusal(fx, p.sku, p.from_bin, p.to_bin, p.swap_sku, p.move)
    if why:
        return why
    fx.writes.accept_slot_move(
        p.move, p.sku, p.from_bin, p.to_bin, p.swap_sku, fx.user, fx.received_at
    )
    return None


def slot_moved(fx: Effect, p: SlotMoved) -> str | None:
    move = fx.writes.slot_move(p.move)
    if move is None:
        return f"slotting move {clip(p.move)!r} is not known to the backend (never accepted)"
    if move.state == "done":
        return f"slotting move {p.move} is done already"
    said = (p.sku, p.from_bin, p.to_bin, p.swap_sku)
    if said != (move.sku, move.from_bin, move.to_bin, move.swap_sku):
        return (
            f"this is not move {p.move}: it takes {move.sku} from {move.from_bin} to"
            f" {move.to_bin}"
        )
    if move.swap_sku is not None and p.swap_qty is None:
        return f"move {p.move} swaps with {move.swap_sku}: how much of it moved is missing"
    why = _slot_refusal(fx, p.sku, p.from_bin, p.to_bin, p.swap_sku, p.move)
    if why:
        return why
    moved = [(p.sku, p.from_bin, p.to_bin, p.qty)]
    if p.swap_sku is not None:
        moved.append((p.swap_sku, p.to_bin, p.from_bin, p.swap_qty or 0.0))
    for n, (sku, src, dst, qty) in enumerate(moved):
        fx.writes.add_stock(src, sku, -qty, fx.at, fx.event_id)
        fx.writes.add_stock(dst, sku, qty, fx.at, fx.event_id)
        fx.writes.set_product_bin(sku, dst)
        left = fx.writes.on_hand(src, sku) or 0.0
        if abs(left) > _EPSILON and not fx.writes.open_count_for(src, sku):
            # The book held more (or less) than was moved: count what is left behind.
            fx.writes.open_count_task(f"SM-{fx.event_id[:8]}-{n}", src, sku, "variance")
    fx.writes.finish_slot_move(p.move, p.qty, p.swap_qty, fx.received_at)
    return None


HANDLERS: dict[str, Handler] = {
    "pick_started": pick_started,
    "stock_picked": stock_picked,
    "pick_shorted": pick_shorted,
    "out_of_stock_flagged": out_of_stock_flagged,
    "stock_expired": stock_expired,
    "stock_damaged": stock_damaged,
    "stock_returned": stock_returned,
    "substitution_made": substitution_made,
    "tote_closed": tote_closed,
    "qc_completed": qc_completed,
    "line_repick_requested": line_repick_requested,
    "label_printed": label_printed,
    "order_dispatched": order_dispatched,
    "count_submitted": count_submitted,
    "count_requested": count_requested,
    "count_permission_set": count_permission_set,
    # Kept in the event log for markdowns (the stock stays until it is sold or written off).
    "stock_near_expiry": lambda fx, p: None,
    "count_approved": count_approved,
    "count_rejected": count_rejected,
    "slot_move_accepted": slot_move_accepted,
    "slot_moved": slot_moved,
    "stock_replenished": stock_replenished,
}
"""Each event type's effect."""

if set(HANDLERS) != EVENT_TYPES:  # a new event type needs its effect (and a model)
    raise RuntimeError(f"event types without a handler: {sorted(EVENT_TYPES ^ set(HANDLERS))}")


def apply(fx: Effect, event: AnyEvent) -> str | None:
    """Apply one valid event: refused if an order it names is cancelled or held by another
    device, else its handler's effect (or refusal)."""
    for order_id in event.order_ids():
        why = _order_refusal(fx, order_id, event.type)
        if why:
            return why
    return HANDLERS[event.type](fx, event)


def _order_refusal(fx: Effect, order_id: str, event_type: str) -> str | None:
    """Why an event of this device about `order_id` is refused (cancelled, or held by another
    device), or None."""
    known = fx.writes.order_state(order_id)
    if known is None:
        return None  # orders this backend does not know (tests, other systems): no check
    state, claimed_by = known
    # Putting back the items of a cancelled order is exactly what should happen.
    if state == "cancelled" and event_type != "stock_returned":
        return f"order {order_id} was cancelled by the customer; put its items back"
    if claimed_by and claimed_by != fx.device:
        return f"order {order_id} is being picked on another device"
    return None
