"""Bag labels: what a packed bag's label says, its bag code, and the label's ZPL.

A label is laid out once, in printer dots (`label_layout`: a 4 x 3 inch label at 203 dpi), and
drawn from that layout as ZPL here and as PNG or SVG by `picker_app.printing.render`, so that the
three show the same thing in the same place:

    OR52000001                          BAG 2/3
    AREA KOR-4                      [DUPLICATE]
    ############## CHILLED ##############   (white on black)
    HAND OVER BY 14:35
    ||||||||||||||||||||||||  (Code 128 of the bag code)
    BG5200000102

The bag code is `BG` + the order's digits + the 2-digit bag number, so a reprint carries the same
code as the first print, and the app's own scanner reads it as a bag (`scan_labels.read_label`).
Chilled and frozen bags carry the time by which they must be handed to the rider: the packing
time plus the store's cold window (30 minutes unless the store says otherwise).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, get_args

from picker_app.domain.scan_labels import read_label
from picker_app.errors import UserError

TempClass = Literal["ambient", "chilled", "frozen"]
TEMP_CLASSES: tuple[TempClass, ...] = get_args(TempClass)
COLD: frozenset[str] = frozenset({"chilled", "frozen"})
COLD_WINDOW_MIN = 30  # the store's cold window: minutes from packing to the rider
MAX_BAGS = 99  # the bag number is two digits of the bag code

LABEL_W, LABEL_H = 812, 609  # dots: 4 x 3 inches at 203 dpi (8 dots/mm)

_ORDER_RE = re.compile(r"OR([0-9]{6,10})", re.ASCII)
_AREA_RE = re.compile(r"[A-Z0-9][A-Z0-9-]{0,11}", re.ASCII)
_HHMM_RE = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]", re.ASCII)
_BAG_SPEC_RE = re.compile(r"\s*([0-9]{1,4})\s*/\s*([0-9]{1,4})\s*", re.ASCII)
# Order digits that still fit a bag code (BG + at most 10 digits) with the 2-digit bag number.
_MAX_ORDER_DIGITS = 8


@dataclass(frozen=True)
class BagLabel:
    """One bag's label. Made valid or not at all: every field is printable as it is (no ZPL
    control characters can get in), and `bag_id` is a code the app's scanner reads as a bag."""

    order_id: str  # OR + 6 to 10 digits
    bag_id: str  # BG + 6 to 10 digits, from `bag_id(order_id, bag)`
    bag: int  # n of "bag n of m"
    bags: int  # m
    temp: TempClass = "ambient"
    area: str | None = None  # the customer's area code, e.g. KOR-4 or 560034
    hand_over_by: str | None = None  # "HH:MM": chilled and frozen bags only
    duplicate: bool = False  # a reprint: the label says DUPLICATE

    def __post_init__(self) -> None:
        if not _ORDER_RE.fullmatch(self.order_id):
            raise UserError(_not_order(self.order_id))
        if read_label(self.bag_id) != ("bag", self.bag_id):
            raise UserError(f"{self.bag_id!r} is not a bag code: BG and 6 to 10 digits.")
        check_bag(self.bag, self.bags, f"{self.bag}/{self.bags}")
        if self.temp not in TEMP_CLASSES:
            raise UserError(
                f"Temperature class {self.temp!r} is not one of {', '.join(TEMP_CLASSES)}."
            )
        if self.area is not None and not _AREA_RE.fullmatch(self.area):
            raise UserError(_not_area(self.area))
        if self.hand_over_by is not None:
            if self.temp not in COLD:
                raise UserError("Only chilled and frozen bags have a hand-over time.")
            if not _HHMM_RE.fullmatch(self.hand_over_by):
                raise UserError(f"Hand-over time {self.hand_over_by!r} is not HH:MM.")


def make_bag_label(
    order_id: str,
    bag: int,
    bags: int,
    packed_at: datetime,
    *,
    temp: TempClass = "ambient",
    area: str | None = None,
    cold_window_min: int = COLD_WINDOW_MIN,
    duplicate: bool = False,
) -> BagLabel:
    """The label of bag `bag` of `bags` of an order packed at `packed_at` (the store's local
    time: the hand-over time is printed in its time zone). Order id and area are taken in any
    case and printed upper case; a UserError sentence says what does not fit."""
    order_id = order_id.strip().upper()
    area = area.strip().upper() if area is not None else None
    check_bag(bag, bags, f"{bag}/{bags}")
    hand_over = None
    if temp in COLD:
        hand_over = hand_over_by(packed_at, cold_window_min).strftime("%H:%M")
    return BagLabel(
        order_id=order_id,
        bag_id=bag_id(order_id, bag),
        bag=bag,
        bags=bags,
        temp=temp,
        area=area or None,
        hand_over_by=hand_over,
        duplicate=duplicate,
    )


def hand_over_by(packed_at: datetime, window_min: int = COLD_WINDOW_MIN) -> datetime:
    """When a chilled or frozen bag packed at `packed_at` must be with the rider: the packing
    time plus the store's cold window of `window_min` minutes (1 to 240)."""
    if not 1 <= window_min <= 240:
        raise UserError(f"The cold window must be 1 to 240 minutes, not {window_min}.")
    return packed_at + timedelta(minutes=window_min)


