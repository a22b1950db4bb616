#!/usr/bin/env python3
"""Generate the sample dark-store layout files in ``layouts/`` and check them.

Usage (with picker_app installed, e.g. the virtualenv of `make run`)::

    .venv/bin/python layouts/make_layouts.py           # write the three layouts, then check them
    .venv/bin/python layouts/make_layouts.py --check   # only check the files in layouts/

The output is deterministic (no randomness): running the script twice writes byte-identical
files.  The files follow the layout contract (shared/spec/layout.md):

* ``demo-store.toml``      BLR-KOR-01, ~3,000 sq ft, ~2,000 bins, two gondola blocks cut by a
                           cross aisle, end caps, dairy chiller aisle and freezer aisle.
* ``kiosk-store.toml``     a small kiosk, ~600 bins, one block of gondolas, no cross aisle.
* ``irregular-store.toml`` an L-shaped store with pillars and two blocks of aisles at 90 degrees.

The check (run after writing, or alone with ``--check``) loads every file with picker_app's own
layout loader (so every rule of the spec holds), then checks the aisle-width rule described in
``check_widths`` (aisles at least 2 cells, 1 m, wide where a picker faces a shelf).  It prints
per-layout statistics and exits 1 if any check fails.
"""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # run from a checkout without installing

from picker_app.domain.layout import LayoutError, parse_layout  # noqa: E402

SQFT_PER_M2 = 10.764
WALKABLE = frozenset(".@")
LETTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ")


# --------------------------------------------------------------------------------------------
# Drawing helpers
# --------------------------------------------------------------------------------------------


class Canvas:
    """A grid of floor characters, addressed as [row][col]."""

    def __init__(self, rows: int, cols: int, fill: str = " ") -> None:
        self.rows = rows
        self.cols = cols
        self.g = [[fill] * cols for _ in range(rows)]

    def rect(self, r0: int, c0: int, r1: int, c1: int, ch: str) -> None:
        """Fill rows r0..r1 and cols c0..c1 (inclusive) with ch."""
        for r in range(r0, r1 + 1):
            for c in range(c0, c1 + 1):
                self.g[r][c] = ch

    def room(self, r0: int, c0: int, r1: int, c1: int) -> None:
        """Walls on the border of the rectangle, floor inside."""
        self.rect(r0, c0, r1, c1, "#")
        self.rect(r0 + 1, c0 + 1, r1 - 1, c1 - 1, ".")

    def put(self, r: int, c: int, ch: str) -> None:
        self.g[r][c] = ch

    def mirror(self) -> None:
        """Flip left/right (used to keep 'outside' spaces at the start of rows)."""
        self.g = [row[::-1] for row in self.g]

    def text(self) -> str:
        return "\n".join("".join(row) for row in self.g)


def vertical_gondola(
    cv: Canvas,
    top: int,
    bottom: int,
    col: int,
    left: str,
    right: str,
    cap_top: bool = True,
    cap_bottom: bool = True,
) -> None:
    """A double-sided gondola 2 cells wide (cols col, col+1), bays on rows top..bottom.

    The left face (col) belongs to the walking aisle on its left, the right face (col+1) to the
    walking aisle on its right.  Optional '#' end caps go on the row above / below.
    """
    cv.rect(top, col, bottom, col, left)
    cv.rect(top, col + 1, bottom, col + 1, right)
    if cap_top:
        cv.rect(top - 1, col, top - 1, col + 1, "#")
    if cap_bottom:
        cv.rect(bottom + 1, col, bottom + 1, col + 1, "#")


def horizontal_gondola(
    cv: Canvas,
    row: int,
    c0: int,
    c1: int,
    upper: str,
    lower: str,
    cap_left: bool = True,
    cap_right: bool = True,
) -> None:
    """A double-sided gondola 2 cells deep (rows row, row+1), bays on cols c0..c1."""
    cv.rect(row, c0, row, c1, upper)
    cv.rect(row + 1, c0, row + 1, c1, lower)
    if cap_left:
        cv.rect(row, c0 - 1, row + 1, c0 - 1, "#")
    if cap_right:
        cv.rect(row, c1 + 1, row + 1, c1 + 1, "#")


# --------------------------------------------------------------------------------------------
# The three stores
# --------------------------------------------------------------------------------------------


