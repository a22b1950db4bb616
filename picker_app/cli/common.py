"""What the commands share: reading files, argument types, the parser that answers in one line."""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from picker_app.config import FIXTURES, LAYOUTS
from picker_app.domain.layout import Layout, parse_layout
from picker_app.errors import UserError

if TYPE_CHECKING:
    pass



LAYOUTS_DIR = LAYOUTS

DEMO_LAYOUT = LAYOUTS_DIR / "demo-store.toml"

FIXTURES_DIR = FIXTURES

def read_text(path: str | Path, what: str) -> str:
    """A text file's contents, or a UserError naming the file and what is wrong."""
    try:
        with open(path, encoding="utf-8-sig") as f:
            return f.read()
    except FileNotFoundError:
        raise UserError(f"{path}: cannot read the {what}: no such file") from None
    except IsADirectoryError:
        raise UserError(f"{path}: cannot read the {what}: it is a directory") from None
    except PermissionError:
        raise UserError(f"{path}: cannot read the {what}: permission denied") from None
    except UnicodeDecodeError as err:
        raise UserError(
            f"{path}: the {what} is not UTF-8 text (bad byte at offset {err.start})"
        ) from None
    except OSError as err:
        raise UserError(f"{path}: cannot read the {what}: {err.strerror or err}") from None

def load_layout(path: str | Path) -> Layout:
    """Read and check a layout file."""
    return parse_layout(read_text(path, "layout file"), str(path))

def number_type(low: float, high: float, what: str):
    """An argparse type: a finite number from `low` to `high`, or `what` is the complaint."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not (math.isfinite(value) and low <= value <= high):
            raise argparse.ArgumentTypeError(f"{what}, got {text!r}")
        return value

    return parse


def baud_type(text: str) -> int:
    """An argparse type: a serial baud rate, the range `Settings.scanner_baud` accepts."""
    if not (text.isascii() and text.isdigit() and 300 <= int(text) <= 921600):
        raise argparse.ArgumentTypeError(f"must be a whole number from 300 to 921600, got {text!r}")
    return int(text)


def count_days_type(text: str) -> tuple[int, int, int]:
    """An argparse type: days between the counts of classes A, B and C, e.g. `7,30,90`."""
    parts = text.split(",")
    if len(parts) == 3 and all(p.strip().isascii() and p.strip().isdigit() for p in parts):
        a, b, c = (int(p) for p in parts)
        if 1 <= a <= 366 and 1 <= b <= 366 and 1 <= c <= 366:
            return a, b, c
    raise argparse.ArgumentTypeError(
        f"must be three whole numbers of days from 1 to 366 for classes A,B,C (e.g. 7,30,90),"
        f" got {text!r}"
    )


def prefix_type(text: str) -> bytes:
    """An argparse type: bytes written as ASCII text with backslash escapes (\\x02, \\t, \\\\)."""
    import codecs

    try:
        return codecs.decode(text.encode("ascii"), "unicode_escape").encode("latin-1")
    except UnicodeError:
        raise argparse.ArgumentTypeError(
            f"must be ASCII with escapes of bytes such as \\x02 (a backslash is \\\\), got {text!r}"
        ) from None


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on standard error (and exit status 2)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


# A step onto the busiest cell costs at most 1,001 quiet steps: beyond that the planner avoids
# busy aisles all the same, and larger K only overflows the route's cost.
congestion_type = number_type(0, 1000, "K must be a number >= 0 (and at most 1000)")
probability_type = number_type(0, 1, "must be a number from 0 to 1")
