"""The meaning of one scan: `Scan`, its kinds, and the sentences a rejected scan gives the
picker. `picker_app.domain.scan` says what each kind is and how a raw line is read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

ScanKind = Literal[
    "product", "variable_measure", "bin", "tote", "bag", "badge", "order", "rejected"
]
KINDS: tuple[ScanKind, ...] = (
    "product",
    "variable_measure",
    "bin",
    "tote",
    "bag",
    "badge",
    "order",
    "rejected",
)

REASON_EMPTY = "Empty scan: nothing was read; scan it again."
REASON_UNKNOWN = "Unknown barcode format: not a product, bin, tote, bag, badge or order code."
REASON_TOO_SHORT = "Unknown barcode format: too few digits for a product barcode."
REASON_TRUNCATED = "Truncated barcode: scan it again."
REASON_CHECK_DIGIT = "Bad check digit: this barcode was misread; scan it again."
REASON_PRICE_CHECK = "Bad price/weight check digit: this barcode was misread; scan it again."
REASON_GS1_DAMAGED = "Unreadable GS1 barcode: its fields could not be read; scan it again."
REASON_GS1_NO_GTIN = "This GS1 barcode has no product number (GTIN); scan another barcode on it."
REASON_INTERNAL = "Unreadable barcode: scan it again."


def reason_no_layout(prefix: str) -> str:
    """The reason for a weight/price code whose prefix the store has not configured."""
    return (
        f"Weight/price barcode with prefix {prefix} is not set up for this store; call your lead."
    )


@dataclass(frozen=True)
class Scan:
    """The meaning of one scan. `reason` is set only, and always, for kind `rejected`."""

    raw: str
    kind: ScanKind
    symbology: str | None = None
    gtin: str | None = None
    batch: str | None = None
    expiry: date | None = None
    serial: str | None = None
    net_weight_kg: float | None = None
    price: float | None = None
    code: str | None = None
    reason: str | None = None

    @property
    def rejected(self) -> bool:
        return self.kind == "rejected"

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict; `reason` only for a rejected scan."""
        out: dict[str, Any] = {
            "raw": self.raw,
            "symbology": self.symbology,
            "kind": self.kind,
            "gtin": self.gtin,
            "batch": self.batch,
            "expiry": self.expiry.isoformat() if self.expiry else None,
            "serial": self.serial,
            "net_weight_kg": self.net_weight_kg,
            "price": self.price,
            "code": self.code,
        }
        if self.kind == "rejected":
            out["reason"] = self.reason
        return out
