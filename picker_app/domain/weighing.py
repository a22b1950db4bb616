"""The packing scale's words and the weight check of a packed bag (plain logic, no IO).

`parse_reply` reads one reply line of a scale speaking MT-SICS level 0 (Mettler Toledo's
Standard Interface Command Set): `S S     0.512 kg` is a stable weight, `S D     0.510 kg` a
moving one (sent only to `SI`), `S I` "cannot now", `S +` / `S -` over- and underload, `ES`,
`ET`, `EL` the scale's errors. Anything else is `Unreadable`, never an exception.

`check_added` is the QC rule: the weight an item added to the scale matches its catalog weight
within the larger of 20 g and 5 %. `ScaleTracker` applies it to the stream of readings at a
packing station: told what was scanned, it says whether what was put on the scale matches, and
notices when something was put on without a scan or taken off.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Literal

# Grams in one of each unit a scale may report in (the pound and ounce are exact by definition).
UNIT_GRAMS: dict[str, Decimal] = {
    "g": Decimal(1),
    "kg": Decimal(1000),
    "mg": Decimal("0.001"),
    "lb": Decimal("453.59237"),
    "oz": Decimal("28.349523125"),
}

# The longest reply worth reading: "S S" + a 10-character value + a unit is 20 characters.
MAX_LINE = 64

FaultKind = Literal["busy", "overload", "underload", "syntax", "transmission", "logical"]

FAULT_MESSAGES: dict[str, str] = {
    "busy": "The scale cannot weigh just now (it is taring or the weight does not settle): "
    "keep the bag still and try again.",
    "overload": "The scale is overloaded: take something off it.",
    "underload": "The scale reads below zero: check that its pan is on, then zero it.",
    "syntax": "The scale did not understand the command: check that it is set to MT-SICS.",
    "transmission": "The scale received a garbled command: check its cable and baud rate.",
    "logical": "The scale refused the command: check that it is set to MT-SICS.",
}

_FAULTS: dict[str, FaultKind] = {
    "S I": "busy",
    "S +": "overload",
    "S -": "underload",
    "ES": "syntax",
    "ET": "transmission",
    "EL": "logical",
}

# "S S" or "S D", the value (a sign may stand apart from the digits), the unit.
_WEIGHT = re.compile(
    r"S +(?P<status>[SD]) +(?P<sign>[-+]?) *"
    r"(?P<digits>[0-9]+(?:\.[0-9]*)?|\.[0-9]+) +(?P<unit>[A-Za-z]+)"
)


@dataclass(frozen=True)
class Reading:
    """A weight from the scale: in grams, and whether the scale called it stable."""

    grams: float
    stable: bool
    unit: str = "g"  # the unit the scale sent it in

    @property
    def message(self) -> str:
        """How the screen shows it."""
        return format_grams(self.grams) + ("" if self.stable else " (settling)")


@dataclass(frozen=True)
class ScaleFault:
    """The scale answered but gave no weight: overload, underload, busy or one of its errors."""

    kind: FaultKind

    @property
    def message(self) -> str:
        """The sentence to show the packer."""
        return FAULT_MESSAGES[self.kind]


@dataclass(frozen=True)
class Unreadable:
    """A line that is not an MT-SICS reply (line noise, a wrong baud rate, another protocol)."""

    line: str
    why: str

    @property
    def message(self) -> str:
        """The sentence to show the packer."""
        return (
            f"The scale sent something unreadable ({self.why}): check that it is set to MT-SICS "
            "and to the same baud rate as the app."
        )


ScaleReply = Reading | ScaleFault | Unreadable


def parse_reply(line: bytes | str) -> ScaleReply:
    """What one reply line of an MT-SICS scale says (its CR LF may be there or not)."""
    if isinstance(line, bytes):
        try:
            text = line.decode("ascii")
        except UnicodeDecodeError:
            return Unreadable(line.decode("ascii", "replace"), "not ASCII text")
    else:
        text = line
    text = text.strip("\r\n\t ")
    if len(text) > MAX_LINE:
        return Unreadable(text[:MAX_LINE] + "...", "too long for a reply")
    if not text.isascii() or not text.isprintable():
        return Unreadable(text, "control characters or non-ASCII text")
    if not text:
        return Unreadable(text, "an empty line")
    kind = _FAULTS.get(" ".join(text.split()))
    if kind is not None:
        return ScaleFault(kind)
    match = _WEIGHT.fullmatch(text)
    if match is None:
        return Unreadable(text, "not a weight reply")
    unit = match["unit"]
    factor = UNIT_GRAMS.get(unit)
    if factor is None:
        return Unreadable(text, f"unknown unit {unit!r}")
    try:
        value = Decimal(match["sign"] + match["digits"])
    except InvalidOperation:  # the pattern lets through only numbers; this is a safety net
        return Unreadable(text, "not a number")
    return Reading(float(value * factor), stable=match["status"] == "S", unit=unit)


def format_reply(grams: float, stable: bool = True, unit: str = "kg") -> str:
    """The MT-SICS reply line (without CR LF) a scale sends for `grams` in `unit`."""
    value = Decimal(repr(grams)) / UNIT_GRAMS[unit]
    places = 0 if unit in ("g", "mg") else 3
    text = f"{value:.{places}f}"
    if text.lstrip("-").strip("0.") == "":
        text = text.lstrip("-")  # no "-0.000"
    return f"S {'S' if stable else 'D'} {text:>10} {unit}"


def format_grams(grams: float) -> str:
    """A weight for the screen: grams below a kilogram, kilograms from one up."""
    if abs(grams) < 1000:
        return f"{grams:.0f} g"
    return f"{grams / 1000:.3f} kg"


# --- The QC rule -------------------------------------------------------------------------------

MIN_TOLERANCE_G = 20.0
TOLERANCE_SHARE = 0.05


def tolerance_g(
    expected_g: float, at_least_g: float = MIN_TOLERANCE_G, share: float = TOLERANCE_SHARE
) -> float:
    """How far from `expected_g` a weighed item may be, either way: max(20 g, 5 %)."""
    return max(at_least_g, share * abs(expected_g))


Verdict = Literal["ok", "too light", "too heavy"]


@dataclass(frozen=True)
class WeightCheck:
    """What the scale says of an item: what it added, against what the catalog says it weighs."""

    verdict: Verdict
    expected_g: float
    added_g: float  # the measured delta: the stable weight after less the one before
    tolerance_g: float

    @property
    def ok(self) -> bool:
        return self.verdict == "ok"

    @property
    def off_by_g(self) -> float:
        """How much more (positive) or less (negative) than expected was added."""
        return self.added_g - self.expected_g

    @property
    def message(self) -> str:
        """The sentence to show the packer."""
        added, expected = format_grams(self.added_g), format_grams(self.expected_g)
        if self.ok:
            return f"Weight OK: {added} (expected {expected})."
        return (
            f"Weight {self.verdict}: the scale got {added}, the item should weigh {expected}"
            f" (±{format_grams(self.tolerance_g)}). Check the item and its count."
        )


def check_added(
    expected_g: float,
    before_g: float,
    after_g: float,
    at_least_g: float = MIN_TOLERANCE_G,
    share: float = TOLERANCE_SHARE,
) -> WeightCheck:
    """Whether the weight added between two stable readings matches `expected_g`."""
    added = after_g - before_g
    tolerance = tolerance_g(expected_g, at_least_g, share)
    verdict: Verdict = "ok"
    if added < expected_g - tolerance:
        verdict = "too light"
    elif added > expected_g + tolerance:
        verdict = "too heavy"
    return WeightCheck(verdict, expected_g, added, tolerance)


# --- The tracker at a packing station -------------------------------------------------------


@dataclass(frozen=True)
class Waiting:
    """Items were scanned and the scale has not changed yet: put them on."""

    expected_g: float
    total_g: float

    @property
    def message(self) -> str:
        return f"Put the item on the scale (about {format_grams(self.expected_g)})."


@dataclass(frozen=True)
class Weighed:
    """The scanned items are on the scale: `check` says whether their weight matches. When it
    does, the new total is accepted and nothing is expected any more; when not, the tracker
    keeps expecting them and judges again at the next change."""

    check: WeightCheck
    total_g: float

    @property
    def message(self) -> str:
        return self.check.message


@dataclass(frozen=True)
class Settled:
    """Nothing is expected and the scale shows the accepted total (again, after a warning)."""

    total_g: float

    @property
    def message(self) -> str:
        return f"On the scale: {format_grams(self.total_g)}."


@dataclass(frozen=True)
class Removed:
    """The scale shows less than the accepted total: something was taken off."""

    missing_g: float
    total_g: float

    @property
    def message(self) -> str:
        return (
            f"Something was taken off the scale ({format_grams(self.missing_g)} missing): "
            "put it back, or undo its scan."
        )


@dataclass(frozen=True)
class Unscanned:
    """The scale shows more than the accepted total with nothing scanned: an item not scanned."""

    added_g: float
    total_g: float

    @property
    def message(self) -> str:
        return (
            f"Something was put on the scale without a scan ({format_grams(self.added_g)}): "
            "scan it, or take it off."
        )


ScaleOutcome = Waiting | Weighed | Settled | Removed | Unscanned


class ScaleTracker:
    """Follows a packing station's scale and says what it means, from stable readings only.

    The packing screen calls `reset()` once the empty bag is on the scale (the next stable
    reading, or the `total_g` given, is the bag's starting weight), `expect(grams)` for each
    item scanned (several scans before placing add up), and `observe(reply)` with every reply
    the scale sends; `observe` returns an outcome when what the screen should say changes and
    None otherwise (unstable readings, faults and noise say nothing about the bag).
    """

    def __init__(
        self,
        at_least_g: float = MIN_TOLERANCE_G,
        share: float = TOLERANCE_SHARE,
        moved_g: float = 5.0,
    ) -> None:
        self.at_least_g = at_least_g
        self.share = share
        # A change smaller than this is the scale's noise: nothing placed yet.
        self.moved_g = moved_g
        self.accepted_g: float | None = None  # the bag's weight as checked so far
        self.expected_g = 0.0  # scanned and not yet accepted on the scale
        self.last: ScaleOutcome | None = None  # what the screen was last told

    @property
    def expecting(self) -> bool:
        return self.expected_g > 0

    def reset(self, total_g: float | None = None) -> None:
        """Start a new bag: nothing expected; `total_g` (or the next stable reading) is its
        starting weight."""
        self.accepted_g = total_g
        self.expected_g = 0.0
        self.last = None

    def expect(self, item_grams: float) -> None:
        """An item weighing `item_grams` (its catalog weight) was scanned: it goes on next."""
        self.expected_g += item_grams
        self.last = None  # so that the next reading says where things stand

    def cancel(self) -> None:
        """The scans not yet weighed were undone: expect nothing."""
        self.expected_g = 0.0
        self.last = None

    def accept(self, total_g: float) -> None:
        """Take `total_g` as the bag's weight as it stands, e.g. after a lead overrides a
        verdict or an item was taken off and its scan undone; expect nothing."""
        self.accepted_g = total_g
        self.expected_g = 0.0
        self.last = None

    def observe(self, reply: ScaleReply) -> ScaleOutcome | None:
        """What a reply from the scale changes: an outcome to show, or None."""
        if not isinstance(reply, Reading) or not reply.stable:
            return None
        outcome = self._judge(reply.grams)
        quiet_ok = isinstance(self.last, Weighed) and self.last.check.ok
        if outcome == self.last or (isinstance(outcome, Settled) and quiet_ok):
            return None  # nothing new (an OK stays on the screen until something changes)
        self.last = outcome
        return outcome

    def _judge(self, total: float) -> ScaleOutcome:
        if self.accepted_g is None:
            self.accepted_g = total
        before = self.accepted_g
        delta = total - before
        if delta < -self.at_least_g:
            # A percentage of the bag would let a small item leave a heavy bag unnoticed.
            return Removed(-delta, total)
        if self.expecting:
            if abs(delta) < self.moved_g:
                return Waiting(self.expected_g, total)
            check = check_added(self.expected_g, before, total, self.at_least_g, self.share)
            if check.ok:
                self.accepted_g = total
                self.expected_g = 0.0
            return Weighed(check, total)
        if delta > self.at_least_g:
            return Unscanned(delta, total)
        return Settled(before)
