"""The route bench's random layouts (bench/layoutgen.py) are valid stores of the promised sort."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from picker_app.domain.distances import DistanceTable
from picker_app.domain.layout import Bay, parse_layout

_PATH = Path(__file__).resolve().parent.parent / "bench" / "layoutgen.py"
_SPEC = importlib.util.spec_from_file_location("layoutgen", _PATH)
assert _SPEC is not None and _SPEC.loader is not None
layoutgen = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(layoutgen)

SEEDS = range(20)


def two_sided(bay: Bay) -> bool:
    """Picked from opposite sides: access cells on two different walking aisles."""
    r, c = bay.cell
    cells = set(bay.access)
    return {(r, c - 1), (r, c + 1)} <= cells or {(r - 1, c), (r + 1, c)} <= cells


@pytest.mark.parametrize("kind", layoutgen.KINDS)
def test_every_seed_gives_a_valid_store(kind: str) -> None:
    ranked = 0
    for seed in SEEDS:
        text = layoutgen.make_layout(kind, seed)
        layout = parse_layout(text, f"{kind} seed {seed}")
        assert len(layout.bays) >= 150, (kind, seed)
        assert 0.5 <= layout.cell_m <= 1.0
        share = sum(two_sided(b) for b in layout.bays) / len(layout.bays)
        assert share >= 0.03, (kind, seed, share)
        table = DistanceTable(layout)
        for bay in layout.bays:
            for cell in bay.access:
                to_cell = table.matrix[0, table.station_of[cell]]
                assert 0 <= to_cell < table.inf, (kind, seed, bay.code, cell)
        ranked += any(b.pick_rank > 1 for b in layout.bays)
    assert 0 < ranked < len(SEEDS), f"{kind}: {ranked} of {len(SEEDS)} stores have cold zones"


@pytest.mark.parametrize("kind", layoutgen.KINDS)
def test_same_seed_same_store(kind: str) -> None:
    assert layoutgen.make_layout(kind, 3) == layoutgen.make_layout(kind, 3)
    assert layoutgen.make_layout(kind, 3) != layoutgen.make_layout(kind, 4)


def test_two_sided_bays_span_two_aisles() -> None:
    """An open row's bay is between two walking aisles: its two sides are far apart on foot."""
    layout = parse_layout(layoutgen.make_layout("parallel", 0))
    table = DistanceTable(layout)
    for bay in layout.bays:
        if two_sided(bay) and len(bay.access) == 2:
            a, b = (table.station_of[c] for c in bay.access)
            assert table.matrix[a, b] > 2, bay.code


def test_unknown_kind() -> None:
    with pytest.raises(ValueError, match="unknown layout kind"):
        layoutgen.make_layout("round", 1)
