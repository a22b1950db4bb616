"""The batch route search compiled in the background at start-up (picker_app/warmup.py): a
process of its own that plans one batch and leaves a stamp, skipped once the stamp is there,
never an error when it cannot start."""

from __future__ import annotations

import sys
from pathlib import Path

from picker_app import warmup


def test_the_warm_up_runs_once_and_leaves_its_stamp(tmp_path):
    process = warmup.start(tmp_path)
    assert process is not None
    assert process.wait(timeout=300) == 0
    stamp = warmup.stamp_path(tmp_path)
    assert stamp.exists() and stamp.parent == tmp_path
    assert warmup.start(tmp_path) is None  # done: later starts skip it


def test_a_warm_up_that_cannot_start_is_no_error(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "executable", str(tmp_path / "no-such-python"))
    assert warmup.start(tmp_path / "data") is None


def test_the_stamp_names_the_kernels_source(tmp_path):
    name = warmup.stamp_path(Path("/x")).name
    assert name.startswith("route-search-") and name.endswith(".ready")
    assert warmup.stamp_path(tmp_path).name == name  # the same kernel, the same stamp
