"""Random store layouts for the route bench: layout TOML text (spec/layout.md) that `parse_layout`
accepts, deterministic per (kind, seed), so that a bad case can be replayed from its seed.

Kinds (`KINDS`):

- `parallel`: one block of vertical racks between a front and a back cross aisle;
- `two_block`: the same cut in two by a middle cross aisle (the racks are split, not the aisles);
- `l_shape`: an L-shaped unit: vertical racks in the long arm, horizontal ones in the short arm,
  the old wall line between the arms a row of pillars (or open);
- `islands`: island gondolas on an open floor, pillars between them, shelving on the walls;
- `horizontal`: long racks running left-right, sometimes cut by a cross aisle.

Every store mixes shelf rows of three sorts: single-sided rows against a wall (open on one face),
double-sided gondolas (two rows back to back, each bay picked from its own face) and open rows
(one row of shelves between two walking aisles: each bay pickable from both sides). Racks end in
a `#` end cap or an end bay pickable from the cross aisle too. Cells are 0.5-1 m; walking aisles
1-3 cells (about 1-2 m). Stores have at least `MIN_BAYS` + 30 bays, mostly 200-450, so that a
150-bay order is a subset of the store. About half the stores have a chilled zone (pick rank 2),
some also a frozen one (pick rank 3), so that pick-rank constraints are exercised.

    from layoutgen import make_layout      # with bench/ on sys.path, as the bench runs
    text = make_layout("two_block", 7)
"""

from __future__ import annotations

import random
import string

KINDS = ("parallel", "two_block", "l_shape", "islands", "horizontal")
CELL_SIZES = (0.5, 0.6, 0.75, 0.8, 1.0)
MIN_BAYS = 150  # the tests' promise; stores are drawn again below MIN_BAYS + 30

Grid = list[list[str]]


class _Letters:
    """Aisle letters handed out in turn; after Z they start again at A (an aisle letter may be
    drawn in several pieces, spec/layout.md)."""

    def __init__(self) -> None:
        self.next_index = 0

    def take(self) -> str:
        letter = string.ascii_uppercase[self.next_index % 26]
        self.next_index += 1
        return letter


class _Shape:
    """The random dimensions shared by one store: cell size, aisle widths, end-cap odds."""

    def __init__(self, rng: random.Random) -> None:
        self.cell_m = rng.choice(CELL_SIZES)
        # Walking aisles of about 1-2 m: 2-3 cells at 0.5-0.6 m, 1-2 cells at 0.75-1 m.
        self.aisle = (2, 3) if self.cell_m < 0.7 else (1, 2)
        self.cross = max(self.aisle) if rng.random() < 0.5 else min(self.aisle)
        self.cap_p = rng.choice((0.0, 0.3, 0.7, 1.0))
        self.open_share = rng.uniform(0.25, 0.6)

    def aisle_width(self, rng: random.Random) -> int:
        return rng.choice(self.aisle)


def _aisle_store(
    rng: random.Random,
    letters: _Letters,
    shape: _Shape,
    segments: list[int],
    target_bays: int,
    *,
    max_width: int | None = None,
    wall_top: bool = False,
    wall_left: bool = False,
    wall_right: bool = False,
    pack: bool = True,
) -> Grid:
    """A walled store of vertical racks: rows of racks of `segments` lengths (top to bottom),
    cross aisles above, between and below them; racks are added left to right until they hold
    `target_bays` bays (or the store would be wider than `max_width`)."""
    wc = shape.cross
    # Rack columns, as (kind, width): "aisle", "open" (1 deep), "gondola" (2 deep, back to back).
    plan: list[tuple[str, int]] = [("aisle", shape.aisle_width(rng))]
    bays, width = 0, 2 + sum(w for _, w in plan) + int(wall_left) + int(wall_right)
    per_row = sum(segments)
    has_open = False
    while bays < target_bays:
        kind = "open" if rng.random() < shape.open_share else "gondola"
        if not has_open and bays + 2 * per_row >= target_bays:
            kind = "open"  # every store has at least one open (two-sided) row
        depth = 1 if kind == "open" else 2
        aisle = shape.aisle_width(rng)
        if max_width is not None and width + depth + aisle > max_width and has_open:
            break
        plan += [(kind, depth), ("aisle", aisle)]
        has_open = has_open or kind == "open"
        width += depth + aisle
        bays += depth * per_row

    height = 2 + int(wall_top) + 2 * wc + sum(segments) + wc * (len(segments) - 1)
    grid = [["#"] * width for _ in range(height)]
    top = 1 + int(wall_top)
    for r in range(top, height - 1):
        for c in range(1, width - 1):
            grid[r][c] = "."
    if wall_top:
        letter = letters.take()
        for c in range(1, width - 1):
            grid[1][c] = letter
    first = top + wc  # first row of racks
    last = height - 1 - wc  # one past the last row of racks
    col = 1
    if wall_left:
        letter = letters.take()
        for r in range(first, last):
            grid[r][1] = letter
        col = 2
    for kind, w in plan:
        if kind == "aisle":
            col += w
            continue
        faces = [letters.take() for _ in range(w)]
        r = first
        for length in segments:
            cap_top, cap_bottom = rng.random() < shape.cap_p, rng.random() < shape.cap_p
            for i in range(length):
                capped = (i == 0 and cap_top) or (i == length - 1 and cap_bottom)
                for k, letter in enumerate(faces):
                    grid[r + i][col + k] = "#" if capped else letter
            r += length + wc
        col += w
    if wall_right:
        letter = letters.take()
        for r in range(first, last):
            grid[r][width - 2] = letter
    if pack:
        grid[height - 2][rng.randrange(1, width - 1)] = "@"
    return grid


