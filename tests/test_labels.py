"""Bag labels: the bag code, bag specs, the cold window, the label's ZPL, its PNG read back by a
real barcode decoder (zxing-cpp), its SVG, and `picker-app label`."""

from __future__ import annotations

import io
import re
from datetime import datetime, timedelta, timezone
from xml.etree import ElementTree as ET

import pytest
import zxingcpp
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image, ImageChops, ImageDraw

from picker_app.cli import main
from picker_app.domain.labels import (
    LABEL_H,
    LABEL_W,
    BagLabel,
    bag_id,
    hand_over_by,
    label_zpl,
    make_bag_label,
    parse_bag_spec,
)
from picker_app.domain.scan_labels import read_label
from picker_app.errors import UserError
from picker_app.printing.render import label_png, label_svg, write_png, write_svg

IST = timezone(timedelta(hours=5, minutes=30), "IST")
PACKED = datetime(2026, 10, 26, 14, 5, tzinfo=IST)
SVG = "{http://www.w3.org/2000/svg}"


def chilled(**kw) -> BagLabel:
    args = {"temp": "chilled", "area": "kor-4"} | kw
    return make_bag_label("OR52000001", 2, 3, PACKED, **args)


def decode(image: Image.Image) -> list[str]:
    return [r.text for r in zxingcpp.read_barcodes(image) if r.format == zxingcpp.Code128]


# The bag code, bag specs and the cold window.


def test_bag_id_is_the_order_digits_and_the_bag_number():
    assert bag_id("OR52000001", 2) == "BG5200000102"
    assert bag_id("or41200001", 12) == "BG4120000112"
    assert bag_id("OR102345", 1) == "BG10234501"
    assert bag_id("OR52000001", 2) == bag_id("OR52000001", 2)  # a reprint: the same code
    for order, n in [("OR52000001", 1), ("OR102345", 99)]:
        code = bag_id(order, n)
        assert read_label(code) == ("bag", code)  # the app's own scanner reads it as a bag


@pytest.mark.parametrize(
    ("order", "n", "words"),
    [
        ("OR123456789", 1, "has 9 digits"),
        ("TT000042", 1, "not an order id"),
        ("OR52000001", 0, "from 1 to 99"),
        ("OR52000001", 100, "from 1 to 99"),
    ],
)
def test_bag_id_refuses(order, n, words):
    with pytest.raises(UserError, match=words):
        bag_id(order, n)


def test_bag_spec():
    assert parse_bag_spec("2/3") == (2, 3)
    assert parse_bag_spec(" 1 / 1 ") == (1, 1)
    assert parse_bag_spec("99/99") == (99, 99)


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        ("4/3", "Bag 4/3: the bag number must be from 1 to 3, not 4."),
        ("0/3", "Bag 0/3: the bag number must be from 1 to 3, not 0."),
        ("1/0", "Bag 1/0: an order has 1 to 99 bags, not 0."),
        ("1/100", "an order has 1 to 99 bags, not 100"),
        ("2-3", "Bag '2-3' is not bag N of M: write N/M, e.g. 2/3."),
        ("", "write N/M"),
        ("two/three", "write N/M"),
    ],
)
def test_bad_bag_spec_is_one_sentence(spec, words):
    with pytest.raises(UserError) as caught:
        parse_bag_spec(spec)
    assert words in str(caught.value)
    assert "\n" not in str(caught.value)


@given(st.text(max_size=12))
def test_bag_spec_never_a_traceback(text):
    try:
        n, m = parse_bag_spec(text)
    except UserError:
        return
    assert 1 <= n <= m <= 99


def test_cold_window():
    assert hand_over_by(PACKED) == PACKED + timedelta(minutes=30)
    assert hand_over_by(PACKED, 45) == datetime(2026, 10, 26, 14, 50, tzinfo=IST)
    assert chilled().hand_over_by == "14:35"
    assert chilled(temp="frozen", cold_window_min=20).hand_over_by == "14:25"
    late = make_bag_label("OR52000001", 1, 1, PACKED.replace(hour=23, minute=50), temp="frozen")
    assert late.hand_over_by == "00:20"
    assert make_bag_label("OR52000001", 1, 1, PACKED).hand_over_by is None  # ambient
    with pytest.raises(UserError, match="1 to 240 minutes"):
        hand_over_by(PACKED, 0)


