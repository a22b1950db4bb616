"""Issue 15, guarantee 3: a download killed at any instant leaves the cursor with its data;
and the rest of guarantee 2: the backend killed during sync loses and doubles no event.

A downloader (tests/killkit/syncroles.py, forked by the kill suite's fork server) brings the
cache up to date from a backend that has had new orders placed and some cancelled since the
last round (3 to 5 pages of 2 to 4 changes, or a snapshot when its cursor is forgotten); it is
killed with SIGKILL 40 times at random moments and 15 times at each fixed point: after BEGIN
(before the 1st to 30th statement) and before COMMIT of a snapshot's transaction and of a
page's (its 1st to 3rd). After each kill the cache, opened the app's way, is whole, its cursor
is where it began or at a page's end (at the fixed points: just before the killed page), and
its orders are exactly the backend's as issued up to that cursor (tests/killkit/syncs.py,
`Feed.expected`); a download then brings it to the backend's latest.

The backend runs as its CLI's process (`backend --db FILE serve --order-rate 0`), killed 100
times at random moments while two devices record and upload events; after each restart its
file passes integrity_check and keeps each event a device was answered for; in the end each
device's events are there once each, seq 1..N, and its outbox is empty.

`KILL_ROUNDS=10` multiplies the counts, `KILL_LANES` sets the download lanes (2), `KILL_SEED`
the seed (15).
"""

from __future__ import annotations

import pytest

from tests.killkit.fixtures import LANES, SEED, scaled
from tests.killkit.harness import Finding
from tests.killkit.syncs import DSpec, dspecs, kill_backend, make_devices, run_downloads

RANDOM_DOWNLOAD_KILLS = scaled(40)
KILLS_AT_EACH_APPLY_POINT = scaled(15)
BACKEND_KILLS = scaled(100)


def test_a_download_killed_as_it_is_applied_keeps_the_cursor_with_its_data(
    kill_template, kill_forks, tmp_path
):
    rounds = dspecs(RANDOM_DOWNLOAD_KILLS, KILLS_AT_EACH_APPLY_POINT, SEED)
    report = run_downloads(rounds, kill_template, tmp_path, kill_forks, LANES, SEED)
    print(report)
    assert report.rounds == len(rounds)


def test_the_checks_catch_a_cursor_saved_before_its_page(kill_template, kill_forks, tmp_path):
    broken = DSpec("changes", "begin", n=1, j=1, cursor_first=True)  # dies between the two
    with pytest.raises(Finding, match=r"cursor \d+, page 1 begins at"):
        run_downloads([broken], kill_template, tmp_path, kill_forks, lanes=1)


def test_the_backend_killed_during_sync_keeps_each_event_once(
    backend_template, kill_forks, tmp_path
):
    devices = make_devices(backend_template, tmp_path / "devices")
    report = kill_backend(devices, kill_forks, tmp_path / "kills", BACKEND_KILLS, SEED)
    print(report)
    assert report.kills == BACKEND_KILLS
    assert all(n > BACKEND_KILLS for n in report.events.values())  # uploads ran all along
