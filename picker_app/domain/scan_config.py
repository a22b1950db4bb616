"""Store settings for reading scans, and the in-store weight/price codes they set up.

A variable-measure code is an EAN-13 with prefix 20-29 carrying a weight or a price in the
layout the store configures (there is no national layout in India). biip reads such codes as
RCNs with fixed national layouts only, so they are read here; biip gives the check digits.
"""

from __future__ import annotations

import re
from typing import Literal

from biip.checksums import gs1_price_weight_check_digit, gs1_standard_check_digit
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from picker_app.domain.scan_result import (
    REASON_CHECK_DIGIT,
    REASON_PRICE_CHECK,
    Scan,
    reason_no_layout,
)

# --- configuration -----------------------------------------------------------------------------


class VariableMeasureLayout(BaseModel):
    """How one family of in-store EAN-13 codes (prefix 20-29) carries a weight or a price.

    Positions, left to right: prefix, `item_digits` item reference, an optional price/weight
    check digit (`price_check_digit`, GS1 General Specifications 7.9.2-7.9.4), `value_digits`
    of the value, the EAN-13 check digit; 13 digits in all. The value is in kg (weight) or rupees
    (price) with `decimals` digits after the point: grams are weight with 3, paise price with 2.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    prefixes: tuple[str, ...] = Field(min_length=1)
    item_digits: int = Field(ge=1, le=9)
    measure: Literal["weight", "price"]
    value_digits: int = Field(ge=1, le=9)
    decimals: int = Field(ge=0, le=6)
    price_check_digit: bool = False

    @field_validator("prefixes")
    @classmethod
    def _prefix_range(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for prefix in value:
            if not re.fullmatch(r"2[0-9]{1,2}", prefix):
                raise ValueError(f"prefix {prefix!r} is not 2 or 3 digits in 20-29")
        return value

    @model_validator(mode="after")
    def _fills_ean13(self) -> VariableMeasureLayout:
        if self.price_check_digit and self.value_digits not in (4, 5):
            raise ValueError("a price/weight check digit needs a 4- or 5-digit value")
        for prefix in self.prefixes:
            used = len(prefix) + self.item_digits + self.price_check_digit + self.value_digits
            if used != 12:
                raise ValueError(
                    f"prefix {prefix}: prefix, item, check and value digits make {used}, "
                    "need 12 (13 with the EAN-13 check digit)"
                )
        return self


DEFAULT_VARIABLE_MEASURE: tuple[VariableMeasureLayout, ...] = (
    VariableMeasureLayout(
        prefixes=("21",), item_digits=5, measure="weight", value_digits=5, decimals=3
    ),
    VariableMeasureLayout(
        prefixes=("22",), item_digits=5, measure="price", value_digits=5, decimals=2
    ),
)


def lookup_gtins(store_code: str, layouts: tuple[VariableMeasureLayout, ...]) -> set[str]:
    """The 14-digit look-up GTINs a scan of an in-store weight label of item `store_code` reads
    as (one per weight layout whose item reference fits the code), as `interpret` reports them."""
    out = set()
    for layout in layouts:
        if layout.measure != "weight" or not store_code.isdigit():
            continue
        if len(store_code) > layout.item_digits:
            continue
        for prefix in layout.prefixes:
            fixed = prefix + store_code.zfill(layout.item_digits)
            zeroed = fixed + "0" * (12 - len(fixed))
            out.add(f"0{zeroed}{gs1_standard_check_digit(zeroed)}")
    return out


class ScanConfig(BaseModel):
    """Store settings for reading scans."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    gs_substitute: str | None = None
    """A character the scanner sends instead of GS (FNC1), e.g. `|` or `^`; None: GS only."""

    variable_measure: tuple[VariableMeasureLayout, ...] = DEFAULT_VARIABLE_MEASURE
    """The store's weight/price code layouts (EAN-13 prefix 20-29)."""

    @field_validator("gs_substitute")
    @classmethod
    def _one_symbol(cls, value: str | None) -> str | None:
        if value is not None and (len(value) != 1 or value.isalnum() or value.isspace()):
            raise ValueError("must be one character that is not a letter, digit or space")
        return value

    @model_validator(mode="after")
    def _prefixes_unique(self) -> ScanConfig:
        seen: set[str] = set()
        for layout in self.variable_measure:
            for prefix in layout.prefixes:
                if prefix in seen:
                    raise ValueError(f"variable-measure prefix {prefix} is configured twice")
                seen.add(prefix)
        return self


DEFAULT_SCAN_CONFIG = ScanConfig()


# --- reading ---------------------------------------------------------------------------------


def read_variable_measure(
    text: str, symbology: str | None, digits: str, config: ScanConfig
) -> Scan:
    """An EAN-13 with prefix 20-29, read with the store's layout (biip has no such layouts)."""

    def reject(reason: str) -> Scan:
        return Scan(raw=text, kind="rejected", symbology=symbology, reason=reason)

    if gs1_standard_check_digit(digits[:12]) != int(digits[12]):
        return reject(REASON_CHECK_DIGIT)
    match: tuple[str, VariableMeasureLayout] | None = None
    for layout in config.variable_measure:
        for prefix in layout.prefixes:
            if digits.startswith(prefix) and (match is None or len(prefix) > len(match[0])):
                match = (prefix, layout)
    if match is None:
        return reject(reason_no_layout(digits[:2]))
    prefix, layout = match
    fixed = len(prefix) + layout.item_digits
    pos = fixed
    if layout.price_check_digit:
        value = digits[pos + 1 : pos + 1 + layout.value_digits]
        if gs1_price_weight_check_digit(value) != int(digits[pos]):
            return reject(REASON_PRICE_CHECK)
    else:
        value = digits[pos : pos + layout.value_digits]
    amount = int(value) / 10**layout.decimals
    zeroed = digits[:fixed] + "0" * (12 - fixed)
    lookup = f"0{zeroed}{gs1_standard_check_digit(zeroed)}"
    weight = amount if layout.measure == "weight" else None
    price = amount if layout.measure == "price" else None
    return Scan(
        raw=text,
        kind="variable_measure",
        symbology=symbology,
        gtin=lookup,
        net_weight_kg=weight,
        price=price,
    )
