"""A bag label as a PNG or an SVG image: what the printer would print, dot for dot.

Both are drawn from `domain.labels.label_layout` at one pixel per printer dot (203 dpi), so a
file shows what the Zebra prints from `label_zpl`. The Code 128 bars are python-barcode's
(`Code128.build()`: the module pattern, start, check and stop symbols included), drawn here
`module` dots per module so that no bar is rounded to a neighbour's width.
"""

from __future__ import annotations

import io
from pathlib import Path
from xml.etree import ElementTree as ET

from barcode.codex import Code128
from PIL import Image, ImageDraw, ImageFont

from picker_app.domain.labels import (
    LABEL_H,
    LABEL_W,
    BagLabel,
    BarcodeField,
    Box,
    TextField,
    label_layout,
)
from picker_app.errors import UserError

_SVG_FONT = "DejaVu Sans, Arial, Helvetica, sans-serif"
_BASELINE = 0.8  # an SVG text's baseline below its top, as a share of its height


def bars(field: BarcodeField) -> list[tuple[int, int]]:
    """(x, width) in dots of each black bar of the field's Code 128."""
    pattern = Code128(field.data).build()[0]
    out: list[tuple[int, int]] = []
    x = field.x
    run_start = None
    for i, module in enumerate(pattern + "0"):
        if module == "1" and run_start is None:
            run_start = i
        elif module != "1" and run_start is not None:
            out.append((x + run_start * field.module, (i - run_start) * field.module))
            run_start = None
    return out


def label_image(label: BagLabel) -> Image.Image:
    """The label as a black-and-white Pillow image, one pixel per printer dot."""
    image = Image.new("1", (LABEL_W, LABEL_H), 1)
    draw = ImageDraw.Draw(image)
    for item in label_layout(label):
        if isinstance(item, Box):
            box = (item.x, item.y, item.x + item.width - 1, item.y + item.height - 1)
            if item.filled:
                draw.rectangle(box, fill=0)
            else:
                draw.rectangle(box, outline=0, width=item.thickness)
        elif isinstance(item, BarcodeField):
            for x, width in bars(item):
                draw.rectangle((x, item.y, x + width - 1, item.y + item.height - 1), fill=0)
        else:
            font = ImageFont.load_default(size=item.height)
            left = _aligned_x(item, draw.textlength(item.text, font=font))
            draw.text((left, item.y), item.text, font=font, fill=1 if item.reverse else 0)
    return image


def label_png(label: BagLabel) -> bytes:
    """The label as PNG bytes."""
    buf = io.BytesIO()
    label_image(label).save(buf, format="PNG", dpi=(203, 203))
    return buf.getvalue()


def label_svg(label: BagLabel) -> str:
    """The label as an SVG document, 1 user unit per printer dot, sized in inches."""
    svg = ET.Element(
        "svg",
        xmlns="http://www.w3.org/2000/svg",
        width=f"{LABEL_W / 203:.2f}in",
        height=f"{LABEL_H / 203:.2f}in",
        viewBox=f"0 0 {LABEL_W} {LABEL_H}",
    )
    ET.SubElement(svg, "title").text = f"{label.bag_id} ({label.order_id})"
    ET.SubElement(svg, "rect", width=str(LABEL_W), height=str(LABEL_H), fill="white")
    for item in label_layout(label):
        if isinstance(item, Box):
            _svg_box(svg, item)
        elif isinstance(item, BarcodeField):
            group = ET.SubElement(svg, "g", id="barcode", fill="black")
            group.set("data-code", item.data)
            for x, width in bars(item):
                ET.SubElement(
                    group,
                    "rect",
                    x=str(x),
                    y=str(item.y),
                    width=str(width),
                    height=str(item.height),
                )
        else:
            _svg_text(svg, item)
    ET.indent(svg)
    return ET.tostring(svg, encoding="unicode", xml_declaration=True) + "\n"


def write_png(label: BagLabel, path: str | Path) -> None:
    """Save the label as a PNG file (a UserError if the file cannot be written)."""
    _write(Path(path), label_png(label))


def write_svg(label: BagLabel, path: str | Path) -> None:
    """Save the label as an SVG file (a UserError if the file cannot be written)."""
    _write(Path(path), label_svg(label).encode("utf-8"))


def _write(path: Path, data: bytes) -> None:
    try:
        path.write_bytes(data)
    except OSError as err:
        why = err.strerror or type(err).__name__
        raise UserError(f"{path}: cannot write the label: {why}.") from None


def _aligned_x(item: TextField, text_width: float) -> float:
    if item.align == "right":
        return item.x + item.width - text_width
    if item.align == "center":
        return item.x + (item.width - text_width) / 2
    return item.x


def _svg_box(svg: ET.Element, box: Box) -> None:
    if box.filled:
        ET.SubElement(
            svg,
            "rect",
            x=str(box.x),
            y=str(box.y),
            width=str(box.width),
            height=str(box.height),
            fill="black",
        )
        return
    t = box.thickness  # the border lies inside the box, as ^GB draws it
    ET.SubElement(
        svg,
        "rect",
        x=f"{box.x + t / 2:g}",
        y=f"{box.y + t / 2:g}",
        width=str(box.width - t),
        height=str(box.height - t),
        fill="none",
        stroke="black",
        attrib={"stroke-width": str(t)},
    )


def _svg_text(svg: ET.Element, item: TextField) -> None:
    anchor, x = {
        "left": ("start", item.x),
        "center": ("middle", item.x + item.width / 2),
        "right": ("end", item.x + item.width),
    }[item.align]
    text = ET.SubElement(
        svg,
        "text",
        x=f"{x:g}",
        y=f"{item.y + _BASELINE * item.height:g}",
        fill="white" if item.reverse else "black",
        attrib={"font-family": _SVG_FONT, "font-size": str(item.height), "text-anchor": anchor},
    )
    text.text = item.text
