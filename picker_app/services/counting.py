"""Blind counts on the device (issue 14): take an open count task, scan its bin, then each
unit (or key a quantity); every unit is kept as it is scanned, and the count goes to the backend
as `count_submitted` (the counter's own, added to the others' when several count one bin). The
book quantity is never read here: a blind count's screen cannot show it."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from picker_app.domain.auth import may
from picker_app.domain.events import (
    MAX_LIST,
    CountPermissionSet,
    CountRequested,
    CountSubmitted,
)
from picker_app.domain.layout import BinCodeError, Layout
from picker_app.domain.scan import DEFAULT_SCAN_CONFIG, ScanConfig, interpret
from picker_app.domain.scan_result import Scan
from picker_app.errors import UserError
from picker_app.services.pick_reads import product_gtins
from picker_app.store import catalog, people
from picker_app.store import counts as rows

if TYPE_CHECKING:
    from picker_app.store.db import LocalStore


@dataclass(frozen=True)
class CountTask:
    id: str
    bin: str
    sku: str | None
    reason: str
    recount_of: str | None
    name: str = ""


class CountService:
    def __init__(
        self, store: LocalStore, layout: Layout | None, clock: Callable[[], datetime],
        scan_config: ScanConfig = DEFAULT_SCAN_CONFIG,
    ) -> None:  # fmt: skip
        self.store = store
        self.layout = layout
        self.clock = clock
        self.scan_config = scan_config

    def open_tasks(self) -> list[CountTask]:
        out = []
        for task_id, bins, reason, sku, recount_of in rows.open_tasks(self.store):
            if not bins:
                continue
            product = catalog.product(self.store, sku) if sku else None
            out.append(
                CountTask(task_id, bins[0], sku, reason, recount_of, product[0] if product else "")
            )
        return out

    def task_for_bin(self, scan: Scan) -> CountTask:
        """The open count task of a scanned bin label; a UserError sentence otherwise."""
        if scan.kind != "bin" or scan.code is None:
            raise UserError("Scan the bin label of the count (e.g. A07-2).")
        code = scan.code
        if self.layout is not None:
            try:
                code = self.layout.bin(code).code
            except BinCodeError as err:
                raise UserError(str(err)) from None
        for task in self.open_tasks():
            if task.bin == code:
                return task
        raise UserError(f"Bin {code} has no count open: scan the bin of a count in the list.")

    def may_count(self, user: dict[str, str]) -> bool:
        """A lead, or someone a lead let count (as this device knows it now)."""
        return may(user.get("role", ""), "count") or people.may_count(self.store, user["id"])

    def permit(self, text: str, lead: dict[str, str]) -> str:
        """A lead scans (or keys) a person's badge: they may take count tasks now, or no longer
        if they could (`count_permission_set`). What changed, as a sentence."""
        if not may(lead.get("role", ""), "approve"):
            raise UserError("Only a store lead may let someone count.")
        found = people.by_badge(self.store, text.strip())
        if found is None:
            raise UserError("Scan the badge of the person who is to count (e.g. BD4101).")
        user_id, name, role = found
        if may(role, "count"):
            raise UserError(f"{name} is a store lead: leads always may count.")
        allowed = not people.may_count(self.store, user_id)
        with self.store.write():
            self.store.record(CountPermissionSet(user=user_id, allowed=allowed), user=lead["id"])
            people.set_may_count(self.store, user_id, allowed)
        if allowed:
            return f"{name} may now take counts (F8 on the pickers' queue)."
        return f"{name} may no longer take counts."

    def ask(self, text: str, lead: dict[str, str]) -> str:
        """A lead asks for counts: of a bin (A07-2), a bay (A07), an aisle (A) or a product's
        bin (its barcode), resolved to the bins products are slotted to; recorded as
        `count_requested` (the backend opens the tasks). What it asked for, as a sentence."""
        if not may(lead.get("role", ""), "approve"):
            raise UserError("Only a store lead may ask for counts.")
        bins, what = self._bins_asked(text)
        events = [
            CountRequested(bins=tuple(bins[i : i + MAX_LIST]))
            for i in range(0, len(bins), MAX_LIST)
        ]
        with self.store.write():
            for event in events:
                self.store.record(event, user=lead["id"])
        n = len(bins)
        return f"Asked for counts of {what} ({n} bin{'s' if n != 1 else ''}): they open here" \
            " once the backend has them."

    def _bins_asked(self, text: str) -> tuple[list[str], str]:
        code = text.strip().upper()
        scan = interpret(text)
        slotted = rows.slotted_bins(self.store)
        if scan.kind in ("product", "variable_measure") and scan.gtin is not None:
            found = rows.bin_of_barcode(self.store, scan.gtin)
            if found is None:
                raise UserError("That product has no bin here: scan its bin label instead.")
            return [found], f"bin {found}"
        if scan.kind == "bin" and scan.code is not None:
            bin_code = scan.code
            if self.layout is not None:
                try:
                    bin_code = self.layout.bin(bin_code).code
                except BinCodeError as err:
                    raise UserError(str(err)) from None
            return [bin_code], f"bin {bin_code}"
        bay = re.fullmatch(r"([A-Z]{1,2})(\d{1,3})", code)
        if bay:
            number = int(bay.group(2))
            bins = [b for b in slotted if _bay_of(b) == (bay.group(1), number)]
            what = f"bay {bay.group(1)}{number:02d}"
        elif re.fullmatch(r"[A-Z]{1,2}", code):
            bins = [b for b in slotted if _bay_of(b)[0] == code]
            what = f"aisle {code}"
        else:
            raise UserError(
                "Scan or key a bin (A07-2), a bay (A07), an aisle (A) or a product to count."
            )
        if not bins:
            raise UserError(f"No product is slotted in {what}: nothing to count there.")
        return bins, what

    def counted(self, task: CountTask, counter: str) -> float:
        return rows.counted(self.store, task.id, counter)

    def scan(self, task: CountTask, scan: Scan, counter: str, qty: float = 1.0) -> float:
        """Count `qty` units of the scanned product in the task's bin; what this counter has
        counted so far. A product that is not the bin's is one sentence (not counted)."""
        if scan.kind not in ("product", "variable_measure") or scan.gtin is None:
            raise UserError("Scan the items in the bin (their barcodes), one by one.")
        if task.sku is not None and scan.gtin not in product_gtins(
            self.store, task.sku, self.scan_config
        ):
            raise UserError(
                f"That is not {task.name or task.sku}: put it aside for the lead (misplaced)."
            )
        if not 0 < qty <= 10_000:
            raise UserError("Key a quantity of 1 or more.")
        amount = scan.net_weight_kg if scan.net_weight_kg is not None else qty
        with self.store.write():
            rows.add_scan(
                self.store, task.id, task.bin, task.sku or "", amount, scan.gtin, scan.batch,
                scan.expiry.isoformat() if scan.expiry else None, counter,
                self.clock().isoformat(),
            )  # fmt: skip
        return self.counted(task, counter)

    def submit(self, task: CountTask, counter: str, done: bool = True) -> CountSubmitted:
        """Send this counter's count (the last of the bin's when `done`)."""
        first, last = rows.scan_window(self.store, task.id, counter)
        event = CountSubmitted(
            task=task.id, bin=task.bin, sku=task.sku, counted=self.counted(task, counter),
            counter=counter, done=done, first_scan_at=first, last_scan_at=last,
        )  # fmt: skip
        with self.store.write():
            self.store.record(event, user=counter)
            rows.submitted(self.store, task.id, done)
        return event


def _bay_of(bin_code: str) -> tuple[str, int | None]:
    """('A', 7) of bin A07-2 (aisle letters, bay number); (code, None) if it is not one."""
    m = re.fullmatch(r"([A-Z]{1,2})(\d{1,3})-\d+", bin_code)
    return (m.group(1), int(m.group(2))) if m else (bin_code, None)
