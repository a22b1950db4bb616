"""The packer's work on this device: the totes waiting for packing, opening an order by its tote
(or order label), each scan judged and the accepted ones kept as they are scanned, an approved
short, and the QC result recorded with the order packed, in one transaction.

The glue between the domain (`QualityCheck` judges, `plan_bags` splits) and the cache: no UI.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from picker_app.domain.events import Discrepancy, QcCompleted
from picker_app.domain.labels import BagLabel, make_bag_label
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
from picker_app.domain.scan import DEFAULT_SCAN_CONFIG, ScanConfig, lookup_gtins
from picker_app.domain.scan_result import Scan
from picker_app.errors import UserError
from picker_app.services.pick_reads import parse_time
from picker_app.store import catalog
from picker_app.store import packing as rows

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
    ) -> None:
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
            PackEntry(order_id, tote, parse_time(promised), int(n), float(units or 0))
            for order_id, promised, tote, n, units in rows.waiting_rows(self.store)
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
        if head is None or head[0] != "picked":
            state = head[0] if head else "not on this device"
            raise UserError(f"Order {order_id} is {state}, not waiting for packing.")
        _, promised, area, preference, tote = head
        lines: list[QcLine] = []
        gtins: dict[int, frozenset[str]] = {}
        for no, ordered_sku, sku, name, unit, picked, ordered, short, bin_, category, grams in (
            rows.lines(self.store, order_id)
        ):
            lines.append(
                QcLine(
                    int(no), sku, name, unit, float(picked or 0), float(ordered), ordered_sku,
                    float(short or 0), temp_class(self._zone(bin_)), category,
                    float(grams) if grams else None,
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

    def approve_short(self, job: PackJob, line_no: int, lead: str) -> float:
        """A lead approved the line short by what is still missing; returns how much."""
        qty = job.qc.approve_short(line_no)
        try:
            with self.store.write():
                rows.add_short(
                    self.store, job.order_id, line_no, qty, lead, self.clock().isoformat()
                )
        except Exception:
            job.qc.shorted.pop(line_no, None)
            raise
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
        with self.store.write():
            self.store.record(event, user=packer)
            rows.packed(self.store, job.order_id)
        return event

    # --- helpers --------------------------------------------------------------------------

    def _sku_of(self, job: PackJob, gtin: str | None) -> str | None:
        if gtin is None:
            return None
        for line in job.qc.order.lines:
            if gtin in job.gtins.get(line.line_no, frozenset()):
                return line.sku
        return rows.sku_of_gtin(self.store, gtin)

    def _gtins(self, sku: str) -> frozenset[str]:
        gtins = {g.zfill(14) for g in catalog.barcodes(self.store, sku)}
        code = catalog.weight_code(self.store, sku)
        if code:
            gtins |= lookup_gtins(code, self.scan_config.variable_measure)
        return frozenset(gtins)

    def _zone(self, bin_code: str | None) -> str | None:
        if not bin_code or self.layout is None:
            return None
        try:
            return self.layout.bin(bin_code).bay.zone
        except UserError:
            return None

