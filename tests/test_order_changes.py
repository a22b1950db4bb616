"""Orders change under the device: claims by another device, cancellation by the customer, and
the device learning of it from the changes after its cursor."""

from __future__ import annotations

import httpx
import pytest

from picker_app.domain.events import OutOfStockFlagged, PickStarted, StockPicked
from picker_app.store.db import LocalStore
from picker_app.sync.client import SyncClient, SyncSettings
from tests.conftest import ROOT
from tests.test_sync_upload import STORE, Backend

pytestmark = pytest.mark.both_backends


@pytest.fixture
def seeded(repos):
    server = Backend(repos.seeded(20))
    yield server
    server.stop()


def device_on(server, tmp_path, name):
    store = LocalStore.open(tmp_path / f"{name}.db", device=name)
    client = SyncClient(store, SyncSettings(server.url, STORE, server.db.add_device(STORE, name)))
    client.download_changes()  # no cursor yet: takes the snapshot
    return store, client


def local_state(store, order_id):
    return store.conn.execute("SELECT state FROM orders WHERE id = ?", (order_id,)).fetchone()[0]


def test_customer_cancels_mid_pick(seeded, tmp_path):
    store, client = device_on(seeded, tmp_path, "dev-a")
    order = "OR52000001"
    sku, qty = store.conn.execute(
        "SELECT sku, qty_ordered FROM order_line WHERE order_id = ? AND line_no = 1", (order,)
    ).fetchone()
    with store.write():
        store.record(PickStarted(task="T1", orders=(order,)))
    assert client.upload_all().applied == 1
    assert client.download_changes() == 1 and local_state(store, order) == "picking"

    assert seeded.db.cancel_order(STORE, order)  # the customer cancels

    with store.write():
        store.record(StockPicked(order=order, bin="A07-2", sku=sku, qty=qty))
    report = client.upload_all()
    assert report.rejected == 1
    reason = store.conn.execute("SELECT reason FROM rejected").fetchone()[0]
    assert "cancelled by the customer" in reason
    assert client.download_changes() >= 1
    assert local_state(store, order) == "cancelled"  # the device learns of it


def test_an_order_claimed_by_another_device_is_refused(seeded, tmp_path):
    a_store, a = device_on(seeded, tmp_path, "dev-a")
    b_store, b = device_on(seeded, tmp_path, "dev-b")
    for store in (a_store, b_store):
        with store.write():
            store.record(PickStarted(task="T", orders=("OR52000002",)))
    assert a.upload_all().applied == 1
    assert b.upload_all().rejected == 1
    reason = b_store.conn.execute("SELECT reason FROM rejected").fetchone()[0]
    assert "another device" in reason


def test_changes_come_in_pages_and_an_unknown_cursor_means_snapshot(seeded, tmp_path):
    store, client = device_on(seeded, tmp_path, "dev-a")
    start = store.cursor()
    assert start == 20  # the 20 orders placed at seeding
    for n in range(3, 15):
        seeded.db.cancel_order(STORE, f"OR{52000000 + n}")
    assert client.download_changes(limit=5) == 12
    assert store.cursor() == start + 12
    assert local_state(store, "OR52000003") == "cancelled"
    token = seeded.db.add_device(STORE)
    far = httpx.get(
        f"{seeded.url}/v1/stores/{STORE}/changes",
        params={"cursor": 999},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert far.status_code == 410
    with store.write() as conn:  # a cursor the backend never gave: the device re-snapshots
        conn.execute("UPDATE sync_state SET value = '999' WHERE key = 'cursor'")
    client.download_changes()
    assert store.cursor() == start + 12
    open_orders = {r[0] for r in store.conn.execute("SELECT id FROM orders")}
    assert "OR52000003" not in open_orders and "OR52000001" in open_orders  # only open orders


def test_device_knows_its_layout_version_history_and_count_tasks(seeded, tmp_path):
    import json

    from picker_app.cli import load_layout

    store, client = device_on(seeded, tmp_path, "dev-c")
    info = dict(store.conn.execute("SELECT key, value FROM store_info"))
    layout = load_layout(ROOT / "layouts" / "demo-store.toml")
    assert info["layout"] == "layouts/demo-store.toml"
    assert info["layout_hash"] == layout.content_hash  # the device can tell a re-slotted store
    picks = dict(store.conn.execute("SELECT bin, qty FROM pick_history"))
    assert len(picks) > 1000 and sum(picks.values()) == 97327  # 30 days, for the heat map
    bin_, sku = store.conn.execute("SELECT bin, sku FROM stock LIMIT 1").fetchone()
    with store.write():
        store.record(OutOfStockFlagged(bin=bin_, sku=sku, qty_found=0))
    client.upload_all()
    client.download_changes()
    task = store.conn.execute("SELECT bins, reason, state FROM count_task").fetchone()
    assert json.loads(task[0]) == [bin_] and task[1:] == ("oos_flag", "open")
    assert (
        store.conn.execute(
            "SELECT on_hand FROM stock WHERE bin = ? AND sku = ?", (bin_, sku)
        ).fetchone()[0]
        == 0
    )
