"""GS1 element strings (GS1-128, GS1 DataMatrix, GS1 QR) and GS1 Digital Link URIs read as
products, by biip, with the traps `picker_app.domain.scan` lists: leading and stray inner
FNC1, and a variable-length field sent without its separator.
"""

from __future__ import annotations

import re

from biip import ParseConfig, ParseError
from biip.gs1_digital_link_uris import GS1DigitalLinkURI
from biip.gs1_element_strings import GS1ElementStrings
from biip.gs1_messages import GS1Message
from biip.symbology import GS1Symbology

from picker_app.domain.scan_result import (
    REASON_CHECK_DIGIT,
    REASON_EMPTY,
    REASON_GS1_DAMAGED,
    REASON_GS1_NO_GTIN,
    Scan,
)

GS = "\x1d"  # group separator: FNC1 inside a GS1 element string

GS1_MESSAGE_IDS = frozenset(f"]{s.value}" for s in GS1Symbology.with_gs1_messages())
_GTIN_IDS = frozenset(f"]{s.value}" for s in GS1Symbology.with_gtin())
_INNER_FNC1_RE = re.compile("|".join(re.escape(s) for s in sorted(GS1_MESSAGE_IDS)))
BIIP_CONFIG = ParseConfig(separator_chars=(GS,))
_RECOVERY_MAX_LEN = 120


def _parse_gs1(data: str) -> GS1ElementStrings:
    if data.lower().startswith(("http://", "https://")):
        return GS1DigitalLinkURI.parse(data, config=BIIP_CONFIG).element_strings
    return GS1Message.parse(data, config=BIIP_CONFIG).element_strings


def _good_gtin(elements: GS1ElementStrings) -> bool:
    e01 = elements.get(ai="01")
    return e01 is not None and e01.gtin is not None


def read_gs1(text: str, symbology: str | None, data: str) -> Scan:
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
            elements = GS1Message.parse(
                f"{data[:i]}{GS}{data[i:]}", config=BIIP_CONFIG
            ).element_strings
        except ParseError:
            continue
        if _good_gtin(elements):
            found[tuple((e.ai.ai, e.value) for e in elements)] = elements
    if len(found) == 1:
        return next(iter(found.values()))
    return None
