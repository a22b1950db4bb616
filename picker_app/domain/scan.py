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

The parts live in modules of their own, all re-exported here (import them from here):
`scan_result` (`Scan`, kinds, reasons), `scan_config` (`ScanConfig`, variable-measure
layouts and their reading), `scan_labels` (store labels), `scan_gs1` (GS1 element strings)
and `scan_guard` (`DoubleScanGuard`). This module reads plain GTINs and says which part
reads the rest.
"""

from __future__ import annotations

from biip import ParseError
from biip.gtin import Gtin
from biip.symbology import SymbologyIdentifier
from biip.upc import Upc

from picker_app.domain.scan_config import (
    DEFAULT_SCAN_CONFIG,
    DEFAULT_VARIABLE_MEASURE,
    ScanConfig,
    VariableMeasureLayout,
    lookup_gtins,
    read_variable_measure,
)
from picker_app.domain.scan_gs1 import BIIP_CONFIG, GS, GS1_MESSAGE_IDS, read_gs1
from picker_app.domain.scan_guard import DoubleScanGuard
from picker_app.domain.scan_labels import (
    badge_label,
    bag_label,
    order_label,
    read_label,
    tote_label,
)
from picker_app.domain.scan_result import (
    KINDS,
    REASON_CHECK_DIGIT,
    REASON_EMPTY,
    REASON_GS1_DAMAGED,
    REASON_GS1_NO_GTIN,
    REASON_INTERNAL,
    REASON_PRICE_CHECK,
    REASON_TOO_SHORT,
    REASON_TRUNCATED,
    REASON_UNKNOWN,
    Scan,
    ScanKind,
    reason_no_layout,
)

__all__ = [
    "DEFAULT_SCAN_CONFIG",
    "DEFAULT_VARIABLE_MEASURE",
    "GS",
    "KINDS",
    "REASON_CHECK_DIGIT",
    "REASON_EMPTY",
    "REASON_GS1_DAMAGED",
    "REASON_GS1_NO_GTIN",
    "REASON_INTERNAL",
    "REASON_PRICE_CHECK",
    "REASON_TOO_SHORT",
    "REASON_TRUNCATED",
    "REASON_UNKNOWN",
    "DoubleScanGuard",
    "Scan",
    "ScanConfig",
    "ScanKind",
    "VariableMeasureLayout",
    "badge_label",
    "bag_label",
    "interpret",
    "lookup_gtins",
    "order_label",
    "reason_no_layout",
    "tote_label",
]


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

    if symbology in GS1_MESSAGE_IDS or data.startswith(GS) or GS in data:
        return read_gs1(text, symbology, data)

    internal = read_label(data)
    if internal is not None:
        kind, code = internal
        return Scan(raw=text, kind=kind, symbology=symbology, code=code)

    if _digits(data):
        n = len(data)
        if n in (8, 12, 13, 14):
            return _gtin(text, symbology, data, config)
        if n > 14:
            return read_gs1(text, symbology, data)
        if n < 6:
            return reject(REASON_TOO_SHORT, symbology)
        return reject(REASON_TRUNCATED, symbology)

    if data.lower().startswith(("http://", "https://")):
        return read_gs1(text, symbology, data)
    if len(data) >= 18 and _digits(data[:2]):
        # Perhaps a GS1 element string from a scanner that sends no identifier and no FNC1:
        # taken only if it reads as a product, since nothing else says it is GS1.
        scan = read_gs1(text, symbology, data)
        if scan.kind == "product":
            return scan
    return reject(REASON_UNKNOWN, symbology)


def _gtin(text: str, symbology: str | None, digits: str, config: ScanConfig) -> Scan:
    """A product or variable-measure code from a plain string of 8, 12, 13 or 14 digits."""

    def reject(reason: str) -> Scan:
        return Scan(raw=text, kind="rejected", symbology=symbology, reason=reason)

    if len(digits) == 13 and digits[0] == "2":
        return read_variable_measure(text, symbology, digits, config)

    attempts: list[str] = ["gtin"]
    if len(digits) == 8 and digits[0] in "01" and symbology != "]E4":
        # `]E0` + 8 digits is a UPC-E (EAN-8 is `]E4`); unmarked, biip's order: GTIN-8 first.
        attempts = ["upc", "gtin"] if symbology == "]E0" else ["gtin", "upc"]
    for attempt in attempts:
        try:
            if attempt == "upc":
                gtin14 = Upc.parse(digits).as_gtin_14()
            else:
                gtin14 = Gtin.parse(digits, config=BIIP_CONFIG).as_gtin_14()
        except ParseError:
            continue
        return Scan(raw=text, kind="product", symbology=symbology, gtin=gtin14)
    return reject(REASON_CHECK_DIGIT)
