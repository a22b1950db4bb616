"""What a scan means: one raw scanner line in, one `Scan` out; and the double-scan guard.

`interpret` never raises: anything it cannot read becomes a `Scan` of kind `rejected` whose
`reason` is one plain sentence for the picker.

A raw line may start with an AIM symbology identifier (`]E0` EAN-13/UPC, `]E4` EAN-8, `]C1`
GS1-128, `]d2` GS1 DataMatrix, `]Q3` GS1 QR, `]C0` plain Code 128, `]A0` Code 39, ...). It is kept
in `Scan.symbology` and tells GS1 element strings from plain data; without one the data decides.

Kinds of scan:

- `product`: a GTIN-8/12/13/14 or UPC-E with a good check digit, or a GS1 element string
  (GS1-128, GS1 DataMatrix, GS1 QR, or a GS1 Digital Link URI) with a good AI (01) GTIN. Read
  from it: AI 10 batch, 17 expiry (DD=00 is the last day of the month), 21 serial, 310x net
  weight in kg. `gtin` is always 14 digits.
- `variable_measure`: an EAN-13 with prefix 20-29 carrying a weight or a price in the layout the
  store configures (`ScanConfig.variable_measure`; there is no national layout in India). `gtin`
  is the look-up GTIN: the code with its variable part zeroed and the check digit recomputed.
- Internal codes printed by the store, case-insensitive on input, upper case in `code`:

  ======  =============================================  =========================
  kind    scheme                                         example (input -> code)
  ======  =============================================  =========================
  bin     aisle letter, bay number, `-`, level number    `a7-2`, `A007-02` -> `A07-2`
  tote    `TT` + exactly 6 digits                        `tt000042` -> `TT000042`
  bag     `BG` + 6 to 10 digits                          `BG1023401`
  badge   `BD` + 4 to 8 digits                           `bd1042` -> `BD1042`
  order   `OR` + 6 to 10 digits                          `OR102345`
  ======  =============================================  =========================

  A bin code is normalised as `Layout.bin` does (bay at least two digits, level as a number),
  up to 4 bay and 3 level digits; whether the bin exists is the workflow's business. Digits of
  tote, bag, badge and order codes are kept as printed (leading zeros count).
  `tote_label`, `bag_label`, `badge_label` and `order_label` make valid codes.
- `rejected`: anything else. Pure digit strings of a length no product barcode has are
  "truncated" when 6-7 or 9-11 digits long, "unknown" otherwise.

GS1 element strings: FNC1 may arrive as the leading `]C1`/`]d2`/`]Q3`, as a leading GS (0x1d), or
as GS between fields; `ScanConfig.gs_substitute` (e.g. `|` or `^`, for wedge scanners that drop
GS) is read as GS. Three traps are handled:

- leading FNC1 (`]C1`, GS, or both) is dropped before parsing;
- a stray `]C1`/`]d2`/`]Q3` inside the data (scanners that send FNC1 in the middle as another
  symbology identifier) is read as a separator: `]` cannot occur in GS1 data (CSET 82);
- a variable-length AI (10 batch, 21 serial, ...) placed before another AI without a separator
  makes a greedy parse swallow the GTIN. When the plain parse yields no good GTIN, one separator
  is tried at every place; if exactly one place gives a full parse with a good AI (01) GTIN it is
  used, otherwise the scan is rejected. A variable-length field that swallows a *later* optional
  field (e.g. `10` before `17` at the end) cannot be told from a long batch and is read as biip
  reads it.

What biip does here and what this module adds (biip 5.2):

- biip: symbology identifiers, GTIN/UPC-A/UPC-E check digits and expansion, GS1 element strings
  (AI table, dates incl. DD=00, 310x decimals), GS1 Digital Link URIs, GS1 check-digit math.
- Written here: variable-measure (prefix 20-29) codes. biip reads them as RCNs with fixed
  national layouts (Sweden, Germany, GB, ...) and has no store-configurable layout and no India;
  we use its check-digit functions only. Also written here: UPC-E (8 digits) under `]E0`, which
  biip.parse only tries as GTIN; rejecting 6- and 7-digit UPC-E (biip accepts them, but they
  carry no check digit, so a truncated read would pass); the substitute separator, stray inner
  `]C1` and missing-separator recovery above; mapping biip errors to sentences for pickers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from biip import ParseConfig, ParseError
from biip.checksums import gs1_price_weight_check_digit, gs1_standard_check_digit
from biip.gs1_digital_link_uris import GS1DigitalLinkURI
from biip.gs1_element_strings import GS1ElementStrings
from biip.gs1_messages import GS1Message
from biip.gtin import Gtin
from biip.symbology import GS1Symbology, SymbologyIdentifier
from biip.upc import Upc
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

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

GS = "\x1d"

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


# --- the result --------------------------------------------------------------------------------


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


# --- internal codes ----------------------------------------------------------------------------

_FLAGS = re.ASCII | re.IGNORECASE
_BIN_RE = re.compile(r"([a-z])([0-9]{1,4})-([0-9]{1,3})", _FLAGS)
_PREFIXED: tuple[tuple[ScanKind, re.Pattern[str]], ...] = (
    ("tote", re.compile(r"TT[0-9]{6}", _FLAGS)),
    ("bag", re.compile(r"BG[0-9]{6,10}", _FLAGS)),
    ("badge", re.compile(r"BD[0-9]{4,8}", _FLAGS)),
    ("order", re.compile(r"OR[0-9]{6,10}", _FLAGS)),
)


def _label(prefix: str, n: int, min_digits: int, max_digits: int) -> str:
    if n < 0 or len(str(n)) > max_digits:
        raise ValueError(f"{prefix} label number must be 0 to {10**max_digits - 1}, got {n}")
    return f"{prefix}{n:0{min_digits}d}"


def tote_label(n: int) -> str:
    """The tote code for number `n` (0-999999), e.g. `TT000042`."""
    return _label("TT", n, 6, 6)


def bag_label(n: int) -> str:
    """The bag code for number `n` (up to 10 digits), zero-padded to 6 digits, e.g. `BG001023`."""
    return _label("BG", n, 6, 10)


def badge_label(n: int) -> str:
    """The badge code for number `n` (up to 8 digits), zero-padded to 4 digits, e.g. `BD1042`."""
    return _label("BD", n, 4, 8)


def order_label(n: int) -> str:
    """The order code for number `n` (up to 10 digits), zero-padded to 6 digits, e.g. `OR102345`."""
    return _label("OR", n, 6, 10)


def _internal(text: str) -> tuple[ScanKind, str] | None:
    m = _BIN_RE.fullmatch(text)
    if m:
        return "bin", f"{m.group(1).upper()}{int(m.group(2)):02d}-{int(m.group(3))}"
    for kind, pattern in _PREFIXED:
        if pattern.fullmatch(text):
            return kind, text.upper()
    return None


# --- interpretation ----------------------------------------------------------------------------

_GS1_MESSAGE_IDS = frozenset(f"]{s.value}" for s in GS1Symbology.with_gs1_messages())
_GTIN_IDS = frozenset(f"]{s.value}" for s in GS1Symbology.with_gtin())
_INNER_FNC1_RE = re.compile("|".join(re.escape(s) for s in sorted(_GS1_MESSAGE_IDS)))
_BIIP = ParseConfig(separator_chars=(GS,))
_RECOVERY_MAX_LEN = 120


def _digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


def interpret(raw: str, config: ScanConfig = DEFAULT_SCAN_CONFIG) -> Scan:
    """What the raw scanner line `raw` means; never raises (a `rejected` Scan instead)."""
    text = raw.strip(" \t\r\n\v\f") if isinstance(raw, str) else ""
    try:
        return _interpret(text, config)
    except Exception:  # a scan must never crash the terminal: unforeseen input is a rejection
        return Scan(raw=text, kind="rejected", reason=REASON_INTERNAL)


def _interpret(text: str, config: ScanConfig) -> Scan:
    def reject(reason: str, symbology: str | None = None) -> Scan:
        return Scan(raw=text, kind="rejected", symbology=symbology, reason=reason)

    if not text:
        return reject(REASON_EMPTY)

    symbology: str | None = None
    data = text
    if text.startswith("]"):
        try:
            symbology = SymbologyIdentifier.extract(text).value
        except (ParseError, IndexError, ValueError):
            return reject(REASON_UNKNOWN)
        if not text.startswith(symbology):  # too short to hold its modifier
            return reject(REASON_UNKNOWN)
        data = text[len(symbology) :]
        if not data.strip(GS):
            return reject(REASON_EMPTY, symbology)

    if config.gs_substitute:
        data = data.replace(config.gs_substitute, GS)

    if symbology in _GS1_MESSAGE_IDS or data.startswith(GS) or GS in data:
        return _gs1(text, symbology, data)

    internal = _internal(data)
    if internal is not None:
        kind, code = internal
        return Scan(raw=text, kind=kind, symbology=symbology, code=code)

    if _digits(data):
        n = len(data)
        if n in (8, 12, 13, 14):
            return _gtin(text, symbology, data, config)
        if n > 14:
            return _gs1(text, symbology, data)
        if n < 6:
            return reject(REASON_TOO_SHORT, symbology)
        return reject(REASON_TRUNCATED, symbology)

    if data.lower().startswith(("http://", "https://")):
        return _gs1(text, symbology, data)
    if len(data) >= 18 and _digits(data[:2]):
        # Perhaps a GS1 element string from a scanner that sends no identifier and no FNC1:
        # taken only if it reads as a product, since nothing else says it is GS1.
        scan = _gs1(text, symbology, data)
        if scan.kind == "product":
            return scan
    return reject(REASON_UNKNOWN, symbology)


def _gtin(text: str, symbology: str | None, digits: str, config: ScanConfig) -> Scan:
    """A product or variable-measure code from a plain string of 8, 12, 13 or 14 digits."""

    def reject(reason: str) -> Scan:
        return Scan(raw=text, kind="rejected", symbology=symbology, reason=reason)

    if len(digits) == 13 and digits[0] == "2":
        return _variable_measure(text, symbology, digits, config)

    attempts: list[str] = ["gtin"]
    if len(digits) == 8 and digits[0] in "01" and symbology != "]E4":
        # `]E0` + 8 digits is a UPC-E (EAN-8 is `]E4`); unmarked, biip's order: GTIN-8 first.
        attempts = ["upc", "gtin"] if symbology == "]E0" else ["gtin", "upc"]
    for attempt in attempts:
        try:
            if attempt == "upc":
                gtin14 = Upc.parse(digits).as_gtin_14()
            else:
                gtin14 = Gtin.parse(digits, config=_BIIP).as_gtin_14()
        except ParseError:
            continue
        return Scan(raw=text, kind="product", symbology=symbology, gtin=gtin14)
    return reject(REASON_CHECK_DIGIT)


def _variable_measure(text: str, symbology: str | None, digits: str, config: ScanConfig) -> Scan:
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


def _parse_gs1(data: str) -> GS1ElementStrings:
    if data.lower().startswith(("http://", "https://")):
        return GS1DigitalLinkURI.parse(data, config=_BIIP).element_strings
    return GS1Message.parse(data, config=_BIIP).element_strings


def _good_gtin(elements: GS1ElementStrings) -> bool:
    e01 = elements.get(ai="01")
    return e01 is not None and e01.gtin is not None


def _gs1(text: str, symbology: str | None, data: str) -> Scan:
    """A product from a GS1 element string (or Digital Link URI)."""

    def reject(reason: str) -> Scan:
        return Scan(raw=text, kind="rejected", symbology=symbology, reason=reason)

    data = _INNER_FNC1_RE.sub(GS, data).strip(GS)
    if not data:
        return reject(REASON_EMPTY)
    elements: GS1ElementStrings | None
    try:
        elements = _parse_gs1(data)
    except ParseError:
        elements = None
    if elements is None or not _good_gtin(elements):
        recovered = _recover_missing_separator(data)
        if recovered is not None:
            elements = recovered
    if elements is None:
        return reject(REASON_GS1_DAMAGED)
    e01 = elements.get(ai="01")
    if e01 is None:
        return reject(REASON_GS1_NO_GTIN)
    if e01.gtin is None:
        return reject(REASON_CHECK_DIGIT)

    def value(ai: str) -> str | None:
        element = elements.get(ai=ai) if elements is not None else None
        return element.value if element is not None else None

    e17 = elements.get(ai="17")
    weight = next(
        (float(e.decimal) for e in elements if e.ai.ai[:3] == "310" and e.decimal is not None),
        None,
    )
    return Scan(
        raw=text,
        kind="product",
        symbology=symbology,
        gtin=e01.gtin.as_gtin_14(),
        batch=value("10"),
        expiry=e17.date if e17 is not None else None,
        serial=value("21"),
        net_weight_kg=weight,
    )


def _recover_missing_separator(data: str) -> GS1ElementStrings | None:
    """The one parse with a good GTIN that a single added separator gives, if exactly one does.

    Covers a variable-length AI (10, 21, ...) sent before another AI without its separator.
    """
    if len(data) > _RECOVERY_MAX_LEN or data.lower().startswith("http"):
        return None
    found: dict[tuple[tuple[str, str], ...], GS1ElementStrings] = {}
    for i in range(3, len(data)):
        if GS in (data[i - 1], data[i]):
            continue
        try:
            elements = GS1Message.parse(f"{data[:i]}{GS}{data[i:]}", config=_BIIP).element_strings
        except ParseError:
            continue
        if _good_gtin(elements):
            found[tuple((e.ai.ai, e.value) for e in elements)] = elements
    if len(found) == 1:
        return next(iter(found.values()))
    return None


# --- double-scan guard -------------------------------------------------------------------------


class DoubleScanGuard:
    """Drops a scanner's double read of one code; in counting mode keeps every scan.

    In picking mode a code identical to one accepted less than `window_s` seconds before is a
    double read (one trigger pull decoded twice) and is dropped; at `window_s` or later it counts
    (a person pulled the trigger again). The last accepted time is kept per code, not just for the
    last code: a presentation scanner that sees two barcodes on one pack can read A, B, A within
    one pull, and the second A is still a double read. Other codes in between reset nothing.
    In counting mode (`counting=True`, stock counts of identical packs) every scan counts.
    """

    def __init__(self, window_s: float = 0.3, counting: bool = False) -> None:
        if window_s < 0:
            raise ValueError(f"window_s must be >= 0, got {window_s}")
        self.window_s = window_s
        self.counting = counting
        self._last: dict[str, float] = {}

    def accept(self, raw_or_code: str, t: float) -> bool:
        """Whether the scan of `raw_or_code` at monotonic time `t` (seconds) counts."""
        key = raw_or_code.strip()
        if self.counting:
            self._last[key] = t
            return True
        last = self._last.get(key)
        if last is not None and 0 <= t - last < self.window_s:
            return False
        self._forget_before(t - self.window_s)
        self._last[key] = t
        return True

    def reset(self) -> None:
        """Forget every code seen (e.g. when a new pick task starts)."""
        self._last.clear()

    def _forget_before(self, cutoff: float) -> None:
        if len(self._last) > 64:
            self._last = {k: v for k, v in self._last.items() if v >= cutoff}
