"""The backend seeded from fixtures/, its snapshot over HTTP, applied to a device in one go."""

from __future__ import annotations

import pytest

from picker_app.backend.server import BackendDB, seed_from_fixtures
from picker_app.domain.auth import hash_pin, verify_pin
from picker_app.domain.events import StockPicked
from picker_app.store.db import LocalStore
from picker_app.sync.client import SyncClient, SyncPaused, SyncSettings
from tests.conftest import ROOT
from tests.test_sync_upload import STORE, Backend


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    db = BackendDB(tmp_path_factory.mktemp("backend") / "backend.db")
    counts = seed_from_fixtures(db, ROOT / "fixtures", STORE, open_orders=300)
    server = Backend(db)
    yield server, counts
    server.stop()


def test_seed_loads_the_demo_store_once(seeded):
    server, counts = seeded
    assert counts == {
        "skus": 1991, "stock": 1991, "users": 22, "orders": 300, "history_lines": 97327,
    }  # fmt: skip
    assert seed_from_fixtures(server.db, ROOT / "fixtures", STORE) == {}  # already seeded


def test_device_gets_everything_it_needs_to_work_alone(seeded, tmp_path):
    server, _ = seeded
    token = server.db.add_device(STORE)
    device = LocalStore.open(tmp_path / "d.db")
    client = SyncClient(device, SyncSettings(server.url, STORE, token))
    snap = client.download_snapshot()
    q = device.conn.execute
    assert q("SELECT COUNT(*) FROM sku").fetchone()[0] == 1991
    assert q("SELECT COUNT(*) FROM sku_barcode").fetchone()[0] == 1991
    assert q("SELECT COUNT(*) FROM stock").fetchone()[0] == 1991
    assert q("SELECT COUNT(*) FROM orders WHERE state = 'confirmed'").fetchone()[0] == 300
    assert q("SELECT COUNT(*) FROM order_line").fetchone()[0] == sum(
        len(o.lines) for o in snap.orders
    )
    # Each order placed is a change: the snapshot covers all 300.
    assert snap.cursor == 300 and device.cursor() == 300
    # Offline login: the PIN hash came down with the user.
    badge, pin_hash = q("SELECT badge, pin_hash FROM users WHERE id = 'U101'").fetchone()
    assert badge == "BD4101"
    assert verify_pin("7051", pin_hash) and not verify_pin("0000", pin_hash)
    device.close()


def test_snapshot_keeps_the_outbox(seeded, tmp_path):
    server, _ = seeded
    token = server.db.add_device(STORE)
    device = LocalStore.open(tmp_path / "d.db")
    with device.write():
        device.record(StockPicked(bin="A07-2", sku="SKU-000001", qty=1))
    SyncClient(device, SyncSettings(server.url, STORE, token)).download_snapshot()
    assert device.counts()["pending"] == 1
    device.close()


def test_snapshot_of_another_store_is_refused(seeded, tmp_path):
    server, _ = seeded
    token = server.db.add_device("BLR-HSR-02")
    device = LocalStore.open(tmp_path / "d.db")
    with pytest.raises(SyncPaused):
        SyncClient(device, SyncSettings(server.url, STORE, token)).download_snapshot()
    assert device.conn.execute("SELECT COUNT(*) FROM sku").fetchone()[0] == 0
    device.close()


def test_pin_hashes_are_salted_and_malformed_ones_never_match():
    one, two = hash_pin("1234"), hash_pin("1234")
    assert one != two and verify_pin("1234", one) and verify_pin("1234", two)
    for junk in ("", "plain", "md5$1$x$y", "pbkdf2_sha256$notanumber$s$d"):
        assert not verify_pin("1234", junk)
