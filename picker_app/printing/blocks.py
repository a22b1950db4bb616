"""A Code 128 drawn with block characters, for a kiosk screen a rider's own scanner can read:
two modules a character (`█ ▌ ▐` and space), with a quiet zone of ten modules each side."""

from __future__ import annotations

from barcode.codex import Code128

QUIET = 10  # modules of white each side (Code 128 asks for ten)
_CELL = {"11": "█", "10": "▌", "01": "▐", "00": " "}


def block_code128(data: str, height: int = 5) -> list[str]:
    """The rows of `data`'s Code 128 (the same on each row), its text centred under them."""
    pattern = "0" * QUIET + Code128(data).build()[0] + "0" * QUIET
    if len(pattern) % 2:
        pattern += "0"
    row = "".join(_CELL[pattern[i : i + 2]] for i in range(0, len(pattern), 2))
    return [row] * height + [data.center(len(row))]


def width_of(data: str) -> int:
    """How many characters wide `block_code128(data)` is."""
    return len(block_code128(data, 1)[0])
