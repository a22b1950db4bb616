"""The kiosk's on-screen Code 128 (printing/blocks.py) reads back as the bag id: its rows drawn
as pixels, two modules a character, and decoded by a real decoder (zxing-cpp)."""

from __future__ import annotations

import pytest
import zxingcpp
from PIL import Image

from picker_app.printing.blocks import block_code128, width_of

PIXELS = {"█": (0, 0), "▌": (0, 1), "▐": (1, 0), " ": (1, 1)}  # left, right: 0 black


def as_image(rows: list[str], module_px: int = 3, row_px: int = 12) -> Image.Image:
    width = len(rows[0]) * 2 * module_px
    image = Image.new("L", (width, len(rows) * row_px), 255)
    for y, row in enumerate(rows):
        for x, char in enumerate(row):
            for half, white in enumerate(PIXELS[char]):
                if white:
                    continue
                x0 = (2 * x + half) * module_px
                image.paste(0, (x0, y * row_px, x0 + module_px, (y + 1) * row_px))
    return image


@pytest.mark.parametrize("code", ["BG5200000101", "BG5200123402", "BG4120000199"])
def test_the_block_barcode_reads_back_as_the_bag_id(code):
    rows = block_code128(code, height=5)
    assert rows[-1].strip() == code and len(rows[0]) == width_of(code)
    found = zxingcpp.read_barcodes(as_image(rows[:-1]))
    assert [(r.text, r.format.name) for r in found] == [(code, "Code128")]
