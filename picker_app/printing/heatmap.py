"""The heat map as a PNG for a report: the floor, each bay coloured by its picks (pale yellow to
dark red on a log scale, the busiest darkest), bays never picked in grey, the pack station in
blue, and a legend with the scale and the totals per zone."""

from __future__ import annotations

import math
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from picker_app.domain.heatmap import HeatSummary
from picker_app.domain.layout import Layout
from picker_app.errors import UserError

CELL_PX = 14
LEGEND_PX = 64
TITLE_PX = 26  # the band over each map of a pair, for its title
PAIR_GAP_PX = 2 * CELL_PX  # between the two maps of a pair
_LOW = (255, 237, 160)  # the least picked
_HIGH = (177, 0, 38)  # the most picked
_WALL = (90, 90, 90)
_FLOOR = (255, 255, 255)
_IDLE = (205, 205, 205)
_PACK = (33, 102, 172)


def _ramp(share: float) -> tuple[int, int, int]:
    r, g, b = (round(lo + (hi - lo) * share) for lo, hi in zip(_LOW, _HIGH, strict=True))
    return r, g, b


def heat_image(
    layout: Layout, summary: HeatSummary, top: int | None = None, title: str | None = None
) -> Image.Image:
    """The map with its legend; `top` the picks drawn darkest (default: the busiest bay's), and
    `title`, if given, in a band above the map."""
    width = max(layout.width * CELL_PX, 660)
    head = TITLE_PX if title else 0
    image = Image.new("RGB", (width, head + layout.height * CELL_PX + LEGEND_PX), _FLOOR)
    draw = ImageDraw.Draw(image)
    if top is None:
        top = max(summary.bays.values(), default=0)
    bay_at = {bay.cell: bay for bay in layout.bays}
    font = ImageFont.load_default(size=13)
    if title:
        draw.text((8, 6), title, fill=(0, 0, 0), font=font)
    for r, row in enumerate(layout.rows):
        for c, ch in enumerate(row):
            y0 = head + r * CELL_PX
            box = (c * CELL_PX, y0, (c + 1) * CELL_PX - 1, y0 + CELL_PX - 1)
            bay = bay_at.get((r, c))
            if bay is not None:
                n = summary.bays.get(bay.code, 0)
                share = math.log1p(n) / math.log1p(top) if n and top else 0.0
                draw.rectangle(box, fill=_ramp(share) if n else _IDLE)
            elif (r, c) == layout.pack:
                draw.rectangle(box, fill=_PACK)
            elif ch == "#":
                draw.rectangle(box, fill=_WALL)
    y = head + layout.height * CELL_PX + 8
    for i in range(100):
        x = 8 + i * 2
        draw.rectangle((x, y, x + 1, y + 12), fill=_ramp(i / 99))
    scale = f"1 to {top} picks per bay, log scale ({summary.window})"
    draw.text((216, y), scale, fill=(0, 0, 0), font=font)
    zones = ", ".join(f"{name} {n}" for name, n in summary.zones.items())
    draw.text((8, y + 22), f"{zones}; total {summary.total}", fill=(0, 0, 0), font=font)
    return image


def write_heat_png(layout: Layout, summary: HeatSummary, path: str | Path) -> None:
    """Write the heat map to `path`; a UserError sentence if the file cannot be written."""
    _save(heat_image(layout, summary), Path(path))


def _save(image: Image.Image, target: Path) -> None:
    try:
        image.save(target, format="PNG")
    except OSError as err:
        raise UserError(f"{target}: cannot write the heat map: {err.strerror or err}") from None


def heat_pair_image(
    layout: Layout,
    before: HeatSummary,
    after: HeatSummary,
    titles: tuple[str, str] = ("before", "after"),
) -> Image.Image:
    """The two heat maps side by side, each under its title, on one colour scale."""
    top = max(*before.bays.values(), *after.bays.values(), 0)
    left = heat_image(layout, before, top, titles[0])
    right = heat_image(layout, after, top, titles[1])
    image = Image.new(
        "RGB", (left.width + PAIR_GAP_PX + right.width, max(left.height, right.height)), _FLOOR
    )
    image.paste(left, (0, 0))
    image.paste(right, (left.width + PAIR_GAP_PX, 0))
    return image


def write_heat_pair_png(
    layout: Layout,
    before: HeatSummary,
    after: HeatSummary,
    path: str | Path,
    titles: tuple[str, str] = ("before", "after"),
) -> None:
    """Write the two heat maps side by side to `path`; a UserError sentence if it cannot."""
    _save(heat_pair_image(layout, before, after, titles), Path(path))
