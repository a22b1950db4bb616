"""Store layouts: the floor grid, its bays and bins, zones and pick ranks (spec/layout.md).

`parse_layout` turns the text of a layout file into a `Layout`, or raises a `LayoutError` whose
message names the file, then the place (TOML key, file line or floor cell `[row, col]`).
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from collections import deque
from dataclasses import dataclass, field
from functools import cached_property

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from picker_app.errors import UserError

Cell = tuple[int, int]

WALKABLE = frozenset(".@")
BLOCKED = frozenset("# ")
LETTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
STEPS: tuple[Cell, ...] = ((-1, 0), (0, -1), (0, 1), (1, 0))  # up, left, right, down

_BIN_RE = re.compile(r"^([A-Za-z])(\d+)-(\d+)$")
_BAY_RE = re.compile(r"^([A-Za-z])(\d+)$")


class LayoutError(UserError):
    """A layout file breaks a rule of spec/layout.md."""


class BinCodeError(UserError):
    """A bin or bay code that is malformed or that the layout does not have."""


# --- the file's schema -------------------------------------------------------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


class AisleSpec(_Strict):
    """`[aisles.X]`: per-aisle settings."""

    levels: int | None = Field(default=None, ge=1, le=9)
    label: str | None = None


class ZoneSpec(_Strict):
    """`[zones.NAME]`: a group of aisles picked at one pick rank."""

    aisles: list[str] = Field(min_length=1)
    pick_rank: int = Field(default=1, ge=1)
    label: str | None = None


class LayoutSpec(_Strict):
    """The keys of a layout file, as read from TOML, before the floor is checked."""

    id: str
    name: str | None = None
    # spec/layout.md says only "> 0"; a grid cell is one bay's width or a stretch of aisle, so
    # 10 m is already generous, and a bound keeps every length finite (1e308 made Infinity).
    cell_m: float = Field(default=0.5, gt=0, le=10)
    levels: int = Field(default=4, ge=1, le=9)
    floor: str
    aisles: dict[str, AisleSpec] = Field(default_factory=dict)
    zones: dict[str, ZoneSpec] = Field(default_factory=dict)

    @field_validator("id")
    @classmethod
    def _id_chars(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Za-z0-9_-]+", value):
            raise ValueError("must be letters, digits, '-' or '_'")
        return value


# --- the domain objects ------------------------------------------------------------------------


@dataclass(frozen=True)
class Bay:
    """One letter cell of the floor: a shelf bay with `levels` bins stacked in it."""

    aisle: str
    number: int
    cell: Cell
    levels: int
    pick_rank: int
    zone: str
    access: tuple[Cell, ...]

    @property
    def code(self) -> str:
        return f"{self.aisle}{self.number:02d}"


@dataclass(frozen=True)
class Bin:
    """One level of one bay, e.g. `A07-2`."""

    bay: Bay
    level: int

    @property
    def code(self) -> str:
        return f"{self.bay.code}-{self.level}"


@dataclass(frozen=True)
class Layout:
    """A parsed, valid store layout."""

    id: str
    name: str | None
    cell_m: float
    rows: tuple[str, ...]
    pack: Cell
    bays: tuple[Bay, ...]
    aisle_labels: dict[str, str | None]
    zone_ranks: dict[str, int]
    content_hash: str
    source: str = ""
    _bays_by_key: dict[tuple[str, int], Bay] = field(default_factory=dict, repr=False)

    @property
    def height(self) -> int:
        return len(self.rows)

    @property
    def width(self) -> int:
        return len(self.rows[0]) if self.rows else 0

    def char(self, cell: Cell) -> str:
        r, c = cell
        if 0 <= r < self.height and 0 <= c < self.width:
            return self.rows[r][c]
        return "#"

    def walkable(self, cell: Cell) -> bool:
        return self.char(cell) in WALKABLE

    @cached_property
    def walkable_cells(self) -> tuple[Cell, ...]:
        """Every walkable cell, in reading order."""
        return tuple(
            (r, c) for r, row in enumerate(self.rows) for c, ch in enumerate(row) if ch in WALKABLE
        )

    @cached_property
    def bay_count(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for bay in self.bays:
            counts[bay.aisle] = counts.get(bay.aisle, 0) + 1
        return counts

    @property
    def bin_count(self) -> int:
        return sum(bay.levels for bay in self.bays)

    def bay(self, code: str) -> Bay:
        """The bay of a bare bay code such as `A07` (as the heat file allows)."""
        text = code.strip()
        m = _BAY_RE.match(text)
        if not m:
            raise BinCodeError(f"malformed bay code {code.strip()!r}: expected a letter and digits")
        return self._find_bay(m.group(1).upper(), int(m.group(2)), code.strip())

    def bin(self, code: str) -> Bin:
        """The bin of a code such as `a7-2`, `A07-2` or `A007-02` (all `A07-2`)."""
        text = code.strip()
        m = _BIN_RE.match(text)
        if not m:
            raise BinCodeError(
                f"malformed bin code {text!r}: expected aisle letter, bay number, dash, level "
                "(e.g. A07-2)"
            )
        bay = self._find_bay(m.group(1).upper(), int(m.group(2)), text)
        level = int(m.group(3))
        if not 1 <= level <= bay.levels:
            raise BinCodeError(f"unknown bin {text!r}: bay {bay.code} has levels 1 to {bay.levels}")
        return Bin(bay, level)

    def _find_bay(self, aisle: str, number: int, text: str) -> Bay:
        what = "bin" if "-" in text else "bay"
        count = self.bay_count.get(aisle)
        if count is None:
            raise BinCodeError(f"unknown {what} {text!r}: store {self.id} has no aisle {aisle}")
        bay = self._bays_by_key.get((aisle, number))
        if bay is None:
            raise BinCodeError(f"unknown {what} {text!r}: aisle {aisle} has bays 1 to {count}")
        return bay


# --- parsing -----------------------------------------------------------------------------------


def _describe_validation_error(err: ValidationError) -> tuple[str, str]:
    first = err.errors()[0]
    key = ".".join(str(part) for part in first["loc"])
    kind = first["type"]
    if kind == "missing":
        return key, "required key is missing"
    if kind == "extra_forbidden":
        return key, "unknown key (allowed: see spec/layout.md)"
    msg = first["msg"].removeprefix("Value error, ")
    msg = msg[0].lower() + msg[1:]
    value = first.get("input")
    if isinstance(value, dict | list):
        return key, msg
    return key, f"{msg}, got {value!r}"


def _floor_rows(floor: str) -> list[str]:
    lines = floor.replace("\r\n", "\n").split("\n")
    while lines and lines[0] == "":
        lines.pop(0)
    while lines and lines[-1] == "":
        lines.pop()
    width = max((len(line) for line in lines), default=0)
    return [line.ljust(width, "#") for line in lines]


def parse_layout(text: str, source: str = "<layout>") -> Layout:
    """Parse and check the text of a layout file; raise LayoutError naming `source` and place."""

    def fail(place: str, what: str) -> LayoutError:
        return LayoutError(f"{source}: {place}: {what}")

    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        message = str(err)
        m = re.search(r"\(at line (\d+), column \d+\)", message)
        place = f"line {m.group(1)}" if m else "line ?"
        reason = re.sub(r"\s*\(at (line \d+, column \d+|end of document)\)", "", message)
        raise fail(place, f"not valid TOML: {reason}") from None
    try:
        spec = LayoutSpec.model_validate(raw)
    except ValidationError as err:
        key, what = _describe_validation_error(err)
        raise fail(f"key '{key}'", what) from None

    rows = _floor_rows(spec.floor)
    if not rows:
        raise fail("key 'floor'", "the floor plan has no rows")
    letters_on_floor: set[str] = set()
    packs: list[Cell] = []
    for r, row in enumerate(rows):
        for c, ch in enumerate(row):
            if ch in LETTERS:
                letters_on_floor.add(ch)
            elif ch == "@":
                packs.append((r, c))
            elif ch not in WALKABLE and ch not in BLOCKED:
                raise fail(
                    f"[{r}, {c}]",
                    f"character {ch!r} is not allowed on the floor "
                    "(use '.', '@', '#', ' ' or an upper-case aisle letter)",
                )
    if not packs:
        raise fail("key 'floor'", "no pack station '@': a layout needs exactly one")
    if len(packs) > 1:
        where = ", ".join(f"[{r}, {c}]" for r, c in packs[:5])
        raise fail(
            f"[{packs[1][0]}, {packs[1][1]}]",
            f"a second pack station '@' (found {len(packs)}: {where}); a layout needs exactly one",
        )

    for letter in spec.aisles:
        if len(letter) != 1 or letter not in LETTERS:
            raise fail(f"key 'aisles.{letter}'", "an aisle is one upper-case letter (A to Z)")
        if letter not in letters_on_floor:
            raise fail(f"key 'aisles.{letter}'", f"aisle {letter} is not on the floor")

    zone_of: dict[str, str] = {}
    rank_of: dict[str, int] = {}
    for name, zone in spec.zones.items():
        for i, letter in enumerate(zone.aisles):
            place = f"key 'zones.{name}.aisles.{i}'"
            if len(letter) != 1 or letter not in LETTERS:
                raise fail(place, f"{letter!r} is not an aisle: use one upper-case letter")
            if letter not in letters_on_floor:
                raise fail(place, f"aisle {letter} is not on the floor")
            if letter in zone_of:
                raise fail(place, f"aisle {letter} is already in zone {zone_of[letter]!r}")
            zone_of[letter] = name
            rank_of[letter] = zone.pick_rank
    default_zone = "ambient" if "ambient" not in spec.zones else "unzoned"

    pack = packs[0]
    height, width = len(rows), len(rows[0])

    def walk(cell: Cell) -> bool:
        r, c = cell
        return 0 <= r < height and 0 <= c < width and rows[r][c] in WALKABLE

    numbers: dict[str, int] = {}
    bays: list[Bay] = []
    for r, row in enumerate(rows):
        for c, ch in enumerate(row):
            if ch not in LETTERS:
                continue
            numbers[ch] = numbers.get(ch, 0) + 1
            access = tuple((r + dr, c + dc) for dr, dc in STEPS if walk((r + dr, c + dc)))
            aisle = spec.aisles.get(ch)
            bay = Bay(
                aisle=ch,
                number=numbers[ch],
                cell=(r, c),
                levels=aisle.levels if aisle and aisle.levels else spec.levels,
                pick_rank=rank_of.get(ch, 1),
                zone=zone_of.get(ch, default_zone),
                access=access,
            )
            if not access:
                raise fail(
                    f"[{r}, {c}]", f"bay {bay.code} has no walkable cell next to it to pick from"
                )
            bays.append(bay)

    seen = {pack}
    queue = deque([pack])
    while queue:
        r, c = queue.popleft()
        for dr, dc in STEPS:
            nxt = (r + dr, c + dc)
            if nxt not in seen and walk(nxt):
                seen.add(nxt)
                queue.append(nxt)
    unreachable = [
        (r, c)
        for r, row in enumerate(rows)
        for c, ch in enumerate(row)
        if ch in WALKABLE and (r, c) not in seen
    ]
    if unreachable:
        cells = ", ".join(f"[{r}, {c}]" for r, c in unreachable[:10])
        more = " ..." if len(unreachable) > 10 else ""
        raise fail(
            f"[{unreachable[0][0]}, {unreachable[0][1]}]",
            f"{len(unreachable)} walkable cells cannot be reached from '@': {cells}{more}",
        )

    canonical = json.dumps(
        {
            "id": spec.id,
            "cell_m": spec.cell_m,
            "rows": rows,
            "bays": [(b.code, b.levels, b.pick_rank) for b in bays],
        },
        sort_keys=True,
    )
    return Layout(
        id=spec.id,
        name=spec.name,
        cell_m=float(spec.cell_m),
        rows=tuple(rows),
        pack=pack,
        bays=tuple(bays),
        aisle_labels={k: v.label for k, v in spec.aisles.items()},
        zone_ranks={name: z.pick_rank for name, z in spec.zones.items()},
        content_hash=hashlib.sha256(canonical.encode()).hexdigest(),
        source=source,
        _bays_by_key={(b.aisle, b.number): b for b in bays},
    )
