"""Issue 15, guarantee 3 (consistent downloads) and the rest of guarantee 2.

Placeholder."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.killkit.harness import ForkServer, Template, fork_server, make_template
from tests.killkit.syncs import dspecs, kill_backend, make_devices, run_downloads

SCALE = float(os.environ.get("KILL_ROUNDS", "1"))
LANES = int(os.environ.get("KILL_LANES", "2"))
SEED = int(os.environ.get("KILL_SEED", "15"))
RANDOM_DOWNLOAD_KILLS = max(1, round(40 * SCALE))
KILLS_AT_EACH_APPLY_POINT = max(1, round(15 * SCALE))
BACKEND_KILLS = max(1, round(100 * SCALE))


@pytest.fixture(scope="module")
def template(backend_template, tmp_path_factory) -> Template:
    return make_template(backend_template, tmp_path_factory.mktemp("kill-template"))


@pytest.fixture(scope="module")
def forks(tmp_path_factory) -> Iterator[ForkServer]:
    with fork_server(tmp_path_factory.mktemp("children") / "children.log") as server:
        yield server


def test_a_download_killed_as_it_is_applied_keeps_the_cursor_with_its_data(
    template, forks, tmp_path
):
    rounds = dspecs(RANDOM_DOWNLOAD_KILLS, KILLS_AT_EACH_APPLY_POINT, SEED)
    report = run_downloads(rounds, template, tmp_path, forks, LANES, SEED)
    print(report)
    assert report.rounds == len(rounds)


def test_the_backend_killed_during_sync_keeps_each_event_once(
    backend_template, forks, tmp_path
):
    devices = make_devices(backend_template, tmp_path / "devices")
    report = kill_backend(devices, forks, tmp_path / "kills", BACKEND_KILLS, SEED)
    print(report)
    assert report.kills == BACKEND_KILLS
    assert all(n > BACKEND_KILLS for n in report.events.values())  # uploads ran all along