def _transpose(grid: Grid) -> Grid:
    return [list(row) for row in zip(*grid, strict=True)]


def _parallel(rng: random.Random, letters: _Letters, shape: _Shape, blocks: int) -> Grid:
    # One block of long racks, or several of shorter ones.
    segments = [rng.randint(12, 22)] if blocks == 1 else [rng.randint(7, 13) for _ in range(blocks)]
    return _aisle_store(
        rng,
        letters,
        shape,
        segments,
        rng.randint(180, 380),
        wall_top=rng.random() < 0.6,
        wall_left=rng.random() < 0.5,
        wall_right=rng.random() < 0.5,
    )


def _horizontal(rng: random.Random, letters: _Letters, shape: _Shape) -> Grid:
    """Long racks running left-right: a vertical store, transposed."""
    if rng.random() < 0.5:
        segments = [rng.randint(24, 40)]
    else:
        segments = [rng.randint(12, 20) for _ in range(2)]
    grid = _aisle_store(
        rng,
        letters,
        shape,
        segments,
        rng.randint(180, 380),
        wall_top=rng.random() < 0.6,
        wall_left=rng.random() < 0.5,
        wall_right=rng.random() < 0.5,
    )
    return _transpose(grid)


def _l_shape(rng: random.Random, letters: _Letters, shape: _Shape) -> Grid:
    """A long arm of vertical racks (right, full height) and a short arm of horizontal racks
    (bottom left), joined along the old wall line: open, or a row of pillars."""
    long_arm = _aisle_store(
        rng,
        letters,
        shape,
        [rng.randint(16, 26)],
        rng.randint(120, 220),
        wall_top=rng.random() < 0.6,
        wall_right=rng.random() < 0.5,
    )
    ha, wa = len(long_arm), len(long_arm[0])
    # The short arm is built upright and turned: its racks then run left-right and its front
    # cross aisle (where a vertical store has its pack station) faces the long arm.
    short_up = _aisle_store(
        rng,
        letters,
        shape,
        [rng.randint(10, 18)],
        rng.randint(80, 160),
        max_width=max(8, int(ha * rng.uniform(0.45, 0.7))),
        wall_top=rng.random() < 0.6,
        wall_left=rng.random() < 0.5,
        wall_right=rng.random() < 0.5,
        pack=False,
    )
    short = _transpose(short_up)
    hb, wb = len(short), len(short[0])
    height, width = ha, wb + wa - 1
    grid = [[" "] * width for _ in range(height)]
    for r in range(ha):
        grid[r][wb - 1 :] = long_arm[r]
    for r in range(hb):
        row = height - hb + r
        for c in range(wb - 1):
            grid[row][c] = short[r][c]
    pillar_every = rng.choice((0, 3, 4, 5))
    joint = wb - 1
    for i, row in enumerate(range(height - hb + 1, height - 1)):
        pillar = pillar_every and i % pillar_every == pillar_every - 1
        grid[row][joint] = "#" if pillar else "."
    return grid


