"""The labels the store prints: bin, tote, bag, badge and order codes.

Case-insensitive on input, upper case in the code; a bin code is normalised as `Layout.bin`
does. The schemes are tabled in `picker_app.domain.scan`.
"""

from __future__ import annotations

import re

from picker_app.domain.scan_result import ScanKind

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


def read_label(text: str) -> tuple[ScanKind, str] | None:
    """(kind, code) of a store label, the code normalised; None if it is not one."""
    m = _BIN_RE.fullmatch(text)
    if m:
        return "bin", f"{m.group(1).upper()}{int(m.group(2)):02d}-{int(m.group(3))}"
    for kind, pattern in _PREFIXED:
        if pattern.fullmatch(text):
            return kind, text.upper()
    return None