def demo_store() -> dict:
    """BLR-KOR-01: 36 x 35 grid, 34 x 33 cells inside the walls (~2,850 sq ft usable)."""
    cv = Canvas(35, 36)
    cv.room(0, 0, 34, 35)

    # Walking aisles run north-south.  Each walking aisle has one letter for both of the faces
    # that open onto it (odd bay numbers on the left face, even on the right, as in reading
    # order), and the cross aisle splits the store into a north block (A..H) and a south block
    # (J..R, skipping I and O which pickers confuse with 1 and 0).
    north = "ABCDEFGH"
    south = "JKLMNPQR"
    n_top, n_bot = 5, 14  # north bays: rows 5..14 (caps on rows 4 and 15)
    s_top, s_bot = 19, 29  # south bays: rows 19..29 (caps on rows 18 and 30)
    gondola_cols = [5, 9, 13, 17, 21, 25, 29]  # 7 gondolas, 2 cells each
    for top, bot, letters in ((n_top, n_bot, north), (s_top, s_bot, south)):
        # wall shelving on the west wall (col 1) and chillers / freezers on the east wall (col 34)
        cv.rect(top, 1, bot, 1, letters[0])
        cv.rect(top, 34, bot, 34, letters[-1])
        cv.rect(top - 1, 1, top - 1, 1, "#")
        cv.rect(bot + 1, 1, bot + 1, 1, "#")
        cv.rect(top - 1, 34, top - 1, 34, "#")
        cv.rect(bot + 1, 34, bot + 1, 34, "#")
        for i, col in enumerate(gondola_cols):
            vertical_gondola(cv, top, bot, col, letters[i], letters[i + 1])

    # Back wall (row 1): bulk staples shelving along the whole north wall.
    cv.rect(1, 1, 1, 34, "S")
    # Front wall (row 33): impulse / home-care shelving either side of the pack station.
    cv.rect(33, 1, 33, 14, "T")
    cv.rect(33, 20, 33, 34, "U")
    cv.rect(33, 15, 33, 16, "#")  # packing bench
    cv.put(33, 17, "@")
    cv.rect(33, 18, 33, 19, "#")  # crate / bag staging
    # The dispatch door is in the south wall under the pack station (doors are drawn as '#').

    labels = {
        "A": "Staples & atta",
        "B": "Rice, dal & pulses",
        "C": "Oils & ghee",
        "D": "Masalas & spices",
        "E": "Breakfast & spreads",
        "F": "Tea, coffee & health drinks",
        "G": "Sauces & ready-to-cook",
        "H": "Dairy chiller",
        "J": "Snacks & namkeen",
        "K": "Biscuits & cookies",
        "L": "Chocolates & sweets",
        "M": "Beverages",
        "N": "Instant food & noodles",
        "P": "Baby care",
        "Q": "Personal care",
        "R": "Frozen",
        "S": "Back wall: bulk staples",
        "T": "Home care",
        "U": "Cleaning & pooja",
    }
    levels = {"A": 6, "S": 6, "H": 5, "R": 5}
    header = [
        "Koramangala dark store (BLR-KOR-01), Bengaluru.",
        "About 3,000 sq ft at 0.5 m cells: 34 x 33 cells inside the walls, ~2,000 bins.",
        "Seven double-sided gondolas (2 cells deep, '#' end caps) in a north block (aisles A-H)",
        "and a south block (aisles J-R) cut by a 2-cell cross aisle; wall shelving on every wall.",
        "Each walking aisle has one letter for both faces that open onto it: odd bays on the",
        "left face, even bays on the right (reading order).  H is the dairy chiller aisle",
        "(chillers on the east wall), R the freezer aisle; S is the back wall, T/U the front wall.",
    ]
    door = (
        "Dispatch door: in the south (front) wall, row 34, cols 16-18, directly below the "
        "pack station '@' at [33, 17]; riders collect orders there."
    )
    return dict(
        file="demo-store.toml",
        id="BLR-KOR-01",
        name="Koramangala dark store",
        cell_m=0.5,
        levels=5,
        floor=cv.text(),
        labels=labels,
        aisle_levels=levels,
        zones=[
            ("chilled", ["H"], 2, "Dairy chiller aisle, 2-5 degC"),
            ("frozen", ["R"], 3, "Freezer aisle, -18 degC"),
        ],
        header=header,
        door=door,
    )