def _islands(rng: random.Random, letters: _Letters, shape: _Shape) -> Grid:
    """Island gondolas (1 or 2 deep) on an open floor, in rows that run either way round,
    pillars scattered on the floor between them, shelving along some walls."""
    corridor = max(2, shape.cross)
    wall_top, wall_left, wall_right = (rng.random() < 0.6 for _ in range(3))
    field_w = rng.randint(28, 48)
    target = rng.randint(160, 320)
    off_r = 1 + int(wall_top) + corridor
    off_c = 1 + int(wall_left) + corridor
    one_deep_p = rng.uniform(0.3, 0.7)
    # Islands as (row, col, height, width), a row of them at a time until they hold `target`.
    islands: list[tuple[int, int, int, int]] = []
    bays, r = 0, off_r
    while bays < target:
        along = rng.random() < 0.5  # the islands of this row run up and down
        length = rng.randint(3, 8)
        row_h = length if along else 2
        c = off_c
        while True:
            depth = 1 if rng.random() < one_deep_p else 2
            ih, iw = (rng.randint(3, length), depth) if along else (depth, rng.randint(3, 9))
            if c + iw > off_c + field_w:
                break
            if rng.random() < 0.9:  # else an empty spot
                islands.append((r, c, ih, iw))
                bays += ih * iw
            c += iw + shape.aisle_width(rng)
        r += row_h + shape.aisle_width(rng)
    height = r + corridor + 1
    width = off_c + field_w + corridor + int(wall_right) + 1
    grid = [["#"] * width for _ in range(height)]
    for r in range(1 + int(wall_top), height - 1):
        for c in range(1, width - 1):
            grid[r][c] = "."
    if wall_top:
        letter = letters.take()
        for c in range(1, width - 1):
            grid[1][c] = letter
    # Side shelving runs between the top and bottom corridors (its end bays open onto them).
    side_rows = range(off_r, height - 1 - corridor)
    if wall_left:
        letter = letters.take()
        for r in side_rows:
            grid[r][1] = letter
    if wall_right:
        letter = letters.take()
        for r in side_rows:
            grid[r][width - 2] = letter
    for r0, c0, ih, iw in islands:
        faces = [letters.take() for _ in range(min(ih, iw))]
        for dr in range(ih):
            for dc in range(iw):
                grid[r0 + dr][c0 + dc] = faces[dr if ih < iw else dc]
    grid[height - 2][rng.randrange(1, width - 1)] = "@"
    # A pillar only where all eight cells around it are floor: it then blocks no bay's access
    # cell and cuts no walk (the ring around it stays open).
    floor = [(r, c) for r in range(height) for c in range(width) if grid[r][c] == "."]
    for r, c in rng.sample(floor, int(len(floor) * rng.choice((0.0, 0.01, 0.03)))):
        ring = [grid[r + dr][c + dc] for dr in (-1, 0, 1) for dc in (-1, 0, 1)]
        if all(ch == "." for ch in ring):
            grid[r][c] = "#"
    return grid


def _bay_letters(grid: Grid) -> dict[str, int]:
    counts: dict[str, int] = {}
    for row in grid:
        for ch in row:
            if ch in string.ascii_uppercase:
                counts[ch] = counts.get(ch, 0) + 1
    return counts


def _zones(rng: random.Random, counts: dict[str, int]) -> list[tuple[str, list[str], int]]:
    """(name, letters, pick rank) of the cold zones: none, chilled, or chilled and frozen,
    together at most about a third of the bays."""
    roll = rng.random()
    wanted = 0 if roll < 0.45 else (1 if roll < 0.8 else 2)
    if not wanted:
        return []
    total = sum(counts.values())
    letters = sorted(counts)
    for _ in range(20):
        picks = rng.sample(letters, rng.randint(wanted, min(len(letters), wanted + 1)))
        if sum(counts[x] for x in picks) <= total // 3:
            break
    else:
        picks = sorted(letters, key=counts.__getitem__)[:wanted]
    if wanted == 1:
        return [("chilled", sorted(picks), 2)]
    split = max(1, len(picks) // 2)
    return [("chilled", sorted(picks[:split]), 2), ("frozen", sorted(picks[split:]), 3)]


def make_layout(kind: str, seed: int) -> str:
    """Layout TOML text of a random store of `kind` (one of `KINDS`), the same for the same seed."""
    if kind not in KINDS:
        raise ValueError(f"unknown layout kind {kind!r}: one of {', '.join(KINDS)}")
    rng = random.Random(f"layoutgen:{kind}:{seed}")
    shape = _Shape(rng)
    while True:  # the sizes are drawn to give 200-450 bays; a small draw is drawn again
        letters = _Letters()
        if kind == "parallel":
            grid = _parallel(rng, letters, shape, blocks=1)
        elif kind == "two_block":
            grid = _parallel(rng, letters, shape, blocks=2)
        elif kind == "l_shape":
            grid = _l_shape(rng, letters, shape)
        elif kind == "islands":
            grid = _islands(rng, letters, shape)
        else:
            grid = _horizontal(rng, letters, shape)
        counts = _bay_letters(grid)
        if sum(counts.values()) >= MIN_BAYS + 30:
            break
    levels = rng.randint(3, 6)
    lines = [
        f"# Generated by bench/layoutgen.py: make_layout({kind!r}, {seed}).",
        f'id = "GEN-{kind.upper().replace("_", "-")}-{seed}"',
        f'name = "Random {kind} store, seed {seed}"',
        f"cell_m = {shape.cell_m}",
        f"levels = {levels}",
        "",
        'floor = """',
        *("".join(row) for row in grid),
        '"""',
    ]
    for letter in sorted(counts):
        if rng.random() < 0.2:
            lines += ["", f"[aisles.{letter}]", f"levels = {rng.randint(2, 7)}"]
    for name, zone_letters, rank in _zones(rng, counts):
        quoted = ", ".join(f'"{x}"' for x in zone_letters)
        lines += ["", f"[zones.{name}]", f"aisles = [{quoted}]", f"pick_rank = {rank}"]
    return "\n".join(lines) + "\n"


def main() -> None:
    """Print one generated layout: `python bench/layoutgen.py KIND SEED`."""
    import sys

    kind, seed = sys.argv[1], int(sys.argv[2])
    print(make_layout(kind, seed), end="")


if __name__ == "__main__":
    main()
