"""A store lead's decisions on counts (issue 14): the counts that are in and wait for a lead
(each with what was counted and the book it is held against, sent by the backend only then),
approved or rejected with a reason code. Checked here by the person's role and again by the
backend from the event's user; only an approved count changes the backend's stock."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from picker_app.domain.auth import may
from picker_app.domain.counting import REASONS
from picker_app.domain.events import CountApproved, CountRejected
from picker_app.errors import UserError
from picker_app.store import catalog
from picker_app.store import counts as rows

if TYPE_CHECKING:
    from picker_app.store.db import LocalStore


@dataclass(frozen=True)
class CountToDecide:
    id: str
    bin: str
    sku: str | None
    name: str
    counted: float
    book: float
    recount_of: str | None

    @property
    def off(self) -> float:
        """What the count found beyond the book (negative: missing)."""
        return self.counted - self.book

    @property
    def on_the_book(self) -> bool:
        return abs(self.off) < 1e-9


class CountDecisions:
    def __init__(self, store: LocalStore) -> None:
        self.store = store

    def waiting(self) -> list[CountToDecide]:
        out = []
        for task_id, bin_, sku, counted, book, recount_of in rows.to_decide(self.store):
            product = catalog.product(self.store, sku) if sku else None
            name = product[0] if product else (sku or "")
            out.append(CountToDecide(task_id, bin_, sku, name, counted, book, recount_of))
        return out

    def decide(
        self, item: CountToDecide, lead: dict[str, str], approve: bool, reason: str | None
    ) -> str:
        """Record the lead's decision; a sentence saying what it does. A UserError when the
        person may not decide, or a count off the book is approved without a reason."""
        if not may(lead.get("role", ""), "approve"):
            raise UserError(f"Only a store lead may decide a count: {lead.get('name')} may not.")
        if reason is not None and reason not in REASONS:
            raise UserError(f"The reason must be one of: {', '.join(REASONS)}.")
        if approve and reason is None and not item.on_the_book:
            raise UserError("A count off the book needs a reason: choose one.")
        event = (CountApproved if approve else CountRejected)(
            task=item.id, lead=lead["id"], reason=reason
        )
        with self.store.write():
            self.store.record(event, user=lead["id"])
            rows.decided(self.store, item.id, "approved" if approve else "rejected")
        if not approve:
            return f"Bin {item.bin}: count rejected, the book stays at {item.book:g}."
        if item.on_the_book:
            return f"Bin {item.bin}: count approved, on the book ({item.counted:g})."
        return f"Bin {item.bin}: count approved, stock {item.off:+g} ({reason})."