def kiosk_store() -> dict:
    """A small kiosk: 22 x 20 grid, one block of four gondolas, no cross aisle."""
    cv = Canvas(19, 22)
    cv.room(0, 0, 18, 21)
    aisles = "ABCDE"
    top, bot = 4, 14  # bays on rows 4..14; the north ends are open, south ends capped
    cv.rect(top, 1, bot, 1, aisles[0])
    cv.rect(top, 20, bot, 20, aisles[-1])
    cv.put(bot + 1, 1, "#")
    cv.put(bot + 1, 20, "#")
    for i, col in enumerate([4, 8, 12, 16]):
        vertical_gondola(cv, top, bot, col, aisles[i], aisles[i + 1], cap_top=False)
    cv.rect(1, 1, 1, 20, "F")  # back wall shelving
    # front aisle (rows 16-17): pack station by the door, bench and bag rack either side
    cv.rect(17, 8, 17, 9, "#")  # packing bench
    cv.put(17, 10, "@")
    cv.rect(17, 11, 17, 12, "#")  # bag rack / crate stack
    labels = {
        "A": "Staples & atta",
        "B": "Snacks & biscuits",
        "C": "Beverages",
        "D": "Personal & home care",
        "E": "Dairy & chilled",
        "F": "Back wall: bulk rice & oil",
    }
    header = [
        "Kiosk store (BLR-HSR-K2), Bengaluru: a small ~900 sq ft satellite kiosk.",
        "20 x 17 cells inside the walls, ~600 bins; ONE block of four double-sided gondolas",
        "with 2-cell aisles and no cross aisle.  The gondolas' north ends are open (end bays are",
        "reachable from the top aisle), their south ends have '#' end caps.  Aisle E is the",
        "chilled aisle (dairy chillers on the east wall).",
    ]
    door = (
        "Dispatch door: in the south wall, row 18, cols 9-11, directly below the pack "
        "station '@' at [17, 10]."
    )
    return dict(
        file="kiosk-store.toml",
        id="BLR-HSR-K2",
        name="HSR Layout kiosk",
        cell_m=0.5,
        levels=5,
        floor=cv.text(),
        labels=labels,
        aisle_levels={"F": 4},
        zones=[("chilled", ["E"], 2, "Dairy & chilled")],
        header=header,
        door=door,
    )


def irregular_store() -> dict:
    """An L-shaped store: a long arm (east, full height) with a block of vertical gondolas and
    a short arm (south-west) with a block of horizontal gondolas at 90 degrees to them.  Where
    the arms meet, the old wall line is now a row of structural pillars."""
    H, W = 34, 44
    cv = Canvas(H, W, fill=" ")
    cv.room(0, 22, H - 1, W - 1)  # long arm: cols 22..43, rows 0..33
    cv.room(16, 0, H - 1, 23)  # short arm: rows 16..33, cols 0..23
    cv.rect(17, 22, H - 2, 23, ".")  # open the join ...
    cv.rect(1, 22, 16, 22, "#")  # ... below the long arm's west wall
    cv.put(16, 23, ".")
    for r in (20, 24, 28):  # pillars on the old wall line, in line with the gondolas
        cv.put(r, 22, "#")

    # ---- block 1, long arm: vertical gondolas; walking aisles A..E, back wall F
    top, bot = 5, 22  # bays; caps on rows 4 and 23
    cv.rect(1, 23, 1, 42, "F")
    cv.rect(top, 23, 15, 23, "A")  # west wall shelving, only where the wall is
    cv.put(top - 1, 23, "#")
    cv.rect(top, 42, bot, 42, "E")  # east wall shelving
    cv.put(top - 1, 42, "#")
    cv.put(bot + 1, 42, "#")
    for i, col in enumerate([26, 30, 34, 38]):
        vertical_gondola(cv, top, bot, col, "ABCDE"[i], "ABCDE"[i + 1])

    # ---- block 2, short arm: horizontal gondolas; walking aisles G, H, J, K; chillers L
    cv.rect(17, 2, 17, 21, "G")  # north wall shelving of the short arm
    cv.rect(32, 2, 32, 21, "K")  # south wall shelving
    for row, (up, low) in zip((20, 24, 28), (("G", "H"), ("H", "J"), ("J", "K")), strict=True):
        horizontal_gondola(cv, row, 5, 16, up, low)
    cv.rect(18, 1, 31, 1, "L")  # west wall: glass-door chillers
    cv.put(17, 1, "#")
    cv.put(32, 1, "#")

    # ---- pack area at the foot of the long arm
    cv.rect(32, 30, 32, 31, "#")  # packing bench
    cv.put(32, 32, "@")
    cv.rect(32, 33, 32, 34, "#")  # crate staging
    cv.rect(28, 39, 32, 42, "#")  # cold-chain bag store / office in the corner
    cv.put(28, 30, "#")  # pillar in the pack area

    labels = {
        "A": "Staples & atta",
        "B": "Rice, dal & oils",
        "C": "Masalas & breakfast",
        "D": "Snacks & biscuits",
        "E": "Beverages",
        "F": "Back wall: bulk staples",
        "G": "Home care",
        "H": "Personal care",
        "J": "Baby & pet care",
        "K": "Cleaning & pooja",
        "L": "Dairy chiller",
    }
    header = [
        "Indiranagar dark store (BLR-IND-02), Bengaluru: an L-shaped unit (~2,600 sq ft).",
        "The long arm (east, full height) has a block of four vertical double-sided gondolas",
        "(walking aisles A-E, back wall F).  The short arm (south-west) has a block of three",
        "horizontal gondolas at 90 degrees to them (walking aisles G, H, J, K) and glass-door",
        "chillers on its west wall (L).  Where the arms meet, the old wall line is a row of",
        "structural pillars ('#' on the walking floor).  Blank cells are outside the building.",
    ]
    door = (
        "Dispatch door: in the south wall of the long arm, row 33, cols 31-33, directly "
        "below the pack station '@' at [32, 32]."
    )
    return dict(
        file="irregular-store.toml",
        id="BLR-IND-02",
        name="Indiranagar dark store",
        cell_m=0.5,
        levels=4,
        floor=cv.text(),
        labels=labels,
        aisle_levels={"A": 5, "B": 5, "F": 5, "L": 5},
        zones=[("chilled", ["L"], 2, "Dairy chiller wall")],
        header=header,
        door=door,
    )


