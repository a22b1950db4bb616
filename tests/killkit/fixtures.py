"""What both kill suites (tests/test_kill_scans.py, tests/test_kill_sync.py) share: the knobs of
a larger run, read from the environment, and their module-wide fixtures (registered for the
whole suite by tests/conftest.py).

`KILL_ROUNDS` multiplies the counts (1), `KILL_LANES` sets how many devices are killed at once
(2), `KILL_SEED` the seed (15)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.killkit.harness import ForkServer, Template, fork_server, make_template

SCALE = float(os.environ.get("KILL_ROUNDS", "1"))
LANES = int(os.environ.get("KILL_LANES", "2"))
SEED = int(os.environ.get("KILL_SEED", "15"))


def scaled(count: int) -> int:
    """`count` kills, times KILL_ROUNDS (at least one)."""
    return max(1, round(count * SCALE))


@pytest.fixture(scope="module")
def kill_template(backend_template, tmp_path_factory) -> Template:
    """A seeded backend and a device's cache made from it, copied for each round."""
    return make_template(backend_template, tmp_path_factory.mktemp("kill-template"))


@pytest.fixture(scope="module")
def kill_forks(tmp_path_factory) -> Iterator[ForkServer]:
    """The fork server of the child processes the suites kill."""
    with fork_server(tmp_path_factory.mktemp("children") / "children.log") as server:
        yield server