def bag_id(order_id: str, bag: int) -> str:
    """The code of bag `bag` of an order: `BG` + the order's digits + the bag number in two
    digits, e.g. OR52000001 bag 2 -> BG5200000102. The same bag always gets the same code."""
    m = _ORDER_RE.fullmatch(order_id.strip().upper())
    if m is None:
        raise UserError(_not_order(order_id))
    digits = m.group(1)
    if len(digits) > _MAX_ORDER_DIGITS:
        raise UserError(
            f"Order {order_id} has {len(digits)} digits: a bag code has room for orders of at "
            f"most {_MAX_ORDER_DIGITS} digits."
        )
    check_bag(bag, MAX_BAGS, f"{bag}")
    return f"BG{digits}{bag:02d}"


def parse_bag_spec(text: str) -> tuple[int, int]:
    """(n, m) of a bag spec "n/m" (bag n of m), e.g. "2/3" -> (2, 3); a UserError sentence
    if it is not one."""
    m = _BAG_SPEC_RE.fullmatch(text)
    if m is None:
        raise UserError(f"Bag {text!r} is not bag N of M: write N/M, e.g. 2/3.")
    n, total = int(m.group(1)), int(m.group(2))
    check_bag(n, total, text.strip())
    return n, total


def check_bag(n: int, m: int, spec: str) -> None:
    """Raise a UserError unless bag `n` of `m` is possible (1 <= n <= m <= 99)."""
    if not 1 <= m <= MAX_BAGS:
        raise UserError(f"Bag {spec}: an order has 1 to {MAX_BAGS} bags, not {m}.")
    if not 1 <= n <= m:
        raise UserError(f"Bag {spec}: the bag number must be from 1 to {m}, not {n}.")


def _not_order(order_id: str) -> str:
    return f"{order_id!r} is not an order id: OR and 6 to 10 digits, e.g. OR52000001."


def _not_area(area: str) -> str:
    return (
        f"Area code {area!r} is not one: 1 to 12 letters, digits or dashes, e.g. KOR-4 or 560034."
    )


# The layout: what is printed where, in dots from the label's top left corner.


@dataclass(frozen=True)
class TextField:
    """A line of text, `height` dots high. With `width`, aligned within x .. x + width.
    `reverse`: white, to stand on a black `Box`."""

    x: int
    y: int
    height: int
    text: str
    width: int = 0
    align: Literal["left", "center", "right"] = "left"
    reverse: bool = False


@dataclass(frozen=True)
class Box:
    """A rectangle with a black border `thickness` dots wide; filled when the border meets
    itself (2 x thickness >= the smaller side), as ZPL's ^GB draws it."""

    x: int
    y: int
    width: int
    height: int
    thickness: int

    @property
    def filled(self) -> bool:
        """Whether the box is solid black."""
        return 2 * self.thickness >= min(self.width, self.height)


@dataclass(frozen=True)
class BarcodeField:
    """A Code 128 of `data`: bars `height` dots high, the narrowest `module` dots wide."""

    x: int
    y: int
    height: int
    module: int
    data: str


LabelItem = TextField | Box | BarcodeField

_MARGIN = 30
_INNER = LABEL_W - 2 * _MARGIN


def label_layout(label: BagLabel) -> tuple[LabelItem, ...]:
    """What the label shows and where, in drawing order (a reversed text after its box)."""
    m, w = _MARGIN, _INNER
    items: list[LabelItem] = [
        TextField(m, 30, 64, label.order_id),
        TextField(m, 30, 64, f"BAG {label.bag}/{label.bags}", width=w, align="right"),
    ]
    if label.area:
        items.append(TextField(m, 112, 44, f"AREA {label.area}"))
    if label.duplicate:
        items += [
            Box(LABEL_W - m - 300, 102, 300, 62, 5),
            TextField(LABEL_W - m - 300, 112, 44, "DUPLICATE", width=300, align="center"),
        ]
    items += [
        Box(m, 180, w, 110, 110),
        TextField(m, 195, 80, label.temp.upper(), width=w, align="center", reverse=True),
    ]
    if label.hand_over_by:
        items.append(TextField(m, 308, 44, f"HAND OVER BY {label.hand_over_by}"))
    items += [
        BarcodeField(m + 30, 375, 150, 3, label.bag_id),
        TextField(m + 30, 537, 40, label.bag_id),
    ]
    return tuple(items)


def label_zpl(label: BagLabel) -> str:
    """The label as a ZPL II format (^XA ... ^XZ) for a 203 dpi Zebra printer."""
    lines = ["^XA", f"^PW{LABEL_W}", f"^LL{LABEL_H}", "^LH0,0", "^CI28"]
    for item in label_layout(label):
        lines.append(_zpl_item(item))
    lines.append("^XZ")
    return "\n".join(lines) + "\n"


def _zpl_item(item: LabelItem) -> str:
    at = f"^FO{item.x},{item.y}"
    if isinstance(item, Box):
        return f"{at}^GB{item.width},{item.height},{item.thickness}^FS"
    if isinstance(item, BarcodeField):
        # Mode A: the printer picks Code 128 subsets (B for BG, C for the digit pairs); the
        # code's text is a TextField of its own, the same on ZPL, PNG and SVG.
        return f"{at}^BY{item.module}^BCN,{item.height},N,N,N,A^FD{item.data}^FS"
    block = ""
    if item.width:
        block = f"^FB{item.width},1,0,{item.align[0].upper()},0"
    reverse = "^FR" if item.reverse else ""
    return f"{at}{block}^A0N,{item.height},{item.height}{reverse}^FD{item.text}^FS"