STORES = (demo_store, kiosk_store, irregular_store)


# --------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------


def toml_str(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render(store: dict) -> str:
    out = [
        "# Generated by layouts/make_layouts.py -- do not edit by hand; change the script and",
        "# re-run `python3 layouts/make_layouts.py`.",
        "#",
    ]
    out += ["# " + line for line in store["header"]]
    out += [
        "",
        f"id = {toml_str(store['id'])}",
        f"name = {toml_str(store['name'])}",
        f"cell_m = {store['cell_m']}",
        f"levels = {store['levels']}",
        "",
    ]
    out += ["# " + line for line in textwrap.wrap(store["door"], 92)]
    out += ['floor = """', store["floor"], '"""', ""]
    letters = sorted(set(store["floor"]) & LETTERS)
    for x in letters:
        out.append(f"[aisles.{x}]")
        if x in store["aisle_levels"]:
            out.append(f"levels = {store['aisle_levels'][x]}")
        if x in store["labels"]:
            out.append(f"label = {toml_str(store['labels'][x])}")
        out.append("")
    for name, aisles, rank, label in store["zones"]:
        out.append(f"[zones.{name}]")
        out.append("aisles = [" + ", ".join(toml_str(a) for a in aisles) + "]")
        out.append(f"pick_rank = {rank}")
        out.append(f"label = {toml_str(label)}")
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


# --------------------------------------------------------------------------------------------
# Checking
# --------------------------------------------------------------------------------------------

DIRS = ((-1, 0), (1, 0), (0, -1), (0, 1))


class CheckError(Exception):
    pass


def shelf_axes(grid: list[str]) -> dict[tuple[int, int], str | None]:
    """Long axis ('v', 'h' or None) of the 4-connected block of bay cells holding each bay.

    A double-sided gondola is one block (its two faces touch), a wall shelf run is one block.
    """
    rows, cols = len(grid), len(grid[0])
    axis: dict[tuple[int, int], str | None] = {}
    for r in range(rows):
        for c in range(cols):
            if grid[r][c] in LETTERS and (r, c) not in axis:
                comp, todo = [], [(r, c)]
                axis[(r, c)] = None
                while todo:
                    cr, cc = todo.pop()
                    comp.append((cr, cc))
                    for dr, dc in DIRS:
                        nr, nc = cr + dr, cc + dc
                        if (
                            0 <= nr < rows
                            and 0 <= nc < cols
                            and grid[nr][nc] in LETTERS
                            and (nr, nc) not in axis
                        ):
                            axis[(nr, nc)] = None
                            todo.append((nr, nc))
                h = max(p[0] for p in comp) - min(p[0] for p in comp) + 1
                w = max(p[1] for p in comp) - min(p[1] for p in comp) + 1
                a = "v" if h > w else "h" if w > h else None
                for p in comp:
                    axis[p] = a
    return axis


def check_widths(grid: list[str]) -> dict:
    """Aisle-width rule.

    For every bay and every walkable 4-neighbour ``w`` of it (an access cell, reached by moving
    in direction ``d`` from the bay), count the walkable cells in a straight line from ``w`` in
    direction ``d`` (away from the bay) up to the first wall, bay, pillar or the grid edge.  That
    is the clear width of the aisle the picker stands in, measured across the face being picked;
    it must be >= 2 cells (1 m at cell_m = 0.5).  A width of 1 means a wall/bay/pillar directly
    behind the picker.

    Exception (gondola end positions): when ``d`` runs along the long axis of the bay's shelf
    block (the picker stands at the open end of a gondola or wall-shelf run, not facing it), the
    cell is an end position; its width is reported but does not fail the check.
    """
    rows, cols = len(grid), len(grid[0])
    axis = shelf_axes(grid)
    face_min, end_min, n_face, n_end, bad = None, None, 0, 0, []
    for r in range(rows):
        for c in range(cols):
            if grid[r][c] not in LETTERS:
                continue
            for dr, dc in DIRS:
                wr, wc = r + dr, c + dc
                if not (0 <= wr < rows and 0 <= wc < cols) or grid[wr][wc] not in WALKABLE:
                    continue
                width, pr, pc = 0, wr, wc
                while 0 <= pr < rows and 0 <= pc < cols and grid[pr][pc] in WALKABLE:
                    width += 1
                    pr, pc = pr + dr, pc + dc
                end = (axis[(r, c)] == "v" and dr != 0) or (axis[(r, c)] == "h" and dc != 0)
                if end:
                    n_end += 1
                    end_min = width if end_min is None else min(end_min, width)
                else:
                    n_face += 1
                    face_min = width if face_min is None else min(face_min, width)
                    if width < 2:
                        bad.append((wr, wc))
    return dict(face_min=face_min, end_min=end_min, n_face=n_face, n_end=n_end, bad=bad)


def check_file(path: Path) -> dict:
    """Every rule of the layout spec (by picker_app's own loader), then the aisle widths."""
    layout = parse_layout(path.read_text(encoding="utf-8"), str(path))
    grid = list(layout.rows)
    widths = check_widths(grid)
    if widths["bad"]:
        raise CheckError(
            f"floor: {len(widths['bad'])} access cells in aisles narrower than "
            f"2 cells, first: {widths['bad'][:10]}"
        )
    per_zone: dict[str, list[int]] = {}
    ranks: dict[str, int] = {}
    for bay in layout.bays:
        acc = per_zone.setdefault(bay.zone, [0, 0])
        acc[0] += 1
        acc[1] += bay.levels
        ranks[bay.zone] = bay.pick_rank
    area_cells = len(layout.walkable_cells) + len(layout.bays)
    return dict(
        id=layout.id,
        name=layout.name or "",
        rows=layout.height,
        cols=layout.width,
        bays=len(layout.bays),
        bins=layout.bin_count,
        aisles=len(layout.bay_count),
        walkable=len(layout.walkable_cells),
        area_cells=area_cells,
        sqft=area_cells * layout.cell_m * layout.cell_m * SQFT_PER_M2,
        per_zone=per_zone,
        ranks=ranks,
        widths=widths,
        pack=layout.pack,
    )


def report(path: Path) -> bool:
    try:
        s = check_file(path)
    except (CheckError, LayoutError, OSError) as e:
        print(f"{path.name}: FAIL: {e}")
        return False
    w = s["widths"]
    print(f"{path.name}: OK  id={s['id']}  ({s['name']})")
    print(
        f"  grid           {s['rows']} rows x {s['cols']} cols; pack station @ at "
        f"[{s['pack'][0]}, {s['pack'][1]}]"
    )
    print(f"  aisle letters  {s['aisles']}")
    print(f"  bays           {s['bays']}")
    print(f"  bins           {s['bins']}")
    print(
        f"  floor area     {s['sqft']:.0f} sq ft ({s['walkable']} walkable + {s['bays']} "
        f"shelving cells)"
    )
    for z, (nb, nbin) in sorted(s["per_zone"].items(), key=lambda kv: (s["ranks"][kv[0]], kv[0])):
        print(f"  zone {z:<9} pick_rank {s['ranks'][z]}: {nb} bays, {nbin} bins")
    end_min = w["end_min"] if w["n_end"] else "-"
    print(
        f"  aisle widths   min {w['face_min']} cells across {w['n_face']} face-access cells "
        f"(>= 2 required: ok); min {end_min} at {w['n_end']} gondola-end cells (exempt)"
    )
    print("  reachability   every walkable cell reachable from @; every bay has an access cell")
    return True


def main(argv: list[str]) -> int:
    check_only = "--check" in argv[1:]
    paths = []
    for make in STORES:
        store = make()
        path = HERE / store["file"]
        if not check_only:
            path.write_text(render(store), encoding="utf-8")
            print(f"wrote {path}")
        paths.append(path)
    ok = all([report(p) for p in paths])
    print("all checks passed" if ok else "SOME CHECKS FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
