"""The shipped layouts are exactly what layouts/make_layouts.py makes, and pass its checks."""

from __future__ import annotations

import importlib.util

import pytest

from tests.conftest import LAYOUTS

spec = importlib.util.spec_from_file_location("make_layouts", LAYOUTS / "make_layouts.py")
assert spec and spec.loader
make_layouts = importlib.util.module_from_spec(spec)
spec.loader.exec_module(make_layouts)


@pytest.mark.parametrize("make", make_layouts.STORES, ids=lambda m: m.__name__)
def test_committed_file_is_what_the_script_makes(make):
    store = make()
    path = LAYOUTS / store["file"]
    assert path.read_text(encoding="utf-8") == make_layouts.render(store)
    stats = make_layouts.check_file(path)
    assert stats["widths"]["bad"] == []
    assert stats["widths"]["face_min"] >= 2
