"""The layout loader: spec/layout.md, every rule and every error message."""

from __future__ import annotations

import pytest

from picker_app.domain.layout import BinCodeError, LayoutError, parse_layout
from tests.conftest import EXAMPLE, LAYOUTS


def error_of(text: str) -> str:
    with pytest.raises(LayoutError) as info:
        parse_layout(text, "store.toml")
    message = str(info.value)
    assert "\n" not in message, "an error is one line"
    assert message.startswith("store.toml: "), "an error names the file first"
    return message


def with_floor(floor: str, extra: str = "") -> str:
    return f'id = "T-1"\nfloor = """\n{floor}\n"""\n{extra}'


ZONE = 'id = "T"\nfloor = "#@A#"\n[zones.cold]'
AISLE = 'id = "T"\nfloor = "#@A#"\n[aisles.'
TWO = 'id = "T"\nfloor = "#B@A#"\n'
SMALL = "#####\n#@..#\n#.A.#\n#####"


# --- what a valid file means -------------------------------------------------------------------


def test_example_bays_numbered_in_reading_order(example):
    a = {b.code: b for b in example.bays if b.aisle == "A"}
    assert len(a) == 10
    assert a["A01"].cell == (2, 3) and a["A05"].cell == (2, 7)
    assert a["A06"].cell == (3, 3) and a["A10"].cell == (3, 7)


def test_example_access_cells_as_the_spec_says(example):
    assert set(example.bin("A01-1").bay.access) == {(1, 3), (2, 2)}
    assert set(example.bin("A06-1").bay.access) == {(4, 3), (3, 2)}
    assert example.bin("A03-1").bay.access == ((1, 5),)
    assert set(example.bin("C03-1").bay.access) == {(4, 5), (6, 5)}
    assert set(example.bin("C01-1").bay.access) == {(4, 3), (6, 3), (5, 2)}


def test_example_levels_zones_and_ranks(example):
    f1 = example.bin("F01-3").bay
    assert f1.levels == 3 and f1.pick_rank == 3 and f1.zone == "frozen"
    a1 = example.bin("A01-4").bay
    assert a1.levels == 4 and a1.pick_rank == 1 and a1.zone == "ambient"
    with pytest.raises(BinCodeError, match="F01-4"):
        example.bin("F01-4")
    assert example.cell_m == 0.5 and example.pack == (1, 1)
    assert example.bin_count == 25 * 4 + 5 * 3


@pytest.mark.parametrize("code", ["a7-2", "A07-2", "A007-02", "  a07-2\t", "A7-02"])
def test_bin_codes_are_read_loosely_and_printed_canonically(example, code):
    assert example.bin(code).code == "A07-2"


@pytest.mark.parametrize("code", ["A07", "A-2", "7-2", "AB07-2", "A07-", "A07-2-1", "", "A 07-2"])
def test_malformed_bin_codes(example, code):
    with pytest.raises(BinCodeError, match="malformed bin code"):
        example.bin(code)


@pytest.mark.parametrize(
    ("code", "why"),
    [
        ("Z01-1", "no aisle Z"),
        ("A11-1", "aisle A has bays 1 to 10"),
        ("A00-1", "aisle A has bays 1 to 10"),
        ("A01-5", "bay A01 has levels 1 to 4"),
        ("A01-0", "bay A01 has levels 1 to 4"),
    ],
)
def test_unknown_bins_name_the_code_and_why(example, code, why):
    with pytest.raises(BinCodeError) as info:
        example.bin(code)
    assert code in str(info.value) and why in str(info.value)


def test_bare_bay_codes_for_heat_files(example):
    assert example.bay("a7").code == "A07"
    with pytest.raises(BinCodeError, match="malformed bay code"):
        example.bay("A07-1")


def test_default_cell_m_and_levels():
    layout = parse_layout(with_floor(SMALL), "t.toml")
    assert layout.cell_m == 0.5 and layout.bays[0].levels == 4


def test_integer_cell_m_is_a_number():
    layout = parse_layout(with_floor(SMALL, "").replace('id = "T-1"', 'id = "T-1"\ncell_m = 1'))
    assert layout.cell_m == 1.0


def test_short_rows_are_padded_with_walls_and_blank_edges_ignored():
    text = with_floor("\n\n#####\n#@.A\n#####\n\n")
    layout = parse_layout(text, "t.toml")
    assert layout.rows == ("#####", "#@.A#", "#####")


def test_a_line_of_spaces_is_a_row_outside_the_building():
    layout = parse_layout(with_floor("   \n#@A#\n####"), "t.toml")
    assert layout.height == 3 and layout.pack == (1, 1)


def test_empty_line_inside_the_plan_is_a_row_of_walls():
    layout = parse_layout(with_floor("#@A#\n\n####"), "t.toml")
    assert layout.rows[1] == "####"


def test_unzoned_aisles_are_ambient_unless_a_zone_takes_the_name():
    text = with_floor("#####\n#B@A#\n#####", '[zones.ambient]\naisles = ["B"]\npick_rank = 2')
    layout = parse_layout(text, "t.toml")
    a, b = layout.bin("A01-1").bay, layout.bin("B01-1").bay
    assert (b.zone, b.pick_rank) == ("ambient", 2)
    assert a.zone != "ambient" and a.pick_rank == 1


def test_content_hash_changes_with_the_floor_not_with_comments():
    one = parse_layout(EXAMPLE, "a.toml")
    two = parse_layout("# a comment\n" + EXAMPLE, "b.toml")
    three = parse_layout(EXAMPLE.replace("#@......", "#@#....."), "c.toml")
    assert one.content_hash == two.content_hash != three.content_hash


