"""The packer's work on this device: the totes waiting for packing, opening an order by its tote
(or order label), each scan judged and the accepted ones kept as they are scanned, an approved
short, and the QC result recorded with the order packed, in one transaction.

The glue between the domain (`QualityCheck` judges, `plan_bags` splits) and the cache: no UI.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from picker_app.domain.events import (
    Discrepancy,
    LabelPrinted,
    LineRepickRequested,
    OrderDispatched,
    PickShorted,
    QcCompleted,
)
from picker_app.domain.labels import COLD, BagLabel, hand_over_by, make_bag_label
from picker_app.domain.labels import bag_id as make_bag_id
from picker_app.domain.layout import Layout
from picker_app.domain.packing import (
    DEFAULT_SHELF_LIFE_DAYS,
    Accepted,
    Item,
    QcLine,
    QcOrder,
    QualityCheck,
    Refused,
    temp_class,
)
from picker_app.domain.picking import DEFAULT_WEIGHT_TOLERANCE, WeightTolerance
from picker_app.domain.scan import DEFAULT_SCAN_CONFIG, ScanConfig
from picker_app.domain.scan_result import Scan
from picker_app.errors import UserError
from picker_app.services.pick_reads import parse_time, product_gtins
from picker_app.store import packing as rows
from picker_app.store import projection

if TYPE_CHECKING:
    from picker_app.store.db import LocalStore


@dataclass(frozen=True)
class PackEntry:
    """An order waiting at packing, as the packer's list shows it."""

    order_id: str
    tote: str | None
    promised_at: datetime | None
    lines: int
    units: float
    repick: float = 0.0  # units sent back to picking, not back yet
    state: str = "picked"  # "picking": a line of it is being picked again


@dataclass(frozen=True)
class PackedEntry:
    """An order packed and waiting for a rider."""

    order_id: str
    promised_at: datetime | None
    bags: int
    packed_at: datetime | None


@dataclass(frozen=True)
class BagScan:
    """A bag scanned at the handover: its order, n of m, and whether its cold window is over."""

    code: str
    order_id: str
    n: int
    m: int
    temp: str | None
    late: bool


LabelOutput = Callable[[BagLabel], str]
"""Prints (or saves) one label; says where it went ("printed at URL", "saved as PATH"); raises
UserError when it could not."""


@dataclass
class PackJob:
    """One order being checked: the domain's check and what the bags' labels need."""

    qc: QualityCheck
    area: str | None
    tote: str | None
    gtins: dict[int, frozenset[str]]  # line_no -> the barcodes that read as its product

    @property
    def order_id(self) -> str:
        return self.qc.order.id