def test_a_label_is_valid_or_not_made():
    with pytest.raises(UserError, match="Only chilled and frozen"):
        BagLabel("OR52000001", "BG5200000101", 1, 1, "ambient", hand_over_by="14:35")
    with pytest.raises(UserError, match="Area code"):
        chilled(area="KOR^FS")  # no ZPL control characters get onto a label
    with pytest.raises(UserError, match="not a bag code"):
        BagLabel("OR52000001", "BG1", 1, 1)
    with pytest.raises(UserError, match="Temperature class"):
        BagLabel("OR52000001", "BG5200000101", 1, 1, "warm")  # type: ignore[arg-type]
    assert chilled(area="  ").area is None


# ZPL.


def test_zpl_of_a_chilled_duplicate():
    zpl = label_zpl(chilled(duplicate=True))
    assert zpl.startswith("^XA") and zpl.rstrip().endswith("^XZ")
    assert zpl.count("^XA") == 1 and zpl.count("^XZ") == 1
    assert re.search(r"\^BY3\^BCN,150,N,N,N,A\^FDBG5200000102\^FS", zpl)
    for text in ("OR52000001", "BAG 2/3", "AREA KOR-4", "HAND OVER BY 14:35", "DUPLICATE"):
        assert f"^FD{text}^FS" in zpl
    # The temperature class is reversed out of a filled box: white on black.
    box = re.search(r"\^FO(\d+),(\d+)\^GB(\d+),(\d+),(\d+)\^FS\n(.*CHILLED.*)", zpl)
    assert box, zpl
    _, _, w, h, thickness, line = box.groups()
    assert int(thickness) >= int(h) and int(w) > 600
    assert "^FR^FDCHILLED^FS" in line


def test_zpl_of_an_ambient_first_print():
    zpl = label_zpl(make_bag_label("OR52000001", 1, 2, PACKED))
    assert "^FR^FDAMBIENT^FS" in zpl
    assert "^FDBAG 1/2^FS" in zpl and "^FDBG5200000101^FS" in zpl
    assert "DUPLICATE" not in zpl and "HAND OVER" not in zpl and "AREA" not in zpl


# PNG and SVG.


@pytest.mark.parametrize(
    "label",
    [
        chilled(duplicate=True),
        make_bag_label("OR102345", 9, 12, PACKED, temp="frozen"),
        make_bag_label("OR41200001", 1, 1, PACKED),
    ],
    ids=["chilled-duplicate", "frozen", "ambient"],
)
def test_png_barcode_decodes_to_the_bag_id(label, tmp_path):
    path = tmp_path / "label.png"
    write_png(label, path)
    image = Image.open(path)
    assert image.size == (LABEL_W, LABEL_H)
    assert decode(image) == [label.bag_id]


def dark_share(image: Image.Image, box: tuple[int, int, int, int]) -> float:
    """The share of black pixels of `image` inside `box`."""
    histogram = image.crop(box).convert("L").histogram()
    return sum(histogram[:128]) / sum(histogram)


def test_png_temperature_block_is_inverse():
    image = Image.open(io.BytesIO(label_png(chilled())))
    assert 0.6 < dark_share(image, (40, 185, 770, 285)) < 0.98  # black, white letters in it
    assert dark_share(image, (40, 300, 770, 360)) < 0.3  # the hand-over line: black on white


def test_png_of_a_duplicate_differs_only_by_the_mark():
    first = Image.open(io.BytesIO(label_png(chilled()))).convert("L")
    again = Image.open(io.BytesIO(label_png(chilled(duplicate=True)))).convert("L")
    changed = ImageChops.difference(first, again).getbbox()
    assert changed is not None
    left, top, right, bottom = changed
    assert left >= 470 and right <= 790 and top >= 95 and bottom <= 170