@pytest.mark.parametrize("name", ["demo-store", "kiosk-store", "irregular-store"])
def test_shipped_layouts_load(name):
    path = LAYOUTS / f"{name}.toml"
    layout = parse_layout(path.read_text(), str(path))
    assert layout.bays


def test_demo_store_is_the_size_the_issue_asks_for(demo):
    assert 1800 <= demo.bin_count <= 2200
    assert demo.cell_m == 0.5
    ranks = {b.zone: b.pick_rank for b in demo.bays}
    assert ranks["chilled"] == 2 and ranks["frozen"] == 3
    assert all(5 <= b.levels <= 6 for b in demo.bays)


# --- every error of the spec -------------------------------------------------------------------


def test_not_toml_names_the_line():
    msg = error_of('id = "T-1"\nfloor = """\n#@#\n"""\nlevels = = 3\n')
    assert "line 5" in msg and "not valid TOML" in msg


@pytest.mark.parametrize(
    ("text", "place", "what"),
    [
        ('floor = "#@#"', "key 'id'", "required key is missing"),
        ('id = "T-1"', "key 'floor'", "required key is missing"),
        ('id = "T 1"\nfloor = "#@A#"', "key 'id'", "letters, digits"),
        ('id = 7\nfloor = "#@A#"', "key 'id'", "string"),
        ('id = "T"\nname = 3\nfloor = "#@A#"', "key 'name'", "string"),
        ('id = "T"\ncell_m = 0\nfloor = "#@A#"', "key 'cell_m'", "greater than 0"),
        ('id = "T"\ncell_m = -0.5\nfloor = "#@A#"', "key 'cell_m'", "greater than 0"),
        ('id = "T"\ncell_m = "0.5"\nfloor = "#@A#"', "key 'cell_m'", "number"),
        ('id = "T"\ncell_m = true\nfloor = "#@A#"', "key 'cell_m'", "number"),
        ('id = "T"\ncell_m = nan\nfloor = "#@A#"', "key 'cell_m'", "finite"),
        ('id = "T"\nlevels = 0\nfloor = "#@A#"', "key 'levels'", "greater than or equal to 1"),
        ('id = "T"\nlevels = 10\nfloor = "#@A#"', "key 'levels'", "less than or equal to 9"),
        ('id = "T"\nlevels = 4.5\nfloor = "#@A#"', "key 'levels'", "integer"),
        ('id = "T"\nfloor = 5', "key 'floor'", "string"),
        ('id = "T"\nfloor = "#@A#"\ncolour = "red"', "key 'colour'", "unknown key"),
        ('id = "T"\nfloor = "#@A#"\naisles = 3', "key 'aisles'", "dictionary"),
        (AISLE + 'A]\nlevel = 3', "key 'aisles.A.level'", "unknown"),
        (AISLE + 'A]\nlevels = 12', "key 'aisles.A.levels'", "9"),
        (AISLE + 'A]\nlabel = 1', "key 'aisles.A.label'", "string"),
        (AISLE + 'a]\nlevels = 2', "key 'aisles.a'", "upper-case"),
        (AISLE + 'B]\nlevels = 2', "key 'aisles.B'", "not on the floor"),
        (ZONE + '\npick_rank = 2', "key 'zones.cold.aisles'", "missing"),
        (ZONE + '\naisles = []', "key 'zones.cold.aisles'", "at least 1"),
        (ZONE + '\naisles = ["B"]', "key 'zones.cold.aisles.0'", "not on the floor"),
        (ZONE + '\naisles = ["a"]', "key 'zones.cold.aisles.0'", "upper-case"),
        (ZONE + '\naisles = ["A"]\npick_rank = 0', "key 'zones.cold.pick_rank'", "or equal to 1"),
        (ZONE + '\naisles = ["A"]\ntemp = 4', "key 'zones.cold.temp'", "unknown"),
        (TWO + '[zones.x]\naisles = ["A"]\n[zones.y]\naisles = ["B", "A"]',
         "key 'zones.y.aisles.1'", "already in zone 'x'"),
    ],
)  # fmt: skip
def test_key_errors_name_the_key(text, place, what):
    msg = error_of(text)
    assert f": {place}: " in msg, msg
    assert what in msg, msg


@pytest.mark.parametrize(
    ("floor", "place", "what"),
    [
        ("####\n#@a#\n####", "[1, 2]", "character 'a' is not allowed"),
        ("####\n#@.#\n#.%#\n####", "[2, 2]", "character '%'"),
        ("####\n#@\t#\n####", "[1, 2]", "character '\\t'"),
        ("####\n#..#\n####", "key 'floor'", "no pack station"),
        ("#####\n#@.@#\n#####", "[1, 3]", "second pack station"),
        ("#####\n#@.##\n###A#\n#####", "[2, 3]", "bay A01 has no walkable cell"),
        ("", "key 'floor'", "no rows"),
    ],
)
def test_floor_errors_name_the_cell(floor, place, what):
    msg = error_of(with_floor(floor))
    assert f": {place}: " in msg, msg
    assert what in msg, msg


def test_unreachable_cells_names_first_ten_and_count():
    floor = "##############\n#@A#..........#\n##############"
    msg = error_of(with_floor(floor))
    assert ": [1, 4]: 10 walkable cells cannot be reached" in msg
    assert "[1, 4], [1, 5]" in msg and "[1, 13]" in msg and "..." not in msg
    msg = error_of(with_floor(floor.replace("#..........#", "#...........")))
    assert "11 walkable cells" in msg and msg.endswith("...")
