"""Issue 15, guarantee 1: a scan shown as accepted survives the app being killed at any instant.

A headless recorder (tests/killkit/recorder.py: a real serial scanner on a pty, the pick service
the route screen saves through, the sync worker against a real backend on loopback) is killed
with SIGKILL 200 times at random moments, and 20 times at each fixed point: in a scan's
transaction after its BEGIN, at its COMMIT, after the commit before the acknowledgement, after
the backend answered an upload before the device marks it, and after the marking. After each
kill the cache is opened the app's way and must be whole (`integrity_check`), keep every
acknowledged scan once with its event and the state it changed, number its events without a
gap, resume the task at the last scan kept, and after a sync the backend must have each event
exactly once (tests/killkit/harness.py says how).

The larger run: `KILL_ROUNDS=10` multiplies the counts (2,000 random kills, 200 at each point),
`KILL_LANES` sets how many devices are killed at once (2), `KILL_SEED` the seed (15), e.g.

    KILL_ROUNDS=10 python -m pytest -q -s tests/test_kill_scans.py

(`-s` shows each test's report: kills, acknowledgements seen, events resent); or call
`tests.killkit.harness.run(specs(...), make_template(...), workdir)` and read its Report.
"""

from __future__ import annotations

import pytest

from tests.killkit.fixtures import LANES, SEED, scaled
from tests.killkit.harness import (
    Finding,
    Spec,
    run,
    specs,
)
from tests.killkit.recorder import POINTS

RANDOM_KILLS = scaled(200)
KILLS_AT_EACH_POINT = scaled(20)


def test_acknowledged_scans_survive_kills_at_random_moments(kill_template, kill_forks, tmp_path):
    report = run(specs(RANDOM_KILLS, 0, SEED), kill_template, tmp_path, LANES, SEED, kill_forks)
    print(report)
    assert report.by_point == {"random": RANDOM_KILLS}


@pytest.mark.parametrize("point", POINTS)
def test_acknowledged_scans_survive_kills_at_a_fixed_point(
    kill_template, kill_forks, tmp_path, point
):
    rounds = specs(0, KILLS_AT_EACH_POINT, SEED, points=[point])
    report = run(rounds, kill_template, tmp_path, LANES, SEED, kill_forks)
    print(report)
    assert report.by_point == {point: KILLS_AT_EACH_POINT}
    if point == "sent":
        assert report.resent >= KILLS_AT_EACH_POINT  # each killed upload was resent


def test_the_checks_catch_a_scan_acknowledged_before_it_was_saved(
    kill_template, kill_forks, tmp_path
):
    broken = Spec(2, "commit", n=2, ack_early=True)  # says ACK, then dies before COMMIT
    with pytest.raises(Finding, match="after 2 acks"):
        run([broken], kill_template, tmp_path, lanes=1, forks=kill_forks)