def svg_texts(svg: str) -> dict[str, ET.Element]:
    root = ET.fromstring(svg)
    return {el.text or "": el for el in root.iter(f"{SVG}text")}


def test_svg_has_the_texts_and_the_inverse_block(tmp_path):
    path = tmp_path / "label.svg"
    write_svg(chilled(duplicate=True), path)
    texts = svg_texts(path.read_text(encoding="utf-8"))
    for text in (
        "OR52000001", "BAG 2/3", "AREA KOR-4", "CHILLED", "HAND OVER BY 14:35", "DUPLICATE",
        "BG5200000102",
    ):  # fmt: skip
        assert text in texts, sorted(texts)
    assert texts["CHILLED"].get("fill") == "white"
    root = ET.fromstring(path.read_text(encoding="utf-8"))
    blocks = [
        r for r in root.iter(f"{SVG}rect") if r.get("fill") == "black" and r.get("width") == "752"
    ]
    assert len(blocks) == 1
    assert "DUPLICATE" not in svg_texts(label_svg(chilled()))


def test_svg_barcode_decodes_to_the_bag_id():
    """The SVG's bars, drawn as they are, read back as the bag code."""
    root = ET.fromstring(label_svg(chilled()))
    group = next(g for g in root.iter(f"{SVG}g") if g.get("id") == "barcode")
    image = Image.new("L", (LABEL_W, LABEL_H), 255)
    draw = ImageDraw.Draw(image)
    for bar in group.iter(f"{SVG}rect"):
        x, y, w, h = (int(bar.get(k, "0")) for k in ("x", "y", "width", "height"))
        draw.rectangle((x, y, x + w - 1, y + h - 1), fill=0)
    assert decode(image) == ["BG5200000102"]


def test_unwritable_file_is_a_user_error(tmp_path):
    with pytest.raises(UserError, match="cannot write the label"):
        write_png(chilled(), tmp_path / "no" / "such" / "dir.png")


# The command.


def run(capsys, *argv):
    status = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


def test_cli_zpl(capsys):
    status, out, err = run(capsys, "label", "OR52000001", "--bag", "2/3", "--temp", "chilled",
                           "--area", "KOR-4", "--duplicate", "--zpl")  # fmt: skip
    assert status == 0, err
    first, zpl = out.split("\n", 1)
    assert first == "BG5200000102"
    assert zpl.startswith("^XA") and "^FDDUPLICATE^FS" in zpl and "^FR^FDCHILLED^FS" in zpl
    assert "HAND OVER BY" in zpl


def test_cli_png_and_svg(capsys, tmp_path):
    png, svg = tmp_path / "bag.png", tmp_path / "bag.svg"
    status, out, _ = run(capsys, "label", "or41200001", "--bag", "3/3", "--png", png)
    assert status == 0 and out == "BG4120000103\n"
    assert decode(Image.open(png)) == ["BG4120000103"]
    status, out, _ = run(capsys, "label", "OR41200001", "--bag", "1/3", "--svg", svg)
    assert status == 0 and out == "BG4120000101\n"
    assert "BAG 1/3" in svg_texts(svg.read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["OR52000001", "--bag", "4/3", "--zpl"], "the bag number must be from 1 to 3"),
        (["OR1", "--bag", "1/1", "--zpl"], "is not an order id"),
        (["OR52000001", "--bag", "1/1", "--area", "a b", "--zpl"], "Area code"),
    ],
)
def test_cli_bad_input_is_one_line_and_status_2(capsys, argv, words):
    status, out, err = run(capsys, "label", *argv)
    assert status == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and words in err and "Traceback" not in err


def test_cli_needs_one_output(capsys):
    with pytest.raises(SystemExit) as caught:
        main(["label", "OR52000001", "--bag", "1/1"])
    assert caught.value.code == 2
    assert "one of the arguments" in capsys.readouterr().err