class PackService:
    """The packer's reads and writes against the local cache."""

    def __init__(
        self,
        store: LocalStore,
        layout: Layout | None,
        clock: Callable[[], datetime],
        scan_config: ScanConfig = DEFAULT_SCAN_CONFIG,
        shelf_life_days: Mapping[str, int] = DEFAULT_SHELF_LIFE_DAYS,
        weight_tolerance: WeightTolerance = DEFAULT_WEIGHT_TOLERANCE,
        cold_window_min: int = 30,
        output: LabelOutput | None = None,
    ) -> None:
        self.output = output
        self._printing = threading.Lock()
        self.store = store
        self.layout = layout
        self.clock = clock
        self.scan_config = scan_config
        self.shelf_life_days = shelf_life_days
        self.weight_tolerance = weight_tolerance
        self.cold_window_min = cold_window_min

    # --- reads ----------------------------------------------------------------------------

    def waiting(self) -> list[PackEntry]:
        """Orders waiting for packing, the oldest promise first."""
        entries = [
            PackEntry(
                order_id, tote, parse_time(promised), int(n), float(units or 0),
                float(repick or 0), state,
            )  # fmt: skip
            for order_id, promised, tote, n, units, repick, state in rows.waiting_rows(self.store)
        ]
        far = datetime.max.replace(tzinfo=self.clock().tzinfo)
        return sorted(entries, key=lambda e: (e.promised_at or far, e.order_id))

    def order_for(self, scan: Scan) -> str:
        """The order a scanned tote or order label names, waiting for packing; a UserError
        sentence otherwise."""
        code = scan.code or scan.raw
        if scan.kind == "tote":
            order_id = rows.order_of_tote(self.store, code)
            if order_id is None:
                raise UserError(f"Tote {code} has no order waiting for packing: scan another.")
            return order_id
        if scan.kind == "order":
            head = rows.head(self.store, code)
            if head is None:
                raise UserError(
                    f"Order {code} is not on this device: wait for sync, or scan its tote."
                )
            if head[0] != "picked":
                raise UserError(f"Order {code} is {head[0]}, not waiting for packing.")
            return code
        if scan.kind == "rejected":
            raise UserError(scan.reason or "That barcode could not be read; scan it again.")
        raise UserError("Scan a tote (or an order label) to check its order.")

    def open(self, order_id: str) -> PackJob:
        """The check of an order waiting for packing, with what was scanned before (a restart
        resumes it)."""
        head = rows.head(self.store, order_id)
        if head is not None and head[0] == "picking" and rows.scans(self.store, order_id):
            raise UserError(
                f"Order {order_id} is being picked again: it is back here when its tote closes."
            )
        if head is None or head[0] != "picked":
            state = head[0] if head else "not on this device"
            raise UserError(f"Order {order_id} is {state}, not waiting for packing.")
        _, promised, area, preference, tote = head
        lines: list[QcLine] = []
        gtins: dict[int, frozenset[str]] = {}
        for (
            no, ordered_sku, sku, name, unit, picked, ordered, short, bin_, category, grams,
            again,
        ) in rows.lines(self.store, order_id):  # fmt: skip
            # What the tote holds, and what a picker brings again of a line sent back.
            qty = float(picked or 0) + float(again or 0)
            lines.append(
                QcLine(
                    int(no), sku, name, unit, qty, float(ordered), ordered_sku,
                    float(short or 0), temp_class(self._zone(bin_)), category,
                    float(grams) if grams else None, float(again or 0),
                )
            )  # fmt: skip
            gtins[int(no)] = self._gtins(sku)
        order = QcOrder(order_id, tuple(lines), preference != "refuse", promised, area, tote)
        qc = QualityCheck(
            order, self.clock().date(), self.shelf_life_days, self.weight_tolerance
        )
        for line_no, qty in rows.scans(self.store, order_id):
            qc.restore(int(line_no), float(qty))
        for line_no, _, _ in rows.shorts(self.store, order_id):
            qc.approve_short(int(line_no))
        return PackJob(qc, area, tote, gtins)

    # --- writes ---------------------------------------------------------------------------

    def scan(self, job: PackJob, scan: Scan, packer: str) -> Accepted | Refused:
        """Judge a scanned unit; an accepted one is kept before this returns."""
        if scan.kind == "rejected":
            return Refused("not_in_order", scan.reason or "Unreadable barcode: scan it again.")
        if scan.kind not in ("product", "variable_measure"):
            return Refused(
                "not_in_order", f"That is a {scan.kind} label: scan the items of the order."
            )
        item = Item(
            self._sku_of(job, scan.gtin), scan.gtin, scan.batch, scan.expiry, scan.net_weight_kg
        )
        verdict = job.qc.scan(item)
        if isinstance(verdict, Accepted):
            try:
                with self.store.write():
                    rows.add_scan(
                        self.store, job.order_id, verdict.line.line_no, verdict.qty, verdict.bag,
                        scan.gtin, scan.batch, scan.expiry.isoformat() if scan.expiry else None,
                        scan.net_weight_kg, packer, self.clock().isoformat(),
                    )  # fmt: skip
            except Exception:
                job.qc.packed[verdict.line.line_no].pop()  # not kept: not counted either
                raise
        return verdict

    def undo(self, job: PackJob, line_nos: list[int]) -> None:
        """Count the last unit of each of these lines as not scanned (it did not weigh right)."""
        with self.store.write():
            rows.drop_scans(self.store, job.order_id, line_nos)
        for line_no in line_nos:
            packed = job.qc.packed.get(line_no)
            if packed:
                packed.pop()

    def approve_short(self, job: PackJob, line_no: int, lead: str, packer: str) -> float:
        """A lead approved the line short by what is still missing: kept, and the backend told
        (`pick_shorted`, recorded as the lead's: the customer is not charged for it); returns
        how much."""
        qty = job.qc.approve_short(line_no)
        line = next(ln for ln in job.qc.order.lines if ln.line_no == line_no)
        try:
            with self.store.write():
                rows.add_short(
                    self.store, job.order_id, line_no, qty, lead, self.clock().isoformat()
                )
                if qty > 0:
                    short = PickShorted(order=job.order_id, line=line_no, sku=line.sku, qty=qty)
                    self.store.record(short, user=lead)
                    projection.apply(self.store, short, self.clock)
        except Exception:
            job.qc.shorted.pop(line_no, None)
            raise
        return qty

    def send_back(self, job: PackJob, line_no: int, packer: str) -> float:
        """Send what is missing of a line back to picking (a targeted re-pick: first in the
        pickers' queue), with this check's result so far (`fail`: the order waits here), in one
        transaction; returns how much."""
        line = next(ln for ln in job.qc.order.lines if ln.line_no == line_no)
        left = job.qc.left(line)
        if left <= 0:
            raise UserError(f"{line.name} is all here: nothing to send back.")
        qty = float(left)
        if line.unit == "kg":
            qty = max(line.qty - job.qc.weight_packed(line), 0.001)
        back = LineRepickRequested(
            order=job.order_id, line=line_no, sku=line.sku, qty=qty, why="missing at packing"
        )
        found = QcCompleted(
            order=job.order_id, result="fail", packer=packer,
            discrepancies=tuple(
                Discrepancy(line=d.line, kind=d.kind, sku=d.sku, qty=d.qty)
                for d in job.qc.discrepancies()
            )[:50],
        )  # fmt: skip
        with self.store.write():
            self.store.record(found, user=packer)
            self.store.record(back, user=packer)
            projection.apply(self.store, back, self.clock)
        job.qc.refused.clear()  # reported with this result: not again at the pass
        return qty

    def bag_ids(self, job: PackJob) -> list[str]:
        return [make_bag_id(job.order_id, bag.n) for bag in job.qc.bags]

    def labels(self, job: PackJob, duplicate: bool = False) -> list[BagLabel]:
        """The labels of the order's bags."""
        packed_at = self.clock()
        m = len(job.qc.bags)
        return [
            make_bag_label(
                job.order_id, bag.n, m, packed_at, temp=bag.temp, area=job.area,
                cold_window_min=self.cold_window_min, duplicate=duplicate,
            )  # fmt: skip
            for bag in job.qc.bags
        ]

    def refused(self) -> list[tuple[str, str]]:
        """The checks recorded here that the backend refused, with its reason: (order_id,
        reason) each, oldest first (kept until a lead dismisses them)."""
        return [
            (str(order_id), str(reason)) for order_id, reason in rows.refused_results(self.store)
        ]

    def order_state(self, order_id: str) -> str | None:
        """The order's state as the device has it now (None: not on this device)."""
        head = rows.head(self.store, order_id)
        return head[0] if head else None

    def bag_done(self, job: PackJob, n: int) -> None:
        """Bag n is complete: its label is queued (printed by `print_queued`)."""
        self._queue_labels(job, [n])

    def _queue_labels(self, job: PackJob, ns: list[int], duplicate: bool = False) -> None:
        labels = {label.bag: label for label in self.labels(job, duplicate)}
        at = self.clock().isoformat()
        with self.store.write():
            for n in ns:
                label = labels[n]
                rows.queue_label(
                    self.store, label.bag_id, job.order_id, n, label.bags, label.temp,
                    label.area, label.hand_over_by, duplicate, at,
                )  # fmt: skip

    def reprint(self, job: PackJob) -> int:
        """Queue a DUPLICATE of each complete bag's label; how many."""
        ns = [bag.n for bag in job.qc.bags if job.qc.bag_complete(bag.n)]
        self._queue_labels(job, ns, duplicate=True)
        return len(ns)

    def queued_labels(self) -> int:
        return len(rows.queued_labels(self.store))

    def print_queued(self) -> list[str]:
        """Print every queued label, oldest first, each recorded (`label_printed`) once the
        printer took it; where each went. Stops at the first that cannot be printed, raising
        its UserError (it stays queued, with the others after it)."""
        if not self._printing.acquire(blocking=False):
            return []  # another thread prints: it takes the new labels too
        try:
            return self._print_queued()
        finally:
            self._printing.release()

    def _print_queued(self) -> list[str]:
        done: list[str] = []
        while True:
            queued = rows.queued_labels(self.store)
            if not queued:
                return done
            job_id, code, order_id, n, m, temp, area, by, duplicate, _ = queued[0]
            label = BagLabel(
                order_id=order_id, bag_id=code, bag=n, bags=m, temp=temp, area=area,
                hand_over_by=by, duplicate=bool(duplicate),
            )  # fmt: skip
            if self.output is None:
                raise UserError("No label printer is set up: set `printer` in the settings.")
            try:
                where = self.output(label)
            except UserError as err:
                with self.store.write():
                    rows.label_failed(self.store, job_id, str(err))
                raise
            event = LabelPrinted(
                order=order_id, bag=n, bags=m, bag_id=code, reprint=bool(duplicate)
            )
            with self.store.write():
                self.store.record(event)
                rows.label_done(self.store, job_id)
            done.append(where)

    # --- the handover ---------------------------------------------------------------------

    def packed(self) -> list[PackedEntry]:
        """Orders packed and waiting for a rider, the oldest promise first."""
        entries = [
            PackedEntry(order_id, parse_time(promised), int(n or 0), parse_time(at))
            for order_id, promised, n, at in rows.packed_rows(self.store)
        ]
        far = datetime.max.replace(tzinfo=self.clock().tzinfo)
        return sorted(entries, key=lambda e: (e.promised_at or far, e.order_id))

    def bag_codes(self, order_id: str) -> list[str]:
        """The bag ids of a packed order, by bag number."""
        return [code for code, *_ in rows.bags_of(self.store, order_id)]

    def rider(self, scan: Scan, people: list[dict[str, str]]) -> dict[str, str]:
        """The rider whose badge was scanned; a UserError sentence otherwise."""
        if scan.kind != "badge" or scan.code is None:
            raise UserError("Scan the rider's badge (BD...) first.")
        for person in people:
            if person["badge"] == scan.code:
                if person["role"] != "rider":
                    raise UserError(
                        f"{person['name']} is a {person['role']}, not a rider: scan the "
                        "rider's badge."
                    )
                return person
        raise UserError(f"Badge {scan.code} is no one of this store: scan the rider's badge.")

    def bag_for(self, scan: Scan, order_id: str | None) -> BagScan:
        """A scanned bag label at the handover, of `order_id` when one is being handed over;
        a UserError sentence (said loudly) otherwise."""
        if scan.kind != "bag" or scan.code is None:
            raise UserError("Scan the bag labels (BG...) of the order.")
        found = rows.bag(self.store, scan.code)
        if found is None:
            raise UserError(f"Bag {scan.code} is not a bag packed here: keep it at packing.")
        bag_order, n, m, state, temp, _, by, order_state = found
        if order_id is not None and bag_order != order_id:
            raise UserError(
                f"Bag {scan.code} is of order {bag_order}, not {order_id}: keep it apart."
            )
        if order_state != "packed" or state != "packed":
            raise UserError(f"Bag {scan.code} is of order {bag_order}, which is {order_state}.")
        late = False
        if by:
            late = self.clock() > datetime.fromisoformat(by)
        return BagScan(scan.code, bag_order, int(n), int(m), temp, late)

    def hand_over(
        self, order_id: str, rider: dict[str, str], bags: list[BagScan], by: str
    ) -> OrderDispatched:
        """Every bag of the order scanned for `rider`: the order is dispatched (recorded with
        how long it waited since packing and which cold bags were past their window)."""
        codes = [code for code, *_ in rows.bags_of(self.store, order_id)]
        missing = [c for c in codes if c not in {b.code for b in bags}]
        if missing:
            raise UserError(f"Bag {missing[0]} of order {order_id} is not scanned yet.")
        times = [parse_time(at) for _, _, _, _, at, _ in rows.bags_of(self.store, order_id)]
        packed_at = min((t for t in times if t is not None), default=None)
        dwell = int((self.clock() - packed_at).total_seconds()) if packed_at else None
        event = OrderDispatched(
            order=order_id, rider=rider["id"], bags=len(codes), bag_ids=tuple(codes),
            dwell_s=max(0, dwell) if dwell is not None else None,
            cold_late=tuple(b.code for b in bags if b.late),
        )  # fmt: skip
        with self.store.write():
            self.store.record(event, user=by)
            rows.dispatched(self.store, order_id)
        return event

    def finish(self, job: PackJob, packer: str) -> QcCompleted:
        """Record the passed check (every line accounted for) and the order packed, its tote
        free, in one transaction; a UserError if a line is still missing."""
        missing = job.qc.missing()
        if missing:
            line, n = missing[0]
            raise UserError(
                f"{line.name} still needs {n} more: scan it, send it back or mark it short."
            )
        event = QcCompleted(
            order=job.order_id,
            result="pass",
            discrepancies=tuple(
                Discrepancy(line=d.line, kind=d.kind, sku=d.sku, qty=d.qty)
                for d in job.qc.discrepancies()
            )[:50],
            packer=packer,
            bag_ids=tuple(self.bag_ids(job)),
        )
        packed_at = self.clock()
        labels = self.labels(job)
        bags = [
            (label.bag_id, label.bag, label.bags, label.temp, packed_at.isoformat(),
             self._hand_over_iso(packed_at, label.temp))
            for label in labels
        ]  # fmt: skip
        with self.store.write():
            self.store.record(event, user=packer)
            rows.packed(self.store, job.order_id)
            rows.add_bags(self.store, job.order_id, bags)
        self._queue_labels(job, [bag.n for bag in job.qc.bags])  # any not queued yet
        return event

    def _hand_over_iso(self, packed_at: datetime, temp: str) -> str | None:
        if temp not in COLD:
            return None
        return hand_over_by(packed_at, self.cold_window_min).isoformat()

    # --- helpers --------------------------------------------------------------------------

    def _sku_of(self, job: PackJob, gtin: str | None) -> str | None:
        if gtin is None:
            return None
        for line in job.qc.order.lines:
            if gtin in job.gtins.get(line.line_no, frozenset()):
                return line.sku
        return rows.sku_of_gtin(self.store, gtin)

    def _gtins(self, sku: str) -> frozenset[str]:
        return product_gtins(self.store, sku, self.scan_config)

    def _zone(self, bin_code: str | None) -> str | None:
        if not bin_code or self.layout is None:
            return None
        try:
            return self.layout.bin(bin_code).bay.zone
        except UserError:
            return None

